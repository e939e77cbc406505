//! A message to send: a builder that produces RFC 5322 bytes (through lettre's
//! MIME builder) and, for Microsoft Graph, the same content as structured data.
//!
//! Nothing is checked while the builder is filled in; [`Message::prepare`]
//! validates everything (addresses, header injection, attachment files) and
//! either returns the finished bytes or an error of kind `Message`. Clients
//! call it before they open a connection, so bad input never sends anything.

use std::path::PathBuf;
use std::time::SystemTime;

use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment as LettreAttachment, Body, Mailbox, MultiPart, SinglePart};
use rand::Rng as _;

use crate::{Error, Result};

/// Headers the builder writes itself; setting them as custom headers would
/// contradict the envelope or break the MIME structure.
const MANAGED_HEADERS: [&str; 13] = [
    "from",
    "sender",
    "reply-to",
    "to",
    "cc",
    "bcc",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "content-disposition",
];

/// Where an attachment's bytes come from.
#[derive(Clone)]
pub enum AttachmentSource {
    Bytes(Vec<u8>),
    /// Read when the message is prepared; a missing file is a `Message` error.
    File(PathBuf),
}

impl std::fmt::Debug for AttachmentSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AttachmentSource::Bytes(b) => write!(f, "Bytes({} bytes)", b.len()),
            AttachmentSource::File(p) => write!(f, "File({})", p.display()),
        }
    }
}

/// A file attached to the message, or an inline image when it has a Content-ID.
#[derive(Clone, Debug)]
pub struct Attachment {
    pub file_name: String,
    pub content_type: String,
    /// `Some(id)` makes it an inline part the HTML body refers to as `cid:id`.
    pub content_id: Option<String>,
    pub source: AttachmentSource,
}

impl Attachment {
    /// The attachment's content (reads the file for file attachments).
    pub fn load(&self) -> Result<Vec<u8>> {
        match &self.source {
            AttachmentSource::Bytes(b) => Ok(b.clone()),
            AttachmentSource::File(path) => std::fs::read(path).map_err(|e| {
                Error::message(format!("cannot read attachment file {}", path.display()))
                    .with_source(e)
                    .with_hint("Check the path; nothing was sent.")
            }),
        }
    }
}

/// A message built field by field. See the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Message {
    pub(crate) from: Option<String>,
    pub(crate) sender: Option<String>,
    pub(crate) reply_to: Vec<String>,
    pub(crate) to: Vec<String>,
    pub(crate) cc: Vec<String>,
    pub(crate) bcc: Vec<String>,
    pub(crate) subject: Option<String>,
    pub(crate) text: Option<String>,
    pub(crate) html: Option<String>,
    pub(crate) attachments: Vec<Attachment>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) message_id: Option<String>,
    pub(crate) date: Option<SystemTime>,
}

/// A validated message, ready for the wire.
#[derive(Clone)]
pub struct PreparedMessage {
    /// The `MAIL FROM` address: the Sender if set, else the From address.
    pub envelope_from: String,
    /// Every To, Cc and Bcc address, each once, in that order.
    pub recipients: Vec<String>,
    /// RFC 5322 bytes (CRLF line ends, no Bcc header).
    pub bytes: Vec<u8>,
    /// The Message-ID, with angle brackets.
    pub message_id: String,
}

impl std::fmt::Debug for PreparedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedMessage")
            .field("envelope_from", &self.envelope_from)
            .field("recipients", &self.recipients)
            .field("bytes", &self.bytes.len())
            .field("message_id", &self.message_id)
            .finish()
    }
}

impl Message {
    pub fn new() -> Self {
        Message::default()
    }

