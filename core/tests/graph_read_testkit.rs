//! GraphMailClient reading mail from the test kit's Graph endpoints, with real
//! tokens from its identity platform, checked against the store and over IMAP.

mod common;

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use common::{TestKit, fixture, options, start_kit, trust};
use mail_parser::MessageParser;
use oauthmail::http::RetryPolicy;
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions};
use oauthmail::{
    ClientSecretCredential, ErrorKind, GraphConfig, GraphListOptions, GraphMailClient, Message, Security, SmtpClient,
    SmtpConfig, TokenCredential, UsernamePasswordCredential,
};
use oauthmail_testkit::{GraphFault, INBOX};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;

fn app_credential(kit: &TestKit, client_id: &str, secret: &str) -> Arc<dyn TokenCredential> {
    Arc::new(ClientSecretCredential::new(fixture::TENANT_ID, client_id, secret, options(kit)).unwrap())
}

fn credential(kit: &TestKit) -> Arc<dyn TokenCredential> {
    app_credential(kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET)
}

fn graph_as(kit: &TestKit, mailbox: &str, credential: Arc<dyn TokenCredential>) -> GraphMailClient {
    let mut cfg = GraphConfig::new(mailbox);
    cfg.base_url = kit.graph_url();
    cfg.ca = trust(kit);
    cfg.http.retry = RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::non_idempotent()
    };
    GraphMailClient::new(cfg, credential).unwrap()
}

fn graph(kit: &TestKit, mailbox: &str) -> GraphMailClient {
    graph_as(kit, mailbox, credential(kit))
}

/// Graph requests served for paths ending in `suffix`.
fn graph_requests(kit: &TestKit, method: &str, suffix: &str) -> usize {
    kit.requests().iter().filter(|r| r.method == method && r.path.ends_with(suffix)).count()
}

fn page_size(n: usize) -> GraphListOptions {
    GraphListOptions { page_size: n, ..GraphListOptions::default() }
}

#[test]
fn listing_follows_next_links_page_by_page() {
    let kit = start_kit();
    kit.store().seed(ALICE, 25);
    let client = graph(&kit, ALICE);
    kit.clear_requests();
    let all = client.list_messages("inbox", &page_size(10)).unwrap();
    assert_eq!(graph_requests(&kit, "GET", "/mailFolders/inbox/messages"), 3, "25 messages, 10 a page");
    assert_eq!(all.len(), 25);
    assert_eq!(all[0].subject, "Seed message 24", "newest first");
    assert_eq!(all[24].subject, "Seed message 0");
    assert_eq!(all[23].subject, "会议纪要 1", "subjects are decoded");
    let mut ids: Vec<&str> = all.iter().map(|m| m.id.as_deref().unwrap()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 25, "every message has its own id");
    let stored = kit.store().messages(ALICE, INBOX);
    let oldest = &all[24];
    assert_eq!(oldest.size, stored[0].raw.len() as u64, "size from PidTagMessageSize");
    assert_eq!((oldest.uid, oldest.message_id.as_deref()), (0, Some("seed-0@example.test")));
    assert_eq!(oldest.from.as_ref().unwrap().to_string(), "Sender 0 <sender0@example.org>");
    assert_eq!(oldest.to[0].address, ALICE);
    assert!(oldest.flags.contains(&"\\Seen".to_string()), "seed 0 is read");
    assert!(all.iter().find(|m| m.subject == "Report 3 attached").unwrap().has_attachments);
    let json = serde_json::to_value(oldest).unwrap();
    assert!(json["id"].is_string() && json["uidl"].is_null());

    let mut pages = client.pages("Inbox", &GraphListOptions { limit: Some(12), ..page_size(10) }).unwrap();
    let mut sizes = Vec::new();
    while let Some(page) = client.next_page(&mut pages).unwrap() {
        sizes.push(page.len());
    }
    assert_eq!(sizes, [10, 2], "the limit stops paging");
}

