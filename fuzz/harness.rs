//! One function per fuzz target, shared by the libFuzzer targets (`fuzz_targets/*.rs`) and the
//! stable corpus replay test (`core/tests/fuzz_corpus.rs`). Each feeds arbitrary bytes to a
//! parser or validator of `oauthmail` and panics when a property breaks: no panic inside
//! oauthmail, bad input is an error of the right kind, and what is accepted is well-formed.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use oauthmail::message::parse_mailbox;
use oauthmail::oauth_error::OAuthErrorResponse;
use oauthmail::sasl::ErrorChallenge;
use oauthmail::{Claims, ErrorKind, Message};

/// A fuzz target: bytes in, a panic when a property breaks.
pub type Target = fn(&[u8]);

/// Every target by name (the corpus directory name under `fuzz/corpus/`).
pub const TARGETS: &[(&str, Target)] = &[
    ("token_response", token_response),
    ("jwt_claims", jwt_claims),
    ("sasl_challenge", sasl_challenge),
    ("pop3_reader", pop3_reader),
    ("imap_responses", imap_responses),
    ("address_header", address_header),
    ("message_builder", message_builder),
];

/// A token endpoint reply: the first byte picks the HTTP status, the rest is the body.
pub fn token_response(data: &[u8]) {
    let (status, body) = match data.split_first() {
        Some((&s, rest)) => ([200, 400, 401, 429, 500, 503, 302, 201][usize::from(s % 8)], rest),
        None => (200, data),
    };
    match oauthmail::fuzz::token_reply(status, body) {
        Ok(token) => assert!((200..300).contains(&status) && !token.token().expose().is_empty()),
        Err(e) => {
            // The body may hold a token: an error never quotes it.
            let shown = format!("{e} {e:?}");
            if let Ok(serde_json::Value::Object(o)) = serde_json::from_slice(body) {
                for key in ["access_token", "refresh_token"] {
                    if let Some(serde_json::Value::String(t)) = o.get(key) {
                        assert!(t.len() < 8 || !shown.contains(t.as_str()), "a token appears in an error");
                    }
                }
            }
        }
    }
    if let Some(err) = OAuthErrorResponse::parse(body) {
        let _ = (err.aadsts(), err.summary(), err.to_error(status));
    }
}

/// JWT claims: the bytes as a token, and as the payload of a well-formed JWT.
pub fn jwt_claims(data: &[u8]) {
    let _ = Claims::decode(&String::from_utf8_lossy(data));
    let jwt = format!("eyJhbGciOiJSUzI1NiJ9.{}.c2ln", URL_SAFE_NO_PAD.encode(data));
    if let Err(e) = Claims::decode(&jwt) {
        assert_eq!(e.kind(), ErrorKind::Config, "{e}");
    }
}

/// A SASL error challenge (XOAUTH2/OAUTHBEARER), raw and base64-encoded as servers send it.
pub fn sasl_challenge(data: &[u8]) {
    let _ = ErrorChallenge::decode(&String::from_utf8_lossy(data));
    let _ = ErrorChallenge::decode(&STANDARD.encode(data));
}

/// A POP3 multi-line reply through the real reader, checked against a reference unstuffing.
pub fn pop3_reader(data: &[u8]) {
    let Ok(out) = oauthmail::fuzz::pop3_multiline(data) else { return };
    let mut lines = data.split_inclusive(|&b| b == b'\n');
    let status = lines.next().expect("an accepted reply has a status line");
    assert!(status.starts_with(b"+OK") && status.ends_with(b"\n"), "accepted without +OK");
    let mut expected = Vec::new();
    let mut terminated = false;
    for line in lines {
        if line == b".\r\n" || line == b".\n" {
            terminated = true;
            break;
        }
        assert!(line.ends_with(b"\n"), "accepted an unterminated reply");
        expected.extend_from_slice(line.strip_prefix(b".").unwrap_or(line));
    }
    assert!(terminated, "accepted a reply without its final dot");
    assert_eq!(out, expected, "unstuffed bytes differ from the reference");
}

/// IMAP untagged responses through the client's response parsers.
pub fn imap_responses(data: &[u8]) {
    oauthmail::fuzz::imap_responses(data);
}

/// An address and a custom header: accepted only without line breaks, refused as `Message`.
pub fn address_header(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (address, header) = text.split_once('\0').unwrap_or((&text, ""));
    let (name, value) = header.split_once(':').unwrap_or(("X-Fuzz", header));
    match parse_mailbox("to", address) {
        Ok(_) => assert!(!address.contains(['\r', '\n']), "an address with a line break was accepted"),
        Err(e) => assert_eq!(e.kind(), ErrorKind::Message, "{e}"),
    }
    let message = Message::new().from("a@example.test").to("b@example.test").header(name, value).text("x");
    match message.prepare() {
        Ok(p) => {
            assert!(!format!("{name}{value}").contains(['\r', '\n']), "header injection accepted");
            check_prepared(&p.bytes);
        }
        Err(e) => assert!(matches!(e.kind(), ErrorKind::Message | ErrorKind::Config), "{e}"),
    }
}

/// A whole message from NUL-separated fields: from, to, cc, subject, text, html, attachment
/// name, attachment bytes.
pub fn message_builder(data: &[u8]) {
    let mut fields = data.split(|&b| b == 0).map(|f| String::from_utf8_lossy(f).into_owned());
    let mut next = || fields.next().unwrap_or_default();
    let (from, to, cc, subject) = (next(), next(), next(), next());
    let (text, html, attachment) = (next(), next(), next());
    let bytes = next().into_bytes();
    let mut message = Message::new().from(from.as_str()).to(to.as_str()).subject(subject.as_str()).text(text);
    if !cc.is_empty() {
        message = message.cc(cc.as_str());
    }
    if !html.is_empty() {
        message = message.html(html);
    }
    if !attachment.is_empty() {
        message = message.attach_bytes(attachment.as_str(), "application/octet-stream", bytes);
    }
    match message.prepare() {
        Ok(p) => {
            let headers = [&from, &to, &cc, &subject].iter().any(|f| f.contains(['\r', '\n']));
            assert!(!headers, "a header field with a line break was accepted");
            assert!(!p.recipients.is_empty());
            check_prepared(&p.bytes);
        }
        Err(e) => assert!(matches!(e.kind(), ErrorKind::Message | ErrorKind::Config), "{e}"),
    }
}

/// A prepared message has CRLF line ends only, and no Bcc header.
fn check_prepared(bytes: &[u8]) {
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' => assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF in a prepared message"),
            b'\r' => assert!(bytes.get(i + 1) == Some(&b'\n'), "bare CR in a prepared message"),
            _ => {}
        }
    }
    let head_end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(bytes.len());
    let head = String::from_utf8_lossy(&bytes[..head_end]).to_ascii_lowercase();
    assert!(!head.starts_with("bcc:") && !head.contains("\r\nbcc:"), "a Bcc header was written");
}
