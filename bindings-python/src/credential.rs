//! Credentials: one Python class per core credential type, all subclasses of
//! `TokenCredential`, which holds the shared core object and `get_token`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use oauthmail::credential::AuthorizationRequest as CoreRequest;
use oauthmail::{
    AuthorizationCodeCredential as CoreAuthCode, ClientCertificateCredential as CoreCert,
    ClientSecretCredential as CoreSecret, CredentialOptions, DeviceCodeCredential as CoreDeviceCode,
    DeviceCodeInfo as CoreInfo, RefreshTokenCredential as CoreRefresh, Secret, StaticTokenCredential as CoreStatic,
    TokenCredential as CoreCredential, UsernamePasswordCredential as CorePassword,
};
use pyo3::PyClass;
use pyo3::prelude::*;

use crate::errors::{IntoPyResult, blocking};
use crate::handle::Handle;
use crate::time::{datetime_from_unix, system_time_arg};

/// An access token and when it expires (Azure Identity's shape). Its `repr`
/// never shows the token.
#[pyclass(frozen, module = "oauthmail._native")]
pub struct AccessToken {
    inner: oauthmail::AccessToken,
}

#[pymethods]
impl AccessToken {
    /// The bearer token. Do not log it.
    #[getter]
    fn token(&self) -> &str {
        self.inner.token().expose()
    }
    /// Seconds since the Unix epoch, as in Azure Identity.
    #[getter]
    fn expires_on(&self) -> u64 {
        self.inner.expires_on_unix()
    }
    /// `expires_on` as an aware UTC `datetime`.
    #[getter]
    fn expires_at<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        datetime_from_unix(py, self.inner.expires_on_unix() as i64)
    }
    /// The JWT payload, decoded without verifying it (to explain roles and audience).
    fn claims<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let claims = self.inner.claims().py_err(py)?;
        let json = serde_json::to_string(&claims.all).unwrap_or_default();
        py.import("json")?.call_method1("loads", (json,))
    }
    fn __repr__(&self) -> String {
        format!("AccessToken(token=<redacted>, expires_on={})", self.inner.expires_on_unix())
    }
}

/// Base class of every credential: a thread-safe source of access tokens,
/// cached and refreshed as needed; threads sharing one make one request.
#[pyclass(subclass, frozen, module = "oauthmail._native")]
pub struct TokenCredential {
    pub(crate) inner: Handle<dyn CoreCredential>,
}

#[pymethods]
impl TokenCredential {
    /// A token for `scopes` (the credential's default scopes when none).
    #[pyo3(signature = (*scopes))]
    fn get_token(&self, py: Python<'_>, scopes: Vec<String>) -> PyResult<AccessToken> {
        let inner = self.inner.arc();
        let token = blocking(py, move || inner.get_token(&refs(&scopes)))?;
        Ok(AccessToken { inner: token })
    }
    /// A new token, bypassing the cache (after a server refused the cached one).
    #[pyo3(signature = (*scopes))]
    fn get_fresh_token(&self, py: Python<'_>, scopes: Vec<String>) -> PyResult<AccessToken> {
        let inner = self.inner.arc();
        let token = blocking(py, move || inner.get_fresh_token(&refs(&scopes)))?;
        Ok(AccessToken { inner: token })
    }
    #[getter]
    fn default_scopes(&self) -> Vec<String> {
        self.inner.default_scopes()
    }
    fn __repr__(&self) -> String {
        format!("{:?}", &*self.inner)
    }
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A credential subclass over `inner`.
fn subclass<T: PyClass<BaseType = TokenCredential>>(sub: T, inner: Arc<dyn CoreCredential>) -> PyClassInitializer<T> {
    PyClassInitializer::from(TokenCredential { inner: Handle::from_arc(inner) }).add_subclass(sub)
}

/// The options every credential takes.
fn options(
    py: Python<'_>,
    authority: Option<&str>,
    ca_file: Option<PathBuf>,
    scopes: Option<Vec<String>>,
) -> PyResult<CredentialOptions> {
    let mut opts = blocking(py, || CredentialOptions::new(authority, ca_file.as_deref()))?;
    opts.scopes = scopes.unwrap_or_default();
    Ok(opts)
}

/// The options of the user sign-in flows.
struct UserOptions {
    client_secret: Option<String>,
    login_hint: Option<String>,
    persistent_cache: Option<PathBuf>,
}

impl UserOptions {
    fn apply(self, mut opts: CredentialOptions) -> CredentialOptions {
        opts.client_secret = self.client_secret.map(Secret::new);
        opts.login_hint = self.login_hint;
        opts.persistent_cache = self.persistent_cache;
        opts
    }
}

/// The client-credentials grant with a client secret (an app, no user).
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct ClientSecretCredential;

#[pymethods]
impl ClientSecretCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, client_secret, authority=None, ca_file=None, scopes=None))]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        client_secret: String,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts = options(py, authority, ca_file, scopes)?;
        let cred = blocking(py, || CoreSecret::new(tenant_id, client_id, Secret::new(client_secret), opts))?;
        Ok(subclass(ClientSecretCredential, Arc::new(cred)))
    }
}

