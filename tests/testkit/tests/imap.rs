//! The IMAP server: TLS and STARTTLS, XOAUTH2/OAUTHBEARER with Exchange's replies, folders,
//! FETCH/SEARCH/STORE/COPY/MOVE/EXPUNGE/APPEND/IDLE over the shared store, and IMAP faults.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::imap_client::{Imap, oauthbearer, xoauth2};
use common::smtp_client::Smtp;
use oauthmail_testkit::fixture::*;
use oauthmail_testkit::{INBOX, ImapFault, TestKit, TokenRequest};

fn app_token(kit: &TestKit) -> String {
    kit.issue_token(&TokenRequest::app(&["IMAP.AccessAsApp"]))
}

fn alice(kit: &TestKit) -> Imap {
    Imap::login(kit, ALICE, &app_token(kit))
}

#[test]
fn greeting_starttls_and_both_mechanisms() {
    let kit = TestKit::start_default().unwrap();
    let (mut imap, greeting) = Imap::connect(&kit, false);
    assert!(greeting.contains("STARTTLS") && greeting.contains("LOGINDISABLED"), "{greeting}");
    assert!(!greeting.contains("AUTH="), "{greeting}");
    let r = imap.cmd(&format!("AUTHENTICATE XOAUTH2 {}", xoauth2(ALICE, &app_token(&kit))));
    assert!(r.done.contains("NO [PRIVACYREQUIRED]"), "{}", r.done);
    assert!(imap.cmd("LOGIN alice pwd").done.ends_with("NO LOGIN failed."));
    imap.starttls(&kit);
    let caps = imap.cmd("CAPABILITY");
    let caps = &caps.untagged[0];
    for cap in [
        "IMAP4rev1",
        "SASL-IR",
        "LITERAL+",
        "UIDPLUS",
        "MOVE",
        "IDLE",
        "SPECIAL-USE",
        "NAMESPACE",
        "ENABLE",
        "ID",
        "AUTH=XOAUTH2",
        "AUTH=OAUTHBEARER",
    ] {
        assert!(caps.split(' ').any(|c| c == cap), "{cap} missing in {caps}");
    }
    assert!(!caps.contains("STARTTLS"), "{caps}");
    // OAUTHBEARER in the two-step form, a delegated token.
    let token = kit.issue_token(&TokenRequest::user(BOB, &["IMAP.AccessAsUser.All"]));
    let tag = imap.next_tag();
    imap.send_raw(format!("{tag} AUTHENTICATE OAUTHBEARER\r\n").as_bytes());
    assert_eq!(imap.response().unwrap(), "+ ");
    imap.send_raw(format!("{}\r\n", oauthbearer(BOB, &token)).as_bytes());
    let r = imap.until(&tag).unwrap();
    assert!(r.done.contains("OK") && r.done.contains("AUTHENTICATE completed."), "{}", r.done);
    assert!(imap.cmd("SELECT INBOX").ok());
    let stats = kit.imap_stats();
    assert_eq!(stats.auth_log.last().unwrap().user, BOB);
    assert!(stats.auth_log.last().unwrap().success);
}

#[test]
fn failed_logins_get_a_challenge_then_no() {
    let kit = TestKit::start_default().unwrap();
    let expired = kit.issue_token(&TokenRequest::app(&["IMAP.AccessAsApp"]).expires_in(-10));
    let wrong_scope = kit.issue_token(&TokenRequest::user(ALICE, &["SMTP.Send"]));
    let other_user = kit.issue_token(&TokenRequest::user(BOB, &["IMAP.AccessAsUser.All"]));
    for (token, reason) in [
        (expired.as_str(), "token expired"),
        ("not-a-jwt", "not a JWT"),
        (wrong_scope.as_str(), "scp lacks IMAP.AccessAsUser.All"),
        (other_user.as_str(), "not 'alice@example.test'"),
    ] {
        let (mut imap, _) = Imap::connect(&kit, true);
        let tag = imap.next_tag();
        imap.send_raw(format!("{tag} AUTHENTICATE XOAUTH2 {}\r\n", xoauth2(ALICE, token)).as_bytes());
        let challenge = imap.response().unwrap();
        let json = STANDARD.decode(challenge.strip_prefix("+ ").unwrap()).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(json["status"], "401");
        imap.send_raw(b"\r\n");
        let r = imap.until(&tag).unwrap();
        assert_eq!(r.done, format!("{tag} NO AUTHENTICATE failed."));
        let log = kit.imap_stats().auth_log;
        let reason_seen = log.last().unwrap().reason.clone().unwrap();
        assert!(reason_seen.contains(reason), "{reason_seen}");
        // Still not authenticated.
        assert!(imap.cmd("SELECT INBOX").done.contains("BAD Command received in Invalid state."));
    }
}

