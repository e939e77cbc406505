//! ImapClient against the test kit's Exchange-like IMAP server, with real tokens from its
//! identity platform: mail sent over SMTP is read back, listings take one round trip per batch,
//! and Exchange's failures (token expired BYE, a cut FETCH, "not connected", refused tokens)
//! come out as the right errors or transparent reconnects.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestKit, fixture, options, start_kit, trust};
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions, SearchQuery};
use oauthmail::{
    ClientSecretCredential, ErrorKind, Message, Security, SmtpClient, SmtpConfig, StaticTokenCredential,
    TokenCredential,
};
use oauthmail_testkit::{INBOX, ImapFault, TokenRequest};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;

fn app_credential(kit: &TestKit, client_id: &str, secret: &str) -> Arc<dyn TokenCredential> {
    Arc::new(ClientSecretCredential::new(fixture::TENANT_ID, client_id, secret, options(kit)).unwrap())
}

fn credential(kit: &TestKit) -> Arc<dyn TokenCredential> {
    app_credential(kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET)
}

fn config(kit: &TestKit, user: &str) -> ImapConfig {
    let mut c = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), user);
    c.security = Some(Security::Tls);
    c.ca = trust(kit);
    c.timeout = Duration::from_secs(10);
    c
}

fn client(kit: &TestKit, user: &str) -> ImapClient {
    ImapClient::new(config(kit, user), credential(kit)).unwrap()
}

#[test]
fn a_message_sent_over_smtp_is_read_over_imap() {
    let kit = start_kit();
    let mut smtp_config = SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), ALICE);
    smtp_config.ca = trust(&kit);
    let smtp = SmtpClient::new(smtp_config, credential(&kit)).unwrap();
    smtp.send(&Message::new().from(ALICE).to(BOB).subject("会议纪要 Q4").text("Grüße aus dem Test").attach_bytes(
        "报告.pdf",
        "application/pdf",
        b"%PDF-1.4 test".to_vec(),
    ))
    .unwrap();

    // Over STARTTLS this time.
    let mut c = config(&kit, BOB);
    c.port = kit.imap_starttls_port();
    c.security = Some(Security::StartTls);
    let imap = ImapClient::new(c, credential(&kit)).unwrap();
    let listed = imap.list_messages(INBOX, &ListOptions::default()).unwrap();
    assert!(imap.is_tls());
    assert_eq!(listed.len(), 1);
    let m = &listed[0];
    assert_eq!(m.subject, "会议纪要 Q4");
    assert_eq!(m.from.as_ref().unwrap().address, ALICE);
    assert!(m.has_attachments);
    assert!(!m.flags.iter().any(|f| f == "\\Seen"));
    let parsed = imap.fetch_parsed(m.uid).unwrap();
    assert_eq!(parsed.text.as_deref().map(str::trim), Some("Grüße aus dem Test"));
    assert_eq!(parsed.attachments[0].filename.as_deref(), Some("报告.pdf"));
    assert_eq!(parsed.attachments[0].data, b"%PDF-1.4 test");
    let raw = imap.fetch_message(m.uid).unwrap();
    assert_eq!(raw, kit.store().message(BOB, INBOX, m.uid).unwrap().raw);
    assert_eq!(imap.search(INBOX, &SearchQuery::new().subject("会议纪要")).unwrap(), vec![m.uid]);
}

#[test]
fn folders_flags_copy_move_append_and_idle() {
    let kit = start_kit();
    kit.store().seed(ALICE, 6);
    let imap = client(&kit, ALICE);
    let folders = imap.list_folders().unwrap();
    let sent = folders.iter().find(|f| f.name == "Sent Items").unwrap();
    assert_eq!(sent.special_use.as_deref(), Some("sent"));
    assert_eq!(folders.iter().find(|f| f.name == "Deleted Items").unwrap().special_use.as_deref(), Some("trash"));
    imap.create_folder("归档").unwrap();
    assert_eq!(imap.status(INBOX).unwrap().messages, 6);

    imap.select(INBOX).unwrap();
    imap.set_flags(&[2, 3], &["\\Flagged"]).unwrap();
    assert_eq!(imap.search(INBOX, &SearchQuery::new().flagged(true)).unwrap(), vec![2, 3]);
    imap.copy(&[1], "归档").unwrap();
    imap.move_messages(&[2], "归档").unwrap();
    assert_eq!(kit.store().count(ALICE, "归档"), 2);
    assert_eq!(kit.store().count(ALICE, INBOX), 5);
    imap.delete(&[3], true).unwrap();
    assert!(kit.store().message(ALICE, INBOX, 3).is_none());
    let uid = imap.append("Sent Items", b"Subject: copy\r\n\r\nsent\r\n", &["\\Seen"], None).unwrap();
    assert_eq!(uid, Some(1));

    let kit_store = kit.store().clone();
    let deliver = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        kit_store.append(ALICE, INBOX, b"Subject: new\r\n\r\nnew mail\r\n", &[]);
    });
    imap.select(INBOX).unwrap();
    let events = imap.idle(Duration::from_secs(10)).unwrap();
    deliver.join().unwrap();
    assert_eq!(events.exists, Some(5));
    imap.delete_folder("归档").unwrap();
    assert!(!kit.store().folders(ALICE).contains(&"归档".to_string()));
}

