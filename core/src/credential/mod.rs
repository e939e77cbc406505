//! OAuth 2.0 credentials: every way of getting an access token implements
//! [`TokenCredential`].

mod access_token;
mod authorization_code;
mod base;
pub mod cache;
mod client_certificate;
mod client_secret;
mod device_code;
pub(crate) mod endpoint;
mod options;
pub mod persistent;
mod refresh_token;
mod static_token;
mod username_password;

pub use access_token::{AccessToken, Claims};
pub use authorization_code::{AuthorizationCodeCredential, AuthorizationRequest, DEFAULT_LOOPBACK_TIMEOUT};
pub use cache::{CacheKey, TokenCache};
pub use client_certificate::ClientCertificateCredential;
pub use client_secret::ClientSecretCredential;
pub use device_code::{DeviceCodeCallback, DeviceCodeCredential, DeviceCodeInfo};
pub use options::CredentialOptions;
pub use persistent::RefreshTokenStore;
pub use refresh_token::RefreshTokenCredential;
pub use static_token::StaticTokenCredential;
pub use username_password::UsernamePasswordCredential;

use crate::Result;

/// Something that hands out access tokens, cached and refreshed as needed.
///
/// Implementations are thread-safe: one credential is shared by every client
/// and thread of a program, so that a token is fetched once per lifetime.
pub trait TokenCredential: Send + Sync + std::fmt::Debug {
    /// A token valid for `scopes` (the credential's default scopes when empty),
    /// from the cache while it has enough lifetime left.
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken>;

    /// A new token for `scopes`, bypassing the cache: for when a server
    /// rejected the cached one (it expired early or was revoked).
    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken>;

    /// The cached token for `scopes` if it has enough lifetime left, without I/O and
    /// without waiting for a fetch in progress (`None` then): lets async bindings
    /// answer at once instead of going through a thread.
    fn cached_token(&self, _scopes: &[&str]) -> Option<AccessToken> {
        None
    }

    /// The scopes used when none are given.
    fn default_scopes(&self) -> Vec<String>;
}
