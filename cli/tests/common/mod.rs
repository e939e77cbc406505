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
    // A server the kit does not have yet gets a closed loopback port, never the real Office 365 host.
    for (server, prefix) in [("imap", "OAUTHMAIL_IMAP"), ("pop3", "OAUTHMAIL_POP3")] {
        let port = info.get(server).map_or("1".to_owned(), |s| s["tls_port"].to_string());
        cmd.env(format!("{prefix}_HOST"), "127.0.0.1")
            .env(format!("{prefix}_PORT"), port)
            .env(format!("{prefix}_SECURITY"), "tls");
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
