//! ImapClient against the real Dovecot of tests/mailstack.

mod imap_support;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

use imap_support::{MintingCredential, Stack, stack, unique};
use oauthmail::imap::{ImapClient, ImapConfig, ListOptions, SearchQuery, flags};
use oauthmail::sasl::Mechanism;
use oauthmail::{ErrorKind, Security, StaticTokenCredential};

fn config(stack: &Stack, user: &str, tls: bool) -> ImapConfig {
    let port = if tls { stack.port("IMAPS") } else { stack.port("IMAP") };
    let mut c = ImapConfig::new(stack.host(), port, user);
    c.security = Some(if tls { Security::Tls } else { Security::StartTls });
    c.ca = stack.ca();
    c.timeout = Duration::from_secs(30);
    c
}

fn client(stack: &Stack, user: &str) -> ImapClient {
    ImapClient::new(config(stack, user, true), stack.credential(user)).unwrap()
}

#[test]
fn logs_in_with_both_mechanisms_over_tls_and_starttls() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    for tls in [true, false] {
        for mech in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
            let mut c = config(&stack, &user, tls);
            c.mechanism = Some(mech);
            let client = ImapClient::new(c, stack.credential(&user)).unwrap();
            let st = client.status("INBOX").unwrap_or_else(|e| panic!("{mech} tls={tls}: {e}"));
            assert!(st.uid_validity > 0);
            assert!(client.is_tls(), "STARTTLS must have upgraded the connection");
            client.close();
            assert_eq!(client.status("INBOX").unwrap_err().kind(), ErrorKind::Closed);
        }
    }
}

#[test]
fn folders_status_and_special_use() {
    let Some(stack) = stack() else { return };
    let c = client(&stack, &stack.user("carol"));
    let name = unique("Ordner 报告 & co");
    c.create_folder(&name).unwrap();
    let folders = c.list_folders().unwrap();
    assert!(folders.iter().any(|f| f.name == name), "created folder listed with its UTF-8 name");
    assert!(folders.iter().any(|f| f.name == "Sent" && f.special_use.as_deref() == Some("sent")), "{folders:?}");
    let st = c.status(&name).unwrap();
    assert_eq!((st.messages, st.unseen), (0, 0));
    let uid = c.append(&name, b"Subject: hi\r\nFrom: a@example.test\r\n\r\nbody\r\n", &[], None).unwrap();
    assert_eq!(uid, Some(st.uid_next));
    let st2 = c.status(&name).unwrap();
    assert_eq!((st2.messages, st2.unseen, st2.uid_validity), (1, 1, st.uid_validity));
    let info = c.select(&name).unwrap();
    assert_eq!((info.exists, info.read_only), (1, false));
    c.delete_folder(&name).unwrap();
    assert!(!c.list_folders().unwrap().iter().any(|f| f.name == name));
    let e = c.status(&name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config, "{e}");
}

