//! `oauthmail_graph_client`: sending through Microsoft Graph, for tenants
//! where SMTP AUTH is switched off.

use std::ffi::c_char;
use std::sync::Arc;
use std::time::{Duration, UNIX_EPOCH};

use oauthmail_core::tls::TlsTrust;
use oauthmail_core::{GraphConfig, GraphListOptions, GraphMailClient, Result};

use crate::boundary::{
    bytes_arg, ffi, ffi_value, free_handle, handle, into_handle, opt_str_arg, out_arg, str_arg, write_out,
};
use crate::buffer::fetch_into;
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::message::oauthmail_message;
use crate::report::{oauthmail_send_report, put_report};
use crate::strings::owned_string;
use crate::summary::oauthmail_message_list;

/// Settings of a Graph client. Zero-initialise it (`= {0}`): NULL/false
/// means the default. Read only during the call.
#[repr(C)]
pub struct oauthmail_graph_options {
    /// Graph base URL with version; default `https://graph.microsoft.com/v1.0`.
    pub base_url: *const c_char,
    /// Token scope; default `https://graph.microsoft.com/.default`.
    pub scope: *const c_char,
    /// A PEM file of extra CAs to trust for Graph.
    pub ca_file: *const c_char,
    /// Do not keep a copy in the mailbox's Sent Items (Graph keeps one by default).
    pub skip_sent_items: bool,
}

/// A Graph mail client for `mailbox`: sends, lists and fetches. Thread-safe.
pub struct oauthmail_graph_client {
    pub(crate) inner: Arc<GraphMailClient>,
}

/// A client that sends as `mailbox` (a user principal name or id) with
/// tokens from `credential` (which may be freed afterwards). `options` NULL:
/// Microsoft's public cloud. On success `*out` receives a handle to free
/// with `oauthmail_graph_client_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_new(
    mailbox: *const c_char,
    credential: *const oauthmail_credential,
    options: *const oauthmail_graph_options,
    out: *mut *mut oauthmail_graph_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let (mailbox, credential) = unsafe { (str_arg(mailbox, "mailbox")?, handle(credential, "credential")?) };
        let mut config = GraphConfig::new(mailbox);
        // SAFETY: NULL or valid per the contract.
        if let Some(o) = unsafe { options.as_ref() } {
            // SAFETY (all fields): NULL or NUL-terminated per the struct's documentation.
            unsafe {
                if let Some(url) = opt_str_arg(o.base_url, "options.base_url")? {
                    config.base_url = url.to_owned();
                }
                if let Some(scope) = opt_str_arg(o.scope, "options.scope")? {
                    config.scope = scope.to_owned();
                }
                if let Some(ca) = opt_str_arg(o.ca_file, "options.ca_file")? {
                    config.ca = TlsTrust::from_ca_file(ca)?;
                }
            }
            config.save_to_sent_items = !o.skip_sent_items;
        }
        let client = GraphMailClient::new(config, credential.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_graph_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// The client behind a handle.
///
/// # Safety
/// `client` is NULL or a live client.
unsafe fn inner<'a>(client: *const oauthmail_graph_client) -> Result<&'a GraphMailClient> {
    // SAFETY: forwarded contract.
    Ok(&unsafe { handle(client, "client") }?.inner)
}

/// Validates and sends `message` (sendMail). `out_report` may be NULL; else
/// on success it receives a report to free with `oauthmail_send_report_free`.
///
/// # Safety
/// Pointers are NULL or valid; `message` is not being changed by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_send(
    client: *const oauthmail_graph_client,
    message: *const oauthmail_message,
    out_report: *mut *mut oauthmail_send_report,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let report = unsafe { inner(client)?.send(&handle(message, "message")?.inner) }?;
        // SAFETY: NULL or writable per the contract.
        unsafe { put_report(out_report, &report) };
        Ok(())
    })
}

/// Sends `data_len` bytes of RFC 5322 MIME as they are (recipients from its
/// To/Cc/Bcc). `out_report` as for `oauthmail_graph_client_send`.
///
/// # Safety
/// `data` is valid for `data_len` bytes; other pointers NULL or valid.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_send_mime(
    client: *const oauthmail_graph_client,
    data: *const u8,
    data_len: usize,
    out_report: *mut *mut oauthmail_send_report,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let report = unsafe { inner(client)?.send_mime(bytes_arg(data, data_len, "data")?) }?;
        // SAFETY: NULL or writable per the contract.
        unsafe { put_report(out_report, &report) };
        Ok(())
    })
}

