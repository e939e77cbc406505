//! The mail clients: constructors returning handles, and their verbs.

use jni::objects::{JByteArray, JClass, JObject, JObjectArray, JString};
use jni::sys::{jboolean, jint, jlong};
use jni::{EnvUnowned, jni_mangle};
use oauthmail::imap::ListOptions;
use oauthmail::{
    Error, GraphConfig, GraphMailClient, ImapClient, ImapConfig, Pop3Client, Pop3Config, SmtpClient, SmtpConfig,
};

use crate::boundary::{Result, bytes_arg, opt_str_arg, run, str_arg, str_array_arg};
use crate::convert::{Connection, MessageArgs, send_report, summaries};
use crate::handle::{Object, credential, graph, imap, new_handle, pop3, smtp};

/// `limit` from Java: 0 or less means no limit.
fn limit(n: jint) -> Option<usize> {
    usize::try_from(n).ok().filter(|&n| n > 0)
}

fn uid(n: jlong) -> Result<u32> {
    u32::try_from(n).map_err(|_| Error::config(format!("{n} is not a message number (1 to 4294967295)")).into())
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn smtp_client<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    host: JString<'l>,
    port: jint,
    username: JString<'l>,
    credential_handle: jlong,
    security: JString<'l>,
    ca_file: JString<'l>,
    timeout_ms: jlong,
    scopes: JObjectArray<'l, JString<'l>>,
) -> jlong {
    run(&mut env, |env| {
        let c = Connection::read(env, &host, port, &username, &security, &ca_file, timeout_ms, &scopes)?;
        let mut config = SmtpConfig::new(c.host, c.port, c.username);
        config.security = c.security;
        config.ca = c.ca;
        config.scopes = c.scopes;
        if let Some(t) = c.timeout {
            config.timeout = t;
        }
        Ok(new_handle(Object::Smtp(Box::new(SmtpClient::new(config, credential(credential_handle)?)?))))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn smtp_send<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    from: JString<'l>,
    to: JObjectArray<'l, JString<'l>>,
    cc: JObjectArray<'l, JString<'l>>,
    bcc: JObjectArray<'l, JString<'l>>,
    reply_to: JString<'l>,
    subject: JString<'l>,
    text: JString<'l>,
    html: JString<'l>,
    headers: JObjectArray<'l, JString<'l>>,
    attachment_names: JObjectArray<'l, JString<'l>>,
    attachment_data: JObjectArray<'l, JByteArray<'l>>,
) -> JObject<'l> {
    run(&mut env, |env| {
        let message = MessageArgs {
            from: &from,
            to: &to,
            cc: &cc,
            bcc: &bcc,
            reply_to: &reply_to,
            subject: &subject,
            text: &text,
            html: &html,
            headers: &headers,
            attachment_names: &attachment_names,
            attachment_data: &attachment_data,
        }
        .read(env)?;
        let report = smtp(handle)?.send(&message)?;
        send_report(env, &report)
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn smtp_send_raw<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    envelope_from: JString<'l>,
    recipients: JObjectArray<'l, JString<'l>>,
    bytes: JByteArray<'l>,
) -> JObject<'l> {
    run(&mut env, |env| {
        let from = str_arg(env, &envelope_from, "envelopeFrom")?;
        let recipients = str_array_arg(env, &recipients, "recipients")?;
        let recipients: Vec<&str> = recipients.iter().map(String::as_str).collect();
        let bytes = bytes_arg(env, &bytes, "message")?;
        let report = smtp(handle)?.send_raw(&from, &recipients, &bytes)?;
        send_report(env, &report)
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn smtp_connect<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(&mut env, |_| Ok(smtp(handle)?.connect()?))
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn imap_client<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    host: JString<'l>,
    port: jint,
    username: JString<'l>,
    credential_handle: jlong,
    security: JString<'l>,
    ca_file: JString<'l>,
    timeout_ms: jlong,
    scopes: JObjectArray<'l, JString<'l>>,
) -> jlong {
    run(&mut env, |env| {
        let c = Connection::read(env, &host, port, &username, &security, &ca_file, timeout_ms, &scopes)?;
        let mut config = ImapConfig::new(c.host, c.port, c.username);
        config.security = c.security;
        config.ca = c.ca;
        config.scopes = c.scopes;
        if let Some(t) = c.timeout {
            config.timeout = t;
        }
        Ok(new_handle(Object::Imap(Box::new(ImapClient::new(config, credential(credential_handle)?)?))))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn imap_connect<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(&mut env, |_| Ok(imap(handle)?.connect()?))
}

/// Newest first; `limit` 0 for all.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn imap_list_messages<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    folder: JString<'l>,
    max: jint,
    unseen_only: jboolean,
) -> JByteArray<'l> {
    run(&mut env, |env| {
        let folder = opt_str_arg(env, &folder, "folder")?.unwrap_or_else(|| "INBOX".to_owned());
        let options = ListOptions { limit: limit(max), unseen_only, ..ListOptions::default() };
        let items = imap(handle)?.list_messages(&folder, &options)?;
        summaries(env, &items)
    })
}

/// The whole message with this UID in the current folder.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn imap_fetch_message<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    message_uid: jlong,
) -> JByteArray<'l> {
    run(&mut env, |env| {
        let bytes = imap(handle)?.fetch_message(uid(message_uid)?)?;
        Ok(env.byte_array_from_slice(&bytes)?)
    })
}

/// Opens `folder` (read-write); later UIDs refer to it.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn imap_select<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    folder: JString<'l>,
) {
    run(&mut env, |env| {
        imap(handle)?.select(&str_arg(env, &folder, "folder")?)?;
        Ok(())
    })
}

/// Streams the message with this UID in the current folder to the file `path`.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn imap_fetch_message_to_file<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    message_uid: jlong,
    path: JString<'l>,
) {
    run(&mut env, |env| Ok(imap(handle)?.fetch_message_to_file(uid(message_uid)?, str_arg(env, &path, "path")?)?))
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn pop3_client<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    host: JString<'l>,
    port: jint,
    username: JString<'l>,
    credential_handle: jlong,
    security: JString<'l>,
    ca_file: JString<'l>,
    timeout_ms: jlong,
    scopes: JObjectArray<'l, JString<'l>>,
) -> jlong {
    run(&mut env, |env| {
        let c = Connection::read(env, &host, port, &username, &security, &ca_file, timeout_ms, &scopes)?;
        let mut config = Pop3Config::new(c.host, c.port, c.username);
        config.security = c.security;
        config.ca = c.ca;
        config.scopes = c.scopes;
        if let Some(t) = c.timeout {
            config.timeout = t;
        }
        Ok(new_handle(Object::Pop3(Box::new(Pop3Client::new(config, credential(credential_handle)?)?))))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn pop3_connect<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(&mut env, |_| Ok(pop3(handle)?.connect()?))
}

/// Newest (highest number) first; `limit` 0 for all.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn pop3_list_messages<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    max: jint,
) -> JByteArray<'l> {
    run(&mut env, |env| {
        let items = pop3(handle)?.list_messages(limit(max))?;
        summaries(env, &items)
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn pop3_fetch_message<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    number: jlong,
) -> JByteArray<'l> {
    run(&mut env, |env| {
        let bytes = pop3(handle)?.fetch_message(uid(number)?)?;
        Ok(env.byte_array_from_slice(&bytes)?)
    })
}

/// Marks message `number` for deletion at `quit`.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn pop3_delete<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong, number: jlong) {
    run(&mut env, |_| Ok(pop3(handle)?.dele(uid(number)?)?))
}

