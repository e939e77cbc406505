//! SMTP replies mapped to an error kind, the server's enhanced status code and
//! a hint naming what to change, with Exchange Online's replies first.
//!
//! Exchange wording (learn.microsoft.com "Fix email delivery issues for error
//! code 5.7.139 / 5.2.252 / 5.7.708" and "Authenticated client SMTP submission"):
//! `535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant`,
//! `535 5.7.3 Authentication unsuccessful`, `530 5.7.57 Client not authenticated to send mail`,
//! `554 5.2.252 SendAsDenied; ...`, `550 5.7.60 SMTP; Client does not have permissions to send as this sender`,
//! `550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP`,
//! `451 4.7.500 Server busy. Please try again later`.

use std::time::Duration;

use crate::{Error, ErrorKind};

/// What the client was doing when the reply came, which decides what a
/// generic reply means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpStage {
    Connect,
    Auth,
    MailFrom,
    RcptTo,
    Data,
}

impl SmtpStage {
    fn describe(self) -> &'static str {
        match self {
            SmtpStage::Connect => "the server refused the connection",
            SmtpStage::Auth => "authentication failed",
            SmtpStage::MailFrom => "the server refused the sender",
            SmtpStage::RcptTo => "the server refused the recipient",
            SmtpStage::Data => "the server refused the message",
        }
    }
}

const HINT_SMTP_AUTH_DISABLED: &str = "SMTP AUTH is disabled for the tenant or this mailbox: enable it with \
    `Set-TransportConfig -SmtpClientAuthenticationDisabled $false` (tenant) or \
    `Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false` (mailbox), \
    or send through Microsoft Graph with GraphMailClient.";
const HINT_AUTH_UNSUCCESSFUL: &str = "Exchange refused the token: check that it is for https://outlook.office365.com \
    with SMTP.SendAsApp (app) or SMTP.Send (delegated) consented, that the app's service principal is registered in \
    Exchange (New-ServicePrincipal) with Add-MailboxPermission on this mailbox, and that the user name is that mailbox.";
const HINT_NOT_AUTHENTICATED: &str = "The server wants an authenticated session before MAIL FROM: connect with \
    STARTTLS (port 587) and authenticate with XOAUTH2 first.";
const HINT_SEND_AS: &str = "The authenticated mailbox may not send as this From address: grant it Send As with \
    `Add-RecipientPermission -Identity <from address> -Trustee <mailbox> -AccessRights SendAs`, \
    or send from the authenticated mailbox itself.";
const HINT_TENANT_BLOCKED: &str = "Exchange Online does not accept mail from this tenant (new tenant or low \
    reputation): verify the domain, check the tenant's outbound limits, or contact Microsoft support.";
const HINT_THROTTLED: &str = "Exchange is throttling this mailbox: wait and retry, use at most 3 concurrent \
    connections and stay under 30 messages per minute.";

