//! Every credential type as a JavaScript class taking one options object;
//! `getToken(scopes?)` returns a Promise of an `AccessToken`.

use std::path::Path;
use std::sync::Arc;
use std::time::SystemTime;

use napi::bindgen_prelude::{AsyncTask, ClassInstance, Either, FromNapiValue, Function, TypeName, ValidateNapiValue};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status, ValueType, sys};
use napi_derive::napi;
use oauthmail::{CredentialOptions, Secret, TokenCredential};

use crate::error::sync;
use crate::task::{Job, spawn};

/// Settings every credential takes, besides its own.
fn options(
    authority: Option<&str>,
    ca_file: Option<&str>,
    scopes: Option<Vec<String>>,
) -> oauthmail::Result<CredentialOptions> {
    let mut o = CredentialOptions::new(authority.filter(|a| !a.is_empty()), ca_file.map(Path::new))?;
    o.scopes = scopes.unwrap_or_default();
    Ok(o)
}

/// Settings of the user sign-in flows (refresh token kept between runs, confidential clients).
fn user_options(
    base: CredentialOptions,
    client_secret: Option<String>,
    login_hint: Option<String>,
    persistent_cache: Option<String>,
) -> CredentialOptions {
    CredentialOptions {
        client_secret: client_secret.map(Secret::from),
        login_hint,
        persistent_cache: persistent_cache.map(Into::into),
        ..base
    }
}

/// An access token and its expiry, as `getToken` returns it, plus `claims` (decoded from
/// `token` when read).
// oauthmail.js adds `claims` as an accessor (typed in oauthmail.d.ts): most callers never read
// it, and decoding the JWT at every look-up made a cache hit cost four times more.
#[napi(object)]
pub struct AccessToken {
    /// The bearer token. Do not log it.
    pub token: String,
    /// Expiry in seconds since the Unix epoch (as Azure Identity for Python reports it).
    pub expires_on: f64,
    /// Expiry in milliseconds since the Unix epoch (as `@azure/identity` reports it).
    pub expires_on_timestamp: f64,
}

/// The claims of a JWT access token, decoded without verifying the signature (to explain a
/// refusal, never to trust it); `null` when `token` is not a JWT.
#[napi]
pub fn decode_claims(token: String) -> Option<Claims> {
    oauthmail::Claims::decode(&token).ok().map(Claims::from)
}

/// The claims that explain what a token may do.
#[napi(object)]
pub struct Claims {
    /// Audience, e.g. `https://outlook.office365.com`.
    pub aud: Option<String>,
    pub iss: Option<String>,
    pub tid: Option<String>,
    pub appid: Option<String>,
    pub azp: Option<String>,
    /// Application permissions, e.g. `SMTP.SendAsApp`.
    pub roles: Vec<String>,
    /// Delegated permissions, space separated.
    pub scp: Option<String>,
    pub sub: Option<String>,
    pub oid: Option<String>,
    pub upn: Option<String>,
    pub preferred_username: Option<String>,
    pub exp: Option<f64>,
    pub iat: Option<f64>,
    pub nbf: Option<f64>,
}

impl From<&oauthmail::AccessToken> for AccessToken {
    fn from(t: &oauthmail::AccessToken) -> Self {
        let ms = t.expires_on().duration_since(SystemTime::UNIX_EPOCH).map_or(0.0, |d| d.as_millis() as f64);
        AccessToken {
            token: t.token().expose().to_owned(),
            expires_on: t.expires_on_unix() as f64,
            expires_on_timestamp: ms,
        }
    }
}

impl From<oauthmail::Claims> for Claims {
    fn from(c: oauthmail::Claims) -> Self {
        Claims {
            aud: c.aud,
            iss: c.iss,
            tid: c.tid,
            appid: c.appid,
            azp: c.azp,
            roles: c.roles,
            scp: c.scp,
            sub: c.sub,
            oid: c.oid,
            upn: c.upn,
            preferred_username: c.preferred_username,
            exp: c.exp.map(|v| v as f64),
            iat: c.iat.map(|v| v as f64),
            nbf: c.nbf.map(|v| v as f64),
        }
    }
}

#[napi(object)]
pub struct GetTokenOptions {
    /// Skip the cache and ask the identity platform for a new token.
    pub force_refresh: Option<bool>,
}

fn scope_list(scopes: Option<Either<String, Vec<String>>>) -> Vec<String> {
    match scopes {
        None => Vec::new(),
        Some(Either::A(one)) => vec![one],
        Some(Either::B(many)) => many,
    }
}

