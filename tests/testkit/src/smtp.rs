//! SMTP submission server (STARTTLS and implicit TLS) with AUTH XOAUTH2 / OAUTHBEARER,
//! answering with Exchange Online's replies, and storing accepted mail in the `MailStore`.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::faults::FaultQueue;
use crate::kit::Shared;
use crate::sasl::{self, Mechanism};
use crate::store::INBOX;
use crate::util::random_bytes;

const HOST: &str = "testkit";
const MAX_MESSAGE: usize = 35 * 1024 * 1024;
const MAX_COMMAND_LINE: usize = 16 * 1024;
const MAX_RECIPIENTS: usize = 500;
const MAX_DATA_LINE: u64 = 1024 * 1024;

/// Faults of the SMTP server, each consumed where it applies (count-limited, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SmtpFault {
    /// At AUTH: `535 5.7.139 … SmtpClientAuthentication is disabled for the Tenant …`.
    AuthDisabled,
    /// At AUTH: `535 5.7.3 Authentication unsuccessful`.
    AuthUnsuccessful,
    /// After DATA: `554 5.2.252 SendAsDenied; …`.
    SendAsDenied,
    /// At MAIL FROM: `451 4.7.500 Server busy. Please try again later.`.
    Throttle,
    /// At AUTH: the connection is closed as soon as the AUTH exchange is read, without a reply.
    DropAfterAuth,
    /// In DATA: the connection is closed after the first line of the message.
    DropMidData,
    /// At connect: every reply of that connection is delayed by this much.
    Slow(Duration),
}

impl SmtpFault {
    fn applies_at_auth(&self) -> bool {
        matches!(self, SmtpFault::AuthDisabled | SmtpFault::AuthUnsuccessful | SmtpFault::DropAfterAuth)
    }
}

/// One AUTH attempt, for tests that check why a token was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuthRecord {
    pub mechanism: String,
    pub user: String,
    pub success: bool,
    /// Why it failed (`token expired`, `app token lacks role SMTP.SendAsApp`, `fault AuthDisabled`, …).
    pub reason: Option<String>,
}

/// Counters of the SMTP server.
#[derive(Clone, Debug, Default)]
pub struct SmtpStats {
    pub connections: usize,
    pub auth_attempts: usize,
    pub auth_successes: usize,
    pub messages_accepted: usize,
    pub auth_log: Vec<AuthRecord>,
}

pub(crate) struct SmtpState {
    pub faults: FaultQueue<SmtpFault>,
    pub stats: Mutex<SmtpStats>,
}

impl SmtpState {
    pub fn new() -> SmtpState {
        SmtpState { faults: FaultQueue::new(), stats: Mutex::new(SmtpStats::default()) }
    }

    pub fn stats(&self) -> SmtpStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn update(&self, f: impl FnOnce(&mut SmtpStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

pub(crate) enum Conn {
    Plain(TcpStream),
    Tls(Box<StreamOwned<ServerConnection, TcpStream>>),
    Closed,
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.read(buf),
            Conn::Tls(s) => s.read(buf),
            Conn::Closed => Ok(0),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Conn::Plain(s) => s.write(buf),
            Conn::Tls(s) => s.write(buf),
            Conn::Closed => Err(io::ErrorKind::NotConnected.into()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Conn::Plain(s) => s.flush(),
            Conn::Tls(s) => s.flush(),
            Conn::Closed => Ok(()),
        }
    }
}

/// Serves one SMTP connection; `implicit_tls` for the SMTPS port.
pub(crate) fn serve(shared: &Shared, tls: Arc<ServerConfig>, tcp: TcpStream, implicit_tls: bool) {
    shared.smtp.update(|s| s.connections += 1);
    let conn = if implicit_tls {
        match ServerConnection::new(tls.clone()) {
            Ok(c) => Conn::Tls(Box::new(StreamOwned::new(c, tcp))),
            Err(_) => return,
        }
    } else {
        Conn::Plain(tcp)
    };
    let slow = shared.smtp.faults.take_if(|f| matches!(f, SmtpFault::Slow(_))).and_then(|f| match f {
        SmtpFault::Slow(d) => Some(d),
        _ => None,
    });
    let mut session = Session {
        shared,
        tls_config: tls,
        reader: BufReader::new(conn),
        tls: implicit_tls,
        greeted: false,
        mailbox: None,
        mail_from: None,
        recipients: Vec::new(),
        slow,
    };
    let _ = session.run();
    if let Conn::Tls(s) = session.reader.get_mut() {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
}

/// What the command loop does next.
enum Flow {
    Continue,
    Close,
}

struct Session<'a> {
    shared: &'a Shared,
    tls_config: Arc<ServerConfig>,
    reader: BufReader<Conn>,
    tls: bool,
    greeted: bool,
    /// The authenticated mailbox.
    mailbox: Option<String>,
    mail_from: Option<String>,
    recipients: Vec<String>,
    slow: Option<Duration>,
}

/// `<addr>` out of `FROM:<addr> PARAMS` / `TO:<addr>`; also returns the parameters.
fn parse_path<'a>(arg: &'a str, keyword: &str) -> Option<(String, &'a str)> {
    let rest = arg.get(keyword.len()..)?;
    if !arg[..keyword.len()].eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = rest.trim_start();
    let rest = rest.strip_prefix('<')?;
    let end = rest.find('>')?;
    Some((rest[..end].trim().to_string(), rest[end + 1..].trim()))
}

fn queue_id() -> String {
    let hex: String = random_bytes(10).iter().map(|b| format!("{b:02X}")).collect();
    format!("{hex}@{HOST}")
}

impl Session<'_> {
    fn reply(&mut self, text: &str) -> io::Result<()> {
        if let Some(delay) = self.slow {
            std::thread::sleep(delay);
        }
        let w = self.reader.get_mut();
        w.write_all(text.as_bytes())?;
        w.write_all(b"\r\n")?;
        w.flush()
    }