#[test]
fn unread_and_since_filters() {
    let kit = start_kit();
    kit.store().seed(ALICE, 9); // 0, 3 and 6 are \Seen
    let client = graph(&kit, ALICE);
    let unread = client.list_messages("inbox", &GraphListOptions { unread_only: true, ..page_size(4) }).unwrap();
    assert_eq!(unread.len(), 6);
    assert!(unread.iter().all(|m| m.flags.is_empty()));
    let future = SystemTime::now() + Duration::from_secs(3600);
    let none = GraphListOptions { since: Some(future), ..GraphListOptions::default() };
    assert!(client.list_messages("inbox", &none).unwrap().is_empty());
    let past = SystemTime::now() - Duration::from_secs(6 * 60 + 30); // seeds are a minute apart, the newest 1 min ago
    let recent = client.list_messages("inbox", &GraphListOptions { since: Some(past), ..Default::default() }).unwrap();
    assert!((5..=7).contains(&recent.len()), "{}", recent.len());
    let limited = GraphListOptions { limit: Some(0), ..GraphListOptions::default() };
    assert!(client.list_messages("inbox", &limited).unwrap().is_empty());
}

#[test]
fn a_unicode_message_sent_over_smtp_is_fetched_as_mime_and_marked_read_for_imap() {
    let kit = start_kit();
    let mut smtp_config = SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), ALICE);
    smtp_config.ca = trust(&kit);
    let smtp = SmtpClient::new(smtp_config, credential(&kit)).unwrap();
    smtp.send(&Message::new().from(ALICE).to(BOB).subject("Test测试邮件标题").text("Test测试邮件正文")).unwrap();

    let client = graph(&kit, BOB);
    let listed = client.list_messages("inbox", &GraphListOptions::default()).unwrap();
    assert_eq!(listed.len(), 1);
    let summary = &listed[0];
    assert_eq!(summary.subject, "Test测试邮件标题");
    assert_eq!(summary.from.as_ref().unwrap().address, ALICE);
    assert!(summary.flags.is_empty());
    let id = summary.id.as_deref().unwrap();

    let stored = kit.store().messages(BOB, INBOX).remove(0);
    let raw = client.fetch_message(id).unwrap();
    assert_eq!(raw, stored.raw);
    let mut streamed = Vec::new();
    client.fetch_message_to(id, &mut streamed).unwrap();
    assert_eq!(streamed, stored.raw);
    let parsed = MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Test测试邮件标题"));
    assert_eq!(parsed.body_text(0).unwrap().trim_end(), "Test测试邮件正文");

    let mut imap_config = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), BOB);
    imap_config.security = Some(Security::Tls);
    imap_config.ca = trust(&kit);
    let imap = ImapClient::new(imap_config, credential(&kit)).unwrap();
    let seen = |imap: &ImapClient| {
        let m = imap.list_messages(INBOX, &ListOptions::default()).unwrap().remove(0);
        m.flags.iter().any(|f| f == "\\Seen")
    };
    assert!(!seen(&imap));
    client.mark_read(id, true).unwrap();
    assert!(seen(&imap), "Graph's isRead is IMAP's \\Seen");
    assert_eq!(client.list_messages("inbox", &GraphListOptions::default()).unwrap()[0].flags, ["\\Seen"]);
    client.mark_read(id, false).unwrap();
    assert!(!seen(&imap));
}

#[test]
fn move_by_well_known_and_display_name_then_delete() {
    let kit = start_kit();
    kit.store().seed(ALICE, 2);
    kit.store().create_folder(ALICE, "Projects/2026");
    let client = graph(&kit, ALICE);
    let listed = client.list_messages("inbox", &GraphListOptions::default()).unwrap();
    let id = listed[0].id.clone().unwrap();

    let archived = client.move_message(&id, "archive").unwrap();
    assert_ne!(archived, id, "a moved message gets a new id");
    assert_eq!(kit.store().count(ALICE, INBOX), 1);
    assert_eq!(kit.store().count(ALICE, "Archive"), 1);
    let gone = client.fetch_message(&id).unwrap_err();
    assert_eq!((gone.kind(), gone.code()), (ErrorKind::Config, Some("ErrorItemNotFound")));

    let filed = client.move_message(&archived, "Projects/2026").unwrap();
    let in_project = client.list_messages("Projects/2026", &GraphListOptions::default()).unwrap();
    assert_eq!(in_project.len(), 1);
    assert_eq!(in_project[0].id.as_deref(), Some(filed.as_str()));
    assert_eq!(in_project[0].subject, listed[0].subject);

    kit.clear_requests();
    client.delete_message(&filed).unwrap();
    assert_eq!(kit.store().count(ALICE, "Projects/2026"), 0);
    let again = client.delete_message(&filed).unwrap_err();
    assert_eq!((again.kind(), again.code()), (ErrorKind::Config, Some("ErrorItemNotFound")));

    let missing = client.list_messages("No Such Folder", &GraphListOptions::default()).unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::Config);
    assert!(missing.message_text().contains("No Such Folder"), "{missing}");
    assert_eq!(client.fetch_message("").unwrap_err().kind(), ErrorKind::Config);
    let malformed = client.fetch_message("not-a-graph-id").unwrap_err();
    assert_eq!((malformed.kind(), malformed.code()), (ErrorKind::Config, Some("ErrorInvalidIdMalformed")));
}

