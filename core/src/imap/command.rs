//! Building IMAP command arguments: strings, literals, UID sets, search
//! criteria and folder names (modified UTF-7).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::{Error, Result};

/// One piece of a command line: text as is, or a literal (`{n+}` / `{n}`).
#[derive(Debug, Clone)]
pub(crate) enum Part {
    Text(String),
    Literal(Vec<u8>),
}

/// A command without its tag, built from parts.
#[derive(Debug, Clone, Default)]
pub(crate) struct Command {
    pub(crate) parts: Vec<Part>,
}

impl Command {
    pub(crate) fn new(text: impl Into<String>) -> Self {
        Command { parts: vec![Part::Text(text.into())] }
    }

    pub(crate) fn text(mut self, text: &str) -> Self {
        match self.parts.last_mut() {
            Some(Part::Text(t)) => t.push_str(text),
            _ => self.parts.push(Part::Text(text.to_owned())),
        }
        self
    }

    /// A string argument: quoted when it can be, else a literal.
    pub(crate) fn string(self, value: &str) -> Self {
        if value.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            let quoted = format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""));
            self.text(&quoted)
        } else {
            self.literal(value.as_bytes().to_vec())
        }
    }

    pub(crate) fn literal(mut self, data: Vec<u8>) -> Self {
        self.parts.push(Part::Literal(data));
        self
    }

    /// A folder name, encoded as modified UTF-7 (RFC 3501 5.1.3).
    pub(crate) fn mailbox(self, name: &str) -> Self {
        self.string(&encode_mailbox(name))
    }

    /// The command's first word, for error messages.
    pub(crate) fn name(&self) -> String {
        match self.parts.first() {
            Some(Part::Text(t)) => {
                let mut words = t.split(' ');
                match (words.next(), words.next()) {
                    (Some("UID"), Some(w)) => format!("UID {w}"),
                    (Some(w), _) => w.to_owned(),
                    _ => String::new(),
                }
            }
            _ => String::new(),
        }
    }
}

/// `1:5,7,9:10` from UIDs (sorted and deduplicated here).
pub(crate) fn uid_set(uids: &[u32]) -> Result<String> {
    let mut v: Vec<u32> = uids.iter().copied().filter(|&u| u > 0).collect();
    if v.len() != uids.len() {
        return Err(Error::config("UID 0 does not exist; UIDs start at 1"));
    }
    if v.is_empty() {
        return Err(Error::config("no UIDs given"));
    }
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let start = v[i];
        let mut end = start;
        while i + 1 < v.len() && v[i + 1] == end + 1 {
            i += 1;
            end = v[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    Ok(out)
}

/// A flag or keyword as IMAP writes it: `\Seen`, `$Forwarded`, `Custom`.
pub(crate) fn check_flag(flag: &str) -> Result<&str> {
    let body = flag.strip_prefix('\\').unwrap_or(flag);
    let atom = |b: u8| b.is_ascii_graphic() && !b"(){%*\"\\]".contains(&b);
    if body.is_empty() || !body.bytes().all(atom) {
        return Err(Error::config(format!("'{flag}' is not a valid IMAP flag or keyword")));
    }
    Ok(flag)
}

pub(crate) fn flag_list(flags: &[&str]) -> Result<String> {
    let checked: Result<Vec<&str>> = flags.iter().map(|f| check_flag(f)).collect();
    Ok(format!("({})", checked?.join(" ")))
}

/// IMAP date (`1-Feb-2024`), UTC.
pub(crate) fn imap_date(t: SystemTime) -> String {
    let (y, m, d, _) = civil(t);
    format!("{d}-{}-{y}", MONTHS[m as usize - 1])
}

/// IMAP date-time for APPEND (`"01-Feb-2024 13:05:09 +0000"`), UTC.
pub(crate) fn imap_datetime(t: SystemTime) -> String {
    let (y, m, d, secs) = civil(t);
    format!("\"{d:02}-{}-{y} {:02}:{:02}:{:02} +0000\"", MONTHS[m as usize - 1], secs / 3600, secs / 60 % 60, secs % 60)
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// (year, month, day, seconds of day) in UTC; dates before 1970 clamp to it.
fn civil(t: SystemTime) -> (i64, u32, u32, u64) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    // Howard Hinnant's days-to-civil algorithm.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d, secs % 86_400)
}

/// Parses an IMAP INTERNALDATE (`17-Jul-1996 02:44:25 -0700`) to Unix seconds.
pub(crate) fn parse_internal_date(s: &str) -> Option<i64> {
    let s = s.trim().trim_matches('"').trim();
    let (date, rest) = s.split_once(' ')?;
    let mut dp = date.split('-');
    let day: i64 = dp.next()?.trim().parse().ok()?;
    let mon_name = dp.next()?;
    let mon = MONTHS.iter().position(|m| m.eq_ignore_ascii_case(mon_name))? as i64 + 1;
    let year: i64 = dp.next()?.parse().ok()?;
    let (time, zone) = rest.trim().split_once(' ')?;
    let mut tp = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, se) = (tp.next()??, tp.next()??, tp.next()??);
    let sign = if zone.starts_with('-') { -1 } else { 1 };
    let z: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    // days-from-civil.
    let (y, m) = if mon <= 2 { (year - 1, mon + 9) } else { (year, mon - 3) };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * m + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + se - offset)
}