#[test]
fn app_without_role_or_mailbox_access_is_not_connected() {
    let kit = TestKit::start_default().unwrap();
    let no_role = kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"]).client_id(NOROLES_APP_ID));
    let mut imap = Imap::login(&kit, ALICE, &no_role);
    for cmd in ["SELECT INBOX", "LIST \"\" \"*\"", "NOOP", "CAPABILITY"] {
        assert!(imap.cmd(cmd).done.ends_with("BAD User is authenticated but not connected."), "{cmd}");
    }
    assert!(imap.cmd("LOGOUT").ok());

    // The store decides which mailboxes an app may open.
    kit.store().set_app_mailboxes(CONFIDENTIAL_APP_ID, Some(&[BOB]));
    let mut imap = alice(&kit);
    assert!(imap.cmd("SELECT INBOX").done.ends_with("BAD User is authenticated but not connected."));
    let mut imap = Imap::login(&kit, BOB, &app_token(&kit));
    assert!(imap.cmd("SELECT INBOX").ok());
    kit.store().set_app_mailboxes(CONFIDENTIAL_APP_ID, None);
    assert!(alice(&kit).cmd("SELECT INBOX").ok());

    // And the fault.
    kit.inject_imap(ImapFault::NotConnected, 1);
    assert!(alice(&kit).cmd("EXAMINE INBOX").done.ends_with("BAD User is authenticated but not connected."));
    assert!(alice(&kit).cmd("EXAMINE INBOX").ok());
}

#[test]
fn folders_with_special_use() {
    let kit = TestKit::start_default().unwrap();
    let mut imap = alice(&kit);
    let r = imap.cmd("LIST \"\" \"*\" RETURN (SPECIAL-USE)");
    let all = r.all();
    assert!(r.untagged[0].ends_with("\"/\" \"INBOX\""), "{all}");
    for (name, attr) in
        [("Sent Items", "\\Sent"), ("Drafts", "\\Drafts"), ("Deleted Items", "\\Trash"), ("Junk Email", "\\Junk")]
    {
        assert!(all.contains(&format!("{attr}) \"/\" \"{name}\"")), "{name} in {all}");
    }
    let special = imap.cmd("LIST (SPECIAL-USE) \"\" \"*\"");
    assert!(!special.all().contains("INBOX"), "{}", special.all());
    assert!(imap.cmd("CREATE \"&U,BTFw-/2026\"").ok());
    assert!(imap.cmd("CREATE \"&U,BTFw-/2026\"").done.contains("NO [ALREADYEXISTS]"));
    assert!(kit.store().folders(ALICE).contains(&"台北/2026".to_string()));
    let r = imap.cmd("LIST \"\" \"&U,BTFw-/%\"");
    assert_eq!(r.untagged, vec!["* LIST (\\HasNoChildren) \"/\" \"&U,BTFw-/2026\""]);
    assert!(imap.cmd("LIST \"\" %").all().contains("(\\HasChildren) \"/\" \"&U,BTFw-\""));
    assert!(imap.cmd("RENAME \"&U,BTFw-\" Taipei").ok());
    assert!(kit.store().folders(ALICE).contains(&"Taipei/2026".to_string()));
    assert!(imap.cmd("DELETE Taipei/2026").ok());
    assert!(imap.cmd("DELETE Taipei/2026").done.contains("NO [NONEXISTENT]"));
    assert!(imap.cmd("DELETE inbox").done.contains("NO"));
    assert_eq!(imap.cmd("NAMESPACE").untagged, vec!["* NAMESPACE ((\"\" \"/\")) NIL NIL"]);
    assert!(imap.cmd("ID (\"name\" \"test\")").all().starts_with("* ID ("));
    assert!(imap.cmd("ENABLE UTF8=ACCEPT").ok());
    assert!(imap.cmd("LSUB \"\" \"*\"").all().contains("INBOX"));
}