/// `getToken` for any credential: scopes default to the credential's.
fn token_job(
    credential: Arc<dyn TokenCredential>,
    scopes: Option<Either<String, Vec<String>>>,
    options: Option<GetTokenOptions>,
) -> AsyncTask<Job<AccessToken>> {
    let scopes = scope_list(scopes);
    let fresh = options.and_then(|o| o.force_refresh).unwrap_or(false);
    spawn(move || {
        let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
        let token = if fresh { credential.get_fresh_token(&refs)? } else { credential.get_token(&refs)? };
        Ok(AccessToken::from(&token))
    })
}

/// The `getToken` method and the shared handle of one credential class.
macro_rules! credential_class {
    ($class:ident) => {
        #[napi]
        impl $class {
            /// An access token for `scopes` (default: the credential's), from the cache while it is fresh.
            #[napi(ts_return_type = "Promise<AccessToken>")]
            pub fn get_token(
                &self,
                scopes: Option<Either<String, Vec<String>>>,
                options: Option<GetTokenOptions>,
            ) -> AsyncTask<Job<AccessToken>> {
                token_job(self.inner.clone(), scopes, options)
            }

            /// The cached token for `scopes` if it is fresh, else `null`: no I/O, no waiting.
            /// `getToken` answers from it at once (a Promise through libuv's thread pool costs ~30 µs).
            #[napi]
            pub fn cached_token(&self, scopes: Option<Either<String, Vec<String>>>) -> Option<AccessToken> {
                let scopes = scope_list(scopes);
                let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
                self.inner.cached_token(&refs).map(|t| AccessToken::from(&t))
            }
        }

        impl $class {
            pub(crate) fn shared(&self) -> Arc<dyn TokenCredential> {
                self.inner.clone()
            }
        }
    };
}

#[napi(object)]
pub struct ClientSecretCredentialOptions {
    pub tenant_id: String,
    pub client_id: String,
    pub client_secret: String,
    /// Identity platform base URL, cloud name (`usgovernment`, `china`), `google`, or a token URL.
    pub authority: Option<String>,
    /// PEM file of extra trusted CAs.
    pub ca_file: Option<String>,
    /// Scopes used when `getToken` gets none (default: the authority's mail scope).
    pub scopes: Option<Vec<String>>,
}

/// The client-credentials grant with a client secret (app-only access).
#[napi]
pub struct ClientSecretCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl ClientSecretCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: ClientSecretCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let o = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let c = oauthmail::ClientSecretCredential::new(
                &options.tenant_id,
                &options.client_id,
                options.client_secret,
                o,
            )?;
            Ok(ClientSecretCredential { inner: Arc::new(c) })
        })
    }
}
credential_class!(ClientSecretCredential);

#[napi(object)]
pub struct ClientCertificateCredentialOptions {
    pub tenant_id: String,
    pub client_id: String,
    /// PEM file with the certificate and (unless `keyPath` is given) its RSA private key.
    pub certificate_path: Option<String>,
    /// The same PEM text, instead of a file.
    pub certificate: Option<String>,
    pub key_path: Option<String>,
    pub authority: Option<String>,
    pub ca_file: Option<String>,
    pub scopes: Option<Vec<String>>,
}

/// The client-credentials grant with a certificate (a signed JWT assertion).
#[napi]
pub struct ClientCertificateCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl ClientCertificateCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: ClientCertificateCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let o = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let key = options.key_path.as_deref().map(Path::new);
            let c = match (&options.certificate_path, &options.certificate) {
                (Some(path), None) => oauthmail::ClientCertificateCredential::from_files(
                    &options.tenant_id,
                    &options.client_id,
                    Path::new(path),
                    key,
                    o,
                )?,
                (None, Some(pem)) => {
                    let key_pem = key
                        .map(|k| {
                            std::fs::read(k).map_err(|e| {
                                oauthmail::Error::config(format!("cannot read {}", k.display())).with_source(e)
                            })
                        })
                        .transpose()?;
                    oauthmail::ClientCertificateCredential::new(
                        &options.tenant_id,
                        &options.client_id,
                        pem.as_bytes(),
                        key_pem.as_deref(),
                        o,
                    )?
                }
                _ => {
                    return Err(oauthmail::Error::config("give exactly one of certificatePath and certificate")
                        .with_hint("certificatePath names a PEM file; certificate is the PEM text itself."));
                }
            };
            Ok(ClientCertificateCredential { inner: Arc::new(c) })
        })
    }
}
credential_class!(ClientCertificateCredential);

