//! The error object every fallible function returns, and its kinds.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::{Error, ErrorKind};

use crate::boundary::{c_string, ffi_value, free_handle, opt_ptr};
use crate::strings::owned_string;

/// What went wrong, in terms of what the user has to change. The numbers are
/// fixed and never reused; they equal the core's `ErrorKind` numbers.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum oauthmail_error_kind {
    /// A setting or argument is missing or invalid (also: a NULL pointer, invalid UTF-8).
    Config = 1,
    /// The identity platform or mail server refused the credentials.
    Auth = 2,
    /// The token is fine but does not grant access to this mailbox or action.
    Permission = 3,
    /// The connection could not be made or was lost.
    Network = 4,
    /// TLS failed: untrusted certificate, wrong host name, no STARTTLS.
    Tls = 5,
    /// An operation did not finish in time.
    Timeout = 6,
    /// The server said something unexpected.
    Protocol = 7,
    /// The message is invalid: bad address, header injection, no recipients.
    Message = 8,
    /// The server asks us to slow down; see `oauthmail_error_retry_after_ms`.
    Throttled = 9,
    /// The client was closed and cannot be used any more.
    Closed = 10,
    /// A bug in oauthmail, such as a caught panic.
    Internal = 99,
}

impl From<ErrorKind> for oauthmail_error_kind {
    fn from(kind: ErrorKind) -> Self {
        // Exhaustive on purpose: a new core kind must be added here and in the C enum.
        match kind {
            ErrorKind::Config => oauthmail_error_kind::Config,
            ErrorKind::Auth => oauthmail_error_kind::Auth,
            ErrorKind::Permission => oauthmail_error_kind::Permission,
            ErrorKind::Network => oauthmail_error_kind::Network,
            ErrorKind::Tls => oauthmail_error_kind::Tls,
            ErrorKind::Timeout => oauthmail_error_kind::Timeout,
            ErrorKind::Protocol => oauthmail_error_kind::Protocol,
            ErrorKind::Message => oauthmail_error_kind::Message,
            ErrorKind::Throttled => oauthmail_error_kind::Throttled,
            ErrorKind::Closed => oauthmail_error_kind::Closed,
            ErrorKind::Internal => oauthmail_error_kind::Internal,
        }
    }
}

// The C values must equal the core numbers; checked when this crate compiles.
const _: () = {
    let mut i = 0;
    while i < ErrorKind::ALL.len() {
        let kind = ErrorKind::ALL[i];
        let c = match kind {
            ErrorKind::Config => oauthmail_error_kind::Config,
            ErrorKind::Auth => oauthmail_error_kind::Auth,
            ErrorKind::Permission => oauthmail_error_kind::Permission,
            ErrorKind::Network => oauthmail_error_kind::Network,
            ErrorKind::Tls => oauthmail_error_kind::Tls,
            ErrorKind::Timeout => oauthmail_error_kind::Timeout,
            ErrorKind::Protocol => oauthmail_error_kind::Protocol,
            ErrorKind::Message => oauthmail_error_kind::Message,
            ErrorKind::Throttled => oauthmail_error_kind::Throttled,
            ErrorKind::Closed => oauthmail_error_kind::Closed,
            ErrorKind::Internal => oauthmail_error_kind::Internal,
        };
        assert!(c as u32 == kind as u32, "oauthmail_error_kind differs from ErrorKind");
        i += 1;
    }
};

/// An error: its kind, the provider's own code, a message and a hint.
///
/// Returned by every fallible function (NULL means success) and owned by the
/// caller, who frees it with `oauthmail_error_free`. Read-only once made, so
/// its getters may be called from any thread.
pub struct oauthmail_error {
    kind: oauthmail_error_kind,
    name: CString,
    code: Option<CString>,
    message: CString,
    hint: Option<CString>,
    retry_after_ms: u64,
}

impl oauthmail_error {
    pub(crate) fn boxed(e: &Error) -> *mut oauthmail_error {
        Box::into_raw(Box::new(oauthmail_error {
            kind: e.kind().into(),
            name: c_string(e.kind().name()),
            code: e.code().map(c_string),
            message: c_string(e.message_text()),
            hint: e.hint().map(c_string),
            retry_after_ms: e.retry_after().map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }))
    }
}

