//! `doctor::diagnose` against the test kit: real tokens, real SMTP/IMAP/POP3 logins.

mod common;

use std::sync::Arc;

use common::{TestKit, fixture, options, start_kit, trust};
use oauthmail::doctor::{self, DoctorOptions, Finding, Status};
use oauthmail::{ClientSecretCredential, ImapConfig, Pop3Config, Security, SmtpConfig, TokenCredential};
use oauthmail_testkit::SmtpFault;

fn credential(kit: &TestKit, client_id: &str, secret: &str) -> Arc<dyn TokenCredential> {
    Arc::new(ClientSecretCredential::new(fixture::TENANT_ID, client_id, secret, options(kit)).unwrap())
}

fn everything(kit: &TestKit) -> DoctorOptions {
    let smtp = SmtpConfig { ca: trust(kit), ..SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), fixture::ALICE) };
    let imap = ImapConfig {
        ca: trust(kit),
        security: Some(Security::Tls),
        ..ImapConfig::new("127.0.0.1", kit.imap_tls_port(), fixture::ALICE)
    };
    let pop3 = Pop3Config {
        ca: trust(kit),
        security: Some(Security::Tls),
        ..Pop3Config::new("127.0.0.1", kit.pop3_tls_port(), fixture::ALICE)
    };
    DoctorOptions { smtp: Some(smtp), imap: Some(imap), pop3: Some(pop3), ..DoctorOptions::new(fixture::ALICE) }
}

fn find<'a>(findings: &'a [Finding], check: &str) -> &'a Finding {
    findings.iter().find(|f| f.check == check).unwrap_or_else(|| panic!("no {check} in {findings:#?}"))
}

#[test]
fn a_working_app_passes_every_check_in_order() {
    let kit = start_kit();
    let cred = credential(&kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET);
    let findings = doctor::diagnose(cred, &everything(&kit));
    let order: Vec<&str> = findings.iter().map(|f| f.check).collect();
    assert_eq!(order, ["token", "audience", "permissions", "lifetime", "smtp", "imap", "pop3"]);
    assert!(findings.iter().all(|f| f.status == Status::Ok), "{findings:#?}");
    assert_eq!(kit.token_requests(), 1, "one token serves every check");
}

#[test]
fn an_app_without_roles_is_refused_everywhere_and_told_why() {
    let kit = start_kit();
    let cred = credential(&kit, fixture::NOROLES_APP_ID, fixture::NOROLES_APP_SECRET);
    let findings = doctor::diagnose(cred, &everything(&kit));
    let perms = find(&findings, "permissions");
    assert_eq!(perms.status, Status::Problem);
    assert!(perms.summary.contains("SMTP.SendAsApp, IMAP.AccessAsApp, POP.AccessAsApp"), "{perms:?}");
    assert!(perms.fix.iter().any(|f| f.contains(&format!("New-ServicePrincipal -AppId {}", fixture::NOROLES_APP_ID))));
    for check in ["smtp", "imap", "pop3"] {
        let f = find(&findings, check);
        assert_eq!(f.status, Status::Problem, "{f:?}");
        assert!(f.fix.iter().any(|s| s.contains("Add-MailboxPermission")), "{f:?}");
    }
}

#[test]
fn smtp_auth_disabled_and_a_wrong_secret() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::AuthDisabled, 1);
    let cred = credential(&kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET);
    let findings = doctor::diagnose(cred, &everything(&kit));
    let smtp = find(&findings, "smtp");
    assert_eq!((smtp.status, smtp.code.as_deref()), (Status::Problem, Some("5.7.139")));
    assert!(smtp.fix.iter().any(|f| f.contains("-SmtpClientAuthenticationDisabled $false")), "{smtp:?}");
    assert_eq!(find(&findings, "imap").status, Status::Ok);

    let bad = credential(&kit, fixture::CONFIDENTIAL_APP_ID, "wrong");
    let findings = doctor::diagnose(bad, &everything(&kit));
    let token = find(&findings, "token");
    assert_eq!((token.status, token.code.as_deref()), (Status::Problem, Some("AADSTS7000215")));
    assert!(!token.fix.is_empty());
    assert!(findings[1..].iter().all(|f| f.status == Status::Skipped), "{findings:#?}");
}
