//! Core errors become instances of the classes in `oauthmail/errors.py`
//! (generated from `ErrorKind` by `cargo xtask codegen`), and panics become
//! `InternalError`, so nothing but `OAuthMailError` subclasses reaches Python.

use std::panic::{AssertUnwindSafe, catch_unwind};

use oauthmail::{Error, ErrorKind};
use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyDict;

use crate::logging;

/// `oauthmail.errors.KIND_CLASSES`: kind number -> exception class.
fn kind_classes(py: Python<'_>) -> PyResult<&Bound<'_, PyDict>> {
    static CLASSES: PyOnceLock<Py<PyDict>> = PyOnceLock::new();
    CLASSES
        .get_or_try_init(py, || {
            let module = py.import("oauthmail.errors")?;
            Ok::<_, PyErr>(module.getattr("KIND_CLASSES")?.cast_into::<PyDict>()?.unbind())
        })
        .map(|d| d.bind(py))
}

/// The Python exception for a core error.
pub fn to_py_err(py: Python<'_>, error: &Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let class = kind_classes(py)?
            .get_item(error.kind().number())?
            .ok_or_else(|| PyRuntimeError::new_err(format!("no exception class for kind {}", error.kind())))?;
        let kwargs = PyDict::new(py);
        kwargs.set_item("code", error.code())?;
        kwargs.set_item("hint", error.hint())?;
        kwargs.set_item("retry_after", error.retry_after().map(|d| d.as_secs_f64()))?;
        Ok(PyErr::from_value(class.call((error.message_text(),), Some(&kwargs))?))
    };
    build().unwrap_or_else(|e| e)
}

/// A failed core call as a Python exception.
pub trait IntoPyResult<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for oauthmail::Result<T> {
    fn py_err(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py_err(py, &e))
    }
}

/// Runs a core call without the GIL (other Python threads run meanwhile),
/// turning a panic into an `InternalError`.
pub fn blocking<T: Send>(py: Python<'_>, f: impl FnOnce() -> oauthmail::Result<T> + Send) -> PyResult<T> {
    logging::refresh_level(py);
    py.detach(|| catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|panic| Err(panic_error(panic.as_ref())))).py_err(py)
}

fn panic_error(panic: &(dyn std::any::Any + Send)) -> Error {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into());
    Error::new(ErrorKind::Internal, format!("oauthmail panicked: {what}"))
        .with_hint("This is a bug in oauthmail; please report it with the steps that led to it.")
}
