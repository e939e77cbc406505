//! `SmtpClient`: sends messages over SMTP submission with an OAuth 2.0 token
//! (XOAUTH2 or OAUTHBEARER), keeping one authenticated connection open for
//! many messages.
//!
//! Guarantees: a message is validated before anything is sent; a connection
//! the server closed is reopened once, and only when the server cannot have
//! accepted the message yet (never after the whole content was handed over);
//! a token is taken from the credential (its cache) once per connection, and
//! a token the server refuses because it expired is refreshed once.
//!
//! lettre's `SmtpConnection` carries the bytes and does TLS; SASL, the
//! transaction and error mapping are ours (see `session.rs`). lettre cannot be
//! given our rustls `ClientConfig`, so its TLS parameters are built with the
//! same trust: the webpki roots plus the `TlsTrust`'s extra CAs.

mod session;

use std::borrow::Cow;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};

use crate::graph::{GraphMailClient, header_recipients};
use crate::message::parse_mailbox;
use crate::sasl::Mechanism;
use crate::tls::TlsTrust;
use crate::{AccessToken, Error, ErrorKind, Message, Provider, Result, Security, TokenCredential};
use session::{SendFailure, Session};

/// Where an SMTP client connects and how it authenticates.
#[derive(Clone, Debug)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    /// The mailbox to authenticate as (the SASL user).
    pub username: String,
    /// `None`: implicit TLS on 465, STARTTLS otherwise.
    pub security: Option<Security>,
    pub ca: TlsTrust,
    /// For connecting and for each read or write.
    pub timeout: Duration,
    /// `None` picks XOAUTH2 when offered, else OAUTHBEARER.
    pub mechanism: Option<Mechanism>,
    /// Token scopes; empty means the credential's default scopes.
    pub scopes: Vec<String>,
    /// The EHLO name; default: this host's name.
    pub hello_name: Option<String>,
}

impl SmtpConfig {
    pub fn new(host: impl Into<String>, port: u16, username: impl Into<String>) -> Self {
        SmtpConfig {
            host: host.into(),
            port,
            username: username.into(),
            security: None,
            ca: TlsTrust::system(),
            timeout: Duration::from_secs(60),
            mechanism: None,
            scopes: Vec::new(),
            hello_name: None,
        }
    }
}

/// How a message was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Smtp,
    /// Through Microsoft Graph, because Exchange refused SMTP AUTH (5.7.139).
    Graph,
}

/// A recipient the server refused while others were accepted. A 4xx `reply`
/// is temporary: the message may be sent to this address again later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectedRecipient {
    pub address: String,
    /// The enhanced status code (`5.1.1`), or the reply code when there is none.
    pub code: String,
    /// The server's whole reply, e.g. `550 5.1.1 <x@example.com>: User unknown`.
    pub reply: String,
}

/// What the server said about an accepted message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SendReport {
    /// The server's queue id (Postfix `queued as X`, Exchange `OK <X>`), when it gives one.
    pub queue_id: Option<String>,
    /// The server's final reply, e.g. `250 2.0.0 Ok: queued as 4Zb1xY0abcz`.
    pub reply: String,
    pub accepted: Vec<String>,
    pub rejected: Vec<RejectedRecipient>,
    pub via: Transport,
    /// The Message-ID header of a message built with [`Message`].
    pub message_id: Option<String>,
}

/// Sends mail over SMTP with OAuth 2.0. `Send + Sync`; calls are serialised
/// on its one connection.
pub struct SmtpClient {
    config: SmtpConfig,
    credential: Arc<dyn TokenCredential>,
    tls: TlsParameters,
    graph: Option<GraphMailClient>,
    /// `None` once closed.
    state: Mutex<Option<State>>,
}

#[derive(Default)]
struct State {
    session: Option<Session>,
    /// Exchange said SMTP AUTH is disabled and a Graph fallback is set.
    use_graph: bool,
}

impl std::fmt::Debug for SmtpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpClient")
            .field("host", &self.config.host)
            .field("port", &self.config.port)
            .field("username", &self.config.username)
            .field("graph_fallback", &self.graph.is_some())
            .finish()
    }
}

