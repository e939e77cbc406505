//! `GraphMailClient`: sends through Microsoft Graph, for tenants with SMTP AUTH off.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;
use oauthmail::TokenCredential;
use oauthmail::tls::TlsTrust;

use crate::credential::AnyCredential;
use crate::error::sync;
use crate::mail::{Message, SendReport, Summaries, summaries, whole};
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

#[napi(object)]
pub struct GraphListOptions {
    /// At most this many messages, newest first.
    pub limit: Option<f64>,
    pub unread_only: Option<bool>,
    /// Only messages received at or after this time (seconds since the Unix epoch).
    pub since: Option<f64>,
    /// Messages per request (1 to 1000, default 100).
    pub page_size: Option<f64>,
}

fn list_options(o: Option<GraphListOptions>) -> oauthmail::Result<oauthmail::GraphListOptions> {
    let mut out = oauthmail::GraphListOptions::default();
    if let Some(o) = o {
        out.limit = o.limit.map(|l| whole(l, "limit")).transpose()?.map(|l| l as usize);
        out.unread_only = o.unread_only.unwrap_or(false);
        out.since = match o.since {
            Some(s) if s.is_finite() && s >= 0.0 => Some(SystemTime::UNIX_EPOCH + Duration::from_secs_f64(s)),
            Some(_) => return Err(oauthmail::Error::config("since must be seconds since the Unix epoch")),
            None => None,
        };
        out.page_size = o.page_size.map(|p| whole(p, "pageSize")).transpose()?.map_or(out.page_size, |p| p as usize);
    }
    Ok(out)
}

/// A Graph listing fetched page by page (`GraphMailClient.nextPage`); `messages()` iterates it.
#[napi]
pub struct GraphMessagePages {
    inner: Arc<Mutex<oauthmail::GraphMessagePages>>,
}

/// Sends and reads mail through Microsoft Graph.
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
    pub fn send(&self, message: Message) -> AsyncTask<Job<SendReport>> {
        // Converted here (it holds JavaScript buffers); a bad message rejects like any other error.
        let message = message.into_core();
        let client = self.inner.clone();
        spawn(move || Ok(client.send(&message?)?.into()))
    }

    /// Sends RFC 5322 bytes; recipients come from the To, Cc and Bcc headers.
    #[napi(ts_return_type = "Promise<SendReport>")]
    pub fn send_mime(&self, raw: Buffer) -> AsyncTask<Job<SendReport>> {
        let client = self.inner.clone();
        let bytes = raw.to_vec();
        spawn(move || Ok(client.send_mime(&bytes)?.into()))
    }

    /// Summaries of `folder` (default `inbox`; a well-known name or a display name), newest first.
    #[napi(ts_return_type = "Promise<MessageSummary[]>")]
    pub fn list_messages(
        &self,
        folder: Option<String>,
        options: Option<GraphListOptions>,
    ) -> AsyncTask<Job<Summaries>> {
        let options = list_options(options);
        let client = self.inner.clone();
        let folder = folder.unwrap_or_else(|| "inbox".into());
        spawn(move || summaries(client.list_messages(&folder, &options?)?))
    }

    /// Starts a listing to fetch page by page with `nextPage`.
    #[napi(ts_return_type = "Promise<GraphMessagePages>")]
    pub fn pages(
        &self,
        env: Env,
        folder: Option<String>,
        options: Option<GraphListOptions>,
    ) -> napi::Result<AsyncTask<Job<GraphMessagePages>>> {
        let options = sync(&env, || list_options(options))?;
        let client = self.inner.clone();
        let folder = folder.unwrap_or_else(|| "inbox".into());
        Ok(spawn(move || Ok(GraphMessagePages { inner: Arc::new(Mutex::new(client.pages(&folder, &options)?)) })))
    }

    /// The next page of a listing; `null` when it is done.
    #[napi(ts_return_type = "Promise<MessageSummary[] | null>")]
    pub fn next_page(&self, pages: &GraphMessagePages) -> AsyncTask<Job<Option<Summaries>>> {
        let client = self.inner.clone();
        let pages = pages.inner.clone();
        spawn(move || {
            let mut pages = pages.lock().unwrap_or_else(PoisonError::into_inner);
            client.next_page(&mut pages)?.map(summaries).transpose()
        })
    }

    /// The message's MIME (RFC 5322 bytes) by its Graph id.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn fetch_message(&self, id: String) -> AsyncTask<Job<Buffer>> {
        let client = self.inner.clone();
        spawn(move || Ok(client.fetch_message(&id)?.into()))
    }

    /// Marks a message read (default) or unread.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn mark_read(&self, id: String, read: Option<bool>) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.mark_read(&id, read.unwrap_or(true)))
    }

    /// Moves a message to a folder; resolves to its new id.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn move_message(&self, id: String, destination: String) -> AsyncTask<Job<String>> {
        let client = self.inner.clone();
        spawn(move || client.move_message(&id, &destination))
    }

    /// Deletes a message (Graph moves it to Recoverable Items).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete_message(&self, id: String) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.delete_message(&id))
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
