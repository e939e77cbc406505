//! `ImapClient`: the verbs, on a lazily opened session that is reopened
//! (with a fresh token and the folder reselected) when the server drops it.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use super::command::{Command, SearchQuery, flag_list, imap_datetime, uid_set};
use super::parse::{self, Folder, FolderStatus, IdleEvents, MailboxInfo};
use super::session::{AuthFailure, Endpoint, Selected, Session, Sink};
use super::transport::{Stats, StatsSnapshot};
use crate::credential::connect_with_token;
use crate::mime::ParsedMessage;
use crate::sasl::Mechanism;
use crate::summary::MessageSummary;
use crate::tls::TlsTrust;
use crate::{Error, ErrorKind, Provider, Result, Security, TokenCredential};

/// The longest IDLE allowed: RFC 2177 asks clients to re-issue it within 29 minutes.
const MAX_IDLE: Duration = Duration::from_secs(29 * 60);
const DEFAULT_BATCH: usize = 500;

/// Where and as whom to connect.
#[derive(Clone, Debug)]
pub struct ImapConfig {
    pub host: String,
    pub port: u16,
    /// The mailbox to open: a user's or a shared mailbox's address.
    pub username: String,
    /// `None`: TLS on 993, STARTTLS otherwise.
    pub security: Option<Security>,
    pub ca: TlsTrust,
    /// For connecting and for each server reply (IDLE has its own).
    pub timeout: Duration,
    /// `None`: OAUTHBEARER when the server offers it, else XOAUTH2.
    pub mechanism: Option<Mechanism>,
    /// Token scopes; empty means the credential's defaults.
    pub scopes: Vec<String>,
}

impl ImapConfig {
    pub fn new(host: impl Into<String>, port: u16, username: impl Into<String>) -> Self {
        ImapConfig {
            host: host.into(),
            port,
            username: username.into(),
            security: None,
            ca: TlsTrust::system(),
            timeout: Duration::from_secs(60),
            mechanism: None,
            scopes: Vec::new(),
        }
    }

    fn security(&self) -> Security {
        self.security.unwrap_or_else(|| Security::default_for_port(self.port))
    }
}

/// How to list a folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListOptions {
    /// At most this many messages (after ordering).
    pub limit: Option<usize>,
    pub unseen_only: bool,
    /// Highest UID (newest arrival) first.
    pub newest_first: bool,
    /// Messages per FETCH command (one round trip each); 0: 500 for pages and
    /// iterators, all at once for [`ImapClient::list_messages`].
    pub batch_size: usize,
}

impl Default for ListOptions {
    fn default() -> Self {
        ListOptions { limit: None, unseen_only: false, newest_first: true, batch_size: 0 }
    }
}

/// A listing fetched page by page with [`ImapClient::next_page`].
#[derive(Clone, Debug)]
pub struct MessagePages {
    folder: String,
    uids: Vec<u32>,
    pos: usize,
    batch_size: usize,
}

impl MessagePages {
    /// Messages in the whole listing.
    pub fn total(&self) -> usize {
        self.uids.len()
    }
    pub fn remaining(&self) -> usize {
        self.uids.len() - self.pos
    }
}

/// Yields the messages of a listing, fetching a batch whenever it runs dry.
pub struct MessageIter<'a> {
    client: &'a ImapClient,
    pages: MessagePages,
    batch: std::vec::IntoIter<MessageSummary>,
}

impl Iterator for MessageIter<'_> {
    type Item = Result<MessageSummary>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if let Some(m) = self.batch.next() {
                return Some(Ok(m));
            }
            match self.client.next_page(&mut self.pages) {
                Ok(Some(batch)) => self.batch = batch.into_iter(),
                Ok(None) => return None,
                Err(e) => {
                    self.pages.pos = self.pages.uids.len(); // stop after reporting the error
                    return Some(Err(e));
                }
            }
        }
    }
}