    /// `"Alice <alice@example.com>"` or `"alice@example.com"`.
    pub fn from(mut self, mailbox: impl Into<String>) -> Self {
        self.from = Some(mailbox.into());
        self
    }
    /// The mailbox that actually sends, when it differs from From (send on behalf).
    pub fn sender(mut self, mailbox: impl Into<String>) -> Self {
        self.sender = Some(mailbox.into());
        self
    }
    pub fn reply_to(mut self, mailbox: impl Into<String>) -> Self {
        self.reply_to.push(mailbox.into());
        self
    }
    pub fn to(mut self, mailbox: impl Into<String>) -> Self {
        self.to.push(mailbox.into());
        self
    }
    pub fn cc(mut self, mailbox: impl Into<String>) -> Self {
        self.cc.push(mailbox.into());
        self
    }
    /// Receives the message but appears in no header.
    pub fn bcc(mut self, mailbox: impl Into<String>) -> Self {
        self.bcc.push(mailbox.into());
        self
    }
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
    /// The plain-text body (UTF-8).
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.text = Some(body.into());
        self
    }
    /// The HTML body; with a text body too, the message is multipart/alternative.
    pub fn html(mut self, body: impl Into<String>) -> Self {
        self.html = Some(body.into());
        self
    }
    /// Attaches bytes under `file_name`.
    pub fn attach_bytes(
        mut self,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        self.attachments.push(Attachment {
            file_name: file_name.into(),
            content_type: content_type.into(),
            content_id: None,
            source: AttachmentSource::Bytes(bytes),
        });
        self
    }
    /// Attaches a file, read when the message is prepared. The file name
    /// defaults to the path's last component, the content type to
    /// `application/octet-stream`.
    pub fn attach_file(
        mut self,
        path: impl Into<PathBuf>,
        content_type: Option<&str>,
        file_name: Option<&str>,
    ) -> Self {
        let path = path.into();
        let file_name = file_name
            .map(str::to_owned)
            .or_else(|| path.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_default();
        self.attachments.push(Attachment {
            file_name,
            content_type: content_type.unwrap_or("application/octet-stream").to_owned(),
            content_id: None,
            source: AttachmentSource::File(path),
        });
        self
    }
    /// An image shown inside the HTML body as `<img src="cid:{content_id}">`.
    pub fn inline_image(
        mut self,
        content_id: impl Into<String>,
        file_name: impl Into<String>,
        content_type: impl Into<String>,
        bytes: Vec<u8>,
    ) -> Self {
        self.attachments.push(Attachment {
            file_name: file_name.into(),
            content_type: content_type.into(),
            content_id: Some(content_id.into()),
            source: AttachmentSource::Bytes(bytes),
        });
        self
    }
    /// Any attachment, e.g. an inline image read from a file.
    pub fn attachment(mut self, attachment: Attachment) -> Self {
        self.attachments.push(attachment);
        self
    }
    /// A custom header such as `X-Mailer`; non-ASCII values are RFC 2047 encoded.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// Overrides the generated Message-ID (`<...@...>`, brackets optional).
    pub fn message_id(mut self, id: impl Into<String>) -> Self {
        self.message_id = Some(id.into());
        self
    }
    /// Overrides the Date header (default: the time of preparing).
    pub fn date(mut self, date: SystemTime) -> Self {
        self.date = Some(date);
        self
    }

    pub fn subject_text(&self) -> Option<&str> {
        self.subject.as_deref()
    }
    pub fn attachments(&self) -> &[Attachment] {
        &self.attachments
    }

    /// Validates the message and renders it. Errors are of kind `Message`.
    pub fn prepare(&self) -> Result<PreparedMessage> {
        let from = parse_mailbox(
            "From",
            self.from.as_deref().ok_or_else(|| {
                Error::message("the message has no From address").with_hint("Set one with .from(\"you@example.com\").")
            })?,
        )?;
        let sender = self.sender.as_deref().map(|s| parse_mailbox("Sender", s)).transpose()?;
        let reply_to = parse_all("Reply-To", &self.reply_to)?;
        let to = parse_all("To", &self.to)?;
        let cc = parse_all("Cc", &self.cc)?;
        let bcc = parse_all("Bcc", &self.bcc)?;

        let mut recipients: Vec<String> = Vec::new();
        for m in to.iter().chain(&cc).chain(&bcc) {
            let addr = m.email.to_string();
            if !recipients.iter().any(|r| r.eq_ignore_ascii_case(&addr)) {
                recipients.push(addr);
            }
        }
        if recipients.is_empty() {
            return Err(
                Error::message("the message has no recipients").with_hint("Add at least one To, Cc or Bcc address.")
            );
        }

        if let Some(subject) = &self.subject {
            check_header_value("Subject", subject)?;
        }
        let message_id = match &self.message_id {
            Some(id) => {
                check_header_value("Message-ID", id)?;
                let id = id.trim();
                if id.starts_with('<') { id.to_owned() } else { format!("<{id}>") }
            }
            None => generate_message_id(from.email.domain()),
        };

        let mut builder = lettre::Message::builder()
            .from(from.clone())
            .message_id(Some(message_id.clone()))
            .date(self.date.unwrap_or_else(SystemTime::now));
        if let Some(sender) = &sender {
            builder = builder.sender(sender.clone());
        }
        for m in reply_to {
            builder = builder.reply_to(m);
        }
        for m in to {
            builder = builder.to(m);
        }
        for m in cc {
            builder = builder.cc(m);
        }
        for m in bcc {
            builder = builder.bcc(m);
        }
        if let Some(subject) = &self.subject {
            builder = builder.subject(subject.clone());
        }
        for (name, value) in &self.headers {
            builder = builder.raw_header(custom_header(name, value)?);
        }

        let email = match self.mime_body()? {
            Part::Single(part) => builder.singlepart(part),
            Part::Multi(part) => builder.multipart(part),
        }
        .map_err(|e| Error::message(format!("cannot build the message: {e}")))?;
        let bytes = email.formatted();
        check_header_lines(&bytes)?;
        let envelope_from = sender.as_ref().unwrap_or(&from).email.to_string();
        Ok(PreparedMessage { envelope_from, recipients, bytes, message_id })
    }

    /// mixed(alternative(text, related(html, inline images)), attachments),
    /// leaving out every level that has only one part.
    fn mime_body(&self) -> Result<Part> {
        let mut inline = Vec::new();
        let mut attached = Vec::new();
        for a in &self.attachments {
            check_header_value("attachment file name", &a.file_name)?;
            let content_type = ContentType::parse(&a.content_type).map_err(|_| {
                Error::message(format!("invalid content type '{}' for attachment '{}'", a.content_type, a.file_name))
            })?;
            let bytes = a.load()?;
            match &a.content_id {
                Some(cid) => {
                    check_header_value("Content-ID", cid)?;
                    let cid = cid.trim_matches(|c| c == '<' || c == '>').to_owned();
                    let part = if a.file_name.is_empty() {
                        LettreAttachment::new_inline(cid)
                    } else {
                        LettreAttachment::new_inline_with_name(cid, a.file_name.clone())
                    };
                    inline.push(part.body(attachment_body(bytes), content_type));
                }
                None => {
                    if a.file_name.is_empty() {
                        return Err(Error::message("an attachment has no file name"));
                    }
                    attached
                        .push(LettreAttachment::new(a.file_name.clone()).body(attachment_body(bytes), content_type));
                }
            }
        }
        if !inline.is_empty() && self.html.is_none() {
            return Err(Error::message("inline images need an HTML body that refers to them")
                .with_hint("Set .html(...) with <img src=\"cid:...\">, or attach the images normally."));
        }

        let text = self.text.as_deref().map(|t| SinglePart::plain(crlf_lines(t)));
        let html = self.html.as_deref().map(|h| {
            let part = SinglePart::html(crlf_lines(h));
            if inline.is_empty() {
                Part::Single(part)
            } else {
                let mut related = MultiPart::related().singlepart(part);
                for img in inline {
                    related = related.singlepart(img);
                }
                Part::Multi(related)
            }
        });
        let body = match (text, html) {
            (Some(t), Some(h)) => Part::Multi(h.add_to(MultiPart::alternative().singlepart(t))),
            (Some(t), None) => Part::Single(t),
            (None, Some(h)) => h,
            (None, None) => Part::Single(SinglePart::plain(String::new())),
        };
        if attached.is_empty() {
            return Ok(body);
        }
        let mut mixed = body.add_to(MultiPart::mixed().build());
        for a in attached {
            mixed = mixed.singlepart(a);
        }
        Ok(Part::Multi(mixed))
    }
}

