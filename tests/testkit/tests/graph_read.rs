//! The Graph read endpoints: folders, listings with paging and OData options, MIME, PATCH,
//! move, delete, and their token checks, over plain HTTPS.

mod common;

use common::{client, status_json};
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{INBOX, TestKit, TokenRequest};
use serde_json::{Value, json};

fn app_token(kit: &TestKit, roles: &[&str]) -> String {
    kit.issue_token(&TokenRequest::app(roles).audience(GRAPH_RESOURCE))
}

fn request(kit: &TestKit, method: &str, url: &str, token: &str, body: Option<Value>) -> (u16, Value) {
    let url = if url.starts_with("https://") { url.to_string() } else { format!("{}/{url}", kit.graph_url()) };
    let mut req = client(kit).request(method.parse().unwrap(), url).bearer_auth(token);
    if let Some(body) = body {
        req = req.json(&body);
    }
    status_json(req.send().unwrap())
}

fn get(kit: &TestKit, url: &str, token: &str) -> (u16, Value) {
    request(kit, "GET", url, token, None)
}

fn code(r: &(u16, Value)) -> (u16, String) {
    (r.0, r.1["error"]["code"].as_str().unwrap_or("").to_string())
}

fn subjects(page: &Value) -> Vec<String> {
    page["value"].as_array().unwrap().iter().map(|m| m["subject"].as_str().unwrap().to_string()).collect()
}

#[test]
fn listing_pages_with_next_links_newest_first() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 25);
    let token = app_token(&kit, &["Mail.Read"]);
    let mut url = format!("users/{ALICE}/mailFolders/inbox/messages?$select=subject,isRead");
    let mut pages = Vec::new();
    loop {
        let (status, page) = get(&kit, &url, &token);
        assert_eq!(status, 200, "{page}");
        pages.push(page["value"].as_array().unwrap().len());
        let first = &page["value"][0];
        assert!(first["id"].is_string() && first.get("from").is_none(), "only $select-ed fields and id: {first}");
        match page["@odata.nextLink"].as_str() {
            Some(next) => {
                assert!(next.starts_with(&kit.graph_url()) && next.contains("%24skip="), "{next}");
                url = next.to_string();
            }
            None => break,
        }
    }
    assert_eq!(pages, [10, 10, 5], "Graph's default page size is 10");

    let (_, page) = get(&kit, &format!("users/{ALICE}/mailFolders/inbox/messages?$top=3"), &token);
    assert_eq!(subjects(&page)[0], "Seed message 24", "newest first");
    let dates: Vec<&str> =
        page["value"].as_array().unwrap().iter().map(|m| m["receivedDateTime"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]) && dates[0].ends_with('Z'), "{dates:?}");
    let asc =
        get(&kit, &format!("users/{ALICE}/mailFolders/inbox/messages?$top=1&$orderby=receivedDateTime asc"), &token);
    assert_eq!(subjects(&asc.1), ["Seed message 0"]);
}

