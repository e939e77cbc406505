//! TLS failures are refused before anything secret leaves: an untrusted CA, a certificate for
//! another host name, an expired certificate, a server that offers only TLS 1.0/1.1, and
//! STARTTLS stripping (not offered, or answered with an error). Each ends in an error of kind
//! `Tls`, and the server's own record shows that no AUTH line and no token reached it.

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use common::{TestKit, fixture, start_kit, trust};
use oauthmail::imap::{ImapClient, ImapConfig};
use oauthmail::pop3::{Pop3Client, Pop3Config};
use oauthmail::tls::TlsTrust;
use oauthmail::{
    ErrorKind, GraphConfig, GraphMailClient, Message, Security, SmtpClient, SmtpConfig, StaticTokenCredential,
    TokenCredential,
};
use oauthmail_testkit::{BadCertificate, RogueProtocol, RogueTls, TokenRequest};

const ALICE: &str = fixture::ALICE;

/// A real token of the kit, so a leak would be a usable credential (and recognisable).
fn token(kit: &TestKit) -> (String, Arc<dyn TokenCredential>) {
    let token = kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp", "IMAP.AccessAsApp", "POP.AccessAsApp"]));
    (token.clone(), Arc::new(StaticTokenCredential::new(token, None).unwrap()))
}

/// Runs one client call of `protocol` against `port` and returns its error.
fn attempt(
    protocol: RogueProtocol,
    port: u16,
    security: Security,
    ca: TlsTrust,
    cred: Arc<dyn TokenCredential>,
) -> oauthmail::Error {
    let timeout = Duration::from_secs(10);
    let result = match protocol {
        RogueProtocol::Smtp => {
            let mut c = SmtpConfig::new("127.0.0.1", port, ALICE);
            (c.security, c.ca, c.timeout) = (Some(security), ca, timeout);
            let message = Message::new().from(ALICE).to(fixture::BOB).subject("must not leave").text("x");
            SmtpClient::new(c, cred).unwrap().send(&message).map(drop)
        }
        RogueProtocol::Imap => {
            let mut c = ImapConfig::new("127.0.0.1", port, ALICE);
            (c.security, c.ca, c.timeout) = (Some(security), ca, timeout);
            ImapClient::new(c, cred).unwrap().connect()
        }
        RogueProtocol::Pop3 => {
            let mut c = Pop3Config::new("127.0.0.1", port, ALICE);
            (c.security, c.ca, c.timeout) = (Some(security), ca, timeout);
            Pop3Client::new(c, cred).unwrap().connect()
        }
    };
    result.expect_err("a broken TLS setup must not work")
}

const PROTOCOLS: [RogueProtocol; 3] = [RogueProtocol::Smtp, RogueProtocol::Imap, RogueProtocol::Pop3];

