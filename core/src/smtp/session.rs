//! One SMTP connection driven through lettre's `SmtpConnection`: connect,
//! STARTTLS, our own SASL exchange (lettre cannot answer an XOAUTH2 error
//! challenge nor speak OAUTHBEARER), and a mail transaction that reports each
//! recipient and knows whether a failure can have delivered the message.

use std::cell::Cell;
use std::time::Duration;

use lettre::transport::smtp::Error as LettreError;
use lettre::transport::smtp::authentication::Mechanism as LettreMechanism;
use lettre::transport::smtp::client::{SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::{ClientId, Extension};
use lettre::transport::smtp::response::Response;
use zeroize::Zeroizing;

use super::{RejectedRecipient, SendReport, SmtpConfig, Transport};
use crate::exchange_errors::{SmtpStage, enhanced_code, map_reply};
use crate::sasl::{ErrorChallenge, Mechanism};
use crate::{AccessToken, Error, ErrorKind, Result, Security};

/// Bytes handed to the socket per write while sending the message content.
const CHUNK: usize = 64 * 1024;
/// Messages up to this size go to the server in one write (see `send`).
const ONE_WRITE: usize = 1 << 20;

/// Why authentication failed, and whether a fresh token could help.
pub(crate) struct AuthFailure {
    pub error: Error,
    /// The server refused the token itself (not the tenant, mailbox or mechanism).
    pub token_rejected: bool,
}

impl From<Error> for AuthFailure {
    fn from(error: Error) -> Self {
        AuthFailure { error, token_rejected: false }
    }
}

/// Why a send failed.
pub(crate) enum SendFailure {
    /// The connection broke before the server could have accepted anything:
    /// the same message may be sent again on a new connection.
    Retryable(Error),
    /// The server refused, or the outcome is unknown: report, never resend.
    Final(Error),
}

pub(crate) struct Session {
    conn: SmtpConnection,
    host: String,
    port: u16,
    hello: ClientId,
    /// Set when the connection is in an unknown state and must not be reused.
    broken: bool,
}

/// A negative reply from the server, or a failure of the connection itself.
enum Failure {
    Reply(u16, String),
    Connection(Error),
}

fn classify(context: &str, e: LettreError) -> Failure {
    if let Some(code) = e.status() {
        let text = std::error::Error::source(&e).map(|s| s.to_string()).unwrap_or_default();
        return Failure::Reply(u16::from(code), text);
    }
    Failure::Connection(connection_error(context, e))
}

/// Maps a lettre error that is not a server reply, telling TLS and timeouts apart.
fn connection_error(context: &str, e: LettreError) -> Error {
    let mut kind = if e.is_tls() { ErrorKind::Tls } else { ErrorKind::Network };
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = cur {
        if err.is::<rustls::Error>() {
            kind = ErrorKind::Tls;
        } else if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if matches!(io.kind(), std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock) {
                kind = ErrorKind::Timeout;
            } else if io.get_ref().is_some_and(|inner| inner.is::<rustls::Error>()) {
                kind = ErrorKind::Tls;
            }
        }
        cur = err.source();
    }
    let hint = match kind {
        ErrorKind::Tls => {
            "The server's certificate is not trusted for this host name; pass the issuing CA with ca_file if it is a private CA."
        }
        ErrorKind::Timeout => "The server did not answer in time; check the host and port or raise the timeout.",
        _ => "Check the host name, port and firewall.",
    };
    Error::new(kind, context.to_owned()).with_source(e).with_hint(hint)
}

fn reply_text(r: &Response) -> String {
    let lines: Vec<&str> = r.message().collect();
    format!("{} {}", u16::from(r.code()), lines.join(" "))
}

impl Session {
    /// Connects and secures the connection (implicit TLS or STARTTLS). Never
    /// continues without TLS: the token must not cross the network in clear.
    pub fn connect(config: &SmtpConfig, tls: &TlsParameters) -> Result<Session> {
        let security = config.security.unwrap_or_else(|| Security::default_for_port(config.port));
        let hello = config.hello_name.clone().map(ClientId::Domain).unwrap_or_default();
        let where_ = format!("SMTP connection to {}:{}", config.host, config.port);
        let implicit = (security == Security::Tls).then_some(tls);
        let mut conn =
            SmtpConnection::connect((config.host.as_str(), config.port), Some(config.timeout), &hello, implicit, None)
                .map_err(|e| match classify(&format!("cannot open the {where_}"), e) {
                    Failure::Reply(code, text) => map_reply(SmtpStage::Connect, code, &text),
                    Failure::Connection(err) => err,
                })?;
        if security == Security::StartTls {
            if !conn.can_starttls() {
                conn.abort();
                return Err(Error::new(ErrorKind::Tls, format!("the {where_} does not offer STARTTLS"))
                    .with_hint("Use the server's TLS port (465) or a server that supports STARTTLS; the token is never sent unencrypted."));
            }
            conn.starttls(tls, &hello).map_err(|e| match classify(&format!("STARTTLS failed on the {where_}"), e) {
                // A refused STARTTLS is a TLS failure, whatever the reply code says (454 looks transient).
                Failure::Reply(code, text) => crate::tls::starttls_refused(map_reply(SmtpStage::Connect, code, &text)),
                Failure::Connection(err) => err,
            })?;
        }
        Ok(Session { conn, host: config.host.clone(), port: config.port, hello, broken: false })
    }