enum Part {
    Single(SinglePart),
    Multi(MultiPart),
}

impl Part {
    fn add_to(self, multi: MultiPart) -> MultiPart {
        match self {
            Part::Single(s) => multi.singlepart(s),
            Part::Multi(m) => multi.multipart(m),
        }
    }
}

/// Every line end (CRLF, bare LF or bare CR) as CRLF. lettre passes a bare CR through in
/// 7bit bodies, and a bare CR before a dot is what SMTP smuggling uses. Found by fuzzing.
fn crlf_lines(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + body.len() / 32);
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\r\n");
            }
            '\n' => out.push_str("\r\n"),
            c => out.push(c),
        }
    }
    out
}

/// Attachment bytes with a bare CR or LF go out base64: lettre would send them as 7bit when
/// they are ASCII, bare line ends included. Found by fuzzing.
fn attachment_body(bytes: Vec<u8>) -> Body {
    let bare = bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        b'\n' => i == 0 || bytes[i - 1] != b'\r',
        _ => false,
    });
    if bare {
        // Base64 accepts any bytes, so this cannot fail; fall back to lettre's choice anyway.
        Body::new_with_encoding(bytes, ContentTransferEncoding::Base64).unwrap_or_else(Body::new)
    } else {
        Body::new(bytes)
    }
}