/// Ends the session with QUIT, which applies deletions.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn pop3_quit<'l>(mut env: EnvUnowned<'l>, _class: JClass<'l>, handle: jlong) {
    run(&mut env, |_| Ok(pop3(handle)?.close()?))
}

/// `base_url`/`scope` null: Microsoft's public cloud.
#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn graph_client<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    mailbox: JString<'l>,
    credential_handle: jlong,
    base_url: JString<'l>,
    scope: JString<'l>,
    ca_file: JString<'l>,
    save_to_sent_items: jboolean,
) -> jlong {
    run(&mut env, |env| {
        let mut config = GraphConfig::new(str_arg(env, &mailbox, "mailbox")?);
        if let Some(url) = opt_str_arg(env, &base_url, "baseUrl")? {
            config.base_url = url;
        }
        if let Some(scope) = opt_str_arg(env, &scope, "scope")? {
            config.scope = scope;
        }
        let ca_file = opt_str_arg(env, &ca_file, "caFile")?;
        config.ca = oauthmail::tls::TlsTrust::from_optional_ca_file(ca_file.as_deref().map(std::path::Path::new))?;
        config.save_to_sent_items = save_to_sent_items;
        Ok(new_handle(Object::Graph(Box::new(GraphMailClient::new(config, credential(credential_handle)?)?))))
    })
}

#[jni_mangle("dev.oauthmail.Native")]
#[allow(clippy::too_many_arguments)]
pub extern "system" fn graph_send<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    from: JString<'l>,
    to: JObjectArray<'l, JString<'l>>,
    cc: JObjectArray<'l, JString<'l>>,
    bcc: JObjectArray<'l, JString<'l>>,
    reply_to: JString<'l>,
    subject: JString<'l>,
    text: JString<'l>,
    html: JString<'l>,
    headers: JObjectArray<'l, JString<'l>>,
    attachment_names: JObjectArray<'l, JString<'l>>,
    attachment_data: JObjectArray<'l, JByteArray<'l>>,
) -> JObject<'l> {
    run(&mut env, |env| {
        let message = MessageArgs {
            from: &from,
            to: &to,
            cc: &cc,
            bcc: &bcc,
            reply_to: &reply_to,
            subject: &subject,
            text: &text,
            html: &html,
            headers: &headers,
            attachment_names: &attachment_names,
            attachment_data: &attachment_data,
        }
        .read(env)?;
        let report = graph(handle)?.send(&message)?;
        send_report(env, &report)
    })
}

#[jni_mangle("dev.oauthmail.Native")]
pub extern "system" fn graph_send_mime<'l>(
    mut env: EnvUnowned<'l>,
    _class: JClass<'l>,
    handle: jlong,
    bytes: JByteArray<'l>,
) -> JObject<'l> {
    run(&mut env, |env| {
        let bytes = bytes_arg(env, &bytes, "message")?;
        let report = graph(handle)?.send_mime(&bytes)?;
        send_report(env, &report)
    })
}
