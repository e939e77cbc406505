//! `Message` (the core builder, filled by keyword arguments and methods) and
//! `SendReport`; `email.message.Message` objects are converted in `_email.py`.

use std::path::PathBuf;

use oauthmail::{SendReport as CoreReport, Transport};
use pyo3::prelude::*;
use pyo3::types::PyString;

use crate::errors::blocking;

/// A message to send. Validated when sent (or by `as_bytes`): bad input
/// raises `MessageError` and nothing is sent.
#[pyclass(module = "oauthmail._native")]
pub struct Message {
    pub(crate) inner: oauthmail::Message,
}

/// One address or a list of them, for the argument `name`. An error carries
/// the note "while processing '<name>'", as pyo3 adds to arguments it extracts.
fn addresses(name: &str, value: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<String>> {
    let Some(v) = value else { return Ok(Vec::new()) };
    let extracted = if v.is_instance_of::<PyString>() { v.extract().map(|a| vec![a]) } else { v.extract() };
    extracted.inspect_err(|e| {
        // Python < 3.11 has no notes: the error is raised without one.
        let _ = e.value(v.py()).call_method1("add_note", (format!("while processing '{name}'"),));
    })
}

impl Message {
    fn update(&mut self, f: impl FnOnce(oauthmail::Message) -> oauthmail::Message) {
        self.inner = f(std::mem::take(&mut self.inner));
    }
}

#[pymethods]
impl Message {
    /// `to`, `cc`, `bcc` and `reply_to` take one address or a list;
    /// `from_` is the From address (`from` is a Python keyword).
    #[new]
    #[pyo3(signature = (*, from_=None, to=None, cc=None, bcc=None, subject=None, text=None, html=None, reply_to=None, sender=None, headers=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        from_: Option<String>,
        to: Option<&Bound<'_, PyAny>>,
        cc: Option<&Bound<'_, PyAny>>,
        bcc: Option<&Bound<'_, PyAny>>,
        subject: Option<String>,
        text: Option<String>,
        html: Option<String>,
        reply_to: Option<&Bound<'_, PyAny>>,
        sender: Option<String>,
        headers: Option<Vec<(String, String)>>,
    ) -> PyResult<Message> {
        let mut m = oauthmail::Message::new();
        if let Some(f) = from_ {
            m = m.from(f);
        }
        for a in addresses("to", to)? {
            m = m.to(a);
        }
        for a in addresses("cc", cc)? {
            m = m.cc(a);
        }
        for a in addresses("bcc", bcc)? {
            m = m.bcc(a);
        }
        for a in addresses("reply_to", reply_to)? {
            m = m.reply_to(a);
        }
        if let Some(s) = sender {
            m = m.sender(s);
        }
        if let Some(s) = subject {
            m = m.subject(s);
        }
        if let Some(t) = text {
            m = m.text(t);
        }
        if let Some(h) = html {
            m = m.html(h);
        }
        for (name, value) in headers.unwrap_or_default() {
            m = m.header(name, value);
        }
        Ok(Message { inner: m })
    }

    #[getter]
    fn subject(&self) -> Option<&str> {
        self.inner.subject_text()
    }

    /// Attaches bytes under `filename`.
    #[pyo3(signature = (data, filename, content_type="application/octet-stream"))]
    fn attach(&mut self, data: Vec<u8>, filename: String, content_type: &str) {
        self.update(|m| m.attach_bytes(filename, content_type, data));
    }

    /// Attaches a file (read when the message is sent); `filename` defaults
    /// to the path's last part.
    #[pyo3(signature = (path, content_type=None, filename=None))]
    fn attach_file(&mut self, path: PathBuf, content_type: Option<&str>, filename: Option<&str>) {
        self.update(|m| m.attach_file(path, content_type, filename));
    }

    /// An image the HTML body shows as `<img src="cid:{content_id}">`.
    fn inline_image(&mut self, content_id: String, data: Vec<u8>, filename: String, content_type: String) {
        self.update(|m| m.inline_image(content_id, filename, content_type, data));
    }

    /// A custom header such as `X-Mailer`.
    fn add_header(&mut self, name: String, value: String) {
        self.update(|m| m.header(name, value));
    }

    /// The RFC 5322 bytes that would be sent (validates the message).
    fn as_bytes(&self, py: Python<'_>) -> PyResult<Vec<u8>> {
        Ok(blocking(py, || self.inner.prepare())?.bytes)
    }

    fn __repr__(&self) -> String {
        format!("Message(subject={:?})", self.inner.subject_text().unwrap_or_default())
    }
}

/// A recipient the server refused while others were accepted.
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct RejectedRecipient {
    address: String,
    /// The enhanced status code (`5.1.1`).
    code: String,
    reply: String,
}

#[pymethods]
impl RejectedRecipient {
    fn __repr__(&self) -> String {
        format!("RejectedRecipient(address={:?}, code={:?})", self.address, self.code)
    }
}

/// What the server said about an accepted message.
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct SendReport {
    /// The server's queue id, when it gives one.
    queue_id: Option<String>,
    /// The server's final reply.
    reply: String,
    accepted: Vec<String>,
    rejected: Vec<Py<RejectedRecipient>>,
    /// `"smtp"` or `"graph"`.
    via: &'static str,
    message_id: Option<String>,
}

#[pymethods]
impl SendReport {
    fn __repr__(&self) -> String {
        let queue_id = self.queue_id.as_deref().map_or("None".to_owned(), |q| format!("{q:?}"));
        format!("SendReport(queue_id={queue_id}, via={:?}, accepted={:?})", self.via, self.accepted)
    }
}

impl SendReport {
    pub fn new(py: Python<'_>, r: CoreReport) -> PyResult<SendReport> {
        let rejected = r
            .rejected
            .into_iter()
            .map(|x| Py::new(py, RejectedRecipient { address: x.address, code: x.code, reply: x.reply }))
            .collect::<PyResult<_>>()?;
        Ok(SendReport {
            queue_id: r.queue_id,
            reply: r.reply,
            accepted: r.accepted,
            rejected,
            via: match r.via {
                Transport::Smtp => "smtp",
                Transport::Graph => "graph",
            },
            message_id: r.message_id,
        })
    }
}
