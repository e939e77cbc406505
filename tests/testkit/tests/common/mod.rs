//! Helpers for the test kit's own tests: an HTTPS client trusting the kit's CA, JWT decoding.
#![allow(dead_code)] // each test file uses a different subset

pub mod imap_client;
pub mod smtp_client;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use oauthmail_testkit::TestKit;
use reqwest::blocking::{Client, Response};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use serde_json::Value;

pub fn client(kit: &TestKit) -> Client {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(kit.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Client::builder().tls_backend_preconfigured(config).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// POSTs a form to the token endpoint of the fixture tenant.
pub fn token(kit: &TestKit, form: &[(&str, &str)]) -> (u16, Value) {
    token_at(kit, oauthmail_testkit::fixture::TENANT_ID, form)
}

pub fn token_at(kit: &TestKit, tenant: &str, form: &[(&str, &str)]) -> (u16, Value) {
    let resp = client(kit).post(kit.token_url(tenant)).form(form).send().unwrap();
    status_json(resp)
}

pub fn status_json(resp: Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    let text = resp.text().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// The AADSTS code of an error body, checking Microsoft's error shape on the way.
pub fn aadsts(body: &Value) -> u64 {
    let code = body["error_codes"][0].as_u64().expect("error_codes");
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with(&format!("AADSTS{code}: ")), "{description}");
    assert!(description.contains("\r\nTrace ID: "), "{description}");
    assert!(description.contains("\r\nCorrelation ID: "), "{description}");
    for field in ["timestamp", "trace_id", "correlation_id", "error"] {
        assert!(body[field].is_string(), "missing {field} in {body}");
    }
    code
}

pub fn b64url_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// (header, claims) of a JWT, unverified.
pub fn decode_jwt(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let header = b64url_json(parts.next().unwrap());
    let claims = b64url_json(parts.next().unwrap());
    (header, claims)
}