/// Whether a call may be repeated on a new connection after the old one broke.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads, and writes that are harmless twice (setting flags).
    Safe,
    /// Only when the command surely did not reach the server.
    IfNotSent,
}

struct State {
    session: Option<Session>,
    /// The folder UID-based calls work on (`select`, `examine`, `search`, `list_messages` set it).
    folder: String,
    /// UIDVALIDITY seen per folder: a change means old UIDs point elsewhere.
    validity: HashMap<String, u32>,
    /// The server ended the last session because the token expired.
    token_expired: bool,
}

/// An IMAP client authenticating with OAuth 2.0. `Send + Sync`: calls from
/// several threads are serialised on its one connection.
///
/// Calls that take a folder (`select`, `examine`, `search`, `list_messages`)
/// make it the current folder; calls that take UIDs (`fetch_message`,
/// `set_flags`, `copy`, `move_messages`, `delete`, `idle`) work on it
/// (INBOX at first), as UIDs only mean something within one folder.
pub struct ImapClient {
    config: ImapConfig,
    credential: Arc<dyn TokenCredential>,
    stats: Arc<Stats>,
    state: Mutex<Option<State>>,
}

impl std::fmt::Debug for ImapClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapClient")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("username", &self.config.username)
            .finish_non_exhaustive()
    }
}

impl ImapClient {
    /// Checks the settings; the connection opens on first use.
    pub fn new(config: ImapConfig, credential: Arc<dyn TokenCredential>) -> Result<ImapClient> {
        if config.host.trim().is_empty() {
            return Err(Error::config("the IMAP host is empty"));
        }
        if config.port == 0 {
            return Err(Error::config("the IMAP port is 0"));
        }
        if config.username.trim().is_empty() || config.username.chars().any(char::is_control) {
            return Err(Error::config("the IMAP user name is empty or contains control characters")
                .with_hint("Pass the mailbox address, e.g. user@contoso.com."));
        }
        Ok(ImapClient {
            config,
            credential,
            stats: Arc::default(),
            state: Mutex::new(Some(State {
                session: None,
                folder: "INBOX".into(),
                validity: HashMap::new(),
                token_expired: false,
            })),
        })
    }