/// How to list a folder over Graph. Zero-initialised means: all messages,
/// newest first.
#[repr(C)]
pub struct oauthmail_graph_list_options {
    /// At most this many messages; 0 = all.
    pub limit: usize,
    /// Only unread messages.
    pub unread_only: bool,
    /// Only messages received at or after this time (Unix seconds); 0 = any.
    pub since_unix: i64,
}

/// Summaries of the messages in `folder` (a well-known name such as
/// `"inbox"`, `"sentitems"`, or a display name, `"Parent/Child"` for a
/// subfolder; `"inbox"` when NULL), newest first, following Graph's paging.
/// Each summary's `oauthmail_message_summary_id` is the id the other Graph
/// calls take. On success `*out` receives a list to free with
/// `oauthmail_message_list_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_list_messages(
    client: *const oauthmail_graph_client,
    folder: *const c_char,
    options: *const oauthmail_graph_list_options,
    out: *mut *mut oauthmail_message_list,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        let mut opts = GraphListOptions::default();
        // SAFETY: NULL or valid per the contract.
        if let Some(o) = unsafe { options.as_ref() } {
            opts.limit = (o.limit != 0).then_some(o.limit);
            opts.unread_only = o.unread_only;
            opts.since = (o.since_unix > 0).then(|| UNIX_EPOCH + Duration::from_secs(o.since_unix.unsigned_abs()));
        }
        // SAFETY: forwarded contract.
        let list = unsafe { inner(client)?.list_messages(opt_str_arg(folder, "folder")?.unwrap_or("inbox"), &opts) }?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_message_list::new(&list))) };
        Ok(())
    })
}

/// Fetches the MIME of message `id` into `buffer`, as
/// `oauthmail_imap_client_fetch_message` does.
///
/// # Safety
/// `buffer` is writable for `capacity` bytes (NULL only with 0); other
/// pointers NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_fetch_message(
    client: *const oauthmail_graph_client,
    id: *const c_char,
    buffer: *mut u8,
    capacity: usize,
    out_len: *mut usize,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out_len, "out_len")?;
        // SAFETY: forwarded contract.
        let (graph, id) = unsafe { (inner(client)?, str_arg(id, "id")?) };
        // SAFETY: forwarded contract.
        unsafe { fetch_into(buffer, capacity, out_len, |w| graph.fetch_message_to(id, w)) }
    })
}

/// Marks message `id` read (`read` true) or unread.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_mark_read(
    client: *const oauthmail_graph_client,
    id: *const c_char,
    read: bool,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.mark_read(str_arg(id, "id")?, read) })
}

/// Moves message `id` to `destination` (a well-known or display name).
/// Graph gives a moved message a new id: `out_new_id` may be NULL, else on
/// success it receives that id, freed with `oauthmail_string_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_move_message(
    client: *const oauthmail_graph_client,
    id: *const c_char,
    destination: *const c_char,
    out_new_id: *mut *mut c_char,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        let new_id = unsafe { inner(client)?.move_message(str_arg(id, "id")?, str_arg(destination, "destination")?) }?;
        if !out_new_id.is_null() {
            // SAFETY: non-NULL and writable per the contract.
            unsafe { write_out(out_new_id, owned_string(&new_id)) };
        }
        Ok(())
    })
}

/// Deletes message `id` (Graph moves it to Recoverable Items).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_delete_message(
    client: *const oauthmail_graph_client,
    id: *const c_char,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    ffi(|| unsafe { inner(client)?.delete_message(str_arg(id, "id")?) })
}

/// Closes the client; later sends fail with `Closed`. The handle must still be freed.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_close(client: *const oauthmail_graph_client) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: forwarded contract.
        unsafe { inner(client) }?.close();
        Ok(())
    })
}

/// Frees a client. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a live client, freed once, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_free(client: *mut oauthmail_graph_client) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(client) })
}
