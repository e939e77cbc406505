//! IMAP4rev1 server (implicit TLS and STARTTLS) over the kit's `MailStore`, with XOAUTH2 /
//! OAUTHBEARER, Exchange Online's replies and faults, and UIDPLUS, MOVE, IDLE, SASL-IR,
//! LITERAL+, SPECIAL-USE, NAMESPACE, ENABLE, ID, UNSELECT.

pub(crate) mod access;
mod fetch;
mod folders;
mod mime;
mod search;
mod session;
mod syntax;

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use crate::faults::FaultQueue;
use crate::smtp::AuthRecord;

pub(crate) use session::serve;

/// Faults of the IMAP server, each consumed where it applies (count-limited, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImapFault {
    /// At a successful login: after this many more commands the session gets
    /// `* BYE Session invalidated - AccessTokenExpired` and is closed (Exchange's words).
    ByeAccessTokenExpired { after_commands: usize },
    /// At a FETCH that returns message content: the connection is cut halfway through the
    /// first literal.
    DropMidFetch,
    /// At a successful login: every later command gets
    /// `BAD User is authenticated but not connected.`
    NotConnected,
    /// At connect: every reply of that connection is delayed by this much.
    Slow(Duration),
}

/// Counters of the IMAP server, so tests can count round trips.
#[derive(Clone, Debug, Default)]
pub struct ImapStats {
    pub connections: usize,
    pub auth_attempts: usize,
    /// Logins that got `OK` (not-connected ones included; their `auth_log` reason says so).
    pub auth_successes: usize,
    /// Tagged commands received.
    pub commands: usize,
    /// FETCH and UID FETCH commands.
    pub fetch_commands: usize,
    /// Commands per name (`UID FETCH`, `SELECT`, ...).
    pub by_command: BTreeMap<String, usize>,
    pub auth_log: Vec<AuthRecord>,
}

pub(crate) struct ImapState {
    pub faults: FaultQueue<ImapFault>,
    stats: Mutex<ImapStats>,
}

impl ImapState {
    pub fn new() -> ImapState {
        ImapState { faults: FaultQueue::new(), stats: Mutex::new(ImapStats::default()) }
    }

    pub fn stats(&self) -> ImapStats {
        self.stats.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub fn reset_stats(&self) {
        *self.stats.lock().unwrap_or_else(|e| e.into_inner()) = ImapStats::default();
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut ImapStats)) {
        f(&mut self.stats.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// `1:3,7` from UIDs in the order given (COPYUID pairs two such sets element by element,
/// so runs are only joined when they ascend by one).
pub(crate) fn uid_set_text(uids: &[u32]) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        out.push(if start == end { start.to_string() } else { format!("{start}:{end}") });
        i += 1;
    }
    out.join(",")
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets() {
        assert_eq!(super::uid_set_text(&[1, 2, 3, 7, 9, 10]), "1:3,7,9:10");
        assert_eq!(super::uid_set_text(&[5]), "5");
    }
}