    /// The provider's IMAP host, port, security and mail scope.
    pub fn from_provider(
        provider: &Provider,
        username: impl Into<String>,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<ImapClient> {
        let mut c = ImapConfig::new(provider.imap.host.clone(), provider.imap.port, username);
        c.security = Some(provider.imap.security);
        c.scopes = vec![provider.mail_scope.clone()];
        ImapClient::new(c, credential)
    }

    pub fn config(&self) -> &ImapConfig {
        &self.config
    }

    /// Commands, round trips and connections so far.
    pub fn stats(&self) -> StatsSnapshot {
        self.stats.snapshot()
    }

    /// Opens the connection now (otherwise the first call does).
    pub fn connect(&self) -> Result<()> {
        self.call(Retry::Safe, |_, _| Ok(()))
    }

    /// Whether the current connection uses TLS (false before connecting).
    pub fn is_tls(&self) -> bool {
        let guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        guard.as_ref().and_then(|s| s.session.as_ref()).is_some_and(Session::uses_tls)
    }

    /// Logs out. Later calls fail with a `Closed` error; closing twice is fine.
    pub fn close(&self) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner).take();
        if let Some(session) = state.and_then(|s| s.session) {
            session.logout();
        }
    }

    /// Connects and authenticates; `fresh` skips the credential's cache
    /// (the server said the token expired, whatever the cache believes).
    fn open(&self, fresh: bool) -> Result<Session> {
        let c = &self.config;
        let ep = Endpoint { host: &c.host, port: c.port, security: c.security(), trust: &c.ca, timeout: c.timeout };
        let scopes: Vec<&str> = c.scopes.iter().map(String::as_str).collect();
        let (mut session, token) =
            connect_with_token(&*self.credential, &scopes, fresh, || Session::connect(&ep, self.stats.clone()))?;
        match session.authenticate(&c.username, token.token(), c.mechanism) {
            Ok(()) => {}
            Err(AuthFailure::Other(e)) => return Err(e),
            Err(AuthFailure::Rejected(e)) => {
                // The token may have expired early or been revoked: one retry with a fresh one.
                tracing::debug!("IMAP server rejected the token; retrying once with a fresh one");
                let Ok(fresh) = self.credential.get_fresh_token(&scopes) else { return Err(e) };
                match session.authenticate(&c.username, fresh.token(), c.mechanism) {
                    Ok(()) => {}
                    Err(AuthFailure::Rejected(e) | AuthFailure::Other(e)) => return Err(e),
                }
            }
        }
        tracing::debug!(host = %c.host, port = c.port, user = %c.username, "IMAP session authenticated");
        Ok(session)
    }

    /// Runs `f` on a live session, reconnecting when the server dropped the
    /// old one. A broken call is repeated once on a new connection unless it
    /// may have changed something on the server.
    fn call<T>(&self, retry: Retry, mut f: impl FnMut(&mut Session, &mut FolderState<'_>) -> Result<T>) -> Result<T> {
        let mut guard = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let state = guard.as_mut().ok_or_else(|| Error::closed("IMAP client"))?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            if let Some(s) = state.session.as_mut()
                && !s.is_alive()
            {
                tracing::info!("the IMAP server closed the session; reconnecting");
                state.token_expired = s.said_token_expired();
                state.session = None;
            }
            if state.session.is_none() {
                state.session = Some(self.open(state.token_expired)?);
                state.token_expired = false;
            }
            let session = state.session.as_mut().expect("session was just opened");
            let mut ctx = FolderState { folder: &mut state.folder, validity: &mut state.validity };
            match f(session, &mut ctx) {
                Ok(v) => return Ok(v),
                Err(e) if !session.broken => return Err(e),
                Err(e) => {
                    let unknown = session.outcome_unknown;
                    state.session = None;
                    state.token_expired = e.code() == Some("AccessTokenExpired");
                    // Only a lost connection is worth another try; our own refusals would repeat.
                    let lost = matches!(e.kind(), ErrorKind::Network | ErrorKind::Timeout);
                    if lost && attempt == 1 && (retry == Retry::Safe || !unknown) {
                        tracing::info!("IMAP connection lost ({e}); reconnecting");
                        continue;
                    }
                    if lost && unknown {
                        return Err(Error::new(
                            ErrorKind::Network,
                            format!(
                                "the connection broke before the server finished the command, and it was not \
                                 repeated because it may have been done, or partly done: {}",
                                e.message_text()
                            ),
                        )
                        .with_hint(
                            "After an append, copy, move or folder change, check the folder before repeating it; \
                             a message that was being streamed must be fetched again.",
                        ));
                    }
                    return Err(e);
                }
            }
        }
    }

    /// Every folder, with special-use roles (Sent, Drafts, Trash, ...).
    pub fn list_folders(&self) -> Result<Vec<Folder>> {
        self.call(Retry::Safe, |s, _| {
            let cmd = if s.has_cap("SPECIAL-USE") && s.has_cap("LIST-EXTENDED") {
                Command::new("LIST \"\" \"*\" RETURN (SPECIAL-USE)")
            } else {
                Command::new("LIST \"\" \"*\"")
            };
            s.decode_each(&cmd, 0, parse::folder)
        })
    }

    pub fn create_folder(&self, name: &str) -> Result<()> {
        check_folder(name)?;
        self.call(Retry::IfNotSent, |s, _| s.run_mutating(&Command::new("CREATE ").mailbox(name)).map(drop))
    }

    pub fn delete_folder(&self, name: &str) -> Result<()> {
        check_folder(name)?;
        self.call(Retry::IfNotSent, |s, _| {
            if s.selected.as_ref().is_some_and(|sel| sel.name == name) {
                let leave = if s.has_cap("UNSELECT") { "UNSELECT" } else { "EXAMINE \"INBOX\"" };
                s.run(&Command::new(leave))?;
                s.selected = None;
            }
            s.run_mutating(&Command::new("DELETE ").mailbox(name)).map(drop)
        })
    }

    /// Message, unseen, UIDNEXT and UIDVALIDITY counts without selecting.
    pub fn status(&self, folder: &str) -> Result<FolderStatus> {
        check_folder(folder)?;
        self.call(Retry::Safe, |s, _| {
            let cmd = Command::new("STATUS ").mailbox(folder).text(" (MESSAGES UNSEEN UIDNEXT UIDVALIDITY)");
            s.run(&cmd)?
                .iter()
                .find_map(|r| parse::status(r))
                .ok_or_else(|| Error::protocol(format!("the server sent no STATUS data for {folder}")))
        })
    }

    /// Opens `folder` read-write; later UID calls work on it.
    pub fn select(&self, folder: &str) -> Result<MailboxInfo> {
        self.open_folder(folder, false)
    }

    /// Opens `folder` read-only; later UID calls work on it.
    pub fn examine(&self, folder: &str) -> Result<MailboxInfo> {
        self.open_folder(folder, true)
    }

    fn open_folder(&self, folder: &str, read_only: bool) -> Result<MailboxInfo> {
        check_folder(folder)?;
        self.call(Retry::Safe, |s, st| {
            s.selected = None;
            let info = select(s, st, folder, !read_only)?.expect("a folder that was not selected is selected now");
            *st.folder = folder.to_owned();
            Ok(info)
        })
    }

    /// UIDs of the messages in `folder` that match, ascending.
    pub fn search(&self, folder: &str, query: &SearchQuery) -> Result<Vec<u32>> {
        check_folder(folder)?;
        let cmd = query.to_command()?;
        self.call(Retry::Safe, |s, st| {
            select(s, st, folder, false)?;
            *st.folder = folder.to_owned();
            search(s, &cmd)
        })
    }

    /// The messages of `folder`: one SEARCH, then one FETCH for all of them unless
    /// `batch_size` asks for batches (all are kept anyway, so batches only add round
    /// trips; [`ImapClient::iter_messages`] holds one batch at a time).
    pub fn list_messages(&self, folder: &str, options: &ListOptions) -> Result<Vec<MessageSummary>> {
        let mut pages = self.pages(folder, options)?;
        if options.batch_size == 0 {
            pages.batch_size = pages.uids.len().max(1);
        }
        let mut out = Vec::new();
        while let Some(batch) = self.next_page(&mut pages)? {
            if out.is_empty() {
                out = batch; // one batch (the default): no copy
            } else {
                out.extend(batch);
            }
        }
        Ok(out)
    }

    /// Starts a listing; fetch it with [`ImapClient::next_page`].
    pub fn pages(&self, folder: &str, options: &ListOptions) -> Result<MessagePages> {
        check_folder(folder)?;
        let query = if options.unseen_only { SearchQuery::new().unseen() } else { SearchQuery::new() };
        let mut uids = self.search(folder, &query)?;
        if options.newest_first {
            uids.reverse();
        }
        if let Some(limit) = options.limit {
            uids.truncate(limit);
        }
        let batch_size = if options.batch_size == 0 { DEFAULT_BATCH } else { options.batch_size };
        Ok(MessagePages { folder: folder.to_owned(), uids, pos: 0, batch_size })
    }

    /// The next batch of a listing, `None` when done. Messages deleted
    /// meanwhile are left out.
    pub fn next_page(&self, pages: &mut MessagePages) -> Result<Option<Vec<MessageSummary>>> {
        if pages.pos >= pages.uids.len() {
            return Ok(None);
        }
        let end = (pages.pos + pages.batch_size).min(pages.uids.len());
        let want = &pages.uids[pages.pos..end];
        let cmd = Command::new(format!("UID FETCH {} {}", uid_set(want)?, parse::SUMMARY_ITEMS));
        let folder = pages.folder.clone();
        let mut rows = self.call(Retry::Safe, |s, st| {
            select_known(s, st, &folder, false)?;
            s.decode_each(&cmd, want.len(), parse::summary)
        })?;
        // In `want`'s order (ascending, or descending for newest_first), once each: servers
        // answer in mailbox order, so this sort finds the rows sorted already.
        rows.sort_unstable_by_key(|r| r.uid);
        rows.dedup_by_key(|r| r.uid);
        if want.first() > want.last() {
            rows.reverse();
        }
        pages.pos = end;
        Ok(Some(rows))
    }

    /// The listing as an iterator that fetches one batch at a time.
    pub fn iter_messages(&self, folder: &str, options: &ListOptions) -> Result<MessageIter<'_>> {
        Ok(MessageIter { client: self, pages: self.pages(folder, options)?, batch: Vec::new().into_iter() })
    }

    /// The whole message (RFC 5322 bytes) from the current folder.
    pub fn fetch_message(&self, uid: u32) -> Result<Vec<u8>> {
        check_uid(uid)?;
        self.call(Retry::Safe, |s, st| {
            let mut buf = Vec::new();
            fetch_to(s, st, uid, &mut Sink::Buffer(&mut buf))?;
            Ok(buf)
        })
    }

    /// Streams the message to `out` without holding it in memory. Not
    /// repeated after a broken connection, since `out` may hold part of it.
    pub fn fetch_message_to(&self, uid: u32, out: &mut dyn Write) -> Result<()> {
        check_uid(uid)?;
        self.call(Retry::IfNotSent, |s, st| fetch_to(s, st, uid, &mut Sink::Stream(&mut *out)))
    }

    /// Streams the message into a file; a partial file is removed on failure.
    pub fn fetch_message_to_file(&self, uid: u32, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let file = std::fs::File::create(path)
            .map_err(|e| Error::config(format!("cannot create {}", path.display())).with_source(e))?;
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
        let res = self
            .fetch_message_to(uid, &mut w)
            .and_then(|()| w.flush().map_err(|e| Error::io(format!("cannot write {}", path.display()), e)));
        if res.is_err() {
            drop(w);
            let _ = std::fs::remove_file(path);
        }
        res
    }

    /// The message parsed into text, HTML and attachments.
    pub fn fetch_parsed(&self, uid: u32) -> Result<ParsedMessage> {
        ParsedMessage::parse(&self.fetch_message(uid)?)
    }

    /// Adds flags or keywords (`\Seen`, `\Flagged`, `\Deleted`, `$Custom`).
    pub fn set_flags(&self, uids: &[u32], flags: &[&str]) -> Result<()> {
        self.store(uids, "+FLAGS.SILENT", flags)
    }

    pub fn clear_flags(&self, uids: &[u32], flags: &[&str]) -> Result<()> {
        self.store(uids, "-FLAGS.SILENT", flags)
    }

    fn store(&self, uids: &[u32], op: &str, flags: &[&str]) -> Result<()> {
        let cmd = Command::new(format!("UID STORE {} {op} {}", uid_set(uids)?, flag_list(flags)?));
        self.call(Retry::Safe, |s, st| {
            select_current(s, st, true)?;
            s.run(&cmd).map(drop)
        })
    }

    /// Copies messages of the current folder into `dest`.
    pub fn copy(&self, uids: &[u32], dest: &str) -> Result<()> {
        check_folder(dest)?;
        let cmd = Command::new(format!("UID COPY {} ", uid_set(uids)?)).mailbox(dest);
        self.call(Retry::IfNotSent, |s, st| {
            select_current(s, st, false)?;
            s.run_mutating(&cmd).map(drop)
        })
    }

    /// Moves messages of the current folder into `dest` (MOVE, or COPY,
    /// \Deleted and expunge of just these UIDs where the server has UIDPLUS).
    pub fn move_messages(&self, uids: &[u32], dest: &str) -> Result<()> {
        check_folder(dest)?;
        let set = uid_set(uids)?;
        self.call(Retry::IfNotSent, |s, st| {
            select_current(s, st, true)?;
            if s.has_cap("MOVE") {
                return s.run_mutating(&Command::new(format!("UID MOVE {set} ")).mailbox(dest)).map(drop);
            }
            s.run_mutating(&Command::new(format!("UID COPY {set} ")).mailbox(dest))?;
            s.run(&Command::new(format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)")))?;
            expunge(s, &set)
        })
    }

    /// Marks messages `\Deleted` and, with `expunge`, removes them (only
    /// these UIDs when the server has UIDPLUS, else all `\Deleted` ones).
    pub fn delete(&self, uids: &[u32], expunge_now: bool) -> Result<()> {
        let set = uid_set(uids)?;
        self.call(Retry::Safe, |s, st| {
            select_current(s, st, true)?;
            s.run(&Command::new(format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)")))?;
            if expunge_now { expunge(s, &set) } else { Ok(()) }
        })
    }

    /// Stores a message in `folder` (e.g. a copy of a sent one in "Sent").
    /// Returns its UID when the server reports it (UIDPLUS).
    pub fn append(
        &self,
        folder: &str,
        message: &[u8],
        flags: &[&str],
        date: Option<SystemTime>,
    ) -> Result<Option<u32>> {
        check_folder(folder)?;
        if message.is_empty() {
            return Err(Error::message("cannot append an empty message"));
        }
        let mut cmd = Command::new("APPEND ").mailbox(folder);
        if !flags.is_empty() {
            cmd = cmd.text(" ").text(&flag_list(flags)?);
        }
        if let Some(d) = date {
            cmd = cmd.text(" ").text(&imap_datetime(d));
        }
        let cmd = cmd.text(" ").literal(message.to_vec());
        self.call(Retry::IfNotSent, |s, _| {
            let (_, done) = s.run_mutating(&cmd)?;
            Ok(done.code.as_deref().and_then(|c| {
                let mut w = c.split_whitespace();
                (w.next()? == "APPENDUID").then_some(())?;
                w.nth(1)?.parse().ok()
            }))
        })
    }

    /// Waits up to `timeout` (at most 29 minutes) for changes in the current folder.
    pub fn idle(&self, timeout: Duration) -> Result<IdleEvents> {
        let timeout = timeout.min(MAX_IDLE);
        self.call(Retry::Safe, |s, st| {
            if !s.has_cap("IDLE") {
                return Err(Error::protocol("the IMAP server does not support IDLE")
                    .with_hint("Poll with status() or search() instead."));
            }
            select_current(s, st, false)?;
            Ok(parse::idle_events(&s.idle(timeout)?))
        })
    }
}

impl Drop for ImapClient {
    fn drop(&mut self) {
        self.close();
    }
}

/// The parts of the client state a call may change.
struct FolderState<'a> {
    folder: &'a mut String,
    validity: &'a mut HashMap<String, u32>,
}

