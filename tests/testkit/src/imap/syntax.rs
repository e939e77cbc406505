//! IMAP wire syntax (RFC 3501 section 9): reading one command with its literals, parsing its
//! arguments, and writing strings, sequence sets and dates back.

use std::io::{self, BufRead, BufReader, Read, Write};

/// Longest command line (without literals) we accept.
const MAX_LINE: usize = 64 * 1024;
/// Largest literal we accept (APPEND of a big message).
pub(crate) const MAX_LITERAL: usize = 64 * 1024 * 1024;

/// Why a command could not be read; the session answers `BAD` and goes on or closes.
pub(crate) enum ReadError {
    Io(io::Error),
    /// A literal above `MAX_LITERAL` or a line above `MAX_LINE`.
    TooBig,
}

impl From<io::Error> for ReadError {
    fn from(e: io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// `{n}` / `{n+}` at the end of a line (CRLF stripped): (n, non-synchronizing).
fn literal_at_end(line: &[u8]) -> Option<(usize, bool)> {
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let mut digits = &inner[open + 1..];
    let plus = digits.last() == Some(&b'+');
    if plus {
        digits = &digits[..digits.len() - 1];
    }
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok().map(|n| (n, plus))
}

/// Reads one line (CRLF or LF) without its line end; None at EOF.
pub(crate) fn read_line<R: BufRead>(reader: &mut R) -> Result<Option<Vec<u8>>, ReadError> {
    let mut line = Vec::new();
    let n = reader.take(MAX_LINE as u64 + 2).read_until(b'\n', &mut line)?;
    if n == 0 {
        return Ok(None);
    }
    if !line.ends_with(b"\n") {
        return Err(ReadError::TooBig);
    }
    line.pop();
    if line.ends_with(b"\r") {
        line.pop();
    }
    Ok(Some(line))
}

/// Reads a whole command: lines joined with their literals in wire form (`{n}\r\n<n bytes>`).
/// Synchronizing literals get `+ Ready for literal data` first.
pub(crate) fn read_command<S: Read + Write>(reader: &mut BufReader<S>) -> Result<Option<Vec<u8>>, ReadError> {
    let Some(mut command) = read_line(reader)? else {
        return Ok(None);
    };
    let mut scanned = 0;
    while let Some((n, plus)) = literal_at_end(&command[scanned..]) {
        if n > MAX_LITERAL {
            return Err(ReadError::TooBig);
        }
        if !plus {
            let peer = reader.get_mut();
            peer.write_all(b"+ Ready for literal data\r\n")?;
            peer.flush()?;
        }
        command.extend_from_slice(b"\r\n");
        let start = command.len();
        command.resize(start + n, 0);
        reader.read_exact(&mut command[start..])?;
        scanned = command.len();
        match read_line(reader)? {
            Some(rest) => command.extend_from_slice(&rest),
            None => return Ok(None),
        }
        if command.len() - scanned > MAX_LINE {
            return Err(ReadError::TooBig);
        }
    }
    Ok(Some(command))
}

/// A cursor over one command (literals in wire form).
pub(crate) struct Parser<'a> {
    buf: &'a [u8],
    pos: usize,
}

pub(crate) type PResult<T> = Result<T, String>;

fn is_atom_char(b: u8) -> bool {
    b > 0x20 && b < 0x7f && !b"(){ %*\"\\]".contains(&b)
}

impl<'a> Parser<'a> {
    pub fn new(buf: &'a [u8]) -> Parser<'a> {
        Parser { buf, pos: 0 }
    }

    pub fn at_end(&self) -> bool {
        self.pos >= self.buf.len()
    }

    pub fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    /// Consumes `b` if it is next.
    pub fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    pub fn expect(&mut self, b: u8) -> PResult<()> {
        if self.eat(b) { Ok(()) } else { Err(format!("expected '{}'", b as char)) }
    }

    pub fn sp(&mut self) -> PResult<()> {
        self.expect(b' ')
    }

    pub fn end(&self) -> PResult<()> {
        if self.at_end() { Ok(()) } else { Err("unexpected extra arguments".into()) }
    }

    /// What is left to parse.
    pub fn remaining(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// Bytes while `f` holds.
    pub fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a [u8] {
        let start = self.pos;
        while self.peek().is_some_and(&f) {
            self.pos += 1;
        }
        &self.buf[start..self.pos]
    }

    /// An atom.
    pub fn atom(&mut self) -> PResult<String> {
        let a = self.take_while(is_atom_char);
        if a.is_empty() {
            return Err("expected an atom".into());
        }
        Ok(String::from_utf8_lossy(a).into_owned())
    }

    /// Characters of a tag or a sequence set / fetch attribute: anything but SP, parens, CTL.
    pub fn word(&mut self) -> PResult<String> {
        let w = self.take_while(|b| b > 0x20 && b < 0x7f && b != b'(' && b != b')');
        if w.is_empty() {
            return Err("expected a word".into());
        }
        Ok(String::from_utf8_lossy(w).into_owned())
    }

    pub fn number(&mut self) -> PResult<u64> {
        let d = self.take_while(|b| b.is_ascii_digit());
        std::str::from_utf8(d).ok().and_then(|s| s.parse().ok()).ok_or_else(|| "expected a number".to_string())
    }

    fn quoted(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'"')?;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None | Some(b'\r' | b'\n') => return Err("unterminated quoted string".into()),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    match self.peek() {
                        Some(c @ (b'"' | b'\\')) => out.push(c),
                        _ => return Err("bad escape in quoted string".into()),
                    }
                    self.pos += 1;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    fn literal(&mut self) -> PResult<Vec<u8>> {
        self.expect(b'{')?;
        let n = self.number()? as usize;
        self.eat(b'+');
        self.expect(b'}')?;
        self.expect(b'\r')?;
        self.expect(b'\n')?;
        let data = self.buf.get(self.pos..self.pos + n).ok_or("literal shorter than announced")?;
        self.pos += n;
        Ok(data.to_vec())
    }

    /// quoted or literal.
    pub fn string(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"') => self.quoted(),
            Some(b'{') => self.literal(),
            _ => Err("expected a string".into()),
        }
    }

    /// atom, quoted or literal.
    pub fn astring(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                // ASTRING-CHAR includes ']' (resp-specials).
                let a = self.take_while(|b| is_atom_char(b) || b == b']');
                if a.is_empty() {
                    return Err("expected a string".into());
                }
                Ok(a.to_vec())
            }
        }
    }

