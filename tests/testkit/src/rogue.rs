//! Servers that get TLS wrong on purpose, so clients can prove they send nothing secret before
//! TLS is verified: a certificate for another host name, an expired one, one from a CA nobody
//! trusts, STARTTLS not offered (stripped by a man in the middle) or answered with an error.
//! Each speaks just enough SMTP, IMAP or POP3 to take a login if a client sent one (AUTH is
//! offered in the clear), and records every line it receives, before and after TLS.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};

use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::listener::{Listener, bind_loopback};
use crate::pki::BadCertificates;

/// The protocol a `RogueServer` speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RogueProtocol {
    Smtp,
    Imap,
    Pop3,
}

/// How a certificate is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadCertificate {
    /// Signed by the kit's CA, but for `mail.wrong-host.test`, not `127.0.0.1`/`localhost`.
    WrongHost,
    /// Signed by the kit's CA for `127.0.0.1`/`localhost`, expired on 2021-01-01.
    Expired,
    /// For `127.0.0.1`/`localhost`, signed by a CA that is not the kit's.
    UnknownCa,
}

/// What the server does wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RogueTls {
    /// Implicit TLS (the SMTPS/IMAPS/POP3S ports) with a bad certificate.
    Implicit(BadCertificate),
    /// STARTTLS/STLS offered and accepted, then a bad certificate.
    StartTls(BadCertificate),
    /// STARTTLS/STLS never offered; AUTH offered in the clear.
    NoStartTls,
    /// STARTTLS/STLS offered, but answered with an error.
    StartTlsRefused,
}

/// A rogue server on 127.0.0.1; dropping it stops accepting.
pub struct RogueServer {
    port: u16,
    lines: Arc<Mutex<Vec<String>>>,
    _listener: Listener,
}

impl RogueServer {
    pub(crate) fn start(protocol: RogueProtocol, tls: RogueTls, certs: BadCertificates) -> io::Result<RogueServer> {
        let socket = bind_loopback()?;
        let port = socket.local_addr()?.port();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let seen = lines.clone();
        let listener = Listener::spawn(
            socket,
            "rogue",
            Arc::new(move |tcp| {
                let mut conn = Conn { protocol, tls, certs: &certs, lines: &seen, secure: false };
                let _ = conn.serve(tcp);
            }),
        )?;
        Ok(RogueServer { port, lines, _listener: listener })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every line received, in order, on every connection.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Whether any received line was a login command (AUTH, AUTHENTICATE, LOGIN, USER, PASS) or
    /// looked like a SASL XOAUTH2/OAUTHBEARER response or a JWT.
    pub fn saw_credentials(&self) -> bool {
        self.lines().iter().any(|line| {
            let words: Vec<String> = line.split_whitespace().take(2).map(str::to_ascii_uppercase).collect();
            let login = ["AUTH", "AUTHENTICATE", "LOGIN", "USER", "PASS"];
            let is_login = words.iter().any(|w| login.contains(&w.as_str()));
            // base64 of "user=" (XOAUTH2) and "n,a=" / "n,," (OAUTHBEARER), and a JWT's '{"'.
            is_login || ["dXNlcj0", "bixh", "biws", "eyJ"].iter().any(|m| line.contains(m))
        })
    }
}

enum Stream {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
}

impl Stream {
    /// Completes a TLS handshake with `config`; `None` if the client gave up (as it should).
    fn upgrade(self, config: Arc<ServerConfig>) -> Option<Stream> {
        let Stream::Plain(mut tcp) = self else { return None };
        let mut conn = ServerConnection::new(config).ok()?;
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).ok()?;
        }
        Some(Stream::Tls(Box::new(StreamOwned::new(conn, tcp))))
    }

    /// One line without its CRLF; `None` at end of stream.
    fn read_line(&mut self) -> Option<String> {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        loop {
            let n = match self {
                Stream::Plain(s) => s.read(&mut byte),
                Stream::Tls(s) => s.read(&mut byte),
            }
            .ok()?;
            if n == 0 {
                return (!line.is_empty()).then(|| String::from_utf8_lossy(&line).into_owned());
            }
            if byte[0] == b'\n' {
                return Some(String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(&line)).into_owned());
            }
            line.push(byte[0]);
        }
    }

    fn send(&mut self, text: &str) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(text.as_bytes()),
            Stream::Tls(s) => s.write_all(text.as_bytes()).and_then(|_| s.flush()),
        }
    }
}

/// What to do after a command.
enum Reply {
    Send(String),
    /// Send, then start TLS.
    Upgrade(String),
    /// Send, then close.
    Close(String),
}

struct Conn<'a> {
    protocol: RogueProtocol,
    tls: RogueTls,
    certs: &'a BadCertificates,
    lines: &'a Mutex<Vec<String>>,
    secure: bool,
}

