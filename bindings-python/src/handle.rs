//! Core clients owned by Python objects.

use std::ops::Deref;
use std::sync::Arc;

use pyo3::Python;

/// A core client or credential shared by a Python object (and its listings).
/// When the last reference goes, it is dropped without the GIL: dropping an
/// open client says goodbye to the server (IMAP LOGOUT, SMTP QUIT), which can
/// take seconds that other Python threads should not wait for, and dropping
/// an HTTP client joins its runtime thread, whose last log events need the
/// GIL (a deadlock if we held it, with the `oauthmail` logger at TRACE).
pub struct Handle<T: ?Sized + Send + Sync + 'static>(Option<Arc<T>>);

impl<T: Send + Sync + 'static> Handle<T> {
    pub fn new(client: T) -> Self {
        Handle(Some(Arc::new(client)))
    }
}

impl<T: ?Sized + Send + Sync + 'static> Handle<T> {
    pub fn from_arc(shared: Arc<T>) -> Self {
        Handle(Some(shared))
    }

    /// A reference for a call that runs without the GIL.
    pub fn arc(&self) -> Arc<T> {
        Arc::clone(self.0.as_ref().expect("a handle is only emptied by its Drop"))
    }
}

impl<T: ?Sized + Send + Sync + 'static> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle(self.0.clone())
    }
}

impl<T: ?Sized + Send + Sync + 'static> Deref for Handle<T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.0.as_deref().expect("a handle is only emptied by its Drop")
    }
}

impl<T: ?Sized + Send + Sync + 'static> Drop for Handle<T> {
    fn drop(&mut self) {
        if let Some(client) = self.0.take() {
            // No interpreter (shutting down): `client` is dropped right here instead.
            Python::try_attach(|py| py.detach(move || drop(client)));
        }
    }
}