#[test]
fn filters_select_size_and_the_order_rule() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 9); // every third one (0, 3, 6) is \Seen
    let token = app_token(&kit, &["Mail.ReadWrite"]);
    let base = format!("users/{ALICE}/mailFolders/inbox/messages");
    let unread = get(&kit, &format!("{base}?$filter=isRead eq false"), &token);
    assert_eq!(unread.1["value"].as_array().unwrap().len(), 6);
    assert!(unread.1["value"].as_array().unwrap().iter().all(|m| m["isRead"] == false));

    let since = get(&kit, &format!("{base}?$filter=receivedDateTime ge 2100-01-01T00:00:00Z"), &token);
    assert_eq!(since.1["value"], json!([]));
    let both = get(
        &kit,
        &format!(
            "{base}?$orderby=receivedDateTime desc&$filter=receivedDateTime ge 1900-01-01T00:00:00Z and isRead eq true"
        ),
        &token,
    );
    assert_eq!(both.1["value"].as_array().unwrap().len(), 3);
    // Exchange: the sort property must lead the filter.
    let inefficient = get(&kit, &format!("{base}?$orderby=receivedDateTime desc&$filter=isRead eq false"), &token);
    assert_eq!(code(&inefficient), (400, "InefficientFilter".into()));
    assert_eq!(code(&get(&kit, &format!("{base}?$filter=subject eq 'x'"), &token)).0, 400);
    assert_eq!(code(&get(&kit, &format!("{base}?$top=0"), &token)).0, 400);

    let expand = "singleValueExtendedProperties($filter=id eq 'Integer 0x0E08')";
    let (_, page) = get(&kit, &format!("{base}?$top=1&$orderby=receivedDateTime asc&$expand={expand}"), &token);
    let m = &page["value"][0];
    let stored = &kit.store().messages(ALICE, INBOX)[0];
    assert_eq!(m["singleValueExtendedProperties"][0]["id"], "Integer 0xe08");
    assert_eq!(m["singleValueExtendedProperties"][0]["value"], stored.raw.len().to_string());
    assert_eq!(m["from"]["emailAddress"], json!({"name": "Sender 0", "address": "sender0@example.org"}));
    assert_eq!(m["toRecipients"][0]["emailAddress"]["address"], ALICE);
    assert_eq!(m["internetMessageId"], "<seed-0@example.test>");
    assert_eq!(m["flag"]["flagStatus"], "notFlagged");
    let (_, page) =
        get(&kit, &format!("{base}?$top=4&$orderby=receivedDateTime asc&$select=subject,hasAttachments"), &token);
    assert_eq!(page["value"][1]["subject"], "会议纪要 1", "RFC 2047 subjects are decoded");
    assert_eq!(page["value"][3]["hasAttachments"], true, "seed 3 is multipart/mixed with a file");
    assert_eq!(page["value"][0]["hasAttachments"], false);
}

#[test]
fn mime_patch_move_and_delete() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 2);
    let token = app_token(&kit, &["Mail.ReadWrite"]);
    let (_, page) =
        get(&kit, &format!("users/{ALICE}/mailFolders/inbox/messages?$orderby=receivedDateTime asc"), &token);
    let id = page["value"][1]["id"].as_str().unwrap().to_string();
    let uid = kit.store().messages(ALICE, INBOX)[1].uid;

    let resp = client(&kit)
        .get(format!("{}/users/{ALICE}/messages/{id}/$value", kit.graph_url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.bytes().unwrap().as_ref(), kit.store().messages(ALICE, INBOX)[1].raw.as_slice());

    let patched =
        request(&kit, "PATCH", &format!("users/{ALICE}/messages/{id}"), &token, Some(json!({"isRead": true})));
    assert_eq!((patched.0, &patched.1["isRead"]), (200, &json!(true)));
    assert!(kit.store().message(ALICE, INBOX, uid).unwrap().flags.contains(&"\\Seen".to_string()));
    let bad = request(&kit, "PATCH", &format!("users/{ALICE}/messages/{id}"), &token, Some(json!({"subject": "x"})));
    assert_eq!(bad.0, 400);

    let moved = request(
        &kit,
        "POST",
        &format!("users/{ALICE}/messages/{id}/move"),
        &token,
        Some(json!({"destinationId": "archive"})),
    );
    assert_eq!(moved.0, 201, "{}", moved.1);
    let new_id = moved.1["id"].as_str().unwrap();
    assert_ne!(new_id, id, "a moved message gets a new id");
    assert_eq!(kit.store().count(ALICE, INBOX), 1);
    assert_eq!(kit.store().messages(ALICE, "Archive")[0].flags, ["\\Seen"]);
    assert_eq!(code(&get(&kit, &format!("users/{ALICE}/messages/{id}"), &token)), (404, "ErrorItemNotFound".into()));
    assert_eq!(get(&kit, &format!("users/{ALICE}/messages/{new_id}"), &token).0, 200);

    let deleted = client(&kit)
        .delete(format!("{}/users/{ALICE}/messages/{new_id}", kit.graph_url()))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(deleted.status(), 204);
    assert_eq!(kit.store().count(ALICE, "Archive"), 0);
    assert_eq!(
        code(&get(&kit, &format!("users/{ALICE}/messages/not-an-id!"), &token)),
        (400, "ErrorInvalidIdMalformed".into())
    );
}

