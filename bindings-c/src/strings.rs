//! Strings the library hands over to the caller, and the one function that frees them.

use std::ffi::{CString, c_char};

use crate::boundary::{c_string, ffi_value};

/// Hands a new string to C; the caller frees it with `oauthmail_string_free`.
pub(crate) fn owned_string(text: &str) -> *mut c_char {
    c_string(text).into_raw()
}

/// Frees a string this library returned as `char*` (never one it returned as
/// `const char*`, which belongs to a handle). NULL is a no-op.
///
/// # Safety
/// `s` is NULL or a `char*` from this library, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_string_free(s: *mut c_char) {
    ffi_value((), || {
        if !s.is_null() {
            // SAFETY: made by CString::into_raw in owned_string and given back once.
            drop(unsafe { CString::from_raw(s) });
        }
    })
}

/// The library version (`"0.1.0"`), static storage: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn oauthmail_version() -> *const c_char {
    const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");
    VERSION.as_ptr().cast()
}