impl Conn<'_> {
    fn certificate(&self) -> Option<Arc<ServerConfig>> {
        let bad = match self.tls {
            RogueTls::Implicit(c) | RogueTls::StartTls(c) => c,
            RogueTls::NoStartTls | RogueTls::StartTlsRefused => return None,
        };
        Some(match bad {
            BadCertificate::WrongHost => self.certs.wrong_host.clone(),
            BadCertificate::Expired => self.certs.expired.clone(),
            BadCertificate::UnknownCa => self.certs.unknown_ca.clone(),
        })
    }

    fn serve(&mut self, tcp: TcpStream) -> io::Result<()> {
        let mut stream = Stream::Plain(tcp);
        if let RogueTls::Implicit(_) = self.tls {
            let Some(tls) = self.certificate().and_then(|c| stream.upgrade(c)) else { return Ok(()) };
            stream = tls;
            self.secure = true;
        }
        stream.send(&self.greeting())?;
        while let Some(line) = stream.read_line() {
            self.lines.lock().unwrap_or_else(|e| e.into_inner()).push(line.clone());
            match self.reply(&line) {
                Reply::Send(text) => stream.send(&text)?,
                Reply::Close(text) => return stream.send(&text),
                Reply::Upgrade(text) => {
                    stream.send(&text)?;
                    let Some(tls) = self.certificate().and_then(|c| stream.upgrade(c)) else { return Ok(()) };
                    stream = tls;
                    self.secure = true;
                }
            }
        }
        Ok(())
    }

    /// STARTTLS is advertised unless stripped, and only before TLS.
    fn offers_starttls(&self) -> bool {
        !self.secure && self.tls != RogueTls::NoStartTls
    }

    fn imap_capabilities(&self) -> String {
        let starttls = if self.offers_starttls() { " STARTTLS" } else { "" };
        format!("IMAP4rev1 SASL-IR{starttls} AUTH=XOAUTH2 AUTH=OAUTHBEARER")
    }

    fn greeting(&self) -> String {
        match self.protocol {
            RogueProtocol::Smtp => "220 rogue.test ESMTP ready\r\n".into(),
            RogueProtocol::Imap => format!("* OK [CAPABILITY {}] rogue IMAP ready\r\n", self.imap_capabilities()),
            RogueProtocol::Pop3 => "+OK rogue POP3 ready\r\n".into(),
        }
    }

    /// The answer to STARTTLS/STLS: `ok` and an upgrade, or this rogue's refusal.
    fn starttls(&self, ok: &str, refused: &str, unknown: &str) -> Reply {
        match self.tls {
            _ if self.secure => Reply::Send(unknown.into()),
            RogueTls::StartTls(_) => Reply::Upgrade(ok.into()),
            RogueTls::StartTlsRefused => Reply::Send(refused.into()),
            RogueTls::NoStartTls | RogueTls::Implicit(_) => Reply::Send(unknown.into()),
        }
    }

    fn reply(&self, line: &str) -> Reply {
        match self.protocol {
            RogueProtocol::Smtp => self.smtp(line),
            RogueProtocol::Imap => self.imap(line),
            RogueProtocol::Pop3 => self.pop3(line),
        }
    }

    fn smtp(&self, line: &str) -> Reply {
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" => {
                let starttls = if self.offers_starttls() { "250-STARTTLS\r\n" } else { "" };
                Reply::Send(format!("250-rogue.test\r\n{starttls}250-AUTH XOAUTH2 OAUTHBEARER\r\n250 8BITMIME\r\n"))
            }
            "HELO" => Reply::Send("250 rogue.test\r\n".into()),
            "STARTTLS" => self.starttls(
                "220 2.0.0 Ready to start TLS\r\n",
                "454 4.7.0 TLS not available due to local problem\r\n",
                "502 5.5.1 Unrecognized command\r\n",
            ),
            "AUTH" => Reply::Send("535 5.7.3 Authentication unsuccessful\r\n".into()),
            "QUIT" => Reply::Close("221 2.0.0 Bye\r\n".into()),
            "DATA" => Reply::Send("554 5.7.0 No\r\n".into()),
            _ => Reply::Send("250 2.0.0 OK\r\n".into()),
        }
    }

    fn imap(&self, line: &str) -> Reply {
        let mut words = line.split_whitespace();
        let tag = words.next().unwrap_or("*");
        let command = words.next().unwrap_or("").to_ascii_uppercase();
        match command.as_str() {
            "CAPABILITY" => {
                Reply::Send(format!("* CAPABILITY {}\r\n{tag} OK CAPABILITY completed.\r\n", self.imap_capabilities()))
            }
            "STARTTLS" => self.starttls(
                &format!("{tag} OK Begin TLS negotiation now.\r\n"),
                &format!("{tag} NO [UNAVAILABLE] STARTTLS failed.\r\n"),
                &format!("{tag} BAD Command Error. 12\r\n"),
            ),
            "AUTHENTICATE" | "LOGIN" => Reply::Send(format!("{tag} NO AUTHENTICATE failed.\r\n")),
            "LOGOUT" => Reply::Close(format!("* BYE rogue closing\r\n{tag} OK LOGOUT completed.\r\n")),
            _ => Reply::Send(format!("{tag} OK done.\r\n")),
        }
    }

    fn pop3(&self, line: &str) -> Reply {
        let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
        match verb.as_str() {
            "CAPA" => {
                let stls = if self.offers_starttls() { "STLS\r\n" } else { "" };
                Reply::Send(format!("+OK\r\nUSER\r\nSASL XOAUTH2 OAUTHBEARER\r\n{stls}.\r\n"))
            }
            "STLS" => {
                self.starttls("+OK Begin TLS negotiation\r\n", "-ERR TLS not available\r\n", "-ERR Unknown command\r\n")
            }
            "AUTH" | "USER" | "PASS" => Reply::Send("-ERR Authentication failure\r\n".into()),
            "QUIT" => Reply::Close("+OK bye\r\n".into()),
            _ => Reply::Send("+OK\r\n".into()),
        }
    }
}
