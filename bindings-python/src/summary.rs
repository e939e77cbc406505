//! Listed messages: `MessageSummary` and `MailAddress`.

use pyo3::prelude::*;

use crate::time::datetime_from_unix;

/// A name and address, e.g. `Alice <alice@example.test>` (its `str`).
#[pyclass(frozen, get_all, module = "oauthmail._native")]
#[derive(Clone)]
pub struct MailAddress {
    name: Option<String>,
    address: String,
}

#[pymethods]
impl MailAddress {
    fn __str__(&self) -> String {
        self.to_core().to_string()
    }
    fn __repr__(&self) -> String {
        format!("MailAddress(name={:?}, address={:?})", self.name, self.address)
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other.cast::<MailAddress>().is_ok_and(|o| {
            let o = o.get();
            o.name == self.name && o.address == self.address
        })
    }
}

impl MailAddress {
    fn to_core(&self) -> oauthmail::MailAddress {
        oauthmail::MailAddress { name: self.name.clone(), address: self.address.clone() }
    }
}

impl From<oauthmail::MailAddress> for MailAddress {
    fn from(a: oauthmail::MailAddress) -> Self {
        MailAddress { name: a.name, address: a.address }
    }
}

/// One listed message (IMAP: `uid` is the UID; POP3: the message number).
#[pyclass(frozen, module = "oauthmail._native")]
pub struct MessageSummary {
    inner: oauthmail::MessageSummary,
}

impl From<oauthmail::MessageSummary> for MessageSummary {
    fn from(inner: oauthmail::MessageSummary) -> Self {
        MessageSummary { inner }
    }
}

#[pymethods]
impl MessageSummary {
    #[getter]
    fn uid(&self) -> u32 {
        self.inner.uid
    }
    /// Decoded to text (RFC 2047 words decoded).
    #[getter]
    fn subject(&self) -> &str {
        &self.inner.subject
    }
    /// The From address (`from` is a Python keyword).
    #[getter(from_)]
    fn from_(&self) -> Option<MailAddress> {
        self.inner.from.clone().map(Into::into)
    }
    #[getter]
    fn to(&self) -> Vec<MailAddress> {
        self.inner.to.iter().cloned().map(Into::into).collect()
    }
    #[getter]
    fn cc(&self) -> Vec<MailAddress> {
        self.inner.cc.iter().cloned().map(Into::into).collect()
    }
    /// The Date header as an aware UTC `datetime`, if it has one.
    #[getter]
    fn date<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        self.inner.date.map(|d| datetime_from_unix(py, d)).transpose()
    }
    /// Size in bytes.
    #[getter]
    fn size(&self) -> u64 {
        self.inner.size
    }
    /// IMAP flags such as `\Seen` (empty over POP3).
    #[getter]
    fn flags(&self) -> Vec<String> {
        self.inner.flags.clone()
    }
    #[getter]
    fn message_id(&self) -> Option<&str> {
        self.inner.message_id.as_deref()
    }
    #[getter]
    fn has_attachments(&self) -> bool {
        self.inner.has_attachments
    }
    /// The POP3 unique id.
    #[getter]
    fn uidl(&self) -> Option<&str> {
        self.inner.uidl.as_deref()
    }
    /// Microsoft Graph's message id (its `uid` is 0).
    #[getter]
    fn id(&self) -> Option<&str> {
        self.inner.id.as_deref()
    }
    fn __repr__(&self) -> String {
        format!("MessageSummary(uid={}, subject={:?})", self.inner.uid, self.inner.subject)
    }
}