#[test]
fn status_select_and_fetch() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 8);
    let mut imap = alice(&kit);
    let (validity, next) = kit.store().uid_info(ALICE, INBOX).unwrap();
    let r = imap.cmd("STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)");
    // Seeded messages 0, 3, 6 are \Seen.
    assert_eq!(
        r.untagged,
        vec![format!("* STATUS \"INBOX\" (MESSAGES 8 UNSEEN 5 UIDNEXT {next} UIDVALIDITY {validity} RECENT 0)")]
    );
    assert!(imap.cmd("STATUS Nope (MESSAGES)").done.contains("NO [NONEXISTENT]"));
    let r = imap.cmd("SELECT inbox");
    assert!(r.done.contains("OK [READ-WRITE]"), "{}", r.done);
    for expected in [
        "* 8 EXISTS".to_string(),
        "* 0 RECENT".into(),
        format!("* OK [UIDVALIDITY {validity}] UIDVALIDITY value"),
        format!("* OK [UIDNEXT {next}] The next unique identifier value"),
        "* OK [UNSEEN 2] Is the first unseen message".into(),
    ] {
        assert!(r.untagged.contains(&expected), "{expected} in {}", r.all());
    }
    assert!(r.all().contains("PERMANENTFLAGS (\\Seen"));

    let r = imap.cmd("UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])");
    assert!(r.ok());
    assert_eq!(r.untagged.len(), 8);
    let first = &r.untagged[0];
    let raw = kit.store().message(ALICE, INBOX, 1).unwrap().raw;
    assert!(
        first.starts_with(&format!("* 1 FETCH (UID 1 FLAGS (\\Seen) RFC822.SIZE {} INTERNALDATE \"", raw.len())),
        "{first}"
    );
    assert!(
        first.contains("ENVELOPE (\"")
            && first.contains("\"Seed message 0\" ((\"Sender 0\" NIL \"sender0\" \"example.org\"))"),
        "{first}"
    );
    assert!(first.contains("<seed-0@example.test>"), "{first}");
    assert!(first.contains("BODYSTRUCTURE (\"text\" \"plain\" (\"charset\" \"us-ascii\") NIL NIL \"7bit\""), "{first}");
    assert!(first.ends_with("From: Sender 0 <sender0@example.org>\r\nSubject: Seed message 0\r\n\r\n)"), "{first}");
    // The encoded subject stays encoded; the attachment shows in BODYSTRUCTURE.
    assert!(r.untagged[1].contains("=?UTF-8?B?"), "{}", r.untagged[1]);
    assert!(r.untagged[3].contains("(\"attachment\" (\"filename*\" \"UTF-8''"), "{}", r.untagged[3]);
    // BODY.PEEK did not set \Seen; BODY[] does and reports it.
    let r = imap.cmd("FETCH 2 (BODY[]<0.4> BODY[1])");
    assert_eq!(r.untagged.len(), 1, "{}", r.all());
    assert!(r.untagged[0].starts_with("* 2 FETCH (BODY[]<0> {4}\r\nFrom BODY[1] {"), "{}", r.untagged[0]);
    assert!(r.untagged[0].ends_with("FLAGS (\\Seen))"), "{}", r.untagged[0]);
    assert_eq!(kit.store().message(ALICE, INBOX, 2).unwrap().flags, vec!["\\Seen"]);
    let r = imap.cmd("UID FETCH 4 (BODY.PEEK[2.MIME] RFC822.HEADER)");
    assert!(r.untagged[0].contains("BODY[2.MIME] {"), "{}", r.untagged[0]);
    assert!(r.untagged[0].contains("Content-Disposition: attachment"), "{}", r.untagged[0]);
    let r = imap.cmd("FETCH 2 BODY.PEEK[]");
    assert!(r.untagged[0].ends_with(&format!(
        "{}\r\n{})",
        "}",
        String::from_utf8(kit.store().message(ALICE, INBOX, 2).unwrap().raw).unwrap()
    )));
    assert!(imap.cmd("FETCH 9 FLAGS").done.contains("BAD"));
    assert!(imap.cmd("UID FETCH 99 FLAGS").ok(), "UIDs that do not exist are no error");
    assert!(imap.cmd("FETCH 1 (NONSENSE)").done.contains("BAD"));
    let stats = kit.imap_stats();
    assert_eq!(stats.fetch_commands, 7);
    assert_eq!(stats.by_command["UID FETCH"], 3);
}

