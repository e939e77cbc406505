//! Values that cross to Java: connection settings and messages coming in,
//! send reports and message summaries going out.

use std::time::Duration;

use jni::objects::{JByteArray, JObject, JObjectArray, JString, JValue};
use jni::sys::{jint, jlong};
use jni::{Env, jni_sig, jni_str};
use oauthmail::provider::Security;
use oauthmail::tls::TlsTrust;
use oauthmail::{Error, MailAddress, Message, MessageSummary, SendReport, Transport};

use crate::boundary::{Constructor, Result, opt_jstring, opt_str_arg, str_arg, str_array_arg, string_array};

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

/// Name (empty when there is none) and address, for each address.
fn address_pairs<'a>(addresses: impl IntoIterator<Item = &'a MailAddress>) -> Vec<String> {
    addresses.into_iter().flat_map(|a| [a.name.clone().unwrap_or_default(), a.address.clone()]).collect()
}

/// `dev.oauthmail.MessageSummary`'s constructor: looked up once rather than for each of
/// 10,000 rows (FindClass and GetMethodID were a third of a Java listing).
static MESSAGE_SUMMARY: Constructor = Constructor::new(
    jni_str!("dev/oauthmail/MessageSummary"),
    jni_sig!(
        "(JLjava/lang/String;[Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/String;JZJ[Ljava/lang/String;Ljava/lang/String;ZLjava/lang/String;)V"
    ),
);

/// A `MessageSummary[]` for Java.
pub(crate) fn summaries<'l>(env: &mut Env<'l>, items: &[MessageSummary]) -> Result<JObjectArray<'l>> {
    let array = env.new_object_array(
        i32::try_from(items.len()).map_err(|_| Error::internal("too many messages for a Java array"))?,
        jni_str!("dev/oauthmail/MessageSummary"),
        JObject::null(),
    )?;
    for (i, m) in items.iter().enumerate() {
        // One local frame per row, so that long listings do not pile up local references.
        env.with_local_frame(16, |env| -> Result<()> {
            let subject = env.new_string(&m.subject)?;
            let from = string_array(env, &address_pairs(&m.from))?;
            let to = string_array(env, &address_pairs(&m.to))?;
            let cc = string_array(env, &address_pairs(&m.cc))?;
            let flags = string_array(env, &m.flags)?;
            let message_id = opt_jstring(env, m.message_id.as_deref())?;
            let uidl = opt_jstring(env, m.uidl.as_deref())?;
            let args = [
                JValue::Long(i64::from(m.uid)),
                JValue::from(&subject),
                JValue::from(&from),
                JValue::from(&to),
                JValue::from(&cc),
                JValue::Long(m.date.unwrap_or(0)),
                JValue::Bool(m.date.is_some()),
                JValue::Long(i64::try_from(m.size).unwrap_or(i64::MAX)),
                JValue::from(&flags),
                JValue::from(&message_id),
                JValue::Bool(m.has_attachments),
                JValue::from(&uidl),
            ]
            .map(|v| v.as_jni());
            // SAFETY: `args` follow MESSAGE_SUMMARY's signature, one by one.
            let row = unsafe { MESSAGE_SUMMARY.call(env, &args) }?;
            array.set_element(env, i, &row)?;
            Ok(())
        })?;
    }
    Ok(array)
}
