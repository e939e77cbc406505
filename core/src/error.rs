//! The one error type of the library, shared by every language binding.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

/// What went wrong, in terms of what the user has to change.
///
/// Each kind has a fixed number ([`ErrorKind::number`]) that is never reused
/// and a PascalCase name ([`ErrorKind::name`]) that every binding uses as its
/// canonical string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u32)]
pub enum ErrorKind {
    /// A setting is missing or invalid (bad URL, unreadable CA file, ...).
    Config = 1,
    /// The identity platform or mail server refused the credentials.
    Auth = 2,
    /// The token is fine but does not grant access to this mailbox or action.
    Permission = 3,
    /// The connection could not be made or was lost.
    Network = 4,
    /// TLS failed: untrusted certificate, wrong host name, no STARTTLS.
    Tls = 5,
    /// An operation did not finish in time.
    Timeout = 6,
    /// The server said something we did not expect.
    Protocol = 7,
    /// The message is invalid: bad address, header injection, no recipients.
    Message = 8,
    /// The server asks us to slow down.
    Throttled = 9,
    /// The client was closed and cannot be used any more.
    Closed = 10,
    /// A bug in oauthmail (for example a caught panic).
    Internal = 99,
}

impl ErrorKind {
    /// Every kind, in number order.
    pub const ALL: [ErrorKind; 11] = [
        ErrorKind::Config,
        ErrorKind::Auth,
        ErrorKind::Permission,
        ErrorKind::Network,
        ErrorKind::Tls,
        ErrorKind::Timeout,
        ErrorKind::Protocol,
        ErrorKind::Message,
        ErrorKind::Throttled,
        ErrorKind::Closed,
        ErrorKind::Internal,
    ];

    pub fn number(self) -> u32 {
        self as u32
    }

    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Config => "Config",
            ErrorKind::Auth => "Auth",
            ErrorKind::Permission => "Permission",
            ErrorKind::Network => "Network",
            ErrorKind::Tls => "Tls",
            ErrorKind::Timeout => "Timeout",
            ErrorKind::Protocol => "Protocol",
            ErrorKind::Message => "Message",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::Closed => "Closed",
            ErrorKind::Internal => "Internal",
        }
    }

    pub fn from_number(n: u32) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|k| k.number() == n)
    }

    /// Whether retrying the same operation later may succeed.
    pub fn is_transient(self) -> bool {
        matches!(self, ErrorKind::Network | ErrorKind::Timeout | ErrorKind::Throttled)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error with the provider's own code and a hint that says what to change.
///
/// Never contains a secret: messages are built from server replies and our
/// own text, and tokens are never part of either.
#[derive(Clone)]
pub struct Error {
    kind: ErrorKind,
    code: Option<String>,
    message: String,
    hint: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, code: None, message: message.into(), hint: None, retry_after: None, source: None }
    }

    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }
    pub fn auth(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Auth, message)
    }
    pub fn protocol(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Protocol, message)
    }
    pub fn message(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Message, message)
    }
    pub fn internal(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Internal, message)
    }
    pub fn closed(what: &str) -> Self {
        Error::new(ErrorKind::Closed, format!("the {what} was closed"))
            .with_hint("Create a new client; a closed one cannot be reused.")
    }

    /// The provider's own code, e.g. `AADSTS7000215` or `5.7.139`.
    pub fn with_code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }
    /// One sentence that says what to change.
    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.retry_after = Some(after);
        self
    }
    /// Keeps the underlying error; its whole `source()` chain is appended to
    /// the message, because libraries such as reqwest put the useful part there.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        let chain = error_chain(&source);
        if !chain.is_empty() && !self.message.contains(&chain) {
            self.message = format!("{}: {chain}", self.message);
        }
        self.source = Some(Arc::new(source));
        self
    }
    pub fn with_kind(mut self, kind: ErrorKind) -> Self {
        self.kind = kind;
        self
    }

    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }
    pub fn message_text(&self) -> &str {
        &self.message
    }
    pub fn hint(&self) -> Option<&str> {
        self.hint.as_deref()
    }
    /// How long the server asked us to wait, for `Throttled` errors.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// Wraps an I/O error, telling timeouts from other network failures.
    pub fn io(context: impl Into<String>, err: std::io::Error) -> Self {
        use std::io::ErrorKind as Io;
        let kind = match err.kind() {
            Io::TimedOut | Io::WouldBlock => ErrorKind::Timeout,
            Io::InvalidData if err.get_ref().is_some_and(|e| e.is::<rustls::Error>()) => ErrorKind::Tls,
            _ => ErrorKind::Network,
        };
        Error::new(kind, context).with_source(err)
    }
}

/// `a: b: c` for an error and its sources, skipping repeats.
pub(crate) fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        cur = e.source();
    }
    parts.join(": ")
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} error", self.kind)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("code", &self.code)
            .field("message", &self.message)
            .field("hint", &self.hint)
            .field("retry_after", &self.retry_after)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_unique_and_round_trip() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_number(kind.number()), Some(kind));
            assert_eq!(ErrorKind::ALL.iter().filter(|k| k.number() == kind.number()).count(), 1);
        }
    }

    #[test]
    fn display_carries_code_and_hint() {
        let e = Error::auth("Invalid client secret provided.")
            .with_code("AADSTS7000215")
            .with_hint("Use the secret's value, not its ID.");
        assert_eq!(
            e.to_string(),
            "Auth error AADSTS7000215: Invalid client secret provided. (hint: Use the secret's value, not its ID.)"
        );
    }

    #[test]
    fn source_chain_is_appended_once() {
        let inner = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let e = Error::io("cannot connect to 127.0.0.1:1", inner);
        assert_eq!(e.kind(), ErrorKind::Network);
        assert_eq!(e.message_text(), "cannot connect to 127.0.0.1:1: connection refused");
    }
}
