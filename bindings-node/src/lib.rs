//! Node.js addon for oauthmail: JavaScript classes over the Rust core. It
//! converts types, maps errors and owns handles; every network call runs on
//! libuv's thread pool and returns a Promise.

// napi-derive registers free functions only outside `cfg(test)`, so a test
// build (clippy --all-targets) would call them unused.
#![cfg_attr(test, allow(dead_code))]

mod credential;
mod error;
mod graph;
mod imap;
mod log;
mod mail;
mod pop3;
mod provider;
mod smtp;
mod task;
#[cfg(feature = "testing")]
mod testing;
