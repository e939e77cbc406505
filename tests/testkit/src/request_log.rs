//! The log of HTTP requests served, so tests can count token requests.

use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

/// One served HTTP request (control endpoints under `/testkit/` are not logged).
#[derive(Clone, Debug, Serialize)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub grant_type: Option<String>,
    pub client_id: Option<String>,
    /// HTTP status sent; 0 when the connection was dropped on purpose.
    pub status: u16,
    /// The injected fault applied to this request, if any.
    pub fault: Option<String>,
    #[serde(serialize_with = "unix_secs")]
    pub time: SystemTime,
}

impl RequestRecord {
    pub fn is_token_request(&self) -> bool {
        self.method == "POST" && self.path.ends_with("/oauth2/v2.0/token")
    }
}

fn unix_secs<S: serde::Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
    let secs = t.duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_secs_f64()).unwrap_or(0.0);
    s.serialize_f64(secs)
}

#[derive(Default)]
pub(crate) struct RequestLog {
    records: Mutex<Vec<RequestRecord>>,
}

impl RequestLog {
    pub fn push(&self, record: RequestRecord) {
        self.lock().push(record);
    }

    pub fn all(&self) -> Vec<RequestRecord> {
        self.lock().clone()
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<RequestRecord>> {
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}