#[test]
fn search_by_flags_text_dates_and_uids() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let folder = unique("Search");
    stack.seed(&user, &folder, 8, &[]);
    let c = client(&stack, &user);
    let all = c.search(&folder, &SearchQuery::new()).unwrap();
    assert_eq!(all, (1..=8).collect::<Vec<u32>>());
    c.set_flags(&[2, 3], &[flags::SEEN, "$Important"]).unwrap();
    assert_eq!(c.search(&folder, &SearchQuery::new().seen(true)).unwrap(), vec![2, 3]);
    assert_eq!(c.search(&folder, &SearchQuery::new().keyword("$Important")).unwrap(), vec![2, 3]);
    assert_eq!(c.search(&folder, &SearchQuery::new().unseen()).unwrap().len(), 6);
    c.clear_flags(&[3], &[flags::SEEN]).unwrap();
    assert_eq!(c.search(&folder, &SearchQuery::new().seen(true)).unwrap(), vec![2]);
    assert_eq!(c.search(&folder, &SearchQuery::new().uids(3, 5)).unwrap(), vec![3, 4, 5]);
    let yesterday = SystemTime::now() - Duration::from_secs(86_400 * 2);
    assert_eq!(c.search(&folder, &SearchQuery::new().since(yesterday)).unwrap().len(), 8);
    assert!(c.search(&folder, &SearchQuery::new().before(yesterday)).unwrap().is_empty());
    // Kind 1 of seed-mailbox has a Chinese subject: search it as UTF-8 (a literal on the wire).
    let listed = c.list_messages(&folder, &ListOptions::default()).unwrap();
    let chinese = listed.iter().find(|m| !m.subject.is_ascii()).expect("a Chinese subject").clone();
    let word: String = chinese.subject.chars().filter(|c| !c.is_ascii()).take(2).collect();
    let hits = c.search(&folder, &SearchQuery::new().subject(word.clone())).unwrap();
    assert!(hits.contains(&chinese.uid), "{word} -> {hits:?}");
    let from = chinese.from.as_ref().unwrap().address.clone();
    assert!(c.search(&folder, &SearchQuery::new().from(from)).unwrap().contains(&chinese.uid));
    assert_eq!(c.search(&folder, &SearchQuery::new().raw("LARGER 100000000")).unwrap(), Vec::<u32>::new());
    assert_eq!(c.search(&folder, &SearchQuery::new().raw("BOGUS")).unwrap_err().kind(), ErrorKind::Protocol);
}

#[test]
fn lists_ten_thousand_messages_in_batches() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let folder = unique("Bulk");
    let report = stack.seed(&user, &folder, 10_000, &[]);
    assert_eq!(report["count"], 10_000);
    let c = client(&stack, &user);
    c.connect().unwrap();
    let before = c.stats();
    let opts = ListOptions { batch_size: 500, newest_first: false, ..Default::default() };
    let list = c.list_messages(&folder, &opts).unwrap();
    let after = c.stats();
    assert_eq!(list.len(), 10_000);
    assert!(list.windows(2).all(|w| w[0].uid < w[1].uid));
    // EXAMINE + UID SEARCH + 20 batches of 500: never one command per message.
    assert_eq!(after.commands - before.commands, 22, "{before:?} -> {after:?}");
    assert_eq!(after.round_trips - before.round_trips, 22);
    assert_eq!(after.connections, 1);
    // Decoded summaries: seed-mailbox kinds cycle plain / Chinese / alternative / attachment.
    assert!(list[0].message_id.as_deref().unwrap().starts_with("seed-"));
    assert!(!list[1].subject.is_ascii(), "{:?}", list[1].subject);
    assert!(!list[0].has_attachments && list[3].has_attachments);
    assert!(list.iter().all(|m| m.size > 0 && m.date.is_some() && m.from.is_some() && !m.to.is_empty()));

    let newest = c.list_messages(&folder, &ListOptions { limit: Some(3), ..Default::default() }).unwrap();
    assert_eq!(newest.iter().map(|m| m.uid).collect::<Vec<_>>(), vec![10_000, 9_999, 9_998]);
    c.set_flags(&[10_000], &[flags::SEEN]).unwrap();
    let unseen =
        c.list_messages(&folder, &ListOptions { unseen_only: true, limit: Some(1), ..Default::default() }).unwrap();
    assert_eq!(unseen[0].uid, 9_999);
    c.delete_folder(&folder).unwrap();
}

