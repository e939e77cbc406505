//! Plain JavaScript objects for what the mail clients take and return:
//! connection settings, messages to send, send reports, listed messages.

use std::path::Path;
use std::time::Duration;

use napi::bindgen_prelude::{
    Buffer, Either, FromNapiValue, Function, JsObjectValue, JsValue, Object, ToNapiValue, TypeName, Unknown,
    ValidateNapiValue,
};
use napi::{Env, Status, ValueType, sys};
use napi_derive::napi;
use oauthmail::tls::TlsTrust;
use oauthmail::{Error, Security};
use serde::Serialize;

/// Settings shared by `SmtpClient`, `ImapClient` and `Pop3Client`.
pub(crate) struct Connection {
    pub security: Option<Security>,
    pub ca: TlsTrust,
    pub timeout: Option<Duration>,
    pub scopes: Vec<String>,
}

impl Connection {
    pub fn new(
        security: Option<&str>,
        ca_file: Option<&str>,
        timeout_ms: Option<f64>,
        scopes: Option<Vec<String>>,
    ) -> oauthmail::Result<Self> {
        Ok(Connection {
            security: security.map(Security::parse).transpose()?,
            ca: TlsTrust::from_optional_ca_file(ca_file.map(Path::new))?,
            timeout: match timeout_ms.map(|ms| whole(ms, "timeoutMs")).transpose()? {
                Some(0) => return Err(Error::config("timeoutMs must be more than 0")),
                t => t.map(|ms| Duration::from_millis(ms.into())),
            },
            scopes: scopes.unwrap_or_default(),
        })
    }
}

/// A whole number from JavaScript. napi's own `u32` conversion wraps and
/// truncates (`2 ** 32 + 25` would be port 25, `-5` ms a 50-day timeout, uid
/// `2 ** 32 + 7` message 7), so numbers come in as `f64` and are checked here.
pub(crate) fn whole(value: f64, what: &str) -> oauthmail::Result<u32> {
    if value.fract() == 0.0 && (0.0..=f64::from(u32::MAX)).contains(&value) {
        Ok(value as u32)
    } else {
        Err(Error::config(format!("{what} must be a whole number from 0 to 4294967295, not {value}")))
    }
}

/// Whole numbers from JavaScript (UIDs), checked as [`whole`] does.
pub(crate) fn wholes(values: &[f64], what: &str) -> oauthmail::Result<Vec<u32>> {
    values.iter().map(|v| whole(*v, what)).collect()
}

/// A port from JavaScript's number.
pub(crate) fn port(value: f64, what: &str) -> oauthmail::Result<u16> {
    u16::try_from(whole(value, &format!("the {what} port"))?)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| Error::config(format!("{what} port {value} is not between 1 and 65535")))
}

/// One or several addresses, as nodemailer takes them.
fn addresses(value: Option<Either<String, Vec<String>>>) -> Vec<String> {
    match value {
        None => Vec::new(),
        Some(Either::A(one)) => vec![one],
        Some(Either::B(many)) => many,
    }
}

/// A file to attach: `content` (bytes or text) or `path`, as in nodemailer.
#[napi(object)]
pub struct AttachmentInput {
    pub filename: Option<String>,
    pub content: Option<Either<Buffer, String>>,
    pub path: Option<String>,
    /// Default: `application/octet-stream`.
    pub content_type: Option<String>,
    /// Makes it an inline image, shown in the HTML as `<img src="cid:...">` (nodemailer's `cid`).
    pub cid: Option<String>,
}

/// A message to send, with nodemailer's field names.
#[napi(object, object_to_js = false)]
pub struct Message {
    pub from: Option<String>,
    pub sender: Option<String>,
    pub reply_to: Option<String>,
    pub to: Option<Either<String, Vec<String>>>,
    pub cc: Option<Either<String, Vec<String>>>,
    pub bcc: Option<Either<String, Vec<String>>>,
    pub subject: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Option<Vec<AttachmentInput>>,
    /// Extra headers such as `X-Mailer`; non-ASCII values are RFC 2047 encoded.
    #[napi(ts_type = "Record<string, string>")]
    pub headers: Option<Headers>,
    pub message_id: Option<String>,
}

