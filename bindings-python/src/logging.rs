//! Core `tracing` events (and `log` records of rustls, reqwest, hyper) go to
//! Python's `logging.getLogger("oauthmail")` through core's `log_bridge`.
//!
//! The logger's effective level is read whenever a binding call starts (the
//! GIL is held then anyway), so events below it are dropped without taking
//! the GIL. Core never puts secrets in its events.

use oauthmail::log_bridge;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::Level;

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
    if let Ok(level) = logger(py).and_then(|l| l.call_method0("getEffectiveLevel")?.extract::<u32>()) {
        // A record passes when its number is at least the logger's level.
        let most_verbose = [Level::TRACE, Level::DEBUG, Level::INFO, Level::WARN, Level::ERROR]
            .into_iter()
            .find(|l| u32::from(python_level(*l)) >= level);
        log_bridge::set_max_level(most_verbose);
    }
}

fn python_level(level: Level) -> u8 {
    match level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

/// Installs the bridge (once per process; if the host program installed its
/// own tracing subscriber, that one stays).
pub fn install(py: Python<'_>) {
    refresh_level(py);
    log_bridge::install(|level, line| {
        // `try_attach`: a core thread may still log while the interpreter shuts down.
        Python::try_attach(|py| {
            // Dropping a credential or client while a Python exception propagates logs
            // too: that exception must survive the logging call.
            let pending = PyErr::take(py);
            if let Err(e) = logger(py).and_then(|l| l.call_method1("log", (python_level(level), "%s", line))) {
                e.write_unraisable(py, None);
            }
            if let Some(e) = pending {
                e.restore(py);
            }
        });
    });
}
