//! FETCH responses read in place, for listings. Through imap-proto's general parser,
//! decoding 10,000 summaries took more client time than Dovecot took to send them (perf,
//! issue 9); this reader borrows from the response and allocates only for lists.

use std::borrow::Cow;

/// One value of a FETCH response.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A number, a flag, `NIL`, or an item name such as `BODY[HEADER.FIELDS (DATE)]`.
    Atom(&'a [u8]),
    /// A quoted string (unescaped) or a literal.
    Str(Cow<'a, [u8]>),
    List(Vec<Value<'a>>),
}

impl Value<'_> {
    /// The bytes of a string; `None` for `NIL`, atoms and lists.
    pub(crate) fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn list(&self) -> Option<&[Value<'_>]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    pub(crate) fn number(&self) -> Option<u64> {
        match self {
            Value::Atom(a) => std::str::from_utf8(a).ok()?.parse().ok(),
            _ => None,
        }
    }

    /// A string equal to `s`, ignoring ASCII case.
    pub(crate) fn is(&self, s: &str) -> bool {
        self.bytes().is_some_and(|b| b.eq_ignore_ascii_case(s.as_bytes()))
    }
}

/// BODYSTRUCTURE nests one list per MIME level; deeper input is refused rather than
/// followed (recursion).
const MAX_DEPTH: usize = 64;

/// The item names and values of `* <n> FETCH (...)`; `None` when `resp` is not a
/// well-formed FETCH response.
pub(crate) fn items(resp: &[u8]) -> Option<Vec<(&[u8], Value<'_>)>> {
    let mut r = Reader { buf: resp, pos: 0, depth: 0 };
    r.expect(b"* ")?;
    let number = r.atom()?;
    r.expect(b" ")?;
    let fetch = r.atom()?;
    if !number.iter().all(u8::is_ascii_digit) || !fetch.eq_ignore_ascii_case(b"FETCH") {
        return None;
    }
    r.expect(b" (")?;
    let mut items = Vec::with_capacity(8); // a listing row has six
    loop {
        r.spaces();
        if r.peek()? == b')' {
            return Some(items);
        }
        let name = r.atom()?;
        items.push((name, r.value()?));
    }
}

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    depth: usize,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn spaces(&mut self) {
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
    }

    fn expect(&mut self, s: &[u8]) -> Option<()> {
        let end = self.pos.checked_add(s.len())?;
        (self.buf.get(self.pos..end)? == s).then(|| self.pos = end)
    }

    fn value(&mut self) -> Option<Value<'a>> {
        self.spaces();
        match self.peek()? {
            b'(' => self.list().map(Value::List),
            b'"' => self.quoted().map(Value::Str),
            b'{' => self.literal().map(|s| Value::Str(Cow::Borrowed(s))),
            _ => self.atom().map(Value::Atom),
        }
    }

    fn list(&mut self) -> Option<Vec<Value<'a>>> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return None;
        }
        self.pos += 1;
        let mut values = Vec::new();
        loop {
            self.spaces();
            if self.peek()? == b')' {
                self.pos += 1;
                self.depth -= 1;
                return Some(values);
            }
            values.push(self.value()?);
        }
    }

    fn quoted(&mut self) -> Option<Cow<'a, [u8]>> {
        let buf = self.buf;
        self.pos += 1;
        let start = self.pos;
        // Only a string with escapes is copied.
        let mut unescaped: Option<Vec<u8>> = None;
        loop {
            let b = self.peek()?;
            self.pos += 1;
            match b {
                b'"' => {
                    return Some(match unescaped {
                        Some(v) => Cow::Owned(v),
                        None => Cow::Borrowed(&buf[start..self.pos - 1]),
                    });
                }
                b'\\' => {
                    let escaped = self.peek()?;
                    unescaped.get_or_insert_with(|| buf[start..self.pos - 1].to_vec()).push(escaped);
                    self.pos += 1;
                }
                b'\r' | b'\n' => return None,
                _ => {
                    if let Some(v) = unescaped.as_mut() {
                        v.push(b);
                    }
                }
            }
        }
    }

    /// `{n}` CRLF and n bytes.
    fn literal(&mut self) -> Option<&'a [u8]> {
        let close = self.pos + self.buf[self.pos..].iter().position(|&b| b == b'}')?;
        let digits = &self.buf[self.pos + 1..close];
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let n: usize = std::str::from_utf8(digits).ok()?.parse().ok()?;
        self.pos = close + 1;
        if self.expect(b"\r\n").is_none() {
            self.expect(b"\n")?; // read_line accepts a bare LF, so a literal may follow one
        }
        let end = self.pos.checked_add(n)?;
        let data = self.buf.get(self.pos..end)?;
        self.pos = end;
        Some(data)
    }

    /// An atom; a `[...]` section in it may hold spaces and parentheses.
    fn atom(&mut self) -> Option<&'a [u8]> {
        let start = self.pos;
        while let Some(b) = self.peek() {
            match b {
                b'[' => {
                    let close = self.buf[self.pos..].iter().position(|&b| b == b']')?;
                    self.pos += close + 1;
                }
                b' ' | b'(' | b')' | b'"' | b'{' | b'\r' | b'\n' => break,
                _ => self.pos += 1,
            }
        }
        (self.pos > start).then(|| &self.buf[start..self.pos])
    }
}