/// The enhanced status code (`5.7.139`) at the start of a reply's text.
pub fn enhanced_code(text: &str) -> Option<&str> {
    let first = text.split_whitespace().next()?;
    let first = first.trim_end_matches([';', ',', ':']);
    let mut parts = first.split('.');
    let ok = matches!(parts.next(), Some("2" | "4" | "5"))
        && parts.next().is_some_and(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_some_and(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.next().is_none();
    ok.then_some(first)
}

/// Maps a negative reply (`code` 4xx/5xx and its text, without the code) to an error.
pub fn map_reply(stage: SmtpStage, code: u16, text: &str) -> Error {
    let text = text.trim();
    let enhanced = enhanced_code(text);
    let message = format!("{}: {code} {text}", stage.describe());
    let make = |kind: ErrorKind, hint: &str| {
        Error::new(kind, message.clone()).with_code(enhanced.unwrap_or("").to_owned()).with_hint(hint)
    };
    let upper = text.to_ascii_uppercase();
    match enhanced {
        Some("5.7.139") => make(ErrorKind::Permission, HINT_SMTP_AUTH_DISABLED),
        Some("5.7.3") => make(ErrorKind::Auth, HINT_AUTH_UNSUCCESSFUL),
        Some("5.7.57") => make(ErrorKind::Auth, HINT_NOT_AUTHENTICATED),
        Some("5.2.252") => make(ErrorKind::Permission, HINT_SEND_AS),
        _ if upper.contains("SENDASDENIED") => make(ErrorKind::Permission, HINT_SEND_AS),
        Some("5.7.60") => make(ErrorKind::Permission, HINT_SEND_AS),
        Some("5.7.708") => make(ErrorKind::Permission, HINT_TENANT_BLOCKED),
        Some("4.7.500") => make(ErrorKind::Throttled, HINT_THROTTLED).with_retry_after(Duration::from_secs(60)),
        _ => generic(stage, code, enhanced, message),
    }
}

fn generic(stage: SmtpStage, code: u16, enhanced: Option<&str>, message: String) -> Error {
    let (kind, hint) = match (code, stage) {
        (421, _) => (ErrorKind::Network, "The server closed the session; it will be reopened on the next send."),
        (400..=499, _) => (ErrorKind::Throttled, "The failure is temporary: retry later."),
        (530 | 535 | 534 | 538, _) | (_, SmtpStage::Auth) => (
            ErrorKind::Auth,
            "The server refused the credentials: check the token's audience and expiry, and that the user name is the mailbox the token is for.",
        ),
        (552, _) | (_, SmtpStage::RcptTo) => {
            (ErrorKind::Message, "Check the recipient addresses and the message size.")
        }
        (_, SmtpStage::MailFrom) => (ErrorKind::Permission, "Check that the mailbox may send from this address."),
        _ => (ErrorKind::Protocol, "See the server's reply."),
    };
    let err = Error::new(kind, message).with_hint(hint);
    match enhanced {
        Some(c) => err.with_code(c.to_owned()),
        None => err.with_code(code.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_enhanced_codes() {
        assert_eq!(enhanced_code("5.7.139 Authentication unsuccessful"), Some("5.7.139"));
        assert_eq!(enhanced_code("5.2.252 SendAsDenied; x"), Some("5.2.252"));
        assert_eq!(enhanced_code("Error: authentication failed"), None);
        assert_eq!(enhanced_code("1.2.3 no"), None);
        assert_eq!(enhanced_code(""), None);
    }

    #[test]
    fn exchange_replies_get_kind_code_and_hint() {
        let cases: [(SmtpStage, u16, &str, ErrorKind, &str, &str); 8] = [
            (
                SmtpStage::Auth,
                535,
                "5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information.",
                ErrorKind::Permission,
                "5.7.139",
                "Set-CASMailbox -Identity <mailbox> -SmtpClientAuthenticationDisabled $false",
            ),
            (
                SmtpStage::Auth,
                535,
                "5.7.3 Authentication unsuccessful [SN4PR0601CA0002.namprd06.prod.outlook.com]",
                ErrorKind::Auth,
                "5.7.3",
                "SMTP.SendAsApp",
            ),
            (
                SmtpStage::MailFrom,
                530,
                "5.7.57 Client not authenticated to send mail. [x]",
                ErrorKind::Auth,
                "5.7.57",
                "STARTTLS",
            ),
            (
                SmtpStage::Data,
                554,
                "5.2.252 SendAsDenied; alice@example.test not allowed to send as boss@example.test; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied",
                ErrorKind::Permission,
                "5.2.252",
                "Add-RecipientPermission",
            ),
            (
                SmtpStage::MailFrom,
                550,
                "5.7.60 SMTP; Client does not have permissions to send as this sender",
                ErrorKind::Permission,
                "5.7.60",
                "SendAs",
            ),
            (
                SmtpStage::RcptTo,
                550,
                "5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.",
                ErrorKind::Permission,
                "5.7.708",
                "tenant",
            ),
            (
                SmtpStage::MailFrom,
                451,
                "4.7.500 Server busy. Please try again later. [x]",
                ErrorKind::Throttled,
                "4.7.500",
                "30 messages per minute",
            ),
            (
                SmtpStage::Auth,
                535,
                "5.7.8 Error: authentication failed: (reason unavailable)",
                ErrorKind::Auth,
                "5.7.8",
                "audience",
            ),
        ];
        for (stage, code, text, kind, ecode, hint) in cases {
            let e = map_reply(stage, code, text);
            assert_eq!(e.kind(), kind, "{text}");
            assert_eq!(e.code(), Some(ecode), "{text}");
            assert!(e.hint().unwrap().contains(hint), "{text}: {:?}", e.hint());
            assert!(e.message_text().contains(text));
        }
        assert_eq!(
            map_reply(SmtpStage::MailFrom, 451, "4.7.500 Server busy").retry_after(),
            Some(Duration::from_secs(60))
        );
    }

    #[test]
    fn generic_replies_depend_on_the_stage() {
        assert_eq!(map_reply(SmtpStage::RcptTo, 550, "5.1.1 User unknown").kind(), ErrorKind::Message);
        assert_eq!(
            map_reply(SmtpStage::Data, 552, "5.3.4 Message size exceeds fixed limit").kind(),
            ErrorKind::Message
        );
        assert_eq!(map_reply(SmtpStage::Data, 421, "4.4.2 Timeout").kind(), ErrorKind::Network);
        assert_eq!(map_reply(SmtpStage::Data, 554, "Transaction failed").code(), Some("554"));
        assert_eq!(map_reply(SmtpStage::Auth, 504, "5.5.4 Unrecognized authentication type").kind(), ErrorKind::Auth);
    }
}