    /// A mailbox name or LIST pattern: astring, also allowing the wildcards `%` and `*`.
    pub fn list_mailbox(&mut self) -> PResult<Vec<u8>> {
        match self.peek() {
            Some(b'"' | b'{') => self.string(),
            _ => {
                let a = self.take_while(|b| is_atom_char(b) || b"]%*".contains(&b));
                if a.is_empty() {
                    return Err("expected a mailbox".into());
                }
                Ok(a.to_vec())
            }
        }
    }

    /// The rest of the command, as is.
    pub fn rest(&mut self) -> &'a [u8] {
        let r = &self.buf[self.pos..];
        self.pos = self.buf.len();
        r
    }

    /// A parenthesized list of flags `(\Seen $Work)`, or one flag.
    pub fn flag_list(&mut self) -> PResult<Vec<String>> {
        let mut flags = Vec::new();
        if self.eat(b'(') {
            while !self.eat(b')') {
                if !flags.is_empty() {
                    self.sp()?;
                }
                flags.push(self.flag()?);
            }
        } else {
            flags.push(self.flag()?);
        }
        Ok(flags)
    }

    fn flag(&mut self) -> PResult<String> {
        let backslash = self.eat(b'\\');
        let a = self.atom()?;
        if !backslash {
            return Ok(a);
        }
        let canonical = ["Seen", "Answered", "Flagged", "Deleted", "Draft", "Recent"]
            .into_iter()
            .find(|f| f.eq_ignore_ascii_case(&a))
            .ok_or_else(|| format!("unknown system flag \\{a}"))?;
        Ok(format!("\\{canonical}"))
    }
}

/// A string as IMAP writes it: quoted when it can be, else a literal.
pub(crate) fn write_string(out: &mut Vec<u8>, s: &[u8]) {
    let quotable = s.len() < 1024 && s.iter().all(|&b| (0x20..0x7f).contains(&b));
    if quotable {
        out.push(b'"');
        for &b in s {
            if b == b'"' || b == b'\\' {
                out.push(b'\\');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        write_literal(out, s);
    }
}

pub(crate) fn write_literal(out: &mut Vec<u8>, s: &[u8]) {
    write!(out, "{{{}}}\r\n", s.len()).expect("writing to a Vec cannot fail");
    out.extend_from_slice(s);
}

/// `NIL` or the string.
pub(crate) fn write_nstring(out: &mut Vec<u8>, s: Option<&[u8]>) {
    match s {
        Some(s) => write_string(out, s),
        None => out.extend_from_slice(b"NIL"),
    }
}

/// One element of a sequence set; `u32::MAX` stands for `*`.
type Range = (u32, u32);

/// A parsed sequence set (`1:4,7,9:*`), ranges normalised to low..=high.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SeqSet(Vec<Range>);

impl SeqSet {
    pub fn parse(text: &str) -> PResult<SeqSet> {
        let num = |s: &str| -> PResult<u32> {
            if s == "*" {
                return Ok(u32::MAX);
            }
            match s.parse::<u32>() {
                Ok(0) | Err(_) => Err(format!("invalid sequence set '{text}'")),
                Ok(n) => Ok(n),
            }
        };
        let mut ranges = Vec::new();
        for part in text.split(',') {
            let (a, b) = match part.split_once(':') {
                Some((a, b)) => (num(a)?, num(b)?),
                None => {
                    let n = num(part)?;
                    (n, n)
                }
            };
            ranges.push((a.min(b), a.max(b)));
        }
        Ok(SeqSet(ranges))
    }

    /// The highest number written out (not `*`), for checking sequence numbers exist.
    pub fn max_explicit(&self) -> u32 {
        self.0.iter().flat_map(|&(a, b)| [a, b]).filter(|&n| n != u32::MAX).max().unwrap_or(0)
    }

    /// Whether `n` is in the set, `*` meaning `largest` (the last sequence number or UID).
    /// A range whose low end is above `largest` still names `largest` when it contains `*`
    /// (RFC 3501 6.4.8: `UID 559:*` always includes the last message).
    pub fn contains(&self, n: u32, largest: u32) -> bool {
        self.0.iter().any(|&(a, b)| {
            let star = |v: u32| if v == u32::MAX { largest } else { v };
            let (a, b) = (star(a), star(b));
            let (lo, hi) = (a.min(b), a.max(b));
            lo <= n && n <= hi
        })
    }
}

const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days-from-civil).
pub(crate) fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let (y, m) = if m <= 2 { (y - 1, m + 9) } else { (y, m - 3) };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * m + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of a day number since 1970-01-01.
fn civil_from_days(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m as usize, d)
}