#[napi(object)]
pub struct UsernamePasswordCredentialOptions {
    pub tenant_id: String,
    pub client_id: String,
    pub username: String,
    pub password: String,
    pub authority: Option<String>,
    pub ca_file: Option<String>,
    pub scopes: Option<Vec<String>>,
    /// Only for confidential clients (Google, web apps).
    pub client_secret: Option<String>,
    /// A file that keeps the refresh token between runs.
    pub persistent_cache: Option<String>,
}

/// The resource-owner password grant (legacy; fails for users with MFA).
#[napi]
pub struct UsernamePasswordCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl UsernamePasswordCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: UsernamePasswordCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let base = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let o = user_options(base, options.client_secret, None, options.persistent_cache);
            let c = oauthmail::UsernamePasswordCredential::new(
                &options.tenant_id,
                &options.client_id,
                &options.username,
                options.password,
                o,
            )?;
            Ok(UsernamePasswordCredential { inner: Arc::new(c) })
        })
    }
}
credential_class!(UsernamePasswordCredential);

#[napi(object)]
pub struct RefreshTokenCredentialOptions {
    pub tenant_id: String,
    pub client_id: String,
    pub refresh_token: String,
    pub authority: Option<String>,
    pub ca_file: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub client_secret: Option<String>,
    pub login_hint: Option<String>,
    pub persistent_cache: Option<String>,
}

/// Access tokens from a refresh token you already have.
#[napi]
pub struct RefreshTokenCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl RefreshTokenCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: RefreshTokenCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let base = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let o = user_options(base, options.client_secret, options.login_hint, options.persistent_cache);
            let c = oauthmail::RefreshTokenCredential::new(
                &options.tenant_id,
                &options.client_id,
                options.refresh_token,
                o,
            )?;
            Ok(RefreshTokenCredential { inner: Arc::new(c) })
        })
    }
}
credential_class!(RefreshTokenCredential);

#[napi(object)]
pub struct StaticTokenCredentialOptions {
    pub token: String,
    /// Expiry in seconds since the Unix epoch; default: the token's `exp` claim, else one hour.
    pub expires_on: Option<f64>,
}

/// A token you already have.
#[napi]
pub struct StaticTokenCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl StaticTokenCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: StaticTokenCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let expires = match options.expires_on {
                Some(secs) if secs.is_finite() && secs >= 0.0 => {
                    Some(SystemTime::UNIX_EPOCH + std::time::Duration::from_secs_f64(secs))
                }
                Some(_) => return Err(oauthmail::Error::config("expiresOn must be seconds since the Unix epoch")),
                None => None,
            };
            Ok(StaticTokenCredential {
                inner: Arc::new(oauthmail::StaticTokenCredential::new(options.token, expires)?),
            })
        })
    }
}
credential_class!(StaticTokenCredential);

/// What the user must do to sign in on another device.
#[napi(object)]
pub struct DeviceCodeInfo {
    pub user_code: String,
    pub verification_uri: String,
    /// The provider's ready-made instruction ("To sign in, use a web browser to open ...").
    pub message: String,
    /// Seconds the code stays valid.
    pub expires_in: f64,
}

#[napi(object, object_to_js = false)]
pub struct DeviceCodeCredentialOptions<'env> {
    pub tenant_id: String,
    pub client_id: String,
    /// Called (on the main thread) with the code to show; default: print `message` to stderr.
    /// An exception it throws is an uncaught exception, as from any event callback.
    pub user_prompt_callback: Option<Function<'env, DeviceCodeInfo, ()>>,
    pub authority: Option<String>,
    pub ca_file: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub client_secret: Option<String>,
    pub login_hint: Option<String>,
    pub persistent_cache: Option<String>,
}

type PromptFn = ThreadsafeFunction<DeviceCodeInfo, (), DeviceCodeInfo, Status, false, true>;

/// The device code grant: the callback shows a code, the user enters it in a
/// browser, and `getToken` resolves once they have signed in.
#[napi]
pub struct DeviceCodeCredential {
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl DeviceCodeCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: DeviceCodeCredentialOptions) -> napi::Result<Self> {
        // A weak threadsafe function: a credential kept around does not keep Node running.
        let prompt: Option<PromptFn> = match &options.user_prompt_callback {
            Some(f) => Some(f.build_threadsafe_function().weak::<true>().build()?),
            None => None,
        };
        sync(&env, || {
            let base = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let o = user_options(base, options.client_secret, options.login_hint, options.persistent_cache);
            let callback = move |info: &oauthmail::DeviceCodeInfo| {
                let js = DeviceCodeInfo {
                    user_code: info.user_code.clone(),
                    verification_uri: info.verification_uri.clone(),
                    message: info.message.clone(),
                    expires_in: info.expires_in.as_secs_f64(),
                };
                match &prompt {
                    Some(f) => {
                        f.call(js, ThreadsafeFunctionCallMode::NonBlocking);
                    }
                    None => eprintln!("{}", js.message),
                }
            };
            let c = oauthmail::DeviceCodeCredential::new(&options.tenant_id, &options.client_id, callback, o)?;
            Ok(DeviceCodeCredential { inner: Arc::new(c) })
        })
    }
}
credential_class!(DeviceCodeCredential);