#[test]
fn folders_by_display_name_and_children() {
    let kit = TestKit::start_default().unwrap();
    kit.store().create_folder(ALICE, "Projects/2026");
    kit.store().append(ALICE, "Projects/2026", b"Subject: nested\r\n\r\nx", &[]);
    let token = app_token(&kit, &["Mail.Read"]);
    let (_, found) = get(&kit, &format!("users/{ALICE}/mailFolders?$filter=displayName eq 'Projects'"), &token);
    let parent = found["value"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(found["value"].as_array().unwrap().len(), 1);
    let (_, inbox) = get(&kit, &format!("users/{ALICE}/mailFolders?$filter=displayName eq 'Inbox'"), &token);
    assert_eq!(inbox["value"][0]["displayName"], "Inbox");
    let (_, children) =
        get(&kit, &format!("users/{ALICE}/mailFolders/{parent}/childFolders?$filter=displayName eq '2026'"), &token);
    let child = children["value"][0]["id"].as_str().unwrap();
    assert_eq!(children["value"][0]["totalItemCount"], 1);
    let (_, page) = get(&kit, &format!("users/{ALICE}/mailFolders/{child}/messages"), &token);
    assert_eq!(subjects(&page), ["nested"]);
    assert_eq!(
        code(&get(&kit, &format!("users/{ALICE}/mailFolders/Zm9sZGVyOm5vbmU/messages"), &token)),
        (404, "ErrorItemNotFound".into())
    );
}

#[test]
fn tokens_need_read_or_write_permission_for_the_mailbox() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 1);
    let list = format!("users/{ALICE}/mailFolders/inbox/messages");
    let no_roles = kit.issue_token(&TokenRequest::app(&[]).client_id(NOROLES_APP_ID).audience(GRAPH_RESOURCE));
    assert_eq!(code(&get(&kit, &list, &no_roles)), (403, "ErrorAccessDenied".into()));
    assert_eq!(code(&get(&kit, &list, &app_token(&kit, &["Mail.Send"]))), (403, "ErrorAccessDenied".into()));
    let outlook = kit.issue_token(&TokenRequest::app(&["Mail.Read"]));
    assert_eq!(code(&get(&kit, &list, &outlook)), (401, "InvalidAuthenticationToken".into()));

    let read_only = app_token(&kit, &["Mail.Read"]);
    let (_, page) = get(&kit, &list, &read_only);
    let id = page["value"][0]["id"].as_str().unwrap();
    let patch =
        request(&kit, "PATCH", &format!("users/{ALICE}/messages/{id}"), &read_only, Some(json!({"isRead": true})));
    assert_eq!(code(&patch), (403, "ErrorAccessDenied".into()));

    // An application access policy that leaves Alice out.
    kit.store().set_app_mailboxes(CONFIDENTIAL_APP_ID, Some(&[BOB]));
    assert_eq!(code(&get(&kit, &list, &read_only)), (403, "ErrorAccessDenied".into()));
    kit.store().set_app_mailboxes(CONFIDENTIAL_APP_ID, None);

    let bob = kit.issue_token(&TokenRequest::user(BOB, &["Mail.Read"]).audience(GRAPH_RESOURCE));
    assert_eq!(code(&get(&kit, &list, &bob)), (403, "ErrorAccessDenied".into()), "not Bob's mailbox");
    assert_eq!(get(&kit, "me/mailFolders/inbox/messages", &bob).0, 200);
    let alice = kit.issue_token(&TokenRequest::user(ALICE, &["Mail.Read"]).audience(GRAPH_RESOURCE));
    assert_eq!(get(&kit, "me/mailFolders/inbox/messages", &alice).1["value"].as_array().unwrap().len(), 1);
}
