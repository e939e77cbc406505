//! One authenticated IMAP connection: tagged commands, literals, untagged
//! responses, SASL, and streaming of a message body.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use super::command::{Command, Part};
use super::response::{self, Completion, Kind, Status};
use super::transport::{MAX_IN_MEMORY, Stats, Transport, greeting_error, too_big};
use crate::sasl::{ErrorChallenge, Mechanism};
use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Result, Secret, Security};

/// Where and how to connect, without the credential.
pub(crate) struct Endpoint<'a> {
    pub(crate) host: &'a str,
    pub(crate) port: u16,
    pub(crate) security: Security,
    pub(crate) trust: &'a TlsTrust,
    pub(crate) timeout: Duration,
}

/// The folder the session has selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Selected {
    pub(crate) name: String,
    pub(crate) read_only: bool,
}

/// Why authentication failed: the server refused the token (a fresh one
/// may help) or something else went wrong.
pub(crate) enum AuthFailure {
    Rejected(Error),
    Other(Error),
}

pub(crate) struct Session {
    t: Transport,
    host: String,
    port: u16,
    next_tag: u32,
    caps: Vec<String>,
    pub(crate) selected: Option<Selected>,
    /// The connection cannot be used any more.
    pub(crate) broken: bool,
    /// A state-changing command was sent and the connection broke before
    /// its result arrived: it may or may not have been applied.
    pub(crate) outcome_unknown: bool,
}

impl Session {
    /// Connects, reads the greeting and does STARTTLS when asked.
    pub(crate) fn connect(ep: &Endpoint<'_>, stats: Arc<Stats>) -> Result<Session> {
        let implicit = ep.security == Security::Tls;
        let t = Transport::connect(ep.host, ep.port, implicit.then_some(ep.trust), ep.timeout, stats)?;
        let mut s = Session {
            t,
            host: ep.host.to_owned(),
            port: ep.port,
            next_tag: 1,
            caps: Vec::new(),
            selected: None,
            broken: false,
            outcome_unknown: false,
        };
        let greeting = s.read_response().map_err(|e| greeting_error(e, implicit))?;
        let text = String::from_utf8_lossy(&greeting).into_owned();
        match response::classify(&greeting) {
            Kind::Bye => return Err(response::bye_error(&response::bye_text(&greeting))),
            Kind::Untagged if text.len() > 2 && text[2..].to_ascii_uppercase().starts_with("OK") => {}
            Kind::Untagged if text.len() > 2 && text[2..].to_ascii_uppercase().starts_with("PREAUTH") => {
                return Err(Error::protocol("the IMAP server pre-authenticated the connection; OAuth cannot be used")
                    .with_hint("Check host and port: this does not look like a server that takes OAuth 2.0."));
            }
            _ => {
                return Err(Error::protocol(format!(
                    "{}:{} did not greet like an IMAP server: {}",
                    ep.host,
                    ep.port,
                    response::excerpt(&greeting)
                ))
                .with_hint("Check host, port and security (tls for 993, starttls for 143)."));
            }
        }
        s.caps = caps_from_code(&response::parse_completion(&text[2..]));
        if !implicit {
            if s.caps.is_empty() {
                s.capability()?;
            }
            if !s.has_cap("STARTTLS") {
                return Err(Error::new(ErrorKind::Tls, format!("{}:{} does not offer STARTTLS", ep.host, ep.port))
                    .with_hint("Use security 'tls' (port 993) or a server that offers STARTTLS."));
            }
            s.run(&Command::new("STARTTLS")).map_err(crate::tls::starttls_refused)?;
            s.t = s.t.start_tls(ep.trust)?;
            s.caps.clear(); // RFC 3501 6.2.1: capabilities from before TLS are void.
        }
        if s.caps.is_empty() {
            s.capability()?;
        }
        Ok(s)
    }

    pub(crate) fn has_cap(&self, cap: &str) -> bool {
        self.caps.iter().any(|c| c.eq_ignore_ascii_case(cap))
    }

