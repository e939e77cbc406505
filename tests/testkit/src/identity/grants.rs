//! The token endpoint: one function per grant type.

use serde_json::Value;

use super::errors::AadError;
use super::scopes::{Scopes, invalid_scope};
use super::{Form, Identity, TenantRef, lock};
use crate::config::{App, User};
use crate::tokens::TokenRequest;
use crate::util::{format_timestamp, now_secs, random_token};

const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A refresh token handed out. Refreshing returns a new one; the old one stays valid until it
/// expires (Microsoft's behaviour), or until `revoke_refresh_tokens` (AADSTS70043).
pub(crate) struct RefreshGrant {
    client_id: String,
    user: String,
    scope: Scopes,
    issued_at: i64,
    expires_at: i64,
    revoked: bool,
}

impl Identity {
    pub(super) fn token(&self, tenant_name: &str, form: &Form) -> Result<Value, AadError> {
        let tenant = self.resolve_tenant(tenant_name)?;
        let grant = form.require("grant_type")?;
        let client_id = form.require("client_id")?;
        let app = self.find_app(client_id, tenant)?;
        match grant {
            "client_credentials" => self.client_credentials(app, form, tenant),
            "password" => self.password(app, form, tenant),
            "authorization_code" => self.authorization_code(app, form, tenant),
            "refresh_token" => self.refresh_token(app, form, tenant),
            DEVICE_CODE_GRANT | "device_code" => self.redeem_device_code(app, form, tenant),
            other => Err(AadError::new(
                400,
                "unsupported_grant_type",
                70003,
                format!("The app requested an unsupported grant type '{other}'."),
            )),
        }
    }

    fn client_credentials(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<Value, AadError> {
        let TenantRef::Registered(t) = tenant else {
            return Err(AadError::invalid_request(
                50059,
                "No tenant-identifying information found in either the request or implied by any provided credentials.",
            ));
        };
        let client_auth = self.authenticate_client(app, form, tenant)?;
        let scope = form.require("scope")?;
        let scopes = self.parse_scopes(scope, tenant)?;
        if !scopes.default || !scopes.oidc.is_empty() {
            return Err(AadError::invalid_scope(
                70011,
                format!(
                    "The provided value for scope {scope} is not valid. Client credential flows \
                     must have a scope value with /.default suffixed to the resource identifier \
                     (application ID URI)."
                ),
            ));
        }
        let roles = app
            .roles
            .iter()
            .find(|(r, _)| r.eq_ignore_ascii_case(&scopes.resource))
            .map(|(_, roles)| roles.clone())
            .unwrap_or_default();
        let req = TokenRequest {
            tenant: t.id.clone(),
            client_id: app.client_id.clone(),
            audience: scopes.resource.clone(),
            roles,
            mailbox: app.mailbox.clone(),
            client_auth: client_auth.into(),
            ..TokenRequest::default()
        };
        // Like Microsoft, app-only responses carry no `scope`.
        Ok(self.token_response(&req, None, None))
    }

    fn password(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<Value, AadError> {
        let client_auth = self.authenticate_client(app, form, tenant)?;
        let username = form.require("username")?;
        let password = form.require("password")?;
        let scopes = self.parse_scopes(form.require("scope")?, tenant)?;
        let user = self.find_user(username, tenant)?;
        if user.password != password {
            return Err(AadError::invalid_grant(
                50126,
                "Error validating credentials due to invalid username or password.",
            ));
        }
        if user.mfa_required {
            return Err(AadError::invalid_grant(
                50076,
                format!(
                    "Due to a configuration change made by your administrator, or because you \
                     moved to a new location, you must use multi-factor authentication to access '{}'.",
                    scopes.resource
                ),
            ));
        }
        Ok(self.issue_delegated(app, user, &scopes, client_auth))
    }

    fn refresh_token(&self, app: &App, form: &Form, tenant: TenantRef<'_>) -> Result<Value, AadError> {
        let client_auth = self.authenticate_client(app, form, tenant)?;
        let token = form.require("refresh_token")?;
        let (username, stored) = {
            let grants = lock(&self.refresh_tokens);
            let grant = grants
                .get(token)
                .ok_or_else(|| AadError::invalid_grant(9002313, "Invalid request. Request is malformed or invalid."))?;
            if !grant.client_id.eq_ignore_ascii_case(&app.client_id) {
                return Err(AadError::invalid_grant(70000, "Provided grant is invalid or malformed."));
            }
            if grant.revoked {
                return Err(AadError::invalid_grant(
                    70043,
                    format!(
                        "The refresh token has expired or is invalid due to sign-in frequency \
                         checks by conditional access. The token was issued on {}.",
                        format_timestamp(grant.issued_at)
                    ),
                ));
            }
            let now = now_secs();
            if now >= grant.expires_at {
                return Err(AadError::invalid_grant(
                    700082,
                    format!(
                        "The refresh token has expired due to inactivity. The token was issued on \
                         {} and was inactive for {}.",
                        format_timestamp(grant.issued_at),
                        now - grant.issued_at
                    ),
                ));
            }
            (grant.user.clone(), grant.scope.clone())
        };
        let mut scopes = match form.get("scope") {
            Some(scope) => self.parse_scopes(scope, tenant)?,
            None => stored,
        };
        // A refresh always yields a new refresh token.
        if !scopes.offline() {
            scopes.oidc.push("offline_access".into());
        }
        let user = self.find_user(&username, tenant)?;
        Ok(self.issue_delegated(app, user, &scopes, client_auth))
    }

    pub(super) fn new_refresh_token(&self, app: &App, user: &User, scopes: &Scopes) -> String {
        let token = format!("0.testkit.{}", random_token());
        let now = now_secs();
        let lifetime = self.refresh_lifetime.load(std::sync::atomic::Ordering::SeqCst) as i64;
        lock(&self.refresh_tokens).insert(
            token.clone(),
            RefreshGrant {
                client_id: app.client_id.clone(),
                user: user.username.clone(),
                scope: scopes.clone(),
                issued_at: now,
                expires_at: now + lifetime,
                revoked: false,
            },
        );
        token
    }

    /// Makes every refresh token issued so far fail with AADSTS70043.
    pub fn revoke_refresh_tokens(&self) {
        for grant in lock(&self.refresh_tokens).values_mut() {
            grant.revoked = true;
        }
    }

    /// Scopes for a delegated flow: `scope` is required and must name delegated permissions.
    pub(super) fn delegated_scopes(&self, scope: &str, tenant: TenantRef<'_>) -> Result<Scopes, AadError> {
        let scopes = self.parse_scopes(scope, tenant)?;
        if scopes.permissions.is_empty() && !scopes.default && scopes.oidc.is_empty() {
            return Err(invalid_scope(scope));
        }
        Ok(scopes)
    }
}
