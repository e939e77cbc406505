//! Microsoft identity platform error responses (`AADSTS…` codes in Microsoft's JSON shape).

use serde_json::json;

use crate::http::Response;
use crate::util::{format_timestamp, now_secs, random_uuid};

/// An OAuth error as the v2.0 endpoint reports it.
#[derive(Debug, Clone)]
pub(crate) struct AadError {
    pub status: u16,
    pub error: &'static str,
    pub code: u32,
    pub description: String,
}

impl AadError {
    pub fn new(status: u16, error: &'static str, code: u32, description: impl Into<String>) -> Self {
        AadError { status, error, code, description: description.into() }
    }

    pub fn invalid_request(code: u32, description: impl Into<String>) -> Self {
        Self::new(400, "invalid_request", code, description)
    }

    pub fn invalid_client(code: u32, description: impl Into<String>) -> Self {
        Self::new(401, "invalid_client", code, description)
    }

    pub fn invalid_grant(code: u32, description: impl Into<String>) -> Self {
        Self::new(400, "invalid_grant", code, description)
    }

    pub fn invalid_scope(code: u32, description: impl Into<String>) -> Self {
        Self::new(400, "invalid_scope", code, description)
    }

    pub fn missing_parameter(name: &str) -> Self {
        Self::invalid_request(900144, format!("The request body must contain the following parameter: '{name}'."))
    }

    pub fn unknown_tenant(tenant: &str) -> Self {
        Self::invalid_request(
            90002,
            format!(
                "Tenant '{tenant}' not found. Check to make sure you have the correct tenant ID \
                 and are signing into the correct cloud. Check with your subscription \
                 administrator, this may happen if there are no active subscriptions for the tenant."
            ),
        )
    }

    pub fn unknown_app(client_id: &str, tenant: &str) -> Self {
        Self::new(
            400,
            "unauthorized_client",
            700016,
            format!(
                "Application with identifier '{client_id}' was not found in the directory \
                 '{tenant}'. This can happen if the application has not been installed by the \
                 administrator of the tenant or consented to by any user in the tenant. You may \
                 have sent your authentication request to the wrong tenant."
            ),
        )
    }

    pub fn no_consent(client_id: &str, name: &str) -> Self {
        Self::invalid_grant(
            65001,
            format!(
                "The user or administrator has not consented to use the application with ID \
                 '{client_id}' named '{name}'. Send an interactive authorization request for \
                 this user and resource."
            ),
        )
    }

    /// `error_description` with Microsoft's trailer of trace id, correlation id and timestamp.
    pub fn to_response(&self) -> Response {
        let now = now_secs();
        let timestamp = format_timestamp(now);
        let trace_id = random_uuid();
        let correlation_id = random_uuid();
        let body = json!({
            "error": self.error,
            "error_description": format!(
                "AADSTS{}: {}\r\nTrace ID: {trace_id}\r\nCorrelation ID: {correlation_id}\r\nTimestamp: {timestamp}",
                self.code, self.description
            ),
            "error_codes": [self.code],
            "timestamp": timestamp,
            "trace_id": trace_id,
            "correlation_id": correlation_id,
            "error_uri": format!("https://login.microsoftonline.com/error?code={}", self.code),
        });
        let mut resp = Response::json(self.status, &body);
        if self.status == 401 {
            resp = resp.with_header("WWW-Authenticate", "Bearer");
        }
        resp
    }
}
