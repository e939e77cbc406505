//! The fault matrix: every fault the test kit injects, against the client that meets it, with
//! the outcome asserted (transparent recovery or a clear error of the right kind), the store
//! counted (no message lost, none sent twice), and a deadline per case (never a hang).
//!
//! The run writes the matrix to `docs/reliability.md`. With `OAUTHMAIL_CHECK_DOCS=1` it
//! does not write but fails when the checked-in file differs from what it would write.

mod common;

use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use common::{Fault, TestKit, fixture, options, start_kit, trust};
use oauthmail::http::RetryPolicy;
use oauthmail::imap::{ImapClient, ImapConfig};
use oauthmail::pop3::{Pop3Client, Pop3Config};
use oauthmail::{
    ClientSecretCredential, ErrorKind, GraphConfig, GraphMailClient, Message, Security, SmtpClient, SmtpConfig,
    TokenCredential,
};
use oauthmail_testkit::{GraphFault, INBOX, ImapFault, Pop3Fault, SmtpFault};

const ALICE: &str = fixture::ALICE;
const BOB: &str = fixture::BOB;

/// Every case must finish within this, whatever the server does.
const DEADLINE: Duration = Duration::from_secs(45);
/// What the clients are configured to wait for one reply.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(5);
/// A "slow" server answers after this: longer than the client waits.
const TOO_SLOW: Duration = Duration::from_secs(7);

/// The expected outcome of one case.
enum Expect {
    /// The call succeeds as if nothing had happened.
    Recovered,
    /// The call fails with this kind.
    Fails(ErrorKind),
}

struct Case {
    area: &'static str,
    fault: &'static str,
    expect: Expect,
    /// What the case checks beyond the outcome (store counts, requests, the next call).
    checks: &'static str,
    run: fn(&TestKit),
}

