//! POP3 client authenticating with XOAUTH2 or OAUTHBEARER: what JavaMail 1.6
//! could not do with OAuth 2.0.

pub(crate) mod session;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use session::{AuthFailure, Endpoint, Session};

use crate::credential::connect_with_token;
use crate::imap::StatsSnapshot;
use crate::imap::transport::Stats;
use crate::sasl::Mechanism;
use crate::summary::MessageSummary;
use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Provider, Result, Security, TokenCredential};

/// TOP commands sent per write when the server allows PIPELINING.
const PIPELINE_BATCH: usize = 100;

/// Where and as whom to connect.
#[derive(Clone, Debug)]
pub struct Pop3Config {
    pub host: String,
    pub port: u16,
    pub username: String,
    /// `None`: TLS on 995, STLS otherwise.
    pub security: Option<Security>,
    pub ca: TlsTrust,
    pub timeout: Duration,
    /// `None`: OAUTHBEARER when the server lists it, else XOAUTH2.
    pub mechanism: Option<Mechanism>,
    /// Send the SASL response on the AUTH line (`Some(true)`), after the
    /// server's `+` (`Some(false)`, the form Office 365 documents), or inline
    /// only when the line fits in 255 octets as RFC 5034 asks (`None`).
    pub initial_response: Option<bool>,
    /// Token scopes; empty means the credential's defaults.
    pub scopes: Vec<String>,
}

impl Pop3Config {
    pub fn new(host: impl Into<String>, port: u16, username: impl Into<String>) -> Self {
        Pop3Config {
            host: host.into(),
            port,
            username: username.into(),
            security: None,
            ca: TlsTrust::system(),
            timeout: Duration::from_secs(60),
            mechanism: None,
            initial_response: None,
            scopes: Vec::new(),
        }
    }
}

struct State {
    session: Option<Session>,
    /// DELE was sent in this session: a reconnect would silently undo it.
    deletions_pending: bool,
}

/// A POP3 client. Message numbers are those of the current session; the
/// session (and so pending deletions) ends with [`Pop3Client::close`].
pub struct Pop3Client {
    config: Pop3Config,
    credential: Arc<dyn TokenCredential>,
    stats: Arc<Stats>,
    state: Mutex<Option<State>>,
}

impl std::fmt::Debug for Pop3Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pop3Client")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("username", &self.config.username)
            .finish_non_exhaustive()
    }
}

impl Pop3Client {
    pub fn new(config: Pop3Config, credential: Arc<dyn TokenCredential>) -> Result<Pop3Client> {
        if config.host.trim().is_empty() || config.port == 0 {
            return Err(Error::config("the POP3 host is empty or the port is 0"));
        }
        if config.username.trim().is_empty() || config.username.chars().any(char::is_control) {
            return Err(Error::config("the POP3 user name is empty or contains control characters")
                .with_hint("Pass the mailbox address, e.g. user@contoso.com."));
        }
        Ok(Pop3Client {
            config,
            credential,
            stats: Arc::default(),
            state: Mutex::new(Some(State { session: None, deletions_pending: false })),
        })
    }

