//! `GraphMailClient`: sending through Microsoft Graph where SMTP AUTH is off.

use std::path::PathBuf;

use oauthmail::{GraphConfig, GraphListOptions};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple, PyType};

use crate::client::{Settings, email_bytes, to_email};
use crate::credential::TokenCredential;
use crate::errors::blocking;
use crate::handle::Handle;
use crate::listing::{MessageIterator, Pages};
use crate::message::{Message, SendReport};
use crate::time::system_time_arg;

/// Sends and reads the mail of `mailbox` through Microsoft Graph, for tenants
/// where SMTP AUTH is off. Thread-safe. A context manager.
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
        let s = Settings::new(py, None, ca_file, None, None)?;
        let mut config = GraphConfig::new(mailbox);
        config.base_url = base_url.unwrap_or(config.base_url);
        config.scope = scope.unwrap_or(config.scope);
        config.ca = s.ca.unwrap_or(config.ca);
        config.save_to_sent_items = save_to_sent_items;
        let inner = blocking(py, || oauthmail::GraphMailClient::new(config, credential.inner.arc()))?;
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

    /// A folder's messages as an iterator of `MessageSummary`, newest first,
    /// one Graph page (`page_size` messages) per request. `folder` is a
    /// well-known name (`inbox`, `sentitems`, ...) or a display name.
    #[pyo3(signature = (folder="inbox", *, limit=None, unread_only=false, since=None, page_size=None))]
    fn list_messages(
        &self,
        py: Python<'_>,
        folder: &str,
        limit: Option<usize>,
        unread_only: bool,
        since: Option<&Bound<'_, PyAny>>,
        page_size: Option<usize>,
    ) -> PyResult<MessageIterator> {
        let defaults = GraphListOptions::default();
        let options = GraphListOptions {
            limit,
            unread_only,
            since: since.map(system_time_arg).transpose()?,
            page_size: page_size.unwrap_or(defaults.page_size),
        };
        let (inner, folder) = (self.inner.arc(), folder.to_owned());
        let pages = blocking(py, move || inner.pages(&folder, &options))?;
        Ok(MessageIterator::new(Pages::Graph(self.inner.clone(), pages)))
    }

    /// The whole message (RFC 5322 bytes) of Graph message `id`.
    fn fetch_message(&self, py: Python<'_>, id: String) -> PyResult<Vec<u8>> {
        let inner = self.inner.arc();
        blocking(py, move || inner.fetch_message(&id))
    }

    /// Message `id` as an `email.message.EmailMessage`.
    fn fetch_email<'py>(&self, py: Python<'py>, id: String) -> PyResult<Bound<'py, PyAny>> {
        let data = self.fetch_message(py, id)?;
        to_email(py, &data)
    }

    #[pyo3(signature = (id, read=true))]
    fn mark_read(&self, py: Python<'_>, id: String, read: bool) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.mark_read(&id, read))
    }

    /// Moves message `id` to `destination`; returns its new id.
    fn move_message(&self, py: Python<'_>, id: String, destination: String) -> PyResult<String> {
        let inner = self.inner.arc();
        blocking(py, move || inner.move_message(&id, &destination))
    }

    fn delete_message(&self, py: Python<'_>, id: String) -> PyResult<()> {
        let inner = self.inner.arc();
        blocking(py, move || inner.delete_message(&id))
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
