//! Credentials: one opaque `oauthmail_credential` handle for every way of
//! getting a token, made by one constructor per credential type.

use std::ffi::{CString, c_char, c_void};
use std::ptr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use oauthmail_core::credential::AuthorizationRequest;
use oauthmail_core::{
    AuthorizationCodeCredential, ClientCertificateCredential, ClientSecretCredential, CredentialOptions,
    DeviceCodeCredential, DeviceCodeInfo, Error, RefreshTokenCredential, Result, Secret, StaticTokenCredential,
    TokenCredential, UsernamePasswordCredential,
};

use crate::boundary::{
    bytes_arg, c_string, ffi, free_handle, getter, handle, into_handle, opt_path_arg, opt_str_arg, out_arg, str_arg,
    str_array_arg, write_out,
};
use crate::error::oauthmail_error;
use crate::token::oauthmail_access_token;

/// Settings every credential takes. Zero-initialise it (`= {0}`) and set what
/// you need: every NULL field means "the default". Read only during the call.
#[repr(C)]
pub struct oauthmail_credential_options {
    /// The identity platform: a base URL (`https://login.microsoftonline.com`,
    /// the default), a cloud name (`us_government`, `china`), `google`, or a
    /// full token URL.
    pub authority: *const c_char,
    /// A PEM file of extra CAs to trust for the identity platform, besides the
    /// built-in roots (the test kit's `ca_path`).
    pub ca_file: *const c_char,
    /// Scopes used when `oauthmail_credential_get_token` gets none; `scopes_len`
    /// entries. Default: the authority's mail scope
    /// (`https://outlook.office365.com/.default` for Microsoft).
    pub scopes: *const *const c_char,
    pub scopes_len: usize,
    /// The client secret of a confidential client, for the user flows of
    /// providers that require one (Google, web apps).
    pub client_secret: *const c_char,
    /// A user name to suggest at sign-in, and the key of the persistent cache.
    pub login_hint: *const c_char,
    /// For user sign-ins: a file that keeps the refresh token between runs.
    pub persistent_cache: *const c_char,
}

/// A source of access tokens, cached and refreshed as needed.
///
/// Thread-safe: one credential may be used by many clients and threads at
/// once (concurrent callers share one token request). Clients keep their own
/// reference, so the credential may be freed while they still use it.
pub struct oauthmail_credential {
    pub(crate) inner: Arc<dyn TokenCredential>,
    /// Set for authorization-code credentials, which have extra calls.
    auth_code: Option<Arc<AuthorizationCodeCredential>>,
}

impl oauthmail_credential {
    fn new(inner: Arc<dyn TokenCredential>) -> Self {
        oauthmail_credential { inner, auth_code: None }
    }
}

/// # Safety
/// `options` is NULL or valid per `oauthmail_credential_options`.
unsafe fn options_arg(options: *const oauthmail_credential_options) -> Result<CredentialOptions> {
    // SAFETY: NULL or a valid struct per the contract.
    let Some(o) = (unsafe { options.as_ref() }) else {
        return Ok(CredentialOptions::default());
    };
    // SAFETY (all fields): NULL or valid strings/arrays per the struct's documentation.
    let mut opts = unsafe {
        CredentialOptions::new(
            opt_str_arg(o.authority, "options.authority")?,
            opt_path_arg(o.ca_file, "options.ca_file")?,
        )
    }?;
    opts.scopes =
        unsafe { str_array_arg(o.scopes, o.scopes_len, "options.scopes") }?.into_iter().map(str::to_owned).collect();
    opts.client_secret = unsafe { opt_str_arg(o.client_secret, "options.client_secret") }?.map(Secret::new);
    opts.login_hint = unsafe { opt_str_arg(o.login_hint, "options.login_hint") }?.map(str::to_owned);
    opts.persistent_cache = unsafe { opt_path_arg(o.persistent_cache, "options.persistent_cache") }?.map(Into::into);
    Ok(opts)
}

/// Writes a new credential handle to `out`.
///
/// # Safety
/// `out` was checked with `out_arg`.
unsafe fn put(out: *mut *mut oauthmail_credential, credential: oauthmail_credential) {
    // SAFETY: checked by the caller.
    unsafe { write_out(out, into_handle(credential)) }
}

