//! Exchange Online's IMAP behaviours that Dovecot cannot produce, played by
//! a scripted TLS peer with Exchange's exact wire text: the permission error,
//! `NO AUTHENTICATE failed.`, throttling, `* BYE ... AccessTokenExpired`,
//! and a connection cut while a state-changing command was in flight.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use oauthmail::imap::{ImapClient, ImapConfig, SearchQuery};
use oauthmail::tls::TlsTrust;
use oauthmail::{AccessToken, ErrorKind, Security, StaticTokenCredential, TokenCredential};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::{ServerConfig, ServerConnection, StreamOwned};

const GREETING: &str = "* OK The Microsoft Exchange IMAP4 service is ready. [TQBXADIAUABSADAANwBDAEEAMAAwADUANQAuAG4AYQBtAHAAcgBkADAANwAuAHAAcgBvAGQALgBvAHUAdABsAG8AbwBrAC4AYwBvAG0A]";
const CAPS: &str = "* CAPABILITY IMAP4 IMAP4rev1 AUTH=PLAIN AUTH=XOAUTH2 SASL-IR UIDPLUS MOVE ID UNSELECT CHILDREN IDLE NAMESPACE LITERAL+";

fn tls_pair() -> (Arc<ServerConfig>, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["127.0.0.1".into()]).unwrap().signed_by(&key, &issuer).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(cert.der().to_vec())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
        )
        .unwrap();
    (Arc::new(config), ca_cert.pem())
}

/// One accepted connection, line by line.
struct Conn {
    io: BufReader<StreamOwned<ServerConnection, TcpStream>>,
}

impl Conn {
    fn send(&mut self, line: &str) {
        let s = self.io.get_mut();
        s.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        s.flush().unwrap();
    }
    /// The next command as (tag, rest), literals appended; None at EOF.
    fn command(&mut self) -> Option<(String, String)> {
        let mut line = String::new();
        if self.io.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let mut full = line.trim_end().to_owned();
        while let Some(n) =
            full.strip_suffix("+}").and_then(|f| f.rsplit_once('{')).and_then(|(_, n)| n.parse::<usize>().ok())
        {
            let mut lit = vec![0; n];
            self.io.read_exact(&mut lit).ok()?;
            full.push_str(&String::from_utf8_lossy(&lit));
            let mut rest = String::new();
            self.io.read_line(&mut rest).ok()?;
            full.push_str(rest.trim_end());
        }
        let (tag, rest) = full.split_once(' ')?;
        Some((tag.to_owned(), rest.to_owned()))
    }
    /// One raw line (a SASL response), without its CRLF.
    fn line(&mut self) -> String {
        let mut line = String::new();
        self.io.read_line(&mut line).unwrap();
        line.trim_end().to_owned()
    }
    /// Drops the TCP connection without a word.
    fn cut(self) {
        let _ = self.io.into_inner().sock.shutdown(std::net::Shutdown::Both);
    }
}

/// What the script does with a command: answered, or the connection ends.
enum Step {
    Next,
    Hangup,
}

