//! `GraphMailClient`: sends mail through Microsoft Graph
//! (`POST {base}/users/{mailbox}/sendMail`), for tenants where SMTP AUTH is
//! switched off. A [`Message`] goes as Graph's JSON message; raw RFC 5322
//! bytes go as MIME (base64 in a `text/plain` body, as Graph requires).
//! Reading (list, fetch, mark read, move, delete) is in [`read`].

mod read;

pub use read::{GraphListOptions, GraphMessagePages};

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use reqwest::blocking::{Client, RequestBuilder};

use crate::http::{HttpClient, HttpOptions, HttpResponse, RetryPolicy};
use crate::message::parse_mailbox;
use crate::smtp::{SendReport, Transport};
use crate::tls::TlsTrust;
use crate::{AccessToken, Error, ErrorKind, Message, Provider, Result, TokenCredential};

pub const GRAPH_URL: &str = "https://graph.microsoft.com/v1.0";
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// Where a Graph client sends and with which token scope.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// The mailbox that sends and is read (user principal name or id).
    pub mailbox: String,
    /// The Graph base URL including the version (`https://graph.microsoft.com/v1.0`);
    /// national clouds and tests use their own.
    pub base_url: String,
    pub scope: String,
    pub ca: TlsTrust,
    pub http: HttpOptions,
    /// Keep a copy in the mailbox's Sent Items (Graph's default).
    pub save_to_sent_items: bool,
}

impl GraphConfig {
    /// Microsoft's public cloud.
    pub fn new(mailbox: impl Into<String>) -> Self {
        GraphConfig {
            mailbox: mailbox.into(),
            base_url: GRAPH_URL.into(),
            scope: GRAPH_SCOPE.into(),
            ca: TlsTrust::system(),
            // A sendMail (or move, delete) that may have reached Graph is never
            // repeated; reads are retried with the same limits (see `read`).
            http: HttpOptions { retry: RetryPolicy::non_idempotent(), ..HttpOptions::default() },
            save_to_sent_items: true,
        }
    }
}

/// Sends and reads mail through Microsoft Graph. `Send + Sync`.
pub struct GraphMailClient {
    config: GraphConfig,
    /// `{base}/users/{mailbox}`.
    user_url: url::Url,
    send_url: String,
    credential: Arc<dyn TokenCredential>,
    /// For requests that change something (`config.http.retry`).
    http: HttpClient,
    /// For reads, which may always be repeated.
    read_http: HttpClient,
    closed: AtomicBool,
}

/// What a request does, for its error message and hint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Send,
    Read,
    Write,
}

impl std::fmt::Debug for GraphMailClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GraphMailClient")
            .field("mailbox", &self.config.mailbox)
            .field("base_url", &self.config.base_url)
            .finish()
    }
}

impl GraphMailClient {
    pub fn new(config: GraphConfig, credential: Arc<dyn TokenCredential>) -> Result<GraphMailClient> {
        parse_mailbox("Graph mailbox", &config.mailbox).map_err(|e| {
            Error::config(e.message_text().to_owned()).with_hint("The mailbox is the sender's address.")
        })?;
        let mut url = url::Url::parse(config.base_url.trim_end_matches('/'))
            .map_err(|e| Error::config(format!("invalid Graph base URL '{}'", config.base_url)).with_source(e))?;
        if url.scheme() != "https" {
            return Err(Error::config("the Graph base URL must use https"));
        }
        url.path_segments_mut()
            .map_err(|_| Error::config("the Graph base URL cannot have a path"))?
            .extend(["users", config.mailbox.as_str()]);
        let mut send_url = url.clone();
        send_url.path_segments_mut().map_err(|_| Error::internal("Graph URL"))?.push("sendMail");
        let http = HttpClient::new(&config.ca, &config.http)?;
        let read_options =
            HttpOptions { retry: RetryPolicy { idempotent: true, ..config.http.retry.clone() }, ..config.http.clone() };
        let read_http = HttpClient::new(&config.ca, &read_options)?;
        Ok(GraphMailClient {
            user_url: url,
            send_url: send_url.into(),
            config,
            credential,
            http,
            read_http,
            closed: AtomicBool::new(false),
        })
    }