    pub(crate) fn capability(&mut self) -> Result<()> {
        let untagged = self.run(&Command::new("CAPABILITY"))?;
        for resp in untagged {
            let line = String::from_utf8_lossy(&resp);
            if let Some(rest) = line.get(2..).filter(|r| r.to_ascii_uppercase().starts_with("CAPABILITY ")) {
                self.caps = rest[11..].split_whitespace().map(str::to_ascii_uppercase).collect();
            }
        }
        Ok(())
    }

    /// The mechanism to use: the forced one, else OAUTHBEARER when offered, else XOAUTH2.
    fn choose(&self, forced: Option<Mechanism>) -> Result<Mechanism> {
        if let Some(m) = forced {
            return Ok(m);
        }
        if self.has_cap("AUTH=OAUTHBEARER") {
            Ok(Mechanism::OAuthBearer)
        } else if self.has_cap("AUTH=XOAUTH2") {
            Ok(Mechanism::Xoauth2)
        } else {
            Err(Error::auth(format!("{} offers neither AUTH=XOAUTH2 nor AUTH=OAUTHBEARER", self.host))
                .with_hint("The server does not take OAuth 2.0 tokens over IMAP; for Exchange, IMAP must be enabled for the mailbox."))
        }
    }

    /// AUTHENTICATE with the token (SASL-IR when offered).
    pub(crate) fn authenticate(
        &mut self,
        user: &str,
        token: &Secret,
        forced: Option<Mechanism>,
    ) -> std::result::Result<(), AuthFailure> {
        let mech = self.choose(forced).map_err(AuthFailure::Other)?;
        let ir = mech.initial_response_base64(user, token, &self.host, self.port).map_err(AuthFailure::Other)?;
        let tag = self.tag();
        let sasl_ir = self.has_cap("SASL-IR");
        let mut line = Secret::new(if sasl_ir {
            format!("{tag} AUTHENTICATE {} {}\r\n", mech.name(), ir.expose())
        } else {
            format!("{tag} AUTHENTICATE {}\r\n", mech.name())
        });
        self.t.stats().command();
        self.write(line.expose().as_bytes()).map_err(AuthFailure::Other)?;
        let mut sent_ir = sasl_ir;
        let mut challenge: Option<ErrorChallenge> = None;
        loop {
            let resp = self.read_response().map_err(AuthFailure::Other)?;
            match response::classify(&resp) {
                Kind::Continuation => {
                    let text = String::from_utf8_lossy(&resp[1..]).trim().to_owned();
                    if !sent_ir && text.is_empty() {
                        line = Secret::new(format!("{}\r\n", ir.expose()));
                        sent_ir = true;
                    } else if challenge.is_none() {
                        // Anything else is the error challenge: answer it so the server finishes.
                        challenge = Some(ErrorChallenge::decode(&text).unwrap_or_default());
                        line = Secret::new(format!("{}\r\n", mech.error_challenge_reply()));
                    } else {
                        line = Secret::new("*\r\n"); // cancel a second challenge
                    }
                    self.write(line.expose().as_bytes()).map_err(AuthFailure::Other)?;
                }
                Kind::Untagged => {}
                Kind::Bye => {
                    return Err(AuthFailure::Other(self.bye(&resp)));
                }
                Kind::Tagged(t) if t == tag => {
                    let c = response::parse_completion(&String::from_utf8_lossy(&resp[t.len() + 1..]));
                    if c.status == Status::Ok {
                        let caps = caps_from_code(&c);
                        if caps.is_empty() {
                            self.capability().map_err(AuthFailure::Other)?;
                        } else {
                            self.caps = caps;
                        }
                        return Ok(());
                    }
                    let server = response::refusal("AUTHENTICATE", &c);
                    let err = match challenge {
                        Some(ch) if ch != ErrorChallenge::default() => {
                            let final_reply = format!(
                                "{} {}",
                                c.code.as_deref().map(|c| format!("[{c}]")).unwrap_or_default(),
                                c.text
                            );
                            ch.to_error(mech, Some(final_reply.trim()))
                        }
                        _ => server,
                    };
                    return Err(AuthFailure::Rejected(err));
                }
                Kind::Tagged(_) => {}
            }
        }
    }

