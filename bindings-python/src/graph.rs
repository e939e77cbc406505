//! `GraphMailClient`: sending through Microsoft Graph where SMTP AUTH is off.

use std::path::PathBuf;

use oauthmail::GraphConfig;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::client::{Settings, email_bytes};
use crate::credential::TokenCredential;
use crate::errors::{IntoPyResult, blocking};
use crate::handle::Handle;
use crate::message::{Message, SendReport};

/// Sends mail as `mailbox` through Microsoft Graph (`sendMail`). Thread-safe.
/// A context manager.
#[pyclass(frozen, module = "oauthmail._native")]
pub struct GraphMailClient {
    inner: Handle<oauthmail::GraphMailClient>,
}

#[pymethods]
impl GraphMailClient {
    /// `base_url` and `scope` default to Microsoft's public cloud.
    #[new]
    #[pyo3(signature = (*, mailbox, credential, base_url=None, scope=None, ca_file=None, save_to_sent_items=true))]
    fn new(
        py: Python<'_>,
        mailbox: String,
        credential: &TokenCredential,
        base_url: Option<String>,
        scope: Option<String>,
        ca_file: Option<PathBuf>,
        save_to_sent_items: bool,
    ) -> PyResult<GraphMailClient> {
        let s = Settings::new(py, None, ca_file, None)?;
        let mut config = GraphConfig::new(mailbox);
        config.base_url = base_url.unwrap_or(config.base_url);
        config.scope = scope.unwrap_or(config.scope);
        config.ca = s.ca.unwrap_or(config.ca);
        config.save_to_sent_items = save_to_sent_items;
        let inner = oauthmail::GraphMailClient::new(config, credential.inner.clone()).py_err(py)?;
        Ok(GraphMailClient { inner: Handle::new(inner) })
    }

    /// The provider's Graph URL and scope (Microsoft clouds only).
    #[classmethod]
    #[pyo3(signature = (provider, mailbox, credential, *, ca_file=None))]
    fn from_provider<'py>(
        cls: &Bound<'py, PyType>,
        provider: &crate::provider::Provider,
        mailbox: &str,
        credential: &Bound<'py, TokenCredential>,
        ca_file: Option<PathBuf>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let py = cls.py();
        let p = &provider.inner;
        let (Some(url), Some(scope)) = (&p.graph_url, &p.graph_scope) else {
            let e = oauthmail::Error::config(format!("the provider {} has no Microsoft Graph", p.name));
            return Err(crate::errors::to_py_err(py, &e));
        };
        let kwargs = PyDict::new(py);
        kwargs.set_item("mailbox", mailbox)?;
        kwargs.set_item("credential", credential)?;
        kwargs.set_item("base_url", url)?;
        kwargs.set_item("scope", scope)?;
        kwargs.set_item("ca_file", ca_file)?;
        cls.call((), Some(&kwargs))
    }

    /// Sends an `oauthmail.Message` or an `email.message.Message`.
    fn send(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<SendReport> {
        let inner = self.inner.arc();
        let report = match message.cast::<Message>() {
            Ok(m) => {
                let m = m.try_borrow()?.inner.clone();
                blocking(py, move || inner.send(&m))?
            }
            Err(_) => {
                let bytes = email_bytes(message)?;
                blocking(py, move || inner.send_mime(&bytes))?
            }
        };
        SendReport::new(py, report)
    }

    /// Sends RFC 5322 bytes; recipients come from its To, Cc and Bcc headers.
    fn send_mime(&self, py: Python<'_>, data: Vec<u8>) -> PyResult<SendReport> {
        let inner = self.inner.arc();
        let report = blocking(py, move || inner.send_mime(&data))?;
        SendReport::new(py, report)
    }

    /// Later calls raise `ClosedError`.
    fn close(&self) {
        self.inner.close();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    #[pyo3(signature = (*_exc))]
    fn __exit__(&self, _exc: &Bound<'_, PyTuple>) {
        self.close();
    }

    fn __repr__(&self) -> String {
        format!("{:?}", *self.inner)
    }
}
