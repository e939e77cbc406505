//! FETCH data items (RFC 3501 6.4.5 / 7.4.2): parsing the request and rendering one message.

use std::io::Write;

use super::mime::Part;
use super::syntax::{PResult, Parser, format_internal_date, write_literal};

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum SectionText {
    Full,
    Header,
    HeaderFields(Vec<String>, bool),
    Text,
    Mime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Uid,
    Flags,
    InternalDate,
    Size,
    Envelope,
    BodyStructure,
    /// `BODY` without a section: the non-extensible structure.
    Body,
    Section {
        path: Vec<u32>,
        text: SectionText,
        peek: bool,
        partial: Option<(u32, u32)>,
    },
    Rfc822,
    Rfc822Header,
    Rfc822Text,
}

impl Item {
    /// Whether fetching it marks the message \Seen.
    pub fn sets_seen(&self) -> bool {
        matches!(self, Item::Section { peek: false, .. } | Item::Rfc822 | Item::Rfc822Text)
    }

    /// Whether it returns message content (where a fault can cut the connection).
    pub fn is_content(&self) -> bool {
        matches!(self, Item::Section { .. } | Item::Rfc822 | Item::Rfc822Header | Item::Rfc822Text)
    }
}

/// The item list after `FETCH <set> `: one item, a macro, or a parenthesized list.
pub(crate) fn parse_items(p: &mut Parser) -> PResult<Vec<Item>> {
    let mut items = Vec::new();
    if p.eat(b'(') {
        loop {
            items.push(parse_item(p)?);
            if p.eat(b')') {
                break;
            }
            p.sp()?;
        }
    } else {
        let start = p.peek();
        let word = if start.is_some_and(|b| b.is_ascii_alphabetic()) { peek_word(p) } else { String::new() };
        match word.to_ascii_uppercase().as_str() {
            "ALL" | "FAST" | "FULL" => {
                p.atom()?;
                items.extend([Item::Flags, Item::InternalDate, Item::Size]);
                match word.to_ascii_uppercase().as_str() {
                    "ALL" => items.push(Item::Envelope),
                    "FULL" => items.extend([Item::Envelope, Item::Body]),
                    _ => {}
                }
            }
            _ => items.push(parse_item(p)?),
        }
    }
    Ok(items)
}

fn peek_word(p: &Parser) -> String {
    let mut copy = Parser::new(p.remaining());
    copy.atom().unwrap_or_default()
}

fn name_chars(p: &mut Parser) -> String {
    let bytes = p.take_while(|b| b.is_ascii_alphanumeric() || b == b'.');
    String::from_utf8_lossy(bytes).to_ascii_uppercase()
}

fn parse_item(p: &mut Parser) -> PResult<Item> {
    let name = name_chars(p);
    let item = match name.as_str() {
        "UID" => Item::Uid,
        "FLAGS" => Item::Flags,
        "INTERNALDATE" => Item::InternalDate,
        "RFC822.SIZE" => Item::Size,
        "ENVELOPE" => Item::Envelope,
        "BODYSTRUCTURE" => Item::BodyStructure,
        "RFC822" => Item::Rfc822,
        "RFC822.HEADER" => Item::Rfc822Header,
        "RFC822.TEXT" => Item::Rfc822Text,
        "BODY" | "BODY.PEEK" if p.peek() == Some(b'[') => {
            p.expect(b'[')?;
            let (path, text) = parse_section(p)?;
            p.expect(b']')?;
            let partial = if p.eat(b'<') {
                let origin = p.number()? as u32;
                p.expect(b'.')?;
                let count = p.number()? as u32;
                p.expect(b'>')?;
                Some((origin, count))
            } else {
                None
            };
            Item::Section { path, text, peek: name == "BODY.PEEK", partial }
        }
        "BODY" => Item::Body,
        other => return Err(format!("unknown fetch attribute '{other}'")),
    };
    Ok(item)
}

fn parse_section(p: &mut Parser) -> PResult<(Vec<u32>, SectionText)> {
    let spec = name_chars(p);
    let mut path = Vec::new();
    let mut words = spec.split('.').peekable();
    while let Some(w) = words.peek() {
        match w.parse::<u32>() {
            Ok(0) => return Err("section part 0 does not exist".into()),
            Ok(n) => {
                path.push(n);
                words.next();
            }
            Err(_) => break,
        }
    }
    let text: Vec<&str> = words.collect();
    let text = match text.join(".").as_str() {
        "" => SectionText::Full,
        "HEADER" => SectionText::Header,
        "TEXT" => SectionText::Text,
        "MIME" if !path.is_empty() => SectionText::Mime,
        fields @ ("HEADER.FIELDS" | "HEADER.FIELDS.NOT") => {
            p.sp()?;
            p.expect(b'(')?;
            let mut names = Vec::new();
            loop {
                names.push(String::from_utf8_lossy(&p.astring()?).into_owned());
                if p.eat(b')') {
                    break;
                }
                p.sp()?;
            }
            SectionText::HeaderFields(names, fields.ends_with(".NOT"))
        }
        other => return Err(format!("invalid section '{other}'")),
    };
    Ok((path, text))
}

/// The bytes a section names; empty when the part does not exist.
fn section_data(root: &Part, raw: &[u8], path: &[u32], text: &SectionText) -> Vec<u8> {
    let Some(part) = root.part_at(path) else {
        return Vec::new();
    };
    // HEADER/TEXT of a part path refer to the message inside a message/rfc822 part.
    let message = if path.is_empty() { Some(part) } else { part.message.as_deref() };
    match text {
        SectionText::Full if path.is_empty() => raw.to_vec(),
        SectionText::Full => part.body.to_vec(),
        SectionText::Mime => part.header.raw.to_vec(),
        SectionText::Header => message.map_or(Vec::new(), |m| m.header.raw.to_vec()),
        SectionText::HeaderFields(names, not) => message.map_or(Vec::new(), |m| m.header.select(names, *not)),
        SectionText::Text => message.map_or(Vec::new(), |m| m.body.to_vec()),
    }
}

