//! Folder names on the wire (modified UTF-7, RFC 3501 5.1.3), Exchange's well-known folders
//! with their special-use attributes (RFC 6154), and LIST pattern matching.

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;

pub(crate) const DELIMITER: char = '/';

/// Exchange Online's default folders and their RFC 6154 attributes.
pub(crate) const WELL_KNOWN: [(&str, &str); 5] = [
    ("Drafts", "\\Drafts"),
    ("Sent Items", "\\Sent"),
    ("Deleted Items", "\\Trash"),
    ("Junk Email", "\\Junk"),
    ("Archive", "\\Archive"),
];

pub(crate) fn special_use(name: &str) -> Option<&'static str> {
    WELL_KNOWN.iter().find(|(n, _)| *n == name).map(|(_, attr)| *attr)
}

/// UTF-8 name to modified UTF-7.
pub(crate) fn encode(name: &str) -> String {
    let mut out = String::new();
    let mut pending: Vec<u16> = Vec::new();
    let flush = |pending: &mut Vec<u16>, out: &mut String| {
        if !pending.is_empty() {
            let bytes: Vec<u8> = pending.iter().flat_map(|u| u.to_be_bytes()).collect();
            out.push('&');
            out.push_str(&STANDARD_NO_PAD.encode(bytes).replace('/', ","));
            out.push('-');
            pending.clear();
        }
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

/// Modified UTF-7 to UTF-8; None if it is not valid modified UTF-7.
pub(crate) fn decode(wire: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(wire).ok()?;
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find('-')?;
        let encoded = &after[..end];
        if encoded.is_empty() {
            out.push('&');
        } else {
            let bytes = STANDARD_NO_PAD.decode(encoded.replace(',', "/")).ok()?;
            if bytes.len() % 2 != 0 {
                return None;
            }
            let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            out.push_str(&String::from_utf16(&units).ok()?);
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Some(out)
}

/// Whether `name` matches a LIST pattern (`*` anything, `%` anything but the delimiter).
/// INBOX matches case-insensitively.
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    fn go(p: &[char], n: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| go(&p[1..], &n[i..])),
            Some('%') => (0..=n.len()).take_while(|&i| i == 0 || n[i - 1] != DELIMITER).any(|i| go(&p[1..], &n[i..])),
            Some(c) => n.first() == Some(c) && go(&p[1..], &n[1..]),
        }
    }
    let fold = |s: &str| -> Vec<char> {
        match s.get(..5) {
            Some(head) if head.eq_ignore_ascii_case("INBOX") => format!("INBOX{}", &s[5..]).chars().collect(),
            _ => s.chars().collect(),
        }
    };
    go(&fold(pattern), &fold(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modified_utf7_round_trips() {
        assert_eq!(encode("~peter/mail/台北/日本語"), "~peter/mail/&U,BTFw-/&ZeVnLIqe-");
        assert_eq!(decode(b"~peter/mail/&U,BTFw-/&ZeVnLIqe-").unwrap(), "~peter/mail/台北/日本語");
        assert_eq!(encode("A&B"), "A&-B");
        assert_eq!(decode(b"A&-B").unwrap(), "A&B");
        assert!(decode(b"bad&!!").is_none());
    }

    #[test]
    fn list_patterns() {
        assert!(matches("*", "Archive/2026"));
        assert!(!matches("%", "Archive/2026"));
        assert!(matches("Archive/%", "Archive/2026"));
        assert!(matches("inbox", "INBOX"));
        assert!(matches("Sent*", "Sent Items"));
        assert!(!matches("Sent", "Sent Items"));
    }
}
