//! Turning untagged responses into the library's types (imap-proto parses
//! the syntax; this decides what it means).

use imap_proto::{AttributeValue, MailboxDatum, NameAttribute, Response, StatusAttribute};
use serde::Serialize;

use super::command::{decode_mailbox, parse_internal_date};
use super::fetch::{self, Value};
use crate::summary::MessageSummary;

/// What a listing fetches: the header fields a summary shows (one literal per message);
/// whether a message has attachments comes from BODYSTRUCTURE, so not Content-Type.
pub(crate) const SUMMARY_ITEMS: &str =
    "(UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (DATE SUBJECT FROM TO CC MESSAGE-ID)])";

/// A folder from LIST.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Folder {
    /// The name decoded to UTF-8, as passed to the other calls.
    pub name: String,
    pub delimiter: Option<String>,
    /// LIST attributes such as `\HasNoChildren`, `\Noselect`.
    pub attributes: Vec<String>,
    /// RFC 6154 role: `sent`, `drafts`, `trash`, `junk`, `archive`, `all`, `flagged`.
    pub special_use: Option<String>,
}

/// Counts from STATUS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FolderStatus {
    pub messages: u32,
    pub unseen: u32,
    pub uid_next: u32,
    pub uid_validity: u32,
}

/// What SELECT or EXAMINE reported.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailboxInfo {
    pub name: String,
    pub exists: u32,
    pub uid_validity: u32,
    pub uid_next: u32,
    pub read_only: bool,
}

/// What happened in a folder while waiting in IDLE.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct IdleEvents {
    /// The new message count, when it changed (new mail).
    pub exists: Option<u32>,
    /// Sequence numbers of expunged messages, in the order reported.
    pub expunged: Vec<u32>,
    /// Flag changes: (sequence number, UID if sent, new flags).
    pub flags: Vec<(u32, Option<u32>, Vec<String>)>,
    /// Nothing happened before the timeout.
    pub timed_out: bool,
}

/// `resp`, or nothing when it would make imap-proto 0.17 panic: a status or continuation
/// response whose `[code]` is followed directly by a non-ASCII byte (RFC 3501 wants a space;
/// imap-proto slices off one byte of the text). Found by fuzzing (`fuzz/corpus/imap_responses`).
pub(crate) fn parsable(resp: &[u8]) -> &[u8] {
    let Some(open) = resp.iter().position(|&b| b == b'[') else { return resp };
    let close = resp[open..].iter().position(|&b| b == b']').map(|i| open + i);
    let trips = close.and_then(|i| resp.get(i + 1)).is_some_and(|&b| b >= 0x80);
    let head = &resp[..open];
    let status = ["OK ", "NO ", "BAD ", "BYE ", "PREAUTH "]
        .iter()
        .any(|s| head.len() >= s.len() && head[head.len() - s.len()..].eq_ignore_ascii_case(s.as_bytes()))
        || head == b"+ "
        || head == b"+";
    if trips && status { b"" } else { resp }
}

pub(crate) fn folder(resp: &[u8]) -> Option<Folder> {
    let Ok((_, Response::MailboxData(MailboxDatum::List(l)))) = Response::parse(parsable(resp)) else {
        return None;
    };
    let mut attributes = Vec::new();
    let mut special_use = None;
    for a in &l.name_attributes {
        let (text, role) = match a {
            NameAttribute::NoInferiors => ("\\Noinferiors".to_owned(), None),
            NameAttribute::NoSelect => ("\\Noselect".to_owned(), None),
            NameAttribute::Marked => ("\\Marked".to_owned(), None),
            NameAttribute::Unmarked => ("\\Unmarked".to_owned(), None),
            NameAttribute::All => ("\\All".to_owned(), Some("all")),
            NameAttribute::Archive => ("\\Archive".to_owned(), Some("archive")),
            NameAttribute::Drafts => ("\\Drafts".to_owned(), Some("drafts")),
            NameAttribute::Flagged => ("\\Flagged".to_owned(), Some("flagged")),
            NameAttribute::Junk => ("\\Junk".to_owned(), Some("junk")),
            NameAttribute::Sent => ("\\Sent".to_owned(), Some("sent")),
            NameAttribute::Trash => ("\\Trash".to_owned(), Some("trash")),
            NameAttribute::Extension(e) => (e.to_string(), None),
            _ => continue,
        };
        attributes.push(text);
        if role.is_some() {
            special_use = role.map(str::to_owned);
        }
    }
    Some(Folder {
        name: decode_mailbox(&l.name),
        delimiter: l.delimiter.map(|d| d.into_owned()),
        attributes,
        special_use,
    })
}