#[test]
fn search() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 12);
    kit.store().set_flags(ALICE, INBOX, 5, &["\\Flagged"]);
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    let search = |imap: &mut Imap, q: &str| -> String {
        let r = imap.cmd(q);
        assert!(r.ok(), "{q}: {}", r.done);
        r.lines("* SEARCH")[0].to_string()
    };
    assert_eq!(search(&mut imap, "UID SEARCH ALL"), "* SEARCH 1 2 3 4 5 6 7 8 9 10 11 12");
    assert_eq!(search(&mut imap, "UID SEARCH SEEN"), "* SEARCH 1 4 7 10");
    assert_eq!(search(&mut imap, "UID SEARCH UNSEEN UID 1:5"), "* SEARCH 2 3 5");
    assert_eq!(search(&mut imap, "UID SEARCH FLAGGED"), "* SEARCH 5");
    assert_eq!(search(&mut imap, "SEARCH OR FLAGGED SEEN NOT UID 1:4"), "* SEARCH 5 7 10");
    assert_eq!(search(&mut imap, "UID SEARCH FROM sender11"), "* SEARCH 12");
    assert_eq!(search(&mut imap, "UID SEARCH SUBJECT \"attached\""), "* SEARCH 4 8 12");
    // The Chinese subject of message 1 (UID 2), sent as a literal with CHARSET.
    let tag = imap.next_tag();
    let text = "会议纪要 1";
    imap.send_raw(format!("{tag} UID SEARCH CHARSET UTF-8 SUBJECT {{{}}}\r\n", text.len()).as_bytes());
    assert_eq!(imap.response().unwrap(), "+ Ready for literal data");
    imap.send_raw(format!("{text}\r\n").as_bytes());
    let r = imap.until(&tag).unwrap();
    assert_eq!(r.lines("* SEARCH"), vec!["* SEARCH 2"], "{}", r.done);
    assert_eq!(
        search(&mut imap, &format!("UID SEARCH CHARSET UTF-8 TEXT {{{}+}}\r\nGrüße", "Grüße".len())),
        "* SEARCH 2 6 10"
    );
    assert!(imap.cmd("SEARCH CHARSET KOI8-R ALL").done.contains("NO [BADCHARSET"));
    let today =
        imap.cmd("FETCH 12 INTERNALDATE").untagged[0].split('"').nth(1).unwrap().split(' ').next().unwrap().to_string();
    assert_eq!(search(&mut imap, &format!("UID SEARCH SINCE {today} UID 12")), "* SEARCH 12");
    assert_eq!(search(&mut imap, "UID SEARCH BEFORE 1-Jan-2000"), "* SEARCH");
    let sizes: Vec<usize> = kit.store().messages(ALICE, INBOX).iter().map(|m| m.raw.len()).collect();
    let limit = sizes[0] + 1;
    let expected: Vec<String> = (1..=4).filter(|&u| sizes[u - 1] > limit).map(|u| u.to_string()).collect();
    assert!(!expected.is_empty() && expected.len() < 4);
    assert_eq!(
        search(&mut imap, &format!("UID SEARCH LARGER {limit} SMALLER 100000 UID 1:4")),
        format!("* SEARCH {}", expected.join(" "))
    );
    assert!(imap.cmd("SEARCH FOO").done.contains("BAD"));
}

