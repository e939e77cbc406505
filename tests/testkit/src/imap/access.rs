//! Who may open a mailbox over IMAP and POP3, decided like Exchange Online: a bad token fails
//! the login, but an app token without the protocol's role or without access to the mailbox
//! logs in and then gets "User is authenticated but not connected" for every command.

use serde_json::Value;

use crate::kit::Shared;
use crate::sasl::{self, Mechanism, Service};
use crate::tokens;

/// The outcome of a SASL login.
pub(crate) enum Access {
    /// The session may read `mailbox` until `expires` (the token's `exp`, Unix seconds).
    Granted { mailbox: String, expires: i64 },
    /// Logged in, but every later command is refused.
    NotConnected { mailbox: String, reason: String },
    /// The login fails.
    Refused(String),
}

/// The login's SASL user (for the auth log) and what it gets.
pub(crate) fn check(shared: &Shared, service: &Service, mechanism: Mechanism, response: &[u8]) -> (String, Access) {
    let Some(bearer) = sasl::parse(mechanism, response) else {
        return (String::new(), Access::Refused("malformed SASL response".into()));
    };
    let key = shared.identity.key();
    let claims = tokens::verify(key, &bearer.token, &sasl::AUDIENCES).ok();
    let app = claims.as_ref().is_some_and(|c| c.get("scp").is_none());
    let access = match sasl::authorize(key, service, &bearer, &|u| shared.is_mailbox(u)) {
        Ok(mailbox) => {
            let claims = claims.unwrap_or(Value::Null);
            let appid = claims.get("appid").and_then(Value::as_str).unwrap_or("");
            if app && !shared.store.app_may_access(appid, &mailbox) {
                Access::NotConnected { reason: format!("app {appid} has no access to mailbox '{mailbox}'"), mailbox }
            } else {
                let expires = claims.get("exp").and_then(Value::as_i64).unwrap_or(0);
                Access::Granted { mailbox, expires }
            }
        }
        // The token itself is fine: Exchange lets the app in and refuses every command.
        Err(reason) if app => Access::NotConnected { mailbox: bearer.user.to_ascii_lowercase(), reason },
        Err(reason) => Access::Refused(reason),
    };
    (bearer.user, access)
}