    fn tag(&mut self) -> String {
        let t = format!("a{}", self.next_tag);
        self.next_tag += 1;
        t
    }

    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.t.write_all(data).inspect_err(|_| self.broken = true)
    }

    /// A whole response: one line plus every literal it announces.
    fn read_response(&mut self) -> Result<Vec<u8>> {
        let first = self.read_line()?;
        self.finish_response(first)
    }

    fn read_line(&mut self) -> Result<Vec<u8>> {
        self.t.read_line().inspect_err(|_| self.broken = true)
    }

    fn bye(&mut self, resp: &[u8]) -> Error {
        self.broken = true;
        response::bye_error(&response::bye_text(resp))
    }

    /// Sends a command (waiting for `+` before each literal unless the
    /// server takes LITERAL+) and returns its tag.
    fn send(&mut self, cmd: &Command) -> Result<String> {
        let tag = self.tag();
        self.t.stats().command();
        let literal_plus = self.has_cap("LITERAL+");
        let mut pending = format!("{tag} ").into_bytes();
        for part in &cmd.parts {
            match part {
                Part::Text(t) => pending.extend_from_slice(t.as_bytes()),
                Part::Literal(data) => {
                    let sync = !(literal_plus || (self.has_cap("LITERAL-") && data.len() <= 4096));
                    pending
                        .extend_from_slice(format!("{{{}{}}}\r\n", data.len(), if sync { "" } else { "+" }).as_bytes());
                    self.write(&pending)?;
                    pending.clear();
                    if sync {
                        self.await_continuation(&tag, cmd)?;
                    }
                    self.write(data)?;
                }
            }
        }
        pending.extend_from_slice(b"\r\n");
        self.write(&pending)?;
        Ok(tag)
    }

    fn await_continuation(&mut self, tag: &str, cmd: &Command) -> Result<()> {
        loop {
            let resp = self.read_response()?;
            match response::classify(&resp) {
                Kind::Continuation => return Ok(()),
                Kind::Bye => return Err(self.bye(&resp)),
                Kind::Tagged(t) if t == tag => {
                    let c = response::parse_completion(&String::from_utf8_lossy(&resp[t.len() + 1..]));
                    return Err(response::refusal(&cmd.name(), &c));
                }
                _ => {}
            }
        }
    }

    /// Runs a command that changes nothing on the server; returns its untagged responses.
    pub(crate) fn run(&mut self, cmd: &Command) -> Result<Vec<Vec<u8>>> {
        self.exec(cmd, false).map(|(untagged, _)| untagged)
    }

    /// Runs a command that changes nothing on the server and decodes each untagged
    /// response as it arrives, so a long listing is decoded while the server is still
    /// sending it instead of after the last byte. `expected` is how many results to make room for.
    pub(crate) fn decode_each<T>(
        &mut self,
        cmd: &Command,
        expected: usize,
        mut decode: impl FnMut(&[u8]) -> Option<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(expected);
        self.exec_with(cmd, true, &mut |s, first| {
            let resp = s.finish_response(first)?;
            out.extend(decode(&resp));
            Ok(())
        })?;
        Ok(out)
    }

    /// Runs a command that changes state on the server (APPEND, COPY, MOVE, ...).
    pub(crate) fn run_mutating(&mut self, cmd: &Command) -> Result<(Vec<Vec<u8>>, Completion)> {
        self.exec(cmd, true)
    }

    fn exec(&mut self, cmd: &Command, mutating: bool) -> Result<(Vec<Vec<u8>>, Completion)> {
        let mut untagged = Vec::new();
        let completion = self.exec_with(cmd, !mutating, &mut |s, first| {
            let resp = s.finish_response(first)?;
            untagged.push(resp);
            Ok(())
        })?;
        Ok((untagged, completion))
    }

    /// Reads the rest of a response whose first line is `first`.
    fn finish_response(&mut self, mut first: Vec<u8>) -> Result<Vec<u8>> {
        while let Some(n) = response::literal_len(&first) {
            self.t.read_exact_vec(n, &mut first).inspect_err(|_| self.broken = true)?;
            self.t.read_line_into(&mut first).inspect_err(|_| self.broken = true)?;
        }
        Ok(first)
    }

    /// Sends `cmd` and hands every untagged response's first line to
    /// `on_untagged`, which must read the rest of it (literals). When the
    /// connection breaks mid-way, a command that is not `repeatable` leaves
    /// `outcome_unknown` set.
    fn exec_with(
        &mut self,
        cmd: &Command,
        repeatable: bool,
        on_untagged: &mut dyn FnMut(&mut Session, Vec<u8>) -> Result<()>,
    ) -> Result<Completion> {
        let tag = self.send(cmd)?;
        let mut seen_bye = false;
        let result = (|| loop {
            let line = self.read_line()?;
            match response::classify(&line) {
                Kind::Tagged(t) if t == tag => {
                    let c = response::parse_completion(&String::from_utf8_lossy(&line[t.len() + 1..]));
                    return if c.status == Status::Ok { Ok(c) } else { Err(response::refusal(&cmd.name(), &c)) };
                }
                Kind::Bye if cmd.name() != "LOGOUT" => {
                    seen_bye = true;
                    let full = self.finish_response(line)?;
                    return Err(self.bye(&full));
                }
                Kind::Continuation => {
                    return Err(Error::protocol(format!("unexpected continuation during {}", cmd.name())));
                }
                _ => on_untagged(self, line)?,
            }
        })();
        if result.is_err() && self.broken && !repeatable && !seen_bye {
            self.outcome_unknown = true;
        }
        result
    }

    /// Streams `BODY[]` of one message to `out`; `Ok(false)` when no such UID.
    pub(crate) fn fetch_body_to(&mut self, uid: u32, out: &mut Sink<'_>) -> Result<bool> {
        let cmd = Command::new(format!("UID FETCH {uid} (UID BODY.PEEK[])"));
        let mut found = false;
        // Not repeatable: `out` may already hold part of the message.
        self.exec_with(&cmd, false, &mut |s, line| {
            match response::literal_len(&line) {
                Some(n) if !found && announces_body(&line) => {
                    // `* 1 FETCH (UID 5 BODY[] {n}`: stream the literal, drop the rest.
                    if let Sink::Buffer(v) = out {
                        if n > MAX_IN_MEMORY {
                            s.broken = true; // the literal is still on the wire
                            return Err(too_big(n));
                        }
                        v.reserve_exact(n); // one allocation of the final size, never a doubling copy
                    }
                    s.t.read_exact_to(n as u64, out.writer()).inspect_err(|_| s.broken = true)?;
                    found = true;
                    let rest = s.read_line()?;
                    s.finish_response(rest).map(drop)
                }
                _ => {
                    // A server may send a small body as a quoted string.
                    let full = s.finish_response(line)?;
                    if let Some(data) = (!found).then(|| quoted_body(&full)).flatten() {
                        out.writer()
                            .write_all(&data)
                            .map_err(|e| Error::io("cannot write the message to its destination", e))?;
                        found = true;
                    }
                    Ok(())
                }
            }
        })?;
        Ok(found)
    }

    /// Waits in IDLE until the server reports something or `timeout` passes.
    pub(crate) fn idle(&mut self, timeout: Duration) -> Result<Vec<Vec<u8>>> {
        let cmd = Command::new("IDLE");
        let tag = self.send(&cmd)?;
        let mut events = Vec::new();
        // Wait for "+ idling", keeping anything untagged that comes first.
        loop {
            let resp = self.read_response()?;
            match response::classify(&resp) {
                Kind::Continuation => break,
                Kind::Bye => return Err(self.bye(&resp)),
                Kind::Tagged(t) if t == tag => {
                    let c = response::parse_completion(&String::from_utf8_lossy(&resp[t.len() + 1..]));
                    return Err(response::refusal("IDLE", &c));
                }
                _ => events.push(resp),
            }
        }
        if events.is_empty() {
            self.t.set_read_timeout(Some(timeout))?;
            let waited = self.read_response();
            self.t.set_read_timeout(None)?;
            match waited {
                Ok(resp) if response::classify(&resp) == Kind::Bye => return Err(self.bye(&resp)),
                Ok(resp) => events.push(resp),
                Err(e) if e.kind() == ErrorKind::Timeout => self.broken = false,
                Err(e) => return Err(e),
            }
        }
        self.write(b"DONE\r\n")?;
        loop {
            let resp = self.read_response()?;
            match response::classify(&resp) {
                Kind::Tagged(t) if t == tag => return Ok(events),
                Kind::Bye => return Err(self.bye(&resp)),
                _ => events.push(resp),
            }
        }
    }

    /// Whether the connection still looks usable (the server has not hung up
    /// or said BYE since the last command).
    pub(crate) fn is_alive(&mut self) -> bool {
        if self.broken {
            return false;
        }
        match self.t.peer_closed() {
            Ok(false) => !self.t.pending().starts_with(b"* BYE"),
            _ => false,
        }
    }

    /// Whether the server's unread goodbye says the token expired (Exchange:
    /// `* BYE Session invalidated - AccessTokenExpired`).
    pub(crate) fn said_token_expired(&self) -> bool {
        self.t.pending().windows(18).any(|w| w == b"AccessTokenExpired")
    }

    /// LOGOUT, then close.
    pub(crate) fn logout(mut self) {
        // A dead server must not hold up close() (or a drop) for the full timeout.
        if !self.broken && self.t.set_read_timeout(Some(Duration::from_secs(5))).is_ok() {
            let _ = self.run(&Command::new("LOGOUT"));
        }
        self.t.shutdown();
    }

    pub(crate) fn uses_tls(&self) -> bool {
        self.t.is_tls()
    }
}