#[test]
fn store_copy_move_expunge_append() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 6);
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    let r = imap.cmd("UID STORE 2:3 +FLAGS (\\Flagged $Work)");
    assert_eq!(
        r.untagged,
        vec!["* 2 FETCH (UID 2 FLAGS (\\Flagged $Work))", "* 3 FETCH (UID 3 FLAGS (\\Flagged $Work))"]
    );
    assert!(imap.cmd("STORE 2 -FLAGS.SILENT ($Work)").untagged.is_empty());
    assert_eq!(kit.store().message(ALICE, INBOX, 2).unwrap().flags, vec!["\\Flagged"]);
    assert!(imap.cmd("STORE 1 FLAGS (\\Bogus)").done.contains("BAD"));

    let (archive_validity, _) = {
        imap.cmd("CREATE Archive/2026");
        kit.store().uid_info(ALICE, "Archive/2026").unwrap()
    };
    let r = imap.cmd("UID COPY 1:2 Archive/2026");
    assert!(r.done.ends_with(&format!(" OK [COPYUID {archive_validity} 1:2 1:2] COPY completed.")), "{}", r.done);
    assert!(imap.cmd("COPY 1 Nowhere").done.contains("NO [TRYCREATE]"));
    let r = imap.cmd("UID MOVE 3,5 Archive/2026");
    assert!(r.ok());
    assert_eq!(
        r.untagged,
        vec![format!("* OK [COPYUID {archive_validity} 3,5 3:4] Moved."), "* 5 EXPUNGE".into(), "* 3 EXPUNGE".into()]
    );
    assert_eq!(kit.store().count(ALICE, INBOX), 4);
    assert_eq!(kit.store().count(ALICE, "Archive/2026"), 4);

    imap.cmd("UID STORE 1,4 +FLAGS.SILENT (\\Deleted)");
    let r = imap.cmd("UID EXPUNGE 4");
    assert_eq!(r.untagged, vec!["* 3 EXPUNGE"]);
    let r = imap.cmd("EXPUNGE");
    assert_eq!(r.untagged, vec!["* 1 EXPUNGE"]);
    let uids: Vec<u32> = kit.store().messages(ALICE, INBOX).iter().map(|m| m.uid).collect();
    assert_eq!(uids, vec![2, 6]);

    // APPEND with a synchronizing literal, flags and a date; the selected folder reports EXISTS.
    let message = "From: a@b.c\r\nSubject: appended\r\n\r\nhi\r\n";
    let tag = imap.next_tag();
    imap.send_raw(
        format!("{tag} APPEND INBOX (\\Seen) \"01-Feb-2024 13:05:09 +0100\" {{{}}}\r\n", message.len()).as_bytes(),
    );
    assert_eq!(imap.response().unwrap(), "+ Ready for literal data");
    imap.send_raw(format!("{message}\r\n").as_bytes());
    let r = imap.until(&tag).unwrap();
    let (validity, _) = kit.store().uid_info(ALICE, INBOX).unwrap();
    assert_eq!(r.done, format!("{tag} OK [APPENDUID {validity} 7] APPEND completed."));
    assert_eq!(r.untagged, vec!["* 3 EXISTS"]);
    let stored = kit.store().message(ALICE, INBOX, 7).unwrap();
    assert_eq!(
        (stored.raw, stored.flags, stored.internal_date),
        (message.as_bytes().to_vec(), vec!["\\Seen".to_string()], 1_706_789_109)
    );
    assert!(imap.cmd("APPEND Nope {2+}\r\nhi").done.contains("NO [TRYCREATE]"));

    // EXAMINE is read-only; CLOSE expunges silently, UNSELECT does not.
    imap.cmd("UID STORE 2 +FLAGS (\\Deleted)");
    imap.cmd("EXAMINE INBOX");
    assert!(imap.cmd("STORE 1 +FLAGS (\\Seen)").done.contains("NO [READ-ONLY]"));
    imap.cmd("UNSELECT");
    assert_eq!(kit.store().count(ALICE, INBOX), 3);
    imap.cmd("SELECT INBOX");
    let r = imap.cmd("CLOSE");
    assert!(r.ok() && r.untagged.is_empty());
    assert_eq!(kit.store().count(ALICE, INBOX), 2);
    assert!(imap.cmd("FETCH 1 FLAGS").done.contains("BAD Command received in Invalid state."));
}

#[test]
fn idle_reports_mail_delivered_over_smtp() {
    let kit = TestKit::start_default().unwrap();
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    let tag = imap.next_tag();
    imap.send_raw(format!("{tag} IDLE\r\n").as_bytes());
    assert!(imap.response().unwrap().starts_with("+ "));
    let mut smtp = Smtp::secure(&kit);
    let token = kit.issue_token(&TokenRequest::app(&["SMTP.SendAsApp"]));
    assert_eq!(smtp.xoauth2(BOB, &token).0, 235);
    assert_eq!(smtp.send(BOB, &[ALICE], "From: bob@example.test\r\nSubject: ping\r\n\r\nhello\r\n").0, 250);
    assert_eq!(imap.response().unwrap(), "* 1 EXISTS");
    // A flag change by another session shows up too.
    kit.store().set_flags(ALICE, INBOX, 1, &["\\Flagged"]);
    assert_eq!(imap.response().unwrap(), "* 1 FETCH (UID 1 FLAGS (\\Flagged))");
    imap.send_raw(b"DONE\r\n");
    let r = imap.until(&tag).unwrap();
    assert_eq!(r.done, format!("{tag} OK IDLE completed."));
    let r = imap.cmd("FETCH 1 BODY.PEEK[HEADER.FIELDS (SUBJECT)]");
    assert!(r.untagged[0].contains("Subject: ping"), "{}", r.untagged[0]);
    // Expunged elsewhere: reported at NOOP, not during FETCH.
    kit.store().remove(ALICE, INBOX, 1);
    assert!(imap.cmd("FETCH 1 FLAGS").untagged.is_empty());
    assert_eq!(imap.cmd("NOOP").untagged, vec!["* 1 EXPUNGE"]);
}

