//! `SmtpClient`: sends `Message`s, `email.message.Message`s and raw bytes.

use std::path::PathBuf;

use oauthmail::{SmtpConfig, tls::TlsTrust};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyType};

use crate::client::{Settings, email_parts, from_provider_kwargs};
use crate::credential::TokenCredential;
use crate::errors::blocking;
use crate::handle::Handle;
use crate::message::{Message, SendReport};

/// Sends mail over SMTP submission with OAuth 2.0. Thread-safe: calls from
/// several threads take turns on its one connection. A context manager.
#[pyclass(frozen, module = "oauthmail._native")]
pub struct SmtpClient {
    pub(crate) inner: Handle<oauthmail::SmtpClient>,
}

#[pymethods]
impl SmtpClient {
    /// `security`: `"starttls"` or `"tls"` (default from the port: `tls` on
    /// 465); `ca_file`: extra trusted CAs (PEM); `timeout`: seconds.
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
    ) -> PyResult<SmtpClient> {
        let s = Settings::new(py, security, ca_file, timeout, mechanism)?;
        let mut config = SmtpConfig::new(host, port, username);
        config.security = s.security;
        config.ca = s.ca.unwrap_or_else(TlsTrust::system);
        config.timeout = s.timeout.unwrap_or(config.timeout);
        config.scopes = scopes.unwrap_or_default();
        config.mechanism = s.mechanism;
        let inner = blocking(py, || oauthmail::SmtpClient::new(config, credential.inner.arc()))?;
        Ok(SmtpClient { inner: Handle::new(inner) })
    }

    /// The provider's SMTP host, port, security and mail scope.
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
        let kwargs: Bound<'py, PyDict> = from_provider_kwargs(
            cls.py(),
            &provider.inner.smtp,
            &provider.inner,
            username,
            credential,
            ca_file,
            timeout,
        )?;
        cls.call((), Some(&kwargs))
    }

    /// Sends an `oauthmail.Message` or an `email.message.Message` (e.g.
    /// `EmailMessage`; its envelope comes from its headers, Bcc is not sent).
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<SendReport> {
        let inner = self.inner.arc();
        let report = match message.cast::<Message>() {
            Ok(m) => {
                let m = m.try_borrow()?.inner.clone();
                blocking(py, move || inner.send(&m))?
            }
            Err(_) => {
                let (from, rcpts, bytes) = email_parts(message)?;
                blocking(py, move || {
                    inner.send_raw(&from, &rcpts.iter().map(String::as_str).collect::<Vec<_>>(), &bytes)
                })?
            }
        };
        SendReport::new(py, report)
    }

    /// Sends RFC 5322 bytes as they are, to the given envelope.
    fn send_raw(
        &self,
        py: Python<'_>,
        envelope_from: String,
        recipients: Vec<String>,
        data: Vec<u8>,
    ) -> PyResult<SendReport> {
        let inner = self.inner.arc();
        let report = blocking(py, move || {
            inner.send_raw(&envelope_from, &recipients.iter().map(String::as_str).collect::<Vec<_>>(), &data)
        })?;
        SendReport::new(py, report)
    }

    /// Connects and logs in now (to check settings) instead of at the first send.
    fn connect(&self, py: Python<'_>) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.connect())
    }

    /// Ends the session; later calls raise `ClosedError`. Closing twice is fine.
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
    fn __exit__(&self, py: Python<'_>, _exc: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<()> {
        self.close(py)
    }

    fn __repr__(&self) -> String {
        format!("{:?}", *self.inner)
    }
}
