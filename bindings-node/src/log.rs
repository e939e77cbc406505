//! Core `tracing` events (and `log` records of the crates below it) go to a
//! JavaScript callback set with `setLogCallback`, like the Python binding's
//! bridge to `logging`. Events come from any thread and reach the callback on
//! the main thread, in order. Core never puts secrets in its events.

use std::str::FromStr;
use std::sync::RwLock;

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use oauthmail::log_bridge;
use tracing::Level;

use crate::error::sync;

/// One log event, as the callback gets it.
#[napi(object)]
pub struct LogEvent {
    /// `error`, `warn`, `info`, `debug` or `trace`.
    pub level: String,
    /// The spans it happened in, the Rust module that logged it (`oauthmail::smtp`,
    /// `rustls::client::hs`, ...), the message and its fields (`key=value`).
    pub message: String,
}

/// Weak: a callback that is set does not keep Node running.
type LogFn = ThreadsafeFunction<LogEvent, (), LogEvent, Status, false, true>;

static CALLBACK: RwLock<Option<LogFn>> = RwLock::new(None);

/// Sends oauthmail's log events at `level` (`error`, `warn`, `info`, `debug` or
/// `trace`; default `info`) and above to `callback`; `null` stops them.
/// Events never contain tokens, secrets or passwords.
#[napi(
    strict,
    ts_args_type = "callback: ((event: LogEvent) => void) | null, level?: 'error' | 'warn' | 'info' | 'debug' | 'trace'"
)]
pub fn set_log_callback(env: Env, callback: Option<Function<LogEvent, ()>>, level: Option<String>) -> napi::Result<()> {
    let level = sync(&env, || {
        let name = level.as_deref().unwrap_or("info");
        Level::from_str(name).map_err(|_| {
            oauthmail::Error::config(format!("{name:?} is not a log level"))
                .with_hint("Use error, warn, info, debug or trace.")
        })
    })?;
    let callback = match callback {
        Some(f) => Some(f.build_threadsafe_function().weak::<true>().build()?),
        None => None,
    };
    log_bridge::install(to_callback); // once per process; later calls change nothing
    let on = callback.is_some();
    *CALLBACK.write().unwrap_or_else(|e| e.into_inner()) = callback;
    log_bridge::set_max_level(on.then_some(level));
    Ok(())
}

fn to_callback(level: Level, message: &str) {
    let guard = CALLBACK.read().unwrap_or_else(|e| e.into_inner());
    if let Some(f) = guard.as_ref() {
        let event = LogEvent { level: level.as_str().to_ascii_lowercase(), message: message.to_owned() };
        // Fails only while Node shuts down; the event is dropped then.
        let _ = f.call(event, ThreadsafeFunctionCallMode::NonBlocking);
    }
}
