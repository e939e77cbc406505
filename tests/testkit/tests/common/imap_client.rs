//! A line-level IMAP client for the IMAP tests (so every response can be checked).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oauthmail_testkit::TestKit;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

use super::smtp_client::Stream;

pub fn tls_wrap(kit: &TestKit, tcp: TcpStream) -> Stream {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(kit.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let conn = rustls::ClientConnection::new(Arc::new(config), ServerName::try_from("127.0.0.1").unwrap()).unwrap();
    Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

pub fn xoauth2(user: &str, token: &str) -> String {
    STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"))
}

pub fn oauthbearer(user: &str, token: &str) -> String {
    STANDARD.encode(format!("n,a={user},\x01host=127.0.0.1\x01port=993\x01auth=Bearer {token}\x01\x01"))
}

pub struct Imap {
    pub reader: BufReader<Stream>,
    next: u32,
}

/// The untagged responses and the tagged completion of one command.
pub struct Reply {
    pub untagged: Vec<String>,
    pub done: String,
}

impl Reply {
    pub fn ok(&self) -> bool {
        self.done.split(' ').nth(1) == Some("OK")
    }
    pub fn all(&self) -> String {
        self.untagged.join("\n")
    }
    /// The untagged responses starting with `prefix`.
    pub fn lines(&self, prefix: &str) -> Vec<&str> {
        self.untagged.iter().filter(|l| l.starts_with(prefix)).map(String::as_str).collect()
    }
}

impl Imap {
    /// Connects to the STARTTLS port (plain) or the implicit TLS port; returns the greeting too.
    pub fn connect(kit: &TestKit, implicit_tls: bool) -> (Imap, String) {
        let port = if implicit_tls { kit.imap_tls_port() } else { kit.imap_starttls_port() };
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let stream = if implicit_tls { tls_wrap(kit, tcp) } else { Stream::Plain(tcp) };
        let mut imap = Imap { reader: BufReader::new(stream), next: 1 };
        let greeting = imap.response().expect("greeting");
        assert!(greeting.starts_with("* OK"), "{greeting}");
        (imap, greeting)
    }

    /// Implicit TLS and AUTHENTICATE XOAUTH2 with SASL-IR; panics unless it is accepted.
    pub fn login(kit: &TestKit, user: &str, token: &str) -> Imap {
        let (mut imap, _) = Imap::connect(kit, true);
        let r = imap.cmd(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2(user, token)));
        assert!(r.ok(), "{}", r.done);
        imap
    }

    /// One response: a line plus the literals it announces (CRLFs kept inside, not at the end).
    /// None when the server closed the connection.
    pub fn response(&mut self) -> Option<String> {
        let mut out = Vec::new();
        loop {
            let mut line = Vec::new();
            if self.reader.read_until(b'\n', &mut line).unwrap_or(0) == 0 {
                return None;
            }
            let trimmed = line.strip_suffix(b"\r\n").unwrap_or(&line).to_vec();
            out.extend_from_slice(&trimmed);
            let text = String::from_utf8_lossy(&trimmed).into_owned();
            let n = text.strip_suffix('}').and_then(|t| t.rsplit_once('{')).and_then(|(_, n)| n.parse::<usize>().ok());
            let Some(n) = n else { break };
            out.extend_from_slice(b"\r\n");
            let mut literal = vec![0; n];
            if self.reader.read_exact(&mut literal).is_err() {
                return None;
            }
            out.extend_from_slice(&literal);
        }
        Some(String::from_utf8_lossy(&out).into_owned())
    }

    pub fn send_raw(&mut self, data: &[u8]) {
        let w = self.reader.get_mut();
        let _ = w.write_all(data);
        let _ = w.flush();
    }

    pub fn next_tag(&mut self) -> String {
        let tag = format!("t{}", self.next);
        self.next += 1;
        tag
    }

    /// Reads responses until the one tagged `tag`.
    pub fn until(&mut self, tag: &str) -> Option<Reply> {
        let mut untagged = Vec::new();
        loop {
            let line = self.response()?;
            if line.starts_with(&format!("{tag} ")) {
                return Some(Reply { untagged, done: line });
            }
            untagged.push(line);
        }
    }

    /// Sends a tagged command and reads its responses; panics if the connection closes.
    pub fn cmd(&mut self, text: &str) -> Reply {
        self.try_cmd(text).unwrap_or_else(|| panic!("connection closed during {text}"))
    }

    pub fn try_cmd(&mut self, text: &str) -> Option<Reply> {
        let tag = self.next_tag();
        self.send_raw(format!("{tag} {text}\r\n").as_bytes());
        self.until(&tag)
    }

    pub fn starttls(&mut self, kit: &TestKit) {
        let r = self.cmd("STARTTLS");
        assert!(r.ok(), "{}", r.done);
        let Stream::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Stream::Gone) else { panic!("already TLS") };
        self.reader = BufReader::new(tls_wrap(kit, tcp));
    }
}