#[test]
fn fetches_and_parses_whole_messages() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let folder = unique("Fetch");
    stack.seed(&user, &folder, 4, &[]);
    let c = client(&stack, &user);
    c.examine(&folder).unwrap();
    let raw = c.fetch_message(4).unwrap();
    assert!(raw.len() > 500 && raw.windows(4).any(|w| w == b"\r\n\r\n"));
    let parsed = c.fetch_parsed(4).unwrap();
    assert_eq!(parsed.attachments.len(), 1, "{parsed:?}");
    let att = &parsed.attachments[0];
    assert!(att.filename.as_deref().unwrap().starts_with("报告-"), "{:?}", att.filename);
    assert_eq!(att.content_type, "application/pdf");
    assert!(att.data.starts_with(b"%PDF") && att.size == att.data.len() as u64);
    assert!(parsed.text.is_some());
    let alt = c.fetch_parsed(3).unwrap();
    assert!(alt.html.is_some() && alt.text.is_some());
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.eml");
    c.fetch_message_to_file(4, &path).unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), raw);
    let e = c.fetch_message(99).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Config);
    assert!(c.fetch_message_to_file(99, &path).is_err() && !path.exists(), "partial file removed");
}

#[test]
fn flags_copy_move_delete_and_append_with_date() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let (a, b) = (unique("From"), unique("To"));
    stack.seed(&user, &a, 6, &[]);
    let c = client(&stack, &user);
    c.create_folder(&b).unwrap();
    c.select(&a).unwrap();
    c.copy(&[1, 2], &b).unwrap();
    c.move_messages(&[3], &b).unwrap();
    assert_eq!(c.search(&a, &SearchQuery::new()).unwrap(), vec![1, 2, 4, 5, 6]);
    assert_eq!(c.status(&b).unwrap().messages, 3);
    c.delete(&[4], false).unwrap();
    assert_eq!(c.search(&a, &SearchQuery { deleted: Some(true), ..Default::default() }).unwrap(), vec![4]);
    c.delete(&[5], true).unwrap();
    // UID EXPUNGE removes only 5; 4 stays (flagged \Deleted).
    assert_eq!(c.search(&a, &SearchQuery::new()).unwrap(), vec![1, 2, 4, 6]);
    c.set_flags(&[6], &[flags::FLAGGED, "Custom1"]).unwrap();
    let six = c.list_messages(&a, &ListOptions { limit: Some(1), ..Default::default() }).unwrap();
    assert!(
        six[0].flags.iter().any(|f| f == "\\Flagged") && six[0].flags.iter().any(|f| f == "Custom1"),
        "{:?}",
        six[0].flags
    );
    let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_000_000);
    let msg = b"From: carol@example.test\r\nTo: carol@example.test\r\nSubject: sent copy\r\n\r\nhello\r\n";
    let uid = c.append(&b, msg, &[flags::SEEN], Some(when)).unwrap().unwrap();
    c.examine(&b).unwrap();
    assert_eq!(c.fetch_message(uid).unwrap(), msg);
    let hit =
        c.search(&b, &SearchQuery::new().before(SystemTime::UNIX_EPOCH + Duration::from_secs(1_600_100_000))).unwrap();
    assert_eq!(hit, vec![uid], "APPEND kept the internal date");
    assert!(c.set_flags(&[1], &["bad flag"]).is_err());
    c.delete_folder(&a).unwrap();
    c.delete_folder(&b).unwrap();
}

#[test]
fn idle_reports_new_mail_and_times_out() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    let folder = unique("Idle");
    let c = Arc::new(client(&stack, &user));
    c.create_folder(&folder).unwrap();
    c.examine(&folder).unwrap();
    let quiet = c.idle(Duration::from_millis(300)).unwrap();
    assert!(quiet.timed_out && quiet.exists.is_none());
    let other = client(&stack, &user);
    let f2 = folder.clone();
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        other.append(&f2, b"Subject: new\r\n\r\nx\r\n", &[], None).unwrap();
    });
    let ev = c.idle(Duration::from_secs(20)).unwrap();
    writer.join().unwrap();
    assert!(!ev.timed_out);
    assert_eq!(ev.exists, Some(1), "{ev:?}");
    // The session is still usable after IDLE.
    assert_eq!(c.search(&folder, &SearchQuery::new()).unwrap(), vec![1]);
    c.delete_folder(&folder).unwrap();
}