#[test]
fn an_app_without_mail_roles_is_denied_with_a_hint() {
    let kit = start_kit();
    kit.store().seed(ALICE, 1);
    let denied = graph_as(&kit, ALICE, app_credential(&kit, fixture::NOROLES_APP_ID, fixture::NOROLES_APP_SECRET));
    let err = denied.list_messages("inbox", &GraphListOptions::default()).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Permission, Some("ErrorAccessDenied")));
    assert!(err.hint().unwrap().contains("Mail.Read"), "{:?}", err.hint());
    assert!(!err.to_string().contains("eyJ"), "no token in the error");

    // An application access policy that leaves Alice's mailbox out.
    kit.store().set_app_mailboxes(fixture::CONFIDENTIAL_APP_ID, Some(&[BOB]));
    let err = graph(&kit, ALICE).list_messages("inbox", &GraphListOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission);
    assert!(err.hint().unwrap().contains("application access policy"));
}

#[test]
fn reads_are_retried_and_changes_are_not() {
    let kit = start_kit();
    kit.store().seed(ALICE, 3);
    let client = graph(&kit, ALICE);
    let id = client.list_messages("inbox", &GraphListOptions::default()).unwrap()[0].id.clone().unwrap();

    kit.inject_graph(GraphFault::ServerError(500), 1);
    assert_eq!(client.fetch_message(&id).unwrap(), kit.store().messages(ALICE, INBOX)[2].raw, "a read survives a 500");

    kit.inject_graph(GraphFault::ServerError(503), 1);
    kit.inject_graph(GraphFault::DropConnection, 1);
    let mut streamed = Vec::new();
    client.fetch_message_to(&id, &mut streamed).unwrap();
    assert_eq!(streamed, kit.store().messages(ALICE, INBOX)[2].raw, "a streamed read is retried before its first byte");

    kit.clear_requests();
    kit.inject_graph(GraphFault::ServerError(500), 1);
    let err = client.delete_message(&id).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network);
    assert_eq!(graph_requests(&kit, "DELETE", &id), 1, "a delete that may have happened is not repeated");
    assert_eq!(kit.store().count(ALICE, INBOX), 3);

    kit.inject_graph(GraphFault::Throttle { retry_after_secs: 0 }, 1);
    client.delete_message(&id).unwrap();
    assert_eq!(kit.store().count(ALICE, INBOX), 2, "a 429 was not processed, so it is retried");

    kit.inject_graph(GraphFault::Throttle { retry_after_secs: 1 }, 3);
    let err = client.list_messages("inbox", &GraphListOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Throttled);
    assert!(err.retry_after().is_some());

    client.close();
    assert_eq!(client.list_messages("inbox", &GraphListOptions::default()).unwrap_err().kind(), ErrorKind::Closed);
    let mut sink = Vec::new();
    assert_eq!(client.fetch_message_to(&id, &mut sink).unwrap_err().kind(), ErrorKind::Closed);
}

#[test]
fn a_signed_in_user_reads_only_their_own_mailbox() {
    let kit = start_kit();
    kit.store().seed(ALICE, 2);
    kit.store().seed(BOB, 1);
    let user: Arc<dyn TokenCredential> = Arc::new(
        UsernamePasswordCredential::new(
            fixture::TENANT_ID,
            fixture::PUBLIC_APP_ID,
            ALICE,
            fixture::ALICE_PASSWORD,
            options(&kit),
        )
        .unwrap(),
    );
    let own = graph_as(&kit, ALICE, user.clone());
    assert_eq!(own.list_messages("inbox", &GraphListOptions::default()).unwrap().len(), 2);
    let err = graph_as(&kit, BOB, user).list_messages("inbox", &GraphListOptions::default()).unwrap_err();
    assert_eq!((err.kind(), err.code()), (ErrorKind::Permission, Some("ErrorAccessDenied")));
}
