//! Core `tracing` events go to Python's `logging.getLogger("oauthmail")`.
//!
//! The logger's effective level is read whenever a binding call starts (the
//! GIL is held then anyway), so events below it are dropped without taking
//! the GIL. Core never puts secrets in its events.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU8, Ordering};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::prelude::*;

/// Python's numeric level of the `oauthmail` logger (WARNING until read).
static PY_LEVEL: AtomicU8 = AtomicU8::new(30);

fn logger(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    LOGGER
        .get_or_try_init(py, || {
            Ok::<_, PyErr>(py.import("logging")?.call_method1("getLogger", ("oauthmail",))?.unbind())
        })
        .map(|l| l.bind(py))
}

/// Re-reads the logger's effective level (cheap; called before each core call).
pub fn refresh_level(py: Python<'_>) {
    if let Ok(level) = logger(py).and_then(|l| l.call_method0("getEffectiveLevel")?.extract::<u8>()) {
        PY_LEVEL.store(level, Ordering::Relaxed);
    }
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Installs the bridge as the process's tracing subscriber (once; if the host
/// program installed its own, that one stays).
pub fn install(py: Python<'_>) {
    refresh_level(py);
    let _ = tracing_subscriber::registry().with(PythonLogging).try_init();
}

struct PythonLogging;

impl<S: Subscriber> Layer<S> for PythonLogging {
    // "Sometimes": the answer changes with Python's level, so it must not be cached per callsite.
    fn register_callsite(&self, _metadata: &'static tracing::Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, metadata: &tracing::Metadata<'_>, _ctx: Context<'_, S>) -> bool {
        python_level(metadata.level()) >= PY_LEVEL.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut text = Text::default();
        event.record(&mut text);
        let level = python_level(event.metadata().level());
        let target = event.metadata().target();
        // `try_attach`: a core thread may still log while the interpreter shuts down.
        Python::try_attach(|py| {
            let logged = logger(py).and_then(|l| l.call_method1("log", (level, "%s [%s]", text.0, target)));
            if let Err(e) = logged {
                e.write_unraisable(py, None);
            }
        });
    }
}

/// `message key=value …`.
#[derive(Default)]
struct Text(String);

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if !self.0.is_empty() {
            self.0.push(' ');
        }
        if field.name() == "message" {
            let _ = write!(self.0, "{value:?}");
        } else {
            let _ = write!(self.0, "{}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.record_debug(field, &format_args!("{value}"));
        } else {
            self.record_debug(field, &value);
        }
    }
}
