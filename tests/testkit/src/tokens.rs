//! Access tokens: what they carry (`TokenRequest`), minting, and checking them (mail servers).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::fixture;
use crate::jwt;
use crate::pki::RsaKey;
use crate::util::{now_secs, uuid_from_name};

/// What an access token is issued for. Used by the token endpoint and by
/// `TestKit::issue_token` (mail-server tests that need a token without an OAuth flow).
#[derive(Clone, Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TokenRequest {
    pub tenant: String,
    pub client_id: String,
    /// The resource (`aud`), e.g. `https://outlook.office365.com`.
    pub audience: String,
    /// Delegated token for this user (`scp`, `upn`, `preferred_username`); None: app token.
    pub user: Option<String>,
    /// App roles (app tokens).
    pub roles: Vec<String>,
    /// Delegated permissions (user tokens), without the resource prefix.
    pub scp: Vec<String>,
    /// App tokens: the test-only mailbox binding (`preferred_username`), see `App::mailbox`.
    pub mailbox: Option<String>,
    /// Seconds until `exp`; negative gives an already expired token. None: the kit's lifetime.
    pub expires_in: Option<i64>,
    /// `appidacr`/`azpacr`: "0" public client, "1" secret, "2" certificate.
    pub client_auth: String,
}

impl Default for TokenRequest {
    fn default() -> Self {
        TokenRequest {
            tenant: fixture::TENANT_ID.into(),
            client_id: fixture::CONFIDENTIAL_APP_ID.into(),
            audience: fixture::OUTLOOK_RESOURCE.into(),
            user: None,
            roles: Vec::new(),
            scp: Vec::new(),
            mailbox: None,
            expires_in: None,
            client_auth: "1".into(),
        }
    }
}

impl TokenRequest {
    /// An app token of the fixture's confidential app on Exchange Online with these roles.
    pub fn app(roles: &[&str]) -> TokenRequest {
        TokenRequest { roles: roles.iter().map(|r| r.to_string()).collect(), ..TokenRequest::default() }
    }

    /// A delegated token of the fixture's public client for `user` on Exchange Online.
    pub fn user(user: &str, scp: &[&str]) -> TokenRequest {
        TokenRequest {
            client_id: fixture::PUBLIC_APP_ID.into(),
            user: Some(user.into()),
            scp: scp.iter().map(|s| s.to_string()).collect(),
            client_auth: "0".into(),
            ..TokenRequest::default()
        }
    }

    pub fn audience(mut self, audience: &str) -> TokenRequest {
        self.audience = audience.into();
        self
    }

    pub fn client_id(mut self, client_id: &str) -> TokenRequest {
        self.client_id = client_id.into();
        self
    }

    pub fn tenant(mut self, tenant: &str) -> TokenRequest {
        self.tenant = tenant.into();
        self
    }

    pub fn mailbox(mut self, mailbox: &str) -> TokenRequest {
        self.mailbox = Some(mailbox.into());
        self
    }

    pub fn expires_in(mut self, secs: i64) -> TokenRequest {
        self.expires_in = Some(secs);
        self
    }
}

/// The claims of a token for `req`, issued now.
pub(crate) fn claims(issuer: &str, req: &TokenRequest, lifetime: i64, app_name: &str) -> Value {
    let now = now_secs();
    let exp = now + req.expires_in.unwrap_or(lifetime);
    // Backdated five minutes, as Entra ID does for clock skew: a server whose clock reads a
    // second behind (Dovecot once did) would otherwise refuse a fresh token as not yet valid.
    // An expired token must still look internally consistent (iat/nbf before exp).
    let iat = (now - 300).min(exp - 1);
    let mut c = Map::new();
    c.insert("aud".into(), json!(req.audience));
    c.insert("iss".into(), json!(format!("{issuer}/{}/", req.tenant)));
    c.insert("iat".into(), json!(iat));
    c.insert("nbf".into(), json!(iat));
    c.insert("exp".into(), json!(exp));
    c.insert("app_displayname".into(), json!(app_name));
    c.insert("appid".into(), json!(req.client_id));
    c.insert("appidacr".into(), json!(req.client_auth));
    c.insert("azp".into(), json!(req.client_id));
    c.insert("azpacr".into(), json!(req.client_auth));
    c.insert("tid".into(), json!(req.tenant));
    c.insert("ver".into(), json!("1.0"));
    match &req.user {
        Some(user) => {
            let oid = uuid_from_name(&format!("user:{}", user.to_ascii_lowercase()));
            c.insert("idtyp".into(), json!("user"));
            c.insert("oid".into(), json!(oid));
            c.insert("sub".into(), json!(oid));
            c.insert("scp".into(), json!(req.scp.join(" ")));
            c.insert("upn".into(), json!(user));
            c.insert("unique_name".into(), json!(user));
            c.insert("preferred_username".into(), json!(user));
        }
        None => {
            let oid = uuid_from_name(&format!("sp:{}", req.client_id.to_ascii_lowercase()));
            c.insert("idtyp".into(), json!("app"));
            c.insert("oid".into(), json!(oid));
            c.insert("sub".into(), json!(oid));
            if !req.roles.is_empty() {
                c.insert("roles".into(), json!(req.roles));
            }
            if let Some(mailbox) = &req.mailbox {
                c.insert("preferred_username".into(), json!(mailbox));
            }
        }
    }
    Value::Object(c)
}

pub(crate) fn mint(key: &RsaKey, claims: &Value) -> String {
    jwt::sign(key, claims)
}

/// Why a bearer token was refused (mail servers log it; clients only see a generic failure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenRejection {
    Malformed,
    BadSignature,
    Expired,
    WrongAudience(String),
}

/// Verifies signature, expiry and audience of one of our tokens; returns its claims.
pub(crate) fn verify(key: &RsaKey, token: &str, audiences: &[&str]) -> Result<Value, TokenRejection> {
    let parsed = jwt::parse(token).ok_or(TokenRejection::Malformed)?;
    if parsed.header.get("alg").and_then(Value::as_str) != Some("RS256")
        || !key.verify(parsed.signing_input.as_bytes(), &parsed.signature)
    {
        return Err(TokenRejection::BadSignature);
    }
    let exp = parsed.claims.get("exp").and_then(Value::as_i64).ok_or(TokenRejection::Malformed)?;
    if exp <= now_secs() {
        return Err(TokenRejection::Expired);
    }
    let aud = parsed.claims.get("aud").and_then(Value::as_str).unwrap_or("");
    if !audiences.iter().any(|a| a.trim_end_matches('/').eq_ignore_ascii_case(aud.trim_end_matches('/'))) {
        return Err(TokenRejection::WrongAudience(aud.to_string()));
    }
    Ok(parsed.claims)
}