/// Where a fetched message goes: memory (sized once) or any writer.
pub(crate) enum Sink<'a> {
    Buffer(&'a mut Vec<u8>),
    Stream(&'a mut dyn Write),
}

impl Sink<'_> {
    fn writer(&mut self) -> &mut dyn Write {
        match self {
            Sink::Buffer(v) => *v,
            Sink::Stream(w) => *w,
        }
    }
}

/// Capabilities from a `[CAPABILITY ...]` response code.
fn caps_from_code(c: &Completion) -> Vec<String> {
    match c.code.as_deref().and_then(|code| code.strip_prefix("CAPABILITY ")) {
        Some(list) => list.split_whitespace().map(str::to_ascii_uppercase).collect(),
        None => Vec::new(),
    }
}

/// Whether a FETCH line ends with `BODY[] {n}`, i.e. the whole message follows.
fn announces_body(line: &[u8]) -> bool {
    let Some(open) = line.iter().rposition(|&b| b == b'{') else { return false };
    line[..open].to_ascii_uppercase().ends_with(b"BODY[] ")
}

/// `BODY[]` sent as a quoted string rather than a literal.
fn quoted_body(resp: &[u8]) -> Option<Vec<u8>> {
    match imap_proto::Response::parse(super::parse::parsable(resp)).ok()?.1 {
        imap_proto::Response::Fetch(_, attrs) => attrs.into_iter().find_map(|a| match a {
            imap_proto::AttributeValue::BodySection { section: None, data: Some(d), .. } => Some(d.into_owned()),
            _ => None,
        }),
        _ => None,
    }
}
