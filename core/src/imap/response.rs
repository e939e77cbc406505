//! Reading IMAP responses off the wire and turning server refusals into
//! errors with a kind, the server's code and a hint.

use std::time::Duration;

use crate::{Error, ErrorKind};

/// The tagged end of a command (`a1 NO [CODE] text`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Completion {
    pub(crate) status: Status,
    /// The response code without brackets, e.g. `AUTHENTICATIONFAILED`.
    pub(crate) code: Option<String>,
    pub(crate) text: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Status {
    Ok,
    No,
    Bad,
}

/// What one complete response (line plus literals) is.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `+ ...`: the server waits for more (literal, SASL, IDLE).
    Continuation,
    /// `* BYE ...`: the server is closing the connection.
    Bye,
    /// `* ...` other untagged data.
    Untagged,
    /// `<tag> ...`: the end of the command with that tag.
    Tagged(String),
}

pub(crate) fn classify(resp: &[u8]) -> Kind {
    if resp.starts_with(b"+") {
        Kind::Continuation
    } else if let Some(rest) = resp.strip_prefix(b"* ") {
        if rest.len() >= 3 && rest[..3].eq_ignore_ascii_case(b"BYE") { Kind::Bye } else { Kind::Untagged }
    } else {
        let tag = resp.split(|&b| b == b' ').next().unwrap_or_default();
        Kind::Tagged(String::from_utf8_lossy(tag).into_owned())
    }
}

/// Parses `<status> [CODE] text` (after the tag or `* `).
pub(crate) fn parse_completion(after_tag: &str) -> Completion {
    let s = after_tag.trim_end_matches(['\r', '\n']);
    let (word, rest) = s.split_once(' ').unwrap_or((s, ""));
    let status = match word.to_ascii_uppercase().as_str() {
        "OK" => Status::Ok,
        "NO" => Status::No,
        _ => Status::Bad,
    };
    let (code, text) = match rest.strip_prefix('[').and_then(|r| r.split_once(']')) {
        Some((code, text)) => (Some(code.to_owned()), text.trim_start().to_owned()),
        None => (None, rest.to_owned()),
    };
    Completion { status, code, text }
}

/// The text after `* BYE ` (or the whole line, trimmed).
pub(crate) fn bye_text(resp: &[u8]) -> String {
    let s = String::from_utf8_lossy(resp);
    s.trim_end().get(6..).unwrap_or_default().trim().to_owned()
}

/// The text of a response, shortened and without literals, for messages.
pub(crate) fn excerpt(resp: &[u8]) -> String {
    let line = resp.split(|&b| b == b'\n').next().unwrap_or_default();
    let mut s = String::from_utf8_lossy(line).trim_end().to_owned();
    if s.len() > 200 {
        let mut cut = 200;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

/// A trailing `{n}` or `{n+}` literal announcement on a line.
pub(crate) fn literal_len(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n").or_else(|| line.strip_suffix(b"\n")).unwrap_or(line);
    let inner = line.strip_suffix(b"}")?;
    let open = inner.iter().rposition(|&b| b == b'{')?;
    let digits = &inner[open + 1..];
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits).ok()?.parse().ok()
}

/// Which protocol a refusal came from: the hints name its Exchange settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Imap,
    Pop3,
}

impl Proto {
    fn name(self) -> &'static str {
        match self {
            Proto::Imap => "IMAP",
            Proto::Pop3 => "POP3",
        }
    }
    /// (application permission, delegated permission, Set-CASMailbox switch)
    fn exchange(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Proto::Imap => ("IMAP.AccessAsApp", "IMAP.AccessAsUser.All", "-ImapEnabled"),
            Proto::Pop3 => ("POP.AccessAsApp", "POP.AccessAsUser.All", "-PopEnabled"),
        }
    }
}

fn hint_not_connected(p: Proto) -> String {
    let (app, user, _) = p.exchange();
    format!(
        "The application's service principal has no access to this mailbox: register it in Exchange with \
         New-ServicePrincipal and grant it Add-MailboxPermission -AccessRights FullAccess, and make sure the \
         token carries the {app} (or delegated {user}) permission with admin consent."
    )
}

fn hint_auth_failed(p: Proto) -> String {
    let (app, user, switch) = p.exchange();
    format!(
        "Check that the token's audience is https://outlook.office365.com (scope \
         https://outlook.office365.com/.default), that it carries {app} or {user}, that the user name is \
         the mailbox's address, and that {} is enabled for it (Set-CASMailbox {switch} $true).",
        p.name()
    )
}

/// The error for a command the server refused.
pub(crate) fn refusal(command: &str, c: &Completion) -> Error {
    refusal_in(Proto::Imap, command, c)
}