    /// The provider's Graph URL and scope (Microsoft clouds only).
    pub fn from_provider(
        provider: &Provider,
        mailbox: &str,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<GraphMailClient> {
        let (Some(base_url), Some(scope)) = (&provider.graph_url, &provider.graph_scope) else {
            return Err(Error::config(format!("the provider {} has no Microsoft Graph", provider.name)));
        };
        let config = GraphConfig { base_url: base_url.clone(), scope: scope.clone(), ..GraphConfig::new(mailbox) };
        GraphMailClient::new(config, credential)
    }

    pub fn config(&self) -> &GraphConfig {
        &self.config
    }

    /// Validates the message and sends it as a Graph JSON message. Graph has
    /// one body per message: with both a text and an HTML body, the HTML one
    /// is sent. Graph takes at most 4 MB per request (HTTP 413 otherwise).
    pub fn send(&self, message: &Message) -> Result<SendReport> {
        let prepared = message.prepare()?;
        let body = json!({ "message": graph_message(message)?, "saveToSentItems": self.config.save_to_sent_items });
        let body =
            serde_json::to_vec(&body).map_err(|e| Error::internal("cannot encode the Graph message").with_source(e))?;
        self.post(&body, "application/json")?;
        Ok(accepted_report(prepared.recipients, Some(prepared.message_id)))
    }

    /// Sends RFC 5322 bytes as they are; Graph takes the recipients from the
    /// To, Cc and Bcc headers (reported as `accepted`).
    pub fn send_mime(&self, bytes: &[u8]) -> Result<SendReport> {
        let recipients = header_recipients(bytes);
        if recipients.is_empty() {
            return Err(Error::message("the message has no To, Cc or Bcc address")
                .with_hint("Graph sends a MIME message to the addresses in its headers."));
        }
        self.post(STANDARD.encode(bytes).as_bytes(), "text/plain")?;
        Ok(accepted_report(recipients, None))
    }

    /// Later calls fail with a `Closed` error.
    pub fn close(&self) {
        self.closed.store(true, Ordering::SeqCst);
    }

    /// POSTs to sendMail. The default retry policy resends only what Graph
    /// did not process (429, 503, or a connection that never opened), so a
    /// message is never sent twice.
    fn post(&self, body: &[u8], content_type: &str) -> Result<()> {
        self.call("sendMail", Access::Send, |c, token| {
            c.post(&self.send_url)
                .bearer_auth(token.token().expose())
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(body.to_vec())
        })?;
        Ok(())
    }

    /// Sends the request built by `build` with a token; a 401 gets one retry
    /// with a fresh token. Reads use the idempotent retry policy, the rest
    /// the configured one. Any status but 2xx becomes an error.
    fn call(
        &self,
        what: &str,
        access: Access,
        build: impl Fn(&Client, &AccessToken) -> RequestBuilder,
    ) -> Result<HttpResponse> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(Error::closed("Graph mail client"));
        }
        let http = if access == Access::Read { &self.read_http } else { &self.http };
        let scopes = [self.config.scope.as_str()];
        let label = format!("Microsoft Graph {what}");
        let send = |token: &AccessToken| http.send(&label, |c| build(c, token));
        let resp = send(&self.credential.get_token(&scopes)?)?;
        let resp = if resp.status == 401 {
            tracing::debug!("Graph refused the token; fetching a fresh one");
            send(&self.credential.get_fresh_token(&scopes)?)?
        } else {
            resp
        };
        match resp.status {
            200..=299 => Ok(resp),
            _ => Err(map_graph_error(&resp, what, access)),
        }
    }
}

/// The To, Cc and Bcc addresses of a raw message, each once.
pub(crate) fn header_recipients(bytes: &[u8]) -> Vec<String> {
    let Some(parsed) = mail_parser::MessageParser::default().parse_headers(bytes) else { return Vec::new() };
    let mut out: Vec<String> = Vec::new();
    for addr in [parsed.to(), parsed.cc(), parsed.bcc()].into_iter().flatten().flat_map(|a| a.iter()) {
        if let Some(a) = addr.address()
            && !out.iter().any(|o| o.eq_ignore_ascii_case(a))
        {
            out.push(a.to_owned());
        }
    }
    out
}

fn accepted_report(accepted: Vec<String>, message_id: Option<String>) -> SendReport {
    SendReport {
        queue_id: None,
        reply: "202 Accepted".into(),
        accepted,
        rejected: Vec::new(),
        via: Transport::Graph,
        message_id,
    }
}

