//! SASL mechanisms that carry an OAuth 2.0 bearer token: XOAUTH2 (Google's and
//! Microsoft's) and OAUTHBEARER (RFC 7628), shared by SMTP, IMAP and POP3.
//!
//! Both mechanisms answer a bad token with an *error challenge* (base64 JSON
//! such as `{"status":"401","schemes":"bearer","scope":"..."}`) instead of a
//! final failure; the client must answer it ([`Mechanism::error_challenge_reply`])
//! before the server sends its final "authentication failed".

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

use crate::{Error, ErrorKind, Result, Secret};

/// A SASL mechanism for bearer tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `user=U ^A auth=Bearer T ^A^A`: the only one Exchange Online offers.
    Xoauth2,
    /// RFC 7628: gs2 header, host and port, then the bearer token.
    OAuthBearer,
}

impl Mechanism {
    /// The name used on the wire (`AUTH XOAUTH2`, `AUTHENTICATE OAUTHBEARER`).
    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "XOAUTH2",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }

    /// The unencoded initial client response. IMAP libraries that encode
    /// themselves take this; SMTP and POP3 send [`Mechanism::initial_response_base64`].
    pub fn initial_response(self, user: &str, token: &Secret, host: &str, port: u16) -> Result<Secret> {
        check_field("user name", user)?;
        check_token(token)?;
        let t = token.expose();
        Ok(Secret::new(match self {
            Mechanism::Xoauth2 => format!("user={user}\x01auth=Bearer {t}\x01\x01"),
            Mechanism::OAuthBearer => {
                check_field("host", host)?;
                format!("n,a={},\x01host={host}\x01port={port}\x01auth=Bearer {t}\x01\x01", gs2_escape(user))
            }
        }))
    }

    /// The initial client response, base64 encoded as SMTP `AUTH` and POP3 `AUTH` send it.
    pub fn initial_response_base64(self, user: &str, token: &Secret, host: &str, port: u16) -> Result<Secret> {
        let raw = self.initial_response(user, token, host, port)?;
        Ok(Secret::new(STANDARD.encode(raw.expose())))
    }

    /// What the client sends (base64, possibly empty) after an error challenge,
    /// so that the server finishes the exchange with its final failure reply:
    /// an empty response for XOAUTH2, `%x01` (`AQ==`) for OAUTHBEARER (RFC 7628 3.2.3).
    pub fn error_challenge_reply(self) -> &'static str {
        match self {
            Mechanism::Xoauth2 => "",
            Mechanism::OAuthBearer => "AQ==",
        }
    }
}

impl std::fmt::Display for Mechanism {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Mechanism {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_uppercase().as_str() {
            "XOAUTH2" => Ok(Mechanism::Xoauth2),
            "OAUTHBEARER" => Ok(Mechanism::OAuthBearer),
            _ => Err(Error::config(format!("unknown SASL mechanism '{s}'")).with_hint("Use XOAUTH2 or OAUTHBEARER.")),
        }
    }
}

/// RFC 5801 saslname: `=` and `,` in the authorization identity are escaped.
fn gs2_escape(user: &str) -> String {
    user.replace('=', "=3D").replace(',', "=2C")
}

/// The ^A separator or a line break inside a field would let it end the
/// message early or inject another field.
fn check_field(what: &str, value: &str) -> Result<()> {
    if value.is_empty() {
        return Err(Error::config(format!("the SASL {what} is empty")));
    }
    if value.chars().any(|c| c.is_control()) {
        return Err(Error::config(format!("the SASL {what} contains a control character")));
    }
    Ok(())
}

fn check_token(token: &Secret) -> Result<()> {
    // RFC 6750 b64token characters; never echo the token itself.
    let ok = |c: char| c.is_ascii_alphanumeric() || "-._~+/=".contains(c);
    if token.is_empty() || !token.expose().chars().all(ok) {
        return Err(Error::config("the access token is empty or contains characters a bearer token cannot have")
            .with_hint("Pass the access token itself, without 'Bearer ' or quotes."));
    }
    Ok(())
}

