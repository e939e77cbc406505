//! IMAP4rev1 client authenticating with XOAUTH2 or OAUTHBEARER.
//!
//! Our own protocol loop (so that we can use SASL-IR, stream literals, count
//! round trips and survive a dropped session); imap-proto parses responses, except
//! listing rows, which `fetch` reads in place.

mod client;
mod command;
mod fetch;
pub(crate) mod parse;
pub(crate) mod response;
mod session;
pub(crate) mod transport;

pub use client::{ImapClient, ImapConfig, ListOptions, MessageIter, MessagePages};
pub use command::SearchQuery;
pub use parse::{Folder, FolderStatus, IdleEvents, MailboxInfo};
pub use transport::StatsSnapshot;

/// The system flags, for [`ImapClient::set_flags`] and friends.
pub mod flags {
    pub const SEEN: &str = "\\Seen";
    pub const ANSWERED: &str = "\\Answered";
    pub const FLAGGED: &str = "\\Flagged";
    pub const DELETED: &str = "\\Deleted";
    pub const DRAFT: &str = "\\Draft";
}
