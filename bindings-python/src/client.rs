//! What the mail clients share: connection settings from keyword arguments,
//! `from_provider` keyword arguments, and `email.message.Message` conversion.

use std::path::PathBuf;
use std::time::Duration;

use oauthmail::sasl::Mechanism;
use oauthmail::tls::TlsTrust;
use oauthmail::{Endpoint, Provider, Security};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::credential::TokenCredential;
use crate::errors::{IntoPyResult, blocking};

/// `security`, `ca_file`, `timeout` and `mechanism` arguments, checked.
pub struct Settings {
    pub security: Option<Security>,
    pub ca: Option<TlsTrust>,
    pub timeout: Option<Duration>,
    pub mechanism: Option<Mechanism>,
}

impl Settings {
    pub fn new(
        py: Python<'_>,
        security: Option<&str>,
        ca_file: Option<PathBuf>,
        timeout: Option<f64>,
        mechanism: Option<&str>,
    ) -> PyResult<Self> {
        let security = security.map(Security::parse).transpose().py_err(py)?;
        let mechanism = mechanism.map(str::parse).transpose().py_err(py)?;
        let ca = blocking(py, || ca_file.map(TlsTrust::from_ca_file).transpose())?;
        let timeout = timeout
            .map(|s| {
                Duration::try_from_secs_f64(s).ok().filter(|d| !d.is_zero()).ok_or_else(|| {
                    oauthmail::Error::config(format!("the timeout must be a positive number of seconds, not {s}"))
                })
            })
            .transpose()
            .py_err(py)?;
        Ok(Settings { security, ca, timeout, mechanism })
    }
}

/// Keyword arguments for a client's constructor from a provider preset.
pub fn from_provider_kwargs<'py>(
    py: Python<'py>,
    endpoint: &Endpoint,
    provider: &Provider,
    username: &str,
    credential: &Bound<'py, TokenCredential>,
    ca_file: Option<PathBuf>,
    timeout: Option<f64>,
) -> PyResult<Bound<'py, PyDict>> {
    let kwargs = PyDict::new(py);
    kwargs.set_item("host", &endpoint.host)?;
    kwargs.set_item("port", endpoint.port)?;
    kwargs.set_item("username", username)?;
    kwargs.set_item("credential", credential)?;
    kwargs.set_item("security", endpoint.security.as_str())?;
    kwargs.set_item("ca_file", ca_file)?;
    kwargs.set_item("timeout", timeout)?;
    kwargs.set_item("scopes", vec![provider.mail_scope.clone()])?;
    Ok(kwargs)
}

fn email_module(py: Python<'_>) -> PyResult<&Bound<'_, PyModule>> {
    static MODULE: PyOnceLock<Py<PyModule>> = PyOnceLock::new();
    MODULE.get_or_try_init(py, || Ok::<_, PyErr>(py.import("oauthmail._email")?.unbind())).map(|m| m.bind(py))
}

/// `(envelope_from, recipients, bytes)` of an `email.message.Message`.
pub fn email_parts(message: &Bound<'_, PyAny>) -> PyResult<(String, Vec<String>, Vec<u8>)> {
    email_module(message.py())?.call_method1("envelope", (message,))?.extract()
}

/// The bytes of an `email.message.Message` (headers and all, Bcc kept).
pub fn email_bytes(message: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    email_module(message.py())?.call_method1("to_bytes", (message,))?.extract()
}

/// Raw bytes parsed into an `email.message.EmailMessage`.
pub fn to_email<'py>(py: Python<'py>, data: &[u8]) -> PyResult<Bound<'py, PyAny>> {
    email_module(py)?.call_method1("parse", (pyo3::types::PyBytes::new(py, data),))
}