/// The client-credentials grant with a certificate (a signed JWT assertion).
/// `certificate_path` is a PEM file with the certificate and, unless
/// `key_path` is given, its private key.
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct ClientCertificateCredential;

#[pymethods]
impl ClientCertificateCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, certificate_path=None, key_path=None, certificate_data=None, key_data=None, authority=None, ca_file=None, scopes=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        certificate_path: Option<PathBuf>,
        key_path: Option<PathBuf>,
        certificate_data: Option<Vec<u8>>,
        key_data: Option<Vec<u8>>,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts = options(py, authority, ca_file, scopes)?;
        let cred = blocking(py, || match (certificate_path, certificate_data) {
            (Some(path), None) => CoreCert::from_files(tenant_id, client_id, &path, key_path.as_deref(), opts),
            (None, Some(pem)) => CoreCert::new(tenant_id, client_id, &pem, key_data.as_deref(), opts),
            _ => Err(oauthmail::Error::config("give exactly one of certificate_path and certificate_data")),
        })?;
        Ok(subclass(ClientCertificateCredential, Arc::new(cred)))
    }
}

/// The resource-owner password grant (legacy; fails for users with MFA).
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct UsernamePasswordCredential;

#[pymethods]
impl UsernamePasswordCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, username, password, authority=None, ca_file=None, scopes=None, client_secret=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        username: &str,
        password: String,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
        client_secret: Option<String>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts = UserOptions { client_secret, login_hint: None, persistent_cache: None }
            .apply(options(py, authority, ca_file, scopes)?);
        let cred = blocking(py, || CorePassword::new(tenant_id, client_id, username, Secret::new(password), opts))?;
        Ok(subclass(UsernamePasswordCredential, Arc::new(cred)))
    }
}

/// A refresh token you already have (later tokens come from its successors).
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct RefreshTokenCredential {
    inner: Handle<CoreRefresh>,
}

#[pymethods]
impl RefreshTokenCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, refresh_token, authority=None, ca_file=None, scopes=None, client_secret=None, persistent_cache=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        refresh_token: String,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
        client_secret: Option<String>,
        persistent_cache: Option<PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts = UserOptions { client_secret, login_hint: None, persistent_cache }
            .apply(options(py, authority, ca_file, scopes)?);
        let cred = Arc::new(blocking(py, || CoreRefresh::new(tenant_id, client_id, Secret::new(refresh_token), opts))?);
        Ok(subclass(RefreshTokenCredential { inner: Handle::from_arc(cred.clone()) }, cred))
    }
    /// The newest refresh token (the provider may rotate it). Keep it secret.
    #[getter]
    fn refresh_token(&self, py: Python<'_>) -> Option<String> {
        // Without the GIL: the core lock it reads is also taken by threads that log (and so need the GIL).
        let inner = self.inner.arc();
        py.detach(move || inner.refresh_token().map(|s| s.expose().to_owned()))
    }
}

/// A token you already have; it is never refreshed.
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct StaticTokenCredential;

#[pymethods]
impl StaticTokenCredential {
    /// `expires_on`: a `datetime` or Unix seconds; default: the token's `exp`
    /// claim when it is a JWT, else one hour from now.
    #[new]
    #[pyo3(signature = (token, expires_on=None))]
    fn new(py: Python<'_>, token: String, expires_on: Option<&Bound<'_, PyAny>>) -> PyResult<PyClassInitializer<Self>> {
        let expires_on: Option<SystemTime> = expires_on.map(system_time_arg).transpose()?;
        let credential = CoreStatic::new(Secret::new(token), expires_on).py_err(py)?;
        Ok(subclass(StaticTokenCredential, Arc::new(credential)))
    }
}

/// What the user must do to sign in with a device code.
#[pyclass(frozen, get_all, module = "oauthmail._native")]
pub struct DeviceCodeInfo {
    user_code: String,
    verification_uri: String,
    /// The provider's ready-made instruction.
    message: String,
    /// Seconds the code stays valid.
    expires_in: f64,
}

#[pymethods]
impl DeviceCodeInfo {
    fn __repr__(&self) -> String {
        format!("DeviceCodeInfo(user_code={:?}, verification_uri={:?})", self.user_code, self.verification_uri)
    }
}

impl From<&CoreInfo> for DeviceCodeInfo {
    fn from(i: &CoreInfo) -> Self {
        DeviceCodeInfo {
            user_code: i.user_code.clone(),
            verification_uri: i.verification_uri.clone(),
            message: i.message.clone(),
            expires_in: i.expires_in.as_secs_f64(),
        }
    }
}

/// The device code grant: `prompt_callback(info)` shows the code to the user
/// (default: print `info.message`), `get_token` returns once they signed in.
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct DeviceCodeCredential;

