//! Fault injection, the request log, the control endpoints and the binary's protocol.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{client, status_json, token};
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{Fault, TestKit};
use serde_json::json;

fn app_form() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "client_credentials"),
        ("client_id", CONFIDENTIAL_APP_ID),
        ("client_secret", CONFIDENTIAL_APP_SECRET),
        ("scope", "https://outlook.office365.com/.default"),
    ]
}

#[test]
fn injected_faults_apply_to_the_next_requests() {
    let kit = TestKit::start_default().unwrap();
    kit.inject(Fault::Throttle { retry_after_secs: 7 }, 2);
    kit.inject(Fault::ServerError(503), 1);
    kit.inject(Fault::MalformedJson, 1);
    kit.inject(Fault::DropConnection, 1);
    kit.inject(Fault::Slow(Duration::from_millis(50)), 1);
    let http = client(&kit);
    let send = || http.post(kit.token_url(TENANT_ID)).form(&app_form()).send();

    for _ in 0..2 {
        let resp = send().unwrap();
        assert_eq!(resp.status().as_u16(), 429);
        assert_eq!(resp.headers()["retry-after"], "7");
        let (_, body) = status_json(resp);
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    assert_eq!(send().unwrap().status().as_u16(), 503);
    let resp = send().unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(serde_json::from_str::<serde_json::Value>(&resp.text().unwrap()).is_err());
    assert!(send().is_err(), "dropped connection must fail the request");
    let (status, body) = status_json(send().unwrap());
    assert_eq!(status, 200, "slow fault answers normally: {body}");
    let (status, _) = status_json(send().unwrap());
    assert_eq!(status, 200, "faults ran out");

    let log = kit.requests();
    assert_eq!(kit.token_requests(), 7);
    let statuses: Vec<u16> = log.iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![429, 429, 503, 200, 0, 200, 200]);
    assert_eq!(log[0].grant_type.as_deref(), Some("client_credentials"));
    assert_eq!(log[0].client_id.as_deref(), Some(CONFIDENTIAL_APP_ID));
    assert!(log[0].fault.is_some() && log[5].fault.is_some() && log[6].fault.is_none());
    kit.clear_requests();
    assert_eq!(kit.token_requests(), 0);
}

#[test]
fn control_endpoints_reach_everything() {
    let kit = TestKit::start_default().unwrap();
    let http = client(&kit);
    let control = |method: reqwest::Method, path: &str, body: serde_json::Value| {
        status_json(http.request(method, format!("{}/testkit/{path}", kit.authority())).json(&body).send().unwrap())
    };
    let (status, _) =
        control(reqwest::Method::POST, "faults", json!({"fault": "throttle", "retry_after": 2, "count": 1}));
    assert_eq!(status, 200);
    let (status, body) = control(reqwest::Method::POST, "faults", json!({"fault": "nonsense"}));
    assert_eq!(status, 400, "{body}");
    assert_eq!(token(&kit, &app_form()).0, 429);
    assert_eq!(token(&kit, &app_form()).0, 200);

    let (_, body) = control(reqwest::Method::GET, "requests", json!({}));
    assert_eq!(body["token_requests"], 2);
    assert_eq!(body["requests"][0]["status"], 429);
    assert!(body["requests"][0]["time"].as_f64().unwrap() > 1.0e9);

    let (_, body) = control(reqwest::Method::POST, "token-lifetime", json!({"secs": 5}));
    assert_eq!(body["ok"], true);
    assert_eq!(token(&kit, &app_form()).1["expires_in"], 5);

    let (_, body) =
        control(reqwest::Method::POST, "token", json!({"user": BOB, "scp": ["SMTP.Send"], "expires_in": -10}));
    let minted = body["access_token"].as_str().unwrap();
    assert_eq!(kit.verify_token(minted, &[OUTLOOK_RESOURCE]), Err(oauthmail_testkit::TokenRejection::Expired));
    let (_, info) = control(reqwest::Method::GET, "info", json!({}));
    assert_eq!(info, kit.info());
}

#[test]
fn binary_prints_one_line_and_stops_when_stdin_closes() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_oauthmail-testkit"))
        .args(["--token-lifetime", "42"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let info: serde_json::Value = serde_json::from_str(&line).unwrap();
    let ca_pem = std::fs::read_to_string(info["ca_path"].as_str().unwrap()).unwrap();
    let jwt_key = std::fs::read_to_string(info["jwt_public_key_path"].as_str().unwrap()).unwrap();
    assert!(jwt_key.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(std::path::Path::new(info["cert_app"]["cert_path"].as_str().unwrap()).exists());
    assert_eq!(info["tenant_id"], TENANT_ID);
    assert_eq!(info["token_url"], format!("{}/{TENANT_ID}/oauth2/v2.0/token", info["authority"].as_str().unwrap()));

    // A client that trusts only the printed CA gets a token.
    let mut roots = rustls::RootCertStore::empty();
    use rustls::pki_types::pem::PemObject;
    for cert in rustls::pki_types::CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let mut tls =
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    let http = reqwest::blocking::Client::builder().tls_backend_preconfigured(tls).build().unwrap();
    let (status, body) = status_json(http.post(info["token_url"].as_str().unwrap()).form(&app_form()).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["expires_in"], 42);

    drop(child.stdin.take());
    let exit = child.wait().unwrap();
    assert!(exit.success());
    assert!(!std::path::Path::new(info["ca_path"].as_str().unwrap()).exists(), "temp dir removed");
}

#[test]
fn openid_discovery_and_jwks_describe_the_kit() {
    let kit = TestKit::start_default().unwrap();
    let http = client(&kit);
    let (status, doc) = status_json(
        http.get(format!("{}/{TENANT_ID}/v2.0/.well-known/openid-configuration", kit.authority())).send().unwrap(),
    );
    assert_eq!(status, 200);
    assert_eq!(doc["token_endpoint"], kit.token_url(TENANT_ID));
    assert_eq!(doc["issuer"], kit.issuer(TENANT_ID));
    let (status, jwks) = status_json(http.get(doc["jwks_uri"].as_str().unwrap()).send().unwrap());
    assert_eq!(status, 200);
    let key = &jwks["keys"][0];
    assert_eq!(key["kid"], kit.info()["jwt_kid"]);

    // The JWK verifies a token the kit issued.
    use base64::Engine;
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let n = b64.decode(key["n"].as_str().unwrap()).unwrap();
    let e = b64.decode(key["e"].as_str().unwrap()).unwrap();
    let token = kit.issue_token(&oauthmail_testkit::TokenRequest::app(&["SMTP.SendAsApp"]));
    let (input, sig) = token.rsplit_once('.').unwrap();
    let public = ring::signature::RsaPublicKeyComponents { n: &n, e: &e };
    public.verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, input.as_bytes(), &b64.decode(sig).unwrap()).unwrap();
}
