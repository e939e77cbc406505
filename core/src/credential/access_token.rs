use std::time::{Duration, SystemTime};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use crate::{Error, Result, Secret};

/// An access token and when it expires. `Debug` never shows the token.
#[derive(Clone, Debug)]
pub struct AccessToken {
    token: Secret,
    expires_on: SystemTime,
}

impl AccessToken {
    pub fn new(token: impl Into<Secret>, expires_on: SystemTime) -> Self {
        AccessToken { token: token.into(), expires_on }
    }

    /// The bearer token. Do not log it.
    pub fn token(&self) -> &Secret {
        &self.token
    }

    pub fn expires_on(&self) -> SystemTime {
        self.expires_on
    }

    /// Seconds since the Unix epoch, as Azure Identity reports `expires_on`.
    pub fn expires_on_unix(&self) -> u64 {
        self.expires_on.duration_since(SystemTime::UNIX_EPOCH).map_or(0, |d| d.as_secs())
    }

    /// Time left before expiry (zero when expired).
    pub fn remaining(&self) -> Duration {
        self.expires_on.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO)
    }

    /// The JWT payload, decoded **without** verifying the signature: for
    /// explaining a missing role or wrong audience, never for trusting it.
    pub fn claims(&self) -> Result<Claims> {
        Claims::decode(self.token.expose())
    }
}

/// The claims of a Microsoft (or any JWT) access token that explain what it may do.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct Claims {
    /// Audience: `https://outlook.office365.com` for mail, `https://graph.microsoft.com` for Graph.
    #[serde(default, deserialize_with = "string_or_first")]
    pub aud: Option<String>,
    pub iss: Option<String>,
    /// Tenant id.
    pub tid: Option<String>,
    /// Application (client) id, v1 tokens.
    pub appid: Option<String>,
    /// Application (client) id, v2 tokens.
    pub azp: Option<String>,
    /// Application permissions, e.g. `IMAP.AccessAsApp`, `SMTP.SendAsApp`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Delegated permissions, space separated.
    pub scp: Option<String>,
    pub sub: Option<String>,
    pub oid: Option<String>,
    pub upn: Option<String>,
    pub preferred_username: Option<String>,
    pub exp: Option<u64>,
    pub iat: Option<u64>,
    pub nbf: Option<u64>,
    /// Every claim, including those not named above.
    #[serde(skip)]
    pub all: serde_json::Map<String, serde_json::Value>,
}

fn string_or_first<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    Ok(match Option::<serde_json::Value>::deserialize(d)? {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Array(a)) => a.into_iter().find_map(|v| v.as_str().map(str::to_owned)),
        _ => None,
    })
}

impl Claims {
    /// Decodes the payload of a compact JWT without checking its signature.
    pub fn decode(jwt: &str) -> Result<Claims> {
        let not_jwt = || {
            Error::config("the access token is not a JWT, so its claims cannot be read")
                .with_hint("Google and some other providers issue opaque tokens; only JWTs carry readable claims.")
        };
        let mut parts = jwt.split('.');
        let (Some(_header), Some(payload), Some(_sig), None) = (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(not_jwt());
        };
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload.trim_end_matches('='))
            .map_err(|_| not_jwt())?;
        let all: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes).map_err(|_| not_jwt())?;
        let mut claims: Claims =
            serde_json::from_value(serde_json::Value::Object(all.clone())).map_err(|_| not_jwt())?;
        claims.all = all;
        Ok(claims)
    }

    /// The application id, whichever token version carried it.
    pub fn app_id(&self) -> Option<&str> {
        self.appid.as_deref().or(self.azp.as_deref())
    }

    /// Delegated scopes as a list.
    pub fn scopes(&self) -> Vec<&str> {
        self.scp.as_deref().map(|s| s.split_whitespace().collect()).unwrap_or_default()
    }

    /// Whether the token carries an application role or delegated scope of this name.
    pub fn has_permission(&self, name: &str) -> bool {
        self.roles.iter().any(|r| r == name) || self.scopes().contains(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        format!("{}.{}.sig", b(r#"{"typ":"JWT","alg":"RS256"}"#), b(payload))
    }

    #[test]
    fn decodes_microsoft_app_token_claims() {
        let t = jwt(
            r#"{"aud":"https://outlook.office365.com","tid":"t1","appid":"a1","roles":["IMAP.AccessAsApp"],"exp":1700000000,"xms":1}"#,
        );
        let c = Claims::decode(&t).unwrap();
        assert_eq!(c.aud.as_deref(), Some("https://outlook.office365.com"));
        assert_eq!(c.app_id(), Some("a1"));
        assert!(c.has_permission("IMAP.AccessAsApp"));
        assert!(!c.has_permission("SMTP.SendAsApp"));
        assert_eq!(c.exp, Some(1_700_000_000));
        assert_eq!(c.all["xms"], 1);
    }

    #[test]
    fn delegated_scopes_and_array_audience() {
        let c = Claims::decode(&jwt(r#"{"aud":["x","y"],"scp":"IMAP.AccessAsUser.All SMTP.Send"}"#)).unwrap();
        assert_eq!(c.aud.as_deref(), Some("x"));
        assert!(c.has_permission("SMTP.Send"));
    }

    #[test]
    fn opaque_token_is_a_clear_error() {
        let e = Claims::decode("ya29.opaque-google-token").unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Config);
        assert!(!e.to_string().contains("ya29"));
    }
}
