//! What every credential has: an identity, a token endpoint, an HTTP client,
//! a cache and default scopes; and for user sign-ins, a refresh token.

use std::borrow::Cow;
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

use super::AccessToken;
use super::cache::{CacheKey, TokenCache};
use super::endpoint::{Field, TokenResponse, request_token};
use super::options::CredentialOptions;
use super::persistent::RefreshTokenStore;
use crate::authority::Authority;
use crate::http::HttpClient;
use crate::{Error, ErrorKind, Result, Secret};

pub(crate) struct CredentialBase {
    pub tenant_id: String,
    pub client_id: String,
    pub authority: Authority,
    pub token_url: String,
    pub http: HttpClient,
    cache: TokenCache,
    default_scopes: Vec<String>,
    /// The cache key of the default scopes (and the user it is for), built once: building a
    /// key (sorted scopes, lower-cased tenant and user) was most of a 400 ns cache hit.
    default_key: OnceLock<(String, CacheKey)>,
}

impl std::fmt::Debug for CredentialBase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credential")
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("token_url", &self.token_url)
            .field("default_scopes", &self.default_scopes)
            .finish()
    }
}

pub(crate) fn require(name: &str, value: &str) -> Result<()> {
    if value.trim().is_empty() {
        return Err(Error::config(format!("{name} is empty")));
    }
    if value.chars().any(char::is_control) {
        return Err(Error::config(format!("{name} contains control characters")));
    }
    Ok(())
}

impl CredentialBase {
    pub fn new(tenant_id: &str, client_id: &str, options: &CredentialOptions) -> Result<Self> {
        require("client_id", client_id)?;
        let tenant_id = if tenant_id.trim().is_empty() && !options.authority.is_microsoft() {
            // Google and custom token URLs have no tenant.
            "common"
        } else {
            tenant_id.trim()
        };
        let token_url = options.authority.token_url(tenant_id)?;
        let default_scopes = if options.scopes.is_empty() {
            vec![options.authority.default_scope().to_owned()]
        } else {
            options.scopes.clone()
        };
        check_scopes(&default_scopes)?;
        Ok(CredentialBase {
            tenant_id: tenant_id.to_owned(),
            client_id: client_id.trim().to_owned(),
            authority: options.authority.clone(),
            token_url,
            http: HttpClient::new(&options.tls, &options.http)?,
            cache: options.token_cache(),
            default_scopes,
            default_key: OnceLock::new(),
        })
    }

    pub fn default_scopes(&self) -> Vec<String> {
        self.default_scopes.clone()
    }

    /// The requested scopes, or the defaults when none are given.
    pub fn scopes(&self, requested: &[&str]) -> Result<Vec<String>> {
        let scopes: Vec<String> = if requested.is_empty() {
            self.default_scopes.clone()
        } else {
            requested.iter().map(|s| s.trim().to_owned()).collect()
        };
        check_scopes(&scopes)?;
        Ok(scopes)
    }

    /// Scopes for user sign-ins: Microsoft only issues a refresh token when
    /// `offline_access` is asked for.
    pub fn user_scopes(&self, scopes: &[String]) -> String {
        let mut all = scopes.to_vec();
        if self.authority.is_microsoft() && !all.iter().any(|s| s == "offline_access") {
            all.push("offline_access".into());
        }
        all.join(" ")
    }

    /// The cached token for `requested` if it is fresh, without I/O or waiting.
    pub fn cached(&self, requested: &[&str], user: &str) -> Option<AccessToken> {
        self.cache.peek(&*self.key_for(requested, user).ok()?)
    }