    /// Authenticates with `mechanism`, or the best one the server offers.
    pub fn authenticate(
        &mut self,
        user: &str,
        token: &AccessToken,
        mechanism: Option<Mechanism>,
    ) -> Result<(), AuthFailure> {
        let mechanism = match mechanism {
            Some(m) => m,
            None => self.pick_mechanism()?,
        };
        let initial = mechanism.initial_response_base64(user, token.token(), &self.host, self.port)?;
        let line = Zeroizing::new(format!("AUTH {} {}\r\n", mechanism.name(), initial.expose()));
        match self.conn.command(line.as_str()) {
            Ok(r) if r.has_code(235) => Ok(()),
            Ok(r) if r.has_code(334) => Err(self.answer_error_challenge(mechanism, r.first_line().unwrap_or(""))),
            Ok(r) => {
                self.broken = true;
                Err(Error::protocol(format!("unexpected reply to AUTH {}: {}", mechanism.name(), reply_text(&r)))
                    .into())
            }
            Err(e) => Err(self.auth_reply_failure(e, None)),
        }
    }

    /// XOAUTH2 when offered (Exchange offers only that), else OAUTHBEARER.
    fn pick_mechanism(&mut self) -> Result<Mechanism> {
        if self.conn.server_info().supports_auth_mechanism(LettreMechanism::Xoauth2) {
            return Ok(Mechanism::Xoauth2);
        }
        // lettre's EHLO parser does not record OAUTHBEARER, so ask again and read the AUTH line ourselves.
        let ehlo = self.conn.command(format!("EHLO {}\r\n", self.hello)).map_err(|e| {
            self.broken = true;
            connection_error("EHLO failed", e)
        })?;
        let auth: Vec<String> = ehlo
            .message()
            .filter_map(|l| l.strip_prefix("AUTH ").or_else(|| l.strip_prefix("AUTH=")))
            .flat_map(|l| l.split_whitespace().map(str::to_ascii_uppercase))
            .collect();
        if auth.iter().any(|m| m == "OAUTHBEARER") {
            return Ok(Mechanism::OAuthBearer);
        }
        let offered = if auth.is_empty() { "none".to_owned() } else { auth.join(" ") };
        Err(Error::auth(format!("the SMTP server offers no OAuth mechanism (AUTH: {offered})"))
            .with_code("NoOAuthMechanism")
            .with_hint("The server must offer XOAUTH2 or OAUTHBEARER; for Exchange Online check that SMTP AUTH is enabled for the mailbox."))
    }

    /// Answers the server's error challenge so that it sends its final reply,
    /// and explains both.
    fn answer_error_challenge(&mut self, mechanism: Mechanism, challenge: &str) -> AuthFailure {
        let decoded = ErrorChallenge::decode(challenge);
        let final_reply = self.conn.command(format!("{}\r\n", mechanism.error_challenge_reply()));
        let Ok(challenge) = decoded else {
            self.broken = true;
            return Error::protocol(format!("AUTH {} got a challenge that is not an OAuth error", mechanism.name()))
                .into();
        };
        let token_rejected = challenge.is_invalid_token();
        match final_reply {
            Err(e) => {
                let mut failure = self.auth_reply_failure(e, Some((&challenge, mechanism)));
                failure.token_rejected &= token_rejected;
                failure
            }
            Ok(r) => {
                self.broken = true;
                AuthFailure { error: challenge.to_error(mechanism, Some(&reply_text(&r))), token_rejected }
            }
        }
    }

