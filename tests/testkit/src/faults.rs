//! Fault injection: faults queued for the next N matching requests.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

use crate::graph::GraphFault;
use crate::imap::ImapFault;
use crate::pop3::Pop3Fault;
use crate::smtp::SmtpFault;

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
        FaultQueue { queue: Mutex::new(VecDeque::new()) }
    }

    pub fn push(&self, fault: F, count: usize) {
        if count > 0 {
            self.lock().push_back((fault, count));
        }
    }

    /// The fault for the current request, if any is left.
    pub fn take(&self) -> Option<F> {
        self.take_if(|_| true)
    }

    /// The first queued fault that `applies` here (others stay queued for their own moment).
    pub fn take_if(&self, applies: impl Fn(&F) -> bool) -> Option<F> {
        let mut queue = self.lock();
        let index = queue.iter().position(|(f, _)| applies(f))?;
        let (fault, left) = &mut queue[index];
        let fault = fault.clone();
        *left -= 1;
        if *left == 0 {
            queue.remove(index);
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
    /// `bye_access_token_expired`: commands allowed before the BYE.
    #[serde(default)]
    pub after_commands: Option<usize>,
}

fn one() -> usize {
    1
}

impl FaultSpec {
    /// The HTTP fault this spec names (`throttle`, `server_error`, `slow`, `malformed_json`, `drop`).
    pub fn http_fault(&self) -> Result<Fault, String> {
        Ok(match self.fault.as_str() {
            "throttle" => Fault::Throttle { retry_after_secs: self.retry_after.unwrap_or(1) },
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

    /// `auth_disabled`, `auth_unsuccessful`, `send_as_denied`, `throttle`, `drop_after_auth`,
    /// `drop_mid_data`, `slow` (`delay_ms`).
    pub fn smtp_fault(&self) -> Result<SmtpFault, String> {
        Ok(match self.fault.as_str() {
            "auth_disabled" => SmtpFault::AuthDisabled,
            "auth_unsuccessful" => SmtpFault::AuthUnsuccessful,
            "send_as_denied" => SmtpFault::SendAsDenied,
            "throttle" => SmtpFault::Throttle,
            "drop_after_auth" => SmtpFault::DropAfterAuth,
            "drop_mid_data" => SmtpFault::DropMidData,
            "slow" => SmtpFault::Slow(Duration::from_millis(self.delay_ms.unwrap_or(1000))),
            other => return Err(format!("unknown SMTP fault '{other}'")),
        })
    }

    /// `bye_access_token_expired` (`after_commands`, default 0), `drop_mid_fetch`,
    /// `not_connected`, `slow` (`delay_ms`).
    pub fn imap_fault(&self) -> Result<ImapFault, String> {
        Ok(match self.fault.as_str() {
            "bye_access_token_expired" => {
                ImapFault::ByeAccessTokenExpired { after_commands: self.after_commands.unwrap_or(0) }
            }
            "drop_mid_fetch" => ImapFault::DropMidFetch,
            "not_connected" => ImapFault::NotConnected,
            "slow" => ImapFault::Slow(Duration::from_millis(self.delay_ms.unwrap_or(1000))),
            other => return Err(format!("unknown IMAP fault '{other}'")),
        })
    }

    /// `drop_mid_retr`, `not_connected`, `slow` (`delay_ms`).
    pub fn pop3_fault(&self) -> Result<Pop3Fault, String> {
        Ok(match self.fault.as_str() {
            "drop_mid_retr" => Pop3Fault::DropMidRetr,
            "not_connected" => Pop3Fault::NotConnected,
            "slow" => Pop3Fault::Slow(Duration::from_millis(self.delay_ms.unwrap_or(1000))),
            other => return Err(format!("unknown POP3 fault '{other}'")),
        })
    }

    /// The HTTP faults (`malformed_json` excepted) plus `access_denied`, `mailbox_not_enabled`,
    /// `invalid_token`.
    pub fn graph_fault(&self) -> Result<GraphFault, String> {
        Ok(match self.fault.as_str() {
            "access_denied" => GraphFault::AccessDenied,
            "mailbox_not_enabled" => GraphFault::MailboxNotEnabled,
            "invalid_token" => GraphFault::InvalidToken,
            _ => match self.http_fault()? {
                Fault::Throttle { retry_after_secs } => GraphFault::Throttle { retry_after_secs },
                Fault::ServerError(status) => GraphFault::ServerError(status),
                Fault::Slow(delay) => GraphFault::Slow(delay),
                Fault::DropConnection => GraphFault::DropConnection,
                Fault::MalformedJson => return Err("malformed_json does not apply to Graph".into()),
            },
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
        q.push(Fault::MalformedJson, 1);
        q.push(Fault::DropConnection, 1);
        assert_eq!(q.take_if(|f| *f == Fault::DropConnection), Some(Fault::DropConnection));
        assert_eq!(q.take_if(|f| *f == Fault::DropConnection), None);
        assert_eq!(q.take(), Some(Fault::MalformedJson));
    }
}
