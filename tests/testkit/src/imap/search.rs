//! SEARCH keys (RFC 3501 6.4.4): parsing and matching. Text keys match case-insensitively
//! against decoded text (RFC 2047 words in headers, base64 / quoted-printable bodies), as
//! Dovecot and Exchange do.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::mime::Part;
use super::syntax::{PResult, Parser, SeqSet, parse_date};

#[derive(Debug)]
pub(crate) enum Key {
    All,
    /// Has (true) or lacks (false) a flag or keyword.
    Flag(String, bool),
    /// No messages are \Recent in the kit (NEW and RECENT match nothing).
    Recent,
    Larger(u64),
    Smaller(u64),
    /// Internal date compared by day: since (>=), before (<), on (==).
    Since(i64),
    Before(i64),
    On(i64),
    SentSince(i64),
    SentBefore(i64),
    SentOn(i64),
    Header(String, String),
    Body(String),
    Text(String),
    Uid(SeqSet),
    Seq(SeqSet),
    Not(Box<Key>),
    Or(Box<Key>, Box<Key>),
    And(Vec<Key>),
}

fn text_arg(p: &mut Parser) -> PResult<String> {
    p.sp()?;
    Ok(String::from_utf8_lossy(&p.astring()?).into_owned())
}

fn date_arg(p: &mut Parser) -> PResult<i64> {
    let text = text_arg(p)?;
    parse_date(&text).ok_or_else(|| format!("invalid date '{text}'"))
}

fn number_arg(p: &mut Parser) -> PResult<u64> {
    p.sp()?;
    p.number()
}

/// Parses keys up to the end of the command (or a closing parenthesis, left unread).
pub(crate) fn parse_keys(p: &mut Parser) -> PResult<Vec<Key>> {
    let mut keys = vec![parse_key(p)?];
    while p.eat(b' ') {
        keys.push(parse_key(p)?);
    }
    Ok(keys)
}

fn parse_key(p: &mut Parser) -> PResult<Key> {
    if p.eat(b'(') {
        let keys = parse_keys(p)?;
        p.expect(b')')?;
        return Ok(Key::And(keys));
    }
    if p.peek().is_some_and(|b| b.is_ascii_digit() || b == b'*') {
        return Ok(Key::Seq(SeqSet::parse(&p.word()?)?));
    }
    let word = p.atom()?.to_ascii_uppercase();
    let flag = |name: &str, has: bool| Ok(Key::Flag(name.into(), has));
    match word.as_str() {
        "ALL" => Ok(Key::All),
        "ANSWERED" => flag("\\Answered", true),
        "DELETED" => flag("\\Deleted", true),
        "DRAFT" => flag("\\Draft", true),
        "FLAGGED" => flag("\\Flagged", true),
        "SEEN" => flag("\\Seen", true),
        "UNANSWERED" => flag("\\Answered", false),
        "UNDELETED" => flag("\\Deleted", false),
        "UNDRAFT" => flag("\\Draft", false),
        "UNFLAGGED" => flag("\\Flagged", false),
        "UNSEEN" => flag("\\Seen", false),
        "OLD" => Ok(Key::Not(Box::new(Key::Recent))),
        "NEW" | "RECENT" => Ok(Key::Recent),
        "KEYWORD" => Ok(Key::Flag(text_arg(p)?, true)),
        "UNKEYWORD" => Ok(Key::Flag(text_arg(p)?, false)),
        "LARGER" => Ok(Key::Larger(number_arg(p)?)),
        "SMALLER" => Ok(Key::Smaller(number_arg(p)?)),
        "SINCE" => Ok(Key::Since(date_arg(p)?)),
        "BEFORE" => Ok(Key::Before(date_arg(p)?)),
        "ON" => Ok(Key::On(date_arg(p)?)),
        "SENTSINCE" => Ok(Key::SentSince(date_arg(p)?)),
        "SENTBEFORE" => Ok(Key::SentBefore(date_arg(p)?)),
        "SENTON" => Ok(Key::SentOn(date_arg(p)?)),
        "FROM" | "TO" | "CC" | "BCC" | "SUBJECT" => Ok(Key::Header(word.to_ascii_lowercase(), text_arg(p)?)),
        "HEADER" => {
            let name = text_arg(p)?;
            Ok(Key::Header(name.to_ascii_lowercase(), text_arg(p)?))
        }
        "BODY" => Ok(Key::Body(text_arg(p)?)),
        "TEXT" => Ok(Key::Text(text_arg(p)?)),
        "UID" => {
            p.sp()?;
            Ok(Key::Uid(SeqSet::parse(&p.word()?)?))
        }
        "NOT" => {
            p.sp()?;
            Ok(Key::Not(Box::new(parse_key(p)?)))
        }
        "OR" => {
            p.sp()?;
            let a = parse_key(p)?;
            p.sp()?;
            Ok(Key::Or(Box::new(a), Box::new(parse_key(p)?)))
        }
        other => Err(format!("unknown search key {other}")),
    }
}