/// Serves `connections` connections; `script(conn_no, tag, command, conn)`
/// handles everything but the Exchange-like defaults (CAPABILITY, AUTHENTICATE, SELECT/EXAMINE, LOGOUT).
fn serve(
    connections: usize,
    mut script: impl FnMut(usize, &str, &str, &mut Conn) -> Option<Step> + Send + 'static,
) -> (u16, String, Arc<Mutex<Vec<String>>>, JoinHandle<()>) {
    let (config, ca) = tls_pair();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let log = Arc::new(Mutex::new(Vec::new()));
    let seen = log.clone();
    let handle = std::thread::spawn(move || {
        // A client that connects fewer times than expected must not hang the test.
        listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        for n in 0..connections {
            let tcp = loop {
                match listener.accept() {
                    Ok((tcp, _)) => break tcp,
                    Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(10)),
                    Err(_) => return,
                }
            };
            tcp.set_nonblocking(false).unwrap();
            tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
            let tls = StreamOwned::new(ServerConnection::new(config.clone()).unwrap(), tcp);
            let mut c = Conn { io: BufReader::new(tls) };
            c.send(GREETING);
            while let Some((tag, cmd)) = c.command() {
                seen.lock().unwrap().push(format!("{n} {cmd}"));
                match script(n, &tag, &cmd, &mut c) {
                    Some(Step::Next) => continue,
                    Some(Step::Hangup) => {
                        c.cut();
                        break;
                    }
                    None => {}
                }
                let verb = cmd.split(' ').next().unwrap().to_ascii_uppercase();
                match verb.as_str() {
                    "CAPABILITY" => {
                        c.send(CAPS);
                        c.send(&format!("{tag} OK CAPABILITY completed."));
                    }
                    "AUTHENTICATE" => c.send(&format!("{tag} OK AUTHENTICATE completed.")),
                    "SELECT" | "EXAMINE" => {
                        c.send("* 3 EXISTS");
                        c.send("* OK [UIDVALIDITY 14] UIDVALIDITY value");
                        c.send("* OK [UIDNEXT 4] The next unique identifier value");
                        c.send(&format!("{tag} OK [READ-WRITE] {verb} completed."));
                    }
                    "LOGOUT" => {
                        c.send("* BYE Microsoft Exchange Server IMAP4 server signing off.");
                        c.send(&format!("{tag} OK LOGOUT completed."));
                        break;
                    }
                    _ => c.send(&format!("{tag} BAD Command Argument Error. 11")),
                }
            }
        }
    });
    (port, ca, log, handle)
}

fn client(port: u16, ca: &str, credential: Arc<dyn TokenCredential>) -> ImapClient {
    let mut c = ImapConfig::new("127.0.0.1", port, "shared@contoso.test");
    c.security = Some(Security::Tls);
    c.ca = TlsTrust::with_pem(ca.as_bytes()).unwrap();
    c.timeout = Duration::from_secs(10);
    ImapClient::new(c, credential).unwrap()
}

fn token(t: &str) -> Arc<dyn TokenCredential> {
    Arc::new(StaticTokenCredential::new(t, Some(SystemTime::now() + Duration::from_secs(3600))).unwrap())
}

/// Counts fresh-token requests and hands out numbered tokens.
#[derive(Debug, Default)]
struct Numbered {
    issued: Mutex<Vec<String>>,
}

impl TokenCredential for Numbered {
    fn get_token(&self, _: &[&str]) -> oauthmail::Result<AccessToken> {
        let mut v = self.issued.lock().unwrap();
        if v.is_empty() {
            v.push("token1".into());
        }
        Ok(AccessToken::new(v.last().unwrap().clone(), SystemTime::now() + Duration::from_secs(3600)))
    }
    fn get_fresh_token(&self, _: &[&str]) -> oauthmail::Result<AccessToken> {
        let mut v = self.issued.lock().unwrap();
        let t = format!("token{}", v.len() + 1);
        v.push(t.clone());
        Ok(AccessToken::new(t, SystemTime::now() + Duration::from_secs(3600)))
    }
    fn default_scopes(&self) -> Vec<String> {
        vec!["https://outlook.office365.com/.default".into()]
    }
}

#[test]
fn user_authenticated_but_not_connected_is_a_permission_error_with_hint() {
    let (port, ca, _, server) = serve(1, |_, tag, cmd, c| {
        cmd.starts_with("SELECT").then(|| {
            c.send(&format!("{tag} BAD User is authenticated but not connected."));
            Step::Next
        })
    });
    let imap = client(port, &ca, token("app-token"));
    let e = imap.select("INBOX").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    let hint = e.hint().unwrap();
    for needle in ["New-ServicePrincipal", "Add-MailboxPermission", "FullAccess", "IMAP.AccessAsApp"] {
        assert!(hint.contains(needle), "hint lacks {needle}: {hint}");
    }
    imap.close();
    server.join().unwrap();
}

