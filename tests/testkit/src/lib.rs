//! Test kit for oauthmail: a fake Microsoft identity platform on 127.0.0.1 over HTTPS with a
//! CA it generates, issuing RS256 JWT access tokens; an SMTP submission server and a Graph
//! sendMail endpoint that accept those tokens and deliver into an in-memory mail store;
//! fault injection and a request log.
//! See README.md for the default fixture and the binary's protocol.

mod config;
mod control;
mod faults;
pub mod fixture;
mod graph;
mod http;
mod identity;
mod imap;
mod jwt;
mod kit;
mod listener;
mod pki;
mod pop3;
mod request_log;
mod rogue;
mod sasl;
mod seed;
mod smtp;
mod store;
mod tokens;
mod util;

pub use config::{App, AppSecret, Config, Tenant, User};
pub use faults::Fault;
pub use graph::GraphFault;
pub use imap::{ImapFault, ImapStats};
pub use kit::{CertApp, TestKit};
pub use pop3::{Pop3Fault, Pop3Stats};
pub use request_log::RequestRecord;
pub use rogue::{BadCertificate, RogueProtocol, RogueServer, RogueTls};
pub use smtp::{AuthRecord, SmtpFault, SmtpStats};
pub use store::{INBOX, MailStore, SENT_ITEMS, StoredMessage};
pub use tokens::{TokenRejection, TokenRequest};
