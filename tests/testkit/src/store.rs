//! The in-memory mail store: mailboxes per user, folders, messages with UIDs, flags and dates.
//! SMTP and Graph write to it; IMAP/POP3 servers read it.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use crate::util::now_secs;

pub const INBOX: &str = "INBOX";
pub const SENT_ITEMS: &str = "Sent Items";

/// One stored message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredMessage {
    pub uid: u32,
    /// IMAP flags such as `\Seen`.
    pub flags: Vec<String>,
    /// Unix seconds when it was stored (IMAP INTERNALDATE).
    pub internal_date: i64,
    pub raw: Vec<u8>,
}

#[derive(Debug)]
struct Folder {
    uid_validity: u32,
    uid_next: u32,
    messages: Vec<StoredMessage>,
}

impl Folder {
    fn new(uid_validity: u32) -> Folder {
        Folder { uid_validity, uid_next: 1, messages: Vec::new() }
    }
}

#[derive(Default)]
struct Inner {
    /// Lower-cased client id -> the only mailboxes (lower-cased) its app tokens may open;
    /// apps not listed may open every mailbox.
    app_access: BTreeMap<String, Vec<String>>,
    /// Lower-cased address -> folder name -> folder.
    mailboxes: BTreeMap<String, BTreeMap<String, Folder>>,
    /// Bumped on every change, for servers that wait for new mail (IMAP IDLE).
    generation: u64,
    next_uid_validity: u32,
}

/// A thread-safe mail store; clones share the same data.
#[derive(Clone, Default)]
pub struct MailStore {
    inner: Arc<(Mutex<Inner>, Condvar)>,
}

fn key(user: &str) -> String {
    user.trim().to_ascii_lowercase()
}

/// INBOX is case-insensitive (RFC 3501); other folder names are kept as given.
fn folder_key(folder: &str) -> String {
    if folder.eq_ignore_ascii_case(INBOX) { INBOX.to_string() } else { folder.to_string() }
}

