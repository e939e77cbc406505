//! POP3 server (RFC 1939, CAPA RFC 2449, STLS RFC 2595, AUTH RFC 5034) over the user's INBOX
//! in the `MailStore`, with XOAUTH2 / OAUTHBEARER and Exchange Online's replies. Deletions
//! take effect at QUIT only.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use crate::faults::FaultQueue;
use crate::imap::access::{self, Access};
use crate::kit::Shared;
use crate::sasl::{self, Mechanism};
use crate::smtp::{AuthRecord, Conn};
use crate::store::INBOX;

const MAX_LINE: usize = 16 * 1024;
const AUTH_FAILED: &str = "-ERR Authentication failure: unknown user name or bad password.";
const NOT_CONNECTED: &str = "-ERR User is authenticated but not connected.";
const INVALID_STATE: &str = "-ERR Command is not valid in this state.";
const NO_SUCH_MESSAGE: &str = "-ERR No such message.";

/// Faults of the POP3 server, each consumed where it applies (count-limited, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pop3Fault {
    /// At a RETR: the connection is cut halfway through the message.
    DropMidRetr,
    /// At a successful login: every later command gets
    /// `-ERR User is authenticated but not connected.`
    NotConnected,
    /// At connect: every reply of that connection is delayed by this much.
    Slow(Duration),
}

/// Counters of the POP3 server.
#[derive(Clone, Debug, Default)]
pub struct Pop3Stats {
    pub connections: usize,
    pub auth_attempts: usize,
    /// Logins that got `+OK` (not-connected ones included; their `auth_log` reason says so).
    pub auth_successes: usize,
    /// Command lines received (SASL responses not counted).
    pub commands: usize,
    pub retr_commands: usize,
    /// Commands per verb.
    pub by_command: BTreeMap<String, usize>,
    pub auth_log: Vec<AuthRecord>,
}

pub(crate) struct Pop3State {
    pub faults: FaultQueue<Pop3Fault>,
    stats: Mutex<Pop3Stats>,
}

impl Pop3State {
    pub fn new() -> Pop3State {
        Pop3State { faults: FaultQueue::new(), stats: Mutex::new(Pop3Stats::default()) }
    }

    pub fn stats(&self) -> Pop3Stats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reset_stats(&self) {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = Pop3Stats::default();
    }