fn credential(kit: &TestKit) -> Arc<dyn TokenCredential> {
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

fn smtp(kit: &TestKit) -> SmtpClient {
    let mut c = SmtpConfig::new("127.0.0.1", kit.smtp_starttls_port(), ALICE);
    c.ca = trust(kit);
    c.timeout = CLIENT_TIMEOUT;
    SmtpClient::new(c, credential(kit)).unwrap()
}

fn imap(kit: &TestKit) -> ImapClient {
    let mut c = ImapConfig::new("127.0.0.1", kit.imap_tls_port(), ALICE);
    c.security = Some(Security::Tls);
    c.ca = trust(kit);
    c.timeout = CLIENT_TIMEOUT;
    ImapClient::new(c, credential(kit)).unwrap()
}

fn pop3(kit: &TestKit) -> Pop3Client {
    let mut c = Pop3Config::new("127.0.0.1", kit.pop3_tls_port(), ALICE);
    c.security = Some(Security::Tls);
    c.ca = trust(kit);
    c.timeout = CLIENT_TIMEOUT;
    Pop3Client::new(c, credential(kit)).unwrap()
}

fn graph(kit: &TestKit) -> GraphMailClient {
    let mut c = GraphConfig::new(ALICE);
    c.base_url = kit.graph_url();
    c.ca = trust(kit);
    c.http.timeout = CLIENT_TIMEOUT;
    c.http.retry = RetryPolicy {
        max_attempts: 3,
        max_elapsed: Duration::from_secs(20),
        base_delay: Duration::from_millis(20),
        max_delay: Duration::from_millis(200),
        ..RetryPolicy::non_idempotent()
    };
    GraphMailClient::new(c, credential(kit)).unwrap()
}

fn mail(subject: &str) -> Message {
    Message::new().from(ALICE).to(BOB).subject(subject).text("fault matrix")
}

/// How many copies of the message with `subject` reached Bob's INBOX.
fn delivered(kit: &TestKit, subject: &str) -> usize {
    let needle = format!("Subject: {subject}\r\n");
    kit.store().messages(BOB, INBOX).iter().filter(|m| String::from_utf8_lossy(&m.raw).contains(&needle)).count()
}

/// Requests to Graph's sendMail, as the kit logged them.
fn graph_posts(kit: &TestKit) -> usize {
    kit.requests().iter().filter(|r| r.method == "POST" && r.path.ends_with("/sendMail")).count()
}

/// Polls until `done` (the case's deadline bounds the wait).
fn wait_for(done: impl Fn() -> bool) {
    while !done() {
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A message large enough that a cut halfway leaves the client mid-literal.
fn seed_big(kit: &TestKit) -> Vec<u8> {
    let big = format!("Subject: big\r\n\r\n{}\r\n", ".line\r\n".repeat(30_000)).into_bytes();
    kit.store().append(ALICE, INBOX, &big, &[]);
    big
}

fn fails(r: oauthmail::Result<impl std::fmt::Debug>, kind: ErrorKind) -> oauthmail::Error {
    let e = r.expect_err("the call must fail");
    assert_eq!(e.kind(), kind, "{e}");
    assert!(!e.message_text().is_empty());
    e
}

fn cases() -> Vec<Case> {
    use ErrorKind::*;
    use Expect::*;
    vec![
        Case {
            area: "token endpoint",
            fault: "429 with Retry-After, once",
            expect: Recovered,
            checks: "token after 2 requests; the message is sent once",
            run: |kit| {
                kit.inject(Fault::Throttle { retry_after_secs: 1 }, 1);
                smtp(kit).send(&mail("t429")).unwrap();
                assert_eq!(kit.token_requests(), 2);
                assert_eq!(delivered(kit, "t429"), 1);
            },
        },
        Case {
            area: "token endpoint",
            fault: "429 on every request (Retry-After 30 s)",
            expect: Fails(Throttled),
            checks: "`retry_after` carried; no SMTP connection, nothing sent",
            run: |kit| {
                kit.inject(Fault::Throttle { retry_after_secs: 30 }, 10);
                let e = fails(smtp(kit).send(&mail("t429x")), Throttled);
                assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
                assert_eq!(kit.smtp_stats().connections, 0);
                assert_eq!(delivered(kit, "t429x"), 0);
            },
        },
        Case {
            area: "token endpoint",
            fault: "503 twice, then a dropped connection",
            expect: Recovered,
            checks: "token after 4 requests; IMAP reads on",
            run: |kit| {
                kit.store().seed(ALICE, 2);
                kit.inject(Fault::ServerError(503), 2);
                kit.inject(Fault::DropConnection, 1);
                assert_eq!(imap(kit).status(INBOX).unwrap().messages, 2);
                assert_eq!(kit.token_requests(), 4);
            },
        },
        Case {
            area: "token endpoint",
            fault: "500 on every request",
            expect: Fails(Network),
            checks: "bounded retries (4 attempts, one token request); nothing sent",
            run: |kit| {
                kit.inject(Fault::ServerError(500), 20);
                fails(smtp(kit).send(&mail("t500")), Network);
                // The credential's own retries only: SmtpClient does not ask again.
                assert_eq!(kit.token_requests(), 4);
                assert_eq!(kit.smtp_stats().connections, 0);
            },
        },
        Case {
            area: "token endpoint",
            fault: "slower than the client's timeout",
            expect: Fails(Timeout),
            checks: "no retry after a timeout; nothing sent",
            run: |kit| {
                kit.inject(Fault::Slow(TOO_SLOW), 1);
                let mut o = options(kit);
                o.http.timeout = Duration::from_millis(500);
                o.http.retry = RetryPolicy::none();
                let cred = ClientSecretCredential::new(
                    fixture::TENANT_ID,
                    fixture::CONFIDENTIAL_APP_ID,
                    fixture::CONFIDENTIAL_APP_SECRET,
                    o,
                )
                .unwrap();
                fails(cred.get_token(&[]), Timeout);
                // The kit logs the slow request once it has answered it.
                wait_for(|| kit.token_requests() >= 1);
                assert_eq!(kit.token_requests(), 1);
            },
        },
        Case {
            area: "token endpoint",
            fault: "200 with truncated JSON",
            expect: Fails(Protocol),
            checks: "not retried (1 request); nothing sent; the next send works",
            run: |kit| {
                kit.inject(Fault::MalformedJson, 1);
                let client = smtp(kit);
                fails(client.send(&mail("tjson")), Protocol);
                assert_eq!(kit.token_requests(), 1);
                assert_eq!(kit.smtp_stats().connections, 0);
                client.send(&mail("tjson2")).unwrap();
                assert_eq!(delivered(kit, "tjson2"), 1);
            },
        },
        Case {
            area: "SMTP",
            fault: "connection dropped after AUTH",
            expect: Recovered,
            checks: "reconnects (2 connections); delivered exactly once",
            run: |kit| {
                kit.inject_smtp(SmtpFault::DropAfterAuth, 1);
                smtp(kit).send(&mail("sdrop")).unwrap();
                assert_eq!(kit.smtp_stats().connections, 2);
                assert_eq!(delivered(kit, "sdrop"), 1);
            },
        },
        Case {
            area: "SMTP",
            fault: "connection dropped mid-DATA",
            expect: Fails(Network),
            checks: "not resent (0 copies); the next send works on a new connection",
            run: |kit| {
                let client = smtp(kit);
                kit.inject_smtp(SmtpFault::DropMidData, 1);
                let e = fails(client.send(&mail("sdata")), Network);
                assert!(e.message_text().contains("not sent again"), "{e}");
                client.send(&mail("sdata2")).unwrap();
                assert_eq!(delivered(kit, "sdata"), 0);
                assert_eq!(delivered(kit, "sdata2"), 1);
                assert_eq!(kit.smtp_stats().messages_accepted, 1);
            },
        },
        Case {
            area: "SMTP",
            fault: "451 4.7.500 server busy",
            expect: Fails(Throttled),
            checks: "code 4.7.500, `retry_after` set; 0 copies; the session goes on",
            run: |kit| {
                let client = smtp(kit);
                kit.inject_smtp(SmtpFault::Throttle, 1);
                let e = fails(client.send(&mail("s451")), Throttled);
                assert_eq!(e.code(), Some("4.7.500"));
                assert!(e.retry_after().is_some());
                client.send(&mail("s451b")).unwrap();
                assert_eq!(delivered(kit, "s451"), 0);
                assert_eq!(kit.smtp_stats().connections, 1);
            },
        },
        Case {
            area: "SMTP",
            fault: "535 5.7.139 SMTP AUTH disabled",
            expect: Fails(Permission),
            checks: "code 5.7.139 with the Set-TransportConfig hint; one AUTH, no token refresh",
            run: |kit| {
                kit.inject_smtp(SmtpFault::AuthDisabled, 1);
                let e = fails(smtp(kit).send(&mail("s139")), Permission);
                assert_eq!(e.code(), Some("5.7.139"));
                assert!(e.hint().unwrap().contains("Set-TransportConfig"));
                assert_eq!(kit.smtp_stats().auth_attempts, 1);
                assert_eq!(kit.token_requests(), 1);
                assert_eq!(delivered(kit, "s139"), 0);
            },
        },
        Case {
            area: "SMTP",
            fault: "535 5.7.3 authentication unsuccessful",
            expect: Fails(Auth),
            checks: "code 5.7.3; 0 copies",
            run: |kit| {
                kit.inject_smtp(SmtpFault::AuthUnsuccessful, 1);
                let e = fails(smtp(kit).send(&mail("s573")), Auth);
                assert_eq!(e.code(), Some("5.7.3"));
                assert_eq!(delivered(kit, "s573"), 0);
            },
        },
        Case {
            area: "SMTP",
            fault: "554 5.2.252 SendAsDenied after DATA",
            expect: Fails(Permission),
            checks: "code 5.2.252; 0 copies; the session goes on",
            run: |kit| {
                let client = smtp(kit);
                kit.inject_smtp(SmtpFault::SendAsDenied, 1);
                let e = fails(client.send(&mail("s252")), Permission);
                assert_eq!(e.code(), Some("5.2.252"));
                client.send(&mail("s252b")).unwrap();
                assert_eq!(delivered(kit, "s252"), 0);
                assert_eq!(delivered(kit, "s252b"), 1);
            },
        },
        Case {
            area: "SMTP",
            fault: "every reply slower than the client's timeout",
            expect: Fails(Timeout),
            checks: "0 copies",
            run: |kit| {
                kit.inject_smtp(SmtpFault::Slow(TOO_SLOW), 1);
                fails(smtp(kit).send(&mail("sslow")), Timeout);
                assert_eq!(delivered(kit, "sslow"), 0);
            },
        },
        Case {
            area: "IMAP",
            fault: "`* BYE Session invalidated - AccessTokenExpired`",
            expect: Recovered,
            checks: "new session with a fresh token (2 connections); same messages read",
            run: |kit| {
                kit.store().seed(ALICE, 3);
                kit.inject_imap(ImapFault::ByeAccessTokenExpired { after_commands: 1 }, 1);
                let client = imap(kit);
                client.select(INBOX).unwrap();
                let before = kit.token_requests();
                assert_eq!(client.fetch_message(2).unwrap(), kit.store().message(ALICE, INBOX, 2).unwrap().raw);
                assert_eq!(kit.imap_stats().connections, 2);
                assert!(kit.token_requests() > before);
            },
        },
        Case {
            area: "IMAP",
            fault: "connection cut mid-FETCH (into memory)",
            expect: Recovered,
            checks: "the read is repeated on a new connection; bytes identical",
            run: |kit| {
                let big = seed_big(kit);
                let client = imap(kit);
                client.select(INBOX).unwrap();
                kit.inject_imap(ImapFault::DropMidFetch, 1);
                assert_eq!(client.fetch_message(1).unwrap(), big);
                assert_eq!(kit.imap_stats().connections, 2);
            },
        },
        Case {
            area: "IMAP",
            fault: "connection cut mid-FETCH (streaming to a writer)",
            expect: Fails(Network),
            checks: "reported, not silently truncated; the next fetch is complete",
            run: |kit| {
                let big = seed_big(kit);
                let client = imap(kit);
                client.select(INBOX).unwrap();
                kit.inject_imap(ImapFault::DropMidFetch, 1);
                let mut out = Vec::new();
                fails(client.fetch_message_to(1, &mut out), Network);
                assert!(out.len() < big.len());
                let mut out = Vec::new();
                client.fetch_message_to(1, &mut out).unwrap();
                assert_eq!(out, big);
            },
        },
        Case {
            area: "IMAP",
            fault: "`BAD User is authenticated but not connected`",
            expect: Fails(Permission),
            checks: "code UserNotConnected with the Add-MailboxPermission hint; the next login works",
            run: |kit| {
                kit.inject_imap(ImapFault::NotConnected, 1);
                let e = fails(imap(kit).status(INBOX), Permission);
                assert_eq!(e.code(), Some("UserNotConnected"));
                assert!(e.hint().unwrap().contains("Add-MailboxPermission"));
                imap(kit).status(INBOX).unwrap();
            },
        },
        Case {
            area: "IMAP",
            fault: "greeting and replies slower than the client's timeout",
            expect: Fails(Timeout),
            checks: "ends within the deadline",
            run: |kit| {
                kit.inject_imap(ImapFault::Slow(TOO_SLOW), 1);
                fails(imap(kit).status(INBOX), Timeout);
            },
        },
        Case {
            area: "POP3",
            fault: "connection cut mid-RETR (into memory)",
            expect: Recovered,
            checks: "the read is repeated on a new connection; bytes identical, dot-unstuffed",
            run: |kit| {
                let big = seed_big(kit);
                let client = pop3(kit);
                kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
                assert_eq!(client.fetch_message(1).unwrap(), big);
                assert_eq!(kit.pop3_stats().connections, 2);
            },
        },
        Case {
            area: "POP3",
            fault: "connection cut mid-RETR (streaming to a writer)",
            expect: Fails(Network),
            checks: "reported, not silently truncated; nothing deleted",
            run: |kit| {
                let big = seed_big(kit);
                let client = pop3(kit);
                kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
                let mut out = Vec::new();
                fails(client.retr_to(1, &mut out), Network);
                assert!(out.len() < big.len());
                assert_eq!(kit.store().count(ALICE, INBOX), 1);
            },
        },
        Case {
            area: "POP3",
            fault: "`-ERR User is authenticated but not connected`",
            expect: Fails(Permission),
            checks: "POP.AccessAsApp hint; the next login works",
            run: |kit| {
                kit.inject_pop3(Pop3Fault::NotConnected, 1);
                let e = fails(pop3(kit).stat(), Permission);
                assert!(e.hint().unwrap().contains("POP.AccessAsApp"));
                pop3(kit).stat().unwrap();
            },
        },
        Case {
            area: "POP3",
            fault: "greeting slower than the client's timeout",
            expect: Fails(Timeout),
            checks: "ends within the deadline",
            run: |kit| {
                kit.inject_pop3(Pop3Fault::Slow(TOO_SLOW), 1);
                fails(pop3(kit).stat(), Timeout);
            },
        },
        Case {
            area: "Graph",
            fault: "429 with Retry-After, once",
            expect: Recovered,
            checks: "Retry-After honoured; delivered exactly once",
            run: |kit| {
                kit.inject_graph(GraphFault::Throttle { retry_after_secs: 1 }, 1);
                graph(kit).send(&mail("g429")).unwrap();
                assert_eq!(delivered(kit, "g429"), 1);
                assert_eq!(graph_posts(kit), 2);
            },
        },
        Case {
            area: "Graph",
            fault: "429 on every request",
            expect: Fails(Throttled),
            checks: "`retry_after` carried; bounded attempts; 0 copies",
            run: |kit| {
                kit.inject_graph(GraphFault::Throttle { retry_after_secs: 1 }, 10);
                let e = fails(graph(kit).send(&mail("g429x")), Throttled);
                assert_eq!(e.retry_after(), Some(Duration::from_secs(1)));
                assert_eq!(graph_posts(kit), 3);
                assert_eq!(delivered(kit, "g429x"), 0);
            },
        },
        Case {
            area: "Graph",
            fault: "503 once",
            expect: Recovered,
            checks: "retried (503 means not processed); delivered exactly once",
            run: |kit| {
                kit.inject_graph(GraphFault::ServerError(503), 1);
                graph(kit).send(&mail("g503")).unwrap();
                assert_eq!(delivered(kit, "g503"), 1);
                assert_eq!(graph_posts(kit), 2);
            },
        },
        Case {
            area: "Graph",
            fault: "500",
            expect: Fails(Network),
            checks: "not repeated (Graph may have processed it): 1 request",
            run: |kit| {
                kit.inject_graph(GraphFault::ServerError(500), 1);
                fails(graph(kit).send(&mail("g500")), Network);
                assert_eq!(graph_posts(kit), 1);
            },
        },
        Case {
            area: "Graph",
            fault: "connection dropped without a response",
            expect: Fails(Network),
            checks: "not repeated: 1 request, at most 1 copy",
            run: |kit| {
                kit.inject_graph(GraphFault::DropConnection, 1);
                fails(graph(kit).send(&mail("gdrop")), Network);
                assert_eq!(graph_posts(kit), 1);
                assert!(delivered(kit, "gdrop") <= 1);
            },
        },
        Case {
            area: "Graph",
            fault: "401 InvalidAuthenticationToken, once",
            expect: Recovered,
            checks: "one fresh token (2 token requests); delivered exactly once",
            run: |kit| {
                kit.inject_graph(GraphFault::InvalidToken, 1);
                graph(kit).send(&mail("g401")).unwrap();
                assert_eq!(kit.token_requests(), 2);
                assert_eq!(delivered(kit, "g401"), 1);
            },
        },
        Case {
            area: "Graph",
            fault: "403 ErrorAccessDenied",
            expect: Fails(Permission),
            checks: "code ErrorAccessDenied; 0 copies",
            run: |kit| {
                kit.inject_graph(GraphFault::AccessDenied, 1);
                let e = fails(graph(kit).send(&mail("g403")), Permission);
                assert_eq!(e.code(), Some("ErrorAccessDenied"));
                assert_eq!(delivered(kit, "g403"), 0);
            },
        },
        Case {
            area: "Graph",
            fault: "slower than the client's timeout",
            expect: Fails(Timeout),
            checks: "not repeated: 1 request",
            run: |kit| {
                kit.inject_graph(GraphFault::Slow(TOO_SLOW), 1);
                fails(graph(kit).send(&mail("gslow")), Timeout);
                wait_for(|| graph_posts(kit) >= 1);
                assert_eq!(graph_posts(kit), 1);
            },
        },
    ]
}

/// Runs one case on its own thread and kit; `Err` says how it failed.
fn run_case(case: &Case) -> Result<(), String> {
    let run = case.run;
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let kit = start_kit();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run(&kit)));
        let _ = tx.send(outcome.map_err(|p| {
            p.downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default()
        }));
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(result) => result,
        Err(_) => Err(format!("no outcome within {DEADLINE:?}: a hang")),
    }
}

