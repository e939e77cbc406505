//! `GET /{tenant}/oauth2/v2.0/authorize` (auto-approving) and the authorization code grant.

use serde_json::Value;

use super::errors::AadError;
use super::scopes::Scopes;
use super::{Form, Identity, TenantRef, lock};
use crate::config::App;
use crate::http::{Request, Response};
use crate::util::{b64url, now_secs, random_token, sha256};

const CODE_LIFETIME_SECS: i64 = 600;

pub(crate) struct AuthCode {
    client_id: String,
    redirect_uri: String,
    challenge: Option<(String, String)>,
    user: String,
    scopes: Scopes,
    expires_at: i64,
    redeemed: bool,
}

/// Whether `uri` is allowed by the app's registered redirect URIs.
/// Loopback entries match any port and any path below theirs (Entra's rule for native apps).
fn redirect_allowed(app: &App, uri: &str) -> bool {
    let Ok(candidate) = url::Url::parse(uri) else {
        return false;
    };
    app.redirect_uris.iter().any(|registered| {
        let Ok(reg) = url::Url::parse(registered) else {
            return false;
        };
        let loopback = matches!(reg.host_str(), Some("127.0.0.1" | "localhost"));
        if loopback {
            reg.scheme() == candidate.scheme()
                && reg.host_str() == candidate.host_str()
                && candidate.path().starts_with(reg.path().trim_end_matches('/'))
        } else {
            reg.as_str() == candidate.as_str()
        }
    })
}

fn with_query(base: &str, params: &[(&str, &str)]) -> String {
    let mut url = base.to_string();
    let mut sep = if base.contains('?') { '&' } else { '?' };
    for (k, v) in params {
        let encoded: String = url::form_urlencoded::byte_serialize(v.as_bytes()).collect();
        url.push_str(&format!("{sep}{k}={encoded}"));
        sep = '&';
    }
    url
}

impl Identity {
    pub(super) fn authorize(&self, tenant_name: &str, req: &Request) -> Response {
        let q = |name: &str| req.query_param(name).filter(|v| !v.is_empty());
        // Errors before the redirect URI is trusted are shown, never redirected.
        let tenant = match self.resolve_tenant(tenant_name) {
            Ok(t) => t,
            Err(e) => return e.to_response(),
        };
        let Some(client_id) = q("client_id") else {
            return AadError::missing_parameter("client_id").to_response();
        };
        let Some(app) = self.config.find_app(client_id) else {
            return AadError::unknown_app(client_id, tenant.name()).to_response();
        };
        let redirect_uri = q("redirect_uri").unwrap_or("");
        if !redirect_allowed(app, redirect_uri) {
            return AadError::invalid_request(
                50011,
                format!(
                    "The redirect URI '{redirect_uri}' specified in the request does not match the \
                     redirect URIs configured for the application '{client_id}'."
                ),
            )
            .to_response();
        }
        let state = q("state").unwrap_or("");
        match self.grant_code(tenant, req, app) {
            Ok(code) => {
                let mut params = vec![("code", code.as_str())];
                if !state.is_empty() {
                    params.push(("state", state));
                }
                Response::redirect(&with_query(redirect_uri, &params))
            }
            Err((error, err)) => {
                let description = format!("AADSTS{}: {}", err.code, err.description);
                let mut params = vec![("error", error), ("error_description", description.as_str())];
                if !state.is_empty() {
                    params.push(("state", state));
                }
                Response::redirect(&with_query(redirect_uri, &params))
            }
        }
    }

    /// Signs in `login_hint` (default: the tenant's first user) and returns a fresh code.
    fn grant_code(&self, tenant: TenantRef<'_>, req: &Request, app: &App) -> Result<String, (&'static str, AadError)> {
        let q = |name: &str| req.query_param(name).filter(|v| !v.is_empty());
        if q("response_type") != Some("code") {
            let err = AadError::invalid_request(
                900144,
                "The request body must contain the following parameter: 'response_type' with value 'code'.",
            );
            return Err(("unsupported_response_type", err));
        }
        if let TenantRef::Registered(t) = tenant
            && self.tenant_id(&app.tenant) != t.id
        {
            return Err(("unauthorized_client", AadError::unknown_app(&app.client_id, &t.id)));
        }
        if !app.consented {
            return Err(("consent_required", AadError::no_consent(&app.client_id, &app.display_name)));
        }
        let scope = q("scope").ok_or(("invalid_request", AadError::missing_parameter("scope")))?;
        let scopes = self.delegated_scopes(scope, tenant).map_err(|e| ("invalid_scope", e))?;
        let challenge = match (q("code_challenge"), q("code_challenge_method").unwrap_or("plain")) {
            (None, _) => None,
            (Some(c), m @ ("S256" | "plain")) => Some((c.to_string(), m.to_string())),
            (Some(_), m) => {
                let err = AadError::invalid_request(501491, format!("Invalid code_challenge_method '{m}'."));
                return Err(("invalid_request", err));
            }
        };
        let username = match q("login_hint") {
            Some(hint) => hint.to_string(),
            None => self
                .config
                .users
                .iter()
                .find(|u| match tenant {
                    TenantRef::Registered(t) => self.tenant_id(&u.tenant) == t.id,
                    TenantRef::Alias(_) => true,
                })
                .map(|u| u.username.clone())
                .unwrap_or_default(),
        };
        let user = self.find_user(&username, tenant).map_err(|e| ("access_denied", e))?;
        let code = random_token();
        lock(&self.codes).insert(
            code.clone(),
            AuthCode {
                client_id: app.client_id.clone(),
                redirect_uri: q("redirect_uri").unwrap_or("").to_string(),
                challenge,
                user: user.username.clone(),
                scopes,
                expires_at: now_secs() + CODE_LIFETIME_SECS,
                redeemed: false,
            },
        );
        Ok(code)
    }

    pub(super) fn authorization_code(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<Value, AadError> {
        let client_auth = self.authenticate_client(app, form, tenant)?;
        let code = form.require("code")?;
        let (username, scopes) = {
            let mut codes = lock(&self.codes);
            let invalid = || AadError::invalid_grant(70000, "Provided grant is invalid or malformed.");
            let grant = codes.get_mut(code).ok_or_else(invalid)?;
            if !grant.client_id.eq_ignore_ascii_case(&app.client_id) {
                return Err(invalid());
            }
            if grant.redeemed {
                return Err(AadError::invalid_grant(
                    54005,
                    "OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.",
                ));
            }
            if now_secs() >= grant.expires_at {
                return Err(AadError::invalid_grant(
                    70008,
                    "The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.",
                ));
            }
            if form.get("redirect_uri") != Some(grant.redirect_uri.as_str()) {
                return Err(AadError::invalid_grant(
                    50148,
                    "The redirect_uri does not match the redirect_uri used when the authorization code was requested.",
                ));
            }
            if let Some((challenge, method)) = &grant.challenge {
                let verifier = form.get("code_verifier").unwrap_or("");
                let computed =
                    if method == "S256" { b64url(&sha256(verifier.as_bytes())) } else { verifier.to_string() };
                if verifier.is_empty() || &computed != challenge {
                    return Err(AadError::invalid_grant(
                        501481,
                        "The Code_Verifier does not match the code_challenge supplied in the authorization request.",
                    ));
                }
            }
            grant.redeemed = true;
            (grant.user.clone(), grant.scopes.clone())
        };
        let scopes = match form.get("scope") {
            Some(scope) => self.delegated_scopes(scope, tenant)?,
            None => scopes,
        };
        let user = self.find_user(&username, tenant)?;
        Ok(self.issue_delegated(app, user, &scopes, client_auth))
    }
}
