//! Runs the `oauthmail` binary against an in-process test kit.

#![allow(dead_code)] // each test file uses part of it

use std::path::Path;
use std::process::{Command, Output};

use oauthmail_testkit::{TestKit, fixture};

/// The binary with a clean environment pointing at `kit` as the confidential
/// app, sending and reading as alice.
pub fn oauthmail(kit: &TestKit) -> Command {
    let info = kit.info();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_oauthmail"));
    cmd.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", std::env::temp_dir().join("oauthmail-cli-test-home"))
        .env("AZURE_TENANT_ID", fixture::TENANT_ID)
        .env("AZURE_CLIENT_ID", fixture::CONFIDENTIAL_APP_ID)
        .env("AZURE_CLIENT_SECRET", fixture::CONFIDENTIAL_APP_SECRET)
        .env("AZURE_AUTHORITY_HOST", kit.authority())
        .env("OAUTHMAIL_CA_FILE", kit.ca_path())
        .env("OAUTHMAIL_USER", fixture::ALICE)
        .env("OAUTHMAIL_SMTP_HOST", "127.0.0.1")
        .env("OAUTHMAIL_SMTP_PORT", kit.smtp_starttls_port().to_string())
        .env("OAUTHMAIL_SMTP_SECURITY", "starttls")
        .env("OAUTHMAIL_GRAPH_URL", kit.graph_url());
    if let Some(imap) = info.get("imap") {
        cmd.env("OAUTHMAIL_IMAP_HOST", "127.0.0.1")
            .env("OAUTHMAIL_IMAP_PORT", imap["tls_port"].to_string())
            .env("OAUTHMAIL_IMAP_SECURITY", "tls");
    }
    if let Some(pop3) = info.get("pop3") {
        cmd.env("OAUTHMAIL_POP3_HOST", "127.0.0.1")
            .env("OAUTHMAIL_POP3_PORT", pop3["tls_port"].to_string())
            .env("OAUTHMAIL_POP3_SECURITY", "tls");
    }
    cmd
}

pub fn run(kit: &TestKit, args: &[&str]) -> Output {
    oauthmail(kit).args(args).output().unwrap()
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Panics with stderr unless the command succeeded.
pub fn ok(out: Output) -> Output {
    assert!(out.status.success(), "exit {:?}, stderr: {}", out.status, stderr(&out));
    out
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_string_lossy().into_owned()
}