fn markdown(cases: &[Case]) -> String {
    let mut out = String::from(
        "# Reliability: the fault matrix\n\n\
         Generated by `cargo test -p oauthmail --test reliability_faults` (do not edit by hand; \
         `OAUTHMAIL_CHECK_DOCS=1` makes the test fail when this file is stale).\n\n\
         Each row is one test case: a fresh test kit, the fault injected, the client call that meets it, \
         and assertions on the outcome and on the mail store. Every case runs on its own thread with a \
         deadline of ",
    );
    out.push_str(&format!(
        "{} s (clients wait {} s for a reply; \"slow\" servers answer after {} s), so a hang fails the test \
         instead of blocking it. \"Recovered\" means the call succeeded as if the fault had not happened.\n\n",
        DEADLINE.as_secs(),
        CLIENT_TIMEOUT.as_secs(),
        TOO_SLOW.as_secs()
    ));
    out.push_str("| area | fault injected | outcome | also checked |\n|---|---|---|---|\n");
    for c in cases {
        let outcome = match &c.expect {
            Expect::Recovered => "recovered".to_string(),
            Expect::Fails(kind) => format!("error `{kind:?}`"),
        };
        out.push_str(&format!("| {} | {} | {} | {} |\n", c.area, c.fault, outcome, c.checks));
    }
    out.push_str(
        "\nThe load, TLS, secret-scanning and fuzzing parts of the suite are described in \
         `fuzz/README.md` and the headers of `core/tests/reliability_*.rs` and `core/tests/tls_*.rs`.\n",
    );
    out
}

#[test]
fn fault_matrix() {
    let cases = cases();
    let failures: Vec<String> =
        cases.iter().filter_map(|c| run_case(c).err().map(|e| format!("{} / {}: {e}", c.area, c.fault))).collect();

    let doc = markdown(&cases);
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md");
    if std::env::var("OAUTHMAIL_CHECK_DOCS").is_ok_and(|v| v == "1") {
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(current == doc, "docs/reliability.md is stale: run the test without OAUTHMAIL_CHECK_DOCS");
    } else {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, doc).unwrap();
    }
    assert!(failures.is_empty(), "failed cases:\n{}", failures.join("\n"));
}