    fn auth_reply_failure(&mut self, e: LettreError, challenge: Option<(&ErrorChallenge, Mechanism)>) -> AuthFailure {
        match classify("the connection failed during authentication", e) {
            Failure::Reply(code, text) => {
                // Exchange and Postfix say 5.7.3 / 5.7.8 for a bad or expired token; other codes name another cause.
                let token_rejected = code == 535 && matches!(enhanced_code(&text), Some("5.7.3" | "5.7.8") | None);
                let mapped = map_reply(SmtpStage::Auth, code, &text);
                let error = match challenge {
                    Some((c, m)) if token_rejected => {
                        let detailed = c.to_error(m, Some(&format!("{code} {text}")));
                        Error::new(mapped.kind(), detailed.message_text().to_owned())
                            .with_code(mapped.code().unwrap_or_default().to_owned())
                            .with_hint(mapped.hint().unwrap_or_default().to_owned())
                    }
                    _ => mapped,
                };
                AuthFailure { error, token_rejected }
            }
            Failure::Connection(err) => {
                self.broken = true;
                match challenge {
                    Some((c, m)) => AuthFailure { error: c.to_error(m, None), token_rejected: c.is_invalid_token() },
                    None => err.into(),
                }
            }
        }
    }

    /// One mail transaction: MAIL FROM, RCPT TO for each recipient, DATA.
    pub fn send(&mut self, from: &str, recipients: &[String], bytes: &[u8]) -> Result<SendReport, SendFailure> {
        let info = self.conn.server_info();
        let mut params = String::new();
        if !bytes.is_ascii() {
            if !info.supports_feature(Extension::EightBitMime) {
                return Err(SendFailure::Final(
                    Error::message("the message has 8-bit content but the server does not support 8BITMIME")
                        .with_hint("Encode the body as quoted-printable or base64 (the Message builder does)."),
                ));
            }
            params.push_str(" BODY=8BITMIME");
        }
        if !from.is_ascii() || recipients.iter().any(|r| !r.is_ascii()) {
            if !info.supports_feature(Extension::SmtpUtfEight) {
                return Err(SendFailure::Final(Error::message(
                    "an address is not ASCII and the server does not support SMTPUTF8",
                )));
            }
            params.push_str(" SMTPUTF8");
        }

        match self.conn.command(format!("MAIL FROM:<{from}>{params}\r\n")) {
            Ok(_) => {}
            Err(e) => return Err(self.failed_before_data(SmtpStage::MailFrom, e)),
        }
        let mut accepted = Vec::new();
        let mut rejected = Vec::new();
        for rcpt in recipients {
            match self.conn.command(format!("RCPT TO:<{rcpt}>\r\n")) {
                Ok(_) => accepted.push(rcpt.clone()),
                Err(e) => match classify("the connection failed during RCPT TO", e) {
                    Failure::Reply(code, text) => rejected.push(RejectedRecipient {
                        address: rcpt.clone(),
                        code: enhanced_code(&text).map_or_else(|| code.to_string(), str::to_owned),
                        reply: format!("{code} {text}"),
                    }),
                    Failure::Connection(err) => return Err(self.broke(err)),
                },
            }
        }
        if accepted.is_empty() {
            self.reset();
            let first = &rejected[0];
            let code: u16 = first.reply[..3].parse().unwrap_or(550);
            let mapped = map_reply(SmtpStage::RcptTo, code, &first.reply[4..]);
            let all: Vec<String> = rejected.iter().map(|r| format!("{} ({})", r.address, r.reply)).collect();
            return Err(SendFailure::Final(
                Error::new(mapped.kind(), format!("every recipient was refused: {}", all.join("; ")))
                    .with_code(mapped.code().unwrap_or_default().to_owned())
                    .with_hint(mapped.hint().unwrap_or_default().to_owned()),
            ));
        }
        if let Err(e) = self.conn.command("DATA\r\n") {
            return Err(self.failed_before_data(SmtpStage::Data, e));
        }

        // Tracks whether every byte was handed over: only then can the server
        // have accepted the message, and only then must it not be resent.
        let all_written = Cell::new(false);
        let sent = match std::str::from_utf8(bytes) {
            // lettre writes the body and the final "." line in two writes, on a socket it
            // gives no way to set TCP_NODELAY on: the second write then waits for the
            // server's delayed ACK, about 40 ms per message. One write avoids that; a
            // connection lost during it may have delivered the message, so it counts as written.
            Ok(text) if bytes.len() <= ONE_WRITE => {
                all_written.set(true);
                self.conn.command(data_payload(text))
            }
            _ => self.conn.message_iter(Tracked { inner: bytes.chunks(CHUNK), done: &all_written }),
        };
        match sent {
            Ok(r) => {
                let reply = reply_text(&r);
                let text: Vec<&str> = r.message().collect();
                Ok(SendReport {
                    queue_id: queue_id(&text.join(" ")),
                    reply,
                    accepted,
                    rejected,
                    via: Transport::Smtp,
                    message_id: None,
                })
            }
            Err(e) => match classify("the connection failed while sending the message", e) {
                Failure::Reply(code, text) => Err(SendFailure::Final(map_reply(SmtpStage::Data, code, &text))),
                Failure::Connection(err) if !all_written.get() => Err(self.broke(err)),
                Failure::Connection(err) => {
                    self.broken = true;
                    Err(SendFailure::Final(
                        Error::new(
                            err.kind(),
                            format!(
                                "{}; the server may or may not have accepted the message, so it was not sent again",
                                err.message_text()
                            ),
                        )
                        .with_hint("Check the recipient's mailbox before sending it again."),
                    ))
                }
            },
        }
    }

