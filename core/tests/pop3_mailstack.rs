//! Pop3Client against the real Dovecot of tests/mailstack, and a message
//! sent through Postfix read back over IMAP and POP3.

mod imap_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use imap_support::{MintingCredential, Stack, stack, unique};
use oauthmail::imap::{ImapClient, ImapConfig, SearchQuery};
use oauthmail::pop3::{Pop3Client, Pop3Config};
use oauthmail::sasl::Mechanism;
use oauthmail::smtp::{SmtpClient, SmtpConfig};
use oauthmail::{ErrorKind, Message, Security, StaticTokenCredential};

fn pop3_config(stack: &Stack, user: &str, tls: bool) -> Pop3Config {
    let port = if tls { stack.port("POP3S") } else { stack.port("POP3") };
    let mut c = Pop3Config::new(stack.host(), port, user);
    c.security = Some(if tls { Security::Tls } else { Security::StartTls });
    c.ca = stack.ca();
    c.timeout = Duration::from_secs(30);
    c
}

fn imap(stack: &Stack, user: &str) -> ImapClient {
    let mut c = ImapConfig::new(stack.host(), stack.port("IMAPS"), user);
    c.security = Some(Security::Tls);
    c.ca = stack.ca();
    ImapClient::new(c, stack.credential(user)).unwrap()
}