#[pymethods]
impl DeviceCodeCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, prompt_callback=None, authority=None, ca_file=None, scopes=None, client_secret=None, login_hint=None, persistent_cache=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        prompt_callback: Option<Py<PyAny>>,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
        client_secret: Option<String>,
        login_hint: Option<String>,
        persistent_cache: Option<PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts =
            UserOptions { client_secret, login_hint, persistent_cache }.apply(options(py, authority, ca_file, scopes)?);
        let callback = move |info: &CoreInfo| {
            // Core calls this from a thread without the GIL; an exception in
            // the callback cannot stop the sign-in, so it is reported as unraisable.
            Python::attach(|py| {
                let shown = match &prompt_callback {
                    Some(cb) => cb.call1(py, (DeviceCodeInfo::from(info),)).map(drop),
                    None => py
                        .import("builtins")
                        .and_then(|b| b.getattr("print")?.call1((info.message.as_str(),)).map(drop)),
                };
                if let Err(e) = shown {
                    e.write_unraisable(py, None);
                }
            });
        };
        let cred = blocking(py, || CoreDeviceCode::new(tenant_id, client_id, callback, opts))?;
        Ok(subclass(DeviceCodeCredential, Arc::new(cred)))
    }
}

/// A sign-in URL with its PKCE verifier and `state` (for `exchange`).
#[pyclass(frozen, module = "oauthmail._native")]
pub struct AuthorizationRequest {
    inner: Arc<CoreRequest>,
}

#[pymethods]
impl AuthorizationRequest {
    #[getter]
    fn url(&self) -> &str {
        &self.inner.url
    }
    #[getter]
    fn state(&self) -> &str {
        &self.inner.state
    }
    #[getter]
    fn redirect_uri(&self) -> &str {
        &self.inner.redirect_uri
    }
    fn __repr__(&self) -> String {
        format!("AuthorizationRequest(url={:?})", self.inner.url)
    }
}

/// The authorization code grant with PKCE: `run_loopback` for desktop and
/// CLI programs, `authorize_url` + `exchange` for web apps.
#[pyclass(extends = TokenCredential, frozen, module = "oauthmail._native")]
pub struct AuthorizationCodeCredential {
    inner: Handle<CoreAuthCode>,
}

#[pymethods]
impl AuthorizationCodeCredential {
    #[new]
    #[pyo3(signature = (*, tenant_id, client_id, authority=None, ca_file=None, scopes=None, client_secret=None, login_hint=None, persistent_cache=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        tenant_id: &str,
        client_id: &str,
        authority: Option<&str>,
        ca_file: Option<PathBuf>,
        scopes: Option<Vec<String>>,
        client_secret: Option<String>,
        login_hint: Option<String>,
        persistent_cache: Option<PathBuf>,
    ) -> PyResult<PyClassInitializer<Self>> {
        let opts =
            UserOptions { client_secret, login_hint, persistent_cache }.apply(options(py, authority, ca_file, scopes)?);
        let cred = Arc::new(blocking(py, || CoreAuthCode::new(tenant_id, client_id, opts))?);
        Ok(subclass(AuthorizationCodeCredential { inner: Handle::from_arc(cred.clone()) }, cred))
    }
    /// Whether a sign-in happened (or a cached refresh token was found).
    #[getter]
    fn is_signed_in(&self, py: Python<'_>) -> bool {
        let inner = self.inner.arc();
        py.detach(move || inner.is_signed_in())
    }
    /// The URL to open in a browser, for a redirect to `redirect_uri`.
    #[pyo3(signature = (redirect_uri, *scopes))]
    fn authorize_url(&self, py: Python<'_>, redirect_uri: &str, scopes: Vec<String>) -> PyResult<AuthorizationRequest> {
        let request = self.inner.authorize_url(redirect_uri, &refs(&scopes)).py_err(py)?;
        Ok(AuthorizationRequest { inner: Arc::new(request) })
    }
    /// Redeems the `code` and `state` the redirect brought back.
    fn exchange(
        &self,
        py: Python<'_>,
        request: &AuthorizationRequest,
        code: String,
        state: String,
    ) -> PyResult<AccessToken> {
        let (inner, req) = (self.inner.arc(), request.inner.clone());
        let token = blocking(py, move || inner.exchange(&req, &code, &state))?;
        Ok(AccessToken { inner: token })
    }
    /// Signs in through a browser and a redirect to 127.0.0.1:
    /// `open_browser(url)` (default: `webbrowser.open`) shows the sign-in page.
    #[pyo3(signature = (*scopes, open_browser=None))]
    fn run_loopback(
        &self,
        py: Python<'_>,
        scopes: Vec<String>,
        open_browser: Option<Py<PyAny>>,
    ) -> PyResult<AccessToken> {
        let opener = match open_browser {
            Some(f) => f,
            None => py.import("webbrowser")?.getattr("open")?.unbind(),
        };
        let inner = self.inner.arc();
        let token = blocking(py, move || {
            inner.run_loopback(&refs(&scopes), |url| {
                Python::attach(|py| {
                    if let Err(e) = opener.call1(py, (url,)) {
                        e.write_unraisable(py, None);
                    }
                })
            })
        })?;
        Ok(AccessToken { inner: token })
    }
}