#[test]
fn reconnects_when_the_server_drops_the_session() {
    let Some(stack) = stack() else { return };
    let user = stack.user("alice"); // only this test kicks alice's sessions
    let folder = unique("Kick");
    stack.seed(&user, &folder, 3, &[]);
    let cred = MintingCredential::new(&stack, &user, false);
    let c = ImapClient::new(config(&stack, &user, true), cred.clone()).unwrap();
    c.examine(&folder).unwrap();
    assert!(!c.fetch_message(2).unwrap().is_empty());
    stack.doveadm(&["kick", &user]);
    std::thread::sleep(Duration::from_millis(300));
    // The next call notices the closed session, reconnects with a token and reselects the folder.
    assert!(!c.fetch_message(3).unwrap().is_empty());
    assert_eq!(c.stats().connections, 2);
    assert_eq!(cred.issued.load(Ordering::SeqCst), 2);
    // Also for a state-changing call made right after a drop (it never reached the server).
    stack.doveadm(&["kick", &user]);
    std::thread::sleep(Duration::from_millis(300));
    c.set_flags(&[1], &[flags::FLAGGED]).unwrap();
    assert_eq!(c.search(&folder, &SearchQuery::new().flagged(true)).unwrap(), vec![1]);
    assert_eq!(c.stats().connections, 3);
}

#[test]
fn expired_token_is_refreshed_once_then_bad_tokens_fail_clearly() {
    let Some(stack) = stack() else { return };
    let user = stack.user("carol");
    // First token expired: Dovecot answers with an error challenge, the client asks for a fresh one.
    let cred = MintingCredential::new(&stack, &user, true);
    let c = ImapClient::new(config(&stack, &user, true), cred.clone()).unwrap();
    c.status("INBOX").unwrap();
    assert_eq!(cred.fresh_requests.load(Ordering::SeqCst), 1);

    // A static expired token cannot be refreshed: an Auth error naming the mechanism and status.
    for mech in [Mechanism::Xoauth2, Mechanism::OAuthBearer] {
        let mut cfg = config(&stack, &user, true);
        cfg.mechanism = Some(mech);
        let token = stack.mint(&user, &["--bad-signature"]);
        let c = ImapClient::new(cfg, Arc::new(StaticTokenCredential::new(token.clone(), None).unwrap())).unwrap();
        let e = c.status("INBOX").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Auth, "{e}");
        assert!(e.to_string().contains(mech.name()) && e.hint().is_some(), "{e}");
        assert!(!e.to_string().contains(&token) && !format!("{e:?}").contains(&token));
    }
    // Another user's token for this mailbox.
    let c = ImapClient::new(config(&stack, &user, true), stack.credential(&stack.user("bob"))).unwrap();
    assert_eq!(c.status("INBOX").unwrap_err().kind(), ErrorKind::Auth);
}

#[test]
fn untrusted_certificate_is_a_tls_error() {
    let Some(stack) = stack() else { return };
    let mut cfg = config(&stack, &stack.user("carol"), true);
    cfg.ca = oauthmail::tls::TlsTrust::system();
    let c = ImapClient::new(cfg, stack.credential(&stack.user("carol"))).unwrap();
    let e = c.status("INBOX").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    // Security that does not match the port: a hint says which to use.
    let mut cfg = config(&stack, &stack.user("carol"), true);
    cfg.port = stack.port("IMAP");
    let e = ImapClient::new(cfg, stack.credential(&stack.user("carol"))).unwrap().status("INBOX").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Tls, "{e}");
    assert!(e.hint().unwrap().contains("starttls"), "{e}");
    let mut cfg = config(&stack, &stack.user("carol"), false);
    cfg.port = stack.port("IMAPS");
    cfg.timeout = Duration::from_millis(500);
    let e = ImapClient::new(cfg, stack.credential(&stack.user("carol"))).unwrap().status("INBOX").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.hint().unwrap().contains("'tls'"), "{e}");
    let bad = ImapConfig::new("", 993, "x");
    assert_eq!(ImapClient::new(bad, stack.credential("carol")).unwrap_err().kind(), ErrorKind::Config);
}
