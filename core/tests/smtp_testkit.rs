//! SmtpClient against the test kit's Exchange-like SMTP server, with real
//! tokens from its identity platform: Exchange's replies and faults, token
//! reuse and refresh, reconnects, and the Graph fallback.

mod common;
mod smtp_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::{TestKit, fixture, options, start_kit, trust};
use mail_parser::{MessageParser, MimeHeaders};
use oauthmail::sasl::Mechanism;
use oauthmail::{
    AccessToken, ClientSecretCredential, ErrorKind, GraphConfig, GraphMailClient, Message, Result, Security,
    SmtpClient, SmtpConfig, TokenCredential, Transport,
};
use oauthmail_testkit::{INBOX, SmtpFault, TokenRequest};
use smtp_support::{Relay, pseudo_random, sha256_hex};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;

fn credential(kit: &TestKit) -> Arc<ClientSecretCredential> {
    Arc::new(
        ClientSecretCredential::new(
            fixture::TENANT_ID,
            fixture::CONFIDENTIAL_APP_ID,
            fixture::CONFIDENTIAL_APP_SECRET,
            options(kit),
        )
        .unwrap(),
    )
}

fn config(kit: &TestKit, user: &str) -> SmtpConfig {
    let mut c = SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), user);
    c.ca = trust(kit);
    c.timeout = Duration::from_secs(10);
    c
}

fn client(kit: &TestKit) -> SmtpClient {
    SmtpClient::new(config(kit, ALICE), credential(kit)).unwrap()
}

fn simple(subject: &str) -> Message {
    Message::new().from(ALICE).to(BOB).subject(subject).text("hello")
}

/// Stored messages of `user`'s INBOX whose subject is `subject`.
fn inbox_with_subject(kit: &TestKit, user: &str, subject: &str) -> Vec<Vec<u8>> {
    kit.store()
        .messages(user, INBOX)
        .into_iter()
        .map(|m| m.raw)
        .filter(|raw| {
            MessageParser::default().parse(raw).and_then(|p| p.subject().map(|s| s == subject)).unwrap_or(false)
        })
        .collect()
}

#[test]
fn unicode_message_with_app_token_is_stored_intact() {
    let kit = start_kit();
    let client = client(&kit);
    let report = client
        .send(
            &Message::new()
                .from(format!("爱丽丝 <{ALICE}>"))
                .to(BOB)
                .subject("Test测试邮件标题")
                .text("Test测试邮件正文")
                .attach_bytes("报告.pdf", "application/pdf", b"%PDF-1.4 test".to_vec()),
        )
        .unwrap();
    assert_eq!(report.via, Transport::Smtp);
    assert!(report.reply.starts_with("250 2.0.0 OK"), "{}", report.reply);
    assert!(report.queue_id.is_some(), "{}", report.reply);
    assert_eq!(report.accepted, [BOB]);

    let stored = inbox_with_subject(&kit, BOB, "Test测试邮件标题");
    assert_eq!(stored.len(), 1);
    let parsed = MessageParser::default().parse(&stored[0]).unwrap();
    assert_eq!(parsed.body_text(0).unwrap().trim_end(), "Test测试邮件正文");
    assert_eq!(parsed.from().unwrap().first().unwrap().name(), Some("爱丽丝"));
    assert_eq!(parsed.attachments().next().unwrap().attachment_name(), Some("报告.pdf"));
}

#[test]
fn hundred_messages_one_connection_one_token_request() {
    let kit = start_kit();
    let client = client(&kit);
    let messages: Vec<Message> = (0..100).map(|i| simple(&format!("batch #{i}"))).collect();
    for r in client.send_many(&messages) {
        r.unwrap();
    }
    let stats = kit.smtp_stats();
    assert_eq!(kit.token_requests(), 1);
    assert_eq!(stats.connections, 1);
    assert_eq!(stats.auth_attempts, 1);
    assert_eq!(stats.messages_accepted, 100);
    assert_eq!(kit.store().count(BOB, INBOX), 100);
}

