//! `Provider`: host, port and scope presets (`Provider.office365()`, ...).

use napi::Env;
use napi_derive::napi;

use crate::error::sync;

/// One mail server of a provider.
#[napi(object)]
pub struct Endpoint {
    pub host: String,
    pub port: u32,
    /// `starttls` or `tls`.
    pub security: String,
}

fn endpoint(e: &oauthmail::Endpoint) -> Endpoint {
    Endpoint { host: e.host.clone(), port: e.port.into(), security: e.security.as_str().into() }
}

/// Token endpoint, mail scope and SMTP/IMAP/POP3 hosts of a mail service.
#[napi]
pub struct Provider {
    inner: oauthmail::Provider,
}

#[napi]
impl Provider {
    /// Exchange Online, public cloud.
    #[napi(factory)]
    pub fn office365() -> Self {
        Provider { inner: oauthmail::Provider::office365() }
    }
    /// Exchange Online for US Government GCC High.
    #[napi(factory)]
    pub fn office365_gcc_high() -> Self {
        Provider { inner: oauthmail::Provider::office365_gcc_high() }
    }
    /// Exchange Online for the US Department of Defense.
    #[napi(factory)]
    pub fn office365_dod() -> Self {
        Provider { inner: oauthmail::Provider::office365_dod() }
    }
    /// Microsoft 365 operated by 21Vianet (China).
    #[napi(factory)]
    pub fn office365_china() -> Self {
        Provider { inner: oauthmail::Provider::office365_china() }
    }
    /// Gmail / Google Workspace.
    #[napi(factory)]
    pub fn gmail() -> Self {
        Provider { inner: oauthmail::Provider::gmail() }
    }
    /// A preset by name: `office365`, `office365_gcc_high`, `office365_dod`, `office365_china`, `gmail`.
    #[napi(factory)]
    pub fn by_name(env: Env, name: String) -> napi::Result<Self> {
        sync(&env, || Ok(Provider { inner: oauthmail::Provider::by_name(&name)? }))
    }

    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name.clone()
    }
    /// The scope of SMTP, IMAP and POP3 tokens.
    #[napi(getter)]
    pub fn mail_scope(&self) -> String {
        self.inner.mail_scope.clone()
    }
    #[napi(getter)]
    pub fn graph_url(&self) -> Option<String> {
        self.inner.graph_url.clone()
    }
    #[napi(getter)]
    pub fn smtp(&self) -> Endpoint {
        endpoint(&self.inner.smtp)
    }
    #[napi(getter)]
    pub fn imap(&self) -> Endpoint {
        endpoint(&self.inner.imap)
    }
    #[napi(getter)]
    pub fn pop3(&self) -> Endpoint {
        endpoint(&self.inner.pop3)
    }
}

impl Provider {
    pub(crate) fn core(&self) -> &oauthmail::Provider {
        &self.inner
    }
}