#[test]
fn authenticate_failed_retries_once_with_a_fresh_token_then_explains() {
    let (port, ca, log, server) = serve(1, |_, tag, cmd, c| {
        cmd.starts_with("AUTHENTICATE").then(|| {
            c.send(&format!("{tag} NO AUTHENTICATE failed."));
            Step::Next
        })
    });
    let cred = Arc::new(Numbered::default());
    let imap = client(port, &ca, cred.clone());
    let e = imap.status("INBOX").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
    assert!(e.hint().unwrap().contains("https://outlook.office365.com/.default"), "{e}");
    assert!(!e.to_string().contains("token1") && !e.to_string().contains("token2"), "no token in {e}");
    drop(imap);
    server.join().unwrap();
    let auths: Vec<String> = log.lock().unwrap().iter().filter(|l| l.contains("AUTHENTICATE")).cloned().collect();
    assert_eq!(auths.len(), 2, "one retry with a fresh token: {auths:?}");
    assert!(auths.iter().all(|a| a.starts_with("0 AUTHENTICATE XOAUTH2 ")), "SASL-IR on one line: {auths:?}");
    assert_eq!(cred.issued.lock().unwrap().len(), 2);
}

#[test]
fn throttling_is_reported_with_the_suggested_backoff() {
    let (port, ca, _, server) = serve(1, |_, tag, cmd, c| {
        cmd.starts_with("UID SEARCH").then(|| {
            c.send(&format!("{tag} NO Request is throttled. Suggested Backoff Time: 2500 milliseconds"));
            Step::Next
        })
    });
    let imap = client(port, &ca, token("t"));
    let e = imap.search("INBOX", &SearchQuery::new()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Throttled, "{e}");
    assert_eq!(e.retry_after(), Some(Duration::from_millis(2500)));
    imap.close();
    server.join().unwrap();
}

#[test]
fn access_token_expired_bye_reconnects_with_a_fresh_token_and_reselects() {
    // Connection 0: Exchange invalidates the session when asked to search.
    // Connection 1: everything works.
    let (port, ca, log, server) = serve(2, |n, tag, cmd, c| {
        if n == 0 && cmd.starts_with("UID SEARCH") {
            c.send("* BYE Session invalidated - AccessTokenExpired");
            return Some(Step::Hangup);
        }
        cmd.starts_with("UID SEARCH").then(|| {
            c.send("* SEARCH 1 2 3");
            c.send(&format!("{tag} OK SEARCH completed."));
            Step::Next
        })
    });
    let cred = Arc::new(Numbered::default());
    let imap = client(port, &ca, cred.clone());
    assert_eq!(imap.search("INBOX", &SearchQuery::new()).unwrap(), vec![1, 2, 3]);
    assert_eq!(imap.stats().connections, 2);
    imap.close();
    server.join().unwrap();
    let log = log.lock().unwrap().clone();
    let second_auth = log.iter().find(|l| l.starts_with("1 AUTHENTICATE")).expect("re-authenticated");
    assert!(
        second_auth.ends_with(&b64("shared@contoso.test", "token2")),
        "fresh token after AccessTokenExpired: {log:?}"
    );
    assert!(log.iter().any(|l| l.starts_with("1 EXAMINE \"INBOX\"")), "folder reselected: {log:?}");
}

#[test]
fn bye_between_commands_is_noticed_before_the_next_one() {
    // The server says BYE on its own after the first command, as Exchange does when the token expires while idle.
    let (port, ca, log, server) = serve(2, |n, tag, cmd, c| {
        if n == 0 && cmd.starts_with("UID SEARCH") {
            c.send("* SEARCH 7");
            c.send(&format!("{tag} OK SEARCH completed."));
            c.send("* BYE Session invalidated - AccessTokenExpired");
            return Some(Step::Hangup);
        }
        cmd.starts_with("APPEND").then(|| {
            c.send(&format!("{tag} OK [APPENDUID 14 9] APPEND completed."));
            Step::Next
        })
    });
    let cred = Arc::new(Numbered::default());
    let imap = client(port, &ca, cred.clone());
    assert_eq!(imap.search("INBOX", &SearchQuery::new()).unwrap(), vec![7]);
    std::thread::sleep(Duration::from_millis(200));
    // A state-changing command goes to a new session: the old one was gone before it was sent.
    assert_eq!(imap.append("Sent", b"Subject: x\r\n\r\ny\r\n", &[], None).unwrap(), Some(9));
    imap.close();
    server.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert_eq!(log.iter().filter(|l| l.contains("APPEND")).count(), 1, "{log:?}");
    assert!(log.iter().any(|l| l.starts_with("1 APPEND")), "{log:?}");
    assert_eq!(cred.issued.lock().unwrap().len(), 2, "fresh token for the new session");
}

