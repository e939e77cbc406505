//! Fault injection: faults queued for the next N matching requests.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

/// A fault for HTTP endpoints (identity platform and Graph).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fault {
    /// 429 with `Retry-After`.
    Throttle { retry_after_secs: u64 },
    /// 500 or 503 with a transient-error body.
    ServerError(u16),
    /// Wait this long, then answer normally.
    Slow(Duration),
    /// 200 with a truncated JSON body.
    MalformedJson,
    /// Close the connection without any response.
    DropConnection,
}

/// Faults waiting to be applied, each to a number of requests, in the order injected.
pub(crate) struct FaultQueue<F> {
    queue: Mutex<VecDeque<(F, usize)>>,
}

impl<F: Clone> FaultQueue<F> {
    pub fn new() -> Self {
        FaultQueue {
            queue: Mutex::new(VecDeque::new()),
        }
    }

    pub fn push(&self, fault: F, count: usize) {
        if count > 0 {
            self.lock().push_back((fault, count));
        }
    }

    /// The fault for the current request, if any is left.
    pub fn take(&self) -> Option<F> {
        let mut queue = self.lock();
        let (fault, left) = queue.front_mut()?;
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<(F, usize)>> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// `POST /testkit/faults` body, e.g. `{"fault":"throttle","retry_after":2,"count":3}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultSpec {
    pub fault: String,
    /// `token` (identity endpoints, default), `graph` or `smtp`.
    #[serde(default)]
    pub target: Option<String>,
    #[serde(default = "one")]
    pub count: usize,
    #[serde(default)]
    pub retry_after: Option<u64>,
    #[serde(default)]
    pub status: Option<u16>,
    #[serde(default)]
    pub delay_ms: Option<u64>,
}

fn one() -> usize {
    1
}

impl FaultSpec {
    /// The HTTP fault this spec names (`throttle`, `server_error`, `slow`, `malformed_json`, `drop`).
    pub fn http_fault(&self) -> Result<Fault, String> {
        Ok(match self.fault.as_str() {
            "throttle" => Fault::Throttle {
                retry_after_secs: self.retry_after.unwrap_or(1),
            },
            "server_error" => {
                let status = self.status.unwrap_or(503);
                if status != 500 && status != 503 {
                    return Err("status must be 500 or 503".into());
                }
                Fault::ServerError(status)
            }
            "slow" => Fault::Slow(Duration::from_millis(self.delay_ms.unwrap_or(1000))),
            "malformed_json" => Fault::MalformedJson,
            "drop" | "drop_connection" => Fault::DropConnection,
            other => return Err(format!("unknown HTTP fault '{other}'")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn faults_apply_in_order_and_run_out() {
        let q = FaultQueue::new();
        q.push(Fault::MalformedJson, 2);
        q.push(Fault::DropConnection, 1);
        q.push(Fault::ServerError(500), 0);
        assert_eq!(q.take(), Some(Fault::MalformedJson));
        assert_eq!(q.take(), Some(Fault::MalformedJson));
        assert_eq!(q.take(), Some(Fault::DropConnection));
        assert_eq!(q.take(), None);
    }
}
