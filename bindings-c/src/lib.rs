//! C ABI of oauthmail (`liboauthmail.so` / `liboauthmail.a`, header
//! `include/oauthmail.h` generated from this crate by `cargo xtask codegen`).
//!
//! This crate only converts types, maps errors and manages handles; all the
//! logic is in the core crate. Conventions (see the header's preamble):
//! opaque handles with `_new`/`_free`, `_free(NULL)` is a no-op; fallible
//! functions return `oauthmail_error*` (NULL on success) and write their
//! out-parameters only on success; every entry point catches panics.
#![allow(non_camel_case_types)]

mod boundary;
mod buffer;
pub mod connection;
pub mod credential;
pub mod doctor;
pub mod error;
pub mod folder;
pub mod graph;
pub mod imap;
pub mod message;
pub mod pop3;
pub mod provider;
pub mod report;
pub mod smtp;
pub mod strings;
pub mod summary;
#[cfg(feature = "testing")]
pub mod testing;
pub mod token;
