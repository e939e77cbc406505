//! `SmtpClient`: sends over SMTP submission with the credential's tokens.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer, ClassInstance};
use napi_derive::napi;

use crate::credential::AnyCredential;
use crate::error::sync;
use crate::graph::GraphMailClient;
use crate::mail::{Connection, Message, SendReport, port};
use crate::provider::Provider;
use crate::task::{Job, spawn};

#[napi(object, object_to_js = false)]
pub struct SmtpClientOptions<'env> {
    pub host: String,
    pub port: f64,
    /// The mailbox to authenticate as.
    pub username: String,
    #[napi(
        ts_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
    )]
    pub credential: AnyCredential,
    /// `starttls` or `tls`; default from the port (implicit TLS on 465).
    pub security: Option<String>,
    /// PEM file of extra trusted CAs.
    pub ca_file: Option<String>,
    /// For connecting and each server reply (default 60 000).
    pub timeout_ms: Option<f64>,
    /// Token scopes (default: the credential's).
    pub scopes: Option<Vec<String>>,
    /// Send through Microsoft Graph when Exchange answers 5.7.139 (SMTP AUTH disabled).
    pub graph_fallback: Option<ClassInstance<'env, GraphMailClient>>,
}

/// Sends mail over SMTP with OAuth 2.0 (XOAUTH2 or OAUTHBEARER), keeping one
/// authenticated connection open for many messages.
#[napi]
pub struct SmtpClient {
    inner: Arc<oauthmail::SmtpClient>,
}

#[napi]
impl SmtpClient {
    #[napi(constructor)]
    pub fn new(env: Env, options: SmtpClientOptions) -> napi::Result<Self> {
        sync(&env, || {
            let c = Connection::new(
                options.security.as_deref(),
                options.ca_file.as_deref(),
                options.timeout_ms,
                options.scopes,
            )?;
            let mut config = oauthmail::SmtpConfig::new(options.host, port(options.port, "SMTP")?, options.username);
            config.security = c.security;
            config.ca = c.ca;
            config.scopes = c.scopes;
            if let Some(t) = c.timeout {
                config.timeout = t;
            }
            let mut client = oauthmail::SmtpClient::new(config, options.credential.0)?;
            if let Some(graph) = &options.graph_fallback {
                client = client.with_graph_fallback(graph.core()?);
            }
            Ok(SmtpClient { inner: Arc::new(client) })
        })
    }

    /// The provider's SMTP host, port, security and mail scope.
    #[napi(factory)]
    pub fn from_provider(
        env: Env,
        provider: &Provider,
        username: String,
        #[napi(
            ts_arg_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
        )]
        credential: AnyCredential,
    ) -> napi::Result<Self> {
        sync(&env, || {
            let client = oauthmail::SmtpClient::from_provider(provider.core(), &username, credential.0)?;
            Ok(SmtpClient { inner: Arc::new(client) })
        })
    }

    /// Validates and sends one message.
    #[napi(ts_return_type = "Promise<SendReport>")]
    pub fn send(&self, message: Message) -> AsyncTask<Job<SendReport>> {
        // Converted here (it holds JavaScript buffers); a bad message rejects like any other error.
        let message = message.into_core();
        let client = self.inner.clone();
        spawn(move || Ok(client.send(&message?)?.into()))
    }

    /// Sends RFC 5322 bytes as they are to the given envelope.
    #[napi(ts_return_type = "Promise<SendReport>")]
    pub fn send_raw(&self, envelope_from: String, recipients: Vec<String>, raw: Buffer) -> AsyncTask<Job<SendReport>> {
        let client = self.inner.clone();
        let bytes = raw.to_vec();
        spawn(move || {
            let rcpts: Vec<&str> = recipients.iter().map(String::as_str).collect();
            Ok(client.send_raw(&envelope_from, &rcpts, &bytes)?.into())
        })
    }

    /// Connects and authenticates now, to check the settings; the session is kept.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.connect())
    }

    /// Ends the session (QUIT). Later calls fail with a `Closed` error; closing twice is fine.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || {
            client.close();
            Ok(())
        })
    }
}