/// An application signing in as itself with a client secret (the
/// client-credentials grant), e.g. a service sending mail with `SMTP.SendAsApp`.
///
/// `tenant_id`, `client_id`, `client_secret`: UTF-8, required. `options`: NULL
/// for the defaults. On success `*out` receives a handle to free with
/// `oauthmail_credential_free`; on error `*out` is untouched. No network I/O
/// happens here; the first token is fetched by the first call that needs it.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_client_secret_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    client_secret: *const c_char,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            ClientSecretCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                Secret::new(str_arg(client_secret, "client_secret")?),
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// An application signing in as itself with a certificate (RS256-signed JWT
/// assertion). `certificate_pem` (`certificate_pem_len` bytes) holds the
/// certificate and, unless `key_pem` is given, its unencrypted RSA private
/// key. `key_pem` may be NULL (with length 0). The key bytes are not kept
/// after the call. Ownership and `out` as for `oauthmail_client_secret_credential_new`.
///
/// # Safety
/// Pointers are NULL or valid for the given lengths; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_client_certificate_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    certificate_pem: *const u8,
    certificate_pem_len: usize,
    key_pem: *const u8,
    key_pem_len: usize,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            let key = if key_pem.is_null() { None } else { Some(bytes_arg(key_pem, key_pem_len, "key_pem")?) };
            ClientCertificateCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                bytes_arg(certificate_pem, certificate_pem_len, "certificate_pem")?,
                key,
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// As `oauthmail_client_certificate_credential_new`, reading PEM files:
/// `certificate_path` (certificate, and key unless `key_path` is given, as in
/// `AZURE_CLIENT_CERTIFICATE_PATH`); `key_path` may be NULL.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_client_certificate_credential_from_files(
    tenant_id: *const c_char,
    client_id: *const c_char,
    certificate_path: *const c_char,
    key_path: *const c_char,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            ClientCertificateCredential::from_files(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                std::path::Path::new(str_arg(certificate_path, "certificate_path")?),
                opt_path_arg(key_path, "key_path")?,
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// A user signing in with name and password (resource-owner password grant;
/// fails for accounts with MFA). All strings required. Ownership and `out` as
/// for `oauthmail_client_secret_credential_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_username_password_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    username: *const c_char,
    password: *const c_char,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            UsernamePasswordCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                str_arg(username, "username")?,
                Secret::new(str_arg(password, "password")?),
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// A refresh token you already have. Rotated refresh tokens are kept in memory
/// (and in `options->persistent_cache` when set). Ownership and `out` as for
/// `oauthmail_client_secret_credential_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_refresh_token_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    refresh_token: *const c_char,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            RefreshTokenCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                Secret::new(str_arg(refresh_token, "refresh_token")?),
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// An access token you already have (from a vault, another library...). It
/// cannot be refreshed. `expires_on_unix`: seconds since the Unix epoch, or 0
/// to take the token's `exp` claim (one hour from now if it is not a JWT).
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_static_token_credential_new(
    token: *const c_char,
    expires_on_unix: u64,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let token = unsafe { str_arg(token, "token") }?;
        let expires = (expires_on_unix != 0).then(|| SystemTime::UNIX_EPOCH + Duration::from_secs(expires_on_unix));
        let c = StaticTokenCredential::new(Secret::new(token), expires)?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// What to show the user during a device-code sign-in. Valid only during the
/// callback; copy what you keep.
#[repr(C)]
pub struct oauthmail_device_code_info {
    /// The code to enter.
    pub user_code: *const c_char,
    /// Where to enter it.
    pub verification_uri: *const c_char,
    /// The provider's ready-made instruction ("To sign in, use a web browser ...").
    pub message: *const c_char,
    /// How long the code stays valid, in seconds.
    pub expires_in_secs: u64,
}

/// Called once per device-code sign-in, on the thread that asked for the
/// token, with the code to show and the `user_data` given at construction.
pub type oauthmail_device_code_callback =
    Option<unsafe extern "C" fn(info: *const oauthmail_device_code_info, user_data: *mut c_void)>;

/// Called with the URL to open in a browser, and the `user_data` given.
pub type oauthmail_open_url_callback = Option<unsafe extern "C" fn(url: *const c_char, user_data: *mut c_void)>;

/// The caller's `user_data`, which it promised may be used from any thread.
#[derive(Clone, Copy)]
struct UserData(*mut c_void);
// SAFETY: the documentation of the functions taking user_data requires it to be thread-safe.
unsafe impl Send for UserData {}
// SAFETY: as above.
unsafe impl Sync for UserData {}
impl UserData {
    fn get(self) -> *mut c_void {
        self.0
    }
}

/// A user signing in on another device (RFC 8628), for CLIs and headless
/// machines. `callback` (required) shows the code; `user_data` is passed to
/// it unchanged and must stay valid, and be usable from any thread that asks
/// for a token, until the credential is freed. `get_token` returns once the
/// user has signed in. Ownership and `out` as for
/// `oauthmail_client_secret_credential_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated; `callback` is safe to
/// call with `user_data` from any thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_device_code_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    callback: oauthmail_device_code_callback,
    user_data: *mut c_void,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        let callback = callback.ok_or_else(|| Error::config("`callback` is NULL"))?;
        let user_data = UserData(user_data);
        let show = move |info: &DeviceCodeInfo| {
            let (code, uri, message) =
                (c_string(&info.user_code), c_string(&info.verification_uri), c_string(&info.message));
            let c_info = oauthmail_device_code_info {
                user_code: code.as_ptr(),
                verification_uri: uri.as_ptr(),
                message: message.as_ptr(),
                expires_in_secs: info.expires_in.as_secs(),
            };
            // SAFETY: the caller promised the callback accepts this user_data on any thread;
            // `c_info` and its strings live until it returns.
            unsafe { callback(&c_info, user_data.get()) };
        };
        // SAFETY: valid or NULL per the contract.
        let c = unsafe {
            DeviceCodeCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                show,
                options_arg(options)?,
            )
        }?;
        // SAFETY: checked above.
        unsafe { put(out, oauthmail_credential::new(Arc::new(c))) };
        Ok(())
    })
}