/// One message as SEARCH sees it.
pub(crate) struct Candidate<'a> {
    pub seq: u32,
    pub uid: u32,
    pub flags: &'a [String],
    pub internal_date: i64,
    pub raw: &'a [u8],
    /// Highest sequence number and UID, for `*`.
    pub max_seq: u32,
    pub max_uid: u32,
}

fn contains(haystack: &str, needle: &str) -> bool {
    haystack.to_lowercase().contains(&needle.to_lowercase())
}

impl Key {
    pub fn matches(&self, c: &Candidate) -> bool {
        let day = |secs: i64| secs.div_euclid(86_400);
        match self {
            Key::All => true,
            Key::Flag(name, has) => c.flags.iter().any(|f| f.eq_ignore_ascii_case(name)) == *has,
            Key::Recent => false,
            Key::Larger(n) => c.raw.len() as u64 > *n,
            Key::Smaller(n) => (c.raw.len() as u64) < *n,
            Key::Since(d) => day(c.internal_date) >= *d,
            Key::Before(d) => day(c.internal_date) < *d,
            Key::On(d) => day(c.internal_date) == *d,
            Key::SentSince(d) => sent_day(c.raw).is_some_and(|s| s >= *d),
            Key::SentBefore(d) => sent_day(c.raw).is_some_and(|s| s < *d),
            Key::SentOn(d) => sent_day(c.raw).is_some_and(|s| s == *d),
            Key::Header(name, text) => {
                let part = Part::parse(c.raw);
                part.header.value(name).is_some_and(|v| text.is_empty() || contains(&decode_words(&v), text))
            }
            Key::Body(text) => contains(&body_text(&Part::parse(c.raw)), text),
            Key::Text(text) => {
                let part = Part::parse(c.raw);
                let header = decode_words(&String::from_utf8_lossy(part.header.raw));
                contains(&header, text) || contains(&body_text(&part), text)
            }
            Key::Uid(set) => set.contains(c.uid, c.max_uid),
            Key::Seq(set) => set.contains(c.seq, c.max_seq),
            Key::Not(k) => !k.matches(c),
            Key::Or(a, b) => a.matches(c) || b.matches(c),
            Key::And(keys) => keys.iter().all(|k| k.matches(c)),
        }
    }
}

/// The day (since 1970) of the Date header: `[Thu, ]3 Dec 2026 ...`.
fn sent_day(raw: &[u8]) -> Option<i64> {
    let value = Part::parse(raw).header.value("date")?;
    let value = value.split_once(',').map_or(value.as_str(), |(_, v)| v);
    let mut words = value.split_whitespace();
    let (d, m, y) = (words.next()?, words.next()?, words.next()?);
    parse_date(&format!("{d}-{m}-{y}"))
}

/// Headers with RFC 2047 encoded words decoded (UTF-8 and Latin-1 charsets).
pub(crate) fn decode_words(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    let mut after_word = false;
    while let Some(start) = rest.find("=?") {
        let (before, candidate) = rest.split_at(start);
        let decoded = candidate[2..].split_once("?=").and_then(|(inner, tail)| {
            let mut pieces = inner.splitn(3, '?');
            let (charset, enc, data) = (pieces.next()?, pieces.next()?, pieces.next()?);
            let bytes = match enc.to_ascii_uppercase().as_str() {
                "B" => STANDARD.decode(data).ok()?,
                "Q" => quoted_printable(data.replace('_', " ").as_bytes()),
                _ => return None,
            };
            Some((charset_decode(charset, &bytes), tail))
        });
        match decoded {
            Some((text, tail)) => {
                // Whitespace between two encoded words is dropped (RFC 2047 6.2).
                if !(after_word && before.trim().is_empty()) {
                    out.push_str(before);
                }
                out.push_str(&text);
                rest = tail;
                after_word = true;
            }
            None => {
                out.push_str(before);
                out.push_str("=?");
                rest = &candidate[2..];
                after_word = false;
            }
        }
    }
    out.push_str(rest);
    out
}

