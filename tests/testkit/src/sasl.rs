//! SASL XOAUTH2 / OAUTHBEARER for the kit's mail servers: parsing, and checking the bearer
//! token the way Exchange Online does for each protocol.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::fixture::OUTLOOK_RESOURCE;
use crate::pki::RsaKey;
use crate::tokens::{self, TokenRejection};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mechanism {
    XOAuth2,
    OAuthBearer,
}

impl Mechanism {
    pub fn parse(name: &str) -> Option<Mechanism> {
        match name.to_ascii_uppercase().as_str() {
            "XOAUTH2" => Some(Mechanism::XOAuth2),
            "OAUTHBEARER" => Some(Mechanism::OAuthBearer),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::XOAuth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The base64 error challenge sent before the final failure reply (Exchange's JSON).
    pub fn failure_challenge(self, scope: &str) -> String {
        let json = match self {
            Mechanism::XOAuth2 => {
                format!(r#"{{"status":"401","schemes":"bearer","scope":"{scope}"}}"#)
            }
            Mechanism::OAuthBearer => {
                format!(r#"{{"status":"invalid_token","schemes":"bearer","scope":"{scope}"}}"#)
            }
        };
        STANDARD.encode(json)
    }
}

/// The user and token a client presented.
pub(crate) struct Bearer {
    pub user: String,
    pub token: String,
}

/// Parses a decoded initial response:
/// XOAUTH2 `user=U\x01auth=Bearer T\x01\x01`, OAUTHBEARER `n,a=U,\x01host=..\x01auth=Bearer T\x01\x01`.
pub(crate) fn parse(mechanism: Mechanism, response: &[u8]) -> Option<Bearer> {
    let text = std::str::from_utf8(response).ok()?;
    let (mut user, fields) = match mechanism {
        Mechanism::XOAuth2 => (None, text),
        Mechanism::OAuthBearer => {
            let (gs2, rest) = text.split_once('\x01')?;
            let mut parts = gs2.split(',');
            if !matches!(parts.next()?, "n" | "y") {
                return None;
            }
            let authzid = parts.next()?.strip_prefix("a=").map(|a| a.replace("=2C", ",").replace("=3D", "="));
            (authzid, rest)
        }
    };
    let mut token = None;
    for field in fields.split('\x01').filter(|f| !f.is_empty()) {
        if let Some(u) = field.strip_prefix("user=") {
            user = Some(u.to_string());
        } else if let Some(auth) = field.strip_prefix("auth=") {
            let (scheme, value) = auth.split_once(' ')?;
            if !scheme.eq_ignore_ascii_case("bearer") {
                return None;
            }
            token = Some(value.trim().to_string());
        }
    }
    Some(Bearer { user: user.filter(|u| !u.is_empty())?, token: token.filter(|t| !t.is_empty())? })
}

/// What a protocol requires of a token.
pub(crate) struct Service {
    /// App tokens need this role.
    pub app_role: &'static str,
    /// Delegated tokens need this permission in `scp`.
    pub user_scope: &'static str,
    /// `scope` named in failure challenges.
    pub challenge_scope: &'static str,
}

pub(crate) const SMTP: Service = Service {
    app_role: "SMTP.SendAsApp",
    user_scope: "SMTP.Send",
    challenge_scope: "https://outlook.office.com/SMTP.Send",
};

pub(crate) const IMAP: Service = Service {
    app_role: "IMAP.AccessAsApp",
    user_scope: "IMAP.AccessAsUser.All",
    challenge_scope: "https://outlook.office.com/IMAP.AccessAsUser.All",
};

pub(crate) const POP: Service = Service {
    app_role: "POP.AccessAsApp",
    user_scope: "POP.AccessAsUser.All",
    challenge_scope: "https://outlook.office.com/POP.AccessAsUser.All",
};

pub(crate) const AUDIENCES: [&str; 2] = [OUTLOOK_RESOURCE, "https://outlook.office.com"];

fn claim<'a>(claims: &'a Value, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Checks `bearer` for `service`: signature, expiry, audience, the mailbox, and the role or
/// scope. Returns the mailbox, or why it was refused (for the kit's auth log).
pub(crate) fn authorize(
    key: &RsaKey,
    service: &Service,
    bearer: &Bearer,
    mailbox_exists: &dyn Fn(&str) -> bool,
) -> Result<String, String> {
    let claims = tokens::verify(key, &bearer.token, &AUDIENCES).map_err(|r| match r {
        TokenRejection::Malformed => "not a JWT".to_string(),
        TokenRejection::BadSignature => "bad signature".into(),
        TokenRejection::Expired => "token expired".into(),
        TokenRejection::WrongAudience(aud) => format!("wrong audience '{aud}'"),
    })?;
    let user = bearer.user.as_str();
    if let Some(scp) = claim(&claims, "scp") {
        if !scp.split(' ').any(|s| s.eq_ignore_ascii_case(service.user_scope)) {
            return Err(format!("scp lacks {}", service.user_scope));
        }
        let owner = claim(&claims, "preferred_username").or(claim(&claims, "upn")).unwrap_or("");
        if !owner.eq_ignore_ascii_case(user) {
            return Err(format!("token is for '{owner}', not '{user}'"));
        }
    } else {
        let has_role = claims
            .get("roles")
            .and_then(Value::as_array)
            .is_some_and(|roles| roles.iter().any(|r| r.as_str() == Some(service.app_role)));
        if !has_role {
            return Err(format!("app token lacks role {}", service.app_role));
        }
        if let Some(bound) = claim(&claims, "preferred_username")
            && !bound.eq_ignore_ascii_case(user)
        {
            return Err(format!("app token is bound to '{bound}', not '{user}'"));
        }
    }
    if !mailbox_exists(user) {
        return Err(format!("no mailbox '{user}'"));
    }
    Ok(user.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_mechanisms() {
        let b = parse(Mechanism::XOAuth2, b"user=a@b\x01auth=Bearer tok\x01\x01").unwrap();
        assert_eq!((b.user.as_str(), b.token.as_str()), ("a@b", "tok"));
        let b = parse(Mechanism::OAuthBearer, b"n,a=a@b,\x01host=127.0.0.1\x01port=587\x01auth=Bearer tok\x01\x01")
            .unwrap();
        assert_eq!((b.user.as_str(), b.token.as_str()), ("a@b", "tok"));
        assert!(parse(Mechanism::XOAuth2, b"user=a@b\x01auth=Basic x\x01\x01").is_none());
        assert!(parse(Mechanism::OAuthBearer, b"garbage").is_none());
    }
}
