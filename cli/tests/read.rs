//! `oauthmail list`, `fetch` and `folders` against the test kit's IMAP and POP3 servers.

mod common;

use common::{ok, run, stderr, stdout};
use oauthmail_testkit::{INBOX, TestKit, fixture};

const RAW: &[u8] = b"From: =?UTF-8?B?WmHDqw==?= <bob@example.test>\r\n\
To: alice@example.test\r\n\
Subject: =?UTF-8?B?VGVzdOa1i+ivlemCruS7tuagh+mimA==?=\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <cli-read-1@example.test>\r\n\
\r\n\
Test\xe6\xb5\x8b\xe8\xaf\x95\xe9\x82\xae\xe4\xbb\xb6\xe6\xad\xa3\xe6\x96\x87\r\n";

fn kit_with_mail() -> TestKit {
    let kit = TestKit::start_default().unwrap();
    kit.store().append(fixture::ALICE, INBOX, b"From: bob@example.test\r\nSubject: older\r\n\r\nx\r\n", &["\\Seen"]);
    kit.store().append(fixture::ALICE, INBOX, RAW, &[]);
    kit
}

#[test]
fn list_json_has_the_design_field_names_and_decoded_subjects() {
    let kit = kit_with_mail();
    let out = ok(run(&kit, &["list", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let newest = &items[0];
    for field in ["uid", "subject", "from", "to", "cc", "date", "size", "flags", "message_id", "has_attachments"] {
        assert!(newest.get(field).is_some(), "missing {field}: {newest}");
    }
    assert_eq!(newest["subject"], "Test测试邮件标题");
    assert_eq!(newest["from"]["name"], "Zaë");
    assert_eq!(newest["from"]["address"], fixture::BOB);
    assert_eq!(newest["date"], 1_700_000_000);
    assert_eq!(newest["size"], RAW.len());
    assert_eq!(items[1]["flags"][0], "\\Seen");

    let unseen = ok(run(&kit, &["list", "--json", "--unseen"]));
    let unseen: serde_json::Value = serde_json::from_slice(&unseen.stdout).unwrap();
    assert_eq!(unseen.as_array().unwrap().len(), 1);
    let limited = ok(run(&kit, &["list", "--json", "--limit", "1"]));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&limited.stdout).unwrap()[0]["subject"], "Test测试邮件标题");
}

#[test]
fn list_over_pop3_reads_the_same_inbox() {
    let kit = kit_with_mail();
    if kit.info().get("pop3").is_none() {
        panic!("the test kit has no POP3 server");
    }
    let out = ok(run(&kit, &["list", "--via", "pop3"]));
    let text = stdout(&out);
    assert!(text.contains("Test测试邮件标题") && text.contains("older"), "{text}");
    let err = run(&kit, &["list", "--via", "pop3", "--folder", "Sent Items"]);
    assert!(!err.status.success() && stderr(&err).contains("error: Config"), "{}", stderr(&err));
}

#[test]
fn fetch_writes_the_exact_message_to_a_file() {
    let kit = kit_with_mail();
    let uid = kit.store().messages(fixture::ALICE, INBOX)[1].uid.to_string();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    let out = ok(run(&kit, &["fetch", "--uid", &uid, "--output", path.to_str().unwrap()]));
    assert!(out.stdout.is_empty());
    assert_eq!(std::fs::read(&path).unwrap(), RAW);

    // To stdout when no file is given; a missing UID fails and leaves no file behind.
    assert_eq!(ok(run(&kit, &["fetch", "--uid", &uid])).stdout, RAW);
    let missing = dir.path().join("missing.eml");
    let out = run(&kit, &["fetch", "--uid", "999", "--output", missing.to_str().unwrap()]);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(!missing.exists());
}

#[test]
fn folders_lists_special_use_roles() {
    let kit = kit_with_mail();
    let out = ok(run(&kit, &["folders", "--json"]));
    let folders: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = folders.as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"INBOX"), "{names:?}");
    let text = stdout(&ok(run(&kit, &["folders"])));
    assert!(text.lines().any(|l| l == "INBOX"), "{text}");
}

#[test]
fn list_and_fetch_over_graph() {
    let kit = kit_with_mail();
    let out = ok(run(&kit, &["list", "--via", "graph", "--json"]));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let items = list.as_array().unwrap();
    assert_eq!(items.len(), 2);
    let newest = &items[0];
    assert_eq!(newest["subject"], "Test测试邮件标题");
    assert_eq!(newest["from"]["address"], fixture::BOB);
    assert_eq!(newest["size"], RAW.len());
    assert_eq!(items[1]["flags"][0], "\\Seen");
    let id = newest["id"].as_str().expect("Graph summaries carry their id");

    let unread = ok(run(&kit, &["list", "--via", "graph", "--unseen", "--folder", "inbox"]));
    let text = stdout(&unread);
    assert_eq!(text.lines().count(), 1, "{text}");
    assert!(text.starts_with(id) && text.contains("Test测试邮件标题"), "{text}");

    assert_eq!(ok(run(&kit, &["fetch", "--via", "graph", "--id", id])).stdout, RAW);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    ok(run(&kit, &["fetch", "--via", "graph", "--id", id, "--output", path.to_str().unwrap()]));
    assert_eq!(std::fs::read(&path).unwrap(), RAW);

    let missing = dir.path().join("missing.eml");
    let out = run(&kit, &["fetch", "--via", "graph", "--id", "bm9wZQ", "--output", missing.to_str().unwrap()]);
    assert!(!out.status.success() && stderr(&out).contains("error: Config"), "{}", stderr(&out));
    assert!(!missing.exists());
    let out = run(&kit, &["fetch", "--via", "graph", "--uid", "1"]);
    assert!(!out.status.success() && stderr(&out).contains("--id"), "{}", stderr(&out));
    let out = run(&kit, &["list", "--via", "graph", "--folder", "Nowhere"]);
    assert!(!out.status.success() && stderr(&out).contains("Nowhere"), "{}", stderr(&out));
}

#[test]
fn watch_prints_mail_that_arrives_while_idling() {
    use std::io::{BufRead as _, BufReader};
    use std::process::Stdio;

    let kit = kit_with_mail();
    let mut child = common::oauthmail(&kit)
        .args(["watch", "--count", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    assert!(line.starts_with("watching INBOX"), "{line}");
    kit.store().append(fixture::ALICE, INBOX, b"From: bob@example.test\r\nSubject: fresh one\r\n\r\nx\r\n", &[]);
    // A safety net, not a timing assertion: a hung watch must not hang the test run.
    // The child is not reaped before `done` is sent, so its pid cannot be reused meanwhile.
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel::<()>();
    std::thread::spawn(move || {
        if finished.recv_timeout(std::time::Duration::from_secs(120)).is_err() {
            let _ = std::process::Command::new("kill").arg(pid.to_string()).status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done.send(());
    assert!(out.status.success(), "watch did not end by itself after one message");
    let text = stdout(&out);
    assert!(text.contains("fresh one") && !text.contains("older"), "only the new message: {text}");
}