/// The JSON a server sends in an error challenge (RFC 7628 3.2.2; Google and
/// Microsoft send the same shape for XOAUTH2).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorChallenge {
    /// `"401"` (XOAUTH2), `"invalid_token"`, `"insufficient_scope"`, ...
    pub status: Option<String>,
    /// `"bearer"` / `"Bearer"`.
    pub schemes: Option<String>,
    /// The scope the server expects, e.g. `https://mail.google.com/`.
    pub scope: Option<String>,
    /// Where to discover the authorization server (RFC 7628 `openid-configuration`).
    pub openid_configuration: Option<String>,
}

impl ErrorChallenge {
    /// Decodes the base64 text of a challenge (`334 <this>` in SMTP, `+ <this>` in IMAP/POP3).
    pub fn decode(challenge: &str) -> Result<ErrorChallenge> {
        let bad = |why: &str| Error::protocol(format!("the server's SASL challenge is not an OAuth error: {why}"));
        let bytes = STANDARD.decode(challenge.trim()).map_err(|_| bad("not base64"))?;
        let json: serde_json::Value = serde_json::from_slice(&bytes).map_err(|_| bad("not JSON"))?;
        let obj = json.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let field = |name: &str| {
            obj.get(name).and_then(|v| match v {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Null => None,
                other => Some(other.to_string()),
            })
        };
        Ok(ErrorChallenge {
            status: field("status"),
            schemes: field("schemes"),
            scope: field("scope"),
            openid_configuration: field("openid-configuration"),
        })
    }

    /// Whether the server says the token itself is bad (expired, revoked,
    /// wrong signature), which a fresh token may fix.
    pub fn is_invalid_token(&self) -> bool {
        matches!(self.status.as_deref(), Some("401" | "invalid_token") | None)
    }