/// A user signing in through a browser (authorization code + PKCE). Tokens
/// come from `oauthmail_authorization_code_credential_sign_in` first; after
/// that `get_token` uses the refresh token. Ownership and `out` as for
/// `oauthmail_client_secret_credential_new`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_code_credential_new(
    tenant_id: *const c_char,
    client_id: *const c_char,
    options: *const oauthmail_credential_options,
    out: *mut *mut oauthmail_credential,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: valid or NULL per the contract.
        let c = Arc::new(unsafe {
            AuthorizationCodeCredential::new(
                str_arg(tenant_id, "tenant_id")?,
                str_arg(client_id, "client_id")?,
                options_arg(options)?,
            )
        }?);
        let handle = oauthmail_credential { inner: c.clone(), auth_code: Some(c) };
        // SAFETY: checked above.
        unsafe { put(out, handle) };
        Ok(())
    })
}

/// Signs in through the system browser: listens on 127.0.0.1 on a free port,
/// calls `open_url` (required) with the authorize URL and `user_data`, waits
/// for the one redirect, and exchanges the code. `scopes` (`scopes_len`
/// entries; NULL with 0 = the defaults). On success `*out` receives the token
/// (free with `oauthmail_access_token_free`). Blocks until signed in or timed out.
///
/// # Safety
/// Pointers are NULL or valid; `credential` was made by
/// `oauthmail_authorization_code_credential_new`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_code_credential_sign_in(
    credential: *const oauthmail_credential,
    scopes: *const *const c_char,
    scopes_len: usize,
    open_url: oauthmail_open_url_callback,
    user_data: *mut c_void,
    out: *mut *mut oauthmail_access_token,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: NULL or live per the contract.
        let c = unsafe { auth_code(credential) }?;
        let open_url = open_url.ok_or_else(|| Error::config("`open_url` is NULL"))?;
        // SAFETY: valid or NULL per the contract.
        let scopes = unsafe { str_array_arg(scopes, scopes_len, "scopes") }?;
        let token = c.run_loopback(&scopes, |url| {
            let url = c_string(url);
            // SAFETY: the caller's callback and user_data; `url` lives until it returns.
            unsafe { open_url(url.as_ptr(), user_data) };
        })?;
        let token = oauthmail_access_token::new(token)?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(token)) };
        Ok(())
    })
}

/// One sign-in in progress (authorization code + PKCE): the URL to open and
/// what the redirect must match. Read-only; free with
/// `oauthmail_authorization_request_free`.
pub struct oauthmail_authorization_request {
    inner: AuthorizationRequest,
    url: CString,
    state: CString,
}

/// The authorization-code credential behind a handle.
///
/// # Safety
/// `credential` is NULL or a live credential.
unsafe fn auth_code<'a>(credential: *const oauthmail_credential) -> Result<&'a AuthorizationCodeCredential> {
    // SAFETY: forwarded contract.
    unsafe { handle(credential, "credential") }?.auth_code.as_deref().ok_or_else(|| {
        Error::config("this credential is not an authorization-code credential")
            .with_hint("Make it with oauthmail_authorization_code_credential_new.")
    })
}

