//! The Graph sendMail endpoint: token checks, message building, delivery, errors and faults.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{client, status_json};
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{GraphFault, INBOX, SENT_ITEMS, TestKit, TokenRequest};
use serde_json::{Value, json};

fn graph_app_token(kit: &TestKit) -> String {
    kit.issue_token(&TokenRequest::app(&["Mail.Send"]).audience(GRAPH_RESOURCE))
}

fn send(kit: &TestKit, path: &str, token: Option<&str>, body: &Value) -> (u16, Value, Option<String>) {
    let mut req = client(kit).post(format!("{}/{path}", kit.graph_url())).json(body);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    let resp = req.send().unwrap();
    let retry_after = resp.headers().get("retry-after").map(|v| v.to_str().unwrap().to_string());
    let (status, body) = status_json(resp);
    (status, body, retry_after)
}

fn message() -> Value {
    json!({
        "message": {
            "subject": "Quarterly report 📈",
            "body": {"contentType": "HTML", "content": "<p>Hello Bob</p>"},
            "toRecipients": [{"emailAddress": {"address": BOB, "name": "Bob Example"}}],
            "ccRecipients": [{"emailAddress": {"address": "partner@elsewhere.example"}}],
            "bccRecipients": [{"emailAddress": {"address": MFA_USER}}],
            "internetMessageHeaders": [{"name": "X-Test", "value": "yes"}],
            "attachments": [{
                "@odata.type": "#microsoft.graph.fileAttachment",
                "name": "报告.txt", "contentType": "text/plain",
                "contentBytes": STANDARD.encode("attachment body"),
            }],
        },
        "saveToSentItems": true,
    })
}

#[test]
fn send_mail_with_app_token_delivers_and_saves() {
    let kit = TestKit::start_default().unwrap();
    let token = graph_app_token(&kit);
    let (status, body, _) = send(&kit, &format!("users/{ALICE}/sendMail"), Some(&token), &message());
    assert_eq!(status, 202, "{body}");
    let inbox = kit.store().messages(BOB, INBOX);
    assert_eq!(inbox.len(), 1);
    let raw = String::from_utf8(inbox[0].raw.clone()).unwrap();
    for needle in [
        "From: alice@example.test\r\n",
        "To: \"Bob Example\" <bob@example.test>\r\n",
        "Cc: partner@elsewhere.example\r\n",
        "X-Test: yes\r\n",
        "Content-Type: multipart/mixed;",
        "Content-Type: text/html; charset=utf-8",
        "filename*=UTF-8''%E6%8A%A5%E5%91%8A.txt",
    ] {
        assert!(raw.contains(needle), "{needle} missing in\n{raw}");
    }
    assert!(!raw.contains("Bcc:"), "Bcc recipients are not shown");
    assert!(raw.contains(&STANDARD.encode("attachment body")));
    assert_eq!(kit.store().count(MFA_USER, INBOX), 1, "Bcc recipient got it");
    assert_eq!(kit.store().count("partner@elsewhere.example", INBOX), 1);
    let sent = kit.store().messages(ALICE, SENT_ITEMS);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].flags, vec!["\\Seen"]);
    assert_eq!(kit.graph_messages_sent(), 1);

    // MIME upload: base64 of the RFC 5322 message as text/plain; recipients from its headers.
    let mime = "From: alice@example.test\r\nTo: bob@example.test\r\nSubject: raw\r\n\r\nraw body\r\n";
    let resp = client(&kit)
        .post(format!("{}/users/{ALICE}/sendMail", kit.graph_url()))
        .bearer_auth(&token)
        .header("Content-Type", "text/plain")
        .body(STANDARD.encode(mime))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 202);
    assert_eq!(kit.store().messages(BOB, INBOX)[1].raw, mime.as_bytes());
}

#[test]
fn delegated_me_send_mail() {
    let kit = TestKit::start_default().unwrap();
    let token = kit.issue_token(&TokenRequest::user(BOB, &["Mail.Send"]).audience(GRAPH_RESOURCE));
    let mut body = message();
    body["saveToSentItems"] = json!(false);
    let (status, resp, _) = send(&kit, "me/sendMail", Some(&token), &body);
    assert_eq!(status, 202, "{resp}");
    assert_eq!(kit.store().count(BOB, INBOX), 1);
    assert_eq!(kit.store().count(BOB, SENT_ITEMS), 0);
    // A delegated token cannot send from somebody else's mailbox.
    let (status, resp, _) = send(&kit, &format!("users/{ALICE}/sendMail"), Some(&token), &body);
    assert_eq!((status, resp["error"]["code"].as_str().unwrap()), (403, "ErrorAccessDenied"));
}

