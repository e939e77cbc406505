//! The POP3 server: STLS and implicit TLS, XOAUTH2/OAUTHBEARER in both forms with Exchange's
//! replies, the maildrop commands with exact dot-stuffing, deletion at QUIT, and POP3 faults.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use common::imap_client::{oauthbearer, tls_wrap, xoauth2};
use common::smtp_client::Stream;
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{INBOX, Pop3Fault, TestKit, TokenRequest};

struct Pop {
    reader: BufReader<Stream>,
}

impl Pop {
    fn connect(kit: &TestKit, implicit_tls: bool) -> Pop {
        let port = if implicit_tls { kit.pop3_tls_port() } else { kit.pop3_starttls_port() };
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let stream = if implicit_tls { tls_wrap(kit, tcp) } else { Stream::Plain(tcp) };
        let mut pop = Pop { reader: BufReader::new(stream) };
        assert!(pop.line().unwrap().starts_with("+OK"));
        pop
    }

    fn login(kit: &TestKit, user: &str) -> Pop {
        let mut pop = Pop::connect(kit, true);
        let token = kit.issue_token(&TokenRequest::app(&["POP.AccessAsApp"]));
        assert_eq!(pop.cmd(&format!("AUTH XOAUTH2 {}", xoauth2(user, &token))), "+OK User successfully authenticated.");
        pop
    }

    fn line(&mut self) -> Option<String> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        Some(line.trim_end_matches("\r\n").to_string())
    }

    fn send(&mut self, line: &str) {
        let w = self.reader.get_mut();
        let _ = w.write_all(format!("{line}\r\n").as_bytes());
        let _ = w.flush();
    }

    fn cmd(&mut self, line: &str) -> String {
        self.send(line);
        self.line().expect("connection closed")
    }

    /// The raw bytes of a multi-line reply after its status line, up to and including ".\r\n".
    fn multiline(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            assert!(self.reader.read_until(b'\n', &mut line).unwrap() > 0, "closed mid reply");
            out.extend_from_slice(&line);
            if line == b".\r\n" {
                return out;
            }
        }
    }
}

#[test]
fn stls_capa_and_auth_forms() {
    let kit = TestKit::start_default().unwrap();
    let mut pop = Pop::connect(&kit, false);
    pop.send("CAPA");
    assert_eq!(pop.line().unwrap(), "+OK");
    let capa = String::from_utf8(pop.multiline()).unwrap();
    assert!(capa.contains("STLS\r\n") && !capa.contains("SASL"), "{capa}");
    for cap in ["TOP", "UIDL", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE"] {
        assert!(capa.contains(&format!("{cap}\r\n")), "{cap}");
    }
    let token = kit.issue_token(&TokenRequest::app(&["POP.AccessAsApp"]));
    assert_eq!(
        pop.cmd(&format!("AUTH XOAUTH2 {}", xoauth2(ALICE, &token))),
        "-ERR Command is not valid in this state."
    );
    assert!(pop.cmd("STLS").starts_with("+OK"));
    let Stream::Plain(tcp) = std::mem::replace(pop.reader.get_mut(), Stream::Gone) else { panic!() };
    pop.reader = BufReader::new(tls_wrap(&kit, tcp));
    pop.send("CAPA");
    pop.line();
    let capa = String::from_utf8(pop.multiline()).unwrap();
    assert!(capa.contains("SASL XOAUTH2 OAUTHBEARER\r\n") && !capa.contains("STLS"), "{capa}");
    // The two-step form with a delegated OAUTHBEARER token.
    let user_token = kit.issue_token(&TokenRequest::user(BOB, &["POP.AccessAsUser.All"]));
    assert_eq!(pop.cmd("AUTH OAUTHBEARER"), "+ ");
    assert_eq!(pop.cmd(&oauthbearer(BOB, &user_token)), "+OK User successfully authenticated.");
    assert_eq!(pop.cmd("STAT"), "+OK 0 0");
    assert!(pop.cmd("QUIT").starts_with("+OK"));
    assert!(pop.line().is_none());
    let stats = kit.pop3_stats();
    assert_eq!((stats.auth_attempts, stats.auth_successes), (1, 1));
}

