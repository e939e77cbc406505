//! SmtpClient against real Postfix (submission, Dovecot SASL) delivering to
//! Dovecot over LMTP: `tests/mailstack`. Delivery is checked in the
//! recipient's Maildir. Skipped without the stack unless
//! `OAUTHMAIL_REQUIRE_MAILSTACK=1`.

mod smtp_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use mail_parser::{MessageParser, MimeHeaders};
use oauthmail::sasl::Mechanism;
use oauthmail::tls::TlsTrust;
use oauthmail::{ErrorKind, Message, Security, SmtpClient, StaticTokenCredential, TokenCredential, Transport};
use smtp_support::{CountingCredential, Relay, pseudo_random, sha256_hex, stack};

#[test]
fn unicode_subject_and_body_arrive_intact() {
    let Some(s) = stack() else { return };
    let cred = CountingCredential::new(&s, "alice");
    let client = SmtpClient::new(s.smtp_config("alice"), cred).unwrap();
    let msg = Message::new()
        .from(format!("测试发件人 <{}>", s.user("alice")))
        .to(format!("Bob <{}>", s.user("bob")))
        .subject("Test测试邮件标题")
        .text("Test测试邮件正文")
        .html("<p>Test测试邮件正文</p>");
    let report = client.send(&msg).unwrap();
    assert_eq!(report.via, Transport::Smtp);
    assert!(report.reply.starts_with("250 "), "{}", report.reply);
    assert!(report.queue_id.is_some(), "Postfix names its queue id: {}", report.reply);
    assert_eq!(report.accepted, [s.user("bob")]);

    let id = report.message_id.unwrap();
    let found = s.wait_for("bob", &id, 1);
    assert_eq!(found.len(), 1, "delivered exactly once");
    let parsed = MessageParser::default().parse(&found[0]).unwrap();
    assert_eq!(parsed.subject(), Some("Test测试邮件标题"));
    assert_eq!(parsed.body_text(0).unwrap().trim_end(), "Test测试邮件正文");
    assert!(parsed.body_html(0).unwrap().contains("Test测试邮件正文"));
    assert_eq!(parsed.from().unwrap().first().unwrap().name(), Some("测试发件人"));
    client.close();
}

#[test]
fn ten_megabyte_attachment_arrives_with_the_same_checksum() {
    let Some(s) = stack() else { return };
    let data = pseudo_random(10 * 1024 * 1024, 0x5eed);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("payload.bin");
    std::fs::write(&path, &data).unwrap();

    let client = SmtpClient::new(s.smtp_config("alice"), CountingCredential::new(&s, "alice")).unwrap();
    let msg = Message::new()
        .from(s.user("alice"))
        .to(s.user("bob"))
        .subject("10 MB")
        .text("see attachment")
        .attach_file(&path, Some("application/octet-stream"), Some("数据-payload.bin"));
    let report = client.send(&msg).unwrap();

    let found = s.wait_for("bob", &report.message_id.unwrap(), 1);
    assert_eq!(found.len(), 1);
    let parsed = MessageParser::default().parse(&found[0]).unwrap();
    let att = parsed.attachments().next().expect("one attachment");
    assert_eq!(att.attachment_name(), Some("数据-payload.bin"));
    assert_eq!(sha256_hex(att.contents()), sha256_hex(&data));
}

#[test]
fn header_injection_is_refused_before_anything_is_sent() {
    let Some(s) = stack() else { return };
    let cred = CountingCredential::new(&s, "alice");
    let client = SmtpClient::new(s.smtp_config("alice"), cred.clone()).unwrap();
    let evil = Message::new()
        .from(s.user("alice"))
        .to(s.user("bob"))
        .subject(format!("hello\r\nBcc: {}", s.user("carol")))
        .text("x");
    let before = s.delivered("carol").len();
    let e = client.send(&evil).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    assert_eq!(e.code(), Some("HeaderInjection"));
    // No token was asked for, so no connection was made.
    assert_eq!(cred.token_requests.load(Ordering::SeqCst), 0);
    // And a good message afterwards goes through, to bob only.
    let ok = client.send(&Message::new().from(s.user("alice")).to(s.user("bob")).subject("after").text("x")).unwrap();
    assert_eq!(s.wait_for("bob", ok.message_id.as_ref().unwrap(), 1).len(), 1);
    assert_eq!(s.delivered("carol").len(), before);
}