/// For programs that handle the redirect themselves (web apps): a new
/// sign-in request for `redirect_uri` (http or https) and `scopes`
/// (`scopes_len` entries; NULL with 0 = the defaults), with a fresh `state`
/// and PKCE challenge. Open `oauthmail_authorization_request_url`, then pass
/// the redirect's `code` and `state` to
/// `oauthmail_authorization_code_credential_exchange`. On success `*out`
/// receives a request to free with `oauthmail_authorization_request_free`.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_code_credential_authorize_url(
    credential: *const oauthmail_credential,
    redirect_uri: *const c_char,
    scopes: *const *const c_char,
    scopes_len: usize,
    out: *mut *mut oauthmail_authorization_request,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let request = unsafe {
            auth_code(credential)?
                .authorize_url(str_arg(redirect_uri, "redirect_uri")?, &str_array_arg(scopes, scopes_len, "scopes")?)
        }?;
        let handle = oauthmail_authorization_request {
            url: c_string(&request.url),
            state: c_string(&request.state),
            inner: request,
        };
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(handle)) };
        Ok(())
    })
}

/// The URL to open in a browser, owned by `request`; NULL for NULL.
///
/// # Safety
/// `request` is NULL or a live request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_request_url(
    request: *const oauthmail_authorization_request,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(request, ptr::null(), |r| r.url.as_ptr()) }
}

/// The `state` the redirect must carry back, owned by `request`; NULL for NULL.
///
/// # Safety
/// `request` is NULL or a live request.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_request_state(
    request: *const oauthmail_authorization_request,
) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { getter(request, ptr::null(), |r| r.state.as_ptr()) }
}

/// Frees a request (and its PKCE verifier). NULL is a no-op.
///
/// # Safety
/// `request` is NULL or a live request, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_request_free(request: *mut oauthmail_authorization_request) {
    // SAFETY: NULL or ours, freed once, per the contract.
    crate::boundary::ffi_value((), || unsafe { free_handle(request) })
}

/// Redeems the `code` and `state` the redirect brought for `request`: an
/// `Auth` error when `state` does not match (a reply to another sign-in).
/// On success `*out` receives the token (free with
/// `oauthmail_access_token_free`) and later `get_token` calls use the
/// refresh token.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_authorization_code_credential_exchange(
    credential: *const oauthmail_credential,
    request: *const oauthmail_authorization_request,
    code: *const c_char,
    state: *const c_char,
    out: *mut *mut oauthmail_access_token,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: forwarded contract.
        let token = unsafe {
            auth_code(credential)?.exchange(
                &handle(request, "request")?.inner,
                str_arg(code, "code")?,
                str_arg(state, "state")?,
            )
        }?;
        let token = oauthmail_access_token::new(token)?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(token)) };
        Ok(())
    })
}

/// A token for `scopes` (`scopes_len` entries; NULL with 0 = the credential's
/// default scopes), from the cache while it has enough life left, else from
/// the identity platform. On success `*out` receives a token to free with
/// `oauthmail_access_token_free`. Thread-safe.
///
/// # Safety
/// Pointers are NULL or valid; strings NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_credential_get_token(
    credential: *const oauthmail_credential,
    scopes: *const *const c_char,
    scopes_len: usize,
    out: *mut *mut oauthmail_access_token,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { get_token(credential, scopes, scopes_len, out, false) }
}

/// As `oauthmail_credential_get_token`, but always asks the identity platform
/// (for when a server rejected the cached token).
///
/// # Safety
/// As `oauthmail_credential_get_token`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_credential_get_fresh_token(
    credential: *const oauthmail_credential,
    scopes: *const *const c_char,
    scopes_len: usize,
    out: *mut *mut oauthmail_access_token,
) -> *mut oauthmail_error {
    // SAFETY: forwarded contract.
    unsafe { get_token(credential, scopes, scopes_len, out, true) }
}

/// # Safety
/// As `oauthmail_credential_get_token`.
unsafe fn get_token(
    credential: *const oauthmail_credential,
    scopes: *const *const c_char,
    scopes_len: usize,
    out: *mut *mut oauthmail_access_token,
    fresh: bool,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: NULL or live/valid per the contract.
        let (credential, scopes) =
            unsafe { (handle(credential, "credential")?, str_array_arg(scopes, scopes_len, "scopes")?) };
        let token =
            if fresh { credential.inner.get_fresh_token(&scopes) } else { credential.inner.get_token(&scopes) }?;
        let token = oauthmail_access_token::new(token)?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(token)) };
        Ok(())
    })
}

/// Frees a credential. NULL is a no-op. Clients made with it keep working.
///
/// # Safety
/// `credential` is NULL or a live credential, freed once, not in use by
/// another thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_credential_free(credential: *mut oauthmail_credential) {
    // SAFETY: NULL or ours, freed once, per the contract.
    crate::boundary::ffi_value((), || unsafe { free_handle(credential) })
}
