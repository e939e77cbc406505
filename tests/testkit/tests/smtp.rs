//! The SMTP submission server: TLS rules, XOAUTH2/OAUTHBEARER token checks, Exchange replies,
//! delivery into the store, and SMTP faults.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::smtp_client::Smtp;
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{INBOX, SmtpFault, TestKit, TokenRequest};

const MESSAGE: &str =
    "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: hello\r\n\r\nline one\r\n.leading dot\r\n";

fn app_token(kit: &TestKit) -> String {
    kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"]))
}

#[test]
fn starttls_auth_and_delivery() {
    let kit = TestKit::start_default().unwrap();
    let mut smtp = Smtp::connect(&kit, false);
    let (code, ehlo) = smtp.cmd("EHLO client");
    assert_eq!(code, 250);
    assert!(ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"), "{ehlo}");
    let (code, text) = smtp.xoauth2(ALICE, &app_token(&kit));
    assert_eq!((code, text.as_str()), (530, "530 5.7.0 Must issue a STARTTLS command first"));
    assert_eq!(smtp.cmd("MAIL FROM:<alice@example.test>").0, 530);
    smtp.starttls(&kit);
    let (_, ehlo) = smtp.cmd("EHLO client");
    assert!(ehlo.contains("AUTH XOAUTH2 OAUTHBEARER") && !ehlo.contains("STARTTLS"), "{ehlo}");
    let (code, text) = smtp.cmd("MAIL FROM:<alice@example.test>");
    assert_eq!(code, 530, "{text}");
    assert!(text.contains("5.7.57"));
    assert_eq!(smtp.xoauth2(ALICE, &app_token(&kit)), (235, "235 2.7.0 Authentication successful".into()));

    assert_eq!(smtp.cmd("MAIL FROM:<alice@example.test>").0, 250);
    assert_eq!(smtp.cmd("RCPT TO:<bob@example.test>").0, 250);
    let (code, text) = smtp.cmd("RCPT TO:<nobody@example.test>");
    assert_eq!(code, 550);
    assert!(text.starts_with("550 5.1.10 RESOLVER.ADR.RecipientNotFound"), "{text}");
    assert_eq!(smtp.cmd("RCPT TO:<friend@elsewhere.example>").0, 250, "external domains are accepted");
    assert_eq!(smtp.cmd("DATA").0, 354);
    smtp.send_line("Subject: hello");
    smtp.send_line("");
    smtp.send_line("..leading dot");
    smtp.send_line(".");
    let (code, text) = smtp.reply().unwrap();
    assert_eq!(code, 250);
    assert!(text.starts_with("250 2.0.0 OK <") && text.ends_with("> [Hostname=testkit]"), "{text}");
    assert_eq!(smtp.cmd("QUIT").0, 221);

    let inbox = kit.store().messages(BOB, INBOX);
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].raw, b"Subject: hello\r\n\r\n.leading dot\r\n");
    assert_eq!(kit.store().count("friend@elsewhere.example", INBOX), 1);
    let stats = kit.smtp_stats();
    assert_eq!((stats.auth_attempts, stats.auth_successes, stats.messages_accepted), (1, 1, 1));
}

#[test]
fn implicit_tls_and_oauthbearer_with_delegated_token() {
    let kit = TestKit::start_default().unwrap();
    let mut smtp = Smtp::connect(&kit, true);
    let (_, ehlo) = smtp.cmd("EHLO client");
    assert!(ehlo.contains("AUTH XOAUTH2 OAUTHBEARER"), "{ehlo}");
    let token = kit.issue_token(&TokenRequest::user(BOB, &["SMTP.Send"]));
    assert_eq!(smtp.oauthbearer(BOB, &token).0, 235);
    let (code, text) = smtp.send(BOB, &[ALICE, ALICE], MESSAGE);
    assert_eq!(code, 250, "{text}");
    assert_eq!(kit.store().count(ALICE, INBOX), 1, "duplicate recipients get one copy");
}

