//! Captures every log line (TRACE, all crates) across full token flows and
//! failures, and checks that no secret appears in it, nor in any error's
//! `Display` or `Debug`.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};

use common::{Fault, browser, fixture, options, start_kit};
use oauthmail::credential::DeviceCodeInfo;
use oauthmail::{
    AuthorizationCodeCredential, ClientCertificateCredential, ClientSecretCredential, DeviceCodeCredential,
    RefreshTokenCredential, TokenCredential, UsernamePasswordCredential,
};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

/// Tokens to look for, and every error and `Debug` text produced.
#[derive(Default)]
struct Seen {
    secrets: Vec<String>,
    text: Vec<String>,
    errors: usize,
}

impl Seen {
    fn keep(&mut self, r: oauthmail::Result<oauthmail::AccessToken>) {
        match r {
            Ok(t) => {
                self.text.push(format!("{t:?}"));
                self.secrets.push(t.token().expose().to_owned());
            }
            Err(e) => {
                self.errors += 1;
                self.text.push(format!("{e}\n{e:?}"));
            }
        }
    }
}

#[test]
fn no_secret_in_logs_or_errors() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .init();
    let kit = start_kit();
    let mut seen = Seen {
        secrets: vec![
            fixture::CONFIDENTIAL_APP_SECRET.into(),
            fixture::EXPIRED_SECRET.into(),
            fixture::ALICE_PASSWORD.into(),
            fixture::MFA_PASSWORD.into(),
            "wrong-secret-value".into(),
            "wrong-password-value".into(),
        ],
        ..Seen::default()
    };

    // Client secret: success, wrong and expired secrets, throttling, bad JSON.
    for secret in [fixture::CONFIDENTIAL_APP_SECRET, "wrong-secret-value", fixture::EXPIRED_SECRET] {
        let c = ClientSecretCredential::new(fixture::TENANT_ID, fixture::CONFIDENTIAL_APP_ID, secret, options(&kit))
            .unwrap();
        seen.keep(c.get_token(&[]));
        seen.text.push(format!("{c:?}"));
    }
    kit.inject(Fault::Throttle { retry_after_secs: 0 }, 1);
    kit.inject(Fault::MalformedJson, 1);
    let c = ClientSecretCredential::new(
        fixture::TENANT_ID,
        fixture::CONFIDENTIAL_APP_ID,
        fixture::CONFIDENTIAL_APP_SECRET,
        options(&kit),
    )
    .unwrap();
    seen.keep(c.get_fresh_token(&[]));
    seen.keep(c.get_fresh_token(&[]));

    // Certificate: the private key must not leak.
    let app = kit.cert_app().expect("the fixture has a certificate app");
    let (cert_path, key_path) = (app.cert_path.as_path(), app.key_path.as_path());
    let key_pem = std::fs::read_to_string(key_path).unwrap();
    let key_body: String = key_pem.lines().filter(|l| !l.starts_with("-----")).collect::<Vec<_>>().concat();
    seen.secrets.extend(key_pem.lines().filter(|l| !l.starts_with("-----") && l.len() > 20).map(str::to_owned));
    let c = ClientCertificateCredential::from_files(
        fixture::TENANT_ID,
        fixture::CERT_APP_ID,
        cert_path,
        Some(key_path),
        options(&kit),
    )
    .unwrap();
    seen.keep(c.get_token(&[]));
    seen.text.push(format!("{c:?}"));

    // Password grant: success, refresh, wrong password, MFA.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tokens.json");
    let c = UsernamePasswordCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        fixture::ALICE,
        fixture::ALICE_PASSWORD,
        options(&kit).with_persistent_cache(&file),
    )
    .unwrap();
    seen.keep(c.get_token(&[]));
    seen.keep(c.get_fresh_token(&[]));
    seen.text.push(format!("{c:?}"));
    for (user, pw) in [(fixture::ALICE, "wrong-password-value"), (fixture::MFA_USER, fixture::MFA_PASSWORD)] {
        let c = UsernamePasswordCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, user, pw, options(&kit))
            .unwrap();
        seen.keep(c.get_token(&[]));
    }
    let stored: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let rt = stored["refresh_tokens"].as_object().unwrap().values().next().unwrap().as_str().unwrap().to_owned();
    seen.secrets.push(rt.clone());

    // Refresh token: rotation, then revoked.
    let c =
        RefreshTokenCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, rt.as_str(), options(&kit)).unwrap();
    seen.keep(c.get_token(&[]));
    seen.secrets.push(c.refresh_token().unwrap().expose().to_owned());
    seen.text.push(format!("{c:?}"));
    kit.revoke_refresh_tokens();
    seen.keep(c.get_fresh_token(&[]));

    // Device code and authorization code.
    let d =
        DeviceCodeCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, |_: &DeviceCodeInfo| {}, options(&kit))
            .unwrap();
    seen.keep(d.get_token(&[]));
    let a = AuthorizationCodeCredential::new(fixture::TENANT_ID, fixture::PUBLIC_APP_ID, options(&kit)).unwrap();
    let b = browser(&kit);
    seen.keep(a.run_loopback(&[], move |url| {
        let url = url.to_owned();
        std::thread::spawn(move || {
            let _ = b.get(&url).send();
        });
    }));
    seen.keep(a.get_fresh_token(&[]));

    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("token request"), "the flows were logged");
    assert!(logs.contains("retrying"), "the retry was logged");
    assert!(seen.secrets.len() > 12);
    assert!(seen.errors >= 6, "the failures happened");
    let shown = format!("{logs}\n{}", seen.text.join("\n"));
    for s in &seen.secrets {
        assert!(!shown.contains(s.as_str()), "a secret leaked: {}...", &s[..4.min(s.len())]);
    }
    assert!(!shown.contains(&key_body[..40]));
    // Every JWT (access tokens, client assertions) starts with "eyJ" ('{"').
    assert!(!shown.contains("eyJ"), "a JWT leaked");
}