    /// One line without its CRLF; None at EOF.
    fn read_line(&mut self, max: usize) -> io::Result<Option<String>> {
        let mut line = Vec::new();
        let n = (&mut self.reader).take(max as u64 + 2).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(None);
        }
        if !line.ends_with(b"\n") {
            return Err(io::Error::new(io::ErrorKind::InvalidData, "line too long"));
        }
        while matches!(line.last(), Some(b'\n' | b'\r')) {
            line.pop();
        }
        Ok(Some(String::from_utf8_lossy(&line).into_owned()))
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.recipients.clear();
    }

    fn run(&mut self) -> io::Result<()> {
        self.reply(&format!("220 {HOST} Microsoft ESMTP MAIL Service ready (oauthmail testkit)"))?;
        while let Some(line) = self.read_line(MAX_COMMAND_LINE)? {
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            let flow = match verb.as_str() {
                "EHLO" => self.ehlo(),
                "HELO" => {
                    self.greeted = true;
                    self.reset();
                    self.reply(&format!("250 {HOST} Hello [127.0.0.1]")).map(|()| Flow::Continue)
                }
                "STARTTLS" => self.starttls(),
                "AUTH" => self.auth(&arg),
                "MAIL" => self.mail(&arg),
                "RCPT" => self.rcpt(&arg),
                "DATA" => self.data(),
                "RSET" => {
                    self.reset();
                    self.reply("250 2.0.0 Resetting").map(|()| Flow::Continue)
                }
                "NOOP" => self.reply("250 2.0.0 OK").map(|()| Flow::Continue),
                "VRFY" => self.reply("252 2.1.5 Cannot VRFY user").map(|()| Flow::Continue),
                "QUIT" => {
                    self.reply("221 2.0.0 Service closing transmission channel")?;
                    Ok(Flow::Close)
                }
                _ => self.reply("500 5.3.3 Unrecognized command").map(|()| Flow::Continue),
            }?;
            if matches!(flow, Flow::Close) {
                break;
            }
        }
        Ok(())
    }

    fn ehlo(&mut self) -> io::Result<Flow> {
        self.greeted = true;
        self.reset();
        let mut lines = vec![
            format!("{HOST} Hello [127.0.0.1]"),
            format!("SIZE {MAX_MESSAGE}"),
            "PIPELINING".into(),
            "ENHANCEDSTATUSCODES".into(),
            "8BITMIME".into(),
            "SMTPUTF8".into(),
        ];
        if self.tls {
            lines.push("AUTH XOAUTH2 OAUTHBEARER".into());
        } else {
            lines.push("STARTTLS".into());
        }
        let last = lines.len() - 1;
        let text: Vec<String> =
            lines.iter().enumerate().map(|(i, l)| format!("250{}{l}", if i == last { ' ' } else { '-' })).collect();
        self.reply(&text.join("\r\n"))?;
        Ok(Flow::Continue)
    }

    fn starttls(&mut self) -> io::Result<Flow> {
        if self.tls {
            self.reply("503 5.5.1 Already in TLS")?;
            return Ok(Flow::Continue);
        }
        if !self.reader.buffer().is_empty() {
            // Commands pipelined after STARTTLS would be read as if they came over TLS.
            self.reply("554 5.5.1 Error: no commands allowed after STARTTLS")?;
            return Ok(Flow::Close);
        }
        self.reply("220 2.0.0 SMTP server ready")?;
        let Conn::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Conn::Closed) else {
            return Ok(Flow::Close);
        };
        let conn = ServerConnection::new(self.tls_config.clone()).map_err(io::Error::other)?;
        self.reader = BufReader::new(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))));
        self.tls = true;
        self.greeted = false;
        self.reset();
        Ok(Flow::Continue)
    }

    fn record_auth(&self, mechanism: Mechanism, user: &str, reason: Option<String>) {
        self.shared.smtp.update(|s| {
            if reason.is_none() {
                s.auth_successes += 1;
            }
            s.auth_log.push(AuthRecord {
                mechanism: mechanism.name().into(),
                user: user.into(),
                success: reason.is_none(),
                reason,
            });
        });
    }

    fn auth(&mut self, arg: &str) -> io::Result<Flow> {
        if !self.tls {
            self.reply("530 5.7.0 Must issue a STARTTLS command first")?;
            return Ok(Flow::Continue);
        }
        if !self.greeted {
            self.reply("503 5.5.1 Send hello first")?;
            return Ok(Flow::Continue);
        }
        if self.mailbox.is_some() {
            self.reply("503 5.5.1 Already authenticated")?;
            return Ok(Flow::Continue);
        }
        let mut parts = arg.split_whitespace();
        let Some(mechanism) = parts.next().and_then(Mechanism::parse) else {
            self.reply("504 5.7.4 Unrecognized authentication type")?;
            return Ok(Flow::Continue);
        };
        self.shared.smtp.update(|s| s.auth_attempts += 1);
        let initial = match parts.next() {
            Some("=") => String::new(),
            Some(ir) => ir.to_string(),
            None => {
                self.reply("334 ")?;
                match self.read_line(MAX_COMMAND_LINE)? {
                    Some(line) => line,
                    None => return Ok(Flow::Close),
                }
            }
        };
        if initial == "*" {
            self.reply("501 5.7.0 Authentication aborted")?;
            return Ok(Flow::Continue);
        }
        let Ok(decoded) = STANDARD.decode(initial.trim()) else {
            self.reply("501 5.5.2 Cannot Decode response")?;
            return Ok(Flow::Continue);
        };
        let bearer = sasl::parse(mechanism, &decoded);
        let user = bearer.as_ref().map_or(String::new(), |b| b.user.clone());
        match self.shared.smtp.faults.take_if(SmtpFault::applies_at_auth) {
            Some(SmtpFault::DropAfterAuth) => {
                self.record_auth(mechanism, &user, Some("fault DropAfterAuth".into()));
                return Ok(Flow::Close);
            }
            Some(SmtpFault::AuthDisabled) => {
                self.record_auth(mechanism, &user, Some("fault AuthDisabled".into()));
                self.reply(&format!(
                    "535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. \
                     Visit https://aka.ms/smtp_auth_disabled for more information. [Hostname={HOST}]"
                ))?;
                return Ok(Flow::Continue);
            }
            Some(_) => {
                self.record_auth(mechanism, &user, Some("fault AuthUnsuccessful".into()));
                self.reply(&format!("535 5.7.3 Authentication unsuccessful [Hostname={HOST}]"))?;
                return Ok(Flow::Continue);
            }
            None => {}
        }
        let result = match &bearer {
            Some(b) => sasl::authorize(self.shared.identity.key(), &sasl::SMTP, b, &|u| self.shared.is_mailbox(u)),
            None => Err("malformed SASL response".into()),
        };
        match result {
            Ok(mailbox) => {
                self.record_auth(mechanism, &user, None);
                self.mailbox = Some(mailbox);
                self.reply("235 2.7.0 Authentication successful")?;
            }
            Err(reason) => {
                self.record_auth(mechanism, &user, Some(reason));
                // Exchange first sends the error as a SASL challenge, then fails on the client's answer.
                self.reply(&format!("334 {}", mechanism.failure_challenge(sasl::SMTP.challenge_scope)))?;
                if self.read_line(MAX_COMMAND_LINE)?.is_none() {
                    return Ok(Flow::Close);
                }
                self.reply(&format!("535 5.7.3 Authentication unsuccessful [Hostname={HOST}]"))?;
            }
        }
        Ok(Flow::Continue)
    }

    fn mail(&mut self, arg: &str) -> io::Result<Flow> {
        let reply = if !self.tls {
            "530 5.7.0 Must issue a STARTTLS command first".to_string()
        } else if !self.greeted {
            "503 5.5.1 Send hello first".into()
        } else if self.mailbox.is_none() {
            format!("530 5.7.57 Client not authenticated to send mail. [Hostname={HOST}]")
        } else if self.mail_from.is_some() {
            "503 5.5.1 Sender already specified".into()
        } else {
            match parse_path(arg, "FROM:") {
                None => "501 5.5.4 Invalid arguments".into(),
                Some((from, params)) => {
                    let size = params
                        .split_whitespace()
                        .find_map(|p| p.strip_prefix("SIZE=").or(p.strip_prefix("size=")))
                        .and_then(|s| s.parse::<usize>().ok());
                    if size.is_some_and(|s| s > MAX_MESSAGE) {
                        "552 5.3.4 Message size exceeds fixed maximum message size".into()
                    } else if self.shared.smtp.faults.take_if(|f| *f == SmtpFault::Throttle).is_some() {
                        format!("451 4.7.500 Server busy. Please try again later. [Hostname={HOST}]")
                    } else {
                        self.mail_from = Some(from);
                        "250 2.1.0 Sender OK".into()
                    }
                }
            }
        };
        self.reply(&reply)?;
        Ok(Flow::Continue)
    }

    fn rcpt(&mut self, arg: &str) -> io::Result<Flow> {
        let reply = if self.mail_from.is_none() {
            "503 5.5.1 Need MAIL command".to_string()
        } else if self.recipients.len() >= MAX_RECIPIENTS {
            "452 4.5.3 Too many recipients".into()
        } else {
            match parse_path(arg, "TO:") {
                Some((to, _)) if !to.is_empty() => {
                    if self.shared.accepts_recipient(&to) {
                        self.recipients.push(to.to_ascii_lowercase());
                        "250 2.1.5 Recipient OK".into()
                    } else {
                        format!(
                            "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient {to} not found by SMTP address lookup"
                        )
                    }
                }
                _ => "501 5.5.4 Invalid arguments".into(),
            }
        };
        self.reply(&reply)?;
        Ok(Flow::Continue)
    }

    fn data(&mut self) -> io::Result<Flow> {
        if self.recipients.is_empty() {
            self.reply("503 5.5.1 Need RCPT command")?;
            return Ok(Flow::Continue);
        }
        self.reply("354 Start mail input; end with <CRLF>.<CRLF>")?;
        let drop_mid_data = self.shared.smtp.faults.take_if(|f| *f == SmtpFault::DropMidData).is_some();
        let mut message = Vec::new();
        let mut too_big = false;
        loop {
            let mut line = Vec::new();
            // Bounded so one endless line cannot exhaust memory; longer lines arrive in pieces.
            if (&mut self.reader).take(MAX_DATA_LINE).read_until(b'\n', &mut line)? == 0 {
                return Ok(Flow::Close);
            }
            if drop_mid_data {
                return Ok(Flow::Close);
            }
            if line == b".\r\n" || line == b".\n" {
                break;
            }
            let content = line.strip_prefix(b".").unwrap_or(&line);
            if message.len() + content.len() > MAX_MESSAGE {
                too_big = true;
            } else {
                message.extend_from_slice(content);
            }
        }
        let from = self.mail_from.take().unwrap_or_default();
        let recipients = std::mem::take(&mut self.recipients);
        if too_big {
            self.reply("552 5.3.4 Message size exceeds fixed maximum message size")?;
            return Ok(Flow::Continue);
        }
        let mailbox = self.mailbox.clone().unwrap_or_default();
        let send_as_fault = self.shared.smtp.faults.take_if(|f| *f == SmtpFault::SendAsDenied).is_some();
        if send_as_fault || !self.shared.may_send_as(&mailbox, &from) {
            self.reply(&format!(
                "554 5.2.252 SendAsDenied; {mailbox} not allowed to send as {from}; \
                 STOREDRV.Submission.Exception:SendAsDeniedException.MapiExceptionSendAsDenied; \
                 Failed to process message due to a permanent exception with message \
                 [BeginDiagnosticData]Cannot submit message. [Hostname={HOST}]"
            ))?;
            return Ok(Flow::Continue);
        }
        let mut delivered: Vec<&String> = Vec::new();
        for rcpt in &recipients {
            if !delivered.contains(&rcpt) {
                self.shared.store.append(rcpt, INBOX, &message, &[]);
                delivered.push(rcpt);
            }
        }
        self.shared.smtp.update(|s| s.messages_accepted += 1);
        self.reply(&format!("250 2.0.0 OK <{}> [Hostname={HOST}]", queue_id()))?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_paths() {
        assert_eq!(parse_path("FROM:<a@b> SIZE=10", "FROM:"), Some(("a@b".to_string(), "SIZE=10")));
        assert_eq!(parse_path("to: <x@y>", "TO:"), Some(("x@y".to_string(), "")));
        assert_eq!(parse_path("FROM:a@b", "FROM:"), None);
    }
}