impl MailStore {
    pub fn new() -> MailStore {
        MailStore::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn changed(&self, inner: &mut Inner) {
        inner.generation += 1;
        self.inner.1.notify_all();
    }

    fn folder_mut<'a>(inner: &'a mut Inner, user: &str, folder: &str) -> &'a mut Folder {
        inner.next_uid_validity += 1;
        let validity = 1_000 + inner.next_uid_validity;
        inner.mailboxes.entry(key(user)).or_default().entry(folder_key(folder)).or_insert_with(|| Folder::new(validity))
    }

    /// Creates `user`'s mailbox with an empty INBOX (no-op if it exists).
    pub fn create_mailbox(&self, user: &str) {
        let mut inner = self.lock();
        Self::folder_mut(&mut inner, user, INBOX);
        self.changed(&mut inner);
    }

    pub fn has_mailbox(&self, user: &str) -> bool {
        self.lock().mailboxes.contains_key(&key(user))
    }

    /// Addresses with a mailbox, sorted.
    pub fn users(&self) -> Vec<String> {
        self.lock().mailboxes.keys().cloned().collect()
    }

    /// Creates a folder (and the mailbox) if missing.
    pub fn create_folder(&self, user: &str, folder: &str) {
        let mut inner = self.lock();
        Self::folder_mut(&mut inner, user, folder);
        self.changed(&mut inner);
    }

    /// Folder names of `user`, sorted (empty if there is no mailbox).
    pub fn folders(&self, user: &str) -> Vec<String> {
        self.lock().mailboxes.get(&key(user)).map(|f| f.keys().cloned().collect()).unwrap_or_default()
    }

    /// Stores a message (creating mailbox and folder as needed); returns its UID.
    pub fn append(&self, user: &str, folder: &str, raw: &[u8], flags: &[&str]) -> u32 {
        self.append_at(user, folder, raw, flags, now_secs())
    }

    /// Like `append` with an explicit internal date (Unix seconds).
    pub fn append_at(&self, user: &str, folder: &str, raw: &[u8], flags: &[&str], internal_date: i64) -> u32 {
        let mut inner = self.lock();
        let f = Self::folder_mut(&mut inner, user, folder);
        let uid = f.uid_next;
        f.uid_next += 1;
        f.messages.push(StoredMessage {
            uid,
            flags: flags.iter().map(|s| s.to_string()).collect(),
            internal_date,
            raw: raw.to_vec(),
        });
        self.changed(&mut inner);
        uid
    }

    /// Messages of a folder in UID order (empty if missing).
    pub fn messages(&self, user: &str, folder: &str) -> Vec<StoredMessage> {
        self.with_folder(user, folder, |f| f.messages.clone()).unwrap_or_default()
    }

    pub fn message(&self, user: &str, folder: &str, uid: u32) -> Option<StoredMessage> {
        // Messages are kept in UID order.
        self.with_folder(user, folder, |f| {
            f.messages.binary_search_by_key(&uid, |m| m.uid).ok().map(|i| f.messages[i].clone())
        })
        .flatten()
    }

    pub fn count(&self, user: &str, folder: &str) -> usize {
        self.with_folder(user, folder, |f| f.messages.len()).unwrap_or(0)
    }

    /// (UIDVALIDITY, UIDNEXT) of a folder.
    pub fn uid_info(&self, user: &str, folder: &str) -> Option<(u32, u32)> {
        self.with_folder(user, folder, |f| (f.uid_validity, f.uid_next))
    }

    /// Replaces a message's flags; false if there is no such message.
    pub fn set_flags(&self, user: &str, folder: &str, uid: u32, flags: &[&str]) -> bool {
        let mut inner = self.lock();
        let found = inner
            .mailboxes
            .get_mut(&key(user))
            .and_then(|m| m.get_mut(&folder_key(folder)))
            .and_then(|f| f.messages.iter_mut().find(|m| m.uid == uid))
            .map(|m| m.flags = flags.iter().map(|s| s.to_string()).collect())
            .is_some();
        if found {
            self.changed(&mut inner);
        }
        found
    }

    /// Removes a message (expunge); false if there is no such message.
    pub fn remove(&self, user: &str, folder: &str, uid: u32) -> bool {
        let mut inner = self.lock();
        let removed = inner
            .mailboxes
            .get_mut(&key(user))
            .and_then(|m| m.get_mut(&folder_key(folder)))
            .map(|f| {
                let before = f.messages.len();
                f.messages.retain(|m| m.uid != uid);
                before != f.messages.len()
            })
            .unwrap_or(false);
        if removed {
            self.changed(&mut inner);
        }
        removed
    }

    /// A counter that changes whenever anything in the store changes.
    pub fn generation(&self) -> u64 {
        self.lock().generation
    }

    /// Waits until the generation differs from `seen` or `timeout` passes; returns the current one.
    pub fn wait_for_change(&self, seen: u64, timeout: Duration) -> u64 {
        let guard = self.lock();
        let (guard, _) = self
            .inner
            .1
            .wait_timeout_while(guard, timeout, |inner| inner.generation == seen)
            .unwrap_or_else(|e| e.into_inner());
        guard.generation
    }

    /// Appends `n` generated messages to `user`'s INBOX (see `seed::message`); returns their UIDs.
    pub fn seed(&self, user: &str, n: usize) -> Vec<u32> {
        self.seed_folder(user, INBOX, n, 0)
    }

    /// Appends generated messages `start..start+n` to a folder; returns their UIDs.
    pub fn seed_folder(&self, user: &str, folder: &str, n: usize, start: usize) -> Vec<u32> {
        let base = now_secs() - (n as i64) * 60;
        (start..start + n)
            .map(|i| {
                let date = base + ((i - start) as i64) * 60;
                let flags: &[&str] = if i % 3 == 0 { &["\\Seen"] } else { &[] };
                self.append_at(user, folder, &crate::seed::message(user, i, date), flags, date)
            })
            .collect()
    }

    /// Whether a folder exists.
    pub fn has_folder(&self, user: &str, folder: &str) -> bool {
        self.with_folder(user, folder, |_| ()).is_some()
    }

    /// (UID, flags) of every message of a folder, without the bodies; None if it is missing.
    pub fn flags_snapshot(&self, user: &str, folder: &str) -> Option<Vec<(u32, Vec<String>)>> {
        self.with_folder(user, folder, |f| f.messages.iter().map(|m| (m.uid, m.flags.clone())).collect())
    }

    /// Calls `f` on each message of a folder under the store's lock (no copies); false if missing.
    pub fn scan(&self, user: &str, folder: &str, mut f: impl FnMut(&StoredMessage)) -> bool {
        self.with_folder(user, folder, |folder| folder.messages.iter().for_each(&mut f)).is_some()
    }

    /// Changes a message's flags in place; returns the new flags (None: no such message).
    pub fn update_flags(
        &self,
        user: &str,
        folder: &str,
        uid: u32,
        f: impl FnOnce(&mut Vec<String>),
    ) -> Option<Vec<String>> {
        let mut inner = self.lock();
        let message = inner
            .mailboxes
            .get_mut(&key(user))
            .and_then(|m| m.get_mut(&folder_key(folder)))
            .and_then(|fo| fo.messages.binary_search_by_key(&uid, |m| m.uid).ok().map(|i| &mut fo.messages[i]))?;
        let before = message.flags.clone();
        f(&mut message.flags);
        let after = message.flags.clone();
        if after != before {
            self.changed(&mut inner);
        }
        Some(after)
    }

    /// Removes the messages with these UIDs; returns the UIDs removed.
    pub fn remove_many(&self, user: &str, folder: &str, uids: &[u32]) -> Vec<u32> {
        let mut inner = self.lock();
        let mut removed = Vec::new();
        if let Some(f) = inner.mailboxes.get_mut(&key(user)).and_then(|m| m.get_mut(&folder_key(folder))) {
            let wanted: std::collections::BTreeSet<u32> = uids.iter().copied().collect();
            f.messages.retain(|m| {
                let hit = wanted.contains(&m.uid);
                if hit {
                    removed.push(m.uid);
                }
                !hit
            });
        }
        if !removed.is_empty() {
            self.changed(&mut inner);
        }
        removed
    }

    /// Deletes a folder and its messages (not its subfolders); false if it is missing.
    pub fn delete_folder(&self, user: &str, folder: &str) -> bool {
        let mut inner = self.lock();
        let removed = inner.mailboxes.get_mut(&key(user)).and_then(|m| m.remove(&folder_key(folder))).is_some();
        if removed {
            self.changed(&mut inner);
        }
        removed
    }

    /// Renames a folder and its subfolders (`from/...`), keeping messages and UIDs but giving
    /// them a new UIDVALIDITY. Renaming INBOX moves its messages and leaves it empty (RFC 3501).
    /// False if `from` is missing or `to` exists.
    pub fn rename_folder(&self, user: &str, from: &str, to: &str) -> bool {
        let mut inner = self.lock();
        let (from, to) = (folder_key(from), folder_key(to));
        let Some(mailbox) = inner.mailboxes.get(&key(user)) else {
            return false;
        };
        if !mailbox.contains_key(&from) || mailbox.contains_key(&to) {
            return false;
        }
        let prefix = format!("{from}/");
        let names: Vec<String> =
            mailbox.keys().filter(|n| **n == from || (from != INBOX && n.starts_with(&prefix))).cloned().collect();
        for name in names {
            inner.next_uid_validity += 1;
            let validity = 1_000 + inner.next_uid_validity;
            let mailbox = inner.mailboxes.get_mut(&key(user)).expect("checked above");
            let mut folder = mailbox.remove(&name).expect("listed above");
            folder.uid_validity = validity;
            let new_name = format!("{to}{}", &name[from.len()..]);
            if name == INBOX {
                let fresh =
                    Folder { uid_validity: folder.uid_validity + 1, uid_next: folder.uid_next, messages: Vec::new() };
                mailbox.insert(INBOX.to_string(), fresh);
            }
            mailbox.insert(new_name, folder);
        }
        self.changed(&mut inner);
        true
    }

    /// Restricts which mailboxes app tokens of `client_id` may open over IMAP and POP3
    /// (Exchange: the service principal's mailbox permissions). None: every mailbox.
    pub fn set_app_mailboxes(&self, client_id: &str, mailboxes: Option<&[&str]>) {
        let mut inner = self.lock();
        let id = client_id.to_ascii_lowercase();
        match mailboxes {
            Some(list) => {
                inner.app_access.insert(id, list.iter().map(|m| key(m)).collect());
            }
            None => {
                inner.app_access.remove(&id);
            }
        }
    }

    /// Whether app tokens of `client_id` may open `mailbox`.
    pub fn app_may_access(&self, client_id: &str, mailbox: &str) -> bool {
        self.lock()
            .app_access
            .get(&client_id.to_ascii_lowercase())
            .is_none_or(|allowed| allowed.contains(&key(mailbox)))
    }

    fn with_folder<T>(&self, user: &str, folder: &str, f: impl FnOnce(&Folder) -> T) -> Option<T> {
        let inner = self.lock();
        inner.mailboxes.get(&key(user)).and_then(|m| m.get(&folder_key(folder))).map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uids_flags_and_folders() {
        let store = MailStore::new();
        assert!(!store.has_mailbox("A@example.test"));
        assert_eq!(store.append("A@example.test", "inbox", b"one", &[]), 1);
        assert_eq!(store.append("a@example.test", "INBOX", b"two", &["\\Seen"]), 2);
        assert_eq!(store.count("a@EXAMPLE.test", INBOX), 2);
        assert!(store.remove("a@example.test", INBOX, 1));
        assert_eq!(store.append("a@example.test", INBOX, b"three", &[]), 3, "UIDs are never reused");
        assert!(store.set_flags("a@example.test", INBOX, 3, &["\\Flagged"]));
        assert_eq!(store.message("a@example.test", INBOX, 3).unwrap().flags, vec!["\\Flagged"]);
        store.create_folder("a@example.test", "Archive/2026");
        assert_eq!(store.folders("a@example.test"), vec!["Archive/2026", INBOX]);
        let g = store.generation();
        assert_eq!(store.wait_for_change(g, Duration::from_millis(1)), g);
    }
}
