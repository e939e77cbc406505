use std::time::SystemTime;

use super::base::{CredentialBase, require};
use super::endpoint::Field;
use super::options::CredentialOptions;
use super::{AccessToken, TokenCredential};
use crate::{Result, Secret};

/// An application signing in as itself with a client secret (the OAuth 2.0
/// client-credentials grant), e.g. a service sending mail with `SMTP.SendAsApp`.
pub struct ClientSecretCredential {
    base: CredentialBase,
    client_secret: Secret,
}

impl std::fmt::Debug for ClientSecretCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecretCredential")
            .field("base", &self.base)
            .field("client_secret", &self.client_secret)
            .finish()
    }
}

impl ClientSecretCredential {
    pub fn new(
        tenant_id: &str,
        client_id: &str,
        client_secret: impl Into<Secret>,
        options: CredentialOptions,
    ) -> Result<Self> {
        let client_secret = client_secret.into();
        require("client_secret", client_secret.expose())?;
        Ok(ClientSecretCredential { base: CredentialBase::new(tenant_id, client_id, &options)?, client_secret })
    }

    fn fetch(&self, scopes: &[String]) -> Result<AccessToken> {
        let scope = scopes.join(" ");
        let requested = SystemTime::now();
        let resp = self.base.request(
            "client_credentials",
            &[Field::Secret("client_secret", &self.client_secret), Field::Plain("scope", &scope)],
        )?;
        Ok(resp.access_token(requested))
    }
}

impl TokenCredential for ClientSecretCredential {
    fn get_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, "", false, |s| self.fetch(s))
    }

    fn get_fresh_token(&self, scopes: &[&str]) -> Result<AccessToken> {
        self.base.token(scopes, "", true, |s| self.fetch(s))
    }

    fn cached_token(&self, scopes: &[&str]) -> Option<AccessToken> {
        self.base.cached(scopes, "")
    }

    fn default_scopes(&self) -> Vec<String> {
        self.base.default_scopes()
    }
}