pub(crate) fn status(resp: &[u8]) -> Option<FolderStatus> {
    let Ok((_, Response::MailboxData(MailboxDatum::Status { status, .. }))) = Response::parse(parsable(resp)) else {
        return None;
    };
    let mut s = FolderStatus::default();
    for a in status {
        match a {
            StatusAttribute::Messages(n) => s.messages = n,
            StatusAttribute::Unseen(n) => s.unseen = n,
            StatusAttribute::UidNext(n) => s.uid_next = n,
            StatusAttribute::UidValidity(n) => s.uid_validity = n,
            _ => {}
        }
    }
    Some(s)
}

/// `* SEARCH 1 2 3` (the untagged result of UID SEARCH).
pub(crate) fn search(resp: &[u8]) -> Option<Vec<u32>> {
    let line = std::str::from_utf8(resp).ok()?;
    let rest = line.strip_prefix("* ")?;
    let (word, nums) = rest.split_once(' ').unwrap_or((rest.trim_end(), ""));
    if !word.eq_ignore_ascii_case("SEARCH") {
        return None;
    }
    Some(nums.split_whitespace().filter_map(|n| n.parse().ok()).collect())
}

/// Untagged data of SELECT/EXAMINE: `* n EXISTS`, `* OK [UIDVALIDITY n]`, `* OK [UIDNEXT n]`.
pub(crate) fn select_data(info: &mut MailboxInfo, resp: &[u8]) {
    let line = String::from_utf8_lossy(resp);
    let words: Vec<&str> = line.trim_end().split(' ').collect();
    match words.as_slice() {
        ["*", n, w, ..] if w.eq_ignore_ascii_case("EXISTS") => info.exists = n.parse().unwrap_or(0),
        ["*", ok, code, n, ..] if ok.eq_ignore_ascii_case("OK") => {
            let n = n.trim_end_matches(']').parse().unwrap_or(0);
            match code.to_ascii_uppercase().as_str() {
                "[UIDVALIDITY" => info.uid_validity = n,
                "[UIDNEXT" => info.uid_next = n,
                _ => {}
            }
        }
        _ => {}
    }
}

/// A listing row from one FETCH response.
pub(crate) fn summary(resp: &[u8]) -> Option<MessageSummary> {
    let mut uid = None;
    let mut flags = Vec::new();
    let mut size = None;
    let mut internal = None;
    let mut attach = false;
    let mut headers: &[u8] = b"";
    let items = fetch::items(resp)?;
    for (name, value) in &items {
        let is = |n: &str| name.eq_ignore_ascii_case(n.as_bytes());
        if is("UID") {
            uid = value.number().and_then(|n| u32::try_from(n).ok());
        } else if is("FLAGS") {
            flags = value.list().unwrap_or_default().iter().filter_map(flag).collect();
        } else if is("RFC822.SIZE") {
            size = value.number();
        } else if is("INTERNALDATE") {
            internal = value.bytes().and_then(|d| parse_internal_date(&String::from_utf8_lossy(d)));
        } else if is("BODYSTRUCTURE") {
            attach = value.list().is_some_and(fetch::has_attachments);
        } else if name.len() > 5 && name[..5].eq_ignore_ascii_case(b"BODY[") {
            headers = value.bytes().unwrap_or_default();
        }
    }
    // Unsolicited FETCH (a flag change) carries no size: not a listing row.
    let size = size?;
    let mut s = MessageSummary::from_headers(uid?, headers);
    s.flags = flags;
    s.size = size;
    s.date = s.date.or(internal);
    s.has_attachments = attach;
    Some(s)
}

