//! Fake Microsoft Graph `sendMail` (`POST /v1.0/users/{mailbox}/sendMail`, `/v1.0/me/sendMail`):
//! checks the bearer token like Graph, builds an RFC 5322 message from the JSON (or takes the
//! base64 MIME body) and delivers it into the `MailStore`. Reading mail is in [`read`].

mod read;

use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};

use crate::fixture::GRAPH_RESOURCE;
use crate::http::{Outcome, Request, Response};
use crate::kit::Shared;
use crate::seed::{base64_lines, encode_header_text};
use crate::store::{INBOX, SENT_ITEMS};
use crate::tokens::{self, TokenRejection};
use crate::util::{format_rfc5322_date, now_secs, random_uuid};

const MAX_REQUEST: usize = 4 * 1024 * 1024;
const GRAPH_APP_ID_URI: &str = "00000003-0000-0000-c000-000000000000";

/// Faults of the Graph endpoint (count-limited, in order).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GraphFault {
    /// 429 `ApplicationThrottled` with `Retry-After`.
    Throttle { retry_after_secs: u64 },
    /// 500 or 503.
    ServerError(u16),
    /// Wait, then answer normally.
    Slow(Duration),
    /// Close the connection without a response.
    DropConnection,
    /// 403 `ErrorAccessDenied`.
    AccessDenied,
    /// 404 `MailboxNotEnabledForRESTAPI`.
    MailboxNotEnabled,
    /// 401 `InvalidAuthenticationToken`.
    InvalidToken,
}

/// What a request needs the token to allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Need {
    Send,
    Read,
    Write,
}

impl Need {
    /// The Graph permissions (app roles or delegated scopes) any one of which allows it.
    fn permissions(self) -> &'static [&'static str] {
        match self {
            Need::Send => &["Mail.Send"],
            Need::Read => &["Mail.Read", "Mail.ReadWrite"],
            Need::Write => &["Mail.ReadWrite"],
        }
    }
}

fn graph_error(status: u16, code: &str, message: &str) -> Response {
    let now = now_secs();
    let mut resp = Response::json(
        status,
        &json!({"error": {"code": code, "message": message, "innerError": {
            "date": crate::util::format_timestamp(now).replace(' ', "T").trim_end_matches('Z').to_string(),
            "request-id": random_uuid(), "client-request-id": random_uuid()}}}),
    );
    if status == 401 {
        resp = resp.with_header("WWW-Authenticate", "Bearer realm=\"\", error=\"invalid_token\"");
    }
    resp
}

fn access_denied() -> Response {
    graph_error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
}

fn invalid_token(message: &str) -> Response {
    graph_error(401, "InvalidAuthenticationToken", message)
}

fn bad_request(code: &str, message: &str) -> Response {
    graph_error(400, code, message)
}

/// Handles Graph paths, returning the outcome and the fault applied; None when `req` is not for Graph.
pub(crate) fn handle(shared: &Shared, req: &Request) -> Option<(Outcome, Option<GraphFault>)> {
    let rest = req.path.strip_prefix("/v1.0/")?;
    let segments: Vec<String> = rest.split('/').map(percent_decode).collect();
    let (target, endpoint) = match segments.as_slice() {
        [me, endpoint @ ..] if me == "me" => (None, endpoint),
        [users, user, endpoint @ ..] if users == "users" => (Some(user.as_str()), endpoint),
        _ => {
            let resp = graph_error(400, "BadRequest", &format!("Resource not found for the segment '{rest}'."));
            return Some((Outcome::Respond(resp), None));
        }
    };
    let is_send = endpoint == ["sendMail"];
    if is_send && req.method != "POST" {
        let resp = graph_error(405, "Request_BadRequest", "Only POST is supported.");
        return Some((Outcome::Respond(resp), None));
    }
    let answer = || {
        if is_send { send_mail(shared, req, target) } else { read::handle(shared, req, target, endpoint) }
    };
    let fault = shared.graph_faults.take();
    let outcome = match fault.clone() {
        Some(GraphFault::DropConnection) => Outcome::Drop,
        Some(GraphFault::Throttle { retry_after_secs }) => Outcome::Respond(
            graph_error(429, "ApplicationThrottled", "Application is over its MailboxConcurrency limit.")
                .with_header("Retry-After", &retry_after_secs.to_string()),
        ),
        Some(GraphFault::ServerError(status)) => Outcome::Respond(graph_error(
            status,
            if status == 503 { "ServiceUnavailable" } else { "InternalServerError" },
            "The service is temporarily unavailable. Please try again later.",
        )),
        Some(GraphFault::AccessDenied) => Outcome::Respond(access_denied()),
        Some(GraphFault::MailboxNotEnabled) => Outcome::Respond(graph_error(
            404,
            "MailboxNotEnabledForRESTAPI",
            "The mailbox is either inactive, soft-deleted, or is hosted on-premise.",
        )),
        Some(GraphFault::InvalidToken) => {
            Outcome::Respond(invalid_token("Lifetime validation failed, the token is expired."))
        }
        Some(GraphFault::Slow(delay)) => {
            std::thread::sleep(delay);
            Outcome::Respond(answer())
        }
        None => Outcome::Respond(answer()),
    };
    Some((outcome, fault))
}

