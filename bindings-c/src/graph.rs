//! `oauthmail_graph_client`: sending through Microsoft Graph, for tenants
//! where SMTP AUTH is switched off.

use std::ffi::c_char;
use std::sync::Arc;

use oauthmail_core::tls::TlsTrust;
use oauthmail_core::{GraphConfig, GraphMailClient, Result};

use crate::boundary::{
    bytes_arg, ffi, ffi_value, free_handle, handle, into_handle, opt_str_arg, out_arg, str_arg, write_out,
};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::message::oauthmail_message;
use crate::report::{oauthmail_send_report, put_report};

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

/// A Graph mail client sending as `mailbox`. Thread-safe.
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
