"""oauthmail: send and read mail with OAuth 2.0 (Microsoft 365, Gmail, any
standard provider) over SMTP, IMAP, POP3 and Microsoft Graph.

    from oauthmail import ClientSecretCredential, Message, SmtpClient

    credential = ClientSecretCredential(tenant_id=..., client_id=..., client_secret=...)
    with SmtpClient(host="smtp.office365.com", port=587, username=user, credential=credential) as smtp:
        smtp.send(Message(from_=user, to="someone@example.com", subject="Hi", text="Hello"))

Every blocking call releases the GIL. Errors are ``OAuthMailError``
subclasses (see ``oauthmail.errors``) with ``kind``, ``code`` and ``hint``.
Log records of the Rust core go to the ``oauthmail`` logger.
"""

from ._native import (
    AccessToken,
    AuthorizationCodeCredential,
    AuthorizationRequest,
    ClientCertificateCredential,
    ClientSecretCredential,
    DeviceCodeCredential,
    DeviceCodeInfo,
    Endpoint,
    Finding,
    Folder,
    GraphMailClient,
    ImapClient,
    MailAddress,
    Message,
    MessageIterator,
    MessageSummary,
    Pop3Client,
    Provider,
    RefreshTokenCredential,
    RejectedRecipient,
    SendReport,
    SmtpClient,
    StaticTokenCredential,
    TokenCredential,
    UsernamePasswordCredential,
    __version__,
    diagnose,
)
from .errors import (
    AuthError,
    ClosedError,
    ConfigError,
    InternalError,
    MessageError,
    NetworkError,
    OAuthMailError,
    PermissionDeniedError,
    ProtocolError,
    ThrottledError,
    TimedOutError,
    TlsError,
)

__all__ = [
    "AccessToken",
    "AuthError",
    "AuthorizationCodeCredential",
    "AuthorizationRequest",
    "ClientCertificateCredential",
    "ClientSecretCredential",
    "ClosedError",
    "ConfigError",
    "DeviceCodeCredential",
    "DeviceCodeInfo",
    "Endpoint",
    "Finding",
    "Folder",
    "GraphMailClient",
    "ImapClient",
    "InternalError",
    "MailAddress",
    "Message",
    "MessageError",
    "MessageIterator",
    "MessageSummary",
    "NetworkError",
    "OAuthMailError",
    "PermissionDeniedError",
    "Pop3Client",
    "ProtocolError",
    "Provider",
    "RefreshTokenCredential",
    "RejectedRecipient",
    "SendReport",
    "SmtpClient",
    "StaticTokenCredential",
    "ThrottledError",
    "TimedOutError",
    "TlsError",
    "TokenCredential",
    "UsernamePasswordCredential",
    "__version__",
    "diagnose",
]
