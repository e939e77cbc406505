//! OAuth 2.0 error replies (RFC 6749 5.2, plus Microsoft's extra fields) and
//! what the AADSTS codes in them mean for the user.

use serde::Deserialize;

use crate::{Error, ErrorKind};

/// The error JSON of a token endpoint.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct OAuthErrorResponse {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default)]
    pub error_codes: Vec<u64>,
    #[serde(default)]
    pub correlation_id: Option<String>,
    #[serde(default)]
    pub trace_id: Option<String>,
}

impl OAuthErrorResponse {
    /// `None` when the body is not an OAuth error object.
    pub fn parse(body: &[u8]) -> Option<Self> {
        serde_json::from_slice::<OAuthErrorResponse>(body).ok().filter(|e| !e.error.is_empty())
    }

    /// The first AADSTS number, from `error_codes` or the description.
    pub fn aadsts(&self) -> Option<u64> {
        self.error_codes.first().copied().or_else(|| {
            let d = self.error_description.as_deref()?;
            let digits: String = d.strip_prefix("AADSTS")?.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    }

    /// The description's first line: Microsoft appends trace and correlation
    /// ids and a timestamp on further lines, which we report separately.
    pub fn summary(&self) -> String {
        let desc = self.error_description.as_deref().unwrap_or("").lines().next().unwrap_or("").trim();
        if desc.is_empty() { self.error.clone() } else { desc.to_owned() }
    }

    /// Our error for this reply, with code, hint and ids for support cases.
    pub fn to_error(&self, http_status: u16) -> Error {
        let (kind, hint) = match self.aadsts() {
            Some(code) => aadsts_meaning(code).unwrap_or_else(|| generic_meaning(&self.error, http_status)),
            None => generic_meaning(&self.error, http_status),
        };
        let code = self.aadsts().map_or_else(|| self.error.clone(), |n| format!("AADSTS{n}"));
        let mut message = self.summary();
        let ids: Vec<String> = [("trace ID", &self.trace_id), ("correlation ID", &self.correlation_id)]
            .into_iter()
            .filter_map(|(name, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| format!("{name} {v}")))
            .collect();
        if !ids.is_empty() {
            message = format!("{message} ({})", ids.join(", "));
        }
        let mut err = Error::new(kind, message).with_code(code);
        if let Some(hint) = hint {
            err = err.with_hint(hint);
        }
        err
    }
}

/// Kind and hint for the AADSTS codes users meet most when setting up mail.
pub fn aadsts_meaning(code: u64) -> Option<(ErrorKind, Option<&'static str>)> {
    use ErrorKind::*;
    let (kind, hint) = match code {
        7000215 => (
            Auth,
            "The client secret is wrong: use the secret's Value (not its Secret ID) from Entra ID > App registrations > Certificates & secrets.",
        ),
        7000222 => (
            Auth,
            "The client secret has expired: create a new one under Entra ID > App registrations > Certificates & secrets and update your configuration.",
        ),
        700016 => (
            Auth,
            "No application with this client ID exists in the tenant: check the Application (client) ID and tenant ID, and that an admin has added the app to this tenant.",
        ),
        90002 => (
            Auth,
            "The tenant was not found: check the tenant ID or domain, and that the authority matches the tenant's cloud (public, US Government or China).",
        ),
        50126 => (
            Auth,
            "The user name or password is wrong (or the account is federated, which the password grant does not support).",
        ),
        50076 | 50079 => (
            Auth,
            "The account requires multi-factor authentication, which the password grant cannot do: use DeviceCodeCredential or AuthorizationCodeCredential, or an app-only credential.",
        ),
        65001 => (
            Permission,
            "The app has no consent for these permissions: an administrator must grant admin consent under Entra ID > App registrations > API permissions.",
        ),
        70011 => (
            Config,
            "The scope is invalid: app-only credentials need '<resource>/.default', e.g. https://outlook.office365.com/.default.",
        ),
        500011 => (
            Config,
            "The resource in the scope does not exist in this tenant: check the scope's URL (for Exchange Online use https://outlook.office365.com/.default).",
        ),
        50034 => (Auth, "The user account does not exist in this tenant: check the user name and the tenant."),
        53003 => (
            Permission,
            "A Conditional Access policy blocked the sign-in: ask your administrator to allow this app, location or device.",
        ),
        700024 => {
            (Auth, "The client assertion is outside its valid time range: check that this machine's clock is correct.")
        }
        70043 | 700082 => (Auth, "The refresh token has expired or was revoked: sign in again."),
        50196 => (
            Throttled,
            "The identity platform saw too many identical requests: cache tokens and reuse them instead of requesting one per operation.",
        ),
        501481 => (
            Auth,
            "The PKCE code verifier does not match the authorization request: redeem each code with the request that produced it.",
        ),
        700027 => (
            Auth,
            "The client assertion's signature is invalid: upload this certificate to the app registration and sign with its private key.",
        ),
        _ => return None,
    };
    Some((kind, Some(hint)))
}

/// Kind and hint from the standard `error` value when there is no known AADSTS code.
fn generic_meaning(error: &str, http_status: u16) -> (ErrorKind, Option<&'static str>) {
    use ErrorKind::*;
    match error {
        "invalid_client" | "unauthorized_client" => (Auth, Some("Check the client ID and its secret or certificate.")),
        "invalid_grant" => (Auth, Some("The grant (code, password or refresh token) was rejected: sign in again.")),
        "invalid_scope" => (Config, Some("Check the requested scopes.")),
        "invalid_request" | "unsupported_grant_type" => (Config, None),
        "access_denied" => (Auth, Some("The user or an administrator declined the sign-in.")),
        "expired_token" => {
            (Auth, Some("The device code expired before the user signed in: start again and sign in sooner."))
        }
        "temporarily_unavailable" => (Network, None),
        _ if http_status == 429 => (Throttled, None),
        _ if http_status >= 500 => (Network, None),
        _ => (Auth, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BAD_SECRET: &str = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.\r\nTrace ID: t-1\r\nCorrelation ID: c-1\r\nTimestamp: 2026-01-01 00:00:00Z","error_codes":[7000215],"timestamp":"2026-01-01 00:00:00Z","trace_id":"t-1","correlation_id":"c-1"}"#;

    #[test]
    fn parses_microsoft_error_json() {
        let e = OAuthErrorResponse::parse(BAD_SECRET.as_bytes()).unwrap();
        assert_eq!(e.aadsts(), Some(7000215));
        let err = e.to_error(401);
        assert_eq!(err.kind(), ErrorKind::Auth);
        assert_eq!(err.code(), Some("AADSTS7000215"));
        assert!(err.message_text().starts_with("AADSTS7000215: Invalid client secret provided."));
        assert!(err.message_text().ends_with("(trace ID t-1, correlation ID c-1)"));
        assert!(!err.message_text().contains("Timestamp"));
        assert!(err.hint().unwrap().contains("Secret ID"));
    }

    #[test]
    fn every_required_code_has_a_kind_and_hint() {
        let expect = [
            (7000215, ErrorKind::Auth),
            (7000222, ErrorKind::Auth),
            (700016, ErrorKind::Auth),
            (90002, ErrorKind::Auth),
            (50126, ErrorKind::Auth),
            (50076, ErrorKind::Auth),
            (50079, ErrorKind::Auth),
            (65001, ErrorKind::Permission),
            (70011, ErrorKind::Config),
            (50034, ErrorKind::Auth),
            (53003, ErrorKind::Permission),
            (700024, ErrorKind::Auth),
            (70043, ErrorKind::Auth),
            (700082, ErrorKind::Auth),
            (50196, ErrorKind::Throttled),
        ];
        for (code, kind) in expect {
            let (k, hint) = aadsts_meaning(code).unwrap_or_else(|| panic!("AADSTS{code} unmapped"));
            assert_eq!(k, kind, "AADSTS{code}");
            assert!(hint.is_some_and(|h| h.ends_with('.')), "AADSTS{code}");
        }
    }

    #[test]
    fn code_from_description_and_plain_oauth_errors() {
        let e = OAuthErrorResponse::parse(
            br#"{"error":"invalid_grant","error_description":"AADSTS70043: The refresh token has expired."}"#,
        )
        .unwrap();
        assert_eq!(e.to_error(400).code(), Some("AADSTS70043"));
        let google =
            OAuthErrorResponse::parse(br#"{"error":"invalid_grant","error_description":"Bad Request"}"#).unwrap();
        let err = google.to_error(400);
        assert_eq!((err.kind(), err.code()), (ErrorKind::Auth, Some("invalid_grant")));
        assert_eq!(err.message_text(), "Bad Request");
        assert!(OAuthErrorResponse::parse(b"<html>").is_none());
        assert!(OAuthErrorResponse::parse(br#"{"access_token":"x"}"#).is_none());
    }
}