#[test]
fn refused_and_not_connected_logins() {
    let kit = TestKit::start_default().unwrap();
    let expired = kit.issue_token(&TokenRequest::app(&["POP.AccessAsApp"]).expires_in(-5));
    let mut pop = Pop::connect(&kit, true);
    let challenge = pop.cmd(&format!("AUTH XOAUTH2 {}", xoauth2(ALICE, &expired)));
    assert!(challenge.starts_with("+ eyJ"), "{challenge}");
    assert_eq!(pop.cmd(""), "-ERR Authentication failure: unknown user name or bad password.");
    assert_eq!(pop.cmd("STAT"), "-ERR Command is not valid in this state.");
    assert_eq!(pop.cmd("USER alice"), "-ERR Authentication failure: unknown user name or bad password.");
    assert_eq!(kit.pop3_stats().auth_log[0].reason.as_deref(), Some("token expired"));

    // An IMAP role is not a POP role: logged in, but not connected.
    let imap_only = kit.issue_token(&TokenRequest::app(&["IMAP.AccessAsApp"]));
    let mut pop = Pop::connect(&kit, true);
    assert!(pop.cmd(&format!("AUTH XOAUTH2 {}", xoauth2(ALICE, &imap_only))).starts_with("+OK"));
    assert_eq!(pop.cmd("STAT"), "-ERR User is authenticated but not connected.");
    assert!(pop.cmd("QUIT").starts_with("+OK"));

    kit.inject_pop3(Pop3Fault::NotConnected, 1);
    assert_eq!(Pop::login(&kit, ALICE).cmd("LIST"), "-ERR User is authenticated but not connected.");
    assert_eq!(Pop::login(&kit, ALICE).cmd("STAT"), "+OK 0 0");
}

#[test]
fn maildrop_commands_and_dot_stuffing() {
    let kit = TestKit::start_default().unwrap();
    let tricky = b"Subject: dots\r\n\r\n.leading dot\r\n..two dots\r\n.\r\nlast line without end";
    kit.store().append(ALICE, INBOX, tricky, &[]);
    kit.store().seed(ALICE, 3);
    let sizes: Vec<usize> = kit.store().messages(ALICE, INBOX).iter().map(|m| m.raw.len()).collect();
    let (validity, _) = kit.store().uid_info(ALICE, INBOX).unwrap();
    let mut pop = Pop::login(&kit, ALICE);
    assert_eq!(pop.cmd("STAT"), format!("+OK 4 {}", sizes.iter().sum::<usize>()));
    assert_eq!(pop.cmd("LIST"), "+OK");
    let list = String::from_utf8(pop.multiline()).unwrap();
    assert_eq!(list, format!("1 {}\r\n2 {}\r\n3 {}\r\n4 {}\r\n.\r\n", sizes[0], sizes[1], sizes[2], sizes[3]));
    assert_eq!(pop.cmd("LIST 2"), format!("+OK 2 {}", sizes[1]));
    assert_eq!(pop.cmd("LIST 9"), "-ERR No such message.");
    assert_eq!(pop.cmd("UIDL 3"), format!("+OK 3 {validity}.3"));
    assert_eq!(pop.cmd("RETR 1"), format!("+OK {} octets", tricky.len()));
    assert_eq!(
        pop.multiline(),
        b"Subject: dots\r\n\r\n..leading dot\r\n...two dots\r\n..\r\nlast line without end\r\n.\r\n".to_vec()
    );
    assert!(pop.cmd("TOP 1 1").starts_with("+OK"));
    assert_eq!(pop.multiline(), b"Subject: dots\r\n\r\n..leading dot\r\n.\r\n".to_vec());
    assert_eq!(pop.cmd("DELE 1"), "+OK Message deleted.");
    assert_eq!(pop.cmd("DELE 1"), "-ERR No such message.");
    assert_eq!(pop.cmd("RETR 1"), "-ERR No such message.");
    assert_eq!(pop.cmd("RSET"), "+OK");
    assert_eq!(pop.cmd("DELE 1"), "+OK Message deleted.");
    assert_eq!(pop.cmd("DELE 3"), "+OK Message deleted.");
    assert_eq!(kit.store().count(ALICE, INBOX), 4, "nothing is removed before QUIT");
    // Pipelined: several commands in one write, answers in order.
    pop.send("STAT\r\nUIDL\r\nNOOP");
    assert_eq!(pop.line().unwrap(), format!("+OK 2 {}", sizes[1] + sizes[3]));
    assert_eq!(pop.line().unwrap(), "+OK");
    assert_eq!(String::from_utf8(pop.multiline()).unwrap(), format!("2 {validity}.2\r\n4 {validity}.4\r\n.\r\n"));
    assert_eq!(pop.line().unwrap(), "+OK");
    assert!(pop.cmd("QUIT").starts_with("+OK"));
    let left: Vec<u32> = kit.store().messages(ALICE, INBOX).iter().map(|m| m.uid).collect();
    assert_eq!(left, vec![2, 4]);
    // A session that ends without QUIT deletes nothing.
    let mut pop = Pop::login(&kit, ALICE);
    assert_eq!(pop.cmd("DELE 1"), "+OK Message deleted.");
    drop(pop);
    assert_eq!(Pop::login(&kit, ALICE).cmd("STAT").split(' ').nth(1), Some("2"));
    assert_eq!(kit.pop3_stats().retr_commands, 2);
}

