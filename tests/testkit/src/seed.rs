//! Generated test messages for `MailStore::seed`: four kinds in turn, so readers meet plain
//! text, RFC 2047 subjects with a base64 UTF-8 body, multipart/alternative quoted-printable, and
//! multipart/mixed with an attachment whose name needs RFC 2231.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use crate::util::format_rfc5322_date;

/// Base64 wrapped at 76 columns, CRLF line ends.
pub(crate) fn base64_lines(data: &[u8]) -> String {
    let encoded = STANDARD.encode(data);
    let mut out = String::new();
    for chunk in encoded.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push_str("\r\n");
    }
    out
}

/// `=?UTF-8?B?...?=` when the text is not plain ASCII, else the text.
pub(crate) fn encode_header_text(text: &str) -> String {
    if text.is_ascii() && !text.contains("=?") {
        text.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", STANDARD.encode(text))
    }
}

/// Message `i` for `user`, dated `date` (Unix seconds). Message-ID `<seed-i@example.test>`.
pub(crate) fn message(user: &str, i: usize, date: i64) -> Vec<u8> {
    let common = format!(
        "From: Sender {i} <sender{i}@example.org>\r\nTo: {user}\r\nDate: {}\r\n\
         Message-ID: <seed-{i}@example.test>\r\nX-Seed-Index: {i}\r\nMIME-Version: 1.0\r\n",
        format_rfc5322_date(date)
    );
    let body = match i % 4 {
        0 => format!(
            "Subject: Seed message {i}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n\
             This is seeded message number {i}.\r\nIt has two lines.\r\n"
        ),
        1 => format!(
            "Subject: {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}",
            encode_header_text(&format!("会议纪要 {i}")),
            base64_lines(format!("第 {i} 号消息。\r\nGrüße aus dem Testkit.\r\n").as_bytes())
        ),
        2 => {
            let boundary = format!("alt-{i}");
            let reply = if i > 0 { format!("In-Reply-To: <seed-{}@example.test>\r\n", i - 1) } else { String::new() };
            format!(
                "Subject: Re: Seed message {i}\r\n{reply}Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                 Caf=C3=A9 reply {i} with a soft=\r\nline break.\r\n\
                 --{boundary}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
                 <p>Caf=C3=A9 reply {i}</p>\r\n--{boundary}--\r\n"
            )
        }
        _ => {
            let boundary = format!("mixed-{i}");
            let name = format!("报告-{i}.pdf");
            let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
            let pdf = format!("%PDF-1.4\n% seeded attachment {i}\n%%EOF\n");
            format!(
                "Subject: Report {i} attached\r\nContent-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n\
                 --{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nSee the attached report {i}.\r\n\
                 --{boundary}\r\nContent-Type: application/pdf; name=\"{}\"\r\n\
                 Content-Disposition: attachment; filename*=UTF-8''{encoded}\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                 {}--{boundary}--\r\n",
                encode_header_text(&name),
                base64_lines(pdf.as_bytes())
            )
        }
    };
    format!("{common}{body}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_cycle_and_stay_ascii() {
        for i in 0..8 {
            let m = message("alice@example.test", i, 1_796_320_951);
            assert!(m.is_ascii(), "message {i} must be 7-bit");
            let text = String::from_utf8(m).unwrap();
            assert!(text.contains(&format!("Message-ID: <seed-{i}@example.test>")));
            assert!(text.contains("\r\n\r\n"));
        }
        assert!(String::from_utf8(message("a", 1, 0)).unwrap().contains("=?UTF-8?B?"));
        assert!(String::from_utf8(message("a", 3, 0)).unwrap().contains("filename*=UTF-8''"));
    }
}