#[test]
fn listing_takes_one_fetch_per_batch() {
    let kit = start_kit();
    kit.store().seed(ALICE, 1_200);
    let imap = client(&kit, ALICE);
    imap.connect().unwrap();
    kit.reset_imap_stats();
    let options = ListOptions { batch_size: 500, ..ListOptions::default() };
    let listed = imap.list_messages(INBOX, &options).unwrap();
    assert_eq!(listed.len(), 1_200);
    assert_eq!(listed[0].uid, 1_200, "newest first");
    assert_eq!(listed[0].message_id.as_deref(), Some("seed-1199@example.test"));
    assert!(listed.iter().filter(|m| m.has_attachments).count() == 300);
    let stats = kit.imap_stats();
    assert_eq!(stats.fetch_commands, 3, "{:?}", stats.by_command);
    assert_eq!(stats.by_command.get("UID SEARCH"), Some(&1));
    assert_eq!(stats.connections, 0, "no reconnect");

    // Without a batch size a whole listing is one FETCH; an iterator still takes batches of 500.
    kit.reset_imap_stats();
    assert_eq!(imap.list_messages(INBOX, &ListOptions::default()).unwrap(), listed);
    assert_eq!(kit.imap_stats().fetch_commands, 1);
    kit.reset_imap_stats();
    assert_eq!(imap.iter_messages(INBOX, &ListOptions::default()).unwrap().count(), 1_200);
    assert_eq!(kit.imap_stats().fetch_commands, 3);
}

#[test]
fn reconnects_with_a_fresh_token_after_access_token_expired() {
    let kit = start_kit();
    kit.store().seed(ALICE, 5);
    kit.inject_imap(ImapFault::ByeAccessTokenExpired { after_commands: 2 }, 1);
    let imap = client(&kit, ALICE);
    imap.select(INBOX).unwrap();
    let token_requests = kit.token_requests();
    // The next calls meet the BYE and go on in a new session.
    assert_eq!(imap.search(INBOX, &SearchQuery::new()).unwrap().len(), 5);
    assert_eq!(imap.fetch_message(1).unwrap(), kit.store().message(ALICE, INBOX, 1).unwrap().raw);
    assert_eq!(imap.search(INBOX, &SearchQuery::new().seen(true)).unwrap(), vec![1, 4]);
    assert_eq!(kit.imap_stats().connections, 2);
    assert_eq!(imap.stats().connections, 2);
    assert!(kit.token_requests() > token_requests, "the new session asked for a fresh token");
}

#[test]
fn a_session_whose_token_expires_is_reopened() {
    let kit = start_kit();
    kit.store().seed(ALICE, 2);
    kit.set_token_lifetime(2);
    let imap = client(&kit, ALICE);
    assert_eq!(imap.search(INBOX, &SearchQuery::new()).unwrap(), vec![1, 2]);
    std::thread::sleep(Duration::from_millis(2_200));
    assert_eq!(imap.search(INBOX, &SearchQuery::new()).unwrap(), vec![1, 2]);
    assert_eq!(kit.imap_stats().connections, 2);
    assert!(kit.imap_stats().auth_log.iter().all(|a| a.success));
}

