//! `ImapClient`: reads a mailbox over IMAP with the credential's tokens.

use std::sync::{Arc, Mutex, PoisonError};

use napi::Env;
use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi_derive::napi;
use oauthmail::imap::ListOptions;

use crate::credential::AnyCredential;
use crate::error::sync;
use crate::mail::{Connection, ParsedMessage, Summaries, port, summaries, whole, wholes};
use crate::provider::Provider;
use crate::task::{Job, spawn};

#[napi(object, object_to_js = false)]
pub struct ImapClientOptions {
    pub host: String,
    pub port: f64,
    /// The mailbox to open (a user's or a shared mailbox's address).
    pub username: String,
    #[napi(
        ts_type = "ClientSecretCredential | ClientCertificateCredential | UsernamePasswordCredential | DeviceCodeCredential | AuthorizationCodeCredential | RefreshTokenCredential | StaticTokenCredential"
    )]
    pub credential: AnyCredential,
    /// `starttls` or `tls`; default from the port (implicit TLS on 993).
    pub security: Option<String>,
    pub ca_file: Option<String>,
    pub timeout_ms: Option<f64>,
    pub scopes: Option<Vec<String>>,
}

#[napi(object)]
pub struct ListMessagesOptions {
    /// At most this many messages.
    pub limit: Option<f64>,
    /// Only messages without `\Seen`.
    pub unseen_only: Option<bool>,
    /// Newest first (default true).
    pub newest_first: Option<bool>,
    /// Messages per FETCH round trip (default: 500 a page; `listMessages` fetches all in one).
    pub batch_size: Option<f64>,
}

fn list_options(o: Option<ListMessagesOptions>) -> oauthmail::Result<ListOptions> {
    let mut out = ListOptions::default();
    if let Some(o) = o {
        out.limit = o.limit.map(|l| whole(l, "limit")).transpose()?.map(|l| l as usize);
        out.unseen_only = o.unseen_only.unwrap_or(false);
        out.newest_first = o.newest_first.unwrap_or(true);
        out.batch_size =
            o.batch_size.map(|b| whole(b, "batchSize")).transpose()?.map_or(out.batch_size, |b| b as usize);
    }
    Ok(out)
}

/// An IMAP folder.
#[napi(object)]
pub struct Folder {
    /// Decoded to UTF-8, as the other calls take it.
    pub name: String,
    pub delimiter: Option<String>,
    pub attributes: Vec<String>,
    /// RFC 6154 role: `sent`, `drafts`, `trash`, `junk`, `archive`, ...
    pub special_use: Option<String>,
}

/// A listing fetched batch by batch (`ImapClient.nextPage`); `ImapClient.messages()` iterates it.
#[napi]
pub struct MessagePages {
    inner: Arc<Mutex<oauthmail::imap::MessagePages>>,
}

#[napi]
impl MessagePages {
    /// Messages in the whole listing.
    #[napi(getter)]
    pub fn total(&self) -> u32 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).total() as u32
    }
    /// Messages not fetched yet.
    #[napi(getter)]
    pub fn remaining(&self) -> u32 {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner).remaining() as u32
    }
}

/// Reads mail over IMAP with OAuth 2.0. Calls are serialised on one connection.
/// Calls taking UIDs work on the folder last listed or selected (INBOX at first).
#[napi]
pub struct ImapClient {
    inner: Arc<oauthmail::ImapClient>,
}

#[napi]
impl ImapClient {
    /// Checks the settings; the connection opens on first use.
    #[napi(constructor)]
    pub fn new(env: Env, options: ImapClientOptions) -> napi::Result<Self> {
        sync(&env, || {
            let c = Connection::new(
                options.security.as_deref(),
                options.ca_file.as_deref(),
                options.timeout_ms,
                options.scopes,
            )?;
            let mut config = oauthmail::ImapConfig::new(options.host, port(options.port, "IMAP")?, options.username);
            config.security = c.security;
            config.ca = c.ca;
            config.scopes = c.scopes;
            if let Some(t) = c.timeout {
                config.timeout = t;
            }
            Ok(ImapClient { inner: Arc::new(oauthmail::ImapClient::new(config, options.credential.0)?) })
        })
    }