/// Everything on dave's INBOX runs in this one test: POP3 message numbers
/// would shift under a parallel test's deletions.
#[test]
fn sent_through_postfix_read_back_over_imap_and_pop3() {
    let Some(stack) = stack() else { return };
    let (alice, dave) = (stack.user("alice"), stack.user("dave"));
    let tag = unique("roundtrip");
    let subject = format!("Test测试邮件标题 {tag}");

    // 1. Send alice -> dave through Postfix submission (STARTTLS, XOAUTH2).
    let mut sc = SmtpConfig::new(stack.host(), stack.port("SUBMISSION"), &alice);
    sc.ca = stack.ca();
    let smtp = SmtpClient::new(sc, stack.credential(&alice)).unwrap();
    let msg = Message::new().from(alice.clone()).to(dave.clone()).subject(subject.clone()).text("Test测试邮件正文");
    smtp.send(&msg).unwrap();
    smtp.close();

    // 2. IMAP: wait for delivery, then the summary and the parsed body.
    let im = imap(&stack, &dave);
    let deadline = Instant::now() + Duration::from_secs(30);
    let uid = loop {
        if let Some(&uid) = im.search("INBOX", &SearchQuery::new().text(tag.clone())).unwrap().first() {
            break uid;
        }
        assert!(Instant::now() < deadline, "message not delivered to {dave}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let summary = im.list_messages("INBOX", &Default::default()).unwrap().into_iter().find(|m| m.uid == uid).unwrap();
    assert_eq!(summary.subject, subject);
    assert_eq!(summary.from.as_ref().unwrap().address, alice);
    let parsed = im.fetch_parsed(uid).unwrap();
    assert_eq!(parsed.text.as_deref().map(str::trim_end), Some("Test测试邮件正文"));
    let imap_bytes = im.fetch_message(uid).unwrap();

    // 3. POP3: the same message, byte for byte, found among the summaries.
    for (tls, mech, inline) in [
        (true, Mechanism::Xoauth2, Some(false)),
        (true, Mechanism::OAuthBearer, Some(true)),
        (false, Mechanism::Xoauth2, Some(true)),
        (false, Mechanism::OAuthBearer, None),
    ] {
        let mut cfg = pop3_config(&stack, &dave, tls);
        cfg.mechanism = Some(mech);
        cfg.initial_response = inline;
        let pop = Pop3Client::new(cfg, stack.credential(&dave)).unwrap();
        let (count, total) = pop.stat().unwrap_or_else(|e| panic!("tls={tls} {mech}: {e}"));
        assert!(pop.is_tls());
        assert!(count >= 1 && total > 0);
        let listed = pop.list_messages(None).unwrap();
        let mine = listed.iter().find(|m| m.subject == subject).expect("sent message listed over POP3");
        assert_eq!(mine.message_id, summary.message_id);
        assert!(mine.uidl.as_deref().is_some_and(|u| !u.is_empty()));
        assert_eq!(pop.fetch_message(mine.uid).unwrap(), imap_bytes);
        pop.close().unwrap();
    }

    // 4. Dot-stuffing: lines starting with '.' come back exactly.
    let tricky = format!(
        "From: {alice}\r\nTo: {dave}\r\nSubject: dots {tag}\r\n\r\n.\r\n..\r\n.leading\r\n...three\r\nend.\r\n.\r\n"
    );
    let dots_uid = im.append("INBOX", tricky.as_bytes(), &[], None).unwrap().unwrap();
    // A message big enough to span many reads, compared with its IMAP copy.
    let mut big = format!("From: {alice}\r\nTo: {dave}\r\nSubject: big {tag}\r\n\r\n").into_bytes();
    for i in 0..40_000 {
        big.extend_from_slice(format!(".{i} line of the large message, some with a leading dot\r\n").as_bytes());
    }
    let big_uid = im.append("INBOX", &big, &[], None).unwrap().unwrap();

    let pop = Pop3Client::new(pop3_config(&stack, &dave, true), stack.credential(&dave)).unwrap();
    let listed = pop.list_messages(None).unwrap();
    let n_dots = listed.iter().find(|m| m.subject == format!("dots {tag}")).unwrap().uid;
    let n_big = listed.iter().find(|m| m.subject == format!("big {tag}")).unwrap().uid;
    assert_eq!(pop.fetch_message(n_dots).unwrap(), tricky.as_bytes());
    let mut streamed = Vec::new();
    pop.retr_to(n_big, &mut streamed).unwrap();
    assert_eq!(streamed, big);
    let top = pop.top(n_dots, 1).unwrap();
    assert!(
        top.ends_with(b"\r\n\r\n.\r\n"),
        "TOP 1 gives headers and the first body line: {:?}",
        String::from_utf8_lossy(&top)
    );

    // 5. Pipelined listing: LIST + UIDL + one round trip per 100 TOPs.
    let before = pop.stats();
    let all = pop.list_messages(None).unwrap();
    let after = pop.stats();
    let expected = 2 + all.len().div_ceil(100) as u64;
    assert_eq!(after.round_trips - before.round_trips, expected, "{} messages", all.len());
    assert_eq!(after.commands - before.commands, 2 + all.len() as u64);
    let newest = pop.list_messages(Some(2)).unwrap();
    assert_eq!(newest.len(), 2);
    assert!(newest[0].uid > newest[1].uid);

    // 6. Dropped without close(): no QUIT, so the server keeps the message.
    let careless = Pop3Client::new(pop3_config(&stack, &dave, true), stack.credential(&dave)).unwrap();
    careless.dele(n_dots).unwrap();
    drop(careless);
    let check = Pop3Client::new(pop3_config(&stack, &dave, true), stack.credential(&dave)).unwrap();
    assert_eq!(check.fetch_message(n_dots).unwrap(), tricky.as_bytes());
    check.close().unwrap();

    // 7. DELE + RSET undoes; DELE + QUIT deletes.
    pop.dele(n_dots).unwrap();
    assert!(pop.fetch_message(n_dots).is_err(), "a deleted message cannot be read");
    pop.rset().unwrap();
    assert_eq!(pop.fetch_message(n_dots).unwrap(), tricky.as_bytes());
    pop.dele(n_dots).unwrap();
    pop.dele(n_big).unwrap();
    pop.noop().unwrap();
    pop.close().unwrap();
    assert_eq!(pop.stat().unwrap_err().kind(), ErrorKind::Closed);
    let fresh = imap(&stack, &dave); // a new session sees the expunge at once
    let left = fresh.search("INBOX", &SearchQuery::new().uids(dots_uid, big_uid)).unwrap();
    assert!(left.is_empty(), "QUIT applied the deletions: {left:?}");
    assert_eq!(pop.fetch_message(0).unwrap_err().kind(), ErrorKind::Config);
    im.delete(&[uid], true).unwrap();
}

#[test]
fn pop3_refreshes_an_expired_token_and_reports_bad_ones() {
    let Some(stack) = stack() else { return };
    let carol = stack.user("carol");
    let cred = MintingCredential::new(&stack, &carol, true);
    let pop = Pop3Client::new(pop3_config(&stack, &carol, true), cred.clone()).unwrap();
    pop.stat().unwrap();
    assert_eq!(cred.fresh_requests.load(Ordering::SeqCst), 1);
    for mech in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
        let mut cfg = pop3_config(&stack, &carol, true);
        cfg.mechanism = Some(mech);
        let token = stack.mint(&carol, &["--expired"]);
        let c = Pop3Client::new(cfg, Arc::new(StaticTokenCredential::new(token.clone(), None).unwrap())).unwrap();
        // The static credential knows the token expired and says so before connecting.
        assert_eq!(c.stat().unwrap_err().kind(), ErrorKind::Auth);
        let mut cfg = pop3_config(&stack, &carol, true);
        cfg.mechanism = Some(mech);
        let wrong = stack.mint(&stack.user("bob"), &[]);
        let c = Pop3Client::new(cfg, Arc::new(StaticTokenCredential::new(wrong.clone(), None).unwrap())).unwrap();
        let e = c.stat().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        assert!(e.to_string().contains(mech.name()) && !e.to_string().contains(&wrong), "{e}");
    }
}

#[test]
fn pop3_reconnects_when_the_server_drops_the_session() {
    let Some(stack) = stack() else { return };
    let bob = stack.user("bob");
    let pop = Pop3Client::new(pop3_config(&stack, &bob, true), stack.credential(&bob)).unwrap();
    pop.noop().unwrap();
    stack.doveadm(&["kick", &bob]);
    std::thread::sleep(Duration::from_millis(300));
    pop.stat().unwrap();
    assert_eq!(pop.stats().connections, 2);
}
