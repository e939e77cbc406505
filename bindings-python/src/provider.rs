//! `Provider` presets: identity platform, mail scope and SMTP/IMAP/POP3 hosts.

use oauthmail::{Authority, Endpoint as CoreEndpoint, Provider as CoreProvider, Security};
use pyo3::prelude::*;

use crate::errors::IntoPyResult;

/// One mail server of a provider.
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct Endpoint {
    host: String,
    port: u16,
    /// `starttls` or `tls`.
    security: String,
}

#[pymethods]
impl Endpoint {
    fn __repr__(&self) -> String {
        format!("Endpoint(host={:?}, port={}, security={:?})", self.host, self.port, self.security)
    }
}

impl From<&CoreEndpoint> for Endpoint {
    fn from(e: &CoreEndpoint) -> Self {
        Endpoint { host: e.host.clone(), port: e.port, security: e.security.as_str().to_owned() }
    }
}

/// Host/port/scope presets: `Provider.office365()`, `Provider.gmail()`, ...
#[pyclass(frozen, module = "oauthmail._native")]
pub struct Provider {
    pub(crate) inner: CoreProvider,
}

/// `(host, port)` or `(host, port, security)`.
fn endpoint(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<CoreEndpoint> {
    let (host, port, security) = match value.extract::<(String, u16)>() {
        Ok((host, port)) => (host, port, None),
        Err(_) => {
            let (host, port, security) = value.extract::<(String, u16, String)>()?;
            (host, port, Some(security))
        }
    };
    let security = match security {
        Some(s) => Security::parse(&s).py_err(py)?,
        None => Security::default_for_port(port),
    };
    Ok(CoreEndpoint { host, port, security })
}

#[pymethods]
impl Provider {
    /// Exchange Online, public cloud.
    #[staticmethod]
    fn office365() -> Provider {
        Provider { inner: CoreProvider::office365() }
    }
    /// Exchange Online, US Government GCC High.
    #[staticmethod]
    fn office365_gcc_high() -> Provider {
        Provider { inner: CoreProvider::office365_gcc_high() }
    }
    /// Exchange Online, US Department of Defense.
    #[staticmethod]
    fn office365_dod() -> Provider {
        Provider { inner: CoreProvider::office365_dod() }
    }
    /// Microsoft 365 operated by 21Vianet.
    #[staticmethod]
    fn office365_china() -> Provider {
        Provider { inner: CoreProvider::office365_china() }
    }
    /// Gmail / Google Workspace.
    #[staticmethod]
    fn gmail() -> Provider {
        Provider { inner: CoreProvider::gmail() }
    }
    /// A preset by name (`office365`, `gcc_high`, `dod`, `china`, `gmail`).
    #[staticmethod]
    fn by_name(py: Python<'_>, name: &str) -> PyResult<Provider> {
        Ok(Provider { inner: CoreProvider::by_name(name).py_err(py)? })
    }
    /// Any provider: `smtp`, `imap`, `pop3` are `(host, port)` or
    /// `(host, port, "starttls" | "tls")` tuples.
    #[staticmethod]
    #[pyo3(signature = (*, authority, mail_scope, smtp, imap, pop3))]
    fn custom(
        py: Python<'_>,
        authority: &str,
        mail_scope: String,
        smtp: &Bound<'_, PyAny>,
        imap: &Bound<'_, PyAny>,
        pop3: &Bound<'_, PyAny>,
    ) -> PyResult<Provider> {
        let authority = Authority::parse(authority).py_err(py)?;
        let inner =
            CoreProvider::custom(authority, mail_scope, endpoint(py, smtp)?, endpoint(py, imap)?, endpoint(py, pop3)?);
        Ok(Provider { inner })
    }
    #[getter]
    fn name(&self) -> &str {
        &self.inner.name
    }
    /// The identity platform's base URL (or token URL for non-Microsoft providers).
    #[getter]
    fn authority(&self) -> String {
        self.inner.authority.cache_id()
    }
    #[getter]
    fn mail_scope(&self) -> &str {
        &self.inner.mail_scope
    }
    #[getter]
    fn graph_url(&self) -> Option<&str> {
        self.inner.graph_url.as_deref()
    }
    #[getter]
    fn smtp(&self) -> Endpoint {
        (&self.inner.smtp).into()
    }
    #[getter]
    fn imap(&self) -> Endpoint {
        (&self.inner.imap).into()
    }
    #[getter]
    fn pop3(&self) -> Endpoint {
        (&self.inner.pop3).into()
    }
    fn __repr__(&self) -> String {
        format!("Provider({:?})", self.inner.name)
    }
}
