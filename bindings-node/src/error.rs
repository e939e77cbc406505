//! Core errors become JavaScript `Error` objects with the fields every
//! oauthmail binding carries, and panics become `Internal` errors.
//!
//! On an error object: `name` `"OAuthMailError"`, `message`, `kind` and `code`
//! (both the kind's PascalCase name: `code` is the Node convention DESIGN.md
//! asks for, `kind` the name the other languages use), `kindNumber`,
//! `providerCode` (`AADSTS7000215`, `5.7.139`, ...), `hint`, `retryAfter`
//! (seconds, for `Throttled`), and `cause` when a lower-level error is known.

use std::panic::{AssertUnwindSafe, catch_unwind};

use napi::bindgen_prelude::{JsObjectValue, JsValue};
use napi::{Env, Status};
use oauthmail::Error;

/// Builds the JavaScript error object for `e` and wraps it so that napi
/// throws (or rejects with) that very object.
pub(crate) fn to_js(env: &Env, e: &Error) -> napi::Error {
    match build(env, e) {
        Ok(err) => err,
        // Creating the object itself failed (out of memory, env shutting down):
        // still a clear error, only without the extra fields.
        Err(fallback) => napi::Error::new(Status::GenericFailure, format!("{e} ({fallback})")),
    }
}

fn build(env: &Env, e: &Error) -> napi::Result<napi::Error> {
    let kind = e.kind().name();
    let mut obj = env.create_error(napi::Error::new(Status::GenericFailure, e.message_text()))?;
    obj.set_named_property("name", "OAuthMailError")?;
    obj.set_named_property("kind", kind)?;
    obj.set_named_property("code", kind)?;
    obj.set_named_property("kindNumber", e.kind().number())?;
    obj.set_named_property("providerCode", e.code())?;
    obj.set_named_property("hint", e.hint())?;
    obj.set_named_property("retryAfter", e.retry_after().map(|d| d.as_secs_f64()))?;
    if let Some(source) = std::error::Error::source(e) {
        let cause = env.create_error(napi::Error::new(Status::GenericFailure, source.to_string()))?;
        obj.set_named_property("cause", cause)?;
    }
    Ok(napi::Error::from(obj.to_unknown()))
}

/// The `Internal` error for a caught panic.
pub(crate) fn panic_error(payload: &(dyn std::any::Any + Send)) -> Error {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    Error::internal(format!("a bug in oauthmail (panic: {what})"))
        .with_hint("Please report this with the steps that led to it.")
}

/// Runs `body`, catching panics; the core result, with a panic as `Internal`.
pub(crate) fn guarded<T>(body: impl FnOnce() -> oauthmail::Result<T>) -> oauthmail::Result<T> {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(panic_error(payload.as_ref())))
}

/// The boundary of every synchronous export: panics and core errors become
/// thrown JavaScript errors.
pub(crate) fn sync<T>(env: &Env, body: impl FnOnce() -> oauthmail::Result<T>) -> napi::Result<T> {
    guarded(body).map_err(|e| to_js(env, &e))
}
