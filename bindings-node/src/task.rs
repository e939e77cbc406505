//! Every network call runs as a napi `AsyncTask` on libuv's thread pool, so
//! the event loop never waits for a server; the Promise settles on the main
//! thread with the value or an oauthmail error object.

use napi::bindgen_prelude::{AsyncTask, ToNapiValue, TypeName};
use napi::{Env, Status, Task};

use crate::error::{guarded, to_js};

/// A blocking core call and, after it ran, its error (kept whole, so the
/// rejection carries kind, code and hint).
pub struct Job<T> {
    work: Option<Box<dyn FnOnce() -> oauthmail::Result<T> + Send>>,
    failure: Option<oauthmail::Error>,
}

/// A Promise of what `work` returns, computed off the main thread.
pub(crate) fn spawn<T: ToNapiValue + TypeName + Send + 'static>(
    work: impl FnOnce() -> oauthmail::Result<T> + Send + 'static,
) -> AsyncTask<Job<T>> {
    AsyncTask::new(Job { work: Some(Box::new(work)), failure: None })
}

impl<T: ToNapiValue + TypeName + Send + 'static> Task for Job<T> {
    type Output = T;
    type JsValue = T;

    fn compute(&mut self) -> napi::Result<T> {
        let work = self.work.take().ok_or_else(|| napi::Error::new(Status::GenericFailure, "job ran twice"))?;
        guarded(work).map_err(|e| {
            let marker = napi::Error::new(Status::GenericFailure, e.kind().name());
            self.failure = Some(e);
            marker
        })
    }

    fn resolve(&mut self, _env: Env, output: T) -> napi::Result<T> {
        Ok(output)
    }

    fn reject(&mut self, env: Env, err: napi::Error) -> napi::Result<T> {
        Err(match &self.failure {
            Some(e) => to_js(&env, e),
            None => err,
        })
    }
}
