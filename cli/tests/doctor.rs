//! `oauthmail doctor` against the test kit.

mod common;

use common::{oauthmail, ok, stderr, stdout};
use oauthmail_testkit::{ImapFault, SmtpFault, TestKit, fixture};

#[test]
fn app_without_roles_gets_the_missing_roles_and_the_exchange_commands() {
    let kit = TestKit::start_default().unwrap();
    let out = oauthmail(&kit)
        .env("AZURE_CLIENT_ID", fixture::NOROLES_APP_ID)
        .env("AZURE_CLIENT_SECRET", fixture::NOROLES_APP_SECRET)
        .arg("doctor")
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(!out.status.success(), "problems mean a non-zero exit: {text}");
    assert!(text.contains("✓ token"), "{text}");
    assert!(text.contains("✓ audience"), "{text}");
    assert!(text.contains("✗ permissions") && text.contains("no roles") && text.contains("SMTP.SendAsApp"), "{text}");
    assert!(text.contains(&format!("New-ServicePrincipal -AppId {}", fixture::NOROLES_APP_ID)), "{text}");
    assert!(text.contains(&format!("Add-MailboxPermission -Identity {}", fixture::ALICE)), "{text}");
    assert!(text.contains("✗ smtp"), "the SMTP server refuses the token too: {text}");
    assert!(!text.contains(fixture::NOROLES_APP_SECRET) && !stderr(&out).contains(fixture::NOROLES_APP_SECRET));
}

#[test]
fn working_configuration_has_no_problems() {
    let kit = TestKit::start_default().unwrap();
    let out = ok(oauthmail(&kit).args(["doctor", "--pop3", "--json"]).output().unwrap());
    let findings: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |check: &str| {
        findings
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["check"] == check)
            .map(|f| f["status"].as_str().unwrap().to_owned())
    };
    for check in ["token", "audience", "permissions", "lifetime", "smtp", "imap", "pop3"] {
        assert_eq!(status(check).as_deref(), Some("ok"), "{check}: {findings:#}");
    }
}

#[test]
fn bad_secret_is_explained_with_the_aadsts_hint() {
    let kit = TestKit::start_default().unwrap();
    let out = oauthmail(&kit).env("AZURE_CLIENT_SECRET", "wrong").args(["doctor", "--no-imap"]).output().unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("✗ token") && text.contains("(AADSTS7000215)"), "{text}");
    assert!(text.contains("fix: "), "{text}");
    assert!(text.contains("- smtp"), "later checks are skipped: {text}");
}

#[test]
fn mailbox_not_connected_and_smtp_auth_disabled_name_their_exchange_commands() {
    let kit = TestKit::start_default().unwrap();
    kit.inject_smtp(SmtpFault::AuthDisabled, 1);
    kit.inject_imap(ImapFault::NotConnected, 1);
    let out = oauthmail(&kit).arg("doctor").output().unwrap();
    assert!(!out.status.success());
    let text = stdout(&out);
    assert!(text.contains("✓ permissions"), "{text}");
    assert!(text.contains("✗ smtp") && text.contains("(5.7.139)"), "{text}");
    assert!(
        text.contains(&format!("Set-CASMailbox -Identity {} -SmtpClientAuthenticationDisabled $false", fixture::ALICE)),
        "{text}"
    );
    assert!(text.contains("✗ imap") && text.contains("not connected"), "{text}");
    let imap_fix = text.lines().skip_while(|l| !l.starts_with("✗ imap")).collect::<Vec<_>>().join("\n");
    assert!(imap_fix.contains(&format!("Add-MailboxPermission -Identity {}", fixture::ALICE)), "{text}");
    assert!(text.contains("2 problems found."), "{text}");
}

#[test]
fn user_sign_in_checks_delegated_scopes_of_the_users_own_mailbox() {
    let kit = TestKit::start_default().unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = oauthmail(&kit)
        .env("HOME", home.path())
        .env("AZURE_CLIENT_ID", fixture::PUBLIC_APP_ID)
        .env_remove("AZURE_CLIENT_SECRET")
        .env_remove("OAUTHMAIL_USER")
        .env("AZURE_USERNAME", fixture::BOB)
        .env("AZURE_PASSWORD", fixture::BOB_PASSWORD)
        .args(["doctor", "--pop3"])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(out.status.success(), "{text}{}", stderr(&out));
    assert!(text.contains(&format!("✓ permissions  user token for {}", fixture::BOB)), "{text}");
    assert!(text.contains(&format!("as {}", fixture::BOB)), "the mailbox defaults to the user: {text}");
    assert!(!text.contains(fixture::BOB_PASSWORD));
}