fn flag(v: &Value<'_>) -> Option<String> {
    match v {
        Value::Atom(a) => Some(String::from_utf8_lossy(a).into_owned()),
        _ => None,
    }
}

/// Flag updates and counts reported during IDLE.
pub(crate) fn idle_events(responses: &[Vec<u8>]) -> IdleEvents {
    let mut ev = IdleEvents { timed_out: responses.is_empty(), ..Default::default() };
    for resp in responses {
        match Response::parse(parsable(resp)) {
            Ok((_, Response::MailboxData(MailboxDatum::Exists(n)))) => ev.exists = Some(n),
            Ok((_, Response::Expunge(n))) => ev.expunged.push(n),
            Ok((_, Response::Fetch(seq, attrs))) => {
                let mut uid = None;
                let mut flags = Vec::new();
                for a in &attrs {
                    match a {
                        AttributeValue::Uid(u) => uid = Some(*u),
                        AttributeValue::Flags(f) => flags = f.iter().map(|x| x.to_string()).collect(),
                        _ => {}
                    }
                }
                ev.flags.push((seq, uid, flags));
            }
            _ => {}
        }
    }
    ev
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_response_code_followed_by_non_ascii_does_not_panic() {
        // Found by fuzzing: imap-proto 0.17 slices a byte off the text after the code.
        for line in [&b"* OK [UIDVALIDITY 1]\xdeUId)\r\n"[..], b"a1 NO [ALERT]\xc3\xbc\r\n", b"+ [ALERT]\xff\r\n"] {
            assert_eq!(status(line), None);
            assert_eq!(folder(line), None);
            assert_eq!(summary(line), None);
        }
        // A FETCH whose data has "]" then UTF-8 is still parsed.
        let fetch = b"* 1 FETCH (UID 9 FLAGS () RFC822.SIZE 3 BODY[HEADER.FIELDS (SUBJECT)] {15}\r\nSubject: [x]\xc3\xbc\r\n)\r\n";
        assert_eq!(parsable(fetch), fetch);
    }

    #[test]
    fn parses_a_listing_row() {
        let hdr = "Subject: =?UTF-8?B?5Lya6K6u?=\r\nFrom: Alice <alice@example.test>\r\n\r\n";
        let resp = format!(
            "* 3 FETCH (UID 42 FLAGS (\\Seen $Work) RFC822.SIZE 1234 INTERNALDATE \"14-Nov-2023 22:13:20 +0000\" \
BODYSTRUCTURE ((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 10 1 NIL NIL NIL NIL)\
(\"application\" \"pdf\" (\"name\" \"a.pdf\") NIL NIL \"base64\" 100 NIL (\"attachment\" (\"filename\" \"a.pdf\")) NIL NIL) \"mixed\" (\"boundary\" \"x\") NIL NIL NIL) \
BODY[HEADER.FIELDS (DATE SUBJECT FROM)] {{{}}}\r\n{hdr})\r\n",
            hdr.len()
        );
        let s = summary(resp.as_bytes()).unwrap();
        assert_eq!(s.uid, 42);
        assert_eq!(s.subject, "会议");
        assert_eq!(s.flags, vec!["\\Seen", "$Work"]);
        assert_eq!(s.size, 1234);
        assert_eq!(s.date, Some(1_700_000_000));
        assert!(s.has_attachments);
        assert_eq!(s.from.unwrap().address, "alice@example.test");
    }

    #[test]
    fn reads_a_listing_as_dovecot_sends_it() {
        // Captured from tests/mailstack's Dovecot 2.3: `UID FETCH 1:4 <SUMMARY_ITEMS>` of the
        // four kinds of message seed-mailbox writes.
        let wire = include_bytes!("../../../fuzz/corpus/imap_responses/dovecot-listing");
        let mut rows = Vec::new();
        let mut rest = &wire[..];
        while !rest.is_empty() {
            // Each response ends with the `)` CRLF after its header literal.
            let end = rest.windows(3).position(|w| w == b")\r\n").expect("a whole response") + 3;
            rows.push(summary(&rest[..end]).expect("a listing row"));
            rest = &rest[end..];
        }
        let uids: Vec<u32> = rows.iter().map(|r| r.uid).collect();
        assert_eq!(uids, [1, 2, 3, 4]);
        assert_eq!(rows[1].subject, "会议纪要 1");
        assert_eq!(rows[3].subject, "Report 3 attached");
        let attached: Vec<bool> = rows.iter().map(|r| r.has_attachments).collect();
        assert_eq!(attached, [false, false, false, true]);
        assert_eq!(rows[0].from.as_ref().unwrap().address, "carol@example.test");
        assert_eq!(rows[0].to[0].address, "bob@example.test");
        assert_eq!(rows[0].message_id.as_deref(), Some("seed-1-0@example.test"));
        assert_eq!(rows[0].date, Some(1_704_103_200));
        assert_eq!((rows[0].size, rows[3].size), (785, 3338));
        assert!(rows.iter().all(|r| r.flags.is_empty()));
    }

    #[test]
    fn plain_text_has_no_attachment() {
        let resp = b"* 1 FETCH (UID 1 RFC822.SIZE 3 BODYSTRUCTURE (\"text\" \"plain\" NIL NIL NIL \"7bit\" 3 1 NIL NIL NIL NIL))\r\n";
        assert!(!summary(resp).unwrap().has_attachments);
        // A flag update pushed by the server in the middle of a listing is not a row.
        assert!(summary(b"* 1 FETCH (UID 1 FLAGS (\\Seen))\r\n").is_none());
    }

    #[test]
    fn list_status_search_select() {
        let f = folder(b"* LIST (\\HasNoChildren \\Sent) \"/\" \"&U,BTFw-\"\r\n").unwrap();
        assert_eq!(f.name, "台北");
        assert_eq!(f.special_use.as_deref(), Some("sent"));
        assert_eq!(f.delimiter.as_deref(), Some("/"));
        let s = status(b"* STATUS INBOX (MESSAGES 3 UNSEEN 1 UIDNEXT 9 UIDVALIDITY 77)\r\n").unwrap();
        assert_eq!(s, FolderStatus { messages: 3, unseen: 1, uid_next: 9, uid_validity: 77 });
        assert_eq!(search(b"* SEARCH 4 5 9\r\n"), Some(vec![4, 5, 9]));
        assert_eq!(search(b"* SEARCH\r\n"), Some(vec![]));
        let mut info = MailboxInfo::default();
        for l in
            [&b"* 12 EXISTS\r\n"[..], b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n", b"* OK [UIDNEXT 4392] x\r\n"]
        {
            select_data(&mut info, l);
        }
        assert_eq!((info.exists, info.uid_validity, info.uid_next), (12, 3_857_529_045, 4392));
        let ev = idle_events(&[
            b"* 13 EXISTS\r\n".to_vec(),
            b"* 2 EXPUNGE\r\n".to_vec(),
            b"* 4 FETCH (FLAGS (\\Seen))\r\n".to_vec(),
        ]);
        assert_eq!(ev.exists, Some(13));
        assert_eq!(ev.expunged, vec![2]);
        assert_eq!(ev.flags, vec![(4, None, vec!["\\Seen".to_owned()])]);
        assert!(!ev.timed_out);
    }
}
