//! `Pop3Client`.

use std::path::PathBuf;

use oauthmail::Pop3Config;
use oauthmail::tls::TlsTrust;
use pyo3::prelude::*;
use pyo3::types::{PyTuple, PyType};

use crate::client::{Settings, from_provider_kwargs, to_email};
use crate::credential::TokenCredential;
use crate::errors::blocking;
use crate::handle::Handle;
use crate::summary::MessageSummary;

/// Reads mail over POP3 with OAuth 2.0. Thread-safe: calls from several
/// threads take turns on its one connection. A context manager; deletions
/// are applied when it closes (QUIT).
#[pyclass(frozen, module = "oauthmail._native")]
pub struct Pop3Client {
    pub(crate) inner: Handle<oauthmail::Pop3Client>,
}

#[pymethods]
impl Pop3Client {
    /// `security`: `"starttls"` (STLS) or `"tls"` (default from the port: `tls` on 995).
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
    ) -> PyResult<Pop3Client> {
        let s = Settings::new(py, security, ca_file, timeout, mechanism)?;
        let mut config = Pop3Config::new(host, port, username);
        config.security = s.security;
        config.ca = s.ca.unwrap_or_else(TlsTrust::system);
        config.timeout = s.timeout.unwrap_or(config.timeout);
        config.scopes = scopes.unwrap_or_default();
        config.mechanism = s.mechanism;
        let inner = blocking(py, || oauthmail::Pop3Client::new(config, credential.inner.arc()))?;
        Ok(Pop3Client { inner: Handle::new(inner) })
    }

    /// The provider's POP3 host, port, security and mail scope.
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
        let kwargs = from_provider_kwargs(cls.py(), &p.pop3, p, username, credential, ca_file, timeout)?;
        cls.call((), Some(&kwargs))
    }

    /// Summaries of the maildrop, newest first (`uid` is the message number).
    #[pyo3(signature = (*, limit=None))]
    fn list_messages<'py>(&self, py: Python<'py>, limit: Option<usize>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.arc();
        let list: Vec<MessageSummary> =
            blocking(py, move || inner.list_messages(limit))?.into_iter().map(MessageSummary::from).collect();
        list.into_pyobject(py)?.try_iter().map(Bound::into_any)
    }

    /// `(messages, total size in bytes)`.
    fn stat(&self, py: Python<'_>) -> PyResult<(u32, u64)> {
        let inner = self.inner.arc();
        blocking(py, move || inner.stat())
    }

    /// The whole message `n` (RFC 5322 bytes).
    fn fetch_message(&self, py: Python<'_>, n: u32) -> PyResult<Vec<u8>> {
        let inner = self.inner.arc();
        blocking(py, move || inner.fetch_message(n))
    }

    /// Message `n` as an `email.message.EmailMessage`.
    fn fetch_email<'py>(&self, py: Python<'py>, n: u32) -> PyResult<Bound<'py, PyAny>> {
        let data = self.fetch_message(py, n)?;
        to_email(py, &data)
    }

    /// Streams message `n` into a file; a partial file is removed on failure.
    fn fetch_message_to_file(&self, py: Python<'_>, n: u32, path: PathBuf) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.fetch_message_to_file(n, &path))
    }

    /// Marks message `n` deleted; the server deletes it at `close()`.
    fn delete(&self, py: Python<'_>, n: u32) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.dele(n))
    }

    /// Unmarks every message marked for deletion in this session.
    fn reset(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.rset())
    }

    fn connect(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.connect())
    }

    /// QUIT (applies deletions); later calls raise `ClosedError`.
    fn close(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.close())
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
