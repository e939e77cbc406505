//! Core `tracing` events (and the `log` records of the crates below it: rustls,
//! reqwest, hyper) handed to a binding's own logging, one formatted line per event.
//!
//! A binding calls [`install`] once with its sink and [`set_max_level`] whenever
//! its host's level may have changed (an atomic store: cheap enough for every
//! call into the binding). Events above that level are dropped before they are
//! formatted. Core never puts secrets in its events.

use std::io::Write;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

use tracing::{Level, Metadata};
use tracing_subscriber::filter::dynamic_filter_fn;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::prelude::*;

/// Receives one event: its level and `spans: target: message key=value …`.
pub type Sink = dyn Fn(Level, &str) + Send + Sync;

/// The most verbose level passed on: 0 off, 1 error … 5 trace.
static MAX: AtomicU8 = AtomicU8::new(0);
static SINK: OnceLock<Box<Sink>> = OnceLock::new();

/// 1 for error … 5 for trace (the order of `tracing::Level`'s verbosity).
pub fn rank(level: Level) -> u8 {
    match level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

/// Passes on events at `level` and more severe; `None` passes nothing.
pub fn set_max_level(level: Option<Level>) {
    MAX.store(level.map_or(0, rank), Ordering::Relaxed);
}

/// Installs the bridge as the process's tracing subscriber with `sink` as its
/// only output. Once per process: later calls (and a host program that installed
/// its own subscriber first) leave the first in place; returns whether this call
/// installed it.
pub fn install(sink: impl Fn(Level, &str) + Send + Sync + 'static) -> bool {
    if SINK.set(Box::new(sink)).is_err() {
        return false;
    }
    let layer = tracing_subscriber::fmt::layer()
        .without_time()
        .with_ansi(false)
        .with_level(false)
        .with_writer(ToSink)
        .with_filter(dynamic_filter_fn(|meta: &Metadata<'_>, _| rank(*meta.level()) <= MAX.load(Ordering::Relaxed)));
    tracing_subscriber::registry().with(layer).try_init().is_ok()
}

/// Makes one [`Line`] per event (the fmt layer writes each event in one go).
struct ToSink;

impl<'a> MakeWriter<'a> for ToSink {
    type Writer = Line;

    fn make_writer(&'a self) -> Line {
        Line { level: Level::INFO, text: Vec::new() }
    }

    fn make_writer_for(&'a self, meta: &Metadata<'_>) -> Line {
        Line { level: *meta.level(), text: Vec::new() }
    }
}

/// One formatted event, handed to the sink when the layer is done with it.
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
        if let Some(sink) = SINK.get() {
            sink(self.level, String::from_utf8_lossy(&self.text).trim_end());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[test]
    fn events_up_to_the_level_reach_the_sink_formatted() {
        static LINES: Mutex<Vec<(Level, String)>> = Mutex::new(Vec::new());
        assert!(install(|level, line| LINES.lock().unwrap().push((level, line.to_owned()))));
        assert!(!install(|_, _| {}), "installed once per process");

        tracing::warn!(target: "oauthmail::smtp", attempt = 2, "dropped");
        set_max_level(Some(Level::DEBUG));
        tracing::debug!(target: "oauthmail::smtp", attempt = 3, "reconnecting");
        tracing::trace!(target: "oauthmail::smtp", "above the level");
        set_max_level(None);
        tracing::error!(target: "oauthmail::smtp", "off");

        let lines = LINES.lock().unwrap();
        assert_eq!(*lines, [(Level::DEBUG, "oauthmail::smtp: reconnecting attempt=3".to_owned())]);
    }
}
