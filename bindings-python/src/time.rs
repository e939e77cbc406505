//! Dates cross as aware UTC `datetime` objects (or Unix seconds on input).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;

use crate::errors::to_py_err;

fn utc(py: Python<'_>) -> PyResult<&Bound<'_, PyAny>> {
    static UTC: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    UTC.get_or_try_init(py, || Ok::<_, PyErr>(py.import("datetime")?.getattr("timezone")?.getattr("utc")?.unbind()))
        .map(|u| u.bind(py))
}

/// An aware UTC `datetime` for Unix seconds.
pub fn datetime_from_unix(py: Python<'_>, secs: i64) -> PyResult<Bound<'_, PyAny>> {
    // Looked up once, not per call: a listing makes one per message, and the import and
    // attribute look-ups took longer than the call (issue 9).
    static FROM_TIMESTAMP: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let from_timestamp = FROM_TIMESTAMP.get_or_try_init(py, || {
        Ok::<_, PyErr>(py.import("datetime")?.getattr("datetime")?.getattr("fromtimestamp")?.unbind())
    })?;
    from_timestamp.bind(py).call1((secs, utc(py)?))
}

/// A `datetime` (naive ones are taken as local time, as Python does) or Unix seconds.
pub fn system_time_arg(value: &Bound<'_, PyAny>) -> PyResult<SystemTime> {
    let secs: f64 = match value.extract::<f64>() {
        Ok(secs) => secs,
        Err(_) => value.call_method0("timestamp")?.extract()?,
    };
    let invalid = || to_py_err(value.py(), &oauthmail::Error::config(format!("{secs} is not a valid time")));
    if secs >= 0.0 {
        UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(secs).map_err(|_| invalid())?).ok_or_else(invalid)
    } else {
        UNIX_EPOCH.checked_sub(Duration::try_from_secs_f64(-secs).map_err(|_| invalid())?).ok_or_else(invalid)
    }
}