/// Search criteria; every field set narrows the result (they are ANDed).
///
/// Text fields match substrings, case-insensitively, as IMAP SEARCH does.
/// Dates compare the server's internal (arrival) date, with day granularity.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchQuery {
    pub seen: Option<bool>,
    pub flagged: Option<bool>,
    pub answered: Option<bool>,
    pub deleted: Option<bool>,
    pub draft: Option<bool>,
    /// Messages carrying each of these custom keywords.
    pub keywords: Vec<String>,
    /// Arrived on or after this day.
    pub since: Option<SystemTime>,
    /// Arrived before this day.
    pub before: Option<SystemTime>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub subject: Option<String>,
    /// Anywhere in the headers or body.
    pub text: Option<String>,
    /// Only UIDs in this inclusive range (`u32::MAX` as the end means `*`).
    pub uid_range: Option<(u32, u32)>,
    /// Raw IMAP search criteria appended as they are, e.g. `LARGER 10000`.
    pub raw: Option<String>,
}

impl SearchQuery {
    pub fn new() -> Self {
        SearchQuery::default()
    }
    pub fn unseen(mut self) -> Self {
        self.seen = Some(false);
        self
    }
    pub fn seen(mut self, seen: bool) -> Self {
        self.seen = Some(seen);
        self
    }
    pub fn flagged(mut self, flagged: bool) -> Self {
        self.flagged = Some(flagged);
        self
    }
    pub fn keyword(mut self, keyword: impl Into<String>) -> Self {
        self.keywords.push(keyword.into());
        self
    }
    pub fn since(mut self, t: SystemTime) -> Self {
        self.since = Some(t);
        self
    }
    pub fn before(mut self, t: SystemTime) -> Self {
        self.before = Some(t);
        self
    }
    pub fn from(mut self, s: impl Into<String>) -> Self {
        self.from = Some(s.into());
        self
    }
    pub fn to(mut self, s: impl Into<String>) -> Self {
        self.to = Some(s.into());
        self
    }
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }
    pub fn text(mut self, s: impl Into<String>) -> Self {
        self.text = Some(s.into());
        self
    }
    pub fn uids(mut self, first: u32, last: u32) -> Self {
        self.uid_range = Some((first, last));
        self
    }
    pub fn raw(mut self, criteria: impl Into<String>) -> Self {
        self.raw = Some(criteria.into());
        self
    }

    /// `UID SEARCH [CHARSET UTF-8] <criteria>`.
    pub(crate) fn to_command(&self) -> Result<Command> {
        let texts = [&self.from, &self.to, &self.subject, &self.text];
        let utf8 = texts.iter().any(|t| t.as_deref().is_some_and(|s| !s.is_ascii()));
        let mut cmd = Command::new(if utf8 { "UID SEARCH CHARSET UTF-8" } else { "UID SEARCH" });
        let mut any = false;
        let mut crit = |cmd: Command, s: &str| {
            any = true;
            cmd.text(" ").text(s)
        };
        for (value, yes, no) in [
            (self.seen, "SEEN", "UNSEEN"),
            (self.flagged, "FLAGGED", "UNFLAGGED"),
            (self.answered, "ANSWERED", "UNANSWERED"),
            (self.deleted, "DELETED", "UNDELETED"),
            (self.draft, "DRAFT", "UNDRAFT"),
        ] {
            if let Some(v) = value {
                cmd = crit(cmd, if v { yes } else { no });
            }
        }
        for k in &self.keywords {
            cmd = crit(cmd, &format!("KEYWORD {}", check_flag(k)?));
        }
        if let Some(t) = self.since {
            cmd = crit(cmd, &format!("SINCE {}", imap_date(t)));
        }
        if let Some(t) = self.before {
            cmd = crit(cmd, &format!("BEFORE {}", imap_date(t)));
        }
        for (key, value) in [("FROM", &self.from), ("TO", &self.to), ("SUBJECT", &self.subject), ("TEXT", &self.text)] {
            if let Some(v) = value {
                cmd = crit(cmd, key).text(" ").string(v);
            }
        }
        if let Some((a, b)) = self.uid_range {
            if a == 0 || b < a {
                return Err(Error::config(format!("invalid UID range {a}..{b}")));
            }
            let end = if b == u32::MAX { "*".to_owned() } else { b.to_string() };
            cmd = crit(cmd, &format!("UID {a}:{end}"));
        }
        if let Some(raw) = &self.raw {
            if raw.contains(['\r', '\n']) || raw.trim().is_empty() {
                return Err(Error::config("raw search criteria must be one non-empty line"));
            }
            cmd = crit(cmd, raw.trim());
        }
        if !any {
            cmd = cmd.text(" ALL");
        }
        Ok(cmd)
    }
}