#[test]
fn a_state_changing_command_cut_off_midway_is_reported_not_repeated() {
    let (port, ca, log, server) = serve(2, |_, _, cmd, _| cmd.starts_with("UID MOVE").then_some(Step::Hangup));
    let imap = client(port, &ca, token("t"));
    imap.select("INBOX").unwrap();
    let e = imap.move_messages(&[1, 2], "Archive").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Network, "{e}");
    assert!(e.message_text().contains("not repeated"), "{e}");
    assert!(e.hint().is_some());
    // The client stays usable: the next call opens a new session.
    imap.select("INBOX").unwrap();
    imap.close();
    server.join().unwrap();
    let log = log.lock().unwrap().clone();
    assert_eq!(log.iter().filter(|l| l.contains("UID MOVE")).count(), 1, "never sent twice: {log:?}");
}

#[test]
fn a_read_cut_off_midway_is_repeated_on_a_new_session() {
    let (port, ca, _, server) = serve(2, |n, tag, cmd, c| {
        if !cmd.starts_with("UID SEARCH") {
            return None;
        }
        if n == 0 {
            return Some(Step::Hangup);
        }
        c.send("* SEARCH 5");
        c.send(&format!("{tag} OK SEARCH completed."));
        Some(Step::Next)
    });
    let imap = client(port, &ca, token("t"));
    assert_eq!(imap.search("INBOX", &SearchQuery::new()).unwrap(), vec![5]);
    imap.close();
    server.join().unwrap();
}

#[test]
fn without_sasl_ir_the_response_follows_the_continuation() {
    let responses = Arc::new(Mutex::new(Vec::new()));
    let seen = responses.clone();
    let (port, ca, log, server) = serve(1, move |_, tag, cmd, c| match cmd {
        "CAPABILITY" => {
            c.send("* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 AUTH=OAUTHBEARER");
            c.send(&format!("{tag} OK CAPABILITY completed."));
            Some(Step::Next)
        }
        _ if cmd.starts_with("AUTHENTICATE") => {
            c.send("+ ");
            seen.lock().unwrap().push(c.line());
            c.send(&format!("{tag} OK AUTHENTICATE completed."));
            Some(Step::Next)
        }
        _ => None,
    });
    let imap = client(port, &ca, token("tok"));
    imap.connect().unwrap();
    imap.close();
    server.join().unwrap();
    let log = log.lock().unwrap().clone();
    // Both offered: OAUTHBEARER (the standard) is chosen, sent without SASL-IR.
    assert!(log.contains(&"0 AUTHENTICATE OAUTHBEARER".to_owned()), "{log:?}");
    use base64::Engine as _;
    let sent = base64::engine::general_purpose::STANDARD.decode(&responses.lock().unwrap()[0]).unwrap();
    assert_eq!(
        sent,
        b"n,a=shared@contoso.test,\x01host=127.0.0.1\x01port="
            .iter()
            .copied()
            .chain(format!("{port}\x01auth=Bearer tok\x01\x01").into_bytes())
            .collect::<Vec<u8>>()
    );
}

#[test]
fn a_huge_announced_literal_is_an_error_not_an_allocation() {
    let (port, ca, _, server) = serve(2, |_, _, cmd, c| {
        if cmd.starts_with("UID FETCH") {
            c.send("* 1 FETCH (UID 1 BODY[] {99999999999}");
            return Some(Step::Hangup);
        }
        cmd.starts_with("LIST").then(|| {
            c.send("* LIST () \"/\" {99999999999}");
            Some(Step::Hangup)
        })?
    });
    let imap = client(port, &ca, token("t"));
    imap.examine("INBOX").unwrap();
    let e = imap.fetch_message(1).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Protocol, "{e}");
    assert!(e.hint().unwrap().contains("fetch_message_to"));
    assert_eq!(imap.list_folders().unwrap_err().kind(), ErrorKind::Protocol);
    drop(imap);
    server.join().unwrap();
}

fn b64(user: &str, token: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}
