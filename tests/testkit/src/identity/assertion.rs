//! Client assertions (certificate credentials): a JWT signed RS256 with the app's certificate key.

use rustls::pki_types::CertificateDer;
use serde_json::Value;

use super::errors::AadError;
use super::{Identity, TenantRef};
use crate::config::App;
use crate::jwt;
use crate::util::{b64url, format_timestamp, now_secs, sha256};

fn thumbprint_sha1(der: &[u8]) -> String {
    b64url(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, der).as_ref())
}

fn malformed(why: &str) -> AadError {
    AadError::invalid_client(50027, format!("JWT token is invalid or malformed. {why}"))
}

/// Checks signature (against a registered certificate), `iss`/`sub`, `aud` and the time window.
pub(super) fn verify(
    identity: &Identity,
    app: &App,
    assertion: &str,
    certificates: &[Vec<u8>],
    tenant: TenantRef<'_>,
) -> Result<(), AadError> {
    let parsed = jwt::parse(assertion).ok_or_else(|| malformed("The assertion is not a JWT."))?;
    if parsed.header.get("alg").and_then(Value::as_str) != Some("RS256") {
        return Err(malformed("Only RS256 client assertions are supported."));
    }
    // Pick the registered certificate named by the thumbprint header, else try them all.
    let x5t = parsed.header.get("x5t").and_then(Value::as_str);
    let x5t_s256 = parsed.header.get("x5t#S256").and_then(Value::as_str);
    let candidates: Vec<&Vec<u8>> = certificates
        .iter()
        .filter(|der| {
            x5t.is_none_or(|t| t == thumbprint_sha1(der)) && x5t_s256.is_none_or(|t| t == b64url(&sha256(der)))
        })
        .collect();
    let signed = candidates.iter().any(|der| {
        let cert = CertificateDer::from(der.as_slice());
        webpki::EndEntityCert::try_from(&cert).is_ok_and(|ee| {
            ee.verify_signature(
                webpki::ring::RSA_PKCS1_2048_8192_SHA256,
                parsed.signing_input.as_bytes(),
                &parsed.signature,
            )
            .is_ok()
        })
    });
    if !signed {
        let thumb = x5t.or(x5t_s256).unwrap_or("(none)");
        return Err(AadError::invalid_client(
            700027,
            format!(
                "Client assertion failed signature validation. [Reason - The key was not found., \
                 Thumbprint of key used by client: '{thumb}']"
            ),
        ));
    }
    let claims = &parsed.claims;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    if claim("iss") != Some(app.client_id.as_str()) || claim("sub") != Some(app.client_id.as_str()) {
        return Err(AadError::invalid_client(
            700021,
            "Client assertion application identifier doesn't match 'client_id' parameter.",
        ));
    }
    let aud = claim("aud").ok_or_else(|| malformed("The assertion has no 'aud' claim."))?;
    if !audience_ok(identity, aud, tenant) {
        return Err(AadError::invalid_client(
            700212,
            format!("Client assertion audience claim '{aud}' does not match the token endpoint."),
        ));
    }
    let now = now_secs();
    let skew = identity.config.assertion_clock_skew_secs as i64;
    let exp =
        claims.get("exp").and_then(Value::as_i64).ok_or_else(|| malformed("The assertion has no 'exp' claim."))?;
    let nbf = claims.get("nbf").and_then(Value::as_i64);
    if now > exp + skew || nbf.is_some_and(|nbf| nbf > now + skew) {
        return Err(AadError::invalid_client(
            700024,
            format!(
                "Client assertion is not within its valid time range. Current time: {}, assertion \
                 valid from {}, expiry time of assertion {}.",
                format_timestamp(now),
                nbf.map_or_else(|| "(not set)".into(), format_timestamp),
                format_timestamp(exp)
            ),
        ));
    }
    Ok(())
}

/// The assertion must be addressed to this kit's token endpoint for the same tenant.
fn audience_ok(identity: &Identity, aud: &str, tenant: TenantRef<'_>) -> bool {
    let Some(path) = aud.strip_prefix(identity.authority.as_str()) else {
        return false;
    };
    let path = path.trim_end_matches('/');
    let Some((segment, endpoint)) = path.trim_start_matches('/').split_once('/') else {
        return false;
    };
    if endpoint != "oauth2/v2.0/token" && endpoint != "oauth2/token" {
        return false;
    }
    match tenant {
        TenantRef::Registered(t) => identity.config.find_tenant(segment).is_some_and(|s| s.id == t.id),
        TenantRef::Alias(alias) => segment.eq_ignore_ascii_case(alias),
    }
}