impl Message {
    pub fn into_core(self) -> oauthmail::Result<oauthmail::Message> {
        let mut m = oauthmail::Message::new();
        if let Some(v) = self.from {
            m = m.from(v);
        }
        if let Some(v) = self.sender {
            m = m.sender(v);
        }
        if let Some(v) = self.reply_to {
            m = m.reply_to(v);
        }
        for v in addresses(self.to) {
            m = m.to(v);
        }
        for v in addresses(self.cc) {
            m = m.cc(v);
        }
        for v in addresses(self.bcc) {
            m = m.bcc(v);
        }
        if let Some(v) = self.subject {
            m = m.subject(v);
        }
        if let Some(v) = self.text {
            m = m.text(v);
        }
        if let Some(v) = self.html {
            m = m.html(v);
        }
        let mut headers = self.headers.map(|h| h.0).unwrap_or_default();
        headers.sort(); // a stable header order whatever the object's
        for (name, value) in headers {
            m = m.header(name, value);
        }
        if let Some(v) = self.message_id {
            m = m.message_id(v);
        }
        for a in self.attachments.unwrap_or_default() {
            let content_type = a.content_type.unwrap_or_else(|| "application/octet-stream".into());
            m = match (a.content, a.path) {
                (Some(content), None) => {
                    let bytes = match content {
                        Either::A(buf) => buf.to_vec(),
                        Either::B(text) => text.into_bytes(),
                    };
                    let name = a.filename.unwrap_or_default();
                    match a.cid {
                        Some(cid) => m.inline_image(cid, name, content_type, bytes),
                        None => m.attach_bytes(name, content_type, bytes),
                    }
                }
                (None, Some(path)) if a.cid.is_none() => {
                    m.attach_file(path, Some(&content_type), a.filename.as_deref())
                }
                (None, Some(_)) => {
                    return Err(Error::message("an inline image (cid) needs its content, not a path"));
                }
                _ => {
                    return Err(Error::message("an attachment needs exactly one of content and path")
                        .with_hint("Give the bytes as `content` or a file as `path`."));
                }
            };
        }
        Ok(m)
    }
}

/// `Message.headers`. napi's own map conversion looks each key up again by its
/// UTF-8 form and skips it when that fails, so a header name with a lone
/// surrogate (made U+FFFD) would vanish quietly; here it is an error. A header
/// whose value is `undefined` is left out, as `JSON.stringify` does.
pub struct Headers(Vec<(String, String)>);

impl FromNapiValue for Headers {
    unsafe fn from_napi_value(env: sys::napi_env, value: sys::napi_value) -> napi::Result<Self> {
        // SAFETY: napi passes a live value of this call.
        let obj = unsafe { Object::from_napi_value(env, value)? };
        let mut headers = Vec::new();
        for name in Object::keys(&obj)? {
            match obj.get::<String>(&name)? {
                Some(value) => headers.push((name, value)),
                None if obj.has_own_property(&name)? => {}
                None => {
                    return Err(napi::Error::new(
                        Status::InvalidArg,
                        format!("the header name {name:?} holds a lone UTF-16 surrogate"),
                    ));
                }
            }
        }
        Ok(Headers(headers))
    }
}

