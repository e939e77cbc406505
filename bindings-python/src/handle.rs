//! Core clients owned by Python objects.

use std::ops::Deref;
use std::sync::Arc;

use pyo3::Python;

/// A core client or credential shared by a Python object (and its listings).
/// When the last reference goes, it is dropped on a thread of its own: dropping
/// an open client says goodbye to the server (IMAP LOGOUT, SMTP QUIT), which can
/// take seconds nobody should wait for, and dropping an HTTP client joins its
/// runtime thread, whose last log events need the GIL and the logging locks (a
/// deadlock if the dropping thread held them, with the `oauthmail` logger at TRACE).
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
        let Some(client) = self.0.take() else { return };
        if Arc::strong_count(&client) == 1 {
            // The last reference: dropping it may wait (LOGOUT/QUIT, an HTTP client
            // joining its runtime thread, whose log events need Python's logging locks).
            // Python can free this object on any thread, even inside a logging call that
            // holds those locks (seen: a traceback freed on one of core's threads), so it
            // is dropped on a thread of its own, which nothing here waits for.
            std::thread::spawn(move || drop(client));
        } else {
            // Others hold it: only a count goes down (without the GIL, in case they just let go).
            Python::try_attach(|py| py.detach(move || drop(client)));
        }
    }
}