/// The message in Graph's JSON shape. Custom headers must be `X-` headers there.
fn graph_message(m: &Message) -> Result<Value> {
    let recipient = |value: &str| -> Result<Value> {
        let mb = parse_mailbox("recipient", value)?;
        let mut addr = json!({ "address": mb.email.to_string() });
        if let Some(name) = mb.name {
            addr["name"] = json!(name);
        }
        Ok(json!({ "emailAddress": addr }))
    };
    let list = |values: &[String]| values.iter().map(|v| recipient(v)).collect::<Result<Vec<_>>>();
    let (content_type, content) = match (&m.html, &m.text) {
        (Some(html), _) => ("HTML", html.as_str()),
        (None, Some(text)) => ("Text", text.as_str()),
        (None, None) => ("Text", ""),
    };
    let mut msg = json!({
        "subject": m.subject.clone().unwrap_or_default(),
        "body": { "contentType": content_type, "content": content },
        "toRecipients": list(&m.to)?,
        "ccRecipients": list(&m.cc)?,
        "bccRecipients": list(&m.bcc)?,
        "replyTo": list(&m.reply_to)?,
    });
    if let Some(from) = &m.from {
        msg["from"] = recipient(from)?;
    }
    if let Some(sender) = &m.sender {
        msg["sender"] = recipient(sender)?;
    }
    let mut attachments = Vec::new();
    for a in &m.attachments {
        let mut att = json!({
            "@odata.type": "#microsoft.graph.fileAttachment",
            "name": a.file_name,
            "contentType": a.content_type,
            "contentBytes": STANDARD.encode(a.load()?),
        });
        if let Some(cid) = &a.content_id {
            att["isInline"] = json!(true);
            att["contentId"] = json!(cid.trim_matches(|c| c == '<' || c == '>'));
        }
        attachments.push(att);
    }
    if !attachments.is_empty() {
        msg["attachments"] = Value::Array(attachments);
    }
    if !m.headers.is_empty() {
        let mut headers = Vec::new();
        for (name, value) in &m.headers {
            if !name.to_ascii_lowercase().starts_with("x-") {
                return Err(Error::message(format!(
                    "Microsoft Graph only sends custom headers that start with X- (got {name})"
                ))
                .with_hint("Rename the header to X-..., or send the message as raw MIME."));
            }
            headers.push(json!({ "name": name, "value": value }));
        }
        msg["internetMessageHeaders"] = Value::Array(headers);
    }
    Ok(msg)
}