#[test]
fn pipelined_commands_answer_in_order() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 3);
    let (mut imap, _) = Imap::connect(&kit, true);
    let token = app_token(&kit);
    imap.send_raw(
        format!(
            "p1 AUTHENTICATE XOAUTH2 {}\r\np2 SELECT INBOX\r\np3 UID FETCH 1:* (FLAGS)\r\np4 UID SEARCH ALL\r\np5 LOGOUT\r\n",
            xoauth2(ALICE, &token)
        )
        .as_bytes(),
    );
    for tag in ["p1", "p2", "p3", "p4"] {
        let r = imap.until(tag).unwrap();
        assert!(r.ok(), "{}", r.done);
        if tag == "p3" {
            assert_eq!(r.untagged.len(), 3);
        }
    }
    let r = imap.until("p5").unwrap();
    assert!(r.untagged[0].starts_with("* BYE"));
    assert!(imap.response().is_none(), "closed after LOGOUT");
}

#[test]
fn bye_access_token_expired_after_commands_and_at_expiry() {
    let kit = TestKit::start_default().unwrap();
    kit.inject_imap(ImapFault::ByeAccessTokenExpired { after_commands: 2 }, 1);
    let mut imap = alice(&kit);
    assert!(imap.cmd("SELECT INBOX").ok());
    assert!(imap.cmd("NOOP").ok());
    assert!(imap.try_cmd("NOOP").is_none());
    // The BYE came before the close.
    let mut imap = alice(&kit);
    assert!(imap.cmd("NOOP").ok(), "one session only");

    // A token that expires during the session.
    let short = kit.issue_token(&TokenRequest::app(&["IMAP.AccessAsApp"]).expires_in(2));
    let mut imap = Imap::login(&kit, ALICE, &short);
    assert!(imap.cmd("SELECT INBOX").ok());
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let tag = imap.next_tag();
    imap.send_raw(format!("{tag} NOOP\r\n").as_bytes());
    assert_eq!(imap.response().unwrap(), "* BYE Session invalidated - AccessTokenExpired");
    assert!(imap.response().is_none());
}

#[test]
fn drop_mid_fetch_cuts_the_literal() {
    let kit = TestKit::start_default().unwrap();
    let big = format!("Subject: big\r\n\r\n{}\r\n", "x".repeat(100_000));
    kit.store().append(ALICE, INBOX, big.as_bytes(), &[]);
    kit.inject_imap(ImapFault::DropMidFetch, 1);
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    // Flags only: no content, the fault waits.
    assert!(imap.cmd("UID FETCH 1 (FLAGS)").ok());
    imap.send_raw(b"f1 UID FETCH 1 (UID BODY.PEEK[])\r\n");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut imap.reader, &mut line).unwrap();
    assert!(line.starts_with("* 1 FETCH (UID 1 BODY[] {"), "{line}");
    let mut rest = Vec::new();
    let _ = std::io::Read::read_to_end(&mut imap.reader, &mut rest);
    assert!(rest.len() < big.len() && !rest.is_empty(), "{} bytes", rest.len());
    // The next session reads it whole.
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    assert!(imap.cmd("UID FETCH 1 BODY.PEEK[]").untagged[0].len() > big.len());
}