#[test]
fn drop_mid_retr_and_slow() {
    let kit = TestKit::start_default().unwrap();
    let big = format!("Subject: big\r\n\r\n{}\r\n", "y".repeat(50_000));
    kit.store().append(ALICE, INBOX, big.as_bytes(), &[]);
    kit.inject_pop3(Pop3Fault::DropMidRetr, 1);
    let mut pop = Pop::login(&kit, ALICE);
    assert!(pop.cmd("RETR 1").starts_with("+OK"));
    let mut rest = Vec::new();
    let _ = pop.reader.read_to_end(&mut rest);
    assert!(!rest.is_empty() && rest.len() < big.len() && !rest.ends_with(b".\r\n"), "{}", rest.len());
    let mut pop = Pop::login(&kit, ALICE);
    assert!(pop.cmd("RETR 1").starts_with("+OK"));
    assert_eq!(pop.multiline().len(), big.len() + 3);

    kit.inject_pop3(Pop3Fault::Slow(Duration::from_millis(100)), 1);
    let started = std::time::Instant::now();
    let mut pop = Pop::login(&kit, ALICE);
    assert!(pop.cmd("NOOP").starts_with("+OK"));
    assert!(started.elapsed() >= Duration::from_millis(300));
    let info = kit.info();
    assert_eq!(info["pop3"]["tls_port"], kit.pop3_tls_port());
    assert_eq!(info["pop3"]["starttls_port"], kit.pop3_starttls_port());
}

#[test]
fn malformed_commands_are_refused() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 2);
    let mut pop = Pop::connect(&kit, true);
    assert_eq!(pop.cmd("AUTH"), "-ERR Unrecognized authentication type.");
    assert_eq!(pop.cmd("AUTH PLAIN dGVzdA=="), "-ERR Unrecognized authentication type.");
    assert_eq!(pop.cmd("AUTH XOAUTH2"), "+ ");
    assert_eq!(pop.cmd("*"), "-ERR Authentication canceled.");
    assert!(pop.cmd("AUTH XOAUTH2 !!notbase64!!").starts_with("+ eyJ"));
    assert_eq!(pop.cmd(""), "-ERR Authentication failure: unknown user name or bad password.");
    let mut pop = Pop::login(&kit, ALICE);
    for cmd in ["LIST x", "LIST 0", "RETR", "RETR 3", "TOP 1", "TOP 1 x", "DELE 0", "UIDL 99", "BOGUS", "STLS"] {
        assert!(pop.cmd(cmd).starts_with("-ERR"), "{cmd}");
    }
    assert!(pop.cmd("STAT").starts_with("+OK 2 "));
}

#[test]
fn control_endpoint_faults_stats_and_app_access() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 1);
    let http = common::client(&kit);
    let url = |path: &str| format!("{}/testkit/{path}", kit.authority());
    let post = |path: &str, body: serde_json::Value| {
        let resp = http.post(url(path)).json(&body).send().unwrap();
        assert_eq!(resp.status(), 200, "{path}: {}", resp.text().unwrap());
    };
    post("faults", serde_json::json!({"target": "pop3", "fault": "not_connected"}));
    assert_eq!(Pop::login(&kit, ALICE).cmd("STAT"), "-ERR User is authenticated but not connected.");
    post("app-access", serde_json::json!({"client_id": CONFIDENTIAL_APP_ID, "mailboxes": [BOB]}));
    assert_eq!(Pop::login(&kit, ALICE).cmd("STAT"), "-ERR User is authenticated but not connected.");
    assert!(Pop::login(&kit, BOB).cmd("STAT").starts_with("+OK"));
    post("app-access", serde_json::json!({"client_id": CONFIDENTIAL_APP_ID, "mailboxes": null}));
    assert!(Pop::login(&kit, ALICE).cmd("STAT").starts_with("+OK"));
    let stats: serde_json::Value = http.get(url("pop3")).send().unwrap().json().unwrap();
    assert_eq!(stats["auth_successes"], 4);
    assert_eq!(stats["by_command"]["STAT"], 4);
    assert!(stats["auth_log"][1]["reason"].as_str().unwrap().contains("has no access to mailbox"), "{stats}");
    assert_eq!(http.delete(url("pop3")).send().unwrap().status(), 200);
    assert_eq!(kit.pop3_stats().commands, 0);
}