/// Maps Graph's `{"error":{"code","message"}}` to kind, code and hint.
fn map_graph_error(resp: &HttpResponse, what: &str, access: Access) -> Error {
    let json: Value = serde_json::from_slice(&resp.body).unwrap_or(Value::Null);
    let code = json["error"]["code"].as_str().unwrap_or("").to_owned();
    let text = json["error"]["message"].as_str().unwrap_or("").to_owned();
    let message = format!("Microsoft Graph {what} failed: HTTP {} {code}: {text}", resp.status);
    let denied = match access {
        Access::Send => {
            "Grant the app the Mail.Send application permission with admin consent, and if an application access \
             policy (New-ApplicationAccessPolicy) or RBAC for Applications limits the app, include this mailbox."
        }
        Access::Read => {
            "Grant the app the Mail.Read (or Mail.ReadWrite) application permission with admin consent, and if an \
             application access policy (New-ApplicationAccessPolicy) or RBAC for Applications limits the app, include \
             this mailbox."
        }
        Access::Write => {
            "Grant the app the Mail.ReadWrite application permission with admin consent, and if an application access \
             policy (New-ApplicationAccessPolicy) or RBAC for Applications limits the app, include this mailbox."
        }
    };
    let (kind, hint) = match (resp.status, code.as_str()) {
        (429, _) => {
            (ErrorKind::Throttled, "Graph is throttling this mailbox or app: wait for Retry-After, then try again.")
        }
        (401, _) => (
            ErrorKind::Auth,
            "The token must be for Microsoft Graph: request the scope https://graph.microsoft.com/.default.",
        ),
        (_, "ErrorSendAsDenied") => (
            ErrorKind::Permission,
            "The mailbox may not send as this From address: grant Send As (Add-RecipientPermission) or send from the mailbox itself.",
        ),
        (_, "ErrorAccessDenied") | (403, _) => (ErrorKind::Permission, denied),
        (_, "MailboxNotEnabledForRESTAPI" | "MailboxNotSupportedForRESTAPI") => (
            ErrorKind::Permission,
            "The mailbox is not in Exchange Online (on-premises, inactive or unlicensed): license it, or use SMTP.",
        ),
        (_, "ErrorItemNotFound") => {
            (ErrorKind::Config, "No such message or folder: list the folder again (a moved message gets a new id).")
        }
        (_, "ErrorInvalidIdMalformed") => {
            (ErrorKind::Config, "This is not a Graph id: use the id that list_messages gives.")
        }
        (404, _) | (_, "ErrorInvalidUser") => {
            (ErrorKind::Config, "No such mailbox: check the mailbox address given to GraphMailClient.")
        }
        (413, _) => (
            ErrorKind::Message,
            "The message is too large for sendMail (4 MB per request): send large attachments over SMTP.",
        ),
        (400, _) if access == Access::Send => {
            (ErrorKind::Message, "Graph refused the message: check the addresses, attachments and headers.")
        }
        (400, _) => (ErrorKind::Protocol, "Graph refused the request; see its error message."),
        (500..=599, _) => (ErrorKind::Network, "Microsoft Graph had a temporary failure: retry later."),
        _ => (ErrorKind::Protocol, "See Graph's error message."),
    };
    let mut err = Error::new(kind, message).with_hint(hint);
    err = if code.is_empty() { err.with_code(resp.status.to_string()) } else { err.with_code(code) };
    if resp.status == 429 {
        err = err.with_retry_after(resp.retry_after().unwrap_or(Duration::from_secs(30)));
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    fn resp(status: u16, body: &str) -> HttpResponse {
        HttpResponse { status, headers: HeaderMap::new(), body: body.as_bytes().to_vec() }
    }

    fn map_graph_error_send(resp: &HttpResponse) -> Error {
        map_graph_error(resp, "sendMail", Access::Send)
    }

    #[test]
    fn graph_errors_get_kind_code_and_hint() {
        let e = map_graph_error_send(&resp(
            403,
            r#"{"error":{"code":"ErrorAccessDenied","message":"Access is denied. Check credentials and try again."}}"#,
        ));
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permission, Some("ErrorAccessDenied")));
        assert!(e.hint().unwrap().contains("Mail.Send") && e.hint().unwrap().contains("application access policy"));
        let e = map_graph_error_send(&resp(
            404,
            r#"{"error":{"code":"MailboxNotEnabledForRESTAPI","message":"The mailbox is either inactive, soft-deleted, or is hosted on-premise."}}"#,
        ));
        assert_eq!((e.kind(), e.code()), (ErrorKind::Permission, Some("MailboxNotEnabledForRESTAPI")));
        let mut r = resp(429, r#"{"error":{"code":"ApplicationThrottled","message":"Too many requests"}}"#);
        r.headers.insert(RETRY_AFTER, HeaderValue::from_static("7"));
        let e = map_graph_error_send(&r);
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
        let e = map_graph_error_send(&resp(502, "<html>bad gateway</html>"));
        assert_eq!((e.kind(), e.code()), (ErrorKind::Network, Some("502")));
    }

    #[test]
    fn json_message_has_recipients_body_and_attachments() {
        let m = Message::new()
            .from("Alice <alice@example.test>")
            .to("李四 <bob@example.test>")
            .bcc("carol@example.test")
            .subject("Test测试邮件标题")
            .text("plain")
            .html("<b>hi</b><img src=\"cid:logo\">")
            .inline_image("logo", "logo.png", "image/png", vec![1, 2, 3])
            .header("X-Campaign", "7");
        let v = graph_message(&m).unwrap();
        assert_eq!(v["subject"], "Test测试邮件标题");
        assert_eq!(v["body"]["contentType"], "HTML");
        assert_eq!(v["toRecipients"][0]["emailAddress"]["name"], "李四");
        assert_eq!(v["bccRecipients"][0]["emailAddress"]["address"], "carol@example.test");
        assert_eq!(v["attachments"][0]["contentBytes"], "AQID");
        assert_eq!(v["attachments"][0]["isInline"], true);
        assert_eq!(v["internetMessageHeaders"][0]["name"], "X-Campaign");
        assert_eq!(graph_message(&m.header("Keywords", "x")).unwrap_err().kind(), ErrorKind::Message);
    }

    #[test]
    fn header_recipients_of_raw_messages() {
        let raw = b"From: a@example.test\r\nTo: B <b@example.test>, c@example.test\r\nCc: B@example.test\r\nBcc: d@example.test\r\n\r\nx";
        assert_eq!(header_recipients(raw), ["b@example.test", "c@example.test", "d@example.test"]);
        assert!(header_recipients(b"Subject: none\r\n\r\nx").is_empty());
    }

    #[test]
    fn send_url_escapes_the_mailbox_and_config_is_checked() {
        let cred: Arc<dyn TokenCredential> = Arc::new(crate::StaticTokenCredential::new("t", None).unwrap());
        let mut cfg = GraphConfig::new("a+b@example.test");
        cfg.base_url = "https://127.0.0.1:8443/v1.0/".into();
        let c = GraphMailClient::new(cfg, cred.clone()).unwrap();
        assert_eq!(c.send_url, "https://127.0.0.1:8443/v1.0/users/a+b@example.test/sendMail");
        let mut cfg = GraphConfig::new("a@example.test");
        cfg.base_url = "http://graph.example.test/v1.0".into();
        assert_eq!(GraphMailClient::new(cfg, cred.clone()).unwrap_err().kind(), ErrorKind::Config);
        assert_eq!(GraphMailClient::new(GraphConfig::new("nobody"), cred).unwrap_err().kind(), ErrorKind::Config);
    }
}