#[test]
fn slow_replies_and_control_endpoint() {
    let kit = TestKit::start_default().unwrap();
    let client = common::client(&kit);
    let control = |body: serde_json::Value| {
        let resp = client.post(format!("{}/testkit/faults", kit.authority())).json(&body).send().unwrap();
        assert_eq!(resp.status(), 200, "{}", resp.text().unwrap());
    };
    control(serde_json::json!({"target": "imap", "fault": "bye_access_token_expired", "after_commands": 0}));
    let mut imap = alice(&kit);
    assert!(imap.try_cmd("NOOP").is_none());
    control(serde_json::json!({"target": "imap", "fault": "slow", "delay_ms": 150}));
    let started = std::time::Instant::now();
    let mut imap = alice(&kit);
    assert!(imap.cmd("NOOP").ok());
    assert!(started.elapsed() >= std::time::Duration::from_millis(450), "greeting, login and NOOP are each delayed");
    let bad = client
        .post(format!("{}/testkit/faults", kit.authority()))
        .json(&serde_json::json!({"target": "imap", "fault": "nope"}))
        .send()
        .unwrap();
    assert_eq!(bad.status(), 400);
    let info = kit.info();
    assert_eq!(info["imap"]["tls_port"], kit.imap_tls_port());
    assert_eq!(info["imap"]["starttls_port"], kit.imap_starttls_port());
    let stats: serde_json::Value =
        client.get(format!("{}/testkit/imap", kit.authority())).send().unwrap().json().unwrap();
    assert!(stats["commands"].as_u64().unwrap() >= 3, "{stats}");
}

#[test]
fn seeding_ten_thousand_and_listing_them() {
    let kit = TestKit::start_default().unwrap();
    let uids = kit.store().seed(ALICE, 10_000);
    assert_eq!(uids.len(), 10_000);
    let mut imap = alice(&kit);
    assert!(imap.cmd("SELECT INBOX").untagged.contains(&"* 10000 EXISTS".to_string()));
    let r = imap.cmd("UID SEARCH UNSEEN");
    assert_eq!(r.untagged[0].split(' ').count() - 2, 6_666);
    let r = imap.cmd("UID FETCH 9501:* (UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM TO CC MESSAGE-ID CONTENT-TYPE)])");
    assert_eq!(r.untagged.len(), 500);
    assert!(r.untagged[499].contains("<seed-9999@example.test>"));
}

/// Every response the listing and folder commands produce parses with imap-proto (the parser
/// core uses), including nested message/rfc822 parts, groups and odd addresses. (imap-proto has
/// no parser for the non-extensible `BODY (...)` structure nor NAMESPACE, so those are not checked here.)
#[test]
fn responses_parse_with_an_independent_parser() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 8);
    let nested = "From: \"Doe, Jane\" <jane@example.org>, undisclosed-recipients:;\r\nTo: bare@example.org (comment)\r\n\
        Subject: fwd\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n--outer\r\nContent-Type: text/plain\r\n\r\nsee below\r\n\
        --outer\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\nFrom: inner@example.org\r\nSubject: inner\r\n\
        Content-Type: multipart/alternative; boundary=\"in\"\r\n\r\n--in\r\nContent-Type: text/plain\r\n\r\nplain\r\n--in\r\n\
        Content-Type: text/html\r\n\r\n<p>html</p>\r\n--in--\r\n--outer--\r\n";
    kit.store().append(ALICE, INBOX, nested.as_bytes(), &["\\Seen", "$Label1"]);
    kit.store().append(ALICE, INBOX, b"no header at all", &[]);
    let mut imap = alice(&kit);
    let check = |text: &str| {
        let wire = format!("{text}\r\n");
        match imap_proto::Response::parse(wire.as_bytes()) {
            Ok((rest, _)) => assert!(rest.is_empty(), "unparsed rest after {text}"),
            Err(e) => panic!("imap-proto rejects {text:?}: {e:?}"),
        }
    };
    for cmd in [
        "SELECT INBOX",
        "LIST \"\" \"*\"",
        "STATUS INBOX (MESSAGES UNSEEN UIDNEXT UIDVALIDITY RECENT)",
        "UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE ENVELOPE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM TO CC MESSAGE-ID CONTENT-TYPE)])",
        "FETCH 9 BODY.PEEK[2.HEADER]",
        "FETCH 9 BODY.PEEK[2.2.1]",
        "FETCH 9 BODY.PEEK[2.MIME]",
        "UID SEARCH ALL",
    ] {
        let r = imap.cmd(cmd);
        assert!(r.ok(), "{cmd}: {}", r.done);
        for line in &r.untagged {
            check(line);
        }
        check(&r.done);
    }
    let r = imap.cmd("FETCH 9 (ENVELOPE BODYSTRUCTURE BODY.PEEK[2.1])");
    let line = &r.untagged[0];
    assert!(
        line.contains(
            "((\"Doe, Jane\" NIL \"jane\" \"example.org\")(NIL NIL \"undisclosed-recipients\" NIL)(NIL NIL NIL NIL))"
        ),
        "{line}"
    );
    assert!(line.contains("\"message\" \"rfc822\" NIL NIL NIL \"7bit\""), "{line}");
    assert!(line.contains("(\"text\" \"plain\" NIL NIL NIL \"7bit\" 9 1 NIL NIL NIL NIL)"), "{line}");
    assert!(line.ends_with("BODY[2.1] {5}\r\nplain)"), "{line}");
}