#[test]
fn refused_tokens_get_the_challenge_then_535() {
    let kit = TestKit::start_default().unwrap();
    let cases = [
        (ALICE, kit.issue_token(&TokenRequest::user(ALICE, &["SMTP.Send"]).expires_in(-60)), "token expired"),
        (ALICE, kit.issue_token(&TokenRequest::user(BOB, &["SMTP.Send"])), "not 'alice@example.test'"),
        (ALICE, kit.issue_token(&TokenRequest::user(ALICE, &["IMAP.AccessAsUser.All"])), "scp lacks SMTP.Send"),
        (ALICE, kit.issue_token(&TokenRequest::app(&[]).client_id(NOROLES_APP_ID)), "lacks role SMTP.SendAsApp"),
        (ALICE, kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"]).audience(GRAPH_RESOURCE)), "wrong audience"),
        (ALICE, kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"]).mailbox(BOB)), "bound to"),
        ("ghost@example.test", kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"])), "no mailbox"),
        (ALICE, "not-a-jwt".to_string(), "not a JWT"),
    ];
    for (user, token, reason) in &cases {
        let mut smtp = Smtp::secure(&kit);
        let (code, challenge) = smtp.xoauth2(user, token);
        assert_eq!(code, 334, "{reason}: {challenge}");
        let json = STANDARD.decode(challenge[4..].trim()).unwrap();
        assert_eq!(
            String::from_utf8(json).unwrap(),
            r#"{"status":"401","schemes":"bearer","scope":"https://outlook.office.com/SMTP.Send"}"#
        );
        let (code, text) = smtp.cmd("");
        assert_eq!(code, 535);
        assert!(text.starts_with("535 5.7.3 Authentication unsuccessful"), "{text}");
        let log = kit.smtp_stats().auth_log;
        let last = log.last().unwrap();
        assert!(!last.success);
        assert!(last.reason.as_deref().unwrap().contains(reason), "{:?} should mention {reason}", last.reason);
    }
    // OAUTHBEARER failures carry the invalid_token status.
    let mut smtp = Smtp::secure(&kit);
    let (code, challenge) = smtp.oauthbearer(ALICE, "not-a-jwt");
    assert_eq!(code, 334);
    assert!(String::from_utf8(STANDARD.decode(challenge[4..].trim()).unwrap()).unwrap().contains("invalid_token"));
    assert_eq!(smtp.cmd("AQ==").0, 535);
    assert_eq!(kit.smtp_stats().auth_successes, 0);
}

#[test]
fn send_as_is_checked_after_data() {
    let kit = TestKit::start(
        oauthmail_testkit::Config::default_fixture()
            .modify_user(ALICE, |u| u.send_as.push("shared@example.test".into())),
    )
    .unwrap();
    let mut smtp = Smtp::secure(&kit);
    assert_eq!(smtp.xoauth2(ALICE, &app_token(&kit)).0, 235);
    let (code, text) = smtp.send(BOB, &[BOB], MESSAGE);
    assert_eq!(code, 554);
    assert!(
        text.starts_with("554 5.2.252 SendAsDenied; alice@example.test not allowed to send as bob@example.test; STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied"),
        "{text}"
    );
    assert_eq!(smtp.send("shared@example.test", &[BOB], MESSAGE).0, 250);
    assert_eq!(kit.store().count(BOB, INBOX), 1);
}

#[test]
fn smtp_faults() {
    let kit = TestKit::start_default().unwrap();
    let token = app_token(&kit);

    kit.inject_smtp(SmtpFault::AuthDisabled, 1);
    let mut smtp = Smtp::secure(&kit);
    let (code, text) = smtp.xoauth2(ALICE, &token);
    assert_eq!(code, 535);
    assert!(text.starts_with("535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled"), "{text}");
    assert_eq!(smtp.xoauth2(ALICE, &token).0, 235, "the fault was used up");

    kit.inject_smtp(SmtpFault::Throttle, 1);
    let (code, text) = smtp.cmd("MAIL FROM:<alice@example.test>");
    assert_eq!((code, text.starts_with("451 4.7.500 Server busy. Please try again later.")), (451, true), "{text}");
    kit.inject_smtp(SmtpFault::SendAsDenied, 1);
    assert_eq!(smtp.send(ALICE, &[BOB], MESSAGE).0, 554);

    kit.inject_smtp(SmtpFault::AuthUnsuccessful, 1);
    let mut smtp = Smtp::secure(&kit);
    assert!(smtp.xoauth2(ALICE, &token).1.starts_with("535 5.7.3 Authentication unsuccessful"));

    kit.inject_smtp(SmtpFault::DropAfterAuth, 1);
    let mut smtp = Smtp::secure(&kit);
    smtp.send_line(&format!(
        "AUTH XOAUTH2 {}",
        STANDARD.encode(format!("user={ALICE}\x01auth=Bearer {token}\x01\x01"))
    ));
    assert!(smtp.reply().is_none(), "connection dropped after AUTH");

    kit.inject_smtp(SmtpFault::DropMidData, 1);
    let mut smtp = Smtp::secure(&kit);
    assert_eq!(smtp.xoauth2(ALICE, &token).0, 235);
    assert_eq!(smtp.cmd("MAIL FROM:<alice@example.test>").0, 250);
    assert_eq!(smtp.cmd("RCPT TO:<bob@example.test>").0, 250);
    assert_eq!(smtp.cmd("DATA").0, 354);
    smtp.send_line("Subject: x");
    assert!(smtp.reply().is_none(), "connection dropped mid-DATA");

    kit.inject_smtp(SmtpFault::Slow(std::time::Duration::from_millis(20)), 1);
    let mut smtp = Smtp::secure(&kit);
    assert_eq!(smtp.xoauth2(ALICE, &token).0, 235);
    assert_eq!(smtp.send(ALICE, &[BOB], MESSAGE).0, 250);
    assert_eq!(kit.store().count(BOB, INBOX), 1, "only the last message was delivered");
}

#[test]
fn lettre_sends_over_both_ports() {
    use lettre::transport::smtp::authentication::{Credentials, Mechanism};
    use lettre::transport::smtp::client::{Certificate, CertificateStore, Tls, TlsParameters};
    use lettre::{Message, SmtpTransport, Transport};

    let kit = TestKit::start_default().unwrap();
    let token = kit.issue_token(&TokenRequest::user(ALICE, &["SMTP.Send"]));
    for (port, tls) in [(kit.smtp_starttls_port(), false), (kit.smtp_tls_port(), true)] {
        let params = TlsParameters::builder("127.0.0.1".into())
            .certificate_store(CertificateStore::None)
            .add_root_certificate(Certificate::from_pem(kit.ca_pem().as_bytes()).unwrap())
            .build_rustls()
            .unwrap();
        let mailer = SmtpTransport::builder_dangerous("127.0.0.1")
            .port(port)
            .tls(if tls { Tls::Wrapper(params) } else { Tls::Required(params) })
            .credentials(Credentials::new(ALICE.into(), token.clone()))
            .authentication(vec![Mechanism::Xoauth2])
            .build();
        let message = Message::builder()
            .from(ALICE.parse().unwrap())
            .to(BOB.parse().unwrap())
            .subject(format!("via lettre, implicit TLS {tls}"))
            .body("Hello Bob".to_string())
            .unwrap();
        let response = mailer.send(&message).unwrap();
        assert_eq!(response.code().to_string(), "250");
    }
    let inbox = kit.store().messages(BOB, INBOX);
    assert_eq!(inbox.len(), 2);
    assert!(String::from_utf8_lossy(&inbox[1].raw).contains("Subject: via lettre, implicit TLS true"));
}
