//! Entry points that fail or panic on purpose (feature `testing`), so the
//! Node tests can prove the error and panic mapping, synchronous and async.

use napi::Env;
use napi::bindgen_prelude::AsyncTask;
use napi_derive::napi;
use oauthmail::{Error, ErrorKind};

use crate::error::sync;
use crate::task::{Job, spawn};

fn made_error(kind: u32) -> Error {
    match ErrorKind::from_number(kind) {
        Some(kind) => Error::new(kind, format!("a {} error made on purpose", kind.name()))
            .with_code(format!("TEST-{}", kind.number()))
            .with_hint(format!("This is what a {} hint looks like.", kind.name())),
        None => Error::config(format!("{kind} is not an error kind number")),
    }
}

/// Throws an error of kind number `kind` with code `TEST-<kind>` and a hint.
#[napi]
pub fn testing_error(env: Env, kind: u32) -> napi::Result<()> {
    sync(&env, || Err(made_error(kind)))
}

/// Rejects, from a worker thread, with an error of kind number `kind`.
#[napi(ts_return_type = "Promise<void>")]
pub fn testing_error_async(kind: u32) -> AsyncTask<Job<()>> {
    spawn(move || Err(made_error(kind)))
}

/// Panics in Rust; throws the resulting `Internal` error.
#[napi]
pub fn testing_panic(env: Env) -> napi::Result<()> {
    sync(&env, || panic!("a panic made on purpose"))
}

/// Panics on a worker thread; rejects with the resulting `Internal` error.
#[napi(ts_return_type = "Promise<void>")]
pub fn testing_panic_async() -> AsyncTask<Job<()>> {
    spawn(|| panic!("a panic made on purpose"))
}
