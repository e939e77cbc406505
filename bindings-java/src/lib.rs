//! JNI library behind the Java binding (`liboauthmail_jni.so`, bundled in the
//! jar and loaded by `dev.oauthmail.Native`).
//!
//! Only conversions, error mapping and handle ownership live here; every
//! native method is declared in the package-private Java class
//! `dev.oauthmail.Native` and goes through [`boundary::run`].

mod boundary;
mod clients;
mod convert;
mod credential;
mod handle;
mod interactive;
mod log;
mod provider;
#[cfg(feature = "testing")]
mod testing;
