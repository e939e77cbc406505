//! oauthmail: OAuth 2.0 tokens (Microsoft identity platform, Google, any standard
//! provider) and mail over SMTP, IMAP, POP3 and Microsoft Graph with them.
//!
//! Everything the language bindings expose lives here; bindings only convert.

pub mod authority;
pub mod credential;
pub mod doctor;
pub mod error;
pub mod exchange_errors;
#[doc(hidden)]
pub mod fuzz;
pub mod graph;
pub mod http;
pub mod imap;
pub mod log_bridge;
pub mod message;
pub mod mime;
pub mod oauth_error;
pub mod pop3;
pub mod provider;
pub mod sasl;
pub mod secret;
pub mod smtp;
pub mod summary;
pub mod tls;

pub use authority::Authority;
pub use credential::{
    AccessToken, AuthorizationCodeCredential, Claims, ClientCertificateCredential, ClientSecretCredential,
    CredentialOptions, DeviceCodeCredential, DeviceCodeInfo, RefreshTokenCredential, StaticTokenCredential, TokenCache,
    TokenCredential, UsernamePasswordCredential,
};
pub use error::{Error, ErrorKind, Result};
pub use graph::{GraphConfig, GraphMailClient};
pub use graph::{GraphListOptions, GraphMessagePages};
pub use imap::{ImapClient, ImapConfig};
pub use message::{Attachment, Message, PreparedMessage};
pub use mime::ParsedMessage;
pub use pop3::{Pop3Client, Pop3Config};
pub use provider::{Endpoint, Provider, Security};
pub use secret::Secret;
pub use smtp::{RejectedRecipient, SendReport, SmtpClient, SmtpConfig, Transport};
pub use summary::{MailAddress, MessageSummary};
