//! Just enough MIME (RFC 2045/2046/5322) for an IMAP server: the part tree with byte ranges,
//! header fields, ENVELOPE and BODYSTRUCTURE. Header values are kept as they are on the wire
//! (RFC 2047 encoded words included); the client decodes them.

use super::syntax::{write_nstring, write_string};

/// A header block split into fields; each field keeps its raw lines (folding included).
pub(crate) struct Header<'a> {
    /// The whole block including the blank line that ends it (if present).
    pub raw: &'a [u8],
    fields: Vec<(&'a str, &'a [u8])>,
}

/// Splits `data` into header block and body at the first empty line.
fn split_header(data: &[u8]) -> (&[u8], &[u8]) {
    let mut pos = 0;
    loop {
        if data[pos..].starts_with(b"\r\n") {
            return data.split_at(pos + 2);
        }
        if data[pos..].starts_with(b"\n") {
            return data.split_at(pos + 1);
        }
        match data[pos..].iter().position(|&b| b == b'\n') {
            Some(i) => pos += i + 1,
            None => return (data, &[]),
        }
    }
}

impl<'a> Header<'a> {
    fn parse(raw: &'a [u8]) -> Header<'a> {
        let mut fields: Vec<(&'a str, &'a [u8])> = Vec::new();
        let mut pos = 0;
        while pos < raw.len() {
            let end = raw[pos..].iter().position(|&b| b == b'\n').map_or(raw.len(), |i| pos + i + 1);
            let line = &raw[pos..end];
            if matches!(line.first(), Some(b' ' | b'\t')) {
                // A continuation line belongs to the field before it.
                if let Some(last) = fields.last_mut() {
                    let start = last.1.as_ptr() as usize - raw.as_ptr() as usize;
                    last.1 = &raw[start..end];
                }
            } else if let Some(colon) = line.iter().position(|&b| b == b':')
                && let Ok(name) = std::str::from_utf8(&line[..colon])
            {
                fields.push((name.trim(), line));
            }
            pos = end;
        }
        Header { raw, fields }
    }

    /// The unfolded, trimmed value of the first field named `name`.
    pub fn value(&self, name: &str) -> Option<String> {
        self.fields.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(n, line)| {
            let text = String::from_utf8_lossy(&line[n.len() + 1..]);
            let unfolded: String = text.chars().filter(|&c| c != '\r' && c != '\n').collect();
            unfolded.trim().to_string()
        })
    }

    /// The raw lines of the fields whose names are (or, with `not`, are not) in `names`,
    /// followed by the empty line (RFC 3501 BODY[HEADER.FIELDS ...]).
    pub fn select(&self, names: &[String], not: bool) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, line) in &self.fields {
            if names.iter().any(|n| n.eq_ignore_ascii_case(name)) != not {
                out.extend_from_slice(line);
                if !line.ends_with(b"\n") {
                    out.extend_from_slice(b"\r\n");
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        out
    }
}

/// One MIME entity: its header, its body, and its children.
pub(crate) struct Part<'a> {
    pub header: Header<'a>,
    pub body: &'a [u8],
    pub media_type: String,
    pub subtype: String,
    pub params: Vec<(String, String)>,
    /// Parts of a multipart body.
    pub children: Vec<Part<'a>>,
    /// The message inside a message/rfc822 body.
    pub message: Option<Box<Part<'a>>>,
}

/// `type/subtype; a=b; c="d"` into (type, subtype, params), lower-cased names.
fn parse_content_type(value: &str) -> (String, String, Vec<(String, String)>) {
    let mut pieces = split_params(value).into_iter();
    let mime = pieces.next().unwrap_or_default();
    let (t, s) = mime.split_once('/').unwrap_or(("", ""));
    let (t, s) = (t.trim().to_ascii_lowercase(), s.trim().to_ascii_lowercase());
    let params = pieces.filter_map(|p| param(&p)).collect();
    if t.is_empty() || s.is_empty() {
        return ("text".into(), "plain".into(), vec![("charset".into(), "us-ascii".into())]);
    }
    (t, s, params)
}

/// Splits at `;` outside quotes.
fn split_params(value: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut escaped = false;
    for c in value.chars() {
        let current = out.last_mut().expect("never empty");
        if escaped {
            current.push(c);
            escaped = false;
        } else if c == '\\' && quoted {
            current.push(c);
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
            current.push(c);
        } else if c == ';' && !quoted {
            out.push(String::new());
        } else {
            current.push(c);
        }
    }
    out.into_iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect()
}

fn param(text: &str) -> Option<(String, String)> {
    let (name, value) = text.split_once('=')?;
    let value = value.trim();
    let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => inner.replace("\\\"", "\"").replace("\\\\", "\\"),
        None => value.to_string(),
    };
    Some((name.trim().to_ascii_lowercase(), value))
}