/// INTERNALDATE: `"03-Dec-2026 18:02:31 +0000"` (quoted, UTC).
pub(crate) fn format_internal_date(secs: i64) -> String {
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!("\"{d:02}-{}-{y:04} {:02}:{:02}:{:02} +0000\"", MONTHS[m - 1], rem / 3600, rem % 3600 / 60, rem % 60)
}

fn month(name: &str) -> Option<i64> {
    MONTHS.iter().position(|m| m.eq_ignore_ascii_case(name)).map(|i| i as i64 + 1)
}

/// An IMAP date (`3-Dec-2026`) as days since 1970-01-01.
pub(crate) fn parse_date(text: &str) -> Option<i64> {
    let mut parts = text.trim_matches('"').split('-');
    let d: i64 = parts.next()?.trim().parse().ok()?;
    let m = month(parts.next()?)?;
    let y: i64 = parts.next()?.parse().ok()?;
    if parts.next().is_some() || !(1..=31).contains(&d) {
        return None;
    }
    Some(days_from_civil(y, m, d))
}

/// An APPEND date-time (`03-Dec-2026 18:02:31 +0100`) as Unix seconds.
pub(crate) fn parse_date_time(text: &str) -> Option<i64> {
    let (date, rest) = text.trim().split_once(' ')?;
    let days = parse_date(date)?;
    let (time, zone) = rest.trim().split_once(' ')?;
    let mut t = time.split(':').map(|x| x.parse::<i64>().ok());
    let (h, mi, s) = (t.next()??, t.next()??, t.next()??);
    let sign = match zone.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let z: i64 = zone.get(1..)?.parse().ok()?;
    let offset = sign * ((z / 100) * 3600 + (z % 100) * 60);
    Some(days * 86_400 + h * 3600 + mi * 60 + s - offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Input to read, output collected.
    struct Duplex(io::Cursor<Vec<u8>>, Vec<u8>);

    impl Read for Duplex {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for Duplex {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.1.write(buf)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn reads_commands_with_both_literal_kinds() {
        let input = b"a1 LOGIN {5}\r\nalice {3+}\r\npwd\r\na2 NOOP\r\n".to_vec();
        let mut reader = BufReader::new(Duplex(io::Cursor::new(input), Vec::new()));
        let cmd = read_command(&mut reader).ok().flatten().unwrap();
        assert_eq!(cmd, b"a1 LOGIN {5}\r\nalice {3+}\r\npwd".to_vec());
        assert_eq!(reader.get_ref().1, b"+ Ready for literal data\r\n", "only the synchronizing literal is prompted");
        let mut p = Parser::new(&cmd);
        assert_eq!(p.word().unwrap(), "a1");
        p.sp().unwrap();
        assert_eq!(p.atom().unwrap(), "LOGIN");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"alice");
        p.sp().unwrap();
        assert_eq!(p.astring().unwrap(), b"pwd");
        assert!(p.at_end());
        let next = read_command(&mut reader).ok().flatten().unwrap();
        assert_eq!(next, b"a2 NOOP");
    }

    #[test]
    fn sequence_sets() {
        let s = SeqSet::parse("1:3,7,10:*").unwrap();
        assert!(s.contains(2, 12) && s.contains(7, 12) && s.contains(12, 12));
        assert!(!s.contains(5, 12));
        assert!(SeqSet::parse("559:*").unwrap().contains(12, 12));
        assert!(SeqSet::parse("0").is_err());
        assert!(SeqSet::parse("1:x").is_err());
    }

    #[test]
    fn dates() {
        assert_eq!(format_internal_date(1_796_320_951), "\"03-Dec-2026 18:02:31 +0000\"");
        assert_eq!(parse_date_time("03-Dec-2026 19:02:31 +0100"), Some(1_796_320_951));
        assert_eq!(parse_date("3-Dec-2026"), Some(1_796_320_951 / 86_400));
        assert_eq!(parse_date("3-Foo-2026"), None);
    }

    #[test]
    fn strings_are_quoted_or_literal() {
        let mut out = Vec::new();
        write_string(&mut out, b"a \"b\"");
        out.push(b' ');
        write_string(&mut out, "ü".as_bytes());
        assert_eq!(out, b"\"a \\\"b\\\"\" {2}\r\n\xc3\xbc".to_vec());
    }
}
