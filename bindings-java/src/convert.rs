//! Values that cross to Java: connection settings and messages coming in,
//! send reports and message summaries going out.

use std::time::Duration;

use jni::objects::{JByteArray, JObject, JObjectArray, JString, JValue};
use jni::sys::{jint, jlong};
use jni::{Env, jni_sig, jni_str};
use oauthmail::provider::Security;
use oauthmail::tls::TlsTrust;
use oauthmail::{Error, Message, MessageSummary, SendReport, Transport};

use crate::boundary::{Result, opt_jstring, opt_str_arg, str_arg, str_array_arg, string_array};

/// Where a mail client connects, as `Native` passes it.
pub(crate) struct Connection {
    pub host: String,
    pub port: u16,
    pub username: String,
    pub security: Option<Security>,
    pub ca: TlsTrust,
    pub timeout: Option<Duration>,
    pub scopes: Vec<String>,
}

impl Connection {
    #[allow(clippy::too_many_arguments)]
    pub fn read(
        env: &mut Env<'_>,
        host: &JString<'_>,
        port: jint,
        username: &JString<'_>,
        security: &JString<'_>,
        ca_file: &JString<'_>,
        timeout_ms: jlong,
        scopes: &JObjectArray<'_, JString<'_>>,
    ) -> Result<Connection> {
        let port =
            u16::try_from(port).map_err(|_| Error::config(format!("the port {port} is not between 0 and 65535")))?;
        let security = opt_str_arg(env, security, "security")?.map(|s| Security::parse(&s)).transpose()?;
        let ca_file = opt_str_arg(env, ca_file, "caFile")?;
        Ok(Connection {
            host: str_arg(env, host, "host")?,
            port,
            username: str_arg(env, username, "username")?,
            security,
            ca: TlsTrust::from_optional_ca_file(ca_file.as_deref().map(std::path::Path::new))?,
            timeout: u64::try_from(timeout_ms).ok().filter(|&ms| ms > 0).map(Duration::from_millis),
            scopes: str_array_arg(env, scopes, "scopes")?,
        })
    }
}

/// The fields of a Java `Message`, as `Native` passes them.
pub(crate) struct MessageArgs<'a, 'l> {
    pub from: &'a JString<'l>,
    pub to: &'a JObjectArray<'l, JString<'l>>,
    pub cc: &'a JObjectArray<'l, JString<'l>>,
    pub bcc: &'a JObjectArray<'l, JString<'l>>,
    pub reply_to: &'a JString<'l>,
    pub subject: &'a JString<'l>,
    pub text: &'a JString<'l>,
    pub html: &'a JString<'l>,
    /// Name, value, name, value, ...
    pub headers: &'a JObjectArray<'l, JString<'l>>,
    /// File name, content type, ... (one pair per attachment)
    pub attachment_names: &'a JObjectArray<'l, JString<'l>>,
    pub attachment_data: &'a JObjectArray<'l, JByteArray<'l>>,
}

impl MessageArgs<'_, '_> {
    pub fn read(&self, env: &mut Env<'_>) -> Result<Message> {
        let mut m = Message::new();
        if let Some(from) = opt_str_arg(env, self.from, "from")? {
            m = m.from(from);
        }
        for a in str_array_arg(env, self.to, "to")? {
            m = m.to(a);
        }
        for a in str_array_arg(env, self.cc, "cc")? {
            m = m.cc(a);
        }
        for a in str_array_arg(env, self.bcc, "bcc")? {
            m = m.bcc(a);
        }
        if let Some(r) = opt_str_arg(env, self.reply_to, "replyTo")? {
            m = m.reply_to(r);
        }
        if let Some(s) = opt_str_arg(env, self.subject, "subject")? {
            m = m.subject(s);
        }
        if let Some(t) = opt_str_arg(env, self.text, "text")? {
            m = m.text(t);
        }
        if let Some(h) = opt_str_arg(env, self.html, "html")? {
            m = m.html(h);
        }
        let headers = str_array_arg(env, self.headers, "headers")?;
        for pair in headers.chunks_exact(2) {
            m = m.header(pair[0].clone(), pair[1].clone());
        }
        let names = str_array_arg(env, self.attachment_names, "attachments")?;
        let count = if self.attachment_data.is_null() { 0 } else { self.attachment_data.len(env)? };
        if names.len() != 2 * count {
            return Err(Error::internal("attachment names and data differ in number").into());
        }
        for (i, pair) in names.chunks_exact(2).enumerate() {
            let data = self.attachment_data.get_element(env, i)?;
            let bytes = crate::boundary::bytes_arg(env, &data, "attachment data")?;
            env.delete_local_ref(data);
            m = m.attach_bytes(pair[0].clone(), pair[1].clone(), bytes);
        }
        Ok(m)
    }
}