#[test]
fn hundred_messages_over_one_connection_with_one_token() {
    let Some(s) = stack() else { return };
    let cred = CountingCredential::new(&s, "carol");
    let log_start = s.postfix_log_len();
    let client = SmtpClient::new(s.smtp_config("carol"), cred.clone()).unwrap();
    let tag = format!(
        "batch-{}-{}",
        std::process::id(),
        pseudo_random(8, 7).iter().map(|b| format!("{b:02x}")).collect::<String>()
    );
    let messages: Vec<Message> = (0..100)
        .map(|i| {
            Message::new()
                .from(s.user("carol"))
                .to(s.user("dave"))
                .subject(format!("{tag} #{i}"))
                .header("X-Batch", tag.clone())
                .text(format!("message {i}"))
        })
        .collect();
    let results = client.send_many(&messages);
    for r in &results {
        let r = r.as_ref().expect("every message is accepted");
        assert!(r.queue_id.is_some());
    }
    let delivered = s.wait_for("dave", &tag, 100);
    assert_eq!(delivered.len(), 100, "each message delivered exactly once");
    assert_eq!(cred.token_requests.load(Ordering::SeqCst), 1, "one token for the whole batch");
    assert_eq!(cred.minted.load(Ordering::SeqCst), 1);
    client.close();
    // Postfix sums up each connection when it ends: one connection carried all 100.
    let summary = s.wait_for_log(log_start, &[" disconnect from ", " auth=1 ", " mail=100 rcpt=100 data=100 "]);
    assert!(summary.is_some(), "Postfix logged one connection with one login and 100 messages");
}

#[test]
fn connection_closed_mid_batch_with_an_expired_token_is_reopened_with_a_fresh_one() {
    let Some(s) = stack() else { return };
    let target: SocketAddr = format!("{}:{}", s.host(), s.port("SUBMISSION")).parse().unwrap();
    let relay = Relay::start(target);
    let cred = CountingCredential::new(&s, "dave");
    // The first token's JWT expires after 2 s although the credential believes it good for an hour.
    cred.next_token_lifetime(2);
    let mut cfg = s.smtp_config("dave");
    cfg.port = relay.port;
    let client = SmtpClient::new(cfg, cred.clone()).unwrap();
    let tag = format!("midbatch-{}-{:?}", std::process::id(), std::time::Instant::now());
    let msg = |i: usize| {
        Message::new()
            .from(s.user("dave"))
            .to(s.user("bob"))
            .subject(format!("{tag} #{i}"))
            .header("X-Batch", tag.clone())
            .text("x")
    };
    for i in 0..3 {
        client.send(&msg(i)).unwrap();
    }
    // Let the token expire, then drop the session as a server would.
    std::thread::sleep(Duration::from_secs(3));
    relay.cut();
    for i in 3..6 {
        let r = client.send(&msg(i)).unwrap();
        assert_eq!(r.via, Transport::Smtp);
    }
    assert_eq!(s.wait_for("bob", &tag, 6).len(), 6, "all six delivered, none twice");
    assert_eq!(cred.fresh_requests.load(Ordering::SeqCst), 1, "exactly one refresh");
    assert_eq!(cred.token_requests.load(Ordering::SeqCst), 2, "one cached token per connection");
    assert_eq!(relay.accepted.load(Ordering::SeqCst), 3, "first connection, refused login, new login");
}

#[test]
fn a_refused_recipient_is_reported_by_address() {
    let Some(s) = stack() else { return };
    let client = SmtpClient::new(s.smtp_config("alice"), CountingCredential::new(&s, "alice")).unwrap();
    let nobody = s.user("nobody");
    let report = client
        .send(&Message::new().from(s.user("alice")).to(s.user("bob")).cc(nobody.clone()).subject("partial").text("x"))
        .unwrap();
    assert_eq!(report.accepted, [s.user("bob")]);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].address, nobody);
    assert_eq!(report.rejected[0].code, "5.1.1");
    assert!(report.rejected[0].reply.starts_with("550 "), "{}", report.rejected[0].reply);

    // Nobody left: an error, and the connection stays usable.
    let e = client.send(&Message::new().from(s.user("alice")).to(nobody).text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    assert_eq!(e.code(), Some("5.1.1"));
    client.send(&Message::new().from(s.user("alice")).to(s.user("bob")).text("still fine")).unwrap();
}

