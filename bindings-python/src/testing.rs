//! Functions that fail or panic on purpose, so the Python tests can prove the
//! error and panic mapping (feature `testing`, never in release wheels).

use oauthmail::{Error, ErrorKind};
use pyo3::prelude::*;

use crate::errors::blocking;

/// Raises the exception of kind number `kind`, with code `TEST-<kind>` and a hint.
#[pyfunction]
pub fn testing_error(py: Python<'_>, kind: u32) -> PyResult<()> {
    blocking(py, move || {
        let kind =
            ErrorKind::from_number(kind).ok_or_else(|| Error::config(format!("{kind} is not an error kind number")))?;
        Err(Error::new(kind, format!("a {} error made on purpose", kind.name()))
            .with_code(format!("TEST-{}", kind.number()))
            .with_hint(format!("This is what a {} hint looks like.", kind.name())))
    })
}

/// Panics inside a core call; raises the resulting `InternalError`.
#[pyfunction]
pub fn testing_panic(py: Python<'_>) -> PyResult<()> {
    blocking(py, || panic!("a panic made on purpose"))
}

/// Logs one core-style event at each level (for the logging bridge test).
#[pyfunction]
pub fn testing_log(py: Python<'_>, text: String) -> PyResult<()> {
    blocking(py, move || {
        tracing::debug!(what = "debug", "{text}");
        tracing::info!(what = "info", "{text}");
        tracing::warn!(what = "warn", "{text}");
        Ok(())
    })
}