/// A `SendReport` for Java.
pub(crate) fn send_report<'l>(env: &mut Env<'l>, r: &SendReport) -> Result<JObject<'l>> {
    let queue_id = opt_jstring(env, r.queue_id.as_deref())?;
    let reply = env.new_string(&r.reply)?;
    let message_id = opt_jstring(env, r.message_id.as_deref())?;
    let via = env.new_string(match r.via {
        Transport::Smtp => "SMTP",
        Transport::Graph => "GRAPH",
    })?;
    let accepted = string_array(env, &r.accepted)?;
    let rejected: Vec<String> =
        r.rejected.iter().flat_map(|x| [x.address.clone(), x.code.clone(), x.reply.clone()]).collect();
    let rejected = string_array(env, &rejected)?;
    Ok(env.new_object(
        jni_str!("dev/oauthmail/SendReport"),
        jni_sig!("(Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;)V"),
        &[
            JValue::from(&queue_id),
            JValue::from(&reply),
            JValue::from(&message_id),
            JValue::from(&via),
            JValue::from(&accepted),
            JValue::from(&rejected),
        ],
    )?)
}

/// A listing for Java as one `byte[]`, which `MessageSummary.decodeAll` reads: one JNI call
/// rather than some twenty per row (an object, four arrays and their strings; issue 9).
///
/// Big-endian: the row count (i32), then per row the uid (i64), subject, from, to and cc (each
/// an i32 count of name-or-null and address), the date (a byte 1 and i64 seconds, or a byte 0),
/// size (i64), flags (i32 count of strings), Message-ID or null, attachments (a byte), UIDL or
/// null. A string is its UTF-8 length (i32) and bytes; null is the length -1.
pub(crate) fn summaries<'l>(env: &mut Env<'l>, items: &[MessageSummary]) -> Result<JByteArray<'l>> {
    let mut out = Vec::with_capacity(items.len() * 192);
    put_len(&mut out, items.len())?;
    for m in items {
        out.extend(i64::from(m.uid).to_be_bytes());
        put_str(&mut out, Some(&m.subject))?;
        for list in [m.from.as_slice(), &m.to, &m.cc] {
            put_len(&mut out, list.len())?;
            for a in list {
                put_str(&mut out, a.name.as_deref())?;
                put_str(&mut out, Some(&a.address))?;
            }
        }
        match m.date {
            Some(date) => {
                out.push(1);
                out.extend(date.to_be_bytes());
            }
            None => out.push(0),
        }
        out.extend(i64::try_from(m.size).unwrap_or(i64::MAX).to_be_bytes());
        put_len(&mut out, m.flags.len())?;
        for flag in &m.flags {
            put_str(&mut out, Some(flag))?;
        }
        put_str(&mut out, m.message_id.as_deref())?;
        out.push(u8::from(m.has_attachments));
        put_str(&mut out, m.uidl.as_deref())?;
    }
    Ok(env.byte_array_from_slice(&out)?)
}

fn put_len(out: &mut Vec<u8>, n: usize) -> Result<()> {
    let n = i32::try_from(n).map_err(|_| Error::internal("a listing too large for a Java array"))?;
    out.extend(n.to_be_bytes());
    Ok(())
}

fn put_str(out: &mut Vec<u8>, s: Option<&str>) -> Result<()> {
    match s {
        Some(s) => {
            put_len(out, s.len())?;
            out.extend_from_slice(s.as_bytes());
        }
        None => out.extend((-1i32).to_be_bytes()),
    }
    Ok(())
}
