//! `ImapClient` and the iterator its listings return.

use std::path::PathBuf;

use oauthmail::ImapConfig;
use oauthmail::imap::{Folder as CoreFolder, ListOptions};
use oauthmail::tls::TlsTrust;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

use crate::client::{Settings, from_provider_kwargs, to_email};
use crate::credential::TokenCredential;
use crate::errors::blocking;
use crate::handle::Handle;
use crate::listing::{MessageIterator, Pages};

/// An IMAP folder (name decoded to UTF-8).
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct Folder {
    name: String,
    delimiter: Option<String>,
    /// LIST attributes such as `\HasNoChildren`.
    attributes: Vec<String>,
    /// RFC 6154 role: `sent`, `drafts`, `trash`, `junk`, `archive`, ...
    special_use: Option<String>,
}

#[pymethods]
impl Folder {
    fn __repr__(&self) -> String {
        format!("Folder(name={:?}, special_use={:?})", self.name, self.special_use)
    }
}

impl From<CoreFolder> for Folder {
    fn from(f: CoreFolder) -> Self {
        Folder { name: f.name, delimiter: f.delimiter, attributes: f.attributes, special_use: f.special_use }
    }
}

/// Reads mail over IMAP with OAuth 2.0. Thread-safe: calls from several
/// threads take turns on its one connection. A context manager.
///
/// `list_messages(folder)` and `select(folder)` make `folder` the current
/// one; calls that take UIDs work on it (INBOX at first).
#[pyclass(frozen, module = "oauthmail._native")]
pub struct ImapClient {
    pub(crate) inner: Handle<oauthmail::ImapClient>,
}

fn uid_refs(flags: &[String]) -> Vec<&str> {
    flags.iter().map(String::as_str).collect()
}

#[pymethods]
impl ImapClient {
    /// `security`: `"starttls"` or `"tls"` (default from the port: `tls` on 993).
    /// `mechanism`: `"XOAUTH2"` or `"OAUTHBEARER"` (default: chosen from what the server offers).
    #[new]
    #[pyo3(signature = (*, host, port, username, credential, security=None, ca_file=None, timeout=None, scopes=None, mechanism=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        host: String,
        port: u16,
        username: String,
        credential: &TokenCredential,
        security: Option<&str>,
        ca_file: Option<PathBuf>,
        timeout: Option<f64>,
        scopes: Option<Vec<String>>,
        mechanism: Option<&str>,
    ) -> PyResult<ImapClient> {
        let s = Settings::new(py, security, ca_file, timeout, mechanism)?;
        let mut config = ImapConfig::new(host, port, username);
        config.security = s.security;
        config.ca = s.ca.unwrap_or_else(TlsTrust::system);
        config.timeout = s.timeout.unwrap_or(config.timeout);
        config.scopes = scopes.unwrap_or_default();
        config.mechanism = s.mechanism;
        let inner = blocking(py, || oauthmail::ImapClient::new(config, credential.inner.arc()))?;
        Ok(ImapClient { inner: Handle::new(inner) })
    }

    /// The provider's IMAP host, port, security and mail scope.
    #[classmethod]
    #[pyo3(signature = (provider, username, credential, *, ca_file=None, timeout=None))]
    fn from_provider<'py>(
        cls: &Bound<'py, PyType>,
        provider: &crate::provider::Provider,
        username: &str,
        credential: &Bound<'py, TokenCredential>,
        ca_file: Option<PathBuf>,
        timeout: Option<f64>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let p = &provider.inner;
        let kwargs = from_provider_kwargs(cls.py(), &p.imap, p, username, credential, ca_file, timeout)?;
        cls.call((), Some(&kwargs))
    }

    /// The messages of `folder` as an iterator of `MessageSummary`, newest
    /// first, fetched in batches (one round trip each) as you iterate.
    #[pyo3(signature = (folder="INBOX", *, limit=None, unseen_only=false, newest_first=true, batch_size=None))]
    fn list_messages(
        &self,
        py: Python<'_>,
        folder: &str,
        limit: Option<usize>,
        unseen_only: bool,
        newest_first: bool,
        batch_size: Option<usize>,
    ) -> PyResult<MessageIterator> {
        let defaults = ListOptions::default();
        let options =
            ListOptions { limit, unseen_only, newest_first, batch_size: batch_size.unwrap_or(defaults.batch_size) };
        let inner = self.inner.arc();
        let folder = folder.to_owned();
        let pages = blocking(py, move || inner.pages(&folder, &options))?;
        Ok(MessageIterator::new(Pages::Imap(self.inner.clone(), pages)))
    }

    /// The whole message (RFC 5322 bytes) of `uid` in the current folder.
    fn fetch_message(&self, py: Python<'_>, uid: u32) -> PyResult<Vec<u8>> {
        let inner = self.inner.arc();
        blocking(py, move || inner.fetch_message(uid))
    }

    /// The message of `uid` as an `email.message.EmailMessage`.
    fn fetch_email<'py>(&self, py: Python<'py>, uid: u32) -> PyResult<Bound<'py, PyAny>> {
        let data = self.fetch_message(py, uid)?;
        to_email(py, &data)
    }

    /// Streams the message into a file; a partial file is removed on failure.
    fn fetch_message_to_file(&self, py: Python<'_>, uid: u32, path: PathBuf) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.fetch_message_to_file(uid, &path))
    }

    fn list_folders(&self, py: Python<'_>) -> PyResult<Vec<Folder>> {
        let inner = self.inner.arc();
        Ok(blocking(py, move || inner.list_folders())?.into_iter().map(Folder::from).collect())
    }

    fn create_folder(&self, py: Python<'_>, name: String) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.create_folder(&name))
    }

    fn delete_folder(&self, py: Python<'_>, name: String) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.delete_folder(&name))
    }

    /// Makes `folder` the current one; returns how many messages it has.
    fn select(&self, py: Python<'_>, folder: String) -> PyResult<u32> {
        let inner = self.inner.arc();
        Ok(blocking(py, move || inner.select(&folder))?.exists)
    }

    /// Adds flags (e.g. `"\\Seen"`) to messages of the current folder.
    fn set_flags(&self, py: Python<'_>, uids: Vec<u32>, flags: Vec<String>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.set_flags(&uids, &uid_refs(&flags)))
    }

    fn clear_flags(&self, py: Python<'_>, uids: Vec<u32>, flags: Vec<String>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.clear_flags(&uids, &uid_refs(&flags)))
    }

    fn copy(&self, py: Python<'_>, uids: Vec<u32>, dest: String) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.copy(&uids, &dest))
    }

    fn move_messages(&self, py: Python<'_>, uids: Vec<u32>, dest: String) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.move_messages(&uids, &dest))
    }

    /// Marks messages deleted and, with `expunge` (default), removes them now.
    #[pyo3(signature = (uids, expunge=true))]
    fn delete(&self, py: Python<'_>, uids: Vec<u32>, expunge: bool) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.delete(&uids, expunge))
    }

    /// Connects and logs in now instead of at the first call.
    fn connect(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.connect())
    }

    /// Logs out; later calls raise `ClosedError`. Closing twice is fine.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || {
            inner.close();
            Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, PyTuple>) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", *self.inner)
    }
}