impl SmtpClient {
    pub fn new(config: SmtpConfig, credential: Arc<dyn TokenCredential>) -> Result<SmtpClient> {
        if config.host.trim().is_empty() {
            return Err(Error::config("the SMTP host is empty"));
        }
        if config.port == 0 {
            return Err(Error::config("the SMTP port is 0"));
        }
        parse_mailbox("SMTP user name", &config.username).map_err(|e| {
            Error::config(e.message_text().to_owned()).with_hint("The user name is the mailbox address.")
        })?;
        let tls = tls_parameters(&config)?;
        Ok(SmtpClient { config, credential, tls, graph: None, state: Mutex::new(Some(State::default())) })
    }

    /// The provider's SMTP host, port, security and mail scope.
    pub fn from_provider(
        provider: &Provider,
        username: &str,
        credential: Arc<dyn TokenCredential>,
    ) -> Result<SmtpClient> {
        let mut config = SmtpConfig::new(provider.smtp.host.clone(), provider.smtp.port, username);
        config.security = Some(provider.smtp.security);
        config.scopes = vec![provider.mail_scope.clone()];
        SmtpClient::new(config, credential)
    }

    /// Sends through `graph` instead when Exchange answers `535 5.7.139`
    /// (SMTP AUTH disabled); reports then say `via: Transport::Graph`.
    pub fn with_graph_fallback(mut self, graph: GraphMailClient) -> SmtpClient {
        self.graph = Some(graph);
        self
    }

    pub fn config(&self) -> &SmtpConfig {
        &self.config
    }

    /// Validates and sends one message.
    pub fn send(&self, message: &Message) -> Result<SendReport> {
        let prepared = message.prepare()?;
        let mut guard = self.lock();
        let state = guard.as_mut().ok_or_else(|| Error::closed("SMTP client"))?;
        let mut report =
            self.deliver(state, &prepared.envelope_from, &prepared.recipients, &prepared.bytes, Some(message))?;
        report.message_id = Some(prepared.message_id);
        Ok(report)
    }

    /// Sends RFC 5322 bytes as they are, to the given envelope. Only line
    /// ends are made CRLF, as SMTP requires (Exchange refuses bare LF with
    /// `5.6.11`; JavaMail converts them the same way).
    pub fn send_raw(&self, envelope_from: &str, recipients: &[&str], bytes: &[u8]) -> Result<SendReport> {
        let from = parse_mailbox("envelope sender", envelope_from)?.email.to_string();
        let rcpts = recipients
            .iter()
            .map(|r| parse_mailbox("envelope recipient", r).map(|m| m.email.to_string()))
            .collect::<Result<Vec<_>>>()?;
        if rcpts.is_empty() {
            return Err(Error::message("the message has no recipients"));
        }
        if bytes.is_empty() {
            return Err(Error::message("the message is empty"));
        }
        let bytes = crlf_line_ends(bytes);
        let mut guard = self.lock();
        let state = guard.as_mut().ok_or_else(|| Error::closed("SMTP client"))?;
        self.deliver(state, &from, &rcpts, &bytes, None)
    }

    /// Sends each message over the same connection; one result per message,
    /// in order. A failed message does not stop the others.
    pub fn send_many(&self, messages: &[Message]) -> Vec<Result<SendReport>> {
        messages.iter().map(|m| self.send(m)).collect()
    }

    /// Connects and authenticates now instead of at the first send, to check
    /// a configuration; the session is kept for the next message.
    pub fn connect(&self) -> Result<()> {
        let mut guard = self.lock();
        let state = guard.as_mut().ok_or_else(|| Error::closed("SMTP client"))?;
        if state.session.is_none() {
            state.session = Some(self.open(self.token()?)?);
        }
        Ok(())
    }

    /// Ends the session. Later calls fail with a `Closed` error.
    pub fn close(&self) {
        let taken = self.lock().take();
        if let Some(State { session: Some(session), .. }) = taken {
            session.quit();
        }
    }