#[test]
fn graph_errors() {
    let kit = TestKit::start_default().unwrap();
    let path = format!("users/{ALICE}/sendMail");
    let code = |r: &(u16, Value, Option<String>)| (r.0, r.1["error"]["code"].as_str().unwrap_or("").to_string());

    assert_eq!(code(&send(&kit, &path, None, &message())), (401, "InvalidAuthenticationToken".into()));
    let outlook = kit.issue_token(&TokenRequest::app(&["Mail.Send"]));
    assert_eq!(code(&send(&kit, &path, Some(&outlook), &message())), (401, "InvalidAuthenticationToken".into()));
    let expired = kit.issue_token(&TokenRequest::app(&["Mail.Send"]).audience(GRAPH_RESOURCE).expires_in(-5));
    let r = send(&kit, &path, Some(&expired), &message());
    assert_eq!(code(&r), (401, "InvalidAuthenticationToken".into()));
    assert!(r.1["error"]["message"].as_str().unwrap().contains("expired"));
    let no_role = kit.issue_token(&TokenRequest::app(&[]).client_id(NOROLES_APP_ID).audience(GRAPH_RESOURCE));
    let r = send(&kit, &path, Some(&no_role), &message());
    assert_eq!(code(&r), (403, "ErrorAccessDenied".into()));
    assert_eq!(r.1["error"]["message"], "Access is denied. Check credentials and try again.");

    let token = graph_app_token(&kit);
    assert_eq!(
        code(&send(&kit, "users/ghost@example.test/sendMail", Some(&token), &message())),
        (404, "ErrorInvalidUser".into())
    );
    let no_rcpt = json!({"message": {"subject": "x", "body": {"contentType": "Text", "content": "x"}}});
    assert_eq!(code(&send(&kit, &path, Some(&token), &no_rcpt)), (400, "ErrorInvalidRecipients".into()));
    let mut spoof = message();
    spoof["message"]["from"] = json!({"emailAddress": {"address": BOB}});
    assert_eq!(code(&send(&kit, &path, Some(&token), &spoof)), (403, "ErrorSendAsDenied".into()));

    kit.inject_graph(GraphFault::Throttle { retry_after_secs: 3 }, 1);
    kit.inject_graph(GraphFault::MailboxNotEnabled, 1);
    kit.inject_graph(GraphFault::ServerError(503), 1);
    kit.inject_graph(GraphFault::AccessDenied, 1);
    kit.inject_graph(GraphFault::InvalidToken, 1);
    let r = send(&kit, &path, Some(&token), &message());
    assert_eq!(code(&r), (429, "ApplicationThrottled".into()));
    assert_eq!(r.2.as_deref(), Some("3"));
    assert_eq!(code(&send(&kit, &path, Some(&token), &message())), (404, "MailboxNotEnabledForRESTAPI".into()));
    assert_eq!(code(&send(&kit, &path, Some(&token), &message())), (503, "ServiceUnavailable".into()));
    assert_eq!(code(&send(&kit, &path, Some(&token), &message())), (403, "ErrorAccessDenied".into()));
    assert_eq!(code(&send(&kit, &path, Some(&token), &message())).0, 401);
    kit.inject_graph(GraphFault::DropConnection, 1);
    assert!(
        client(&kit).post(format!("{}/{path}", kit.graph_url())).bearer_auth(&token).json(&message()).send().is_err()
    );
    assert_eq!(send(&kit, &path, Some(&token), &message()).0, 202);
    assert_eq!(kit.store().count(BOB, INBOX), 1, "only the last request delivered");
    let faults: Vec<_> = kit.requests().iter().filter_map(|r| r.fault.clone()).collect();
    assert_eq!(faults.len(), 6, "{faults:?}");
    assert!(faults[0].starts_with("Throttle"));
    assert_eq!(kit.token_requests(), 0);
}

#[test]
fn store_control_endpoints_and_seed() {
    let kit = TestKit::start_default().unwrap();
    let http = client(&kit);
    let url = |p: &str| format!("{}/testkit/{p}", kit.authority());
    let (status, body) = status_json(http.post(url("seed")).json(&json!({"user": ALICE, "count": 8})).send().unwrap());
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["uids"], json!([1, 2, 3, 4, 5, 6, 7, 8]));
    let (_, body) =
        status_json(http.get(url_with(&url("mailbox"), &[("user", ALICE), ("folder", "INBOX")])).send().unwrap());
    let messages = body["messages"].as_array().unwrap();
    assert_eq!(messages.len(), 8);
    assert_eq!(messages[0]["flags"], json!(["\\Seen"]));
    let raw = STANDARD.decode(messages[3]["raw_base64"].as_str().unwrap()).unwrap();
    assert_eq!(messages[3]["size"], raw.len());
    assert!(String::from_utf8(raw).unwrap().contains("filename*=UTF-8''"));

    let (status, _) = status_json(
        http.post(url("faults")).json(&json!({"target": "smtp", "fault": "auth_disabled", "count": 1})).send().unwrap(),
    );
    assert_eq!(status, 200);
    let (status, _) = status_json(
        http.post(url("faults")).json(&json!({"target": "graph", "fault": "mailbox_not_enabled"})).send().unwrap(),
    );
    assert_eq!(status, 200);
    let token = graph_app_token(&kit);
    assert_eq!(send(&kit, &format!("users/{ALICE}/sendMail"), Some(&token), &message()).0, 404);
    let (_, stats) = status_json(http.get(url("smtp")).send().unwrap());
    assert_eq!(stats["auth_attempts"], 0);
    let info = kit.info();
    assert_eq!(info["smtp"]["starttls_port"], kit.smtp_starttls_port());
    assert_eq!(info["smtp"]["tls_port"], kit.smtp_tls_port());
    assert_eq!(info["graph_url"], kit.graph_url());
}

fn url_with(base: &str, query: &[(&str, &str)]) -> url::Url {
    url::Url::parse_with_params(base, query).unwrap()
}