/// The parts between the boundaries of a multipart body.
fn split_multipart<'a>(body: &'a [u8], boundary: &str) -> Vec<&'a [u8]> {
    let delimiter = format!("--{boundary}");
    let mut parts = Vec::new();
    let mut start: Option<usize> = None;
    let mut pos = 0;
    while pos < body.len() {
        let end = body[pos..].iter().position(|&b| b == b'\n').map_or(body.len(), |i| pos + i + 1);
        let line = &body[pos..end];
        let trimmed = line.trim_ascii_end();
        if trimmed.starts_with(delimiter.as_bytes()) {
            let rest = &trimmed[delimiter.len()..];
            let closing = rest.starts_with(b"--");
            if rest.is_empty() || closing {
                if let Some(s) = start {
                    // The line break before a delimiter belongs to the delimiter.
                    let mut e = pos;
                    if e > s && body[e - 1] == b'\n' {
                        e -= 1;
                        if e > s && body[e - 1] == b'\r' {
                            e -= 1;
                        }
                    }
                    parts.push(&body[s..e.max(s)]);
                }
                if closing {
                    return parts;
                }
                start = Some(end);
            }
        }
        pos = end;
    }
    if let Some(s) = start {
        parts.push(&body[s..]);
    }
    parts
}

impl<'a> Part<'a> {
    /// Parses a whole message (or a part with its MIME header).
    pub fn parse(data: &'a [u8]) -> Part<'a> {
        Part::parse_with_default(data, false)
    }

    fn parse_with_default(data: &'a [u8], digest: bool) -> Part<'a> {
        let (raw_header, body) = split_header(data);
        let header = Header::parse(raw_header);
        let (media_type, subtype, params) = match header.value("content-type") {
            Some(v) => parse_content_type(&v),
            None if digest => ("message".into(), "rfc822".into(), Vec::new()),
            None => ("text".into(), "plain".into(), vec![("charset".into(), "us-ascii".into())]),
        };
        let mut part = Part { header, body, media_type, subtype, params, children: Vec::new(), message: None };
        if part.media_type == "multipart" {
            let boundary = part.param("boundary").map(str::to_string);
            let digest = part.subtype == "digest";
            if let Some(b) = boundary {
                part.children =
                    split_multipart(body, &b).into_iter().map(|p| Part::parse_with_default(p, digest)).collect();
            }
        } else if part.is_message() {
            part.message = Some(Box::new(Part::parse(body)));
        }
        part
    }

    fn is_message(&self) -> bool {
        self.media_type == "message" && self.subtype == "rfc822"
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// The part at an IMAP section path (`1.2` as `[1, 2]`; empty: this part).
    pub fn part_at(&self, path: &[u32]) -> Option<&Part<'a>> {
        let mut cur = self;
        for &n in path {
            let container = match &cur.message {
                Some(inner) => inner.as_ref(),
                None => cur,
            };
            cur = if !container.children.is_empty() || container.media_type == "multipart" {
                container.children.get((n as usize).checked_sub(1)?)?
            } else if n == 1 {
                container
            } else {
                return None;
            };
        }
        Some(cur)
    }

    /// ENVELOPE of this message (RFC 3501 7.4.2).
    pub fn write_envelope(&self, out: &mut Vec<u8>) {
        let h = &self.header;
        out.push(b'(');
        for name in ["date", "subject"] {
            write_nstring(out, h.value(name).as_deref().map(str::as_bytes));
            out.push(b' ');
        }
        let from = h.value("from");
        // Sender and Reply-To default to From.
        for (name, fallback) in [
            ("from", None),
            ("sender", from.as_deref()),
            ("reply-to", from.as_deref()),
            ("to", None),
            ("cc", None),
            ("bcc", None),
        ] {
            let value = h.value(name).filter(|v| !v.is_empty());
            write_addresses(out, value.as_deref().or(fallback));
            out.push(b' ');
        }
        write_nstring(out, h.value("in-reply-to").as_deref().map(str::as_bytes));
        out.push(b' ');
        write_nstring(out, h.value("message-id").as_deref().map(str::as_bytes));
        out.push(b')');
    }

    /// BODYSTRUCTURE (`extended`) or BODY of this part.
    pub fn write_structure(&self, out: &mut Vec<u8>, extended: bool) {
        out.push(b'(');
        if self.media_type == "multipart" {
            if self.children.is_empty() {
                // An empty multipart cannot be written; describe it as an empty text part.
                out.extend_from_slice(b"(\"text\" \"plain\" NIL NIL NIL \"7bit\" 0 0)");
            }
            for child in &self.children {
                child.write_structure(out, extended);
            }
            out.push(b' ');
            write_string(out, self.subtype.as_bytes());
            if extended {
                out.push(b' ');
                self.write_params(out);
                out.push(b' ');
                self.write_disposition(out);
                out.extend_from_slice(b" NIL NIL");
            }
        } else {
            write_string(out, self.media_type.as_bytes());
            out.push(b' ');
            write_string(out, self.subtype.as_bytes());
            out.push(b' ');
            self.write_params(out);
            out.push(b' ');
            let id = self.header.value("content-id");
            write_nstring(out, id.as_deref().map(str::as_bytes));
            out.push(b' ');
            let description = self.header.value("content-description");
            write_nstring(out, description.as_deref().map(str::as_bytes));
            out.push(b' ');
            let encoding = self.header.value("content-transfer-encoding").unwrap_or_else(|| "7bit".into());
            write_string(out, encoding.to_ascii_lowercase().as_bytes());
            out.extend_from_slice(format!(" {}", self.body.len()).as_bytes());
            // A last line without a line break still counts.
            let breaks = self.body.iter().filter(|&&b| b == b'\n').count();
            let lines = breaks + usize::from(!self.body.is_empty() && !self.body.ends_with(b"\n"));
            if let Some(inner) = &self.message {
                out.push(b' ');
                inner.write_envelope(out);
                out.push(b' ');
                inner.write_structure(out, extended);
                out.extend_from_slice(format!(" {lines}").as_bytes());
            } else if self.media_type == "text" {
                out.extend_from_slice(format!(" {lines}").as_bytes());
            }
            if extended {
                out.extend_from_slice(b" NIL ");
                self.write_disposition(out);
                out.extend_from_slice(b" NIL NIL");
            }
        }
        out.push(b')');
    }

    fn write_params(&self, out: &mut Vec<u8>) {
        let params: Vec<&(String, String)> =
            self.params.iter().filter(|(n, _)| !(self.media_type == "multipart" && n.is_empty())).collect();
        write_param_list(out, &params);
    }

    fn write_disposition(&self, out: &mut Vec<u8>) {
        match self.header.value("content-disposition") {
            Some(v) => {
                let mut pieces = split_params(&v).into_iter();
                let kind = pieces.next().unwrap_or_default().to_ascii_lowercase();
                let params: Vec<(String, String)> = pieces.filter_map(|p| param(&p)).collect();
                out.push(b'(');
                write_string(out, kind.as_bytes());
                out.push(b' ');
                write_param_list(out, &params.iter().collect::<Vec<_>>());
                out.push(b')');
            }
            None => out.extend_from_slice(b"NIL"),
        }
    }
}

fn write_param_list(out: &mut Vec<u8>, params: &[&(String, String)]) {
    if params.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for (i, (name, value)) in params.iter().enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        write_string(out, name.as_bytes());
        out.push(b' ');
        write_string(out, value.as_bytes());
    }
    out.push(b')');
}

/// One address of an address list: (display name, local part, domain), or a group marker.
#[derive(Debug, PartialEq, Eq)]
enum Addr {
    Mailbox { name: Option<String>, local: String, domain: String },
    GroupStart(String),
    GroupEnd,
}

/// Splits at `sep` outside quotes, comments and angle brackets.
fn split_outside(text: &str, seps: &[char]) -> Vec<(String, Option<char>)> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let (mut quoted, mut escaped, mut depth, mut angle) = (false, false, 0usize, false);
    for c in text.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && (quoted || depth > 0) {
            escaped = true;
        } else if c == '"' && depth == 0 {
            quoted = !quoted;
        } else if !quoted {
            match c {
                '(' => depth += 1,
                ')' => depth = depth.saturating_sub(1),
                '<' if depth == 0 => angle = true,
                '>' if depth == 0 => angle = false,
                _ if depth == 0 && !angle && seps.contains(&c) => {
                    out.push((std::mem::take(&mut cur), Some(c)));
                    continue;
                }
                _ => {}
            }
        }
        cur.push(c);
    }
    out.push((cur, None));
    out
}