fn percent_decode(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

/// The mailbox the token may use for `need`, after checking it like Graph does.
fn authorize(shared: &Shared, req: &Request, target: Option<&str>, need: Need) -> Result<String, Response> {
    let token = req
        .header("authorization")
        .and_then(|h| h.strip_prefix("Bearer ").or(h.strip_prefix("bearer ")))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| invalid_token("Access token is empty."))?;
    let claims = tokens::verify(shared.identity.key(), token, &[GRAPH_RESOURCE, GRAPH_APP_ID_URI]).map_err(|r| {
        invalid_token(match r {
            TokenRejection::Expired => "Lifetime validation failed, the token is expired.",
            TokenRejection::BadSignature => "Signature validation failed.",
            TokenRejection::Malformed => "JWT is not well formed.",
            TokenRejection::WrongAudience(_) => "Invalid audience.",
        })
    })?;
    let claim = |name: &str| claims.get(name).and_then(Value::as_str);
    let allowed = need.permissions();
    let mailbox = if let Some(scp) = claim("scp") {
        if !scp.split(' ').any(|s| allowed.contains(&s)) {
            return Err(access_denied());
        }
        let user = claim("preferred_username").or(claim("upn")).unwrap_or("");
        let mailbox = target.unwrap_or(user);
        // Sending may use Send As; reading another user's mailbox needs delegation the kit lacks.
        let may_use = mailbox.eq_ignore_ascii_case(user) || (need == Need::Send && shared.may_send_as(user, mailbox));
        if !may_use {
            return Err(access_denied());
        }
        mailbox.to_string()
    } else {
        let has_role = claims
            .get("roles")
            .and_then(Value::as_array)
            .is_some_and(|r| r.iter().any(|r| r.as_str().is_some_and(|r| allowed.contains(&r))));
        let Some(mailbox) = target else {
            return Err(bad_request("BadRequest", "/me request is only valid with delegated authentication flow."));
        };
        let bound_elsewhere = claim("preferred_username").is_some_and(|b| !b.eq_ignore_ascii_case(mailbox));
        // Reads honour the app's mailbox scope (Exchange's application access policy).
        let outside_policy = need != Need::Send && !shared.store.app_may_access(claim("appid").unwrap_or(""), mailbox);
        if !has_role || bound_elsewhere || outside_policy {
            return Err(access_denied());
        }
        mailbox.to_string()
    };
    if !shared.is_mailbox(&mailbox) {
        return Err(graph_error(404, "ErrorInvalidUser", &format!("The requested user '{mailbox}' is invalid.")));
    }
    Ok(mailbox.to_ascii_lowercase())
}

fn send_mail(shared: &Shared, req: &Request, target: Option<&str>) -> Response {
    match authorize(shared, req, target, Need::Send).and_then(|mailbox| deliver(shared, req, &mailbox)) {
        Ok(()) => Response::empty(202),
        Err(resp) => resp,
    }
}