/// A `<random@domain>` id, unique without needing the host name.
fn generate_message_id(domain: &str) -> String {
    let mut rng = rand::rng();
    let id: String = (0..24).map(|_| char::from_digit(rng.random_range(0..36), 36).unwrap_or('0')).collect();
    format!("<{id}.oauthmail@{domain}>")
}

/// CR or LF in any header would let the caller start new headers (injection).
pub(crate) fn check_header_value(what: &str, value: &str) -> Result<()> {
    if value.contains(['\r', '\n']) {
        return Err(Error::message(format!("{what} contains a line break (CR or LF)"))
            .with_code("HeaderInjection")
            .with_hint("Header values must be one line; nothing was sent."));
    }
    Ok(())
}

/// RFC 5322 2.1.1: a line is at most 998 octets. lettre folds header values at spaces and
/// splits encoded words, but a long run without a space would go out as one line, which
/// servers reject or truncate; refuse it here, before anything is sent.
fn check_header_lines(bytes: &[u8]) -> Result<()> {
    const MAX_LINE: usize = 998;
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or(bytes.len());
    for line in bytes[..end].split(|&b| b == b'\n') {
        if line.len() > MAX_LINE + 1 {
            let name = line.split(|&b| b == b':').next().unwrap_or_default();
            return Err(Error::message(format!(
                "a header line is {} characters long (the limit is {MAX_LINE}); it starts with '{}'",
                line.len() - 1,
                String::from_utf8_lossy(&name[..name.len().min(40)])
            ))
            .with_code("HeaderTooLong")
            .with_hint("Shorten the value or put spaces in it so it can be folded; nothing was sent."));
        }
    }
    Ok(())
}

/// Parses `Name <addr>` or `addr`.
pub fn parse_mailbox(what: &str, value: &str) -> Result<Mailbox> {
    check_header_value(what, value)?;
    value.trim().parse::<Mailbox>().map_err(|_| {
        Error::message(format!("invalid {what} address '{value}'"))
            .with_code("InvalidAddress")
            .with_hint("Use 'user@example.com' or 'Name <user@example.com>'.")
    })
}

fn parse_all(what: &str, values: &[String]) -> Result<Vec<Mailbox>> {
    values.iter().map(|v| parse_mailbox(what, v)).collect()
}