fn strip_comments(text: &str) -> String {
    let mut out = String::new();
    let (mut depth, mut quoted) = (0usize, false);
    for c in text.chars() {
        match c {
            '"' if depth == 0 => {
                quoted = !quoted;
                out.push(c);
            }
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

fn unquote(text: &str) -> String {
    let t = text.trim();
    match t.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::new();
            let mut escaped = false;
            for c in inner.chars() {
                if escaped || c != '\\' {
                    out.push(c);
                    escaped = false;
                } else {
                    escaped = true;
                }
            }
            out
        }
        None => t.to_string(),
    }
}

fn mailbox(text: &str) -> Option<Addr> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let (name, spec) = match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => {
            let name = unquote(&strip_comments(&text[..open]));
            (Some(name).filter(|n| !n.is_empty()), text[open + 1..close].trim().to_string())
        }
        _ => (None, strip_comments(text).trim().to_string()),
    };
    let (local, domain) = match spec.rsplit_once('@') {
        Some((l, d)) => (unquote(l), d.to_string()),
        None => (unquote(&spec), "MISSING_DOMAIN".into()),
    };
    Some(Addr::Mailbox { name, local, domain })
}

fn parse_addresses(value: &str) -> Vec<Addr> {
    let mut out = Vec::new();
    let mut in_group = false;
    for (piece, sep) in split_outside(value, &[',', ':', ';']) {
        match sep {
            Some(':') if !in_group => {
                out.push(Addr::GroupStart(unquote(&piece)));
                in_group = true;
            }
            Some(';') if in_group => {
                out.extend(mailbox(&piece));
                out.push(Addr::GroupEnd);
                in_group = false;
            }
            _ => out.extend(mailbox(&piece)),
        }
    }
    if in_group {
        out.push(Addr::GroupEnd);
    }
    out
}

