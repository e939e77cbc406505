//! One authenticated POP3 connection (RFC 1939, RFC 2449 CAPA, RFC 2595
//! STLS, RFC 5034 SASL): single-line and multi-line replies, dot-unstuffing.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use crate::imap::response::{self, Completion, Proto, Status};
use crate::imap::transport::{Stats, Transport, greeting_error};
use crate::sasl::{ErrorChallenge, Mechanism};
use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Result, Secret, Security};

/// RFC 5034 4: a command line with the initial response may not exceed 255 octets.
const MAX_INLINE_AUTH: usize = 255;

pub(crate) struct Endpoint<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) trust: &'a TlsTrust,
    pub(crate) timeout: Duration,
}

pub(crate) enum AuthFailure {
    Rejected(Error),
    Other(Error),
}

pub(crate) struct Session {
    t: Transport,
    host: String,
    port: u16,
    caps: Vec<String>,
    /// The connection cannot be used any more.
    pub(crate) broken: bool,
}

/// `+OK text` → Ok(text); `-ERR [CODE] text` → the mapped error.
fn status(command: &str, line: &[u8]) -> Result<String> {
    let text = String::from_utf8_lossy(line).trim_end().to_owned();
    if let Some(rest) = text.strip_prefix("+OK") {
        return Ok(rest.trim_start().to_owned());
    }
    let rest = text
        .strip_prefix("-ERR")
        .map(str::trim_start)
        .ok_or_else(|| Error::protocol(format!("unexpected POP3 reply to {command}: {}", response::excerpt(line))))?;
    let c: Completion = response::parse_completion(&format!("NO {rest}"));
    debug_assert_eq!(c.status, Status::No);
    Err(response::refusal_in(Proto::Pop3, command, &c))
}

impl Session {
    pub(crate) fn connect(ep: &Endpoint<'_>, stats: Arc<Stats>) -> Result<Session> {
        let implicit = ep.security == Security::Tls;
        let t = Transport::connect(ep.host, ep.port, implicit.then_some(ep.trust), ep.timeout, stats)?;
        let mut s = Session { t, host: ep.host.to_owned(), port: ep.port, caps: Vec::new(), broken: false };
        let greeting = s.read_line().map_err(|e| greeting_error(e, implicit))?;
        if !greeting.starts_with(b"+OK") {
            return Err(Error::protocol(format!(
                "{}:{} did not greet like a POP3 server: {}",
                ep.host,
                ep.port,
                response::excerpt(&greeting)
            ))
            .with_hint("Check host, port and security (tls for 995, starttls for 110)."));
        }
        s.capa()?;
        if !implicit {
            if !s.has_cap("STLS") {
                return Err(Error::new(ErrorKind::Tls, format!("{}:{} does not offer STLS", ep.host, ep.port))
                    .with_hint("Use security 'tls' (port 995) or a server that offers STLS."));
            }
            s.simple("STLS").map_err(crate::tls::starttls_refused)?;
            s.t = s.t.start_tls(ep.trust)?;
            s.capa()?; // RFC 2595 4: capabilities may change after TLS.
        }
        Ok(s)
    }

    fn capa(&mut self) -> Result<()> {
        self.send("CAPA")?;
        let first = self.read_line()?;
        self.caps.clear();
        if status("CAPA", &first).is_err() {
            return Ok(()); // CAPA is optional (RFC 2449)
        }
        let mut lines = Vec::new();
        self.read_multiline(&mut lines)?;
        self.caps = String::from_utf8_lossy(&lines).lines().map(|l| l.trim().to_ascii_uppercase()).collect();
        Ok(())
    }

