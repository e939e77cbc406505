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

    /// Whether getting a token may wait for a person (a device code sign-in). Clients then
    /// get the token before connecting, not while connecting, so that nobody is asked to
    /// sign in for a server that cannot be reached.
    fn may_prompt(&self) -> bool {
        false
    }
}

/// `connect()`, and a token for `scopes` fetched meanwhile on another thread when none is
/// cached: a first login waits for the slower of the two, not for both (the identity
/// platform and the mail server each take a few round trips). For IMAP and POP3, whose
/// first command is what a reader waits for; SMTP gets its token first, so that a failed
/// token opens no submission connection.
pub(crate) fn connect_with_token<S>(
    credential: &dyn TokenCredential,
    scopes: &[&str],
    fresh: bool,
    connect: impl FnOnce() -> Result<S>,
) -> Result<(S, AccessToken)> {
    if let Some(token) = (!fresh).then(|| credential.cached_token(scopes)).flatten() {
        return Ok((connect()?, token));
    }
    let get = || if fresh { credential.get_fresh_token(scopes) } else { credential.get_token(scopes) };
    if credential.may_prompt() {
        let token = get()?;
        return Ok((connect()?, token));
    }
    std::thread::scope(|scope| {
        let token = std::thread::Builder::new().name("oauthmail-token".into()).spawn_scoped(scope, get);
        let session = connect();
        let token = match token {
            Ok(thread) => thread.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            Err(_) => get(), // no thread to be had: one after the other
        };
        // An unreachable server is the error to report, whatever the token did.
        Ok((session?, token?))
    })
}