fn check_folder(name: &str) -> Result<()> {
    if name.is_empty() || name.contains(['\r', '\n', '\0']) {
        return Err(Error::config(format!("invalid folder name {name:?}")));
    }
    Ok(())
}

/// Selects `folder` unless it already is (read-write when `write`).
/// Returns what SELECT reported when it ran.
fn select(s: &mut Session, st: &mut FolderState<'_>, folder: &str, write: bool) -> Result<Option<MailboxInfo>> {
    if s.selected.as_ref().is_some_and(|sel| sel.name == folder && (!write || !sel.read_only)) {
        return Ok(None);
    }
    s.selected = None; // a failed SELECT leaves nothing selected
    let verb = if write { "SELECT " } else { "EXAMINE " };
    let untagged = s.run(&Command::new(verb).mailbox(folder))?;
    let mut info = MailboxInfo { name: folder.to_owned(), read_only: !write, ..Default::default() };
    for r in &untagged {
        parse::select_data(&mut info, r);
    }
    st.validity.insert(folder.to_owned(), info.uid_validity);
    s.selected = Some(Selected { name: folder.to_owned(), read_only: !write });
    Ok(Some(info))
}

/// Like [`select`], but fails when the folder's UIDVALIDITY changed since
/// the caller got its UIDs (they would now name other messages).
fn select_known(s: &mut Session, st: &mut FolderState<'_>, folder: &str, write: bool) -> Result<()> {
    let before = st.validity.get(folder).copied();
    if let Some(info) = select(s, st, folder, write)?
        && before.is_some_and(|b| b != info.uid_validity)
    {
        return Err(Error::protocol(format!(
            "the UIDVALIDITY of {folder} changed, so earlier UIDs are no longer valid"
        ))
        .with_hint("List or search the folder again to get current UIDs."));
    }
    Ok(())
}