impl TypeName for Headers {
    fn type_name() -> &'static str {
        "Record<string, string>"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ValidateNapiValue for Headers {}

/// A recipient the server refused while others were accepted.
#[napi(object)]
pub struct RejectedRecipient {
    pub address: String,
    /// The enhanced status code (`5.1.1`), or the reply code.
    pub code: String,
    pub reply: String,
}

/// What the server said about an accepted message.
#[napi(object)]
pub struct SendReport {
    /// The server's queue id, when it gives one.
    pub queue_id: Option<String>,
    pub reply: String,
    pub accepted: Vec<String>,
    pub rejected: Vec<RejectedRecipient>,
    /// `smtp` or `graph` (an SmtpClient with a Graph fallback after 5.7.139).
    pub via: String,
    pub message_id: Option<String>,
}

impl From<oauthmail::SendReport> for SendReport {
    fn from(r: oauthmail::SendReport) -> Self {
        SendReport {
            queue_id: r.queue_id,
            reply: r.reply,
            accepted: r.accepted,
            rejected: r
                .rejected
                .into_iter()
                .map(|x| RejectedRecipient { address: x.address, code: x.code, reply: x.reply })
                .collect(),
            via: match r.via {
                oauthmail::Transport::Smtp => "smtp",
                oauthmail::Transport::Graph => "graph",
            }
            .into(),
            message_id: r.message_id,
        }
    }
}

#[napi(object)]
#[derive(Serialize)]
pub struct MailAddress {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub address: String,
}

fn address(a: oauthmail::MailAddress) -> MailAddress {
    MailAddress { name: a.name, address: a.address }
}

/// One listed message.
// Serialized (`Summaries`) as N-API builds it: camelCase names, absent options left out.
#[napi(object)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSummary {
    /// IMAP UID, or the POP3 message number (0 over Graph).
    pub uid: u32,
    /// Graph only: the message id that `fetchMessage` and the other Graph calls take.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Decoded to UTF-8.
    pub subject: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    /// Seconds since the Unix epoch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<i64>,
    pub size: f64,
    pub flags: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    pub has_attachments: bool,
    /// POP3 only: the server's unique id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uidl: Option<String>,
}

impl From<oauthmail::MessageSummary> for MessageSummary {
    fn from(m: oauthmail::MessageSummary) -> Self {
        MessageSummary {
            uid: m.uid,
            id: m.id,
            subject: m.subject,
            from: m.from.map(address),
            to: m.to.into_iter().map(address).collect(),
            cc: m.cc.into_iter().map(address).collect(),
            date: m.date,
            size: m.size as f64,
            flags: m.flags,
            message_id: m.message_id,
            has_attachments: m.has_attachments,
            uidl: m.uidl,
        }
    }
}

/// A listing as JSON, made on the worker thread for `JSON.parse` on the main thread: building
/// 10,000 summaries property by property through N-API held the main thread for 45 ms,
/// `JSON.parse` takes 10 (issue 9).
pub struct Summaries(String);

pub(crate) fn summaries(list: Vec<oauthmail::MessageSummary>) -> oauthmail::Result<Summaries> {
    let list: Vec<MessageSummary> = list.into_iter().map(MessageSummary::from).collect();
    serde_json::to_string(&list).map(Summaries).map_err(|e| Error::internal(format!("a listing as JSON: {e}")))
}

impl TypeName for Summaries {
    fn type_name() -> &'static str {
        "Array<MessageSummary>"
    }
    fn value_type() -> ValueType {
        ValueType::Object
    }
}

impl ToNapiValue for Summaries {
    unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> napi::Result<sys::napi_value> {
        let env = Env::from_raw(env);
        let json: Object = env.get_global()?.get_named_property("JSON")?;
        let parse: Function<String, Unknown> = json.get_named_property("parse")?;
        Ok(parse.apply(json, val.0)?.raw())
    }
}

#[napi(object)]
pub struct ParsedAttachment {
    pub filename: Option<String>,
    pub content_type: String,
    pub content_id: Option<String>,
    pub content: Buffer,
}

/// A fetched message taken apart.
#[napi(object)]
pub struct ParsedMessage {
    pub subject: String,
    pub from: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    pub text: Option<String>,
    pub html: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
}

impl From<oauthmail::ParsedMessage> for ParsedMessage {
    fn from(m: oauthmail::ParsedMessage) -> Self {
        ParsedMessage {
            subject: m.subject,
            from: m.from.map(address),
            to: m.to.into_iter().map(address).collect(),
            cc: m.cc.into_iter().map(address).collect(),
            date: m.date,
            message_id: m.message_id,
            text: m.text,
            html: m.html,
            attachments: m
                .attachments
                .into_iter()
                .map(|a| ParsedAttachment {
                    filename: a.filename,
                    content_type: a.content_type,
                    content_id: a.content_id,
                    content: a.data.into(),
                })
                .collect(),
        }
    }
}

/// Parses RFC 5322 bytes (what `fetchMessage` returns).
#[napi]
pub fn parse_message(env: napi::Env, raw: Buffer) -> napi::Result<ParsedMessage> {
    crate::error::sync(&env, || Ok(oauthmail::ParsedMessage::parse(&raw)?.into()))
}