    fn lock(&self) -> MutexGuard<'_, Option<State>> {
        // A panic while sending left the session in an unknown state: start over.
        self.state.lock().unwrap_or_else(|poisoned| {
            let mut guard = poisoned.into_inner();
            if let Some(state) = guard.as_mut() {
                state.session = None;
            }
            guard
        })
    }

    fn deliver(
        &self,
        state: &mut State,
        from: &str,
        rcpts: &[String],
        bytes: &[u8],
        message: Option<&Message>,
    ) -> Result<SendReport> {
        if state.use_graph {
            return self.send_via_graph(message, rcpts, bytes);
        }
        let mut reconnected = false;
        loop {
            let mut session = match state.session.take() {
                Some(s) => s,
                // A token failure is final: the credential has already retried.
                None => match self.open(self.token()?) {
                    Ok(s) => s,
                    Err(e) if self.graph.is_some() && e.code() == Some("5.7.139") => {
                        tracing::info!(
                            "SMTP AUTH is disabled for this mailbox (5.7.139); sending through Microsoft Graph"
                        );
                        state.use_graph = true;
                        return self.send_via_graph(message, rcpts, bytes);
                    }
                    // The server dropped the connection while we logged in: try once more.
                    Err(e) if !reconnected && e.kind() == ErrorKind::Network => {
                        tracing::debug!(error = %e, "SMTP connection lost while logging in; reconnecting");
                        reconnected = true;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
            };
            match session.send(from, rcpts, bytes) {
                Ok(report) => {
                    state.session = Some(session);
                    return Ok(report);
                }
                Err(SendFailure::Retryable(e)) if !reconnected => {
                    tracing::debug!(error = %e, "SMTP connection lost before the message was accepted; reconnecting");
                    reconnected = true;
                }
                Err(SendFailure::Retryable(e) | SendFailure::Final(e)) => {
                    if !session.is_broken() {
                        state.session = Some(session);
                    }
                    return Err(e);
                }
            }
        }
    }

    fn send_via_graph(&self, message: Option<&Message>, rcpts: &[String], bytes: &[u8]) -> Result<SendReport> {
        let graph = self.graph.as_ref().ok_or_else(|| Error::internal("Graph fallback used without a Graph client"))?;
        match message {
            Some(m) => graph.send(m),
            None => {
                // Graph would send to the headers' addresses, not to our envelope:
                // only go ahead when they are the same people.
                let headers = header_recipients(bytes);
                let same = headers.len() == rcpts.len()
                    && rcpts.iter().all(|r| headers.iter().any(|h| h.eq_ignore_ascii_case(r)));
                if !same {
                    return Err(Error::message(
                        "SMTP AUTH is disabled (5.7.139) and the Graph fallback cannot send this raw message: \
                         its To/Cc/Bcc headers name other recipients than the envelope",
                    )
                    .with_code("5.7.139")
                    .with_hint("Make the headers list exactly the envelope recipients, or send a Message instead of raw bytes."));
                }
                graph.send_mime(bytes)
            }
        }
    }

    fn scopes(&self) -> Vec<&str> {
        self.config.scopes.iter().map(String::as_str).collect()
    }

    /// The token for the next login, from the credential's cache.
    fn token(&self) -> Result<AccessToken> {
        self.credential.get_token(&self.scopes())
    }

    /// A connected session authenticated with `token`; if the server refuses
    /// it and it may have expired, one fresh token is fetched and the login
    /// retried on a new connection.
    fn open(&self, token: AccessToken) -> Result<Session> {
        let scopes = self.scopes();
        let mut session = Session::connect(&self.config, &self.tls)?;
        match session.authenticate(&self.config.username, &token, self.config.mechanism) {
            Ok(()) => Ok(session),
            Err(failure) if failure.token_rejected && may_have_expired(&token) => {
                tracing::debug!("the server refused a token that may have expired; fetching a fresh one");
                session.quit();
                let fresh = self.credential.get_fresh_token(&scopes)?;
                let mut session = Session::connect(&self.config, &self.tls)?;
                session.authenticate(&self.config.username, &fresh, self.config.mechanism).map_err(|f| f.error)?;
                Ok(session)
            }
            Err(failure) => {
                session.quit();
                Err(failure.error)
            }
        }
    }
}

/// `bytes` with every bare LF or bare CR turned into CRLF.
fn crlf_line_ends(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bare = |i: usize, b: u8| match b {
        b'\n' => i == 0 || bytes[i - 1] != b'\r',
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    };
    if !bytes.iter().enumerate().any(|(i, &b)| bare(i, b)) {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' if bare(i, b) => out.extend_from_slice(b"\r\n"),
            b'\r' if bare(i, b) => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
    }
    Cow::Owned(out)
}

impl Drop for SmtpClient {
    /// Ends the session with QUIT rather than just dropping the connection.
    fn drop(&mut self) {
        self.close();
    }
}

/// Whether the token is expired or about to be, by the server's likely clock:
/// its `exp` claim (or our expiry) within five minutes, Exchange's clock-skew
/// allowance. Opaque tokens (Google) cannot be read, so they may have.
fn may_have_expired(token: &AccessToken) -> bool {
    let skew = Duration::from_secs(300);
    let expires = match token.claims() {
        Ok(c) => match c.exp {
            Some(exp) => SystemTime::UNIX_EPOCH + Duration::from_secs(exp),
            None => return true,
        },
        Err(_) => return true,
    };
    expires.min(token.expires_on()) <= SystemTime::now() + skew
}

fn tls_parameters(config: &SmtpConfig) -> Result<TlsParameters> {
    let mut builder = TlsParameters::builder(config.host.clone()).certificate_store(CertificateStore::WebpkiRoots);
    for der in config.ca.extra_certificates() {
        let cert = Certificate::from_der(der.to_vec())
            .map_err(|e| Error::config("cannot use a CA certificate for SMTP").with_source(e))?;
        builder = builder.add_root_certificate(cert);
    }
    builder.build_rustls().map_err(|e| Error::config("cannot set up TLS for SMTP").with_source(e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn jwt_expiring_in(secs: i64) -> AccessToken {
        let exp = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs() as i64 + secs;
        let b = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
        let jwt = format!("{}.{}.sig", b(r#"{"alg":"RS256"}"#), b(&format!(r#"{{"exp":{exp}}}"#)));
        AccessToken::new(jwt, SystemTime::now() + Duration::from_secs(3600))
    }

    #[test]
    fn expiry_is_judged_by_the_token_itself() {
        assert!(may_have_expired(&jwt_expiring_in(-10)));
        assert!(may_have_expired(&jwt_expiring_in(60)));
        assert!(!may_have_expired(&jwt_expiring_in(3000)));
        assert!(may_have_expired(&AccessToken::new("opaque-token", SystemTime::now() + Duration::from_secs(3600))));
    }

    #[test]
    fn bad_configuration_is_a_config_error() {
        let cred: Arc<dyn TokenCredential> = Arc::new(crate::StaticTokenCredential::new("t", None).unwrap());
        for cfg in [
            SmtpConfig::new("", 587, "a@example.test"),
            SmtpConfig::new("smtp.example.test", 0, "a@example.test"),
            SmtpConfig::new("smtp.example.test", 587, "not a mailbox"),
        ] {
            assert_eq!(SmtpClient::new(cfg, cred.clone()).unwrap_err().kind(), crate::ErrorKind::Config);
        }
    }

    #[test]
    fn closed_client_refuses_to_send() {
        let cred: Arc<dyn TokenCredential> = Arc::new(crate::StaticTokenCredential::new("t", None).unwrap());
        let client = SmtpClient::new(SmtpConfig::new("127.0.0.1", 1, "a@example.test"), cred).unwrap();
        client.close();
        let m = Message::new().from("a@example.test").to("b@example.test").text("x");
        assert_eq!(client.send(&m).unwrap_err().kind(), crate::ErrorKind::Closed);
        // Invalid input is still reported as such, before anything else.
        assert_eq!(client.send(&Message::new()).unwrap_err().kind(), crate::ErrorKind::Message);
    }

    #[test]
    fn office365_preset_is_starttls_587_with_the_outlook_scope() {
        let cred: Arc<dyn TokenCredential> = Arc::new(crate::StaticTokenCredential::new("t", None).unwrap());
        let client = SmtpClient::from_provider(&Provider::office365(), "alice@contoso.com", cred).unwrap();
        let c = client.config();
        assert_eq!((c.host.as_str(), c.port, c.security), ("smtp.office365.com", 587, Some(Security::StartTls)));
        assert_eq!(c.scopes, ["https://outlook.office365.com/.default"]);
        assert_eq!(c.username, "alice@contoso.com");
    }

    #[test]
    fn raw_line_ends_become_crlf() {
        assert!(matches!(crlf_line_ends(b"a\r\nb\r\n"), Cow::Borrowed(_)));
        assert_eq!(&*crlf_line_ends(b"a\nb\r\nc\rd\n"), b"a\r\nb\r\nc\r\nd\r\n");
        assert_eq!(&*crlf_line_ends(b"\n\n"), b"\r\n\r\n");
    }

    #[test]
    fn client_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<SmtpClient>();
    }
}