    pub fn from_provider(
        provider: &Provider,
        username: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<Pop3Client> {
        let mut c = Pop3Config::new(provider.pop3.host.clone(), provider.pop3.port, username);
        c.security = Some(provider.pop3.security);
        c.scopes = vec![provider.mail_scope.clone()];
        Pop3Client::new(c, credential)
    }

    pub fn config(&self) -> &Pop3Config {
        &self.config
    }

    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Opens the connection now (otherwise the first call does).
    pub fn connect(&self) -> Result<()> {
        self.call(|_| Ok(()))
    }

    pub fn is_tls(&self) -> bool {
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.as_ref().and_then(|s| s.session.as_ref()).is_some_and(Session::uses_tls)
    }

    fn open(&self) -> Result<Session> {
        let c = &self.config;
        let security = c.security.unwrap_or_else(|| Security::default_for_port(c.port));
        let ep = Endpoint { host: &c.host, port: c.port, security, trust: &c.ca, timeout: c.timeout };
        let scopes: Vec<&str> = c.scopes.iter().map(String::as_str).collect();
        let (mut s, token) =
            connect_with_token(&*self.credential, &scopes, false, || Session::connect(&ep, self.stats.clone()))?;
        match s.authenticate(&c.username, token.token(), c.mechanism, c.initial_response) {
            Ok(()) => {}
            Err(AuthFailure::Other(e)) => return Err(e),
            Err(AuthFailure::Rejected(e)) => {
                tracing::debug!("POP3 server rejected the token; retrying once with a fresh one");
                let Ok(fresh) = self.credential.get_fresh_token(&scopes) else { return Err(e) };
                match s.authenticate(&c.username, fresh.token(), c.mechanism, c.initial_response) {
                    Ok(()) => {}
                    Err(AuthFailure::Rejected(e) | AuthFailure::Other(e)) => return Err(e),
                }
            }
        }
        Ok(s)
    }

    /// Runs `f` on a live session. Every POP3 command but DELE only reads,
    /// so a dropped connection is reopened and the call repeated once, unless
    /// deletions were pending (the server discarded them with the session).
    fn call<T>(&self, mut f: impl FnMut(&mut Session) -> Result<T>) -> Result<T> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = guard.as_mut().ok_or_else(|| Error::closed("POP3 client"))?;
        for attempt in 1.. {
            if state.session.as_mut().is_some_and(|s| !s.is_alive()) {
                state.session = None;
                if state.deletions_pending {
                    state.deletions_pending = false;
                    return Err(lost_deletions());
                }
            }
            if state.session.is_none() {
                state.session = Some(self.open()?);
            }
            let session = state.session.as_mut().expect("session was just opened");
            match f(session) {
                Ok(v) => return Ok(v),
                Err(e) if !session.broken => return Err(e),
                Err(e) => {
                    state.session = None;
                    if state.deletions_pending {
                        state.deletions_pending = false;
                        return Err(lost_deletions());
                    }
                    // Only a lost connection is worth another try.
                    if attempt > 1 || !matches!(e.kind(), ErrorKind::Network | ErrorKind::Timeout) {
                        return Err(e);
                    }
                    tracing::info!("POP3 connection lost ({e}); reconnecting");
                }
            }
        }
        unreachable!("the loop returns")
    }

    /// (message count, total size in bytes).
    pub fn stat(&self) -> Result<(u32, u64)> {
        self.call(|s| {
            let text = s.simple("STAT")?;
            let mut w = text.split_whitespace().map(str::parse::<u64>);
            match (w.next(), w.next()) {
                (Some(Ok(n)), Some(Ok(size))) => Ok((u32::try_from(n).unwrap_or(u32::MAX), size)),
                _ => Err(Error::protocol(format!("malformed STAT reply: {text}"))),
            }
        })
    }

    /// (message number, size) of every message.
    pub fn list(&self) -> Result<Vec<(u32, u64)>> {
        self.call(|s| {
            let mut buf = Vec::new();
            s.multi("LIST", &mut buf)?;
            Ok(pairs(&buf).filter_map(|(n, v)| Some((n, v.parse().ok()?))).collect())
        })
    }

    /// (message number, unique id) of every message.
    pub fn uidl(&self) -> Result<Vec<(u32, String)>> {
        self.call(|s| {
            let mut buf = Vec::new();
            s.multi("UIDL", &mut buf)?;
            Ok(pairs(&buf).map(|(n, v)| (n, v.to_owned())).collect())
        })
    }

    /// The headers and the first `lines` body lines of message `n`.
    pub fn top(&self, n: u32, lines: u32) -> Result<Vec<u8>> {
        check_number(n)?;
        self.call(|s| {
            let mut buf = Vec::new();
            s.multi(&format!("TOP {n} {lines}"), &mut buf)?;
            Ok(buf)
        })
    }

    /// Summaries from the headers (TOP n 0), newest (highest number) first,
    /// pipelined when the server allows it.
    pub fn list_messages(&self, limit: Option<usize>) -> Result<Vec<MessageSummary>> {
        let sizes = self.list()?;
        let ids: HashMap<u32, String> = self.uidl().unwrap_or_default().into_iter().collect();
        let mut numbers: Vec<u32> = sizes.iter().map(|&(n, _)| n).rev().collect();
        if let Some(l) = limit {
            numbers.truncate(l);
        }
        let size_of: HashMap<u32, u64> = sizes.into_iter().collect();
        let mut out: Vec<Option<MessageSummary>> = vec![None; numbers.len()];
        self.call(|s| {
            let batch = if s.pipelining() { PIPELINE_BATCH } else { 1 };
            for (chunk_no, chunk) in numbers.chunks(batch).enumerate() {
                let commands: Vec<String> = chunk.iter().map(|n| format!("TOP {n} 0")).collect();
                let mut failed = None;
                s.multi_pipelined(&commands, &mut |i, headers| match headers {
                    Ok(h) => {
                        let n = chunk[i];
                        let mut m = MessageSummary::from_headers(n, &h);
                        m.size = size_of.get(&n).copied().unwrap_or_default();
                        m.uidl = ids.get(&n).cloned();
                        out[chunk_no * batch + i] = Some(m);
                    }
                    Err(e) => failed = failed.take().or(Some(e)),
                })?;
                if let Some(e) = failed {
                    return Err(e);
                }
            }
            Ok(())
        })?;
        Ok(out.into_iter().flatten().collect())
    }