#[test]
fn ten_megabyte_attachment_keeps_its_checksum() {
    let kit = start_kit();
    let data = pseudo_random(10 * 1024 * 1024, 42);
    let report =
        client(&kit).send(&simple("big").attach_bytes("big.bin", "application/octet-stream", data.clone())).unwrap();
    assert!(report.queue_id.is_some());
    let stored = inbox_with_subject(&kit, BOB, "big");
    let parsed = MessageParser::default().parse(&stored[0]).unwrap();
    assert_eq!(sha256_hex(parsed.attachments().next().unwrap().contents()), sha256_hex(&data));
}

#[test]
fn header_injection_sends_nothing() {
    let kit = start_kit();
    let client = client(&kit);
    let e = client.send(&simple("hi\r\nBcc: eve@example.org")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    let e = client.send(&simple("x").header("X-Evil", "a\nBcc: eve@example.org")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    let e = client.send(&simple("x").to("not an address")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    let e = client.send(&Message::new().from(ALICE).text("no recipients")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    let e = client.send(&simple("x").attach_file("/nonexistent/a.pdf", None, None)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    assert_eq!(kit.smtp_stats().connections, 0, "no connection was opened");
    assert_eq!(kit.token_requests(), 0, "no token was requested");
}

#[test]
fn smtp_auth_disabled_is_5_7_139_with_the_powershell_hint() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::AuthDisabled, 1);
    let e = client(&kit).send(&simple("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permission);
    assert_eq!(e.code(), Some("5.7.139"));
    let hint = e.hint().unwrap();
    assert!(hint.contains("Set-TransportConfig -SmtpClientAuthenticationDisabled $false"), "{hint}");
    assert!(hint.contains("Set-CASMailbox"), "{hint}");
    assert!(hint.contains("GraphMailClient"), "{hint}");
    assert_eq!(kit.smtp_stats().auth_attempts, 1, "not a token problem: no second attempt");
    assert_eq!(kit.token_requests(), 1);
}

#[test]
fn authentication_unsuccessful_is_5_7_3_without_a_refresh() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::AuthUnsuccessful, 1);
    let e = client(&kit).send(&simple("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.code(), Some("5.7.3"));
    assert!(e.hint().unwrap().contains("SMTP.SendAsApp"));
    assert_eq!(kit.smtp_stats().auth_attempts, 1);
    assert_eq!(kit.token_requests(), 1, "a valid token is not refreshed");
}

#[test]
fn token_without_the_smtp_role_gets_the_decoded_challenge() {
    let kit = start_kit();
    let cred = Arc::new(
        ClientSecretCredential::new(
            fixture::TENANT_ID,
            fixture::NOROLES_APP_ID,
            fixture::NOROLES_APP_SECRET,
            options(&kit),
        )
        .unwrap(),
    );
    let e = SmtpClient::new(config(&kit, ALICE), cred).unwrap().send(&simple("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert_eq!(e.code(), Some("5.7.3"));
    assert!(e.message_text().contains("https://outlook.office.com/SMTP.Send"), "{e}");
    let log = kit.smtp_stats().auth_log;
    assert_eq!(log.len(), 1);
    assert!(log[0].reason.as_deref().unwrap_or("").contains("SMTP.SendAsApp"), "{:?}", log[0]);
}

#[test]
fn send_as_denied_is_5_2_252_and_the_session_survives() {
    let kit = start_kit();
    let client = client(&kit);
    let e = client.send(&Message::new().from(BOB).to(ALICE).subject("as bob").text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permission);
    assert_eq!(e.code(), Some("5.2.252"));
    assert!(e.hint().unwrap().contains("Add-RecipientPermission"));
    client.send(&simple("after")).unwrap();
    assert_eq!(kit.smtp_stats().connections, 1);
    assert_eq!(inbox_with_subject(&kit, ALICE, "as bob").len(), 0);
}

#[test]
fn throttling_is_4_7_500_and_the_next_send_works() {
    let kit = start_kit();
    let client = client(&kit);
    kit.inject_smtp(SmtpFault::Throttle, 1);
    let e = client.send(&simple("throttled")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.code(), Some("4.7.500"));
    assert!(e.retry_after().is_some());
    client.send(&simple("later")).unwrap();
    assert_eq!(kit.smtp_stats().connections, 1);
    assert_eq!(inbox_with_subject(&kit, BOB, "throttled").len(), 0);
}

#[test]
fn a_refused_recipient_is_reported_by_address() {
    let kit = start_kit();
    let report = client(&kit).send(&simple("partial").cc("nobody@example.test")).unwrap();
    assert_eq!(report.accepted, [BOB]);
    assert_eq!(report.rejected.len(), 1);
    assert_eq!(report.rejected[0].address, "nobody@example.test");
    assert_eq!(report.rejected[0].code, "5.1.10");
    assert!(report.rejected[0].reply.contains("RecipientNotFound"));
}

#[test]
fn connection_dropped_at_login_is_reopened() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::DropAfterAuth, 1);
    let report = client(&kit).send(&simple("after drop")).unwrap();
    assert!(report.queue_id.is_some());
    assert_eq!(kit.smtp_stats().connections, 2);
    assert_eq!(inbox_with_subject(&kit, BOB, "after drop").len(), 1);
}

#[test]
fn connection_dropped_during_data_is_an_error_and_never_a_duplicate() {
    let kit = start_kit();
    let client = client(&kit);
    client.send(&simple("first")).unwrap();
    kit.inject_smtp(SmtpFault::DropMidData, 1);
    let e = client.send(&simple("dropped")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message_text().contains("not sent again"), "{e}");
    // The next message goes over a new connection; the dropped one was not resent.
    client.send(&simple("next")).unwrap();
    assert_eq!(inbox_with_subject(&kit, BOB, "dropped").len(), 0);
    assert_eq!(inbox_with_subject(&kit, BOB, "next").len(), 1);
    assert_eq!(kit.smtp_stats().messages_accepted, 2);
}

#[test]
fn a_server_slower_than_the_timeout_is_a_timeout() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::Slow(Duration::from_secs(3)), 1);
    let mut cfg = config(&kit, ALICE);
    cfg.timeout = Duration::from_millis(500);
    let e = SmtpClient::new(cfg, credential(&kit)).unwrap().send(&simple("slow")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[test]
fn implicit_tls_and_oauthbearer() {
    let kit = start_kit();
    let mut cfg = config(&kit, ALICE);
    cfg.port = kit.smtp_tls_port();
    cfg.security = Some(Security::Tls);
    cfg.mechanism = Some(Mechanism::OAuthBearer);
    SmtpClient::new(cfg, credential(&kit)).unwrap().send(&simple("bearer")).unwrap();
    assert_eq!(kit.smtp_stats().auth_log[0].mechanism, "OAUTHBEARER");
    assert_eq!(inbox_with_subject(&kit, BOB, "bearer").len(), 1);
}

#[test]
fn expired_token_mid_batch_is_replaced() {
    let kit = start_kit();
    // Tokens live 3 s; the credential refreshes them when they run out.
    kit.set_token_lifetime(3);
    let relay = Relay::start(SocketAddr::from(([127, 0, 0, 1], kit.smtp_starttls_port())));
    let mut cfg = config(&kit, ALICE);
    cfg.port = relay.port;
    let client = SmtpClient::new(cfg, credential(&kit)).unwrap();
    for i in 0..3 {
        client.send(&simple(&format!("mid #{i}"))).unwrap();
    }
    std::thread::sleep(Duration::from_secs(4));
    relay.cut(); // the server ends the session, as Exchange does
    for i in 3..6 {
        client.send(&simple(&format!("mid #{i}"))).unwrap();
    }
    for i in 0..6 {
        assert_eq!(inbox_with_subject(&kit, BOB, &format!("mid #{i}")).len(), 1, "message {i} exactly once");
    }
    assert_eq!(kit.token_requests(), 2, "one token per lifetime");
    assert!(kit.smtp_stats().auth_log.iter().all(|a| a.success), "no expired token was presented");
}

/// Hands out a token the server will find expired while claiming it is good
/// for an hour (a skewed clock), and a valid one when asked for a fresh one.
#[derive(Debug)]
struct SkewedCredential {
    expired: String,
    valid: String,
    fresh_requests: AtomicUsize,
}

impl TokenCredential for SkewedCredential {
    fn get_token(&self, _: &[&str]) -> Result<AccessToken> {
        Ok(AccessToken::new(self.expired.clone(), SystemTime::now() + Duration::from_secs(3600)))
    }
    fn get_fresh_token(&self, _: &[&str]) -> Result<AccessToken> {
        self.fresh_requests.fetch_add(1, Ordering::SeqCst);
        Ok(AccessToken::new(self.valid.clone(), SystemTime::now() + Duration::from_secs(3600)))
    }
    fn default_scopes(&self) -> Vec<String> {
        Vec::new()
    }
}

#[test]
fn a_token_the_server_finds_expired_is_refreshed_once() {
    let kit = start_kit();
    let roles = ["SMTP.SendAsApp"];
    let cred = Arc::new(SkewedCredential {
        expired: kit.issue_token(&TokenRequest::app(&roles).expires_in(-60)),
        valid: kit.issue_token(&TokenRequest::app(&roles)),
        fresh_requests: AtomicUsize::new(0),
    });
    SmtpClient::new(config(&kit, ALICE), cred.clone()).unwrap().send(&simple("refreshed")).unwrap();
    assert_eq!(cred.fresh_requests.load(Ordering::SeqCst), 1);
    let log = kit.smtp_stats().auth_log;
    assert_eq!(log.iter().map(|a| a.success).collect::<Vec<_>>(), [false, true]);
    assert_eq!(inbox_with_subject(&kit, BOB, "refreshed").len(), 1);
}

#[test]
fn graph_fallback_when_smtp_auth_is_disabled() {
    let kit = start_kit();
    kit.inject_smtp(SmtpFault::AuthDisabled, 10);
    let mut graph_cfg = GraphConfig::new(ALICE);
    graph_cfg.base_url = kit.graph_url();
    graph_cfg.ca = trust(&kit);
    let graph = GraphMailClient::new(graph_cfg, credential(&kit)).unwrap();
    let client = client(&kit).with_graph_fallback(graph);
    let first = client.send(&simple("fallback 1").bcc("carol@example.org")).unwrap();
    assert_eq!(first.via, Transport::Graph);
    assert_eq!(first.accepted, [BOB, "carol@example.org"]);
    let second = client.send(&simple("fallback 2")).unwrap();
    assert_eq!(second.via, Transport::Graph);
    assert_eq!(kit.smtp_stats().auth_attempts, 1, "SMTP is not tried again once Exchange said 5.7.139");
    assert_eq!(kit.graph_messages_sent(), 2);
    assert_eq!(inbox_with_subject(&kit, BOB, "fallback 1").len(), 1);
    assert_eq!(inbox_with_subject(&kit, "carol@example.org", "fallback 1").len(), 1);
    // Raw messages fall back to Graph's MIME upload.
    let raw = format!("From: {ALICE}\r\nTo: {BOB}\r\nSubject: raw fallback\r\n\r\nbody\r\n");
    let third = client.send_raw(ALICE, &[BOB], raw.as_bytes()).unwrap();
    assert_eq!(third.via, Transport::Graph);
    assert_eq!(third.accepted, [BOB]);
    assert_eq!(inbox_with_subject(&kit, BOB, "raw fallback").len(), 1);
    // Graph would send to the headers, so an envelope that differs is refused, not rerouted.
    let e = client.send_raw(ALICE, &["carol@example.org"], raw.as_bytes()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    assert_eq!(kit.graph_messages_sent(), 3);
}

#[test]
fn raw_message_with_bare_line_feeds_goes_out_with_crlf() {
    let kit = start_kit();
    let raw = format!("From: {ALICE}\nTo: {BOB}\nSubject: bare lf\n\n.dot line\nend\n");
    let report = client(&kit).send_raw(ALICE, &[BOB], raw.as_bytes()).unwrap();
    assert!(report.queue_id.is_some());
    assert_eq!(report.message_id, None);
    let stored = inbox_with_subject(&kit, BOB, "bare lf");
    assert_eq!(stored.len(), 1);
    let text = String::from_utf8(stored[0].clone()).unwrap();
    assert!(text.contains("Subject: bare lf\r\n\r\n.dot line\r\nend\r\n"), "{text:?}");
    assert!(!text.replace("\r\n", "").contains('\n'));
}