#[test]
fn implicit_tls_with_oauthbearer_and_raw_8bit_message() {
    let Some(s) = stack() else { return };
    let mut cfg = s.smtp_config("alice");
    cfg.port = s.port("SMTPS");
    cfg.security = Some(Security::Tls);
    cfg.mechanism = Some(Mechanism::OAuthBearer);
    let client = SmtpClient::new(cfg, CountingCredential::new(&s, "alice")).unwrap();
    let id = format!("<raw-{}-{}@example.test>", std::process::id(), sha256_hex(b"raw")[..8].to_owned());
    let raw = format!(
        "From: {a}\r\nTo: {b}\r\nSubject: raw 8bit\r\nMessage-ID: {id}\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Grüße, 测试\r\n.leading dot survives\r\n",
        a = s.user("alice"),
        b = s.user("bob"),
    );
    let report = client.send_raw(&s.user("alice"), &[&s.user("bob")], raw.as_bytes()).unwrap();
    assert!(report.queue_id.is_some());
    let found = s.wait_for("bob", &id, 1);
    assert_eq!(found.len(), 1);
    let parsed = MessageParser::default().parse(&found[0]).unwrap();
    let body = parsed.body_text(0).unwrap();
    assert!(body.contains("Grüße, 测试"), "{body}");
    assert!(body.contains("\n.leading dot survives"), "dot-stuffing is undone by the server: {body}");
}

#[test]
fn other_auth_failures_are_errors_without_a_refresh() {
    let Some(s) = stack() else { return };
    // bob's token used for alice's mailbox: refused, but not because it expired.
    let cred = CountingCredential::new(&s, "bob");
    let client = SmtpClient::new(s.smtp_config("alice"), cred.clone()).unwrap();
    let e = client.send(&Message::new().from(s.user("alice")).to(s.user("bob")).text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert_eq!(e.code(), Some("5.7.8"));
    assert!(e.message_text().contains("status 401"), "the decoded challenge is reported: {e}");
    assert_eq!(cred.fresh_requests.load(Ordering::SeqCst), 0);

    // An expired static token fails before connecting, with a clear hint.
    let expired: Arc<dyn TokenCredential> =
        Arc::new(StaticTokenCredential::new(s.mint("alice", &["--expired"]), None).unwrap());
    let client = SmtpClient::new(s.smtp_config("alice"), expired).unwrap();
    let e = client.send(&Message::new().from(s.user("alice")).to(s.user("bob")).text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
}

#[test]
fn untrusted_certificate_is_a_tls_error() {
    let Some(s) = stack() else { return };
    let mut cfg = s.smtp_config("alice");
    cfg.ca = TlsTrust::system();
    let client = SmtpClient::new(cfg, CountingCredential::new(&s, "alice")).unwrap();
    let e = client.send(&Message::new().from(s.user("alice")).to(s.user("bob")).text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
}

/// The whole chain with nothing of ours faked: a password sign-in at the test
/// kit that Dovecot trusts (`OAUTHMAIL_TESTKIT`, started once by the test
/// command together with the stack), its RS256 token, and Postfix.
#[test]
fn token_from_the_shared_test_kit_sends_through_postfix() {
    let Some(s) = stack() else { return };
    let Ok(info) = std::env::var("OAUTHMAIL_TESTKIT") else {
        eprintln!("SKIPPED: OAUTHMAIL_TESTKIT is not set (the test command starts one whose key Dovecot trusts)");
        return;
    };
    let info: serde_json::Value = serde_json::from_str(&info).expect("OAUTHMAIL_TESTKIT is the kit's JSON line");
    let options = oauthmail::CredentialOptions::new(
        info["authority"].as_str(),
        Some(std::path::Path::new(info["ca_path"].as_str().unwrap())),
    )
    .unwrap()
    .with_scopes(["https://outlook.office365.com/SMTP.Send"]);
    let cred = oauthmail::UsernamePasswordCredential::new(
        info["tenant_id"].as_str().unwrap(),
        oauthmail_testkit::fixture::PUBLIC_APP_ID,
        oauthmail_testkit::fixture::ALICE,
        oauthmail_testkit::fixture::ALICE_PASSWORD,
        options,
    )
    .unwrap();
    let client = SmtpClient::new(s.smtp_config("alice"), Arc::new(cred)).unwrap();
    let report = client
        .send(&Message::new().from(s.user("alice")).to(s.user("bob")).subject("via the test kit's token").text("x"))
        .unwrap();
    assert_eq!(s.wait_for("bob", &report.message_id.unwrap(), 1).len(), 1);
}
