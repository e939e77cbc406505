//! Entry points that fail or panic on purpose, so that the C tests can prove
//! the error and panic mapping (feature `testing`, never in release builds).

use oauthmail_core::{Error, ErrorKind};

use crate::boundary::ffi;
use crate::error::oauthmail_error;

/// Returns an error of kind number `kind` with code `"TEST-<kind>"` and a
/// hint; a `Config` error when `kind` is not a kind number.
#[unsafe(no_mangle)]
pub extern "C" fn oauthmail_testing_error(kind: u32) -> *mut oauthmail_error {
    ffi(|| {
        let kind =
            ErrorKind::from_number(kind).ok_or_else(|| Error::config(format!("{kind} is not an error kind number")))?;
        Err(Error::new(kind, format!("a {} error made on purpose", kind.name()))
            .with_code(format!("TEST-{}", kind.number()))
            .with_hint(format!("This is what a {} hint looks like.", kind.name())))
    })
}

/// Panics inside the boundary; returns the resulting `Internal` error.
#[unsafe(no_mangle)]
pub extern "C" fn oauthmail_testing_panic() -> *mut oauthmail_error {
    ffi(|| panic!("a panic made on purpose"))
}
