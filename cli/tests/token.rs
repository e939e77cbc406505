//! `oauthmail token` against the test kit's identity platform.

use std::process::{Command, Output};

use oauthmail_testkit::{TestKit, fixture};

fn oauthmail(kit: &TestKit, secret: &str, extra: &[&str]) -> Output {
    let home = tempfile::tempdir().unwrap();
    Command::new(env!("CARGO_BIN_EXE_oauthmail"))
        .args(extra)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .env("AZURE_TENANT_ID", fixture::TENANT_ID)
        .env("AZURE_CLIENT_ID", fixture::CONFIDENTIAL_APP_ID)
        .env("AZURE_CLIENT_SECRET", secret)
        .env("AZURE_AUTHORITY_HOST", kit.authority())
        .env("OAUTHMAIL_CA_FILE", kit.ca_path())
        .output()
        .unwrap()
}

#[test]
fn token_json_prints_decoded_claims() {
    let kit = TestKit::start_default().unwrap();
    let out = oauthmail(&kit, fixture::CONFIDENTIAL_APP_SECRET, &["token", "--json"]);
    assert!(out.status.success(), "stderr: {}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["claims"]["aud"], "https://outlook.office365.com");
    assert_eq!(v["claims"]["appid"], fixture::CONFIDENTIAL_APP_ID);
    assert_eq!(v["claims"]["tid"], fixture::TENANT_ID);
    let roles: Vec<&str> = v["claims"]["roles"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert!(roles.contains(&"SMTP.SendAsApp") && roles.contains(&"IMAP.AccessAsApp"), "{roles:?}");
    assert!(v["expires_in"].as_u64().unwrap() > 0);
    assert_eq!(kit.token_requests(), 1);
}

#[test]
fn bad_secret_prints_kind_code_and_hint_but_not_the_secret() {
    let kit = TestKit::start_default().unwrap();
    let out = oauthmail(&kit, "not-the-right-secret", &["token"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: Auth (AADSTS7000215)"), "{stderr}");
    assert!(stderr.contains("hint: "), "{stderr}");
    assert!(!stderr.contains("not-the-right-secret"), "{stderr}");
    assert!(out.stdout.is_empty());
}

#[test]
fn missing_configuration_is_explained() {
    let kit = TestKit::start_default().unwrap();
    let out = oauthmail(&kit, "", &["--flow", "nonsense", "token"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("error: Config"), "{stderr}");
    assert!(stderr.contains("unknown flow"), "{stderr}");
}
