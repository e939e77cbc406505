//! `GraphMailClient`: sends through Microsoft Graph, for tenants with SMTP AUTH off.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;
use oauthmail::TokenCredential;
use oauthmail::tls::TlsTrust;

use crate::credential::AnyCredential;
use crate::error::sync;
use crate::mail::{Message, SendReport};
use crate::provider::Provider;
use crate::task::{Job, spawn};

#[napi(object, object_to_js = false)]
pub struct GraphMailClientOptions {
    /// The mailbox that sends (user principal name or id).
    pub mailbox: String,
    #[napi(
        ts_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
    )]
    pub credential: AnyCredential,
    /// Graph base URL with version (default `https://graph.microsoft.com/v1.0`).
    pub base_url: Option<String>,
    /// Token scope (default `https://graph.microsoft.com/.default`).
    pub scope: Option<String>,
    pub ca_file: Option<String>,
    /// Keep a copy in Sent Items (default true).
    pub save_to_sent_items: Option<bool>,
}

/// Sends mail through Microsoft Graph `sendMail`.
#[napi]
pub struct GraphMailClient {
    inner: Arc<oauthmail::GraphMailClient>,
    credential: Arc<dyn TokenCredential>,
}

#[napi]
impl GraphMailClient {
    #[napi(constructor)]
    pub fn new(env: Env, options: GraphMailClientOptions) -> napi::Result<Self> {
        sync(&env, || {
            let mut config = oauthmail::GraphConfig::new(options.mailbox);
            if let Some(url) = options.base_url {
                config.base_url = url;
            }
            if let Some(scope) = options.scope {
                config.scope = scope;
            }
            config.ca = TlsTrust::from_optional_ca_file(options.ca_file.as_deref().map(std::path::Path::new))?;
            if let Some(save) = options.save_to_sent_items {
                config.save_to_sent_items = save;
            }
            let credential = options.credential.0;
            let inner = Arc::new(oauthmail::GraphMailClient::new(config, credential.clone())?);
            Ok(GraphMailClient { inner, credential })
        })
    }

    /// The provider's Graph URL and scope (Microsoft clouds only).
    #[napi(factory)]
    pub fn from_provider(
        env: Env,
        provider: &Provider,
        mailbox: String,
        #[napi(
            ts_arg_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
        )]
        credential: AnyCredential,
    ) -> napi::Result<Self> {
        sync(&env, || {
            let credential = credential.0;
            let inner = oauthmail::GraphMailClient::from_provider(provider.core(), &mailbox, credential.clone())?;
            Ok(GraphMailClient { inner: Arc::new(inner), credential })
        })
    }

    /// Sends a message as a Graph JSON message (HTML body wins over text).
    #[napi(ts_return_type = "Promise<SendReport>")]
    pub fn send(&self, env: Env, message: Message) -> napi::Result<AsyncTask<Job<SendReport>>> {
        let message = sync(&env, || message.into_core())?;
        let client = self.inner.clone();
        Ok(spawn(move || Ok(client.send(&message)?.into())))
    }

    /// Sends RFC 5322 bytes; recipients come from the To, Cc and Bcc headers.
    #[napi(ts_return_type = "Promise<SendReport>")]
    pub fn send_mime(&self, raw: Buffer) -> AsyncTask<Job<SendReport>> {
        let client = self.inner.clone();
        let bytes = raw.to_vec();
        spawn(move || Ok(client.send_mime(&bytes)?.into()))
    }

    /// Later calls fail with a `Closed` error.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || {
            client.close();
            Ok(())
        })
    }
}

impl GraphMailClient {
    /// A core client with the same settings, for an SMTP client's fallback.
    pub(crate) fn core(&self) -> oauthmail::Result<oauthmail::GraphMailClient> {
        oauthmail::GraphMailClient::new(self.inner.config().clone(), self.credential.clone())
    }
}