fn custom_header(name: &str, value: &str) -> Result<HeaderValue> {
    check_header_value("a header name", name)?;
    check_header_value(&format!("header {name}"), value)?;
    let valid_name = !name.is_empty() && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
    let header_name = HeaderName::new_from_ascii(name.to_owned()).ok().filter(|_| valid_name).ok_or_else(|| {
        Error::message(format!("invalid header name '{name}'"))
            .with_hint("Header names are printable ASCII without ':' or spaces.")
    })?;
    if MANAGED_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
        return Err(Error::message(format!("the {name} header is set by the message builder"))
            .with_hint("Use the builder method for it instead of a custom header."));
    }
    Ok(HeaderValue::new(header_name, value.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_crlf_only(bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            assert!(b != b'\r' || bytes.get(i + 1) == Some(&b'\n'), "bare CR at {i}");
            assert!(b != b'\n' || (i > 0 && bytes[i - 1] == b'\r'), "bare LF at {i}");
        }
    }

    #[test]
    fn bodies_have_no_bare_cr_or_lf() {
        // Found by fuzzing: a bare CR went out as it was in a 7bit body.
        for body in ["a\rb", "a\n\rb", ".\r\n..\r\n.line\n\rbare", "x\r.\r\nMAIL FROM:<e@x>"] {
            let m = Message::new().from("a@example.test").to("b@example.test").text(body).html(body);
            assert_crlf_only(&m.prepare().unwrap().bytes);
        }
        assert_eq!(crlf_lines("a\r\nb\rc\nd\r"), "a\r\nb\r\nc\r\nd\r\n");
        // Attachments keep their bytes exactly: base64 when they hold bare line ends.
        let data = b".\r\n..\r\n.line\n\rbare".to_vec();
        let m = Message::new().from("a@example.test").to("b@example.test").text("x");
        let bytes = m.attach_bytes("a.bin", "application/octet-stream", data.clone()).prepare().unwrap().bytes;
        assert_crlf_only(&bytes);
        let parsed = mail_parser::MessageParser::default().parse(&bytes).unwrap();
        assert_eq!(parsed.attachment(0).unwrap().contents(), &data[..]);
    }
    use crate::ErrorKind;

    fn text_of(m: &PreparedMessage) -> String {
        String::from_utf8(m.bytes.clone()).unwrap()
    }

    fn base() -> Message {
        Message::new().from("Alice <alice@example.test>").to("bob@example.test")
    }

    #[test]
    fn unicode_subject_and_names_are_rfc2047_encoded() {
        let m = Message::new()
            .from("张三 <alice@example.test>")
            .to("李四 <bob@example.test>")
            .subject("Test测试邮件标题")
            .text("Test测试邮件正文")
            .prepare()
            .unwrap();
        let t = text_of(&m);
        assert!(t.is_ascii(), "headers and body are 7-bit on the wire");
        assert!(t.contains("Subject: =?utf-8?b?"), "{t}");
        assert!(t.contains("From: =?utf-8?b?"), "{t}");
        assert!(t.contains("charset=utf-8"));
        assert!(!t.contains("测试"));
    }

    #[test]
    fn envelope_has_all_recipients_once_and_no_bcc_header() {
        let m = base()
            .cc("carol@example.test")
            .bcc("dave@example.test")
            .bcc("BOB@example.test")
            .subject("hi")
            .text("x")
            .prepare()
            .unwrap();
        assert_eq!(m.envelope_from, "alice@example.test");
        assert_eq!(m.recipients, ["bob@example.test", "carol@example.test", "dave@example.test"]);
        let t = text_of(&m);
        assert!(!t.to_ascii_lowercase().contains("bcc:"));
        assert!(t.contains("Message-ID: <") && t.contains("@example.test>"));
        assert!(t.contains("\r\nDate: "));
    }

    #[test]
    fn sender_is_the_envelope_from() {
        let m = Message::new()
            .from("shared@example.test")
            .sender("alice@example.test")
            .to("bob@example.test")
            .prepare()
            .unwrap();
        assert_eq!(m.envelope_from, "alice@example.test");
        assert!(text_of(&m).contains("Sender: alice@example.test"));
    }

    #[test]
    fn text_and_html_make_alternative_and_inline_images_related() {
        let m = base()
            .text("plain")
            .html("<img src=\"cid:logo\">")
            .inline_image("logo", "logo.png", "image/png", vec![0x89, b'P', b'N', b'G'])
            .attach_bytes("report.pdf", "application/pdf", b"%PDF-1.4".to_vec())
            .header("X-Campaign", "42")
            .prepare()
            .unwrap();
        let t = text_of(&m);
        for needle in [
            "multipart/mixed",
            "multipart/alternative",
            "multipart/related",
            "Content-ID: <logo>",
            "filename=\"report.pdf\"",
            "X-Campaign: 42",
        ] {
            assert!(t.contains(needle), "missing {needle} in\n{t}");
        }
        assert!(t.find("multipart/alternative").unwrap() < t.find("multipart/related").unwrap());
    }

    #[test]
    fn single_text_body_has_no_multipart() {
        let t = text_of(&base().text("only text").prepare().unwrap());
        assert!(!t.contains("multipart/"), "{t}");
        assert!(t.contains("only text"));
    }

    #[test]
    fn header_injection_is_refused_everywhere() {
        let cases = [
            base().subject("hi\r\nBcc: evil@example.org"),
            base().subject("hi\nX: y"),
            base().header("X-Test", "a\r\nBcc: evil@example.org"),
            base().header("X-Te\nst", "a"),
            Message::new().from("Alice\r\n <alice@example.test>").to("bob@example.test"),
            base().to("evil@example.org\r\nX: y"),
            base().attach_bytes("a\r\n.txt", "text/plain", vec![]),
            base().message_id("<a@b>\r\nX: y"),
        ];
        for m in cases {
            let e = m.prepare().unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Message, "{e}");
        }
    }

    #[test]
    fn bad_input_is_a_message_error() {
        assert_eq!(base().to("not an address").prepare().unwrap_err().kind(), ErrorKind::Message);
        assert_eq!(Message::new().from("a@example.test").prepare().unwrap_err().kind(), ErrorKind::Message);
        assert_eq!(Message::new().to("a@example.test").prepare().unwrap_err().kind(), ErrorKind::Message);
        assert_eq!(base().header("Content-Type", "text/html").prepare().unwrap_err().kind(), ErrorKind::Message);
        assert_eq!(base().header("Bad Name", "x").prepare().unwrap_err().kind(), ErrorKind::Message);
        assert_eq!(
            base().attach_bytes("a.bin", "not a type", vec![]).prepare().unwrap_err().kind(),
            ErrorKind::Message
        );
        let e = base().attach_file("/nonexistent/file.pdf", None, None).prepare().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Message);
        assert!(e.message_text().contains("/nonexistent/file.pdf"));
    }

    #[test]
    fn header_lines_are_folded_or_refused() {
        let spaced = "word ".repeat(2000);
        let bytes = base().subject(spaced.clone()).header("X-Long", spaced).prepare().unwrap().bytes;
        let head = &bytes[..bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap()];
        assert!(head.split(|&b| b == b'\n').all(|l| l.len() <= 999));
        let unicode = base().subject("测试".repeat(3000)).prepare().unwrap();
        assert!(unicode.bytes.split(|&b| b == b'\n').all(|l| l.len() <= 999));

        let long = "x".repeat(1000);
        for m in [base().subject(long.clone()), base().header("X-Long", long.clone())] {
            let e = m.prepare().unwrap_err();
            assert_eq!((e.kind(), e.code()), (ErrorKind::Message, Some("HeaderTooLong")), "{e}");
        }
        assert!(base().subject("x".repeat(900)).prepare().is_ok());
    }

    #[test]
    fn file_attachment_takes_the_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("数据.csv");
        std::fs::write(&path, "a,b\n1,2\n").unwrap();
        let m = base().attach_file(&path, Some("text/csv"), None);
        assert_eq!(m.attachments()[0].file_name, "数据.csv");
        let t = text_of(&m.prepare().unwrap());
        assert!(t.contains("filename*0*=utf-8''%E6%95%B0%E6%8D%AE.csv"), "RFC 2231 encoded name:\n{t}");
    }

    #[test]
    fn explicit_message_id_gets_brackets() {
        let m = base().message_id("abc@example.test").prepare().unwrap();
        assert_eq!(m.message_id, "<abc@example.test>");
        assert!(text_of(&m).contains("Message-ID: <abc@example.test>"));
    }
}