fn charset_decode(charset: &str, bytes: &[u8]) -> String {
    let charset = charset.split('*').next().unwrap_or("").to_ascii_lowercase();
    if charset == "iso-8859-1" || charset == "latin1" || charset == "windows-1252" {
        bytes.iter().map(|&b| b as char).collect()
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    }
}

fn quoted_printable(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut i = 0;
    while i < data.len() {
        match data[i] {
            b'=' if data[i + 1..].starts_with(b"\r\n") => i += 3,
            b'=' if data[i + 1..].starts_with(b"\n") => i += 2,
            b'=' if i + 2 < data.len() => {
                let hex = std::str::from_utf8(&data[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'=');
                        i += 1;
                    }
                }
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// The decoded text of every text part.
fn body_text(part: &Part) -> String {
    let mut out = String::new();
    collect_text(part, &mut out);
    out
}

fn collect_text(part: &Part, out: &mut String) {
    if let Some(inner) = &part.message {
        collect_text(inner, out);
        return;
    }
    if !part.children.is_empty() {
        for child in &part.children {
            collect_text(child, out);
        }
        return;
    }
    if part.media_type != "text" {
        return;
    }
    let encoding = part.header.value("content-transfer-encoding").unwrap_or_default().to_ascii_lowercase();
    let bytes = match encoding.as_str() {
        "base64" => {
            let compact: Vec<u8> = part.body.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            STANDARD.decode(compact).unwrap_or_default()
        }
        "quoted-printable" => quoted_printable(part.body),
        _ => part.body.to_vec(),
    };
    out.push_str(&charset_decode(part.param("charset").unwrap_or("utf-8"), &bytes));
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(query: &str, raw: &[u8], flags: &[String]) -> bool {
        let mut p = Parser::new(query.as_bytes());
        let keys = parse_keys(&mut p).unwrap();
        assert!(p.at_end(), "{query}");
        let c = Candidate { seq: 2, uid: 20, flags, internal_date: 1_796_320_951, raw, max_seq: 3, max_uid: 30 };
        keys.iter().all(|k| k.matches(&c))
    }

    #[test]
    fn keys_match() {
        let raw = "From: Sender <s@example.org>\r\nSubject: =?UTF-8?B?5Lya6K6u57qq6KaBIDE=?=\r\n\
                   Date: Thu, 03 Dec 2026 18:02:31 +0000\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 au lait\r\n"
            .as_bytes();
        let seen = vec!["\\Seen".to_string()];
        assert!(search("ALL", raw, &[]));
        assert!(search("SEEN FROM sender", raw, &seen));
        assert!(!search("UNSEEN", raw, &seen));
        assert!(search("SUBJECT {6}\r\n会议", raw, &[]));
        assert!(search("TEXT \"café\"", raw, &[]));
        assert!(search("BODY \"AU LAIT\"", raw, &[]));
        assert!(search("SINCE 3-Dec-2026 BEFORE 4-Dec-2026 ON 3-Dec-2026 SENTON 3-Dec-2026", raw, &[]));
        assert!(!search("SINCE 4-Dec-2026", raw, &[]));
        assert!(search("UID 15:* 2 NOT DELETED OR FLAGGED LARGER 10", raw, &[]));
        assert!(search("(UID 20:*) OR (FLAGGED) (SMALLER 1000)", raw, &[]));
        assert!(!search("UID 21:29", raw, &[]));
        assert!(!search("UID 31:*", raw, &[]));
    }

    #[test]
    fn decodes_encoded_words() {
        assert_eq!(decode_words("=?UTF-8?B?5Lya?= =?utf-8?q?Gr=C3=BC_e?= x"), "会Grü e x");
        assert_eq!(decode_words("plain =?bad"), "plain =?bad");
    }
}
