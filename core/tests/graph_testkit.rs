//! GraphMailClient against the test kit's Graph `sendMail`, with real tokens
//! from its identity platform.

mod common;
mod smtp_support;

use std::sync::Arc;
use std::time::Duration;

use common::{TestKit, fixture, options, start_kit, trust};
use mail_parser::{MessageParser, MimeHeaders};
use oauthmail::http::RetryPolicy;
use oauthmail::{
    ClientSecretCredential, ErrorKind, GraphConfig, GraphMailClient, Message, TokenCredential, Transport,
    UsernamePasswordCredential,
};
use oauthmail_testkit::{GraphFault, INBOX, SENT_ITEMS};
use smtp_support::{pseudo_random, sha256_hex};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;

fn app_credential(kit: &TestKit, client_id: &str, secret: &str) -> Arc<dyn TokenCredential> {
    Arc::new(ClientSecretCredential::new(fixture::TENANT_ID, client_id, secret, options(kit)).unwrap())
}

fn graph(kit: &TestKit, credential: Arc<dyn TokenCredential>) -> GraphMailClient {
    let mut cfg = GraphConfig::new(ALICE);
    cfg.base_url = kit.graph_url();
    cfg.ca = trust(kit);
    cfg.http.retry = RetryPolicy {
        max_attempts: 2,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::non_idempotent()
    };
    GraphMailClient::new(cfg, credential).unwrap()
}

fn app_client(kit: &TestKit) -> GraphMailClient {
    graph(kit, app_credential(kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET))
}

fn simple(subject: &str) -> Message {
    Message::new().from(ALICE).to(BOB).subject(subject).text("hello")
}

#[test]
fn json_message_arrives_with_unicode_attachments_and_bcc() {
    let kit = start_kit();
    let data = pseudo_random(1024 * 1024, 9);
    let report = app_client(&kit)
        .send(
            &Message::new()
                .from(ALICE)
                .to(format!("鲍勃 <{BOB}>"))
                .bcc("carol@example.org")
                .subject("Test测试邮件标题")
                .html("<p>Test测试邮件正文</p><img src=\"cid:logo\">")
                .inline_image("logo", "logo.png", "image/png", vec![0x89, b'P', b'N', b'G'])
                .attach_bytes("数据.bin", "application/octet-stream", data.clone())
                .header("X-Campaign", "graph"),
        )
        .unwrap();
    assert_eq!(report.via, Transport::Graph);
    assert_eq!(report.reply, "202 Accepted");
    assert_eq!(report.accepted, [BOB, "carol@example.org"]);

    let inbox = kit.store().messages(BOB, INBOX);
    assert_eq!(inbox.len(), 1);
    let parsed = MessageParser::default().parse(&inbox[0].raw).unwrap();
    assert_eq!(parsed.subject(), Some("Test测试邮件标题"));
    assert!(parsed.body_html(0).unwrap().contains("Test测试邮件正文"));
    let attachment =
        parsed.attachments().find(|a| a.attachment_name() == Some("数据.bin")).expect("the file attachment");
    assert_eq!(sha256_hex(attachment.contents()), sha256_hex(&data));
    assert_eq!(parsed.header_raw("X-Campaign").map(str::trim), Some("graph"));
    assert_eq!(kit.store().count("carol@example.org", INBOX), 1, "Bcc recipient got it");
    assert_eq!(kit.store().count(ALICE, SENT_ITEMS), 1, "saved to Sent Items");
}

#[test]
fn raw_mime_is_sent_as_is() {
    let kit = start_kit();
    let raw = format!(
        "From: {ALICE}\r\nTo: {BOB}\r\nSubject: =?utf-8?b?5rWL6K+V?=\r\nMessage-ID: <mime-1@example.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nraw body\r\n"
    );
    let report = app_client(&kit).send_mime(raw.as_bytes()).unwrap();
    assert_eq!(report.via, Transport::Graph);
    let inbox = kit.store().messages(BOB, INBOX);
    assert_eq!(inbox.len(), 1);
    let parsed = MessageParser::default().parse(&inbox[0].raw).unwrap();
    assert_eq!(parsed.subject(), Some("测试"));
    assert_eq!(parsed.body_text(0).unwrap().trim_end(), "raw body");
}

#[test]
fn delegated_token_sends_from_its_own_mailbox() {
    let kit = start_kit();
    let cred = UsernamePasswordCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        ALICE,
        fixture::ALICE_PASSWORD,
        options(&kit),
    )
    .unwrap();
    let mut client_cfg = GraphConfig::new(ALICE);
    client_cfg.base_url = kit.graph_url();
    client_cfg.ca = trust(&kit);
    client_cfg.scope = "https://graph.microsoft.com/Mail.Send".into();
    GraphMailClient::new(client_cfg, Arc::new(cred)).unwrap().send(&simple("delegated")).unwrap();
    assert_eq!(kit.store().count(BOB, INBOX), 1);
}

