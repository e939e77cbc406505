//! One IMAP connection: the command loop, state (not authenticated / authenticated /
//! selected), and every command the kit implements.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use rustls::{ServerConfig, ServerConnection, StreamOwned};

use super::access::{self, Access};
use super::fetch::{self, Item, Message, Rendered};
use super::folders;
use super::search::{self, Candidate};
use super::syntax::{self, Parser, ReadError, SeqSet};
use super::{ImapFault, uid_set_text};
use crate::kit::Shared;
use crate::listener::IDLE_TIMEOUT;
use crate::sasl::{self, Mechanism};
use crate::smtp::{AuthRecord, Conn};
use crate::store::INBOX;
use crate::util::now_secs;

/// Output above this is written out in the middle of a long FETCH.
const FLUSH_AT: usize = 256 * 1024;
/// How often IDLE looks for new mail.
const IDLE_POLL: Duration = Duration::from_millis(50);
/// The longest IDLE we wait through (RFC 2177 clients re-issue it within 29 minutes).
const MAX_IDLE: Duration = Duration::from_secs(30 * 60);

const BYE_EXPIRED: &str = "* BYE Session invalidated - AccessTokenExpired";
const NOT_CONNECTED: &str = "BAD User is authenticated but not connected.";
const INVALID_STATE: &str = "Command received in Invalid state.";

/// How a command ended.
enum Done {
    /// The tagged reply after the tag, e.g. `OK FETCH completed.`.
    Tagged(String),
    /// Already answered (STARTTLS).
    Answered,
    /// Close the connection (everything has been written).
    Close,
}

/// Why a command failed before it could be answered normally.
enum Fail {
    Io(io::Error),
    /// Bad syntax: `BAD <text>`.
    Syntax(String),
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Self {
        Fail::Io(e)
    }
}

impl From<String> for Fail {
    fn from(e: String) -> Self {
        Fail::Syntax(e)
    }
}

type Handled = Result<Done, Fail>;

fn ok(text: &str) -> Handled {
    Ok(Done::Tagged(format!("OK {text}")))
}

fn no(text: &str) -> Handled {
    Ok(Done::Tagged(format!("NO {text}")))
}

fn bad(text: &str) -> Handled {
    Ok(Done::Tagged(format!("BAD {text}")))
}

struct Login {
    mailbox: String,
    /// Token `exp` (Unix seconds); the session ends with a BYE once it passes.
    expires: i64,
    not_connected: bool,
}

/// The selected folder as this session has reported it to the client.
struct Selected {
    folder: String,
    read_only: bool,
    /// (UID, flags) in sequence-number order, as last told to the client.
    known: Vec<(u32, Vec<String>)>,
    /// Store generation `known` reflects.
    generation: u64,
}

impl Selected {
    fn seq_of(&self, uid: u32) -> Option<u32> {
        self.known.binary_search_by_key(&uid, |(u, _)| *u).ok().map(|i| i as u32 + 1)
    }

    /// (sequence number, UID) of the messages a set names.
    fn targets(&self, set: &SeqSet, by_uid: bool) -> Vec<(u32, u32)> {
        let largest = if by_uid { self.known.last().map_or(0, |(u, _)| *u) } else { self.known.len() as u32 };
        self.known
            .iter()
            .enumerate()
            .map(|(i, (uid, _))| (i as u32 + 1, *uid))
            .filter(|&(seq, uid)| set.contains(if by_uid { uid } else { seq }, largest))
            .collect()
    }
}

struct Session<'a> {
    shared: &'a Shared,
    tls_config: Arc<ServerConfig>,
    reader: BufReader<Conn>,
    out: Vec<u8>,
    tls: bool,
    login: Option<Login>,
    selected: Option<Selected>,
    slow: Option<Duration>,
    /// Commands left before a `BYE ... AccessTokenExpired` fault fires.
    bye_after: Option<usize>,
}

/// Serves one IMAP connection; `implicit_tls` for the IMAPS port.
pub(crate) fn serve(shared: &Shared, tls: Arc<ServerConfig>, tcp: TcpStream, implicit_tls: bool) {
    shared.imap.update(|s| s.connections += 1);
    let conn = if implicit_tls {
        match ServerConnection::new(tls.clone()) {
            Ok(c) => Conn::Tls(Box::new(StreamOwned::new(c, tcp))),
            Err(_) => return,
        }
    } else {
        Conn::Plain(tcp)
    };
    let slow = match shared.imap.faults.take_if(|f| matches!(f, ImapFault::Slow(_))) {
        Some(ImapFault::Slow(d)) => Some(d),
        _ => None,
    };
    let mut session = Session {
        shared,
        tls_config: tls,
        reader: BufReader::new(conn),
        out: Vec::new(),
        tls: implicit_tls,
        login: None,
        selected: None,
        slow,
        bye_after: None,
    };
    let _ = session.run();
    if let Conn::Tls(s) = session.reader.get_mut() {
        s.conn.send_close_notify();
        let _ = s.flush();
    }
}