fn select_current(s: &mut Session, st: &mut FolderState<'_>, write: bool) -> Result<()> {
    let folder = st.folder.clone();
    select_known(s, st, &folder, write)
}

fn search(s: &mut Session, cmd: &Command) -> Result<Vec<u32>> {
    let mut uids: Vec<u32> = s.decode_each(cmd, 1, parse::search)?.into_iter().flatten().collect();
    uids.sort_unstable();
    uids.dedup();
    Ok(uids)
}

fn expunge(s: &mut Session, set: &str) -> Result<()> {
    let cmd = if s.has_cap("UIDPLUS") { Command::new(format!("UID EXPUNGE {set}")) } else { Command::new("EXPUNGE") };
    s.run(&cmd).map(drop)
}

fn check_uid(uid: u32) -> Result<()> {
    if uid == 0 {
        return Err(Error::config("UID 0 does not exist; UIDs start at 1"));
    }
    Ok(())
}

fn fetch_to(s: &mut Session, st: &mut FolderState<'_>, uid: u32, out: &mut Sink<'_>) -> Result<()> {
    select_current(s, st, false)?;
    if s.fetch_body_to(uid, out)? {
        Ok(())
    } else {
        Err(Error::config(format!("there is no message with UID {uid} in {}", st.folder)).with_code("NONEXISTENT"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clients_can_be_shared_between_threads() {
        fn shared<T: Send + Sync>() {}
        shared::<ImapClient>();
        shared::<crate::pop3::Pop3Client>();
    }

    #[test]
    fn bad_settings_are_config_errors() {
        let cred: Arc<dyn TokenCredential> = Arc::new(crate::StaticTokenCredential::new("t", None).unwrap());
        for (host, port, user) in
            [("", 993, "u@x"), ("127.0.0.1", 0, "u@x"), ("127.0.0.1", 993, ""), ("127.0.0.1", 993, "a\r\nb")]
        {
            let e = ImapClient::new(ImapConfig::new(host, port, user), cred.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config);
        }
        // Every check below must fail before a connection is attempted.
        let c = ImapClient::new(ImapConfig::new("127.0.0.1", 993, "u@x"), cred).unwrap();
        assert_eq!(c.config().security(), Security::Tls);
        assert_eq!(c.status("bad\r\nname").unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(c.fetch_message(0).unwrap_err().kind(), ErrorKind::Config, "checked before connecting");
        assert_eq!(c.set_flags(&[], &["\\Seen"]).unwrap_err().kind(), ErrorKind::Config);
        c.close();
        assert_eq!(c.status("INBOX").unwrap_err().kind(), ErrorKind::Closed);
    }
}
