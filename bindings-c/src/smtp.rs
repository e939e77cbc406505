//! `oauthmail_smtp_client`: sending over SMTP with XOAUTH2 / OAUTHBEARER.

use std::ffi::c_char;
use std::sync::Arc;

use oauthmail_core::{SmtpClient, SmtpConfig};

use crate::boundary::{
    bytes_arg, ffi, ffi_value, free_handle, handle, into_handle, out_arg, str_arg, str_array_arg, write_out,
};
use crate::connection::{mail_options_arg, oauthmail_mail_options};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::message::oauthmail_message;
use crate::report::{oauthmail_send_report, put_report};

/// An SMTP client for one mailbox. It connects on the first send and keeps
/// the connection for the next ones. Thread-safe: sends from several threads
/// are serialised.
pub struct oauthmail_smtp_client {
    pub(crate) inner: Arc<SmtpClient>,
}

/// A client for `host`:`port` that logs in as `username` (the mailbox
/// address) with tokens from `credential` (which may be freed afterwards).
/// `options` NULL: defaults. No connection is made yet. On success `*out`
/// receives a handle to free with `oauthmail_smtp_client_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_new(
    host: *const c_char,
    port: u16,
    username: *const c_char,
    credential: *const oauthmail_credential,
    options: *const oauthmail_mail_options,
    out: *mut *mut oauthmail_smtp_client,
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
        let mut config = SmtpConfig::new(host, port, username);
        config.security = options.security;
        if let Some(ca) = options.ca {
            config.ca = ca;
        }
        if let Some(t) = options.timeout {
            config.timeout = t;
        }
        config.mechanism = options.mechanism;
        config.scopes = options.scopes;
        let client = SmtpClient::new(config, credential.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_smtp_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// Connects and logs in now (otherwise the first send does), to report a
/// wrong setting early.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_connect(client: *const oauthmail_smtp_client) -> *mut oauthmail_error {
    // SAFETY: NULL or live per the contract.
    ffi(|| unsafe { handle(client, "client") }?.inner.connect())
}

/// Validates and sends `message`. A `Message` error (bad address, header
/// injection, no recipients) means nothing was sent. `out_report` may be
/// NULL; else on success it receives a report to free with
/// `oauthmail_send_report_free`.
///
/// # Safety
/// Pointers are NULL or valid; `message` is not being changed by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_send(
    client: *const oauthmail_smtp_client,
    message: *const oauthmail_message,
    out_report: *mut *mut oauthmail_send_report,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: valid or NULL per the contract.
        let (client, message) = unsafe { (handle(client, "client")?, handle(message, "message")?) };
        let report = client.inner.send(&message.inner)?;
        // SAFETY: NULL or writable per the contract.
        unsafe { put_report(out_report, &report) };
        Ok(())
    })
}

/// Sends `data` (`data_len` bytes of RFC 5322, CRLF line ends) as it is,
/// from `envelope_from` to the `recipients_len` addresses in `recipients`.
/// `out_report` as for `oauthmail_smtp_client_send`.
///
/// # Safety
/// Pointers are NULL or valid for their lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_send_raw(
    client: *const oauthmail_smtp_client,
    envelope_from: *const c_char,
    recipients: *const *const c_char,
    recipients_len: usize,
    data: *const u8,
    data_len: usize,
    out_report: *mut *mut oauthmail_send_report,
) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: valid or NULL per the contract.
        let (client, from, rcpts, data) = unsafe {
            (
                handle(client, "client")?,
                str_arg(envelope_from, "envelope_from")?,
                str_array_arg(recipients, recipients_len, "recipients")?,
                bytes_arg(data, data_len, "data")?,
            )
        };
        let report = client.inner.send_raw(from, &rcpts, data)?;
        // SAFETY: NULL or writable per the contract.
        unsafe { put_report(out_report, &report) };
        Ok(())
    })
}

/// Ends the session (QUIT). Later sends fail with a `Closed` error. Calling
/// it twice is harmless. The handle must still be freed.
///
/// # Safety
/// `client` is NULL or a live client.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_close(client: *const oauthmail_smtp_client) -> *mut oauthmail_error {
    ffi(|| {
        // SAFETY: NULL or live per the contract.
        unsafe { handle(client, "client") }?.inner.close();
        Ok(())
    })
}

/// Frees a client, closing its connection. NULL is a no-op.
///
/// # Safety
/// `client` is NULL or a live client, freed once, not in use by another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_free(client: *mut oauthmail_smtp_client) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(client) })
}
