//! A received message parsed into text, HTML and attachments (mail-parser).

use mail_parser::{MessageParser, MimeHeaders as _, PartType};
use serde::Serialize;

use crate::summary::{MailAddress, addresses};
use crate::{Error, Result};

/// A whole message, decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedMessage {
    pub subject: String,
    pub from: Option<MailAddress>,
    pub to: Vec<MailAddress>,
    pub cc: Vec<MailAddress>,
    pub date: Option<i64>,
    pub message_id: Option<String>,
    /// The first text/plain body, decoded to UTF-8.
    pub text: Option<String>,
    /// The first text/html body, decoded to UTF-8.
    pub html: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
}

/// An attachment or inline part (e.g. an image referenced by Content-ID).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ParsedAttachment {
    pub filename: Option<String>,
    /// `type/subtype`, e.g. `application/pdf`.
    pub content_type: String,
    pub content_id: Option<String>,
    /// Decoded size in bytes.
    pub size: u64,
    #[serde(skip)]
    pub data: Vec<u8>,
}

impl ParsedMessage {
    /// Parses raw RFC 5322 bytes; a message without any header is an error.
    pub fn parse(raw: &[u8]) -> Result<ParsedMessage> {
        let msg = MessageParser::default()
            .parse(raw)
            .filter(|m| !m.headers().is_empty())
            .ok_or_else(|| Error::message("the data is not an e-mail message (no headers found)"))?;
        let attachments = msg
            .attachments()
            .map(|part| {
                let data = match &part.body {
                    PartType::Message(m) => m.raw_message().to_vec(),
                    _ => part.contents().to_vec(),
                };
                ParsedAttachment {
                    filename: part.attachment_name().map(str::to_owned),
                    content_type: part
                        .content_type()
                        .map(|ct| match ct.subtype() {
                            Some(sub) => format!("{}/{}", ct.ctype(), sub),
                            None => ct.ctype().to_owned(),
                        })
                        .unwrap_or_else(|| "application/octet-stream".into())
                        .to_ascii_lowercase(),
                    content_id: part.content_id().map(str::to_owned),
                    size: data.len() as u64,
                    data,
                }
            })
            .collect();
        Ok(ParsedMessage {
            subject: msg.subject().unwrap_or_default().to_owned(),
            from: msg.from().and_then(|a| addresses(a).into_iter().next()),
            to: msg.to().map(addresses).unwrap_or_default(),
            cc: msg.cc().map(addresses).unwrap_or_default(),
            date: msg.date().filter(|d| d.is_valid()).map(|d| d.to_timestamp()),
            message_id: msg.message_id().map(str::to_owned),
            text: (msg.text_body_count() > 0).then(|| msg.body_text(0)).flatten().map(|c| c.into_owned()),
            html: msg.html_part(0).filter(|p| p.is_text_html()).and_then(|p| p.text_contents()).map(str::to_owned),
            attachments,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &[u8] = b"From: alice@example.test\r\nTo: bob@example.test\r\n\
Subject: =?UTF-8?B?5Lya6K6u57qq6KaB?=\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n\
--b2\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n5q2j5paH\r\n\
--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi</p>\r\n--b2--\r\n\
--b1\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Disposition: attachment; filename=\"r.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b1--\r\n";

    #[test]
    fn parses_text_html_and_attachments() {
        let m = ParsedMessage::parse(MIXED).unwrap();
        assert_eq!(m.subject, "会议纪要");
        assert_eq!(m.text.as_deref(), Some("正文"));
        assert_eq!(m.html.as_deref(), Some("<p>hi</p>"));
        assert_eq!(m.attachments.len(), 1);
        let a = &m.attachments[0];
        assert_eq!((a.filename.as_deref(), a.content_type.as_str(), a.size), (Some("r.pdf"), "application/pdf", 9));
        assert_eq!(a.data, b"%PDF-1.4\n");
    }

    #[test]
    fn rejects_non_messages() {
        assert_eq!(ParsedMessage::parse(b"").unwrap_err().kind(), crate::ErrorKind::Message);
    }
}
