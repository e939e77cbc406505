//! Access tokens and their claims.

use std::ffi::{CString, c_char};
use std::ptr;

use oauthmail_core::{AccessToken, Claims, Error, Result};
use zeroize::Zeroizing;

use crate::boundary::{
    c_string, ffi, ffi_value, free_handle, handle, into_handle, opt_ptr, out_arg, str_arg, write_out,
};
use crate::error::oauthmail_error;

/// An access token and when it expires. Read-only: its getters may be called
/// from any thread. Its memory is wiped when freed.
pub struct oauthmail_access_token {
    token: AccessToken,
    /// The token with a trailing NUL, for C.
    c_token: Zeroizing<Vec<u8>>,
}

impl oauthmail_access_token {
    pub(crate) fn new(token: AccessToken) -> Result<Self> {
        let text = token.token().expose();
        if text.contains('\0') {
            return Err(Error::protocol("the identity platform sent an access token containing a NUL byte"));
        }
        let mut c_token = Zeroizing::new(Vec::with_capacity(text.len() + 1));
        c_token.extend_from_slice(text.as_bytes());
        c_token.push(0);
        Ok(oauthmail_access_token { token, c_token })
    }
}

/// The bearer token (NUL-terminated). A secret: do not log it. Owned by
/// `token`; NULL when `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live access token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_access_token_token(token: *const oauthmail_access_token) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { token.as_ref() }.map_or(ptr::null(), |t| t.c_token.as_ptr().cast()))
}

/// When the token expires, in seconds since the Unix epoch (as Azure Identity
/// reports `expires_on`); 0 when `token` is NULL.
///
/// # Safety
/// `token` is NULL or a live access token.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_access_token_expires_on(token: *const oauthmail_access_token) -> u64 {
    // SAFETY: NULL or live per the contract.
    ffi_value(0, || unsafe { token.as_ref() }.map_or(0, |t| t.token.expires_on_unix()))
}

/// The token's JWT claims, decoded **without** checking the signature: for
/// explaining a missing role or a wrong audience, never for trusting it.
/// Fails with `Config` for opaque (non-JWT) tokens such as Google's. On success
/// `*out` receives a handle to free with `oauthmail_claims_free`.
///
/// # Safety
/// `token` is NULL or a live access token; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_access_token_claims(
    token: *const oauthmail_access_token,
    out: *mut *mut oauthmail_claims,
) -> *mut oauthmail_error {
    ffi(|| {
        out_arg(out, "out")?;
        // SAFETY: NULL or live per the contract.
        let claims = unsafe { handle(token, "token") }?.token.claims()?;
        // SAFETY: checked above.
        unsafe { write_out(out, into_handle(oauthmail_claims::new(claims))) };
        Ok(())
    })
}

/// Frees an access token and wipes it. NULL is a no-op.
///
/// # Safety
/// `token` is NULL or a live access token, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_access_token_free(token: *mut oauthmail_access_token) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(token) })
}

/// The claims of an access token. Read-only: its getters may be called from
/// any thread. Strings are owned by the handle; absent claims give NULL.
pub struct oauthmail_claims {
    claims: Claims,
    aud: Option<CString>,
    iss: Option<CString>,
    tid: Option<CString>,
    app_id: Option<CString>,
    scp: Option<CString>,
    upn: Option<CString>,
    preferred_username: Option<CString>,
    oid: Option<CString>,
    roles: Vec<CString>,
    json: CString,
}

impl oauthmail_claims {
    fn new(claims: Claims) -> Self {
        let s = |v: &Option<String>| v.as_deref().map(c_string);
        oauthmail_claims {
            aud: s(&claims.aud),
            iss: s(&claims.iss),
            tid: s(&claims.tid),
            app_id: claims.app_id().map(c_string),
            scp: s(&claims.scp),
            upn: s(&claims.upn),
            preferred_username: s(&claims.preferred_username),
            oid: s(&claims.oid),
            roles: claims.roles.iter().map(|r| c_string(r)).collect(),
            json: c_string(&serde_json::Value::Object(claims.all.clone()).to_string()),
            claims,
        }
    }
}

/// A claim string owned by the handle, NULL when absent or `claims` is NULL.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
unsafe fn claim(claims: *const oauthmail_claims, field: fn(&oauthmail_claims) -> &Option<CString>) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { claims.as_ref() }.map_or(ptr::null(), |c| opt_ptr(field(c))))
}

/// Audience (`aud`): `https://outlook.office365.com` for mail tokens,
/// `https://graph.microsoft.com` for Graph. Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_audience(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.aud) }
}

/// Issuer (`iss`). Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_issuer(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.iss) }
}

/// Tenant id (`tid`). Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_tenant_id(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.tid) }
}

/// Application (client) id: `appid` (v1 tokens) or `azp` (v2). Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_app_id(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.app_id) }
}

/// Delegated scopes (`scp`), space separated. Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_scopes(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.scp) }
}

/// User principal name (`upn`). Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_upn(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.upn) }
}

/// `preferred_username`: the signed-in user. Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_preferred_username(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.preferred_username) }
}

/// Object id of the user or service principal (`oid`). Owned by `claims`; NULL when absent.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_object_id(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: forwarded contract.
    unsafe { claim(claims, |c| &c.oid) }
}

/// Expiry (`exp`), seconds since the Unix epoch; 0 when absent or `claims` is NULL.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_expires_on(claims: *const oauthmail_claims) -> u64 {
    // SAFETY: NULL or live per the contract.
    ffi_value(0, || unsafe { claims.as_ref() }.and_then(|c| c.claims.exp).unwrap_or(0))
}

/// How many application roles (`roles`, e.g. `SMTP.SendAsApp`) the token has.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_roles_count(claims: *const oauthmail_claims) -> usize {
    // SAFETY: NULL or live per the contract.
    ffi_value(0, || unsafe { claims.as_ref() }.map_or(0, |c| c.roles.len()))
}

/// Role `index` (0-based), owned by `claims`; NULL when out of range.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_role(claims: *const oauthmail_claims, index: usize) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || {
        unsafe { claims.as_ref() }.and_then(|c| c.roles.get(index)).map_or(ptr::null(), |r| r.as_ptr())
    })
}

/// Whether the token carries an application role or delegated scope named
/// `permission` (e.g. `"IMAP.AccessAsApp"`, `"SMTP.Send"`). False for NULL
/// or invalid UTF-8 arguments.
///
/// # Safety
/// `claims` is NULL or a live claims handle; `permission` NULL or NUL-terminated.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_has_permission(
    claims: *const oauthmail_claims,
    permission: *const c_char,
) -> bool {
    ffi_value(false, || {
        // SAFETY: NULL or valid per the contract.
        match unsafe { (claims.as_ref(), str_arg(permission, "permission")) } {
            (Some(c), Ok(p)) => c.claims.has_permission(p),
            _ => false,
        }
    })
}

/// Every claim as one JSON object (UTF-8), owned by `claims`; NULL when
/// `claims` is NULL.
///
/// # Safety
/// `claims` is NULL or a live claims handle.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_json(claims: *const oauthmail_claims) -> *const c_char {
    // SAFETY: NULL or live per the contract.
    ffi_value(ptr::null(), || unsafe { claims.as_ref() }.map_or(ptr::null(), |c| c.json.as_ptr()))
}

/// Frees a claims handle. NULL is a no-op.
///
/// # Safety
/// `claims` is NULL or a live claims handle, freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn oauthmail_claims_free(claims: *mut oauthmail_claims) {
    // SAFETY: NULL or ours, freed once, per the contract.
    ffi_value((), || unsafe { free_handle(claims) })
}