    fn failed_before_data(&mut self, stage: SmtpStage, e: LettreError) -> SendFailure {
        match classify("the connection failed before the message was sent", e) {
            Failure::Reply(421, text) => {
                // The server is closing this session; a new one may work.
                self.broken = true;
                SendFailure::Retryable(map_reply(stage, 421, &text))
            }
            Failure::Reply(code, text) => {
                self.reset();
                SendFailure::Final(map_reply(stage, code, &text))
            }
            Failure::Connection(err) => self.broke(err),
        }
    }

    /// A broken connection before the end of DATA: nothing was accepted, so a
    /// resend is safe — unless we gave up waiting, when the server may still be working.
    fn broke(&mut self, err: Error) -> SendFailure {
        self.broken = true;
        if err.kind() == ErrorKind::Timeout { SendFailure::Final(err) } else { SendFailure::Retryable(err) }
    }

    /// Aborts the current transaction so the connection can be reused.
    fn reset(&mut self) {
        if self.conn.command("RSET\r\n").is_err() {
            self.broken = true;
        }
    }

    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Ends the session politely; errors do not matter any more.
    pub fn quit(mut self) {
        if !self.broken {
            // Closing must not hang on a server that stopped answering.
            let _ = self.conn.set_timeout(Some(Duration::from_secs(5)));
            let _ = self.conn.quit();
        }
        self.conn.abort();
    }
}

/// The DATA payload as lettre's codec makes it (a "." that opens a line after CRLF,
/// or the message, is doubled) followed by the terminating "." line.
fn data_payload(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 64 + 5);
    let (mut line_start, mut prev) = (true, '\0');
    for c in text.chars() {
        if c == '.' && line_start {
            out.push('.');
        }
        out.push(c);
        line_start = c == '\n' && prev == '\r';
        prev = c;
    }
    out.push_str("\r\n.\r\n");
    out
}

struct Tracked<'a, 'b> {
    inner: std::slice::Chunks<'a, u8>,
    done: &'b Cell<bool>,
}

impl<'a> Iterator for Tracked<'a, '_> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let next = self.inner.next();
        if next.is_none() {
            self.done.set(true);
        }
        next
    }
}

/// The queue id in a final reply: Postfix `Ok: queued as 4Xyz`, Exchange
/// `2.0.0 OK <id@host> [Hostname=...]`.
pub(crate) fn queue_id(text: &str) -> Option<String> {
    let clean = |w: &str| w.trim_matches(|c| c == '<' || c == '>').to_owned();
    if let Some(i) = text.find("queued as ") {
        return text[i + 10..].split_whitespace().next().map(clean).filter(|s| !s.is_empty());
    }
    let mut words = text.split_whitespace().skip_while(|w| enhanced_code(w).is_some());
    if words.next()?.trim_end_matches(':').eq_ignore_ascii_case("ok") {
        return words.next().filter(|w| !w.starts_with('[')).map(clean).filter(|s| !s.is_empty());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::{data_payload, queue_id};

    #[test]
    fn data_payload_doubles_dots_opening_lines_and_ends_with_the_dot_line() {
        assert_eq!(data_payload(".a\r\n.b\r\nc.\r\n..\r\n"), "..a\r\n..b\r\nc.\r\n...\r\n\r\n.\r\n");
        // Only CRLF starts a line, as in lettre's codec.
        assert_eq!(data_payload("a\n.b\r.c\r\r\n.d"), "a\n.b\r.c\r\r\n..d\r\n.\r\n");
        assert_eq!(data_payload("测试\r\n.测"), "测试\r\n..测\r\n.\r\n");
    }

    #[test]
    fn queue_ids_of_postfix_exchange_and_others() {
        assert_eq!(queue_id("2.0.0 Ok: queued as 4Zb1xY0abcz").as_deref(), Some("4Zb1xY0abcz"));
        assert_eq!(
            queue_id(
                "2.0.0 OK <DM6PR11MB1234.namprd11.prod.outlook.com> [Hostname=DM6PR11MB1234.namprd11.prod.outlook.com]"
            )
            .as_deref(),
            Some("DM6PR11MB1234.namprd11.prod.outlook.com")
        );
        assert_eq!(queue_id("2.0.0 OK abc123 [Hostname=testkit]").as_deref(), Some("abc123"));
        assert_eq!(queue_id("2.0.0 OK [Hostname=x]"), None);
        assert_eq!(queue_id("Message accepted"), None);
    }
}
