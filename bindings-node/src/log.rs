//! Core `tracing` events (and `log` records of the crates below it) go to a
//! JavaScript callback set with `setLogCallback`, like the Python binding's
//! bridge to `logging`. Events come from any thread and reach the callback on
//! the main thread, in order. Core never puts secrets in its events.

use std::io::Write;
use std::str::FromStr;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Once, RwLock};

use napi::bindgen_prelude::Function;
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{Env, Status};
use napi_derive::napi;
use tracing::{Level, Metadata};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

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

/// The most verbose level passed on: 0 off, 1 error ... 5 trace.
static MAX: AtomicU8 = AtomicU8::new(0);
static CALLBACK: RwLock<Option<LogFn>> = RwLock::new(None);

fn rank(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

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
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let layer = tracing_subscriber::fmt::layer()
            .without_time()
            .with_ansi(false)
            .with_level(false)
            .with_writer(ToCallback)
            .with_filter(dynamic_filter_fn(|meta: &Metadata<'_>, _| rank(meta.level()) <= MAX.load(Ordering::Relaxed)));
        // Also routes `log` records (rustls, reqwest) through the same filter.
        let _ = tracing_subscriber::registry().with(layer).try_init();
    });
    let on = callback.is_some();
    *CALLBACK.write().unwrap_or_else(|e| e.into_inner()) = callback;
    MAX.store(if on { rank(&level) } else { 0 }, Ordering::Relaxed);
    Ok(())
}

/// Makes one [`Line`] per event (the fmt layer writes each event in one go).
struct ToCallback;

impl<'a> MakeWriter<'a> for ToCallback {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { level: Level::INFO, text: Vec::new() }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line { level: *meta.level(), text: Vec::new() }
    }
}

/// One formatted event, handed to the callback when the layer is done with it.
struct Line {
    level: Level,
    text: Vec<u8>,
}

impl Write for Line {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.text.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for Line {
    fn drop(&mut self) {
        let guard = CALLBACK.read().unwrap_or_else(|e| e.into_inner());
        if let Some(f) = guard.as_ref() {
            let event = LogEvent {
                level: self.level.as_str().to_ascii_lowercase(),
                message: String::from_utf8_lossy(&self.text).trim_end().to_owned(),
            };
            // Fails only while Node shuts down; the event is dropped then.
            let _ = f.call(event, ThreadsafeFunctionCallMode::NonBlocking);
        }
    }
}
