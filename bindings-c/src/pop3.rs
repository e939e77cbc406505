//! `oauthmail_pop3_client`: reading a mailbox over POP3.

use std::ffi::c_char;
use std::sync::Arc;

use oauthmail_core::{Pop3Client, Pop3Config, Result};

use crate::boundary::{ffi, ffi_value, free_handle, handle, into_handle, out_arg, str_arg, write_out};
use crate::buffer::fetch_into;
use crate::connection::{mail_options_arg, oauthmail_mail_options};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::summary::oauthmail_message_list;

/// A POP3 client for one mailbox. Message numbers are those of the current
/// session (see `oauthmail_message_summary_uid`; `oauthmail_message_summary_uidl`
/// is stable). Deletions take effect at `oauthmail_pop3_client_close`.
/// Thread-safe: calls from several threads are serialised.
pub struct oauthmail_pop3_client {
    pub(crate) inner: Arc<Pop3Client>,
}

/// A client for `host`:`port` that opens `username`'s mailbox with tokens
/// from `credential` (which may be freed afterwards). `options` NULL:
/// defaults. On success `*out` receives a handle to free with
/// `oauthmail_pop3_client_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_new(
    host: *const c_char,
    port: u16,
    username: *const c_char,
    credential: *const oauthmail_credential,
    options: *const oauthmail_mail_options,
    out: *mut *mut oauthmail_pop3_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let (host, username, credential, options) = unsafe {
            (
                str_arg(host, "host")?,
                str_arg(username, "username")?,
                handle(credential, "credential")?,
                mail_options_arg(options)?,
            )
        };
        let mut config = Pop3Config::new(host, port, username);
        config.security = options.security;
        if let Some(ca) = options.ca {
            config.ca = ca;
        }
        if let Some(t) = options.timeout {
            config.timeout = t;
        }
        config.mechanism = options.mechanism;
        config.scopes = options.scopes;
        let client = Pop3Client::new(config, credential.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_pop3_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// The client behind a handle.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn inner<'a>(client: *const oauthmail_pop3_client) -> Result<&'a Pop3Client> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { handle(client, "client") }?.inner)
}

/// Connects and logs in now (otherwise the first call does), to report a
/// wrong setting early.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_connect(client: *const oauthmail_pop3_client) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client) }?.connect())
}

/// The number of messages and their total size in bytes (STAT); each
/// out-parameter may be NULL.
///
/// # Safety
/// Pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_stat(
    client: *const oauthmail_pop3_client,
    out_count: *mut u32,
    out_size: *mut u64,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let (count, size) = unsafe { inner(client) }?.stat()?;
        // SAFETY: each is NULL or writable per the contract.
        unsafe {
            if !out_count.is_null() {
                write_out(out_count, count);
            }
            if !out_size.is_null() {
                write_out(out_size, size);
            }
        }
        Ok(())
    })
}

/// Summaries of the messages (from their headers), newest first, at most
/// `limit` (0 = all). On success `*out` receives a list to free with
/// `oauthmail_message_list_free`.
///
/// # Safety
/// Pointers are NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_list_messages(
    client: *const oauthmail_pop3_client,
    limit: usize,
    out: *mut *mut oauthmail_message_list,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let list = unsafe { inner(client) }?.list_messages((limit != 0).then_some(limit))?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_message_list::new(&list))) };
        Ok(())
    })
}

/// Fetches message number `n` into `buffer`, as
/// `oauthmail_imap_client_fetch_message` does.
///
/// # Safety
/// `buffer` is writable for `capacity` bytes (NULL only with 0); other
/// pointers NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_fetch_message(
    client: *const oauthmail_pop3_client,
    n: u32,
    buffer: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out_len, "out_len")?;
        // SAFETY: forwarded contract.
        let pop3 = unsafe { inner(client) }?;
        // SAFETY: forwarded contract.
        unsafe { fetch_into(buffer, capacity, out_len, |w| pop3.retr_to(n, w)) }
    })
}

/// Streams message number `n` into the file at `path`; a partial file is
/// removed on failure.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_fetch_message_to_file(
    client: *const oauthmail_pop3_client,
    n: u32,
    path: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.fetch_message_to_file(n, str_arg(path, "path")?) })
}

/// Marks message number `n` for deletion; the server deletes it when the
/// session ends with `oauthmail_pop3_client_close`.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_delete(
    client: *const oauthmail_pop3_client,
    n: u32,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client) }?.dele(n))
}

/// Ends the session (QUIT), which commits deletions; an error says they may
/// not have been. Later calls fail with `Closed`. The handle must still be freed.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_close(client: *const oauthmail_pop3_client) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client) }?.close())
}

/// Frees a client. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a live client, freed once, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_free(client: *mut oauthmail_pop3_client) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(client) })
}