    pub(crate) fn has_cap(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c == cap || c.split_whitespace().next() == Some(cap))
    }

    fn sasl_offers(&self, mech: &str) -> bool {
        self.caps.iter().any(|c| c.starts_with("SASL ") && c.split_whitespace().any(|m| m == mech))
    }

    pub(crate) fn pipelining(&self) -> bool {
        self.has_cap("PIPELINING")
    }

    /// AUTH with the token: the initial response on the command line when it
    /// fits (`inline` None) or when forced, else the two-step form.
    pub(crate) fn authenticate(
        &mut self,
        user: &str,
        token: &Secret,
        forced: Option<Mechanism>,
        inline: Option<bool>,
    ) -> std::result::Result<(), AuthFailure> {
        let mech = match forced {
            Some(m) => m,
            None if self.sasl_offers("OAUTHBEARER") => Mechanism::OAuthBearer,
            None => Mechanism::Xoauth2, // Exchange lists it; others fail clearly below
        };
        let ir = mech.initial_response_base64(user, token, &self.host, self.port).map_err(AuthFailure::Other)?;
        let one_line = Secret::new(format!("AUTH {} {}", mech.name(), ir.expose()));
        let inline = inline.unwrap_or(one_line.expose().len() <= MAX_INLINE_AUTH);
        self.t.stats().command();
        let other = AuthFailure::Other;
        if inline {
            self.write_line(one_line.expose()).map_err(other)?;
        } else {
            self.write_line(&format!("AUTH {}", mech.name())).map_err(other)?;
            let go = self.read_line().map_err(AuthFailure::Other)?;
            if !go.starts_with(b"+ ") && go.trim_ascii_end() != b"+" {
                return Err(AuthFailure::Rejected(
                    status("AUTH", &go)
                        .err()
                        .unwrap_or_else(|| Error::protocol("the POP3 server did not ask for the SASL response")),
                ));
            }
            self.write_line(ir.expose()).map_err(AuthFailure::Other)?;
        }
        let reply = self.read_line().map_err(AuthFailure::Other)?;
        if reply.starts_with(b"+ ") || reply.trim_ascii_end() == b"+" {
            // An error challenge: answer it so the server sends its final -ERR.
            let text = String::from_utf8_lossy(&reply[1..]).trim().to_owned();
            let challenge = ErrorChallenge::decode(&text).unwrap_or_default();
            self.write_line(mech.error_challenge_reply()).map_err(AuthFailure::Other)?;
            let last = self.read_line().map_err(AuthFailure::Other)?;
            let final_reply = String::from_utf8_lossy(&last).trim().to_owned();
            return Err(AuthFailure::Rejected(match status("AUTH", &last) {
                Ok(_) => Error::protocol("the POP3 server accepted the login after an error challenge"),
                Err(e) if challenge == ErrorChallenge::default() => e,
                Err(_) => challenge.to_error(mech, Some(&final_reply)),
            }));
        }
        match status("AUTH", &reply) {
            Ok(_) => Ok(()),
            Err(e) => Err(AuthFailure::Rejected(e)),
        }
    }

    fn write_line(&mut self, line: &str) -> Result<()> {
        let mut data = Vec::with_capacity(line.len() + 2);
        data.extend_from_slice(line.as_bytes());
        data.extend_from_slice(b"\r\n");
        self.t.write_all(&data).inspect_err(|_| self.broken = true)
    }

    fn send(&mut self, command: &str) -> Result<()> {
        self.t.stats().command();
        self.write_line(command)
    }

    fn read_line(&mut self) -> Result<Vec<u8>> {
        self.t.read_line().inspect_err(|_| self.broken = true)
    }

    /// A command with a single-line reply; returns the text after `+OK`.
    pub(crate) fn simple(&mut self, command: &str) -> Result<String> {
        self.send(command)?;
        let line = self.read_line()?;
        status(command.split(' ').next().unwrap_or(command), &line)
    }

    /// A command with a multi-line reply, unstuffed into `out`.
    pub(crate) fn multi(&mut self, command: &str, out: &mut dyn Write) -> Result<()> {
        self.send(command)?;
        self.multi_reply(command, out)
    }

    fn multi_reply(&mut self, command: &str, out: &mut dyn Write) -> Result<()> {
        let line = self.read_line()?;
        status(command.split(' ').next().unwrap_or(command), &line)?;
        self.read_multiline(out)
    }

    /// Several commands with multi-line replies in one write (PIPELINING,
    /// RFC 2449 6.6); each reply goes to `sink(i, bytes)`.
    pub(crate) fn multi_pipelined(
        &mut self,
        commands: &[String],
        sink: &mut dyn FnMut(usize, Result<Vec<u8>>),
    ) -> Result<()> {
        let mut batch = Vec::new();
        for c in commands {
            self.t.stats().command();
            batch.extend_from_slice(c.as_bytes());
            batch.extend_from_slice(b"\r\n");
        }
        self.t.write_all(&batch).inspect_err(|_| self.broken = true)?;
        for (i, c) in commands.iter().enumerate() {
            let mut buf = Vec::new();
            match self.multi_reply(c, &mut buf) {
                Ok(()) => sink(i, Ok(buf)),
                Err(e) if self.broken => return Err(e),
                Err(e) => sink(i, Err(e)),
            }
        }
        Ok(())
    }

    /// Lines up to the terminating `.`, with the byte-stuffed leading dot
    /// removed (RFC 1939 3), written exactly as they came otherwise.
    fn read_multiline(&mut self, out: &mut dyn Write) -> Result<()> {
        loop {
            let line = self.read_line()?;
            if line == b".\r\n" || line == b".\n" {
                return Ok(());
            }
            let data = if line.starts_with(b".") { &line[1..] } else { &line[..] };
            out.write_all(data).map_err(|e| Error::io("cannot write the message to its destination", e))?;
        }
    }

    pub(crate) fn is_alive(&mut self) -> bool {
        !self.broken && matches!(self.t.peer_closed(), Ok(false)) && self.t.pending().is_empty()
    }

    /// QUIT (which commits deletions), then close.
    pub(crate) fn quit(mut self) -> Result<()> {
        let res = if self.broken { Ok(()) } else { self.simple("QUIT").map(drop) };
        self.t.shutdown();
        res
    }

    /// Closes without QUIT: the server leaves the mailbox as it was.
    pub(crate) fn abandon(self) {
        self.t.shutdown();
    }

    pub(crate) fn uses_tls(&self) -> bool {
        self.t.is_tls()
    }
}

/// The multi-line reply reader over `t` (status line, dot-stuffed lines, terminator), for
/// `crate::fuzz`.
pub(crate) fn read_reply_for_fuzzing(t: Transport, out: &mut dyn Write) -> Result<()> {
    let mut s = Session { t, host: "fuzz".into(), port: 0, caps: Vec::new(), broken: false };
    let res = s.multi_reply("RETR", out);
    s.abandon();
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_mapped() {
        assert_eq!(status("STAT", b"+OK 2 320\r\n").unwrap(), "2 320");
        let e = status("AUTH", b"-ERR [AUTH] Authentication failed.\r\n").unwrap_err();
        assert_eq!((e.kind(), e.code()), (ErrorKind::Auth, Some("AUTH")));
        let e = status("RETR", b"-ERR User is authenticated but not connected.\r\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Permission);
        assert!(e.hint().unwrap().contains("POP.AccessAsApp"));
        let e = status("RETR", b"-ERR [IN-USE] Mailbox locked\r\n").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(status("X", b"* nonsense\r\n").unwrap_err().kind(), ErrorKind::Protocol);
    }
}
