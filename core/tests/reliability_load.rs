//! Load through one shared credential: 32 threads × 200 SMTP sends while 8 IMAP readers list
//! and fetch the same mailbox. Every message is accepted and stored exactly once, the
//! credential asks the identity platform once (one token lifetime), and memory stays flat:
//! the resident set grows by less than a bound between a quarter and the end of the run.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use common::{fixture, options, start_kit, trust};
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions};
use oauthmail::{ClientSecretCredential, Message, Security, SmtpClient, SmtpConfig, TokenCredential};
use oauthmail_testkit::INBOX;

const SENDERS: usize = 32;
const SENDS_EACH: usize = 200;
const READERS: usize = 8;
const TOTAL: usize = SENDERS * SENDS_EACH;
/// Allowed growth of the resident set from 25 % to 100 % of the sends. The kit's store keeps
/// every message (~1.5 KiB each, ~7 MiB for the last 75 %); a leak of a few KiB per message
/// would pass the bound several times over.
const MAX_GROWTH: u64 = 48 << 20;

/// Resident set size of this process (test kit included), from /proc.
fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
    pages * 4096
}

#[test]
fn many_senders_and_readers_share_one_credential() {
    let kit = start_kit();
    let credential: Arc<dyn TokenCredential> = Arc::new(
        ClientSecretCredential::new(
            fixture::TENANT_ID,
            fixture::CONFIDENTIAL_APP_ID,
            fixture::CONFIDENTIAL_APP_SECRET,
            options(&kit),
        )
        .unwrap(),
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let body = "load test line\r\n".repeat(64);

    let readers: Vec<_> = (0..READERS)
        .map(|_| {
            let mut c = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), fixture::BOB);
            (c.security, c.ca, c.timeout) = (Some(Security::Tls), trust(&kit), Duration::from_secs(30));
            let imap = ImapClient::new(c, credential.clone()).unwrap();
            let done = done.clone();
            std::thread::spawn(move || {
                let mut rounds = 0;
                let options = ListOptions { limit: Some(20), ..ListOptions::default() };
                while !done.load(Ordering::SeqCst) || rounds == 0 {
                    let listed = imap.list_messages(INBOX, &options).expect("a reader lists");
                    if let Some(newest) = listed.first() {
                        assert!(!imap.fetch_message(newest.uid).expect("a reader fetches").is_empty());
                    }
                    rounds += 1;
                }
                rounds
            })
        })
        .collect();

    let senders: Vec<_> = (0..SENDERS)
        .map(|t| {
            let mut c = SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), fixture::ALICE);
            (c.ca, c.timeout) = (trust(&kit), Duration::from_secs(30));
            let smtp = SmtpClient::new(c, credential.clone()).unwrap();
            let (sent, body) = (sent.clone(), body.clone());
            std::thread::spawn(move || {
                for i in 0..SENDS_EACH {
                    let subject = format!("load {t}-{i}");
                    let message = Message::new().from(fixture::ALICE).to(fixture::BOB).subject(subject).text(&body);
                    smtp.send(&message).unwrap_or_else(|e| panic!("send {t}-{i}: {e}"));
                    sent.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();

    // Resident set at 25 %, 50 %, 75 % of the sends, then at the end.
    let mut samples = Vec::new();
    for quarter in 1..4 {
        while sent.load(Ordering::SeqCst) < TOTAL * quarter / 4 && !senders.iter().all(|s| s.is_finished()) {
            std::thread::sleep(Duration::from_millis(20));
        }
        samples.push(rss_bytes());
    }
    for s in senders {
        s.join().expect("a sender thread panicked");
    }
    samples.push(rss_bytes());
    done.store(true, Ordering::SeqCst);
    let rounds: Vec<usize> = readers.into_iter().map(|r| r.join().expect("a reader thread panicked")).collect();

    // Every message accepted and stored exactly once.
    assert_eq!(sent.load(Ordering::SeqCst), TOTAL);
    assert_eq!(kit.smtp_stats().messages_accepted, TOTAL);
    let mut copies: HashMap<String, usize> = HashMap::new();
    for m in kit.store().messages(fixture::BOB, INBOX) {
        let raw = String::from_utf8_lossy(&m.raw).into_owned();
        let subject = raw.lines().find_map(|l| l.strip_prefix("Subject: ")).expect("a subject").to_owned();
        *copies.entry(subject).or_default() += 1;
    }
    assert_eq!(copies.len(), TOTAL, "every message arrived");
    assert!(copies.values().all(|&n| n == 1), "no message arrived twice");

    // One token for the whole run: its lifetime (an hour) outlasts it.
    assert_eq!(kit.token_requests(), 1, "{:?}", kit.requests());
    assert!(rounds.iter().all(|&r| r > 0), "every reader read: {rounds:?}");
    assert!(kit.imap_stats().auth_successes >= READERS);

    eprintln!(
        "resident set at 25/50/75/100 % of the sends (MiB): {:?}",
        samples.iter().map(|s| s >> 20).collect::<Vec<_>>()
    );
    let growth = samples[3].saturating_sub(samples[0]);
    assert!(growth < MAX_GROWTH, "memory grew by {} MiB over the run: {samples:?}", growth >> 20);
}