/// A message sent through Graph is in the recipient's INBOX and the sender's `\Sent` folder.
#[test]
fn graph_send_is_read_in_inbox_and_sent_items() {
    let kit = TestKit::start_default().unwrap();
    let token = kit.issue_token(&TokenRequest::app(&["Mail.Send"]).audience(GRAPH_RESOURCE));
    let body = serde_json::json!({
        "message": {
            "subject": "via Graph",
            "body": {"contentType": "Text", "content": "hello from Graph"},
            "toRecipients": [{"emailAddress": {"address": BOB}}],
        },
        "saveToSentItems": true,
    });
    let resp = common::client(&kit)
        .post(format!("{}/users/{ALICE}/sendMail", kit.graph_url()))
        .bearer_auth(&token)
        .json(&body)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 202);
    let mut imap = alice(&kit);
    let sent =
        imap.cmd("LIST \"\" \"*\"").lines("* LIST").into_iter().find(|l| l.contains("\\Sent")).unwrap().to_string();
    assert!(sent.ends_with("\"Sent Items\""), "{sent}");
    imap.cmd("SELECT \"Sent Items\"");
    let r = imap.cmd("UID FETCH 1:* (FLAGS ENVELOPE)");
    assert_eq!(r.untagged.len(), 1);
    assert!(r.untagged[0].contains("FLAGS (\\Seen)") && r.untagged[0].contains("\"via Graph\""), "{}", r.untagged[0]);
    let mut bob = Imap::login(&kit, BOB, &app_token(&kit));
    bob.cmd("EXAMINE INBOX");
    // The body is base64 on the wire; SEARCH matches the decoded text.
    assert_eq!(bob.cmd("UID SEARCH BODY \"hello from Graph\"").untagged, vec!["* SEARCH 1"]);
}

/// Malformed commands get BAD (or NO) and the session goes on; nothing panics.
#[test]
fn malformed_commands_are_refused() {
    let kit = TestKit::start_default().unwrap();
    kit.store().seed(ALICE, 3);
    let mut imap = alice(&kit);
    imap.cmd("SELECT INBOX");
    for cmd in [
        "FETCH",
        "FETCH 1:*",
        "FETCH 0 FLAGS",
        "FETCH x FLAGS",
        "FETCH 1 (FLAGS",
        "FETCH 1 BODY[1.2.3.HEADER.FIELDS (",
        "FETCH 1 BODY[]<5>",
        "UID",
        "UID NOPE 1",
        "SEARCH (",
        "SEARCH SINCE 32-Foo-2020",
        "SEARCH OR SEEN",
        "STORE 1 FLAGS",
        "STORE 1 +FLAGZ (\\Seen)",
        "COPY 1",
        "LIST",
        "LIST \"\"",
        "STATUS INBOX",
        "STATUS INBOX (BOGUS)",
        "CREATE",
        "CREATE \"bad&name\"",
        "APPEND INBOX",
        "APPEND INBOX (\\Seen) \"not a date\" {1+}\r\nx",
        "SELECT",
        "IDLE extra",
        "NOOP extra",
    ] {
        let r = imap.cmd(cmd);
        assert!(r.done.contains(" BAD ") || r.done.contains(" NO "), "{cmd}: {}", r.done);
    }
    let r = imap.cmd("UID FETCH 1:* FLAGS");
    assert_eq!(r.untagged.len(), 3, "the session still works");
    // An oversized literal ends the session with BAD.
    imap.send_raw(b"x1 APPEND INBOX {999999999999}\r\n");
    assert!(imap.response().unwrap().starts_with("* BAD"));
    assert!(imap.response().is_none());
}