fn tcp(conn: &Conn) -> Option<&TcpStream> {
    match conn {
        Conn::Plain(s) => Some(s),
        Conn::Tls(s) => Some(&s.sock),
        Conn::Closed => None,
    }
}

/// The inside of a `FLAGS (...)` list.
fn flag_text(flags: &[String]) -> String {
    flags.join(" ")
}

impl Session<'_> {
    fn line(&mut self, text: &str) {
        self.out.extend_from_slice(text.as_bytes());
        self.out.extend_from_slice(b"\r\n");
    }

    fn flush(&mut self) -> io::Result<()> {
        let conn = self.reader.get_mut();
        conn.write_all(&self.out)?;
        conn.flush()?;
        self.out.clear();
        Ok(())
    }

    fn capabilities(&self) -> String {
        let mut caps = String::from(
            "IMAP4 IMAP4rev1 SASL-IR LITERAL+ UIDPLUS MOVE IDLE SPECIAL-USE NAMESPACE ENABLE ID UNSELECT CHILDREN",
        );
        caps.push_str(if self.tls { " AUTH=XOAUTH2 AUTH=OAUTHBEARER" } else { " STARTTLS LOGINDISABLED" });
        caps
    }

    fn mailbox(&self) -> &str {
        self.login.as_ref().map_or("", |l| l.mailbox.as_str())
    }

    fn run(&mut self) -> io::Result<()> {
        if let Some(d) = self.slow {
            std::thread::sleep(d);
        }
        let greeting = format!(
            "* OK [CAPABILITY {}] The Microsoft Exchange IMAP4 service is ready. (oauthmail testkit)",
            self.capabilities()
        );
        self.line(&greeting);
        self.flush()?;
        loop {
            let command = match syntax::read_command(&mut self.reader) {
                Ok(Some(c)) => c,
                Ok(None) => return Ok(()),
                Err(ReadError::TooBig) => {
                    self.line("* BAD Command line or literal too long.");
                    return self.flush();
                }
                Err(ReadError::Io(e)) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {
                    // Exchange's autologout.
                    self.line("* BYE Connection is closed. 13");
                    return self.flush();
                }
                Err(ReadError::Io(e)) => return Err(e),
            };
            let mut p = Parser::new(&command);
            let Ok(tag) = p.word() else {
                self.line("* BAD Missing command tag.");
                self.flush()?;
                continue;
            };
            let name = match command_name(&mut p) {
                Ok(n) => n,
                Err(_) => {
                    self.line(&format!("{tag} BAD Command Error. 12"));
                    self.flush()?;
                    continue;
                }
            };
            self.shared.imap.update(|s| {
                s.commands += 1;
                if name.ends_with("FETCH") {
                    s.fetch_commands += 1;
                }
                *s.by_command.entry(name.clone()).or_default() += 1;
            });
            if let Some(d) = self.slow {
                std::thread::sleep(d);
            }
            let done = match self.gate(&name) {
                Some(done) => Ok(done),
                None => self.dispatch(&tag, &name, &mut p),
            };
            match done {
                Ok(Done::Tagged(text)) => {
                    // Only UID commands may see EXPUNGE responses while they run (RFC 3501 7.4.1).
                    let expunges = !matches!(name.as_str(), "FETCH" | "STORE" | "SEARCH");
                    self.sync(expunges);
                    self.line(&format!("{tag} {text}"));
                }
                Ok(Done::Answered) => {}
                Ok(Done::Close) => return self.flush(),
                Err(Fail::Syntax(msg)) => self.line(&format!("{tag} BAD Command Argument Error. {msg}")),
                Err(Fail::Io(e)) => return Err(e),
            }
            self.flush()?;
        }
    }

    /// What happens to a command before it runs: the token-expired BYE, the not-connected
    /// refusal. None: run it.
    fn gate(&mut self, name: &str) -> Option<Done> {
        let login = self.login.as_ref()?;
        if name == "LOGOUT" {
            return None;
        }
        let fault_fires = self.bye_after == Some(0);
        if let Some(n) = self.bye_after.as_mut() {
            *n = n.saturating_sub(1);
        }
        if fault_fires || now_secs() >= login.expires {
            self.line(BYE_EXPIRED);
            return Some(Done::Close);
        }
        if login.not_connected {
            return Some(Done::Tagged(NOT_CONNECTED.into()));
        }
        None
    }

    fn dispatch(&mut self, tag: &str, name: &str, p: &mut Parser) -> Handled {
        let authenticated = self.login.is_some();
        let selected = self.selected.is_some();
        let no_arguments =
            ["CAPABILITY", "NOOP", "LOGOUT", "STARTTLS", "NAMESPACE", "IDLE", "CHECK", "EXPUNGE", "CLOSE", "UNSELECT"];
        if no_arguments.contains(&name) {
            p.end()?;
        }
        match name {
            "CAPABILITY" => {
                let caps = format!("* CAPABILITY {}", self.capabilities());
                self.line(&caps);
                ok("CAPABILITY completed.")
            }
            "NOOP" => ok("NOOP completed."),
            "LOGOUT" => {
                self.line("* BYE Microsoft Exchange Server IMAP4 server signing off.");
                self.line(&format!("{tag} OK LOGOUT completed."));
                Ok(Done::Close)
            }
            "ID" => {
                p.rest();
                self.line("* ID (\"name\" \"oauthmail-testkit\" \"vendor\" \"oauthmail\")");
                ok("ID completed.")
            }
            "STARTTLS" if !authenticated => self.starttls(tag),
            "AUTHENTICATE" if !authenticated => self.authenticate(p),
            "LOGIN" if !authenticated => {
                p.rest();
                no("LOGIN failed.")
            }
            _ if !authenticated => bad(INVALID_STATE),
            "ENABLE" => {
                p.rest();
                self.line("* ENABLED");
                ok("ENABLE completed.")
            }
            "NAMESPACE" => {
                self.line("* NAMESPACE ((\"\" \"/\")) NIL NIL");
                ok("NAMESPACE completed.")
            }
            "LIST" | "LSUB" => self.list(p, name),
            "CREATE" => self.create(p),
            "DELETE" => self.delete(p),
            "RENAME" => self.rename(p),
            "SUBSCRIBE" | "UNSUBSCRIBE" => {
                mailbox_arg(p)?;
                ok(&format!("{name} completed."))
            }
            "STATUS" => self.status(p),
            "SELECT" | "EXAMINE" => self.select(p, name == "EXAMINE"),
            "APPEND" => self.append(p),
            "IDLE" => self.idle(),
            _ if !selected => bad(INVALID_STATE),
            "CHECK" => ok("CHECK completed."),
            "FETCH" | "UID FETCH" => self.fetch(p, name.starts_with("UID")),
            "STORE" | "UID STORE" => self.store(p, name.starts_with("UID")),
            "SEARCH" | "UID SEARCH" => self.search(p, name.starts_with("UID")),
            "COPY" | "UID COPY" => self.copy(p, name.starts_with("UID"), false),
            "MOVE" | "UID MOVE" => self.copy(p, name.starts_with("UID"), true),
            "EXPUNGE" => self.expunge(None),
            "UID EXPUNGE" => {
                let set = SeqSet::parse(&p.word()?)?;
                p.end()?;
                self.expunge(Some(set))
            }
            "CLOSE" => {
                if self.selected.as_ref().is_some_and(|s| !s.read_only) {
                    self.remove_deleted(None, false);
                }
                self.selected = None;
                ok("CLOSE completed.")
            }
            "UNSELECT" => {
                self.selected = None;
                ok("UNSELECT completed.")
            }
            _ => bad("Command Error. 12"),
        }
    }

    fn starttls(&mut self, tag: &str) -> Handled {
        if self.tls {
            return bad(INVALID_STATE);
        }
        if !self.reader.buffer().is_empty() {
            // Commands pipelined after STARTTLS would be taken as if they came over TLS.
            self.line(&format!("{tag} BAD No commands may follow STARTTLS before the handshake."));
            return Ok(Done::Close);
        }
        self.line(&format!("{tag} OK Begin TLS negotiation now."));
        self.flush()?;
        let Conn::Plain(tcp) = std::mem::replace(self.reader.get_mut(), Conn::Closed) else {
            return Ok(Done::Close);
        };
        let conn = ServerConnection::new(self.tls_config.clone()).map_err(io::Error::other)?;
        self.reader = BufReader::new(Conn::Tls(Box::new(StreamOwned::new(conn, tcp))));
        self.tls = true;
        Ok(Done::Answered)
    }

    fn record_auth(&self, mechanism: Mechanism, user: &str, success: bool, reason: Option<String>) {
        self.shared.imap.update(|s| {
            if success {
                s.auth_successes += 1;
            }
            s.auth_log.push(AuthRecord { mechanism: mechanism.name().into(), user: user.into(), success, reason });
        });
    }

    fn authenticate(&mut self, p: &mut Parser) -> Handled {
        let Some(mechanism) = Mechanism::parse(&p.atom()?) else {
            p.rest();
            return no("AUTHENTICATE failed.");
        };
        if !self.tls {
            p.rest();
            return no("[PRIVACYREQUIRED] AUTHENTICATE needs TLS; issue STARTTLS first.");
        }
        self.shared.imap.update(|s| s.auth_attempts += 1);
        let initial = if p.eat(b' ') {
            let ir = p.word()?;
            p.end()?;
            if ir == "=" { String::new() } else { ir }
        } else {
            self.line("+ ");
            self.flush()?;
            match syntax::read_line(&mut self.reader) {
                Ok(Some(line)) => String::from_utf8_lossy(&line).into_owned(),
                Ok(None) | Err(ReadError::TooBig) => return Ok(Done::Close),
                Err(ReadError::Io(e)) => return Err(e.into()),
            }
        };
        if initial.trim() == "*" {
            return bad("AUTHENTICATE aborted.");
        }
        let decoded = STANDARD.decode(initial.trim()).unwrap_or_default();
        let (user, mut access) = access::check(self.shared, &sasl::IMAP, mechanism, &decoded);
        let login_fault = self.shared.imap.faults.take_if(|f| {
            matches!(f, ImapFault::NotConnected | ImapFault::ByeAccessTokenExpired { .. })
                && matches!(access, Access::Granted { .. })
        });
        match login_fault {
            Some(ImapFault::NotConnected) => {
                if let Access::Granted { mailbox, .. } = access {
                    access = Access::NotConnected { mailbox, reason: "fault NotConnected".into() };
                }
            }
            Some(ImapFault::ByeAccessTokenExpired { after_commands }) => {
                self.bye_after = Some(after_commands);
            }
            _ => {}
        }
        let caps = self.capabilities();
        match access {
            Access::Granted { mailbox, expires } => {
                self.record_auth(mechanism, &user, true, None);
                for (folder, _) in folders::WELL_KNOWN {
                    if !self.shared.store.has_folder(&mailbox, folder) {
                        self.shared.store.create_folder(&mailbox, folder);
                    }
                }
                self.login = Some(Login { mailbox, expires, not_connected: false });
                ok(&format!("[CAPABILITY {caps}] AUTHENTICATE completed."))
            }
            Access::NotConnected { mailbox, reason } => {
                self.record_auth(mechanism, &user, true, Some(format!("not connected: {reason}")));
                self.login = Some(Login { mailbox, expires: i64::MAX, not_connected: true });
                ok(&format!("[CAPABILITY {caps}] AUTHENTICATE completed."))
            }
            Access::Refused(reason) => {
                self.record_auth(mechanism, &user, false, Some(reason));
                // Exchange sends the error as a SASL challenge first, then fails on the answer.
                self.line(&format!("+ {}", mechanism.failure_challenge(sasl::IMAP.challenge_scope)));
                self.flush()?;
                match syntax::read_line(&mut self.reader) {
                    Ok(Some(_)) => no("AUTHENTICATE failed."),
                    Ok(None) | Err(ReadError::TooBig) => Ok(Done::Close),
                    Err(ReadError::Io(e)) => Err(e.into()),
                }
            }
        }
    }

    fn list(&mut self, p: &mut Parser, verb: &str) -> Handled {
        let mut special_only = false;
        if p.eat(b'(') {
            // LIST-EXTENDED selection options (RFC 5258), e.g. `(SPECIAL-USE)`.
            while !p.eat(b')') {
                p.eat(b' ');
                special_only |= p.atom()?.eq_ignore_ascii_case("SPECIAL-USE");
            }
            p.sp()?;
        }
        let reference = wire_name(&p.list_mailbox()?)?;
        p.sp()?;
        let pattern = wire_name(&p.list_mailbox()?)?;
        if p.eat(b' ') {
            // `RETURN (SPECIAL-USE ...)`: special-use attributes are always returned.
            if !p.atom()?.eq_ignore_ascii_case("RETURN") {
                return Err(Fail::Syntax("expected RETURN".into()));
            }
            p.sp()?;
            p.expect(b'(')?;
            while !p.eat(b')') {
                p.eat(b' ');
                p.atom()?;
            }
        }
        p.end()?;
        if pattern.is_empty() {
            self.line(&format!("* {verb} (\\Noselect) \"/\" \"\""));
            return ok(&format!("{verb} completed."));
        }
        let full = format!("{reference}{pattern}");
        let mut names = self.shared.store.folders(self.mailbox());
        // INBOX first, as servers usually list it.
        names.sort_by_key(|n| n != INBOX);
        for name in &names {
            if !folders::matches(&full, name) {
                continue;
            }
            let use_attr = folders::special_use(name);
            if special_only && use_attr.is_none() {
                continue;
            }
            let prefix = format!("{name}/");
            let children = names.iter().any(|n| n.starts_with(&prefix));
            let mut attrs = vec![if children { "\\HasChildren" } else { "\\HasNoChildren" }];
            attrs.extend(use_attr);
            let mut line = format!("* {verb} ({}) \"/\" ", attrs.join(" ")).into_bytes();
            syntax::write_string(&mut line, folders::encode(name).as_bytes());
            self.out.extend_from_slice(&line);
            self.out.extend_from_slice(b"\r\n");
        }
        ok(&format!("{verb} completed."))
    }

    fn create(&mut self, p: &mut Parser) -> Handled {
        let name = mailbox_arg(p)?;
        p.end()?;
        let name = name.trim_end_matches('/').to_string();
        let store = &self.shared.store;
        if name.is_empty() || store.has_folder(self.mailbox(), &name) {
            return no("[ALREADYEXISTS] Mailbox already exists.");
        }
        // Superior names are created too (RFC 3501 6.3.3).
        let mut path = String::new();
        for piece in name.split('/') {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(piece);
            if !store.has_folder(self.mailbox(), &path) {
                store.create_folder(self.mailbox(), &path);
            }
        }
        ok("CREATE completed.")
    }

    fn delete(&mut self, p: &mut Parser) -> Handled {
        let name = mailbox_arg(p)?;
        p.end()?;
        if name == INBOX {
            return no("Cannot delete INBOX.");
        }
        if !self.shared.store.delete_folder(self.mailbox(), &name) {
            return no("[NONEXISTENT] Mailbox doesn't exist.");
        }
        if self.selected.as_ref().is_some_and(|s| s.folder == name) {
            self.selected = None;
        }
        ok("DELETE completed.")
    }

    fn rename(&mut self, p: &mut Parser) -> Handled {
        let from = mailbox_arg(p)?;
        p.sp()?;
        let to = mailbox_arg(p)?;
        p.end()?;
        let store = &self.shared.store;
        if !store.has_folder(self.mailbox(), &from) {
            return no("[NONEXISTENT] Mailbox doesn't exist.");
        }
        if !store.rename_folder(self.mailbox(), &from, &to) {
            return no("[ALREADYEXISTS] Mailbox already exists.");
        }
        ok("RENAME completed.")
    }

    fn status(&mut self, p: &mut Parser) -> Handled {
        let name = mailbox_arg(p)?;
        p.sp()?;
        p.expect(b'(')?;
        let mut items = Vec::new();
        while !p.eat(b')') {
            p.eat(b' ');
            items.push(p.atom()?.to_ascii_uppercase());
        }
        p.end()?;
        let store = &self.shared.store;
        let Some((validity, next)) = store.uid_info(self.mailbox(), &name) else {
            return no("[NONEXISTENT] Mailbox doesn't exist.");
        };
        let snapshot = store.flags_snapshot(self.mailbox(), &name).unwrap_or_default();
        let unseen = snapshot.iter().filter(|(_, f)| !f.iter().any(|x| x == "\\Seen")).count();
        let mut values = Vec::new();
        for item in &items {
            let value = match item.as_str() {
                "MESSAGES" => snapshot.len() as u64,
                "UNSEEN" => unseen as u64,
                "UIDNEXT" => u64::from(next),
                "UIDVALIDITY" => u64::from(validity),
                "RECENT" => 0,
                other => return Err(Fail::Syntax(format!("unknown STATUS item {other}"))),
            };
            values.push(format!("{item} {value}"));
        }
        let mut line = b"* STATUS ".to_vec();
        syntax::write_string(&mut line, folders::encode(&name).as_bytes());
        line.extend_from_slice(format!(" ({})\r\n", values.join(" ")).as_bytes());
        self.out.extend_from_slice(&line);
        ok("STATUS completed.")
    }

    fn select(&mut self, p: &mut Parser, read_only: bool) -> Handled {
        let name = mailbox_arg(p)?;
        p.rest(); // select parameters such as (CONDSTORE) are not supported and ignored
        self.selected = None;
        let store = &self.shared.store;
        let generation = store.generation();
        let (Some((validity, next)), Some(known)) =
            (store.uid_info(self.mailbox(), &name), store.flags_snapshot(self.mailbox(), &name))
        else {
            return no("[NONEXISTENT] Mailbox doesn't exist.");
        };
        self.line("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent)");
        if read_only {
            self.line("* OK [PERMANENTFLAGS ()] Permanent flags");
        } else {
            self.line(
                "* OK [PERMANENTFLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft $MDNSent \\*)] Permanent flags",
            );
        }
        self.line(&format!("* {} EXISTS", known.len()));
        self.line("* 0 RECENT");
        if let Some(i) = known.iter().position(|(_, f)| !f.iter().any(|x| x == "\\Seen")) {
            self.line(&format!("* OK [UNSEEN {}] Is the first unseen message", i + 1));
        }
        self.line(&format!("* OK [UIDVALIDITY {validity}] UIDVALIDITY value"));
        self.line(&format!("* OK [UIDNEXT {next}] The next unique identifier value"));
        self.selected = Some(Selected { folder: name, read_only, known, generation });
        if read_only { ok("[READ-ONLY] EXAMINE completed.") } else { ok("[READ-WRITE] SELECT completed.") }
    }

    fn append(&mut self, p: &mut Parser) -> Handled {
        let name = mailbox_arg(p)?;
        p.sp()?;
        let flags = if p.peek() == Some(b'(') {
            let f = p.flag_list()?;
            p.sp()?;
            f
        } else {
            Vec::new()
        };
        let date = if p.peek() == Some(b'"') {
            let text = String::from_utf8_lossy(&p.string()?).into_owned();
            p.sp()?;
            Some(syntax::parse_date_time(&text).ok_or_else(|| format!("invalid date-time '{text}'"))?)
        } else {
            None
        };
        let data = p.string()?;
        p.end()?;
        let store = &self.shared.store;
        let Some((validity, _)) = store.uid_info(self.mailbox(), &name) else {
            return no("[TRYCREATE] Mailbox doesn't exist.");
        };
        let flags: Vec<&str> = flags.iter().map(String::as_str).collect();
        let uid = store.append_at(self.mailbox(), &name, &data, &flags, date.unwrap_or_else(now_secs));
        ok(&format!("[APPENDUID {validity} {uid}] APPEND completed."))
    }

    fn idle(&mut self) -> Handled {
        self.line("+ IDLE accepted, awaiting DONE command.");
        self.flush()?;
        let started = Instant::now();
        let result = self.wait_in_idle(started);
        if let Some(t) = tcp(self.reader.get_ref()) {
            t.set_read_timeout(Some(IDLE_TIMEOUT))?;
        }
        if !result? {
            return Ok(Done::Close);
        }
        match syntax::read_line(&mut self.reader) {
            Ok(Some(line)) if line.eq_ignore_ascii_case(b"DONE") => ok("IDLE completed."),
            Ok(Some(_)) => bad("Expected DONE."),
            Ok(None) | Err(ReadError::TooBig) => Ok(Done::Close),
            Err(ReadError::Io(e)) => Err(e.into()),
        }
    }

    /// Reports changes until the client writes something; false when the session must end.
    fn wait_in_idle(&mut self, started: Instant) -> io::Result<bool> {
        if let Some(t) = tcp(self.reader.get_ref()) {
            t.set_read_timeout(Some(IDLE_POLL))?;
        }
        loop {
            match self.reader.fill_buf() {
                Ok([]) => return Ok(false),
                Ok(_) => return Ok(true),
                Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => {}
                Err(e) => return Err(e),
            }
            let expired = self.login.as_ref().is_some_and(|l| now_secs() >= l.expires);
            if expired || started.elapsed() > MAX_IDLE {
                self.line(BYE_EXPIRED);
                self.flush()?;
                return Ok(false);
            }
            self.sync(true);
            if !self.out.is_empty() {
                self.flush()?;
            }
        }
    }

    fn fetch(&mut self, p: &mut Parser, by_uid: bool) -> Handled {
        let set = SeqSet::parse(&p.word()?)?;
        p.sp()?;
        let mut items = fetch::parse_items(p)?;
        p.end()?;
        if by_uid && !items.contains(&Item::Uid) {
            items.insert(0, Item::Uid);
        }
        let sel = self.selected.as_ref().expect("checked by dispatch");
        if !by_uid && set.max_explicit() > sel.known.len() as u32 {
            return bad("Error in IMAP command FETCH: Invalid messageset");
        }
        let targets = sel.targets(&set, by_uid);
        let (folder, read_only) = (sel.folder.clone(), sel.read_only);
        let cut = items.iter().any(Item::is_content)
            && !targets.is_empty()
            && self.shared.imap.faults.take_if(|f| *f == ImapFault::DropMidFetch).is_some();
        let sets_seen = !read_only && items.iter().any(Item::sets_seen);
        let mut with_flags = items.clone();
        if !items.contains(&Item::Flags) {
            with_flags.push(Item::Flags);
        }
        for (seq, uid) in targets {
            let store = &self.shared.store;
            let Some(message) = store.message(self.mailbox(), &folder, uid) else {
                continue; // expunged meanwhile; reported at the next chance
            };
            let mut flags = message.flags.clone();
            let mut shown = &items;
            if sets_seen
                && !flags.iter().any(|f| f == "\\Seen")
                && let Some(new) = store.update_flags(self.mailbox(), &folder, uid, |f| {
                    f.push("\\Seen".into());
                })
            {
                flags = new;
                self.remember_flags(uid, &flags);
                shown = &with_flags;
            }
            let m = Message { seq, uid, flags: &flags, internal_date: message.internal_date, raw: &message.raw };
            if let Rendered::Cut = fetch::render(&mut self.out, &m, shown, cut) {
                self.flush()?;
                if let Some(t) = tcp(self.reader.get_ref()) {
                    let _ = t.shutdown(Shutdown::Both);
                }
                return Ok(Done::Close);
            }
            if self.out.len() > FLUSH_AT {
                self.flush()?;
            }
        }
        ok("FETCH completed.")
    }

    fn remember_flags(&mut self, uid: u32, flags: &[String]) {
        if let Some(sel) = self.selected.as_mut()
            && let Ok(i) = sel.known.binary_search_by_key(&uid, |(u, _)| *u)
        {
            sel.known[i].1 = flags.to_vec();
        }
    }

    fn store(&mut self, p: &mut Parser, by_uid: bool) -> Handled {
        let set = SeqSet::parse(&p.word()?)?;
        p.sp()?;
        let op = p.atom()?.to_ascii_uppercase();
        p.sp()?;
        let flags = p.flag_list()?;
        p.end()?;
        let (op, silent) = match op.strip_suffix(".SILENT") {
            Some(o) => (o.to_string(), true),
            None => (op, false),
        };
        if !matches!(op.as_str(), "FLAGS" | "+FLAGS" | "-FLAGS") {
            return Err(Fail::Syntax(format!("unknown STORE operation {op}")));
        }
        let sel = self.selected.as_ref().expect("checked by dispatch");
        if sel.read_only {
            return no("[READ-ONLY] The mailbox is open read-only.");
        }
        if !by_uid && set.max_explicit() > sel.known.len() as u32 {
            return bad("Error in IMAP command STORE: Invalid messageset");
        }
        let targets = sel.targets(&set, by_uid);
        let folder = sel.folder.clone();
        for (seq, uid) in targets {
            let updated = self.shared.store.update_flags(self.mailbox(), &folder, uid, |current| match op.as_str() {
                "FLAGS" => *current = flags.clone(),
                "+FLAGS" => {
                    for f in &flags {
                        if !current.iter().any(|c| c.eq_ignore_ascii_case(f)) {
                            current.push(f.clone());
                        }
                    }
                }
                _ => current.retain(|c| !flags.iter().any(|f| f.eq_ignore_ascii_case(c))),
            });
            let Some(new) = updated else { continue };
            self.remember_flags(uid, &new);
            if !silent {
                let uid_part = if by_uid { format!("UID {uid} ") } else { String::new() };
                self.line(&format!("* {seq} FETCH ({uid_part}FLAGS ({}))", flag_text(&new)));
            }
        }
        ok("STORE completed.")
    }

    fn search(&mut self, p: &mut Parser, by_uid: bool) -> Handled {
        let starts_with_charset = p.remaining().get(..8).is_some_and(|w| w.eq_ignore_ascii_case(b"CHARSET "));
        if starts_with_charset {
            p.atom()?;
            p.sp()?;
            let charset = String::from_utf8_lossy(&p.astring()?).to_ascii_uppercase();
            if charset != "UTF-8" && charset != "US-ASCII" {
                p.rest();
                return no("[BADCHARSET (UTF-8 US-ASCII)] The specified charset is not supported.");
            }
            p.sp()?;
        }
        let keys = search::parse_keys(p)?;
        p.end()?;
        let sel = self.selected.as_ref().expect("checked by dispatch");
        let max_seq = sel.known.len() as u32;
        let max_uid = sel.known.last().map_or(0, |(u, _)| *u);
        let mut hits = Vec::new();
        self.shared.store.scan(self.mailbox(), &sel.folder, |m| {
            // Messages the client has not been told about yet have no sequence number.
            let Some(seq) = sel.seq_of(m.uid) else { return };
            let c = Candidate {
                seq,
                uid: m.uid,
                flags: &m.flags,
                internal_date: m.internal_date,
                raw: &m.raw,
                max_seq,
                max_uid,
            };
            if keys.iter().all(|k| k.matches(&c)) {
                hits.push(if by_uid { m.uid } else { seq });
            }
        });
        let mut line = String::from("* SEARCH");
        for h in hits {
            line.push_str(&format!(" {h}"));
        }
        self.line(&line);
        ok("SEARCH completed.")
    }

    fn copy(&mut self, p: &mut Parser, by_uid: bool, moving: bool) -> Handled {
        let set = SeqSet::parse(&p.word()?)?;
        p.sp()?;
        let dest = mailbox_arg(p)?;
        p.end()?;
        let verb = if moving { "MOVE" } else { "COPY" };
        let sel = self.selected.as_ref().expect("checked by dispatch");
        if moving && sel.read_only {
            return no("[READ-ONLY] The mailbox is open read-only.");
        }
        if !by_uid && set.max_explicit() > sel.known.len() as u32 {
            return bad(&format!("Error in IMAP command {verb}: Invalid messageset"));
        }
        let store = &self.shared.store;
        let Some((validity, _)) = store.uid_info(self.mailbox(), &dest) else {
            return no("[TRYCREATE] Mailbox doesn't exist.");
        };
        let targets = sel.targets(&set, by_uid);
        let folder = sel.folder.clone();
        let (mut from, mut to) = (Vec::new(), Vec::new());
        for (_, uid) in targets {
            let Some(m) = store.message(self.mailbox(), &folder, uid) else { continue };
            let flags: Vec<&str> = m.flags.iter().map(String::as_str).collect();
            to.push(store.append_at(self.mailbox(), &dest, &m.raw, &flags, m.internal_date));
            from.push(uid);
        }
        let code = if from.is_empty() {
            String::new()
        } else {
            format!("[COPYUID {validity} {} {}] ", uid_set_text(&from), uid_set_text(&to))
        };
        if !moving {
            return ok(&format!("{code}COPY completed."));
        }
        if !from.is_empty() {
            self.line(&format!("* OK {code}Moved."));
            self.remove_and_report(&folder, &from);
        }
        ok("MOVE completed.")
    }

    /// Removes messages from the store and sends their EXPUNGE responses.
    fn remove_and_report(&mut self, folder: &str, uids: &[u32]) {
        let mailbox = self.mailbox().to_string();
        let removed = self.shared.store.remove_many(&mailbox, folder, uids);
        let Some(sel) = self.selected.as_mut() else { return };
        let mut seqs: Vec<u32> = removed.iter().filter_map(|u| sel.seq_of(*u)).collect();
        // From the highest down, so each number is still valid when it is sent.
        seqs.sort_unstable_by(|a, b| b.cmp(a));
        for seq in seqs {
            sel.known.remove(seq as usize - 1);
            self.out.extend_from_slice(format!("* {seq} EXPUNGE\r\n").as_bytes());
        }
    }

    /// Removes the \Deleted messages (only those in `set`, if given); reports them if `report`.
    fn remove_deleted(&mut self, set: Option<&SeqSet>, report: bool) {
        let Some(sel) = self.selected.as_ref() else { return };
        let folder = sel.folder.clone();
        let max_uid = sel.known.last().map_or(0, |(u, _)| *u);
        let snapshot = self.shared.store.flags_snapshot(self.mailbox(), &folder).unwrap_or_default();
        let doomed: Vec<u32> = snapshot
            .into_iter()
            .filter(|(uid, flags)| {
                flags.iter().any(|f| f == "\\Deleted")
                    && sel.seq_of(*uid).is_some()
                    && set.is_none_or(|s| s.contains(*uid, max_uid))
            })
            .map(|(uid, _)| uid)
            .collect();
        if report {
            self.remove_and_report(&folder, &doomed);
        } else {
            let mailbox = self.mailbox().to_string();
            self.shared.store.remove_many(&mailbox, &folder, &doomed);
        }
    }

    fn expunge(&mut self, set: Option<SeqSet>) -> Handled {
        if self.selected.as_ref().is_some_and(|s| s.read_only) {
            return no("[READ-ONLY] The mailbox is open read-only.");
        }
        self.remove_deleted(set.as_ref(), true);
        ok("EXPUNGE completed.")
    }

    /// Tells the client what changed in the selected folder since it last heard: expunged
    /// messages (when `expunges` are allowed now), flag changes, new messages.
    fn sync(&mut self, expunges: bool) {
        let mailbox = self.mailbox().to_string();
        let Some(sel) = self.selected.as_mut() else { return };
        let store = &self.shared.store;
        let generation = store.generation();
        if generation == sel.generation {
            return;
        }
        let current = store.flags_snapshot(&mailbox, &sel.folder).unwrap_or_default();
        let last_known = sel.known.last().map_or(0, |(u, _)| *u);
        let mut kept = Vec::with_capacity(current.len());
        let mut expunged = Vec::new();
        let mut changed = Vec::new();
        let mut deferred = false;
        let mut ci = 0;
        for (i, (uid, flags)) in sel.known.iter().enumerate() {
            while ci < current.len() && current[ci].0 < *uid {
                ci += 1;
            }
            if ci < current.len() && current[ci].0 == *uid {
                if current[ci].1 != *flags {
                    changed.push(*uid);
                }
                kept.push(current[ci].clone());
                ci += 1;
            } else if expunges {
                expunged.push(i as u32 + 1);
            } else {
                deferred = true;
                kept.push((*uid, flags.clone()));
            }
        }
        let before = kept.len();
        kept.extend(current.into_iter().filter(|(uid, _)| *uid > last_known));
        let grew = kept.len() > before;
        for seq in expunged.iter().rev() {
            self.out.extend_from_slice(format!("* {seq} EXPUNGE\r\n").as_bytes());
        }
        sel.known = kept;
        for uid in changed {
            if let Some(seq) = sel.seq_of(uid) {
                let flags = flag_text(&sel.known[seq as usize - 1].1);
                self.out.extend_from_slice(format!("* {seq} FETCH (UID {uid} FLAGS ({flags}))\r\n").as_bytes());
            }
        }
        if grew {
            self.out.extend_from_slice(format!("* {} EXISTS\r\n", sel.known.len()).as_bytes());
        }
        // Expunges that could not be reported yet keep the folder "changed".
        if !deferred {
            sel.generation = generation;
        }
    }
}

/// `FETCH`, `UID FETCH`, ... upper-cased.
fn command_name(p: &mut Parser) -> Result<String, String> {
    p.sp()?;
    let name = p.atom()?.to_ascii_uppercase();
    if name != "UID" {
        p.eat(b' ');
        return Ok(name);
    }
    p.sp()?;
    let sub = p.atom()?.to_ascii_uppercase();
    p.eat(b' ');
    Ok(format!("UID {sub}"))
}

/// A mailbox name from the wire: modified UTF-7 decoded, INBOX in any case as INBOX.
fn wire_name(raw: &[u8]) -> Result<String, Fail> {
    let name = folders::decode(raw).ok_or_else(|| Fail::Syntax("mailbox name is not valid modified UTF-7".into()))?;
    Ok(if name.eq_ignore_ascii_case(INBOX) { INBOX.to_string() } else { name })
}

fn mailbox_arg(p: &mut Parser) -> Result<String, Fail> {
    let raw = p.astring()?;
    wire_name(&raw)
}