#[test]
fn a_fetch_cut_mid_literal_is_retried_or_reported() {
    let kit = start_kit();
    let big = format!("Subject: big\r\n\r\n{}\r\n", "z".repeat(200_000));
    kit.store().append(ALICE, INBOX, big.as_bytes(), &[]);
    let imap = client(&kit, ALICE);
    imap.select(INBOX).unwrap();
    // Into memory: a read, repeated on a new connection.
    kit.inject_imap(ImapFault::DropMidFetch, 1);
    assert_eq!(imap.fetch_message(1).unwrap(), big.as_bytes());
    assert_eq!(kit.imap_stats().connections, 2);
    // Streaming: part of it may already be written, so the break is reported.
    kit.inject_imap(ImapFault::DropMidFetch, 1);
    let mut out = Vec::new();
    let err = imap.fetch_message_to(1, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(!out.is_empty() && out.len() < big.len());
    // And the client goes on.
    let mut out = Vec::new();
    imap.fetch_message_to(1, &mut out).unwrap();
    assert_eq!(out, big.as_bytes());
}

#[test]
fn not_connected_is_a_permission_error_with_a_hint() {
    let kit = start_kit();
    // An app registration without IMAP.AccessAsApp.
    let noroles = app_credential(&kit, fixture::NOROLES_APP_ID, fixture::NOROLES_APP_SECRET);
    let imap = ImapClient::new(config(&kit, ALICE), noroles).unwrap();
    let err = imap.list_messages(INBOX, &ListOptions::default()).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
    assert_eq!(err.code(), Some("UserNotConnected"));
    let hint = err.hint().unwrap();
    assert!(hint.contains("IMAP.AccessAsApp") && hint.contains("Add-MailboxPermission"), "{hint}");

    // A service principal without access to this mailbox.
    kit.store().set_app_mailboxes(fixture::CONFIDENTIAL_APP_ID, Some(&[BOB]));
    let err = client(&kit, ALICE).status(INBOX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
    assert!(client(&kit, BOB).status(INBOX).is_ok());
    kit.store().set_app_mailboxes(fixture::CONFIDENTIAL_APP_ID, None);

    kit.inject_imap(ImapFault::NotConnected, 1);
    assert_eq!(client(&kit, ALICE).status(INBOX).unwrap_err().kind(), ErrorKind::Permission);
    assert!(client(&kit, ALICE).status(INBOX).is_ok());
}

#[test]
fn refused_tokens_are_auth_errors() {
    let kit = start_kit();
    // A delegated token without IMAP.AccessAsUser.All: only the server can tell.
    let smtp_only = kit.issue_token(&TokenRequest::user(ALICE, &["SMTP.Send"]));
    let static_cred: Arc<dyn TokenCredential> = Arc::new(StaticTokenCredential::new(smtp_only, None).unwrap());
    let imap = ImapClient::new(config(&kit, ALICE), static_cred).unwrap();
    let err = imap.connect().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert!(err.hint().is_some());
    let log = kit.imap_stats().auth_log;
    assert!(!log.is_empty());
    assert!(
        log.iter().all(|a| !a.success && a.reason.as_deref() == Some("scp lacks IMAP.AccessAsUser.All")),
        "{log:?}"
    );

    // A delegated token for someone else's mailbox.
    let bobs = kit.issue_token(&TokenRequest::user(BOB, &["IMAP.AccessAsUser.All"]));
    let imap = ImapClient::new(config(&kit, ALICE), Arc::new(StaticTokenCredential::new(bobs, None).unwrap())).unwrap();
    assert_eq!(imap.connect().unwrap_err().kind(), ErrorKind::Auth);
}

#[test]
fn the_first_token_is_fetched_while_connecting_unless_a_person_must_sign_in() {
    // A wrong secret: the token request fails, after the IMAP connection was opened
    // beside it (the login waits for the slower of the two); the token's error is reported.
    let kit = start_kit();
    let imap =
        ImapClient::new(config(&kit, ALICE), app_credential(&kit, fixture::CONFIDENTIAL_APP_ID, "wrong")).unwrap();
    let err = imap.status(INBOX).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    assert_eq!((kit.imap_stats().connections, kit.imap_stats().auth_attempts), (1, 0));

    // A device code sign-in asks a person: the token comes first, so a declined sign-in
    // opens no connection.
    kit.reset_imap_stats();
    kit.set_device_auto_approve(None);
    let kit = Arc::new(kit);
    let k = kit.clone();
    let credential = oauthmail::DeviceCodeCredential::new(
        fixture::TENANT_ID,
        fixture::PUBLIC_APP_ID,
        move |_: &oauthmail::credential::DeviceCodeInfo| {
            k.deny_device_code();
        },
        options(&kit),
    )
    .unwrap();
    let imap = ImapClient::new(config(&kit, ALICE), Arc::new(credential)).unwrap();
    assert_eq!(imap.status(INBOX).unwrap_err().code(), Some("access_denied"));
    assert_eq!(kit.imap_stats().connections, 0);
}
