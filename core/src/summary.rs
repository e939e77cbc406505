//! `MessageSummary`: one listed message, the same for IMAP, POP3 and Graph.

use mail_parser::{Address, MessageParser, MimeHeaders as _};
use serde::Serialize;

/// A mailbox address with its display name (decoded from RFC 2047).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MailAddress {
    pub name: Option<String>,
    pub address: String,
}

impl std::fmt::Display for MailAddress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// One message in a listing. Serialized with exactly these field names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MessageSummary {
    /// IMAP UID; for POP3 the message number of this session.
    pub uid: u32,
    /// Decoded to UTF-8; empty when the message has no subject.
    pub subject: String,
    pub from: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    /// The `Date` header (else the arrival time) as Unix seconds.
    pub date: Option<i64>,
    /// Size in bytes as the server counts it.
    pub size: u64,
    /// IMAP flags and keywords such as `\Seen`; empty for POP3.
    pub flags: Vec<String>,
    pub message_id: Option<String>,
    /// IMAP: a part is an attachment per BODYSTRUCTURE. POP3 (headers only):
    /// the message is `multipart/mixed`.
    pub has_attachments: bool,
    /// POP3's unique id (UIDL); `None` for IMAP.
    pub uidl: Option<String>,
    /// Microsoft Graph's message id (its `uid` is 0); serialized only when present.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

impl MessageSummary {
    /// Fills subject, addresses, date and Message-ID from a header block.
    pub fn from_headers(uid: u32, headers: &[u8]) -> MessageSummary {
        let mut s = MessageSummary { uid, ..Default::default() };
        let Some(msg) = MessageParser::new().parse_headers(headers) else {
            return s;
        };
        s.subject = msg.subject().unwrap_or_default().to_owned();
        s.from = msg.from().and_then(|a| addresses(a).into_iter().next());
        s.to = msg.to().map(addresses).unwrap_or_default();
        s.cc = msg.cc().map(addresses).unwrap_or_default();
        s.date = msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp());
        s.message_id = msg.message_id().map(str::to_owned);
        s.has_attachments = msg.content_type().is_some_and(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct.subtype().is_some_and(|s| s.eq_ignore_ascii_case("mixed"))
        });
        s
    }
}

pub(crate) fn addresses(a: &Address<'_>) -> Vec<MailAddress> {
    a.iter()
        .filter_map(|addr| {
            Some(MailAddress {
                name: addr.name().map(str::to_owned).filter(|n| !n.is_empty()),
                address: addr.address()?.to_owned(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_rfc2047_subjects_and_names() {
        let h = b"Subject: =?UTF-8?B?VGVzdOa1i+ivlemCruS7tuagh+mimA==?=\r\n\
From: =?UTF-8?Q?Zo=C3=AB_M=C3=BCller?= <zoe@example.test>\r\n\
To: bob@example.test, \"Carol C\" <carol@example.test>\r\n\
Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n\
Message-ID: <abc@example.test>\r\n\
Content-Type: multipart/mixed; boundary=x\r\n\r\n";
        let s = MessageSummary::from_headers(7, h);
        assert_eq!(s.subject, "Test测试邮件标题");
        assert_eq!(s.from, Some(MailAddress { name: Some("Zoë Müller".into()), address: "zoe@example.test".into() }));
        assert_eq!(s.to.len(), 2);
        assert_eq!(s.to[1].to_string(), "Carol C <carol@example.test>");
        assert_eq!(s.date, Some(1_700_000_000));
        assert_eq!(s.message_id.as_deref(), Some("abc@example.test"));
        assert!(s.has_attachments);
        let json = serde_json::to_value(&s).unwrap();
        for field in ["uid", "subject", "from", "to", "cc", "date", "size", "flags", "message_id", "has_attachments"] {
            assert!(json.get(field).is_some(), "missing {field}");
        }
    }

    #[test]
    fn garbage_headers_give_an_empty_summary() {
        let s = MessageSummary::from_headers(1, b"");
        assert_eq!(s.subject, "");
        assert!(s.from.is_none());
    }
}
