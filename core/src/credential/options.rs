//! The settings every credential takes, in one plain struct so that each
//! language binding can fill it from optional fields.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::cache::{DEFAULT_REFRESH_BEFORE, TokenCache};
use crate::authority::Authority;
use crate::http::HttpOptions;
use crate::provider::Provider;
use crate::tls::TlsTrust;
use crate::{Result, Secret};

/// Options shared by all credentials. `Default` gives Microsoft's public
/// cloud, the built-in CA roots, standard timeouts and a private cache.
#[derive(Clone, Debug, Default)]
pub struct CredentialOptions {
    pub authority: Authority,
    /// Trusted CAs for the identity platform (built-in roots plus extras).
    pub tls: TlsTrust,
    pub http: HttpOptions,
    /// Scopes used when `get_token` gets none; empty means the authority's
    /// mail scope (`https://outlook.office365.com/.default` for Office 365).
    pub scopes: Vec<String>,
    /// Share one cache between credentials; `None` gives each its own.
    pub cache: Option<TokenCache>,
    /// Replace a token when this much of its life is left (default 10 minutes);
    /// used when `cache` is `None`.
    pub refresh_before: Option<Duration>,
    /// For user sign-ins: a file that keeps the refresh token between runs
    /// (see [`super::persistent`]). Off unless set.
    pub persistent_cache: Option<PathBuf>,
    /// The client secret of a confidential client, for the user flows of
    /// providers that require one (Google, web apps). Not needed by Microsoft
    /// public clients; `ClientSecretCredential` takes its secret directly.
    pub client_secret: Option<Secret>,
    /// A user name to suggest at sign-in (`login_hint`).
    pub login_hint: Option<String>,
}

impl CredentialOptions {
    /// The two settings every binding exposes: `authority` (a base URL, a
    /// cloud name, `google`, or a token URL; empty = public cloud) and `ca_file`.
    pub fn new(authority: Option<&str>, ca_file: Option<&Path>) -> Result<Self> {
        Ok(CredentialOptions {
            authority: authority.map_or_else(|| Ok(Authority::default()), Authority::parse)?,
            tls: TlsTrust::from_optional_ca_file(ca_file)?,
            ..CredentialOptions::default()
        })
    }

    /// The authority and mail scope of a preset.
    pub fn for_provider(provider: &Provider) -> Self {
        CredentialOptions {
            authority: provider.authority.clone(),
            scopes: vec![provider.mail_scope.clone()],
            ..CredentialOptions::default()
        }
    }

    pub fn with_authority(mut self, authority: Authority) -> Self {
        self.authority = authority;
        self
    }

    pub fn with_tls(mut self, tls: TlsTrust) -> Self {
        self.tls = tls;
        self
    }

    pub fn with_scopes<S: Into<String>>(mut self, scopes: impl IntoIterator<Item = S>) -> Self {
        self.scopes = scopes.into_iter().map(Into::into).collect();
        self
    }

    pub fn with_cache(mut self, cache: TokenCache) -> Self {
        self.cache = Some(cache);
        self
    }

    pub fn with_persistent_cache(mut self, path: impl Into<PathBuf>) -> Self {
        self.persistent_cache = Some(path.into());
        self
    }

    pub(crate) fn token_cache(&self) -> TokenCache {
        self.cache.clone().unwrap_or_else(|| TokenCache::new(self.refresh_before.unwrap_or(DEFAULT_REFRESH_BEFORE)))
    }
}
