//! `oauthmail demo` works with no configuration at all.

use std::process::Command;

#[test]
fn demo_runs_the_whole_job_with_no_configuration() {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_oauthmail"))
        .arg("demo")
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", home.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "stdout: {text}\nstderr: {}", String::from_utf8_lossy(&out.stderr));
    let after = |marker: &str| {
        let rest = &text[text.find(marker).unwrap_or_else(|| panic!("no '{marker}' in {text}"))..];
        rest.lines().nth(1).unwrap_or_default().to_owned()
    };
    assert!(text.contains("roles SMTP.SendAsApp IMAP.AccessAsApp POP.AccessAsApp"), "{text}");
    assert!(text.contains("queue id ") && !text.contains("queue id (none)"), "{text}");
    assert!(after("✓ IMAP").contains("Test测试邮件标题"), "{text}");
    assert!(after("✓ POP3").contains("Test测试邮件标题"), "{text}");
    assert!(text.contains("error: Auth (AADSTS7000215)") && text.contains("hint: "), "{text}");
    assert!(!text.contains(oauthmail_testkit::fixture::CONFIDENTIAL_APP_SECRET), "{text}");
}
