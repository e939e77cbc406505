//! Test kit for oauthmail: a fake Microsoft identity platform on 127.0.0.1 over HTTPS with a
//! CA it generates, issuing RS256 JWT access tokens, with fault injection and a request log.
//! See README.md for the default fixture and the binary's protocol.

mod config;
mod control;
mod faults;
pub mod fixture;
mod http;
mod identity;
mod jwt;
mod kit;
mod listener;
mod pki;
mod request_log;
mod tokens;
mod util;

pub use config::{App, AppSecret, Config, Tenant, User};
pub use faults::Fault;
pub use kit::{CertApp, TestKit};
pub use request_log::RequestRecord;
pub use tokens::{TokenRejection, TokenRequest};