#[napi(object)]
pub struct AuthorizationCodeCredentialOptions {
    pub tenant_id: String,
    pub client_id: String,
    pub authority: Option<String>,
    pub ca_file: Option<String>,
    pub scopes: Option<Vec<String>>,
    pub client_secret: Option<String>,
    pub login_hint: Option<String>,
    pub persistent_cache: Option<String>,
}

/// A started sign-in: open `url` in a browser, then pass the redirect's
/// `code` and `state` to `AuthorizationCodeCredential.exchange`.
#[napi]
pub struct AuthorizationRequest {
    inner: Arc<oauthmail::credential::AuthorizationRequest>,
}

#[napi]
impl AuthorizationRequest {
    #[napi(getter)]
    pub fn url(&self) -> String {
        self.inner.url.clone()
    }
    #[napi(getter)]
    pub fn state(&self) -> String {
        self.inner.state.clone()
    }
    #[napi(getter)]
    pub fn redirect_uri(&self) -> String {
        self.inner.redirect_uri.clone()
    }
}

/// The authorization code grant with PKCE (a user signing in in a browser).
#[napi]
pub struct AuthorizationCodeCredential {
    code: Arc<oauthmail::AuthorizationCodeCredential>,
    inner: Arc<dyn TokenCredential>,
}

#[napi]
impl AuthorizationCodeCredential {
    #[napi(constructor)]
    pub fn new(env: Env, options: AuthorizationCodeCredentialOptions) -> napi::Result<Self> {
        sync(&env, || {
            let base = self::options(options.authority.as_deref(), options.ca_file.as_deref(), options.scopes)?;
            let o = user_options(base, options.client_secret, options.login_hint, options.persistent_cache);
            let code =
                Arc::new(oauthmail::AuthorizationCodeCredential::new(&options.tenant_id, &options.client_id, o)?);
            Ok(AuthorizationCodeCredential { inner: code.clone(), code })
        })
    }

    /// Whether a refresh token is at hand, so `getToken` works without a browser.
    #[napi(getter)]
    pub fn is_signed_in(&self) -> bool {
        self.code.is_signed_in()
    }

    /// The URL to open, with a fresh `state` and PKCE challenge.
    #[napi]
    pub fn authorize_url(
        &self,
        env: Env,
        redirect_uri: String,
        scopes: Option<Vec<String>>,
    ) -> napi::Result<AuthorizationRequest> {
        sync(&env, || {
            let scopes = scopes.unwrap_or_default();
            let refs: Vec<&str> = scopes.iter().map(String::as_str).collect();
            Ok(AuthorizationRequest { inner: Arc::new(self.code.authorize_url(&redirect_uri, &refs)?) })
        })
    }

    /// Redeems the code from the redirect; later `getToken` calls use the refresh token.
    #[napi(ts_return_type = "Promise<AccessToken>")]
    pub fn exchange(&self, request: &AuthorizationRequest, code: String, state: String) -> AsyncTask<Job<AccessToken>> {
        let credential = self.code.clone();
        let request = request.inner.clone();
        spawn(move || Ok(AccessToken::from(&credential.exchange(&request, &code, &state)?)))
    }
}
credential_class!(AuthorizationCodeCredential);

/// Any of the credential classes, where a client takes one.
pub struct AnyCredential(pub Arc<dyn TokenCredential>);

impl FromNapiValue for AnyCredential {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        macro_rules! try_class {
            ($($class:ident),*) => {$(
                // SAFETY: napi checks the wrapped class before handing out the instance.
                if let Ok(c) = unsafe { ClassInstance::<$class>::from_napi_value(env, value) } {
                    return Ok(AnyCredential(c.shared()));
                }
            )*};
        }
        try_class!(
            ClientSecretCredential,
            ClientCertificateCredential,
            UsernamePasswordCredential,
            DeviceCodeCredential,
            AuthorizationCodeCredential,
            RefreshTokenCredential,
            StaticTokenCredential
        );
        Err(napi::Error::new(
            Status::InvalidArg,
            "credential must be an oauthmail credential (ClientSecretCredential, DeviceCodeCredential, ...)",
        ))
    }
}

impl TypeName for AnyCredential {
    fn type_name() -> &'static str {
        "TokenCredential"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for AnyCredential {}