    /// An `Auth` error that explains the challenge; `final_reply` is the
    /// server's last word after we answered it, when there is one.
    pub fn to_error(&self, mechanism: Mechanism, final_reply: Option<&str>) -> Error {
        let mut msg = format!("the server rejected the access token ({mechanism}");
        if let Some(status) = &self.status {
            msg.push_str(&format!(", status {status}"));
        }
        if let Some(scope) = &self.scope {
            msg.push_str(&format!(", expected scope {scope}"));
        }
        msg.push(')');
        if let Some(reply) = final_reply {
            msg.push_str(&format!(": {}", reply.trim()));
        }
        let kind =
            if self.status.as_deref() == Some("insufficient_scope") { ErrorKind::Permission } else { ErrorKind::Auth };
        Error::new(kind, msg).with_code(self.status.clone().unwrap_or_else(|| "invalid_token".into())).with_hint(
            "Check that the token has not expired, that its audience/scope match the server \
             (e.g. https://outlook.office365.com/.default for Exchange), and that the user name is the mailbox the token was issued for.",
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(m: Mechanism, user: &str, token: &str, host: &str, port: u16) -> String {
        m.initial_response_base64(user, &Secret::new(token), host, port).unwrap().expose().to_owned()
    }

    #[test]
    fn xoauth2_matches_googles_documented_example() {
        // developers.google.com/gmail/imap/xoauth2-protocol, "Initial client response".
        assert_eq!(
            b64(Mechanism::Xoauth2, "someuser@example.com", "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg", "", 0),
            "dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJlYXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0Q2cBAQ=="
        );
    }

    #[test]
    fn xoauth2_matches_microsofts_documented_example() {
        // learn.microsoft.com/exchange/client-developer/legacy-protocols/how-to-authenticate-an-imap-pop-smtp-application-by-using-oauth
        assert_eq!(
            b64(Mechanism::Xoauth2, "test@contoso.onmicrosoft.com", "EwBAAl3BAAUFFpUAo7J3Ve0bjLBWZWCclRC3EoAA", "", 0),
            "dXNlcj10ZXN0QGNvbnRvc28ub25taWNyb3NvZnQuY29tAWF1dGg9QmVhcmVyIEV3QkFBbDNCQUFVRkZwVUFvN0ozVmUwYmpMQldaV0NjbFJDM0VvQUEBAQ=="
        );
    }

    #[test]
    fn oauthbearer_matches_rfc7628_example() {
        // RFC 7628 section 4.1.
        let raw = Mechanism::OAuthBearer
            .initial_response(
                "user@example.com",
                &Secret::new("vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg=="),
                "server.example.com",
                143,
            )
            .unwrap();
        assert_eq!(
            raw.expose(),
            "n,a=user@example.com,\x01host=server.example.com\x01port=143\x01auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==\x01\x01"
        );
        assert_eq!(
            b64(
                Mechanism::OAuthBearer,
                "user@example.com",
                "vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==",
                "server.example.com",
                143
            ),
            "bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB"
        );
    }

    #[test]
    fn oauthbearer_escapes_the_authzid() {
        let raw = Mechanism::OAuthBearer.initial_response("a=b,c", &Secret::new("t"), "h", 1).unwrap();
        assert!(raw.expose().starts_with("n,a=a=3Db=2Cc,\x01"));
    }

    #[test]
    fn decodes_googles_error_challenge() {
        // Google's documented SMTP/IMAP error response.
        let c = ErrorChallenge::decode(
            "eyJzdGF0dXMiOiI0MDEiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==",
        )
        .unwrap();
        assert_eq!(c.status.as_deref(), Some("401"));
        assert_eq!(c.schemes.as_deref(), Some("Bearer"));
        assert_eq!(c.scope.as_deref(), Some("https://mail.google.com/"));
        assert!(c.is_invalid_token());
    }

    #[test]
    fn decodes_rfc7628_error_challenge() {
        // RFC 7628 section 4.3.
        let c = ErrorChallenge::decode("eyJzdGF0dXMiOiJpbnZhbGlkX3Rva2VuIiwic2NvcGUiOiJleGFtcGxlX3Njb3BlIiwib3BlbmlkLWNvbmZpZ3VyYXRpb24iOiJodHRwczovL2V4YW1wbGUuY29tLy53ZWxsLWtub3duL29wZW5pZC1jb25maWd1cmF0aW9uIn0=").unwrap();
        assert_eq!(c.status.as_deref(), Some("invalid_token"));
        assert_eq!(c.scope.as_deref(), Some("example_scope"));
        assert_eq!(c.openid_configuration.as_deref(), Some("https://example.com/.well-known/openid-configuration"));
        let e = c.to_error(Mechanism::OAuthBearer, Some("535 5.7.8 Error: authentication failed"));
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert_eq!(e.code(), Some("invalid_token"));
        assert!(e.message_text().contains("example_scope") && e.message_text().contains("5.7.8"));
    }

    #[test]
    fn insufficient_scope_is_a_permission_error() {
        let c = ErrorChallenge { status: Some("insufficient_scope".into()), ..Default::default() };
        assert!(!c.is_invalid_token());
        assert_eq!(c.to_error(Mechanism::OAuthBearer, None).kind(), ErrorKind::Permission);
    }

    #[test]
    fn garbage_challenge_is_a_protocol_error() {
        assert_eq!(ErrorChallenge::decode("%%%").unwrap_err().kind(), ErrorKind::Protocol);
        assert_eq!(ErrorChallenge::decode("bm90IGpzb24=").unwrap_err().kind(), ErrorKind::Protocol);
    }

    #[test]
    fn refuses_separators_in_fields_and_never_echoes_the_token() {
        let e = Mechanism::Xoauth2.initial_response("a\x01b", &Secret::new("t"), "", 0).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let e = Mechanism::Xoauth2.initial_response("a", &Secret::new("secret tok\x01en"), "", 0).unwrap_err();
        assert!(!e.to_string().contains("secret"));
        assert_eq!(Mechanism::Xoauth2.error_challenge_reply(), "");
        assert_eq!(Mechanism::OAuthBearer.error_challenge_reply(), "AQ==");
    }
}