    /// The provider's IMAP host, port, security and mail scope.
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
            Ok(ImapClient {
                inner: Arc::new(oauthmail::ImapClient::from_provider(provider.core(), username, credential.0)?),
            })
        })
    }

    /// Connects and authenticates now (otherwise the first call does).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn connect(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.connect())
    }

    #[napi(ts_return_type = "Promise<Folder[]>")]
    pub fn list_folders(&self) -> AsyncTask<Job<Vec<Folder>>> {
        let client = self.inner.clone();
        spawn(move || {
            Ok(client
                .list_folders()?
                .into_iter()
                .map(|f| Folder {
                    name: f.name,
                    delimiter: f.delimiter,
                    attributes: f.attributes,
                    special_use: f.special_use,
                })
                .collect())
        })
    }

    /// Opens `folder` for the calls that take UIDs; resolves to its message count.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn select(&self, folder: String) -> AsyncTask<Job<u32>> {
        let client = self.inner.clone();
        spawn(move || Ok(client.select(&folder)?.exists))
    }

    /// The messages of `folder` (default INBOX), newest first.
    #[napi(ts_return_type = "Promise<MessageSummary[]>")]
    pub fn list_messages(
        &self,
        folder: Option<String>,
        options: Option<ListMessagesOptions>,
    ) -> AsyncTask<Job<Summaries>> {
        let client = self.inner.clone();
        let folder = folder.unwrap_or_else(|| "INBOX".into());
        let options = list_options(options);
        spawn(move || summaries(client.list_messages(&folder, &options?)?))
    }

    /// Starts a listing to fetch batch by batch with `nextPage`.
    #[napi(ts_return_type = "Promise<MessagePages>")]
    pub fn pages(&self, folder: Option<String>, options: Option<ListMessagesOptions>) -> AsyncTask<Job<MessagePages>> {
        let client = self.inner.clone();
        let folder = folder.unwrap_or_else(|| "INBOX".into());
        let options = list_options(options);
        spawn(move || Ok(MessagePages { inner: Arc::new(Mutex::new(client.pages(&folder, &options?)?)) }))
    }

    /// The next batch of a listing; `null` when it is done.
    #[napi(ts_return_type = "Promise<MessageSummary[] | null>")]
    pub fn next_page(&self, pages: &MessagePages) -> AsyncTask<Job<Option<Summaries>>> {
        let client = self.inner.clone();
        let pages = pages.inner.clone();
        spawn(move || {
            let mut pages = pages.lock().unwrap_or_else(PoisonError::into_inner);
            client.next_page(&mut pages)?.map(summaries).transpose()
        })
    }

    /// The whole message (RFC 5322 bytes) from the current folder.
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn fetch_message(&self, uid: f64) -> AsyncTask<Job<Buffer>> {
        let client = self.inner.clone();
        spawn(move || Ok(client.fetch_message(whole(uid, "uid")?)?.into()))
    }

    /// Streams the message into the file `path` without holding it in memory;
    /// a partial file is removed on failure.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn fetch_message_to_file(&self, uid: f64, path: String) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.fetch_message_to_file(whole(uid, "uid")?, path))
    }

    /// The message parsed into text, HTML and attachments.
    #[napi(ts_return_type = "Promise<ParsedMessage>")]
    pub fn fetch_parsed(&self, uid: f64) -> AsyncTask<Job<ParsedMessage>> {
        let client = self.inner.clone();
        spawn(move || Ok(client.fetch_parsed(whole(uid, "uid")?)?.into()))
    }

    /// Adds flags (`\Seen`, `\Flagged`, `$Custom`) in the current folder.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_flags(&self, uids: Vec<f64>, flags: Vec<String>) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.set_flags(&wholes(&uids, "uid")?, &flags.iter().map(String::as_str).collect::<Vec<_>>()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn clear_flags(&self, uids: Vec<f64>, flags: Vec<String>) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.clear_flags(&wholes(&uids, "uid")?, &flags.iter().map(String::as_str).collect::<Vec<_>>()))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn copy(&self, uids: Vec<f64>, destination: String) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.copy(&wholes(&uids, "uid")?, &destination))
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn move_messages(&self, uids: Vec<f64>, destination: String) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.move_messages(&wholes(&uids, "uid")?, &destination))
    }

    /// Marks messages `\Deleted`; `expunge` (default true) removes them now.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete(&self, uids: Vec<f64>, expunge: Option<bool>) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || client.delete(&wholes(&uids, "uid")?, expunge.unwrap_or(true)))
    }

    /// Logs out. Later calls fail with a `Closed` error; closing twice is fine.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn close(&self) -> AsyncTask<Job<()>> {
        let client = self.inner.clone();
        spawn(move || {
            client.close();
            Ok(())
        })
    }
}