fn write_addresses(out: &mut Vec<u8>, value: Option<&str>) {
    let addrs = value.map(parse_addresses).unwrap_or_default();
    if addrs.is_empty() {
        out.extend_from_slice(b"NIL");
        return;
    }
    out.push(b'(');
    for a in &addrs {
        match a {
            Addr::Mailbox { name, local, domain } => {
                out.push(b'(');
                write_nstring(out, name.as_deref().map(str::as_bytes));
                out.extend_from_slice(b" NIL ");
                write_string(out, local.as_bytes());
                out.push(b' ');
                write_string(out, domain.as_bytes());
                out.push(b')');
            }
            Addr::GroupStart(name) => {
                out.extend_from_slice(b"(NIL NIL ");
                write_string(out, name.as_bytes());
                out.extend_from_slice(b" NIL)");
            }
            Addr::GroupEnd => out.extend_from_slice(b"(NIL NIL NIL NIL)"),
        }
    }
    out.push(b')');
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &str = "From: \"Doe, Jane\" <jane@example.org>\r\nTo: a@b.c, =?UTF-8?B?5Lya?= <x@y.z>\r\n\
        Subject: =?UTF-8?B?5Lya6K6u?=\r\n folded\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
        preamble\r\n--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n\
        --b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n\
        Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--b1--\r\n";

    #[test]
    fn parts_and_sections() {
        let m = Part::parse(MIXED.as_bytes());
        assert_eq!(m.children.len(), 2);
        assert_eq!(m.part_at(&[1]).unwrap().body, b"hello");
        assert_eq!(m.part_at(&[2]).unwrap().body, b"JVBERg==");
        assert!(m.part_at(&[3]).is_none());
        assert_eq!(m.header.value("subject").unwrap(), "=?UTF-8?B?5Lya6K6u?= folded");
        let fields = m.header.select(&["subject".into()], false);
        assert_eq!(fields, b"Subject: =?UTF-8?B?5Lya6K6u?=\r\n folded\r\n\r\n");
        let single = Part::parse(b"Subject: x\r\n\r\nbody\r\n");
        assert_eq!(single.part_at(&[1]).unwrap().body, b"body\r\n");
    }

    #[test]
    fn envelope_and_structure() {
        let m = Part::parse(MIXED.as_bytes());
        let mut env = Vec::new();
        m.write_envelope(&mut env);
        let env = String::from_utf8(env).unwrap();
        assert!(env.contains("((\"Doe, Jane\" NIL \"jane\" \"example.org\"))"), "{env}");
        assert!(env.contains("((NIL NIL \"a\" \"b.c\")(\"=?UTF-8?B?5Lya?=\" NIL \"x\" \"y.z\"))"), "{env}");
        let mut bs = Vec::new();
        m.write_structure(&mut bs, true);
        let bs = String::from_utf8(bs).unwrap();
        assert_eq!(
            bs,
            "((\"text\" \"plain\" (\"charset\" \"utf-8\") NIL NIL \"7bit\" 5 1 NIL NIL NIL NIL)\
             (\"application\" \"pdf\" (\"name\" \"r.pdf\") NIL NIL \"base64\" 8 NIL (\"attachment\" (\"filename\" \"r.pdf\")) NIL NIL) \
             \"mixed\" (\"boundary\" \"b1\") NIL NIL NIL)"
        );
    }

    #[test]
    fn groups_and_bare_addresses() {
        let a = parse_addresses("undisclosed-recipients:;, bob@x.y (Bob)");
        assert_eq!(a.len(), 3);
        assert_eq!(a[0], Addr::GroupStart("undisclosed-recipients".into()));
        assert_eq!(a[1], Addr::GroupEnd);
        assert_eq!(a[2], Addr::Mailbox { name: None, local: "bob".into(), domain: "x.y".into() });
    }
}
