//! `oauthmail_provider`: host, port and scope presets (Office 365 and its
//! national clouds, Gmail), and clients made from them.

use std::ffi::{CString, c_char};
use std::ptr;
use std::sync::Arc;

use oauthmail_core::{GraphMailClient, ImapClient, Pop3Client, Provider, SmtpClient};

use crate::boundary::{
    c_string, ffi, ffi_value, free_handle, getter, handle, into_handle, out_arg, str_arg, write_out,
};
use crate::credential::oauthmail_credential;
use crate::error::oauthmail_error;
use crate::graph::oauthmail_graph_client;
use crate::imap::oauthmail_imap_client;
use crate::pop3::oauthmail_pop3_client;
use crate::smtp::oauthmail_smtp_client;

/// A provider preset. Read-only: may be used from any thread.
pub struct oauthmail_provider {
    inner: Provider,
    name: CString,
    mail_scope: CString,
    smtp_host: CString,
    imap_host: CString,
    pop3_host: CString,
    graph_url: Option<CString>,
}

/// The preset named `name`: `"office365"`, `"office365_gcc_high"`,
/// `"office365_dod"`, `"office365_china"` or `"gmail"`. An unknown name is a
/// `Config` error. On success `*out` receives a handle to free with
/// `oauthmail_provider_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_new(
    name: *const c_char,
    out: *mut *mut oauthmail_provider,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let p = Provider::by_name(unsafe { str_arg(name, "name") }?)?;
        let handle = oauthmail_provider {
            name: c_string(&p.name),
            mail_scope: c_string(&p.mail_scope),
            smtp_host: c_string(&p.smtp.host),
            imap_host: c_string(&p.imap.host),
            pop3_host: c_string(&p.pop3.host),
            graph_url: p.graph_url.as_deref().map(c_string),
            inner: p,
        };
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(handle)) };
        Ok(())
    })
}

/// The preset's name; NULL for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_name(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.name.as_ptr()) }
}

/// The scope of SMTP, IMAP and POP3 tokens
/// (`https://outlook.office365.com/.default` for Office 365); NULL for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_mail_scope(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.mail_scope.as_ptr()) }
}

/// The SMTP submission host; NULL for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_smtp_host(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.smtp_host.as_ptr()) }
}

/// The SMTP submission port (587); 0 for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_smtp_port(provider: *const oauthmail_provider) -> u16 {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, 0, |p| p.inner.smtp.port) }
}

/// The IMAP host; NULL for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_imap_host(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.imap_host.as_ptr()) }
}

/// The IMAP port (993); 0 for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_imap_port(provider: *const oauthmail_provider) -> u16 {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, 0, |p| p.inner.imap.port) }
}

/// The POP3 host; NULL for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_pop3_host(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.pop3_host.as_ptr()) }
}

/// The POP3 port (995); 0 for NULL.
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_pop3_port(provider: *const oauthmail_provider) -> u16 {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, 0, |p| p.inner.pop3.port) }
}

/// The Microsoft Graph base URL; NULL when the provider has no Graph (Gmail).
///
/// # Safety
/// `provider` is NULL or a live provider.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_graph_url(provider: *const oauthmail_provider) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(provider, ptr::null(), |p| p.graph_url.as_ref().map_or(ptr::null(), |u| u.as_ptr())) }
}

/// Frees a provider. NULL is a no-op.
///
/// # Safety
/// `provider` is NULL or a live provider, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_provider_free(provider: *mut oauthmail_provider) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(provider) })
}

/// An SMTP client with the provider's host, port, security and mail scope;
/// otherwise as `oauthmail_smtp_client_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_smtp_client_from_provider(
    provider: *const oauthmail_provider,
    username: *const c_char,
    credential: *const oauthmail_credential,
    out: *mut *mut oauthmail_smtp_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let (p, user, cred) = unsafe {
            (handle(provider, "provider")?, str_arg(username, "username")?, handle(credential, "credential")?)
        };
        let client = SmtpClient::from_provider(&p.inner, user, cred.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_smtp_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// An IMAP client with the provider's settings; otherwise as `oauthmail_imap_client_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_imap_client_from_provider(
    provider: *const oauthmail_provider,
    username: *const c_char,
    credential: *const oauthmail_credential,
    out: *mut *mut oauthmail_imap_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let (p, user, cred) = unsafe {
            (handle(provider, "provider")?, str_arg(username, "username")?, handle(credential, "credential")?)
        };
        let client = ImapClient::from_provider(&p.inner, user, cred.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_imap_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// A POP3 client with the provider's settings; otherwise as `oauthmail_pop3_client_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_pop3_client_from_provider(
    provider: *const oauthmail_provider,
    username: *const c_char,
    credential: *const oauthmail_credential,
    out: *mut *mut oauthmail_pop3_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let (p, user, cred) = unsafe {
            (handle(provider, "provider")?, str_arg(username, "username")?, handle(credential, "credential")?)
        };
        let client = Pop3Client::from_provider(&p.inner, user, cred.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_pop3_client { inner: Arc::new(client) })) };
        Ok(())
    })
}

/// A Graph client with the provider's Graph URL and scope (a `Config` error
/// for providers without Graph); otherwise as `oauthmail_graph_client_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_graph_client_from_provider(
    provider: *const oauthmail_provider,
    mailbox: *const c_char,
    credential: *const oauthmail_credential,
    out: *mut *mut oauthmail_graph_client,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let (p, mailbox, cred) =
            unsafe { (handle(provider, "provider")?, str_arg(mailbox, "mailbox")?, handle(credential, "credential")?) };
        let client = GraphMailClient::from_provider(&p.inner, mailbox, cred.inner.clone())?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_graph_client { inner: Arc::new(client) })) };
        Ok(())
    })
}
