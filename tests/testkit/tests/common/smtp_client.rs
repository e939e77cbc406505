//! A line-level SMTP client for the SMTP tests (so every reply can be checked).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use oauthmail_testkit::TestKit;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};

pub enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
    Gone,
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(s) => s.read(buf),
            Stream::Gone => Ok(0),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
            Stream::Gone => Ok(0),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
            Stream::Gone => Ok(()),
        }
    }
}

fn tls_config(kit: &TestKit) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(kit.ca_pem().as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    Arc::new(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

fn wrap(kit: &TestKit, tcp: TcpStream) -> Stream {
    let conn = rustls::ClientConnection::new(tls_config(kit), ServerName::try_from("127.0.0.1").unwrap()).unwrap();
    Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp)))
}

pub struct Smtp {
    reader: BufReader<Stream>,
}

impl Smtp {
    /// Connects to the STARTTLS port (plain) or the implicit TLS port; reads the greeting.
    pub fn connect(kit: &TestKit, implicit_tls: bool) -> Smtp {
        let port = if implicit_tls { kit.smtp_tls_port() } else { kit.smtp_starttls_port() };
        let tcp = TcpStream::connect(("127.0.0.1", port)).unwrap();
        tcp.set_read_timeout(Some(std::time::Duration::from_secs(20))).unwrap();
        let stream = if implicit_tls { wrap(kit, tcp) } else { Stream::Plain(tcp) };
        let mut smtp = Smtp { reader: BufReader::new(stream) };
        let (code, text) = smtp.reply().unwrap();
        assert_eq!(code, 220, "{text}");
        smtp
    }

    /// One reply: (code, all lines joined by '\n'); None if the server closed the connection.
    pub fn reply(&mut self) -> Option<(u16, String)> {
        let mut lines = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).unwrap_or(0) == 0 {
                return None;
            }
            let line = line.trim_end().to_string();
            let last = line.as_bytes().get(3) != Some(&b'-');
            lines.push(line);
            if last {
                break;
            }
        }
        let code = lines[0][..3].parse().unwrap();
        Some((code, lines.join("\n")))
    }

    pub fn send_line(&mut self, line: &str) {
        let w = self.reader.get_mut();
        let _ = w.write_all(format!("{line}\r\n").as_bytes());
        let _ = w.flush();
    }

    pub fn cmd(&mut self, line: &str) -> (u16, String) {
        self.send_line(line);
        self.reply().expect("server closed the connection")
    }

    pub fn starttls(&mut self, kit: &TestKit) {
        assert_eq!(self.cmd("STARTTLS").0, 220);
        let Stream::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Stream::Gone) else { panic!("already TLS") };
        self.reader = BufReader::new(wrap(kit, tcp));
    }

    /// EHLO + STARTTLS + EHLO on the submission port.
    pub fn secure(kit: &TestKit) -> Smtp {
        let mut smtp = Smtp::connect(kit, false);
        assert_eq!(smtp.cmd("EHLO client").0, 250);
        smtp.starttls(kit);
        assert_eq!(smtp.cmd("EHLO client").0, 250);
        smtp
    }

    pub fn xoauth2(&mut self, user: &str, token: &str) -> (u16, String) {
        let ir = STANDARD.encode(format!("user={user}\x01auth=Bearer {token}\x01\x01"));
        self.cmd(&format!("AUTH XOAUTH2 {ir}"))
    }

    pub fn oauthbearer(&mut self, user: &str, token: &str) -> (u16, String) {
        let ir = STANDARD.encode(format!("n,a={user},\x01host=127.0.0.1\x01port=587\x01auth=Bearer {token}\x01\x01"));
        self.cmd(&format!("AUTH OAUTHBEARER {ir}"))
    }

    /// MAIL, RCPT (all must be accepted), DATA; returns the reply to the final dot.
    pub fn send(&mut self, from: &str, to: &[&str], message: &str) -> (u16, String) {
        let (code, text) = self.cmd(&format!("MAIL FROM:<{from}>"));
        if code != 250 {
            return (code, text);
        }
        for rcpt in to {
            assert_eq!(self.cmd(&format!("RCPT TO:<{rcpt}>")).0, 250);
        }
        assert_eq!(self.cmd("DATA").0, 354);
        let mut body = String::new();
        for line in message.split("\r\n") {
            if line.starts_with('.') {
                body.push('.');
            }
            body.push_str(line);
            body.push_str("\r\n");
        }
        body.push_str(".\r\n");
        let w = self.reader.get_mut();
        w.write_all(body.as_bytes()).unwrap();
        w.flush().unwrap();
        self.reply().expect("no reply to DATA")
    }
}