/// Folder name to modified UTF-7: `&`→`&-`, non-ASCII as `&<base64 of UTF-16>-`.
pub(crate) fn encode_mailbox(name: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if pending.is_empty() {
            return;
        }
        let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes).replace('/', ",");
        out.push('&');
        out.push_str(&b64);
        out.push('-');
        pending.clear();
    };
    for c in name.chars() {
        if (' '..='~').contains(&c) {
            flush(&mut pending, &mut out);
            if c == '&' {
                out.push_str("&-");
            } else {
                out.push(c);
            }
        } else {
            let mut buf = [0u16; 2];
            pending.extend_from_slice(c.encode_utf16(&mut buf));
        }
    }
    flush(&mut pending, &mut out);
    out
}

/// Modified UTF-7 to a folder name; undecodable text is kept as it is.
pub(crate) fn decode_mailbox(name: &str) -> String {
    use base64::Engine as _;
    let mut out = String::new();
    let mut rest = name;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let Some(end) = after.find('-') else {
            out.push_str(&rest[i..]);
            return out;
        };
        let enc = &after[..end];
        if enc.is_empty() {
            out.push('&');
        } else {
            let decoded = base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(enc.replace(',', "/"))
                .ok()
                .filter(|b| b.len() % 2 == 0)
                .and_then(|b| {
                    let units: Vec<u16> = b.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
                    String::from_utf16(&units).ok()
                });
            match decoded {
                Some(s) => out.push_str(&s),
                None => out.push_str(&rest[i..i + 2 + end]),
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn render(cmd: &Command) -> String {
        cmd.parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.clone(),
                Part::Literal(l) => format!("{{{}}}{}", l.len(), String::from_utf8_lossy(l)),
            })
            .collect()
    }

    #[test]
    fn uid_sets_are_compressed() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 9, 10, 7, 3]).unwrap(), "1:3,5,7,9:10");
        assert!(uid_set(&[]).is_err());
        assert!(uid_set(&[0]).is_err());
    }

    #[test]
    fn mailbox_names_round_trip_modified_utf7() {
        // RFC 3501 5.1.3 example.
        assert_eq!(encode_mailbox("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(decode_mailbox("~peter/mail/&U,BTFw-/&ZeVnLIqe-"), "~peter/mail/台北/日本語");
        assert_eq!(encode_mailbox("A&B"), "A&-B");
        assert_eq!(decode_mailbox("A&-B"), "A&B");
        assert_eq!(decode_mailbox("bad&!!-x"), "bad&!!-x");
    }

    #[test]
    fn search_criteria() {
        let q = SearchQuery::new()
            .unseen()
            .from("alice@example.test")
            .since(UNIX_EPOCH + Duration::from_secs(86_400 * 366));
        assert_eq!(render(&q.to_command().unwrap()), "UID SEARCH UNSEEN SINCE 2-Jan-1971 FROM \"alice@example.test\"");
        let q = SearchQuery::new().subject("会议").uids(10, u32::MAX).raw("LARGER 100");
        assert_eq!(render(&q.to_command().unwrap()), "UID SEARCH CHARSET UTF-8 SUBJECT {6}会议 UID 10:* LARGER 100");
        assert_eq!(render(&SearchQuery::new().to_command().unwrap()), "UID SEARCH ALL");
        assert!(SearchQuery::new().raw("ALL\r\nA1 DELETE INBOX").to_command().is_err());
        assert!(SearchQuery::new().keyword("bad keyword").to_command().is_err());
        assert!(SearchQuery::new().uids(5, 1).to_command().is_err());
    }

    #[test]
    fn quoting_escapes_and_falls_back_to_literals() {
        assert_eq!(render(&Command::new("X ").string("a\"b\\c")), "X \"a\\\"b\\\\c\"");
        assert_eq!(render(&Command::new("X ").string("a\r\nb")), "X {4}a\r\nb");
    }

    #[test]
    fn dates() {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000); // 2023-11-14 22:13:20 UTC
        assert_eq!(imap_date(t), "14-Nov-2023");
        assert_eq!(imap_datetime(t), "\"14-Nov-2023 22:13:20 +0000\"");
        assert_eq!(parse_internal_date("14-Nov-2023 23:13:20 +0100"), Some(1_700_000_000));
        assert_eq!(parse_internal_date(" 1-Mar-2024 00:00:00 +0000"), Some(1_709_251_200));
        assert_eq!(parse_internal_date("garbage"), None);
    }

    #[test]
    fn flags_are_checked() {
        assert_eq!(flag_list(&["\\Seen", "$Label1"]).unwrap(), "(\\Seen $Label1)");
        assert!(flag_list(&["a b"]).is_err());
        assert!(flag_list(&["x)"]).is_err());
    }
}