/// The kind of `error`; `OAUTHMAIL_ERROR_KIND_INTERNAL` when `error` is NULL.
/// (Named `get_kind` because C cannot have a function and a type both called
/// `oauthmail_error_kind`.)
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_get_kind(error: *const oauthmail_error) -> oauthmail_error_kind {
    // SAFETY: NULL or live per the contract.
    ffi_value(oauthmail_error_kind::Internal, || {
        unsafe { error.as_ref() }.map_or(oauthmail_error_kind::Internal, |e| e.kind)
    })
}

/// The kind's canonical name (`"Config"`, `"Auth"`, ...), the same string in
/// every language. Owned by `error`; NULL when `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_kind_name(error: *const oauthmail_error) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| e.name.as_ptr()))
}

/// The provider's own code (`"AADSTS7000215"`, `"5.7.139"`, ...), or NULL when
/// there is none or `error` is NULL. Owned by `error`.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_code(error: *const oauthmail_error) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.code)))
}

/// What went wrong, in UTF-8; never contains a secret. Owned by `error`;
/// NULL when `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_message(error: *const oauthmail_error) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| e.message.as_ptr()))
}

/// One sentence that says what to change (naming the Exchange or Entra
/// setting where there is one), or NULL. Owned by `error`.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_hint(error: *const oauthmail_error) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { error.as_ref() }.map_or(ptr::null(), |e| opt_ptr(&e.hint)))
}

/// For `Throttled` errors, how long the server asked to wait, in
/// milliseconds; 0 when it did not say or `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_retry_after_ms(error: *const oauthmail_error) -> u64 {
    // SAFETY: NULL or live per the contract.
    ffi_value(0, || unsafe { error.as_ref() }.map_or(0, |e| e.retry_after_ms))
}

/// The whole error as one line, the way the other languages print it:
/// `Auth error AADSTS7000215: <message> (hint: <hint>)`. The caller frees it
/// with `oauthmail_string_free`; NULL when `error` is NULL.
///
/// # Safety
/// `error` is NULL or an error returned by this library and not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_describe(error: *const oauthmail_error) -> *mut c_char {
    ffi_value(ptr::null_mut(), || {
        // SAFETY: NULL or live per the contract.
        let Some(e) = (unsafe { error.as_ref() }) else { return ptr::null_mut() };
        let text = |s: &CString| s.to_string_lossy().into_owned();
        let mut line = format!("{} error", text(&e.name));
        if let Some(code) = &e.code {
            line += &format!(" {}", text(code));
        }
        line += &format!(": {}", text(&e.message));
        if let Some(hint) = &e.hint {
            line += &format!(" (hint: {})", text(hint));
        }
        owned_string(&line)
    })
}

/// The canonical name of a kind number (`"Config"` for 1, ...), or NULL for a
/// number that is not a kind. Static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn oauthmail_error_kind_to_string(kind: u32) -> *const c_char {
    ffi_value(ptr::null(), || {
        ErrorKind::from_number(kind).map_or(ptr::null(), |k| match k {
            ErrorKind::Config => c"Config".as_ptr(),
            ErrorKind::Auth => c"Auth".as_ptr(),
            ErrorKind::Permission => c"Permission".as_ptr(),
            ErrorKind::Network => c"Network".as_ptr(),
            ErrorKind::Tls => c"Tls".as_ptr(),
            ErrorKind::Timeout => c"Timeout".as_ptr(),
            ErrorKind::Protocol => c"Protocol".as_ptr(),
            ErrorKind::Message => c"Message".as_ptr(),
            ErrorKind::Throttled => c"Throttled".as_ptr(),
            ErrorKind::Closed => c"Closed".as_ptr(),
            ErrorKind::Internal => c"Internal".as_ptr(),
        })
    })
}

/// Frees an error. NULL is a no-op.
///
/// # Safety
/// `error` is NULL or an error returned by this library, freed only once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_error_free(error: *mut oauthmail_error) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(error) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_names_match_core() {
        for kind in ErrorKind::ALL {
            let p = oauthmail_error_kind_to_string(kind.number());
            // SAFETY: static NUL-terminated strings.
            let name = unsafe { std::ffi::CStr::from_ptr(p) }.to_str().unwrap();
            assert_eq!(name, kind.name());
        }
        assert!(oauthmail_error_kind_to_string(0).is_null());
    }
}