fn deliver(shared: &Shared, req: &Request, mailbox: &str) -> Result<(), Response> {
    if req.body.len() > MAX_REQUEST {
        return Err(graph_error(413, "RequestBodyTooLarge", "The maximum request length supported is 4MB."));
    }
    let is_mime = req.header("content-type").is_some_and(|c| c.to_ascii_lowercase().starts_with("text/plain"));
    let (raw, recipients, save) = if is_mime {
        let text: String = String::from_utf8_lossy(&req.body).split_whitespace().collect();
        let raw = STANDARD.decode(text).map_err(|_| {
            bad_request("ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content.")
        })?;
        let recipients = header_addresses(&raw, &["to", "cc", "bcc"]);
        (raw, recipients, true)
    } else {
        if req.body.is_empty() {
            return Err(bad_request("BadRequest", "Empty Payload. JSON content expected."));
        }
        let body: Value = serde_json::from_slice(&req.body)
            .map_err(|e| bad_request("BadRequest", &format!("Unable to read JSON request payload: {e}")))?;
        let message = body
            .get("message")
            .filter(|m| m.is_object())
            .ok_or_else(|| bad_request("ErrorInvalidRequest", "The 'message' parameter is required."))?;
        let from = message["from"]["emailAddress"]["address"].as_str();
        if let Some(from) = from
            && !shared.may_send_as(mailbox, from)
        {
            return Err(graph_error(
                403,
                "ErrorSendAsDenied",
                "The user account which was used to submit this request does not have the right to send mail on behalf of the specified sending account., Cannot submit message.",
            ));
        }
        let raw = build_mime(mailbox, message)?;
        let recipients = ["toRecipients", "ccRecipients", "bccRecipients"]
            .iter()
            .flat_map(|k| message[*k].as_array().cloned().unwrap_or_default())
            .filter_map(|r| r["emailAddress"]["address"].as_str().map(str::to_string))
            .collect();
        (raw, recipients, body["saveToSentItems"].as_bool().unwrap_or(true))
    };
    let mut recipients: Vec<String> = recipients.into_iter().map(|r| r.to_ascii_lowercase()).collect();
    recipients.dedup();
    if recipients.is_empty() {
        return Err(bad_request("ErrorInvalidRecipients", "At least one recipient is required, but none were found."));
    }
    // Unknown addresses in the tenant's domains would bounce later at Exchange; they are dropped.
    for rcpt in recipients.iter().filter(|r| shared.accepts_recipient(r)) {
        shared.store.append(rcpt, INBOX, &raw, &[]);
    }
    if save {
        shared.store.append(mailbox, SENT_ITEMS, &raw, &["\\Seen"]);
    }
    shared.graph_sent.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    Ok(())
}

/// Header values must not smuggle in more headers.
fn clean(value: &str) -> Result<&str, Response> {
    if value.contains(['\r', '\n']) {
        return Err(bad_request("ErrorInvalidRequest", "Header values must not contain line breaks."));
    }
    Ok(value)
}

fn format_address(recipient: &Value) -> Result<Option<String>, Response> {
    let Some(address) = recipient["emailAddress"]["address"].as_str() else {
        return Ok(None);
    };
    let address = clean(address)?;
    if !address.contains('@') {
        return Err(bad_request("ErrorInvalidRecipients", &format!("The address '{address}' is invalid.")));
    }
    Ok(Some(match recipient["emailAddress"]["name"].as_str().filter(|n| !n.is_empty()) {
        Some(name) if name.is_ascii() => {
            format!("\"{}\" <{address}>", clean(name)?.replace('\\', "\\\\").replace('"', "\\\""))
        }
        Some(name) => format!("{} <{address}>", encode_header_text(clean(name)?)),
        None => address.to_string(),
    }))
}

fn address_list(message: &Value, key: &str) -> Result<Option<String>, Response> {
    let mut out = Vec::new();
    for r in message[key].as_array().map(Vec::as_slice).unwrap_or_default() {
        out.extend(format_address(r)?);
    }
    Ok((!out.is_empty()).then(|| out.join(", ")))
}

