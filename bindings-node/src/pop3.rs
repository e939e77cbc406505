//! `Pop3Client`: reads the inbox over POP3 with the credential's tokens.

use std::sync::Arc;

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;

use crate::credential::AnyCredential;
use crate::error::sync;
use crate::mail::{Connection, Summaries, port, summaries, whole};
use crate::provider::Provider;
use crate::task::{Job, spawn};

#[napi(object, object_to_js = false)]
pub struct Pop3ClientOptions {
    pub host: String,
    pub port: f64,
    pub username: String,
    #[napi(
        ts_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
    )]
    pub credential: AnyCredential,
    /// `starttls` or `tls`; default from the port (implicit TLS on 995).
    pub security: Option<String>,
    pub ca_file: Option<String>,
    pub timeout_ms: Option<f64>,
    pub scopes: Option<Vec<String>>,
}

/// Message count and total size, from STAT.
#[napi(object)]
pub struct MaildropStat {
    pub count: u32,
    pub size: f64,
}

/// Reads the inbox over POP3 with OAuth 2.0. Messages are numbered from 1;
/// deletions happen at `close()` (QUIT).
#[napi]
pub struct Pop3Client {
    inner: Arc<oauthmail::Pop3Client>,
}

#[napi]
impl Pop3Client {
    #[napi(constructor)]
    pub fn new(env: Env, options: Pop3ClientOptions) -> napi::Result<Self> {
        sync(&env, || {
            let c = Connection::new(
                options.security.as_deref(),
                options.ca_file.as_deref(),
                options.timeout_ms,
                options.scopes,
            )?;
            let mut config = oauthmail::Pop3Config::new(options.host, port(options.port, "POP3")?, options.username);
            config.security = c.security;
            config.ca = c.ca;
            config.scopes = c.scopes;
            if let Some(t) = c.timeout {
                config.timeout = t;
            }
            Ok(Pop3Client { inner: Arc::new(oauthmail::Pop3Client::new(config, options.credential.0)?) })
        })
    }

    /// The provider's POP3 host, port, security and mail scope.
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
            let client = oauthmail::Pop3Client::from_provider(provider.core(), &username, credential.0)?;
            Ok(Pop3Client { inner: Arc::new(client) })
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.connect())
    }

    #[napi(ts_return_type = "Promise<MaildropStat>")]
    pub fn stat(&self) -> AsyncTask<Job<MaildropStat>> {
        let client = self.inner.clone();
        spawn(move || {
            let (count, size) = client.stat()?;
            Ok(MaildropStat { count, size: size as f64 })
        })
    }

    /// Summaries from the headers, newest first; `uid` is the message number.
    #[napi(ts_return_type = "Promise<MessageSummary[]>")]
    pub fn list_messages(&self, limit: Option<f64>) -> AsyncTask<Job<Summaries>> {
        let client = self.inner.clone();
        spawn(move || {
            let limit = limit.map(|l| whole(l, "limit")).transpose()?;
            summaries(client.list_messages(limit.map(|l| l as usize))?)
        })
    }

    /// The whole message number `n`.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn fetch_message(&self, n: f64) -> AsyncTask<Job<Buffer>> {
        let client = self.inner.clone();
        spawn(move || Ok(client.fetch_message(whole(n, "the message number")?)?.into()))
    }

    /// Marks message `n` for deletion at `close()`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn dele(&self, n: f64) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.dele(whole(n, "the message number")?))
    }

    /// Unmarks the messages marked for deletion.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn rset(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.rset())
    }

    /// QUIT: the server applies deletions. Later calls fail with a `Closed` error.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.close())
    }
}