    fn update(&self, f: impl FnOnce(&mut Pop3Stats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// The maildrop as the session sees it (fixed at login, RFC 1939).
struct Maildrop {
    mailbox: String,
    uid_validity: u32,
    /// (UID, size) by message number - 1.
    messages: Vec<(u32, usize)>,
    deleted: BTreeSet<usize>,
    not_connected: bool,
}

impl Maildrop {
    /// The index of message `arg` if it exists and is not deleted.
    fn index(&self, arg: &str) -> Option<usize> {
        let n: usize = arg.trim().parse().ok()?;
        let i = n.checked_sub(1)?;
        (i < self.messages.len() && !self.deleted.contains(&i)).then_some(i)
    }

    fn live(&self) -> impl Iterator<Item = (usize, &(u32, usize))> {
        self.messages.iter().enumerate().filter(|(i, _)| !self.deleted.contains(i))
    }
}

struct Session<'a> {
    shared: &'a Shared,
    tls_config: Arc<ServerConfig>,
    reader: BufReader<Conn>,
    tls: bool,
    drop: Option<Maildrop>,
    slow: Option<Duration>,
}

enum Flow {
    Continue,
    Close,
}

/// Serves one POP3 connection; `implicit_tls` for the POP3S port.
pub(crate) fn serve(shared: &Shared, tls: Arc<ServerConfig>, tcp: TcpStream, implicit_tls: bool) {
    shared.pop3.update(|s| s.connections += 1);
    let conn = if implicit_tls {
        match ServerConnection::new(tls.clone()) {
            Ok(c) => Conn::Tls(Box::new(StreamOwned::new(c, tcp))),
            Err(_) => return,
        }
    } else {
        Conn::Plain(tcp)
    };
    let slow = match shared.pop3.faults.take_if(|f| matches!(f, Pop3Fault::Slow(_))) {
        Some(Pop3Fault::Slow(d)) => Some(d),
        _ => None,
    };
    let mut session =
        Session { shared, tls_config: tls, reader: BufReader::new(conn), tls: implicit_tls, drop: None, slow };
    let _ = session.run();
    if let Conn::Tls(s) = session.reader.get_mut() {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
}

/// `message` dot-stuffed and terminated (RFC 1939 3), or only its header and `lines` body lines.
fn dot_stuffed(message: &[u8], top_lines: Option<usize>) -> Vec<u8> {
    let mut out = Vec::with_capacity(message.len() + message.len() / 50 + 8);
    let mut in_body = false;
    let mut body_lines = 0;
    for line in message.split_inclusive(|&b| b == b'\n') {
        if in_body && top_lines.is_some_and(|max| body_lines >= max) {
            break;
        }
        if in_body {
            body_lines += 1;
        }
        if line.starts_with(b".") {
            out.push(b'.');
        }
        out.extend_from_slice(line);
        if line == b"\r\n" || line == b"\n" {
            in_body = true;
        }
    }
    if !out.is_empty() && !out.ends_with(b"\n") {
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b".\r\n");
    out
}

impl Session<'_> {
    fn write(&mut self, data: &[u8]) -> io::Result<()> {
        let w = self.reader.get_mut();
        w.write_all(data)?;
        w.flush()
    }

    fn reply(&mut self, text: &str) -> io::Result<()> {
        if let Some(d) = self.slow {
            std::thread::sleep(d);
        }
        self.write(format!("{text}\r\n").as_bytes())
    }

    fn read_line(&mut self) -> io::Result<Option<String>> {
        let mut line = Vec::new();
        let n = (&mut self.reader).take(MAX_LINE as u64 + 2).read_until(b'\n', &mut line)?;
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

    fn run(&mut self) -> io::Result<()> {
        self.reply("+OK The Microsoft Exchange POP3 service is ready. (oauthmail testkit)")?;
        while let Some(line) = self.read_line()? {
            let (verb, arg) = match line.split_once(' ') {
                Some((v, a)) => (v.to_ascii_uppercase(), a.to_string()),
                None => (line.to_ascii_uppercase(), String::new()),
            };
            self.shared.pop3.update(|s| {
                s.commands += 1;
                if verb == "RETR" {
                    s.retr_commands += 1;
                }
                *s.by_command.entry(verb.clone()).or_default() += 1;
            });
            let flow = match verb.as_str() {
                "CAPA" => self.capa()?,
                "QUIT" => self.quit()?,
                _ if self.drop.is_some() => self.transaction(&verb, &arg)?,
                "STLS" => self.stls()?,
                "AUTH" => self.auth(&arg)?,
                "USER" | "PASS" | "APOP" => {
                    self.reply(AUTH_FAILED)?;
                    Flow::Continue
                }
                _ => {
                    self.reply(INVALID_STATE)?;
                    Flow::Continue
                }
            };
            if let Flow::Close = flow {
                break;
            }
        }
        Ok(())
    }

    fn capa(&mut self) -> io::Result<Flow> {
        let mut lines = vec!["+OK", "TOP", "UIDL", "PIPELINING", "RESP-CODES", "AUTH-RESP-CODE"];
        if self.tls {
            lines.push("SASL XOAUTH2 OAUTHBEARER");
        } else {
            lines.push("STLS");
        }
        lines.push(".");
        self.reply(&lines.join("\r\n"))?;
        Ok(Flow::Continue)
    }

    fn quit(&mut self) -> io::Result<Flow> {
        if let Some(drop) = self.drop.take()
            && !drop.not_connected
        {
            // RFC 1939 6: the UPDATE state removes what DELE marked.
            let uids: Vec<u32> = drop.deleted.iter().map(|&i| drop.messages[i].0).collect();
            self.shared.store.remove_many(&drop.mailbox, INBOX, &uids);
        }
        self.reply("+OK Microsoft Exchange Server POP3 server signing off.")?;
        Ok(Flow::Close)
    }

    fn stls(&mut self) -> io::Result<Flow> {
        if self.tls {
            self.reply(INVALID_STATE)?;
            return Ok(Flow::Continue);
        }
        if !self.reader.buffer().is_empty() {
            self.reply("-ERR No commands may follow STLS before the handshake.")?;
            return Ok(Flow::Close);
        }
        self.reply("+OK Begin TLS negotiation.")?;
        let Conn::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Conn::Closed) else {
            return Ok(Flow::Close);
        };
        let conn = ServerConnection::new(self.tls_config.clone()).map_err(io::Error::other)?;
        self.reader = BufReader::new(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))));
        self.tls = true;
        Ok(Flow::Continue)
    }

    fn record_auth(&self, mechanism: Mechanism, user: &str, success: bool, reason: Option<String>) {
        self.shared.pop3.update(|s| {
            if success {
                s.auth_successes += 1;
            }
            s.auth_log.push(AuthRecord { mechanism: mechanism.name().into(), user: user.into(), success, reason });
        });
    }

    fn auth(&mut self, arg: &str) -> io::Result<Flow> {
        let mut parts = arg.split_whitespace();
        let Some(mechanism) = parts.next().and_then(Mechanism::parse) else {
            self.reply("-ERR Unrecognized authentication type.")?;
            return Ok(Flow::Continue);
        };
        if !self.tls {
            self.reply(INVALID_STATE)?;
            return Ok(Flow::Continue);
        }
        self.shared.pop3.update(|s| s.auth_attempts += 1);
        let initial = match parts.next() {
            Some("=") => String::new(),
            Some(ir) => ir.to_string(),
            None => {
                self.reply("+ ")?;
                match self.read_line()? {
                    Some(line) => line,
                    None => return Ok(Flow::Close),
                }
            }
        };
        if initial.trim() == "*" {
            self.reply("-ERR Authentication canceled.")?;
            return Ok(Flow::Continue);
        }
        let decoded = STANDARD.decode(initial.trim()).unwrap_or_default();
        let (user, mut access) = access::check(self.shared, &sasl::POP, mechanism, &decoded);
        if matches!(access, Access::Granted { .. })
            && self.shared.pop3.faults.take_if(|f| *f == Pop3Fault::NotConnected).is_some()
            && let Access::Granted { mailbox, .. } = access
        {
            access = Access::NotConnected { mailbox, reason: "fault NotConnected".into() };
        }
        let (mailbox, not_connected) = match access {
            Access::Granted { mailbox, .. } => {
                self.record_auth(mechanism, &user, true, None);
                (mailbox, false)
            }
            Access::NotConnected { mailbox, reason } => {
                self.record_auth(mechanism, &user, true, Some(format!("not connected: {reason}")));
                (mailbox, true)
            }
            Access::Refused(reason) => {
                self.record_auth(mechanism, &user, false, Some(reason));
                // Exchange sends the error as a SASL challenge first, then fails on the answer.
                self.reply(&format!("+ {}", mechanism.failure_challenge(sasl::POP.challenge_scope)))?;
                if self.read_line()?.is_none() {
                    return Ok(Flow::Close);
                }
                self.reply(AUTH_FAILED)?;
                return Ok(Flow::Continue);
            }
        };
        let store = &self.shared.store;
        let uid_validity = store.uid_info(&mailbox, INBOX).map_or(0, |(v, _)| v);
        let mut messages = Vec::new();
        store.scan(&mailbox, INBOX, |m| messages.push((m.uid, m.raw.len())));
        self.drop = Some(Maildrop { mailbox, uid_validity, messages, deleted: BTreeSet::new(), not_connected });
        self.reply("+OK User successfully authenticated.")?;
        Ok(Flow::Continue)
    }

    fn transaction(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        let drop = self.drop.as_mut().expect("in the transaction state");
        if drop.not_connected {
            self.reply(NOT_CONNECTED)?;
            return Ok(Flow::Continue);
        }
        let reply = match verb {
            "NOOP" => "+OK".to_string(),
            "STAT" => {
                let (n, size) = drop.live().fold((0, 0), |(n, s), (_, m)| (n + 1, s + m.1));
                format!("+OK {n} {size}")
            }
            "LIST" | "UIDL" => {
                let uidl = verb == "UIDL";
                let row = |i: usize, m: &(u32, usize)| {
                    if uidl { format!("{} {}.{}", i + 1, drop.uid_validity, m.0) } else { format!("{} {}", i + 1, m.1) }
                };
                if arg.trim().is_empty() {
                    let mut lines = vec!["+OK".to_string()];
                    lines.extend(drop.live().map(|(i, m)| row(i, m)));
                    lines.push(".".into());
                    lines.join("\r\n")
                } else {
                    match drop.index(arg) {
                        Some(i) => format!("+OK {}", row(i, &drop.messages[i])),
                        None => NO_SUCH_MESSAGE.into(),
                    }
                }
            }
            "DELE" => match drop.index(arg) {
                Some(i) => {
                    drop.deleted.insert(i);
                    "+OK Message deleted.".into()
                }
                None => NO_SUCH_MESSAGE.into(),
            },
            "RSET" => {
                drop.deleted.clear();
                "+OK".into()
            }
            "RETR" | "TOP" => return self.retrieve(verb, arg),
            _ => "-ERR Protocol error. 14".into(),
        };
        self.reply(&reply)?;
        Ok(Flow::Continue)
    }

    fn retrieve(&mut self, verb: &str, arg: &str) -> io::Result<Flow> {
        let drop = self.drop.as_ref().expect("in the transaction state");
        let mut words = arg.split_whitespace();
        let index = words.next().and_then(|n| drop.index(n));
        let top = match (verb, words.next().map(str::parse::<usize>)) {
            ("TOP", Some(Ok(lines))) => Some(lines),
            ("TOP", _) => {
                self.reply("-ERR Protocol error. 14")?;
                return Ok(Flow::Continue);
            }
            _ => None,
        };
        let message = index.and_then(|i| self.shared.store.message(&drop.mailbox, INBOX, drop.messages[i].0));
        let Some(message) = message else {
            self.reply(NO_SUCH_MESSAGE)?;
            return Ok(Flow::Continue);
        };
        let body = dot_stuffed(&message.raw, top);
        let cut = verb == "RETR" && self.shared.pop3.faults.take_if(|f| *f == Pop3Fault::DropMidRetr).is_some();
        if let Some(d) = self.slow {
            std::thread::sleep(d);
        }
        let mut out = format!("+OK {} octets\r\n", message.raw.len()).into_bytes();
        if cut {
            out.extend_from_slice(&body[..body.len() / 2]);
            self.write(&out)?;
            if let Conn::Plain(s) = self.reader.get_ref() {
                let _ = s.shutdown(Shutdown::Both);
            } else if let Conn::Tls(s) = self.reader.get_ref() {
                let _ = s.sock.shutdown(Shutdown::Both);
            }
            return Ok(Flow::Close);
        }
        out.extend_from_slice(&body);
        self.write(&out)?;
        Ok(Flow::Continue)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_stuffing_and_top() {
        let m = b"Subject: x\r\n\r\n.one\r\ntwo\r\n..three";
        assert_eq!(dot_stuffed(m, None), b"Subject: x\r\n\r\n..one\r\ntwo\r\n...three\r\n.\r\n".to_vec());
        assert_eq!(dot_stuffed(m, Some(1)), b"Subject: x\r\n\r\n..one\r\n.\r\n".to_vec());
        assert_eq!(dot_stuffed(m, Some(0)), b"Subject: x\r\n\r\n.\r\n".to_vec());
    }
}