#[test]
fn bad_certificates_and_stripped_starttls_fail_before_auth() {
    let kit = start_kit();
    let (secret, cred) = token(&kit);
    let bad = [BadCertificate::WrongHost, BadCertificate::Expired, BadCertificate::UnknownCa];
    let mut variants: Vec<RogueTls> =
        bad.iter().flat_map(|&b| [RogueTls::Implicit(b), RogueTls::StartTls(b)]).collect();
    variants.extend([RogueTls::NoStartTls, RogueTls::StartTlsRefused]);
    let mut failures = Vec::new();
    for protocol in PROTOCOLS {
        for &tls in &variants {
            let rogue = kit.rogue_server(protocol, tls).unwrap();
            let security = if matches!(tls, RogueTls::Implicit(_)) { Security::Tls } else { Security::StartTls };
            let e = attempt(protocol, rogue.port(), security, trust(&kit), cred.clone());
            let lines = rogue.lines();
            if e.kind() != ErrorKind::Tls {
                failures.push(format!("{protocol:?} {tls:?}: kind {:?}: {e}", e.kind()));
            }
            if rogue.saw_credentials() || lines.iter().any(|l| l.contains(&secret[..20])) {
                failures.push(format!("{protocol:?} {tls:?}: credentials reached the server: {lines:?}"));
            }
            // Where STARTTLS is offered, the client really asked this server for it.
            if matches!(tls, RogueTls::StartTls(_) | RogueTls::StartTlsRefused) && lines.is_empty() {
                failures.push(format!("{protocol:?} {tls:?}: the client never spoke"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_kits_servers_are_refused_without_its_ca() {
    let kit = start_kit();
    let (_, cred) = token(&kit);
    let ports = [
        (RogueProtocol::Smtp, kit.smtp_starttls_port(), Security::StartTls),
        (RogueProtocol::Smtp, kit.smtp_tls_port(), Security::Tls),
        (RogueProtocol::Imap, kit.imap_starttls_port(), Security::StartTls),
        (RogueProtocol::Imap, kit.imap_tls_port(), Security::Tls),
        (RogueProtocol::Pop3, kit.pop3_starttls_port(), Security::StartTls),
        (RogueProtocol::Pop3, kit.pop3_tls_port(), Security::Tls),
    ];
    for (protocol, port, security) in ports {
        let e = attempt(protocol, port, security, TlsTrust::system(), cred.clone());
        assert_eq!(e.kind(), ErrorKind::Tls, "{protocol:?} {security:?}: {e}");
    }
    let mut graph = GraphConfig::new(ALICE);
    graph.base_url = kit.graph_url();
    let e = GraphMailClient::new(graph, cred)
        .unwrap()
        .send(&Message::new().from(ALICE).to(fixture::BOB).subject("x").text("x"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "Graph: {e}");
    assert_eq!(kit.smtp_stats().auth_attempts, 0);
    assert_eq!(kit.imap_stats().auth_attempts, 0);
    assert_eq!(kit.pop3_stats().auth_attempts, 0);
    assert_eq!(kit.graph_messages_sent(), 0);
    assert!(kit.requests().iter().all(|r| !r.path.contains("sendMail")), "no Graph request was made");
}

/// `openssl s_server` offering one old protocol version, printing what it receives.
struct OldTlsServer {
    child: Child,
    port: u16,
    reader: std::thread::JoinHandle<String>,
}

impl OldTlsServer {
    fn start(version_flag: &str, cert: &std::path::Path, key: &std::path::Path) -> Option<OldTlsServer> {
        let mut child = Command::new("openssl")
            .args(["s_server", "-accept", "127.0.0.1:0", version_flag, "-cipher", "DEFAULT:@SECLEVEL=0"])
            .arg("-cert")
            .arg(cert)
            .arg("-key")
            .arg(key)
            .stdin(Stdio::piped()) // s_server quits when its stdin closes
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let mut stdout = BufReader::new(child.stdout.take()?);
        let mut port = None;
        let mut line = String::new();
        while port.is_none() && stdout.read_line(&mut line).ok()? > 0 {
            port = line.trim().strip_prefix("ACCEPT ").and_then(|a| a.rsplit(':').next()).and_then(|p| p.parse().ok());
            line.clear();
        }
        let reader = std::thread::spawn(move || {
            let mut received = Vec::new();
            let _ = stdout.read_to_end(&mut received);
            String::from_utf8_lossy(&received).into_owned()
        });
        match port {
            Some(port) => Some(OldTlsServer { child, port, reader }),
            None => {
                let _ = child.kill();
                None
            }
        }
    }

    /// Stops the server and returns everything it printed after starting (received data included).
    fn finish(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.reader.join().unwrap_or_default()
    }

    /// Whether openssl's own client completes a handshake at this version (the control).
    fn handshake_works(&self, version_flag: &str) -> bool {
        Command::new("openssl")
            .args(["s_client", "-connect", &format!("127.0.0.1:{}", self.port), version_flag])
            .args(["-cipher", "DEFAULT:@SECLEVEL=0"])
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("Cipher is ECDHE"))
            .unwrap_or(false)
    }
}

#[test]
fn servers_offering_only_tls_1_0_or_1_1_are_refused() {
    if Command::new("openssl").arg("version").output().is_err() {
        eprintln!("SKIPPED: openssl is not installed, so no TLS 1.0/1.1 server can be started");
        return;
    }
    // A certificate the client trusts for 127.0.0.1: only the protocol version is wrong.
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::default();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap().signed_by(&key, &issuer).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, cert.pem()).unwrap();
    std::fs::write(&key_path, key.serialize_pem()).unwrap();
    let ca = TlsTrust::with_pem(ca_cert.pem().as_bytes()).unwrap();
    let secret = "eyJold-tls-token-must-not-leave";
    let cred: Arc<dyn TokenCredential> = Arc::new(StaticTokenCredential::new(secret, None).unwrap());

    for flag in ["-tls1", "-tls1_1"] {
        let Some(server) = OldTlsServer::start(flag, &cert_path, &key_path) else {
            eprintln!("SKIPPED {flag}: openssl s_server could not start");
            continue;
        };
        if !server.handshake_works(flag) {
            server.finish();
            eprintln!("SKIPPED {flag}: this openssl cannot offer {flag} even at SECLEVEL=0");
            continue;
        }
        for protocol in PROTOCOLS {
            let e = attempt(protocol, server.port, Security::Tls, ca.clone(), cred.clone());
            assert_eq!(e.kind(), ErrorKind::Tls, "{protocol:?} {flag}: {e}");
        }
        let received = server.finish();
        assert!(!received.contains("AUTH") && !received.contains(secret), "{flag}: {received}");
    }
}
