//! The settings SMTP, IMAP and POP3 clients share, as one C options struct.

use std::ffi::c_char;
use std::time::Duration;

use oauthmail_core::sasl::Mechanism;
use oauthmail_core::tls::TlsTrust;
use oauthmail_core::{Result, Security};

use crate::boundary::{opt_path_arg, opt_str_arg, str_array_arg};

/// Connection settings for `oauthmail_smtp_client_new`,
/// `oauthmail_imap_client_new` and `oauthmail_pop3_client_new`. Zero-initialise
/// it (`= {0}`) and set what you need: NULL or 0 means "the default". Read
/// only during the call.
#[repr(C)]
pub struct oauthmail_mail_options {
    /// `"starttls"` or `"tls"`; default: implicit TLS on 465, 993 and 995,
    /// STARTTLS on any other port.
    pub security: *const c_char,
    /// A PEM file of extra CAs to trust for the mail server, besides the
    /// built-in roots. There is no way to turn certificate checks off.
    pub ca_file: *const c_char,
    /// Limit for connecting and for each server reply, in milliseconds;
    /// 0 = the default (60 s).
    pub timeout_ms: u64,
    /// `"XOAUTH2"` or `"OAUTHBEARER"`; default: OAUTHBEARER when the server
    /// offers it, else XOAUTH2.
    pub mechanism: *const c_char,
    /// Token scopes (`scopes_len` entries); default: the credential's.
    pub scopes: *const *const c_char,
    pub scopes_len: usize,
}

/// The options in core terms; every field `None`/empty when not given.
pub(crate) struct MailOptions {
    pub security: Option<Security>,
    pub ca: Option<TlsTrust>,
    pub timeout: Option<Duration>,
    pub mechanism: Option<Mechanism>,
    pub scopes: Vec<String>,
}

/// # Safety
/// `options` is NULL or valid per `oauthmail_mail_options`.
pub(crate) unsafe fn mail_options_arg(options: *const oauthmail_mail_options) -> Result<MailOptions> {
    // SAFETY: NULL or a valid struct per the contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(MailOptions { security: None, ca: None, timeout: None, mechanism: None, scopes: Vec::new() });
    };
    // SAFETY (all fields): NULL or valid strings/arrays per the struct's documentation.
    unsafe {
        Ok(MailOptions {
            security: opt_str_arg(o.security, "options.security")?.map(Security::parse).transpose()?,
            ca: opt_path_arg(o.ca_file, "options.ca_file")?.map(TlsTrust::from_ca_file).transpose()?,
            timeout: (o.timeout_ms != 0).then(|| Duration::from_millis(o.timeout_ms)),
            mechanism: opt_str_arg(o.mechanism, "options.mechanism")?.map(str::parse).transpose()?,
            scopes: str_array_arg(o.scopes, o.scopes_len, "options.scopes")?.into_iter().map(str::to_owned).collect(),
        })
    }
}
