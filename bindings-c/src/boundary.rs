//! The panic boundary and the checks every argument from C goes through.
//!
//! Every exported function runs its body through [`ffi`] (fallible calls) or
//! [`ffi_value`] (getters), so a panic becomes an `Internal` error instead of
//! aborting the host process, and NULL pointers or invalid UTF-8 become
//! `Config` errors instead of undefined behaviour.

use std::ffi::{CStr, CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::ptr;

use oauthmail_core::{Error, Result};

use crate::error::oauthmail_error;

/// Runs `body`; NULL on success, else a new error object (a panic gives `Internal`).
pub(crate) fn ffi(body: impl FnOnce() -> Result<()>) -> *mut oauthmail_error {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => ptr::null_mut(),
        Ok(Err(e)) => oauthmail_error::boxed(&e),
        Err(payload) => oauthmail_error::boxed(&panic_error(payload.as_ref())),
    }
}

/// Runs a getter; `fallback` when it panics (getters have no error channel).
pub(crate) fn ffi_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

/// Reads from a handle passed by `const` pointer: `fallback` when it is NULL
/// (or the getter panics), else `get(handle)`.
///
/// # Safety
/// `p` is NULL or a live handle of this type.
pub(crate) unsafe fn getter<H, T: Copy>(p: *const H, fallback: T, get: impl FnOnce(&H) -> T) -> T {
    // SAFETY: NULL or live per the caller's contract.
    ffi_value(fallback, || unsafe { p.as_ref() }.map_or(fallback, get))
}

fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Error::internal(format!("a bug in oauthmail (panic: {what})"))
        .with_hint("Please report this with the steps that led to it.")
}

fn null_arg(name: &str) -> Error {
    Error::config(format!("`{name}` is NULL")).with_hint(format!("Pass a valid pointer for `{name}`."))
}

/// A required UTF-8 string argument.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that outlives `'a`.
pub(crate) unsafe fn str_arg<'a>(p: *const c_char, name: &str) -> Result<&'a str> {
    if p.is_null() {
        return Err(null_arg(name));
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(p) };
    bytes
        .to_str()
        .map_err(|_| Error::config(format!("`{name}` is not valid UTF-8")).with_hint("Pass UTF-8 encoded text."))
}

/// An optional UTF-8 string argument: NULL means "not given".
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_str_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a str>> {
    if p.is_null() {
        return Ok(None);
    }
    // SAFETY: forwarded contract.
    unsafe { str_arg(p, name) }.map(Some)
}

/// An optional path argument (UTF-8): NULL means "not given".
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn opt_path_arg<'a>(p: *const c_char, name: &str) -> Result<Option<&'a Path>> {
    // SAFETY: forwarded contract.
    Ok(unsafe { opt_str_arg(p, name) }?.map(Path::new))
}

/// A binary argument with an explicit length; NULL is allowed only with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable bytes that outlive `'a`.
pub(crate) unsafe fn bytes_arg<'a>(p: *const u8, len: usize, name: &str) -> Result<&'a [u8]> {
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null_arg(name)) };
    }
    // SAFETY: non-NULL with `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// An array of `len` UTF-8 strings; NULL is allowed only with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` pointers, each valid for [`str_arg`].
pub(crate) unsafe fn str_array_arg<'a>(p: *const *const c_char, len: usize, name: &str) -> Result<Vec<&'a str>> {
    if p.is_null() {
        return if len == 0 { Ok(Vec::new()) } else { Err(null_arg(name)) };
    }
    // SAFETY: `len` readable pointers per the caller's contract.
    let items = unsafe { std::slice::from_raw_parts(p, len) };
    items
        .iter()
        .enumerate()
        // SAFETY: each element is valid for str_arg per the caller's contract.
        .map(|(i, &s)| unsafe { str_arg(s, &format!("{name}[{i}]")) })
        .collect()
}

/// An array of `len` values; NULL is allowed only with length 0.
///
/// # Safety
/// `p` is NULL or points to `len` readable values that outlive `'a`.
pub(crate) unsafe fn slice_arg<'a, T>(p: *const T, len: usize, name: &str) -> Result<&'a [T]> {
    if p.is_null() {
        return if len == 0 { Ok(&[]) } else { Err(null_arg(name)) };
    }
    // SAFETY: `len` readable values per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(p, len) })
}

/// A handle passed by `const` pointer.
///
/// # Safety
/// `p` is NULL or a live handle of this type.
pub(crate) unsafe fn handle<'a, T>(p: *const T, name: &str) -> Result<&'a T> {
    // SAFETY: NULL or a live handle per the caller's contract.
    unsafe { p.as_ref() }.ok_or_else(|| null_arg(name))
}

/// Checks an out-parameter before any work is done, so that a NULL one fails
/// before a side effect (a sent message) rather than after.
pub(crate) fn out_arg<T>(p: *mut T, name: &str) -> Result<()> {
    if p.is_null() { Err(null_arg(name)) } else { Ok(()) }
}

/// Writes an out-parameter checked with [`out_arg`].
///
/// # Safety
/// `p` is a valid, writable, non-NULL pointer.
pub(crate) unsafe fn write_out<T>(p: *mut T, value: T) {
    // SAFETY: checked non-NULL and writable per the caller's contract.
    unsafe { p.write(value) }
}

/// Boxes a new handle for C.
pub(crate) fn into_handle<T>(value: T) -> *mut T {
    Box::into_raw(Box::new(value))
}

/// Frees a handle made by [`into_handle`]; NULL is a no-op.
///
/// # Safety
/// `p` is NULL or came from [`into_handle`] for this `T` and is not used afterwards.
pub(crate) unsafe fn free_handle<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: made by Box::into_raw and given back exactly once.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A C string for text that came from servers or users: an interior NUL,
/// which C cannot represent, becomes U+FFFD rather than an error.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', "\u{FFFD}")).expect("NUL bytes were replaced")
}

/// A `const char*` into a C string owned by a handle, or NULL.
pub(crate) fn opt_ptr(s: &Option<CString>) -> *const c_char {
    s.as_ref().map_or(ptr::null(), |s| s.as_ptr())
}