/// RFC 5322 message for a Graph `message` resource.
fn build_mime(mailbox: &str, message: &Value) -> Result<Vec<u8>, Response> {
    let mut head = String::new();
    let from = format_address(&message["from"])?.unwrap_or_else(|| mailbox.to_string());
    head.push_str(&format!("From: {from}\r\n"));
    if let Some(sender) = format_address(&message["sender"])? {
        head.push_str(&format!("Sender: {sender}\r\n"));
    }
    for (key, header) in [("toRecipients", "To"), ("ccRecipients", "Cc"), ("replyTo", "Reply-To")] {
        if let Some(list) = address_list(message, key)? {
            head.push_str(&format!("{header}: {list}\r\n"));
        }
    }
    let subject = clean(message["subject"].as_str().unwrap_or(""))?;
    head.push_str(&format!("Subject: {}\r\n", encode_header_text(subject)));
    head.push_str(&format!("Date: {}\r\n", format_rfc5322_date(now_secs())));
    head.push_str(&format!("Message-ID: <{}@testkit>\r\n", random_uuid()));
    for h in message["internetMessageHeaders"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let name = clean(h["name"].as_str().unwrap_or(""))?;
        if !name.to_ascii_lowercase().starts_with("x-") || name.contains(':') || name.contains(' ') {
            return Err(bad_request(
                "InvalidInternetMessageHeader",
                &format!("The internet message header name '{name}' should start with 'x-' or 'X-'."),
            ));
        }
        head.push_str(&format!("{name}: {}\r\n", encode_header_text(clean(h["value"].as_str().unwrap_or(""))?)));
    }
    head.push_str("MIME-Version: 1.0\r\n");

    let html = message["body"]["contentType"].as_str().is_some_and(|c| c.eq_ignore_ascii_case("html"));
    let content = message["body"]["content"].as_str().unwrap_or("");
    let body_part = format!(
        "Content-Type: text/{}; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
        if html { "html" } else { "plain" },
        base64_lines(content.as_bytes())
    );
    let attachments = message["attachments"].as_array().map(Vec::as_slice).unwrap_or_default();
    if attachments.is_empty() {
        return Ok(format!("{head}{body_part}").into_bytes());
    }
    let boundary = format!("testkit-{}", random_uuid());
    let mut out =
        format!("{head}Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n--{boundary}\r\n{body_part}");
    for a in attachments {
        if a["@odata.type"].as_str() != Some("#microsoft.graph.fileAttachment") {
            return Err(bad_request(
                "ErrorInvalidRequest",
                "Only #microsoft.graph.fileAttachment attachments are supported.",
            ));
        }
        let name = clean(a["name"].as_str().unwrap_or("attachment"))?;
        let content_type = clean(a["contentType"].as_str().unwrap_or("application/octet-stream"))?;
        let bytes = STANDARD.decode(a["contentBytes"].as_str().unwrap_or("")).map_err(|_| {
            bad_request("ErrorInvalidRequest", &format!("Attachment '{name}' has invalid contentBytes."))
        })?;
        let encoded_name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
        let inline = a["isInline"].as_bool().unwrap_or(false);
        out.push_str(&format!(
            "--{boundary}\r\nContent-Type: {content_type}; name=\"{}\"\r\nContent-Disposition: {}; filename*=UTF-8''{}\r\n",
            encode_header_text(name),
            if inline { "inline" } else { "attachment" },
            encoded_name.replace('+', "%20")
        ));
        if let Some(cid) = a["contentId"].as_str() {
            out.push_str(&format!("Content-ID: <{}>\r\n", clean(cid)?));
        }
        out.push_str(&format!("Content-Transfer-Encoding: base64\r\n\r\n{}", base64_lines(&bytes)));
    }
    out.push_str(&format!("--{boundary}--\r\n"));
    Ok(out.into_bytes())
}

/// Addresses in the named headers of a raw message (unfolded; `<addr>` or bare `a@b`).
fn header_addresses(raw: &[u8], names: &[&str]) -> Vec<String> {
    let text = String::from_utf8_lossy(raw);
    let head = text.split("\r\n\r\n").next().unwrap_or("").split("\n\n").next().unwrap_or("");
    let mut headers: Vec<String> = Vec::new();
    for line in head.lines() {
        match (line.starts_with([' ', '\t']), headers.last_mut()) {
            (true, Some(last)) => last.push_str(line),
            _ => headers.push(line.to_string()),
        }
    }
    let mut out = Vec::new();
    for h in headers {
        let Some((name, value)) = h.split_once(':') else {
            continue;
        };
        if !names.iter().any(|n| n.eq_ignore_ascii_case(name.trim())) {
            continue;
        }
        for part in value.split(',') {
            let addr = match (part.find('<'), part.rfind('>')) {
                (Some(a), Some(b)) if a < b => &part[a + 1..b],
                _ => part.trim(),
            };
            if addr.contains('@') {
                out.push(addr.trim().to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_mime_recipients() {
        let raw = b"From: a@x\r\nTo: \"B, Bee\" <b@x>,\r\n c@x\r\nCc: d@x\r\nSubject: hi\r\n\r\nTo: not@header\r\n";
        assert_eq!(header_addresses(raw, &["to", "cc"]), vec!["b@x", "c@x", "d@x"]);
    }

    #[test]
    fn builds_messages_and_refuses_injection() {
        let msg = json!({"subject": "Grüße", "body": {"contentType": "Text", "content": "hi"},
            "toRecipients": [{"emailAddress": {"address": "b@x", "name": "Bob"}}],
            "attachments": [{"@odata.type": "#microsoft.graph.fileAttachment", "name": "a.txt",
                             "contentType": "text/plain", "contentBytes": "aGk="}]});
        let raw = String::from_utf8(build_mime("a@x", &msg).unwrap()).unwrap();
        assert!(raw.contains("To: \"Bob\" <b@x>\r\n"));
        assert!(raw.contains("Subject: =?UTF-8?B?"));
        assert!(raw.contains("filename*=UTF-8''a.txt"));
        let bad = json!({"subject": "x\r\nBcc: evil@x", "toRecipients": []});
        assert!(build_mime("a@x", &bad).is_err());
    }
}
