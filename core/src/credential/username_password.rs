use std::time::SystemTime;

use super::base::{CredentialBase, RefreshState, require};
use super::endpoint::Field;
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::{Result, Secret};

/// A user signing in with name and password (the legacy resource-owner
/// password grant). It cannot do multi-factor authentication or federated
/// accounts; prefer `DeviceCodeCredential` or `AuthorizationCodeCredential`.
/// After the first sign-in the refresh token is used, and the password only
/// when the refresh token is rejected.
pub struct UsernamePasswordCredential {
    base: CredentialBase,
    username: String,
    password: Secret,
    client_secret: Option<Secret>,
    refresh: RefreshState,
}

impl std::fmt::Debug for UsernamePasswordCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsernamePasswordCredential")
            .field("base", &self.base)
            .field("username", &self.username)
            .field("password", &self.password)
            .finish()
    }
}

impl UsernamePasswordCredential {
    pub fn new(
        tenant_id: &str,
        client_id: &str,
        username: &str,
        password: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self> {
        require("username", username)?;
        let password = password.into();
        require("password", password.expose())?;
        let base = CredentialBase::new(tenant_id, client_id, &options)?;
        let refresh = RefreshState::new(None, &base, username, &options)?;
        Ok(UsernamePasswordCredential {
            base,
            username: username.trim().to_owned(),
            password,
            client_secret: options.client_secret.clone(),
            refresh,
        })
    }

    pub fn username(&self) -> &str {
        &self.username
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        if let Some(token) = self.base.try_refresh_token(&self.refresh, scopes, self.client_secret.as_ref())? {
            return Ok(token);
        }
        let scope = self.base.user_scopes(scopes);
        let mut fields = vec![
            Field::Plain("username", &self.username),
            Field::Secret("password", &self.password),
            Field::Plain("scope", &scope),
        ];
        if let Some(s) = &self.client_secret {
            fields.push(Field::Secret("client_secret", s));
        }
        let requested = SystemTime::now();
        let resp = self.base.request("password", &fields)?;
        Ok(self.refresh.accept(&resp, requested))
    }
}

impl TokenCredential for UsernamePasswordCredential {
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.username, false, |s| self.fetch(s))
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.username, true, |s| self.fetch(s))
    }

    fn cached_token(&self, scopes: &[&str]) -> Option<AccessToken> {
        self.base.cached(scopes, &self.username)
    }

    fn default_scopes(&self) -> Vec<String> {
        self.base.default_scopes()
    }
}
