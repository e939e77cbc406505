//! `oauthmail send` against the test kit's SMTP server and Graph endpoint.

mod common;

use common::{ok, run, stderr, stdout, write};
use mail_parser::{MessageParser, MimeHeaders as _};
use oauthmail_testkit::{INBOX, TestKit, fixture};

#[test]
fn sends_a_unicode_subject_with_an_attachment_and_prints_the_queue_id() {
    let kit = TestKit::start_default().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let attachment: Vec<u8> = (0..50_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let file = write(dir.path(), "report.bin", &attachment);
    let out = ok(run(
        &kit,
        &[
            "send",
            "--to",
            fixture::BOB,
            "--subject",
            "Test测试邮件标题",
            "--text",
            "Test测试邮件正文",
            "--attach",
            &file,
        ],
    ));
    let queue_id = stdout(&out).trim().to_owned();
    assert!(!queue_id.is_empty() && !queue_id.contains(' '), "{queue_id:?}");

    let stored = kit.store().messages(fixture::BOB, INBOX);
    assert_eq!(stored.len(), 1);
    let msg = MessageParser::new().parse(&stored[0].raw).unwrap();
    assert_eq!(msg.subject(), Some("Test测试邮件标题"));
    assert_eq!(msg.from().and_then(|a| a.first()).and_then(|a| a.address()), Some(fixture::ALICE));
    assert_eq!(msg.body_text(0).as_deref().map(str::trim), Some("Test测试邮件正文"));
    let part = msg.attachments().next().expect("an attachment");
    assert_eq!(part.attachment_name(), Some("report.bin"));
    assert_eq!(part.contents(), attachment.as_slice());
    assert_eq!(kit.token_requests(), 1);
}

#[test]
fn header_injection_is_refused_and_nothing_is_sent() {
    let kit = TestKit::start_default().unwrap();
    let out = run(&kit, &["send", "--to", fixture::BOB, "--subject", "Hi\r\nBcc: mallory@evil.test", "--text", "x"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("error: Message"), "{err}");
    assert!(stdout(&out).is_empty());
    assert_eq!(kit.store().count(fixture::BOB, INBOX), 0);
    assert_eq!(kit.smtp_stats().connections, 0, "nothing may reach the server");
}

#[test]
fn raw_file_goes_out_as_it_is() {
    let kit = TestKit::start_default().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let raw = b"From: alice@example.test\r\nTo: bob@example.test\r\nSubject: raw one\r\nMessage-ID: <raw-1@example.test>\r\n\r\nbody\r\n";
    let file = write(dir.path(), "m.eml", raw);
    ok(run(&kit, &["send", "--to", fixture::BOB, "--raw", &file]));
    let stored = kit.store().messages(fixture::BOB, INBOX);
    assert_eq!(stored.len(), 1);
    assert!(stored[0].raw.windows(raw.len()).any(|w| w == raw), "the stored message contains the file unchanged");
}

#[test]
fn sends_through_graph() {
    let kit = TestKit::start_default().unwrap();
    let out =
        ok(run(&kit, &["send", "--via", "graph", "--to", fixture::BOB, "--subject", "über Graph", "--text", "hi"]));
    assert!(stdout(&out).contains('@'), "prints the Message-ID: {}", stdout(&out));
    assert_eq!(kit.graph_messages_sent(), 1);
    let stored = kit.store().messages(fixture::BOB, INBOX);
    assert_eq!(MessageParser::new().parse(&stored[0].raw).unwrap().subject(), Some("über Graph"));
}

#[test]
fn smtp_auth_disabled_prints_kind_code_and_hint() {
    let kit = TestKit::start_default().unwrap();
    kit.inject_smtp(oauthmail_testkit::SmtpFault::AuthDisabled, 1);
    let out = run(&kit, &["send", "--to", fixture::BOB, "--subject", "s", "--text", "t"]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("(5.7.139)"), "{err}");
    assert!(err.contains("hint: "), "{err}");
    assert_eq!(kit.store().count(fixture::BOB, INBOX), 0);
}

#[test]
fn auto_falls_back_to_graph_when_smtp_auth_is_disabled() {
    let kit = TestKit::start_default().unwrap();
    kit.inject_smtp(oauthmail_testkit::SmtpFault::AuthDisabled, 1);
    let out = ok(run(&kit, &["send", "--via", "auto", "--to", fixture::BOB, "--subject", "fallback", "--text", "t"]));
    assert!(stderr(&out).contains("through Microsoft Graph"), "{}", stderr(&out));
    assert_eq!(kit.graph_messages_sent(), 1);
    assert_eq!(kit.store().count(fixture::BOB, INBOX), 1);
}