#[test]
fn app_without_mail_send_is_access_denied_with_the_permission_hint() {
    let kit = start_kit();
    let client = graph(&kit, app_credential(&kit, fixture::NOROLES_APP_ID, fixture::NOROLES_APP_SECRET));
    let e = client.send(&simple("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    assert_eq!(e.code(), Some("ErrorAccessDenied"));
    let hint = e.hint().unwrap();
    assert!(hint.contains("Mail.Send") && hint.contains("application access policy"), "{hint}");
}

#[test]
fn graph_errors_are_mapped() {
    let kit = start_kit();
    let client = app_client(&kit);
    kit.inject_graph(GraphFault::AccessDenied, 1);
    let e = client.send(&simple("x")).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Permission, Some("ErrorAccessDenied")));

    kit.inject_graph(GraphFault::MailboxNotEnabled, 1);
    let e = client.send(&simple("x")).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Permission, Some("MailboxNotEnabledForRESTAPI")));
    assert!(e.hint().unwrap().contains("Exchange Online"));

    let e = client.send(&Message::new().from(BOB).to(ALICE).text("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permission, "sending as another mailbox: {e}");

    let mut cfg = GraphConfig::new("nobody@example.test");
    cfg.base_url = kit.graph_url();
    cfg.ca = trust(&kit);
    let nobody =
        GraphMailClient::new(cfg, app_credential(&kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET))
            .unwrap();
    let e = nobody.send(&Message::new().from("nobody@example.test").to(BOB).text("x")).unwrap_err();
    assert_eq!((e.kind(), e.code()), (ErrorKind::Config, Some("ErrorInvalidUser")));
    assert_eq!(kit.store().count(BOB, INBOX), 0);
}

#[test]
fn throttling_honours_retry_after_then_reports_it() {
    let kit = start_kit();
    let client = app_client(&kit);
    kit.inject_graph(GraphFault::Throttle { retry_after_secs: 1 }, 1);
    client.send(&simple("after one 429")).unwrap();
    assert_eq!(kit.store().count(BOB, INBOX), 1);

    kit.inject_graph(GraphFault::Throttle { retry_after_secs: 1 }, 5);
    let e = client.send(&simple("throttled")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled);
    assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
    assert_eq!(kit.store().count(BOB, INBOX), 1);
}

#[test]
fn a_send_that_graph_may_have_processed_is_never_repeated() {
    let kit = start_kit();
    let client = app_client(&kit);
    // 503 says the request was not processed: retried, delivered once.
    kit.inject_graph(GraphFault::ServerError(503), 1);
    client.send(&simple("after 503")).unwrap();
    assert_eq!(kit.store().count(BOB, INBOX), 1);

    // A 500 or a dropped connection may follow a delivery: reported, not repeated.
    kit.inject_graph(GraphFault::ServerError(500), 1);
    let e = client.send(&simple("after 500")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network);
    kit.inject_graph(GraphFault::DropConnection, 1);
    let e = client.send(&simple("dropped")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    // The faults were spent on single attempts: the next send goes through at once.
    client.send(&simple("after the faults")).unwrap();
    assert_eq!(kit.store().count(BOB, INBOX), 2);
}

#[test]
fn a_refused_token_is_refreshed_once() {
    let kit = start_kit();
    let client = app_client(&kit);
    kit.inject_graph(GraphFault::InvalidToken, 1);
    client.send(&simple("after 401")).unwrap();
    assert_eq!(kit.token_requests(), 2, "the cached token, then one fresh token");

    kit.inject_graph(GraphFault::InvalidToken, 2);
    let e = client.send(&simple("x")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth);
    assert!(e.hint().unwrap().contains("https://graph.microsoft.com/.default"));
}

#[test]
fn too_large_and_invalid_messages_are_message_errors() {
    let kit = start_kit();
    let client = app_client(&kit);
    let e = client
        .send(&simple("big").attach_bytes("big.bin", "application/octet-stream", vec![7; 5 * 1024 * 1024]))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message, "{e}");
    let e = client.send(&simple("hi\r\nBcc: eve@example.org")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Message);
    assert_eq!(kit.store().count(BOB, INBOX), 0);
}

#[test]
fn closed_client_is_closed() {
    let kit = start_kit();
    let client = app_client(&kit);
    client.close();
    assert_eq!(client.send(&simple("x")).unwrap_err().kind(), ErrorKind::Closed);
}