/// Whether a BODYSTRUCTURE names an attachment: a part whose disposition says so, or a
/// named non-text leaf not marked inline (some mailers omit the disposition).
pub(crate) fn has_attachments(body: &[Value<'_>]) -> bool {
    if matches!(body.first(), Some(Value::List(_))) {
        // Multipart: the parts come first, then the subtype and extension data.
        return body.iter().map_while(Value::list).any(has_attachments);
    }
    let text = body.first().is_some_and(|t| t.is("text"));
    let message = body.first().is_some_and(|t| t.is("message")) && body.get(1).is_some_and(|s| s.is("rfc822"));
    // body-fields end at index 6; text adds its line count, message/rfc822 an envelope, a
    // body and a line count; then come MD5 and the disposition.
    let disposition_at = if text {
        9
    } else if message {
        11
    } else {
        8
    };
    let disposition = body.get(disposition_at).and_then(Value::list);
    let kind = disposition.and_then(|d| d.first());
    if kind.is_some_and(|k| k.is("attachment")) {
        return true;
    }
    let named = has_param(body.get(2), "name") || has_param(disposition.and_then(|d| d.get(1)), "filename");
    named && !text && !kind.is_some_and(|k| k.is("inline"))
}

/// Whether a parameter list `("key" "value" ...)` has `key`, also in RFC 2231 form
/// (`name*`, `name*0*`: Dovecot passes non-ASCII file names on that way).
fn has_param(params: Option<&Value<'_>>, key: &str) -> bool {
    let matches = |k: &[u8]| {
        k.len() >= key.len()
            && k[..key.len()].eq_ignore_ascii_case(key.as_bytes())
            && (k.len() == key.len() || k[key.len()] == b'*')
    };
    params.and_then(Value::list).is_some_and(|p| p.iter().step_by(2).filter_map(Value::bytes).any(matches))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(s: &str) -> bool {
        let resp = format!("* 1 FETCH (BODYSTRUCTURE {s})\r\n");
        let items = items(resp.as_bytes()).expect("parses");
        has_attachments(items[0].1.list().expect("a list"))
    }

    #[test]
    fn reads_every_kind_of_value() {
        let hdr = "Subject: x\r\n\r\n";
        let resp = format!(
            "* 12 FETCH (UID 7 FLAGS (\\Seen $Work) INTERNALDATE \"1-Jan-2024 10:00:00 +0000\" \
             X-ESC \"a\\\"b\\\\c\" BODY[HEADER.FIELDS (DATE SUBJECT)] {{{}}}\r\n{hdr} BODY[TEXT]<0> NIL)\r\n",
            hdr.len()
        );
        let items = items(resp.as_bytes()).unwrap();
        let names: Vec<&[u8]> = items.iter().map(|(n, _)| *n).collect();
        assert_eq!(
            names,
            [&b"UID"[..], b"FLAGS", b"INTERNALDATE", b"X-ESC", b"BODY[HEADER.FIELDS (DATE SUBJECT)]", b"BODY[TEXT]<0>"]
        );
        assert_eq!(items[0].1.number(), Some(7));
        assert_eq!(items[1].1, Value::List(vec![Value::Atom(b"\\Seen"), Value::Atom(b"$Work")]));
        assert_eq!(items[2].1.bytes(), Some(&b"1-Jan-2024 10:00:00 +0000"[..]));
        assert_eq!(items[3].1.bytes(), Some(&b"a\"b\\c"[..]));
        assert_eq!(items[4].1.bytes(), Some(hdr.as_bytes()));
        assert_eq!(items[5].1, Value::Atom(b"NIL"));
    }

    #[test]
    fn refuses_what_is_not_a_whole_fetch() {
        for bad in [
            &b"* OK [UIDVALIDITY 1] x\r\n"[..],
            b"* 1 FETCH (UID 1\r\n",
            b"* 1 FETCH (BODY[] {10}\r\nshort)\r\n",
            b"* 1 FETCH (X \"unterminated\r\n",
            b"* 1 FETCH (BODY[HEADER {3}\r\nabc)\r\n",
            b"* x FETCH (UID 1)\r\n",
            b"",
        ] {
            assert!(items(bad).is_none(), "{}", String::from_utf8_lossy(bad));
        }
        let deep = format!("* 1 FETCH (X {}{})\r\n", "(".repeat(100), ")".repeat(100));
        assert!(items(deep.as_bytes()).is_none());
    }

    #[test]
    fn finds_attachments_in_bodystructures() {
        let text = r#"("text" "plain" ("charset" "utf-8") NIL NIL "7bit" 10 1 NIL NIL NIL NIL)"#;
        let pdf = r#"("application" "pdf" ("name" "a.pdf") NIL NIL "base64" 100 NIL ("attachment" ("filename" "a.pdf")) NIL NIL)"#;
        let inline_png = r#"("image" "png" ("name" "logo.png") "<logo>" NIL "base64" 100 NIL ("inline" ("filename" "logo.png")) NIL NIL)"#;
        let named_no_disposition = r#"("application" "octet-stream" ("name" "x.bin") NIL NIL "base64" 10)"#;
        let rfc2231_named = r#"("application" "pdf" ("name*" "UTF-8''%E6%8A%A5.pdf") NIL NIL "base64" 10)"#;
        let namesake = r#"("application" "pdf" ("names" "x") NIL NIL "base64" 10)"#;
        let named_text = r#"("text" "plain" ("name" "notes.txt") NIL NIL "7bit" 10 1)"#;
        let text_attachment = r#"("text" "csv" NIL NIL NIL "7bit" 10 1 NIL ("attachment" NIL) NIL NIL)"#;
        let forwarded = r#"("message" "rfc822" NIL NIL NIL "7bit" 300 (NIL "Fwd" NIL NIL NIL NIL NIL NIL NIL NIL) ("text" "plain" NIL NIL NIL "7bit" 3 1) 10 NIL ("attachment" ("filename" "fwd.eml")) NIL NIL)"#;
        assert!(!body(text));
        assert!(body(pdf));
        assert!(!body(inline_png));
        assert!(body(named_no_disposition));
        assert!(body(rfc2231_named));
        assert!(!body(namesake));
        assert!(!body(named_text));
        assert!(body(text_attachment));
        assert!(body(forwarded));
        let mixed = |parts: &str| format!(r#"({parts} "mixed" ("boundary" "x") NIL NIL NIL)"#);
        assert!(body(&mixed(&format!("{text}{pdf}"))));
        assert!(!body(&mixed(&format!("{text}{inline_png}"))));
        // Nested: alternative inside related inside mixed.
        let alternative = format!(r#"({text}{text} "alternative")"#);
        assert!(!body(&format!(r#"({alternative}{inline_png} "related")"#)));
        assert!(body(&mixed(&format!(r#"({alternative}{inline_png} "related"){pdf}"#))));
        // The multipart's own parameters ("boundary" ...) are not taken for a part.
        assert!(!body(&format!(r#"({text} "mixed" ("name" "x") NIL NIL NIL)"#)));
    }
}