fn section_label(path: &[u32], text: &SectionText) -> String {
    let mut label: Vec<String> = path.iter().map(u32::to_string).collect();
    match text {
        SectionText::Full => {}
        SectionText::Header => label.push("HEADER".into()),
        SectionText::Text => label.push("TEXT".into()),
        SectionText::Mime => label.push("MIME".into()),
        SectionText::HeaderFields(names, not) => {
            let kind = if *not { "HEADER.FIELDS.NOT" } else { "HEADER.FIELDS" };
            label.push(format!("{kind} ({})", names.join(" ")));
        }
    }
    format!("BODY[{}]", label.join("."))
}

/// One message as FETCH shows it.
pub(crate) struct Message<'a> {
    pub seq: u32,
    pub uid: u32,
    pub flags: &'a [String],
    pub internal_date: i64,
    pub raw: &'a [u8],
}

/// Where rendering stopped: everything, or cut in the middle of the first content literal.
pub(crate) enum Rendered {
    Complete,
    Cut,
}

/// Writes `* seq FETCH (...)` for `items`; with `cut`, stops halfway through the first
/// content literal (the caller then drops the connection).
pub(crate) fn render(out: &mut Vec<u8>, m: &Message, items: &[Item], cut: bool) -> Rendered {
    let parsed = std::cell::OnceCell::new();
    let part = || parsed.get_or_init(|| Part::parse(m.raw));
    let w = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());
    write!(out, "* {} FETCH (", m.seq).expect("writing to a Vec cannot fail");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let content = match item {
            Item::Uid => {
                w(out, &format!("UID {}", m.uid));
                continue;
            }
            Item::Flags => {
                w(out, &format!("FLAGS ({})", m.flags.join(" ")));
                continue;
            }
            Item::InternalDate => {
                w(out, &format!("INTERNALDATE {}", format_internal_date(m.internal_date)));
                continue;
            }
            Item::Size => {
                w(out, &format!("RFC822.SIZE {}", m.raw.len()));
                continue;
            }
            Item::Envelope => {
                w(out, "ENVELOPE ");
                part().write_envelope(out);
                continue;
            }
            Item::BodyStructure | Item::Body => {
                let extended = *item == Item::BodyStructure;
                w(out, if extended { "BODYSTRUCTURE " } else { "BODY " });
                part().write_structure(out, extended);
                continue;
            }
            Item::Rfc822 => {
                w(out, "RFC822 ");
                m.raw.to_vec()
            }
            Item::Rfc822Header => {
                w(out, "RFC822.HEADER ");
                part().header.raw.to_vec()
            }
            Item::Rfc822Text => {
                w(out, "RFC822.TEXT ");
                part().body.to_vec()
            }
            Item::Section { path, text, partial, .. } => {
                w(out, &section_label(path, text));
                let data = section_data(part(), m.raw, path, text);
                match partial {
                    Some((origin, count)) => {
                        w(out, &format!("<{origin}> "));
                        let start = (*origin as usize).min(data.len());
                        let end = start.saturating_add(*count as usize).min(data.len());
                        data[start..end].to_vec()
                    }
                    None => {
                        out.push(b' ');
                        data
                    }
                }
            }
        };
        if cut {
            write!(out, "{{{}}}\r\n", content.len()).expect("writing to a Vec cannot fail");
            out.extend_from_slice(&content[..content.len() / 2]);
            return Rendered::Cut;
        }
        write_literal(out, &content);
    }
    out.extend_from_slice(b")\r\n");
    Rendered::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAW: &[u8] = b"Subject: hi\r\nFrom: a@b.c\r\nTo: d@e.f\r\n\r\nbody text\r\n";

    fn fetch(items: &str) -> String {
        let mut p = Parser::new(items.as_bytes());
        let items = parse_items(&mut p).unwrap();
        assert!(p.at_end(), "{items:?}");
        let flags = vec!["\\Seen".to_string()];
        let m = Message { seq: 1, uid: 7, flags: &flags, internal_date: 0, raw: RAW };
        let mut out = Vec::new();
        render(&mut out, &m, &items, false);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn sections_and_partials() {
        assert_eq!(
            fetch("(UID BODY.PEEK[HEADER.FIELDS (SUBJECT to)])"),
            "* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT to)] {26}\r\nSubject: hi\r\nTo: d@e.f\r\n\r\n)\r\n"
        );
        assert_eq!(fetch("BODY[]<5.3>"), "* 1 FETCH (BODY[]<5> {3}\r\nct:)\r\n");
        assert_eq!(fetch("BODY.PEEK[TEXT]"), "* 1 FETCH (BODY[TEXT] {11}\r\nbody text\r\n)\r\n");
        assert_eq!(fetch("BODY[1]"), "* 1 FETCH (BODY[1] {11}\r\nbody text\r\n)\r\n");
        assert!(
            fetch("FAST")
                .starts_with("* 1 FETCH (FLAGS (\\Seen) INTERNALDATE \"01-Jan-1970 00:00:00 +0000\" RFC822.SIZE 50)")
        );
        assert!(fetch("(RFC822.HEADER)").contains("RFC822.HEADER {39}\r\nSubject"));
    }

    #[test]
    fn rejects_bad_items() {
        for bad in ["(UID NOPE)", "BODY[0]", "BODY[HEADER.FIELDS]", "BODY[MIME]"] {
            assert!(parse_items(&mut Parser::new(bad.as_bytes())).is_err(), "{bad}");
        }
    }
}
