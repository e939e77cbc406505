//! The message builder: a mutable handle filled field by field, validated
//! when it is sent.

use std::ffi::c_char;

use oauthmail_core::{Message, Result};

use crate::boundary::{bytes_arg, ffi, ffi_value, free_handle, into_handle, opt_str_arg, out_arg, str_arg, write_out};
use crate::error::oauthmail_error;

/// A message being built. Not thread-safe while it is changed: one thread
/// at a time may call the setters; sending only reads it. Addresses are
/// `"Name <a@b>"` or `"a@b"`; they are checked when the message is sent
/// (a bad one gives a `Message` error and nothing is sent).
pub struct oauthmail_message {
    pub(crate) inner: Message,
}

/// A new, empty message. On success `*out` receives a handle to free with
/// `oauthmail_message_free`.
///
/// # Safety
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_new(out: *mut *mut oauthmail_message) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_message { inner: Message::new() })) };
        Ok(())
    })
}

/// Applies a builder step to the message behind `message`. `args` reads the
/// C arguments and returns the step; it runs before the message is touched,
/// so a bad argument leaves the message as it was.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only.
unsafe fn update<S: FnOnce(Message) -> Message>(
    message: *mut oauthmail_message,
    args: impl FnOnce() -> Result<S>,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: NULL or live and exclusively used per the contract.
        let m = unsafe { message.as_mut() }.ok_or_else(|| oauthmail_core::Error::config("`message` is NULL"))?;
        let step = args()?;
        m.inner = step(std::mem::take(&mut m.inner));
        Ok(())
    })
}

/// [`update`] for the setters that take one string argument, named `what`.
///
/// # Safety
/// As [`update`]; `value` is NULL or a NUL-terminated string.
unsafe fn update_str(
    message: *mut oauthmail_message,
    value: *const c_char,
    what: &'static str,
    apply: fn(Message, &str) -> Message,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe {
        update(message, || {
            let value = str_arg(value, what)?;
            Ok(move |m: Message| apply(m, value))
        })
    }
}

/// Sets the From address (required).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_set_from(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.from(v)) }
}

/// Sets the Sender: the mailbox that sends on behalf of From (also the envelope sender).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_set_sender(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.sender(v)) }
}

/// Adds a Reply-To address.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_add_reply_to(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.reply_to(v)) }
}

/// Adds a To recipient.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_add_to(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.to(v)) }
}

/// Adds a Cc recipient.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_add_cc(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.cc(v)) }
}

/// Adds a Bcc recipient (in the envelope, never in the headers).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_add_bcc(
    message: *mut oauthmail_message,
    address: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, address, "address", |m, v| m.bcc(v)) }
}

/// Sets the subject (any UTF-8; encoded as RFC 2047 when needed).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_set_subject(
    message: *mut oauthmail_message,
    subject: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, subject, "subject", |m, v| m.subject(v)) }
}

/// Sets the plain-text body.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_set_text(
    message: *mut oauthmail_message,
    body: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, body, "body", |m, v| m.text(v)) }
}

/// Sets the HTML body (with a text body too, the message is multipart/alternative).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_set_html(
    message: *mut oauthmail_message,
    body: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { update_str(message, body, "body", |m, v| m.html(v)) }
}

/// Adds a header. Values with line breaks are refused when the message is sent (header injection).
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_add_header(
    message: *mut oauthmail_message,
    name: *const c_char,
    value: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe {
        update(message, || {
            let (name, value) = (str_arg(name, "name")?, str_arg(value, "value")?);
            Ok(move |m: Message| m.header(name, value))
        })
    }
}

/// Attaches `data_len` bytes from `data` (copied) as `file_name` with MIME type `content_type`.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated. `data` is valid for `data_len` bytes (NULL only with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_attach_bytes(
    message: *mut oauthmail_message,
    file_name: *const c_char,
    content_type: *const c_char,
    data: *const u8,
    data_len: usize,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe {
        update(message, || {
            let (file_name, content_type, data) = (
                str_arg(file_name, "file_name")?,
                str_arg(content_type, "content_type")?,
                bytes_arg(data, data_len, "data")?.to_vec(),
            );
            Ok(move |m: Message| m.attach_bytes(file_name, content_type, data))
        })
    }
}

/// Attaches the file at `path`, read when the message is sent. `content_type` NULL: guessed from the extension; `file_name` NULL: the path's file name.
///
/// # Safety
/// `message` is NULL or a live message used by this thread only; strings are NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_attach_file(
    message: *mut oauthmail_message,
    path: *const c_char,
    content_type: *const c_char,
    file_name: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe {
        update(message, || {
            let (path, content_type, file_name) = (
                str_arg(path, "path")?,
                opt_str_arg(content_type, "content_type")?,
                opt_str_arg(file_name, "file_name")?,
            );
            Ok(move |m: Message| m.attach_file(path, content_type, file_name))
        })
    }
}

/// Frees a message. NULL is a no-op.
///
/// # Safety
/// `message` is NULL or a live message, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_message_free(message: *mut oauthmail_message) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(message) })
}
