//! Pop3Client against the test kit's Exchange-like POP3 server, with real tokens from its
//! identity platform: listing and reading with exact dot-unstuffing, deletion at QUIT, a RETR
//! cut halfway, "not connected" and refused tokens.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{TestKit, fixture, options, start_kit, trust};
use oauthmail::pop3::{Pop3Client, Pop3Config};
use oauthmail::{ClientSecretCredential, ErrorKind, Security, StaticTokenCredential, TokenCredential};
use oauthmail_testkit::{INBOX, Pop3Fault, TokenRequest};

const ALICE: &str = fixture::ALICE;

fn app_credential(kit: &TestKit, client_id: &str, secret: &str) -> Arc<dyn TokenCredential> {
    Arc::new(ClientSecretCredential::new(fixture::TENANT_ID, client_id, secret, options(kit)).unwrap())
}

fn config(kit: &TestKit) -> Pop3Config {
    let mut c = Pop3Config::new("127.0.0.1", kit.pop3_tls_port(), ALICE);
    c.security = Some(Security::Tls);
    c.ca = trust(kit);
    c.timeout = Duration::from_secs(10);
    c
}

fn client(kit: &TestKit) -> Pop3Client {
    let cred = app_credential(kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET);
    Pop3Client::new(config(kit), cred).unwrap()
}

#[test]
fn lists_reads_and_deletes_at_quit() {
    let kit = start_kit();
    let tricky: &[u8] = b"Subject: dots\r\n\r\n.leading\r\n..two\r\n.\r\nend\r\n";
    kit.store().append(ALICE, INBOX, tricky, &[]);
    kit.store().seed(ALICE, 4);
    // STLS, and the two-step AUTH form Office 365 documents.
    let mut c = config(&kit);
    c.port = kit.pop3_starttls_port();
    c.security = Some(Security::StartTls);
    c.initial_response = Some(false);
    let cred = app_credential(&kit, fixture::CONFIDENTIAL_APP_ID, fixture::CONFIDENTIAL_APP_SECRET);
    let pop = Pop3Client::new(c, cred).unwrap();
    let (count, size) = pop.stat().unwrap();
    let stored = kit.store().messages(ALICE, INBOX);
    assert_eq!((count as usize, size as usize), (5, stored.iter().map(|m| m.raw.len()).sum()));
    assert!(pop.is_tls());
    let listed = pop.list_messages(None).unwrap();
    assert_eq!(listed.len(), 5);
    assert_eq!(listed[0].message_id.as_deref(), Some("seed-3@example.test"));
    assert!(listed.iter().all(|m| m.uidl.is_some()));
    assert_eq!(pop.fetch_message(1).unwrap(), tricky);
    for (i, m) in stored.iter().enumerate() {
        assert_eq!(pop.fetch_message(i as u32 + 1).unwrap(), m.raw, "message {}", i + 1);
    }
    pop.dele(1).unwrap();
    pop.dele(2).unwrap();
    assert_eq!(kit.store().count(ALICE, INBOX), 5, "nothing removed before QUIT");
    pop.close().unwrap();
    let left: Vec<u32> = kit.store().messages(ALICE, INBOX).iter().map(|m| m.uid).collect();
    assert_eq!(left, vec![3, 4, 5]);
    assert!(kit.pop3_stats().by_command["TOP"] >= 5);
}

#[test]
fn a_retr_cut_halfway_is_retried_or_reported() {
    let kit = start_kit();
    let big = format!("Subject: big\r\n\r\n{}\r\n", ".x\r\n".repeat(20_000));
    kit.store().append(ALICE, INBOX, big.as_bytes(), &[]);
    let pop = client(&kit);
    kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
    assert_eq!(pop.fetch_message(1).unwrap(), big.as_bytes(), "a read into memory is repeated");
    assert_eq!(kit.pop3_stats().connections, 2);
    kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
    let mut out = Vec::new();
    let err = pop.retr_to(1, &mut out).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(out.len() < big.len());
    // Deletions pending in a session that breaks are reported, not lost silently.
    kit.store().append(ALICE, INBOX, b"Subject: small\r\n\r\nsmall\r\n", &[]);
    let pop = client(&kit);
    pop.dele(2).unwrap();
    kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
    let err = pop.fetch_message(1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Network, "{err}");
    assert!(err.to_string().contains("discarded the deletions"), "{err}");
    assert_eq!(kit.store().count(ALICE, INBOX), 2);
}

#[test]
fn not_connected_and_refused_tokens() {
    let kit = start_kit();
    let noroles = app_credential(&kit, fixture::NOROLES_APP_ID, fixture::NOROLES_APP_SECRET);
    let pop = Pop3Client::new(config(&kit), noroles).unwrap();
    let err = pop.stat().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
    assert!(err.hint().unwrap().contains("POP.AccessAsApp"), "{:?}", err.hint());

    kit.inject_pop3(Pop3Fault::NotConnected, 1);
    assert_eq!(client(&kit).stat().unwrap_err().kind(), ErrorKind::Permission);
    assert!(client(&kit).stat().is_ok());

    // A Graph token: the client cannot tell, the server refuses it.
    let graph = kit.issue_token(&TokenRequest::app(&["Mail.Send"]).audience(fixture::GRAPH_RESOURCE));
    let pop = Pop3Client::new(config(&kit), Arc::new(StaticTokenCredential::new(graph, None).unwrap())).unwrap();
    let err = pop.stat().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Auth, "{err}");
    let log = kit.pop3_stats().auth_log;
    assert!(log.last().unwrap().reason.as_deref().unwrap().starts_with("wrong audience"), "{log:?}");
}
