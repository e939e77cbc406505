//! Shared harness for core's integration tests: a running test kit and
//! credential options that trust its CA and retry quickly.
#![allow(dead_code, unused_imports)] // each test binary uses a different part

use std::time::Duration;

use oauthmail::authority::Authority;
use oauthmail::credential::CredentialOptions;
use oauthmail::http::RetryPolicy;
use oauthmail::tls::TlsTrust;
pub use oauthmail_testkit::{Fault, TestKit, fixture};

/// A test kit with the default fixture (tenant, apps, users in `fixture`).
pub fn start_kit() -> TestKit {
    TestKit::start_default().expect("the test kit starts")
}

/// The kit's CA (plus the built-in roots).
pub fn trust(kit: &TestKit) -> TlsTrust {
    TlsTrust::with_pem(kit.ca_pem().as_bytes()).expect("the kit's CA is valid PEM")
}

/// Options pointing at the kit, with short retry waits so tests stay fast.
pub fn options(kit: &TestKit) -> CredentialOptions {
    let mut o = CredentialOptions::default()
        .with_authority(Authority::microsoft(&kit.authority()).expect("the kit's authority is a valid URL"))
        .with_tls(trust(kit));
    o.http.retry = RetryPolicy {
        max_attempts: 4,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::default()
    };
    o
}

/// A blocking HTTPS client that trusts the kit and follows redirects, playing
/// the browser in authorization code tests.
pub fn browser(kit: &TestKit) -> reqwest::blocking::Client {
    let mut tls = (*trust(kit).client_config()).clone();
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    reqwest::blocking::Client::builder()
        .tls_backend_preconfigured(tls)
        .timeout(Duration::from_secs(20))
        .no_proxy()
        .build()
        .expect("the browser client builds")
}
