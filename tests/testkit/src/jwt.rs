//! Compact JWS (RS256) encoding and parsing.

use serde_json::Value;

use crate::pki::RsaKey;
use crate::util::{b64url, b64url_decode};

/// Signs `claims` with `key`; the header carries `typ: "JWT"` (Dovecot insists) and the key id.
pub(crate) fn sign(key: &RsaKey, claims: &Value) -> String {
    let header = serde_json::json!({"typ": "JWT", "alg": "RS256", "kid": key.kid()});
    let signing_input = format!("{}.{}", b64url(header.to_string().as_bytes()), b64url(claims.to_string().as_bytes()));
    let signature = key.sign(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature))
}

/// A JWT split into its parts, not yet verified.
pub(crate) struct Parsed {
    pub header: Value,
    pub claims: Value,
    pub signing_input: String,
    pub signature: Vec<u8>,
}

/// Splits and decodes a compact JWS; None when it is not one.
pub(crate) fn parse(token: &str) -> Option<Parsed> {
    let mut parts = token.split('.');
    let (h, c, s) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let header: Value = serde_json::from_slice(&b64url_decode(h)?).ok()?;
    let claims: Value = serde_json::from_slice(&b64url_decode(c)?).ok()?;
    if !header.is_object() || !claims.is_object() {
        return None;
    }
    Some(Parsed { header, claims, signing_input: format!("{h}.{c}"), signature: b64url_decode(s)? })
}
