use super::base::{CredentialBase, RefreshState, require};
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::{Error, ErrorKind, Result, Secret};

/// A user's refresh token obtained elsewhere (another tool, an earlier
/// sign-in). The token is rotated whenever the server returns a new one;
/// [`RefreshTokenCredential::refresh_token`] gives the current one to store.
pub struct RefreshTokenCredential {
    base: CredentialBase,
    client_secret: Option<Secret>,
    user: String,
    refresh: RefreshState,
    /// The token the caller gave, tried when a newer one from the persistent cache is rejected.
    given: Secret,
}

impl std::fmt::Debug for RefreshTokenCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RefreshTokenCredential").field("base", &self.base).field("refresh_token", &"***").finish()
    }
}

impl RefreshTokenCredential {
    /// The client secret is needed by confidential clients (Google, web
    /// apps); it comes from `options.client_secret`. With a persistent cache
    /// that holds a (rotated) token for this client and `login_hint`, that one
    /// is tried first, and `refresh_token` if the server rejects it.
    pub fn new(
        tenant_id: &str,
        client_id: &str,
        refresh_token: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self> {
        let refresh_token = refresh_token.into();
        require("refresh_token", refresh_token.expose())?;
        let base = CredentialBase::new(tenant_id, client_id, &options)?;
        let user = options.login_hint.clone().unwrap_or_default();
        let refresh = RefreshState::new(None, &base, &user, &options)?;
        if refresh.get().is_none() {
            refresh.set(Some(refresh_token.clone()));
        }
        Ok(RefreshTokenCredential {
            base,
            client_secret: options.client_secret.clone(),
            user,
            refresh,
            given: refresh_token,
        })
    }

    /// The current refresh token (it changes when the server rotates it).
    pub fn refresh_token(&self) -> Option<Secret> {
        self.refresh.get()
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        let secret = self.client_secret.as_ref();
        let from_cache = self.refresh.get().is_some_and(|t| t != self.given);
        match self.base.redeem_refresh_token(&self.refresh, scopes, secret) {
            Err(e) if from_cache && e.kind() == ErrorKind::Auth => {
                tracing::debug!(code = e.code(), "cached refresh token rejected; trying the one given");
                self.refresh.set(Some(self.given.clone()));
                self.base.redeem_refresh_token(&self.refresh, scopes, secret)
            }
            other => other,
        }?
        .ok_or_else(|| {
            Error::auth("the refresh token was rejected earlier and this credential cannot sign in by itself")
                .with_hint("Sign in again (device code or browser) to get a new refresh token.")
        })
    }
}

impl TokenCredential for RefreshTokenCredential {
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.user, false, |s| self.fetch(s))
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, &self.user, true, |s| self.fetch(s))
    }

    fn cached_token(&self, scopes: &[&str]) -> Option<AccessToken> {
        self.base.cached(scopes, &self.user)
    }

    fn default_scopes(&self) -> Vec<String> {
        self.base.default_scopes()
    }
}