/// The error for a refused command of either protocol.
pub(crate) fn refusal_in(proto: Proto, command: &str, c: &Completion) -> Error {
    let text = c.text.trim();
    let lower = text.to_ascii_lowercase();
    let code = c.code.as_deref().map(|s| s.split(' ').next().unwrap_or(s).to_ascii_uppercase());
    let what = format!("{} {command} failed: {}", proto.name(), full_text(c));
    if lower.contains("user is authenticated but not connected") {
        return Error::new(ErrorKind::Permission, what)
            .with_code("UserNotConnected")
            .with_hint(hint_not_connected(proto));
    }
    if lower.contains("throttl") || matches!(code.as_deref(), Some("THROTTLED" | "LIMIT")) {
        let mut e = Error::new(ErrorKind::Throttled, what).with_code(code.unwrap_or_else(|| "Throttled".into()));
        if let Some(d) = backoff(&lower) {
            e = e.with_retry_after(d);
        }
        return e.with_hint(
            "The server is throttling this mailbox or application; wait and retry with fewer parallel connections.",
        );
    }
    if command == "AUTHENTICATE"
        || command == "AUTH"
        || matches!(code.as_deref(), Some("AUTHENTICATIONFAILED" | "AUTH"))
    {
        return Error::new(ErrorKind::Auth, what)
            .with_code(code.unwrap_or_else(|| "AUTHENTICATIONFAILED".into()))
            .with_hint(hint_auth_failed(proto));
    }
    let missing = lower.contains("doesn't exist") || lower.contains("does not exist") || lower.contains("no such");
    let code = code.or_else(|| missing.then(|| "NONEXISTENT".to_owned()));
    let kind = match code.as_deref() {
        Some("NONEXISTENT" | "TRYCREATE" | "ALREADYEXISTS" | "CANNOT" | "BADCHARSET") => ErrorKind::Config,
        Some("NOPERM" | "READ-ONLY") => ErrorKind::Permission,
        Some("OVERQUOTA" | "TOOBIG") => ErrorKind::Message,
        Some("UNAVAILABLE" | "INUSE" | "IN-USE" | "SYS/TEMP" | "LOGIN-DELAY") => ErrorKind::Throttled,
        _ => ErrorKind::Protocol,
    };
    let e = Error::new(kind, what);
    match code {
        Some(code) => e.with_code(code),
        None => e,
    }
}

fn full_text(c: &Completion) -> String {
    match &c.code {
        Some(code) => format!("[{code}] {}", c.text.trim()),
        None => c.text.trim().to_owned(),
    }
}

/// Exchange says "Suggested Backoff Time: 12345 milliseconds".
fn backoff(lower: &str) -> Option<Duration> {
    let rest = &lower[lower.find("backoff time:")? + "backoff time:".len()..];
    let ms: u64 = rest.split_whitespace().next()?.parse().ok()?;
    Some(Duration::from_millis(ms))
}

/// The error for a connection the server ended with `* BYE`.
pub(crate) fn bye_error(text: &str) -> Error {
    let e = Error::new(ErrorKind::Network, format!("the IMAP server ended the session: {text}"));
    if text.contains("AccessTokenExpired") {
        e.with_code("AccessTokenExpired")
            .with_hint("The access token expired during the session; a new session needs a fresh token.")
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn completions() {
        let c = parse_completion("NO [AUTHENTICATIONFAILED] Authentication failed.\r\n");
        assert_eq!(c.status, Status::No);
        assert_eq!(c.code.as_deref(), Some("AUTHENTICATIONFAILED"));
        assert_eq!(c.text, "Authentication failed.");
        let c = parse_completion("OK Logged in");
        assert_eq!((c.status, c.code, c.text.as_str()), (Status::Ok, None, "Logged in"));
        assert_eq!(classify(b"a12 OK done\r\n"), Kind::Tagged("a12".into()));
        assert_eq!(classify(b"* BYE Session invalidated - AccessTokenExpired\r\n"), Kind::Bye);
        assert_eq!(classify(b"* 3 EXISTS\r\n"), Kind::Untagged);
        assert_eq!(classify(b"+ idling\r\n"), Kind::Continuation);
        assert_eq!(
            bye_text(b"* BYE Session invalidated - AccessTokenExpired\r\n"),
            "Session invalidated - AccessTokenExpired"
        );
    }

    #[test]
    fn literal_announcements() {
        assert_eq!(literal_len(b"* 1 FETCH (BODY[] {123}\r\n"), Some(123));
        assert_eq!(literal_len(b"A1 APPEND x {5+}\r\n"), Some(5));
        assert_eq!(literal_len(b"* OK {x}\r\n"), None);
        assert_eq!(literal_len(b"* OK fine\r\n"), None);
    }

    #[test]
    fn exchange_refusals_are_mapped() {
        let e = refusal("SELECT", &parse_completion("BAD User is authenticated but not connected."));
        assert_eq!(e.kind(), ErrorKind::Permission);
        assert!(e.hint().unwrap().contains("Add-MailboxPermission"));
        assert!(e.hint().unwrap().contains("IMAP.AccessAsApp"));
        let e = refusal("AUTHENTICATE", &parse_completion("NO AUTHENTICATE failed."));
        assert_eq!(e.kind(), ErrorKind::Auth);
        assert!(e.hint().unwrap().contains("outlook.office365.com"));
        let e =
            refusal("FETCH", &parse_completion("NO Request is throttled. Suggested Backoff Time: 1500 milliseconds"));
        assert_eq!(e.kind(), ErrorKind::Throttled);
        assert_eq!(e.retry_after(), Some(Duration::from_millis(1500)));
        let e = refusal("SELECT", &parse_completion("NO [NONEXISTENT] Mailbox doesn't exist: Nope"));
        assert_eq!((e.kind(), e.code()), (ErrorKind::Config, Some("NONEXISTENT")));
        let e = refusal_in(Proto::Pop3, "AUTH", &parse_completion("NO [AUTH] Authentication failed."));
        assert!(e.hint().unwrap().contains("POP.AccessAsApp") && e.hint().unwrap().contains("-PopEnabled"));
        assert_eq!(bye_error("Session invalidated - AccessTokenExpired").code(), Some("AccessTokenExpired"));
    }
}
