use std::time::{Duration, SystemTime};

use super::{AccessToken, TokenCredential};
use crate::{Error, Result, Secret};

/// A token the caller already has (from another library, a vault, ...).
///
/// It cannot be refreshed: once it expires, operations fail with an `Auth`
/// error that says so.
#[derive(Debug, Clone)]
pub struct StaticTokenCredential {
    token: AccessToken,
}

impl StaticTokenCredential {
    /// `expires_on` defaults to the token's `exp` claim when it is a JWT, else one hour from now.
    /// An empty token is a `Config` error at once rather than a refusal at the server.
    pub fn new(token: impl Into<Secret>, expires_on: Option<SystemTime>) -> Result<Self> {
        let token: Secret = token.into();
        if token.expose().is_empty() {
            return Err(Error::config("the token is empty"));
        }
        let expires_on = expires_on.unwrap_or_else(|| {
            AccessToken::new(token.clone(), SystemTime::now())
                .claims()
                .ok()
                .and_then(|c| c.exp)
                .map(|exp| SystemTime::UNIX_EPOCH + Duration::from_secs(exp))
                .unwrap_or_else(|| SystemTime::now() + Duration::from_secs(3600))
        });
        Ok(StaticTokenCredential { token: AccessToken::new(token, expires_on) })
    }
}

impl TokenCredential for StaticTokenCredential {
    fn cached_token(&self, _scopes: &[&str]) -> Option<AccessToken> {
        (self.token.expires_on() > SystemTime::now()).then(|| self.token.clone())
    }

    fn get_token(&self, _scopes: &[&str]) -> Result<AccessToken> {
        if self.token.expires_on() <= SystemTime::now() {
            return Err(Error::auth("the static access token has expired")
                .with_hint("Pass a new token, or use a credential that can refresh itself."));
        }
        Ok(self.token.clone())
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.get_token(scopes)?;
        Err(Error::auth("the server rejected the static access token and it cannot be refreshed")
            .with_hint("Check the token's audience and roles with `oauthmail token --json`, or use a credential that can refresh itself."))
    }

    fn default_scopes(&self) -> Vec<String> {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn an_empty_token_is_refused_at_once() {
        let err = StaticTokenCredential::new("", None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.to_string().contains("token is empty"), "{err}");
        assert!(StaticTokenCredential::new("t", None).is_ok());
    }
}