    fn key_for(&self, requested: &[&str], user: &str) -> Result<Cow<'_, CacheKey>> {
        if requested.is_empty() {
            let (for_user, key) =
                self.default_key.get_or_init(|| (user.to_owned(), self.key(&self.default_scopes, user)));
            if for_user == user {
                return Ok(Cow::Borrowed(key));
            }
        }
        Ok(Cow::Owned(self.key(&self.scopes(requested)?, user)))
    }

    fn key(&self, scopes: &[String], user: &str) -> CacheKey {
        CacheKey::new(&self.authority.cache_id(), &self.tenant_id, &self.client_id, scopes, user)
    }

    /// A cached token, or one from `fetch` (single flight per key).
    pub fn token(
        &self,
        requested: &[&str],
        user: &str,
        force: bool,
        fetch: impl FnOnce(&[String]) -> Result<AccessToken>,
    ) -> Result<AccessToken> {
        let key = self.key_for(requested, user)?;
        self.cache.get_or_fetch(&key, force, || fetch(&self.scopes(requested)?))
    }

    /// Posts a grant with `client_id` added.
    pub fn request(&self, grant_type: &str, fields: &[Field<'_>]) -> Result<TokenResponse> {
        let mut all = vec![Field::Plain("client_id", &self.client_id)];
        all.extend(fields.iter().map(|f| match f {
            Field::Plain(k, v) => Field::Plain(k, v),
            Field::Secret(k, v) => Field::Secret(k, v),
        }));
        request_token(&self.http, &self.token_url, grant_type, &all)
    }

    /// Redeems the refresh token in `state`; `None` when there is none. A
    /// refresh token the server rejects (expired, revoked) is forgotten.
    pub fn redeem_refresh_token(
        &self,
        state: &RefreshState,
        scopes: &[String],
        client_secret: Option<&Secret>,
    ) -> Result<Option<AccessToken>> {
        let Some(refresh_token) = state.get() else { return Ok(None) };
        let scope = self.user_scopes(scopes);
        let mut fields = vec![Field::Secret("refresh_token", &refresh_token), Field::Plain("scope", &scope)];
        if let Some(s) = client_secret {
            fields.push(Field::Secret("client_secret", s));
        }
        let requested = SystemTime::now();
        match self.request("refresh_token", &fields) {
            Ok(resp) => Ok(Some(state.accept(&resp, requested))),
            Err(e) => {
                if e.kind() == ErrorKind::Auth {
                    state.set(None);
                }
                Err(e)
            }
        }
    }

    /// Like [`Self::redeem_refresh_token`], for flows that can sign in again:
    /// a rejected refresh token gives `None` instead of an error.
    pub fn try_refresh_token(
        &self,
        state: &RefreshState,
        scopes: &[String],
        client_secret: Option<&Secret>,
    ) -> Result<Option<AccessToken>> {
        match self.redeem_refresh_token(state, scopes, client_secret) {
            Err(e) if e.kind() == ErrorKind::Auth => {
                tracing::debug!(code = e.code(), "refresh token rejected; signing in again");
                Ok(None)
            }
            other => other,
        }
    }
}

/// The refresh token of one user sign-in, rotated when the server sends a new
/// one and, when configured, kept in the persistent cache file.
pub(crate) struct RefreshState {
    current: Mutex<Option<Secret>>,
    store: Option<RefreshTokenStore>,
}

impl RefreshState {
    /// Starts from `initial`, else from the persistent cache.
    pub fn new(
        initial: Option<Secret>,
        base: &CredentialBase,
        user: &str,
        options: &CredentialOptions,
    ) -> Result<Self> {
        let store = options.persistent_cache.as_ref().map(|path| {
            let key = format!(
                "{}|{}|{}|{}",
                base.authority.cache_id(),
                base.tenant_id,
                base.client_id,
                user.to_ascii_lowercase()
            );
            RefreshTokenStore::new(path, key)
        });
        let current = match (initial, &store) {
            (Some(t), _) => Some(t),
            (None, Some(store)) => store.load()?,
            (None, None) => None,
        };
        Ok(RefreshState { current: Mutex::new(current), store })
    }

    pub fn get(&self) -> Option<Secret> {
        self.current.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn set(&self, token: Option<Secret>) {
        if let Some(store) = &self.store
            && let Err(e) = store.save(token.as_ref())
        {
            // Losing the file only costs a sign-in next run.
            tracing::warn!(error = %e, "cannot update the persistent token cache");
        }
        *self.current.lock().unwrap_or_else(|e| e.into_inner()) = token;
    }

    /// Keeps the refresh token of a reply (servers may rotate it) and returns its access token.
    pub fn accept(&self, resp: &TokenResponse, requested: SystemTime) -> AccessToken {
        if let Some(rt) = &resp.refresh_token
            && self.get().as_ref() != Some(rt)
        {
            self.set(Some(rt.clone()));
        }
        resp.access_token(requested)
    }
}

fn check_scopes(scopes: &[String]) -> Result<()> {
    if scopes.is_empty() {
        return Err(Error::config("no scope given"));
    }
    for s in scopes {
        if s.is_empty() || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::config(format!("invalid scope '{}'", s.escape_debug()))
                .with_hint("Give each scope separately, e.g. https://outlook.office365.com/.default."));
        }
    }
    Ok(())
}