    /// Streams message `n` to `out`, dot-unstuffed, never held in memory.
    /// Not repeated after a broken connection, since `out` may hold part of it.
    pub fn retr_to(&self, n: u32, out: &mut dyn Write) -> Result<()> {
        check_number(n)?;
        let mut started = false;
        self.call(|s| {
            if started {
                return Err(Error::new(ErrorKind::Network, "the connection broke while the message was being read")
                    .with_hint("Fetch the message again."));
            }
            started = true;
            s.multi(&format!("RETR {n}"), out)
        })
    }

    /// The whole message `n`.
    pub fn fetch_message(&self, n: u32) -> Result<Vec<u8>> {
        check_number(n)?;
        self.call(|s| {
            let mut buf = Vec::new();
            s.multi(&format!("RETR {n}"), &mut buf)?;
            Ok(buf)
        })
    }

    /// Streams message `n` into a file; a partial file is removed on failure.
    pub fn fetch_message_to_file(&self, n: u32, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = std::fs::File::create(path)
            .map_err(|e| Error::config(format!("cannot create {}", path.display())).with_source(e))?;
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
        let res = self
            .retr_to(n, &mut w)
            .and_then(|()| w.flush().map_err(|e| Error::io(format!("cannot write {}", path.display()), e)));
        if res.is_err() {
            drop(w);
            let _ = std::fs::remove_file(path);
        }
        res
    }

    /// Marks message `n` for deletion; the server deletes it at [`Pop3Client::close`].
    pub fn dele(&self, n: u32) -> Result<()> {
        check_number(n)?;
        self.call(|s| s.simple(&format!("DELE {n}")).map(drop))?;
        self.set_deletions_pending(true);
        Ok(())
    }

    /// Unmarks every message marked for deletion in this session.
    pub fn rset(&self) -> Result<()> {
        self.call(|s| s.simple("RSET").map(drop))?;
        self.set_deletions_pending(false);
        Ok(())
    }

    fn set_deletions_pending(&self, pending: bool) {
        if let Some(state) = self.state.lock().unwrap_or_else(PoisonError::into_inner).as_mut() {
            state.deletions_pending = pending;
        }
    }

    pub fn noop(&self) -> Result<()> {
        self.call(|s| s.simple("NOOP").map(drop))
    }

    /// QUIT: the server applies the deletions. Later calls fail with `Closed`.
    pub fn close(&self) -> Result<()> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner).take();
        match state.and_then(|s| s.session) {
            Some(session) => session.quit(),
            None => Ok(()),
        }
    }
}

/// Dropping without [`Pop3Client::close`] ends the connection without QUIT,
/// so the server discards pending deletions (RFC 1939 6), as poplib does.
impl Drop for Pop3Client {
    fn drop(&mut self) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(session) = state.and_then(|s| s.session) {
            session.abandon();
        }
    }
}

fn lost_deletions() -> Error {
    Error::new(ErrorKind::Network, "the POP3 connection was lost before QUIT, so the server discarded the deletions")
        .with_hint("Delete the messages again in a new session and call close() to apply them.")
}

fn check_number(n: u32) -> Result<()> {
    if n == 0 {
        return Err(Error::config("POP3 message numbers start at 1"));
    }
    Ok(())
}

/// `n value` lines of a LIST/UIDL reply.
fn pairs(buf: &[u8]) -> impl Iterator<Item = (u32, &str)> {
    std::str::from_utf8(buf).unwrap_or_default().lines().filter_map(|l| {
        let (n, v) = l.trim().split_once(' ')?;
        Some((n.parse().ok()?, v.trim()))
    })
}
