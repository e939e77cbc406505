//! `/testkit/...` control endpoints, so tests in any language can steer a running kit.

use serde::Deserialize;
use serde_json::{Value, json};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::faults::FaultSpec;
use crate::http::{Request, Response};
use crate::kit::Shared;
use crate::store::INBOX;
use crate::tokens::TokenRequest;

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct DeviceAction {
    user: Option<String>,
    user_code: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Seed {
    user: String,
    count: usize,
    #[serde(default)]
    folder: Option<String>,
    #[serde(default)]
    start_index: usize,
}

/// `POST app-access`: the mailboxes an app's tokens may open over IMAP/POP3 (null: all).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AppAccess {
    client_id: String,
    mailboxes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Lifetime {
    secs: u64,
}

fn parse<T: for<'de> Deserialize<'de>>(req: &Request) -> Result<T, Response> {
    let body: &[u8] = if req.body.is_empty() { b"{}" } else { &req.body };
    serde_json::from_slice(body).map_err(|e| Response::json(400, &json!({"error": format!("bad JSON body: {e}")})))
}

fn ok(value: Value) -> Response {
    Response::json(200, &value)
}

pub(crate) fn handle(shared: &Shared, endpoint: &str, req: &Request) -> Response {
    let result = match (req.method.as_str(), endpoint) {
        ("GET", "info") => Ok(ok(shared.info())),
        ("POST", "faults") => parse::<FaultSpec>(req).and_then(|spec| {
            shared
                .inject_spec(&spec)
                .map(|()| ok(json!({"ok": true})))
                .map_err(|e| Response::json(400, &json!({"error": e})))
        }),
        ("DELETE", "faults") => {
            shared.clear_faults();
            Ok(ok(json!({"ok": true})))
        }
        ("GET", "requests") => {
            let requests = shared.log.all();
            let token_requests = requests.iter().filter(|r| r.is_token_request()).count();
            Ok(ok(json!({"requests": requests, "token_requests": token_requests})))
        }
        ("DELETE", "requests") => {
            shared.log.clear();
            Ok(ok(json!({"ok": true})))
        }
        ("POST", "device/approve") => parse::<DeviceAction>(req).map(|a| {
            let user = a.user.unwrap_or_else(|| crate::fixture::ALICE.into());
            let n = shared.identity.approve_device_code(&user, a.user_code.as_deref());
            ok(json!({"approved": n}))
        }),
        ("POST", "device/deny") => parse::<DeviceAction>(req).map(|a| {
            let n = shared.identity.deny_device_code(a.user_code.as_deref());
            ok(json!({"denied": n}))
        }),
        ("POST", "token-lifetime") => parse::<Lifetime>(req).map(|l| {
            shared.identity.set_token_lifetime(l.secs);
            ok(json!({"ok": true}))
        }),
        ("POST", "refresh-token-lifetime") => parse::<Lifetime>(req).map(|l| {
            shared.identity.set_refresh_token_lifetime(l.secs);
            ok(json!({"ok": true}))
        }),
        ("POST", "refresh-tokens/revoke") => {
            shared.identity.revoke_refresh_tokens();
            Ok(ok(json!({"ok": true})))
        }
        ("GET", "smtp") => {
            let stats = shared.smtp.stats();
            let log: Vec<Value> = stats
                .auth_log
                .iter()
                .map(|a| json!({"mechanism": a.mechanism, "user": a.user, "success": a.success, "reason": a.reason}))
                .collect();
            Ok(ok(json!({
                "connections": stats.connections,
                "auth_attempts": stats.auth_attempts,
                "auth_successes": stats.auth_successes,
                "messages_accepted": stats.messages_accepted,
                "auth_log": log,
            })))
        }
        ("GET", "imap") => {
            let stats = shared.imap.stats();
            let log: Vec<Value> = stats
                .auth_log
                .iter()
                .map(|a| json!({"mechanism": a.mechanism, "user": a.user, "success": a.success, "reason": a.reason}))
                .collect();
            Ok(ok(json!({
                "connections": stats.connections,
                "auth_attempts": stats.auth_attempts,
                "auth_successes": stats.auth_successes,
                "commands": stats.commands,
                "fetch_commands": stats.fetch_commands,
                "by_command": stats.by_command,
                "auth_log": log,
            })))
        }
        ("DELETE", "imap") => {
            shared.imap.reset_stats();
            Ok(ok(json!({"ok": true})))
        }
        ("GET", "pop3") => {
            let stats = shared.pop3.stats();
            let log: Vec<Value> = stats
                .auth_log
                .iter()
                .map(|a| json!({"mechanism": a.mechanism, "user": a.user, "success": a.success, "reason": a.reason}))
                .collect();
            Ok(ok(json!({
                "connections": stats.connections,
                "auth_attempts": stats.auth_attempts,
                "auth_successes": stats.auth_successes,
                "commands": stats.commands,
                "retr_commands": stats.retr_commands,
                "by_command": stats.by_command,
                "auth_log": log,
            })))
        }
        ("DELETE", "pop3") => {
            shared.pop3.reset_stats();
            Ok(ok(json!({"ok": true})))
        }
        ("POST", "app-access") => parse::<AppAccess>(req).map(|a| {
            let list: Option<Vec<&str>> = a.mailboxes.as_ref().map(|m| m.iter().map(String::as_str).collect());
            shared.store.set_app_mailboxes(&a.client_id, list.as_deref());
            ok(json!({"ok": true}))
        }),
        ("GET", "mailbox") => {
            let user = req.query_param("user").unwrap_or("");
            let folder = req.query_param("folder").unwrap_or(INBOX);
            let messages: Vec<Value> = shared
                .store
                .messages(user, folder)
                .iter()
                .map(|m| {
                    json!({"uid": m.uid, "flags": m.flags, "internal_date": m.internal_date,
                           "size": m.raw.len(), "raw_base64": STANDARD.encode(&m.raw)})
                })
                .collect();
            Ok(ok(json!({"user": user, "folder": folder, "folders": shared.store.folders(user), "messages": messages})))
        }
        ("POST", "seed") => parse::<Seed>(req).map(|s| {
            let folder = s.folder.as_deref().unwrap_or(INBOX);
            let uids = shared.store.seed_folder(&s.user, folder, s.count, s.start_index);
            ok(json!({"uids": uids}))
        }),
        ("POST", "token") => parse::<TokenRequest>(req).map(|t| ok(json!({"access_token": shared.identity.mint(&t)}))),
        _ => Err(Response::json(
            404,
            &json!({"error": format!("no control endpoint {} /testkit/{endpoint}", req.method)}),
        )),
    };
    result.unwrap_or_else(|resp| resp)
}
