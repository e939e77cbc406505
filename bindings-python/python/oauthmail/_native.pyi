"""Type stubs of the native module; checked against the compiled module by
``python -m mypy.stubtest oauthmail._native`` in CI."""

import datetime
import os
from collections.abc import Callable, Iterator, Sequence
from email.message import EmailMessage
from email.message import Message as StdlibMessage
from typing import Any, Optional, Union, final

from typing_extensions import Self, disjoint_base

_Path = Union[str, os.PathLike[str]]
_Addresses = Union[str, Sequence[str]]

__version__: str

@final
class AccessToken:
    """An access token and when it expires; its repr never shows the token."""
    @property
    def token(self) -> str: ...
    @property
    def expires_on(self) -> int: ...
    @property
    def expires_at(self) -> datetime.datetime: ...
    def claims(self) -> dict[str, Any]: ...

@disjoint_base
class TokenCredential:
    """Base class of every credential; thread-safe, tokens cached and shared."""
    def get_token(self, *scopes: str) -> AccessToken: ...
    def get_fresh_token(self, *scopes: str) -> AccessToken: ...
    @property
    def default_scopes(self) -> list[str]: ...

@final
class ClientSecretCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        client_secret: str,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
    ) -> Self: ...

@final
class ClientCertificateCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        certificate_path: Optional[_Path] = None,
        key_path: Optional[_Path] = None,
        certificate_data: Optional[bytes] = None,
        key_data: Optional[bytes] = None,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
    ) -> Self: ...

@final
class UsernamePasswordCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        username: str,
        password: str,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
        client_secret: Optional[str] = None,
    ) -> Self: ...

@final
class RefreshTokenCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        refresh_token: str,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
        client_secret: Optional[str] = None,
        persistent_cache: Optional[_Path] = None,
    ) -> Self: ...
    @property
    def refresh_token(self) -> Optional[str]: ...

@final
class StaticTokenCredential(TokenCredential):
    def __new__(cls, token: str, expires_on: Union[datetime.datetime, float, None] = None) -> Self: ...

@final
class DeviceCodeInfo:
    @property
    def user_code(self) -> str: ...
    @property
    def verification_uri(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def expires_in(self) -> float: ...

@final
class DeviceCodeCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        prompt_callback: Optional[Callable[[DeviceCodeInfo], object]] = None,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
        client_secret: Optional[str] = None,
        login_hint: Optional[str] = None,
        persistent_cache: Optional[_Path] = None,
    ) -> Self: ...

@final
class AuthorizationRequest:
    @property
    def url(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def redirect_uri(self) -> str: ...

@final
class AuthorizationCodeCredential(TokenCredential):
    def __new__(
        cls,
        *,
        tenant_id: str,
        client_id: str,
        authority: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        scopes: Optional[Sequence[str]] = None,
        client_secret: Optional[str] = None,
        login_hint: Optional[str] = None,
        persistent_cache: Optional[_Path] = None,
    ) -> Self: ...
    @property
    def is_signed_in(self) -> bool: ...
    def authorize_url(self, redirect_uri: str, *scopes: str) -> AuthorizationRequest: ...
    def exchange(self, request: AuthorizationRequest, code: str, state: str) -> AccessToken: ...
    def run_loopback(self, *scopes: str, open_browser: Optional[Callable[[str], object]] = None) -> AccessToken: ...

@final
class Endpoint:
    @property
    def host(self) -> str: ...
    @property
    def port(self) -> int: ...
    @property
    def security(self) -> str: ...

_EndpointArg = Union[tuple[str, int], tuple[str, int, str]]

@final
class Provider:
    @staticmethod
    def office365() -> Provider: ...
    @staticmethod
    def office365_gcc_high() -> Provider: ...
    @staticmethod
    def office365_dod() -> Provider: ...
    @staticmethod
    def office365_china() -> Provider: ...
    @staticmethod
    def gmail() -> Provider: ...
    @staticmethod
    def by_name(name: str) -> Provider: ...
    @staticmethod
    def custom(
        *, authority: str, mail_scope: str, smtp: _EndpointArg, imap: _EndpointArg, pop3: _EndpointArg
    ) -> Provider: ...
    @property
    def name(self) -> str: ...
    @property
    def authority(self) -> str: ...
    @property
    def mail_scope(self) -> str: ...
    @property
    def graph_url(self) -> Optional[str]: ...
    @property
    def smtp(self) -> Endpoint: ...
    @property
    def imap(self) -> Endpoint: ...
    @property
    def pop3(self) -> Endpoint: ...

@final
class Message:
    def __new__(
        cls,
        *,
        from_: Optional[str] = None,
        to: Optional[_Addresses] = None,
        cc: Optional[_Addresses] = None,
        bcc: Optional[_Addresses] = None,
        subject: Optional[str] = None,
        text: Optional[str] = None,
        html: Optional[str] = None,
        reply_to: Optional[_Addresses] = None,
        sender: Optional[str] = None,
        headers: Optional[Sequence[tuple[str, str]]] = None,
    ) -> Self: ...
    @property
    def subject(self) -> Optional[str]: ...
    def attach(self, data: bytes, filename: str, content_type: str = "application/octet-stream") -> None: ...
    def attach_file(self, path: _Path, content_type: Optional[str] = None, filename: Optional[str] = None) -> None: ...
    def inline_image(self, content_id: str, data: bytes, filename: str, content_type: str) -> None: ...
    def add_header(self, name: str, value: str) -> None: ...
    def as_bytes(self) -> bytes: ...

@final
class RejectedRecipient:
    @property
    def address(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def reply(self) -> str: ...

@final
class SendReport:
    @property
    def queue_id(self) -> Optional[str]: ...
    @property
    def reply(self) -> str: ...
    @property
    def accepted(self) -> list[str]: ...
    @property
    def rejected(self) -> list[RejectedRecipient]: ...
    @property
    def via(self) -> str: ...
    @property
    def message_id(self) -> Optional[str]: ...

@final
class MailAddress:
    @property
    def name(self) -> Optional[str]: ...
    @property
    def address(self) -> str: ...
    def __eq__(self, value: object, /) -> bool: ...

@final
class MessageSummary:
    @property
    def uid(self) -> int: ...
    @property
    def subject(self) -> str: ...
    @property
    def from_(self) -> Optional[MailAddress]: ...
    @property
    def to(self) -> list[MailAddress]: ...
    @property
    def cc(self) -> list[MailAddress]: ...
    @property
    def date(self) -> Optional[datetime.datetime]: ...
    @property
    def size(self) -> int: ...
    @property
    def flags(self) -> list[str]: ...
    @property
    def message_id(self) -> Optional[str]: ...
    @property
    def has_attachments(self) -> bool: ...
    @property
    def uidl(self) -> Optional[str]: ...
    @property
    def id(self) -> Optional[str]: ...

_AnyMessage = Union[Message, StdlibMessage]

@final
class SmtpClient:
    def __new__(
        cls,
        *,
        host: str,
        port: int,
        username: str,
        credential: TokenCredential,
        security: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
        scopes: Optional[Sequence[str]] = None,
        mechanism: Optional[str] = None,
    ) -> Self: ...
    @classmethod
    def from_provider(
        cls,
        provider: Provider,
        username: str,
        credential: TokenCredential,
        *,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
    ) -> Self: ...
    def send(self, message: _AnyMessage) -> SendReport: ...
    def send_raw(self, envelope_from: str, recipients: Sequence[str], data: bytes) -> SendReport: ...
    def connect(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class Folder:
    @property
    def name(self) -> str: ...
    @property
    def delimiter(self) -> Optional[str]: ...
    @property
    def attributes(self) -> list[str]: ...
    @property
    def special_use(self) -> Optional[str]: ...

@final
class MessageIterator:
    def __iter__(self) -> Self: ...
    def __next__(self) -> MessageSummary: ...
    @property
    def remaining(self) -> Optional[int]: ...
    @property
    def total(self) -> Optional[int]: ...

@final
class ImapClient:
    def __new__(
        cls,
        *,
        host: str,
        port: int,
        username: str,
        credential: TokenCredential,
        security: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
        scopes: Optional[Sequence[str]] = None,
        mechanism: Optional[str] = None,
    ) -> Self: ...
    @classmethod
    def from_provider(
        cls,
        provider: Provider,
        username: str,
        credential: TokenCredential,
        *,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
    ) -> Self: ...
    def list_messages(
        self,
        folder: str = "INBOX",
        *,
        limit: Optional[int] = None,
        unseen_only: bool = False,
        newest_first: bool = True,
        batch_size: Optional[int] = None,
    ) -> MessageIterator: ...
    def fetch_message(self, uid: int) -> bytes: ...
    def fetch_email(self, uid: int) -> EmailMessage: ...
    def fetch_message_to_file(self, uid: int, path: _Path) -> None: ...
    def list_folders(self) -> list[Folder]: ...
    def create_folder(self, name: str) -> None: ...
    def delete_folder(self, name: str) -> None: ...
    def select(self, folder: str) -> int: ...
    def set_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None: ...
    def clear_flags(self, uids: Sequence[int], flags: Sequence[str]) -> None: ...
    def copy(self, uids: Sequence[int], dest: str) -> None: ...
    def move_messages(self, uids: Sequence[int], dest: str) -> None: ...
    def delete(self, uids: Sequence[int], expunge: bool = True) -> None: ...
    def connect(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class Pop3Client:
    def __new__(
        cls,
        *,
        host: str,
        port: int,
        username: str,
        credential: TokenCredential,
        security: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
        scopes: Optional[Sequence[str]] = None,
        mechanism: Optional[str] = None,
    ) -> Self: ...
    @classmethod
    def from_provider(
        cls,
        provider: Provider,
        username: str,
        credential: TokenCredential,
        *,
        ca_file: Optional[_Path] = None,
        timeout: Optional[float] = None,
    ) -> Self: ...
    def list_messages(self, *, limit: Optional[int] = None) -> Iterator[MessageSummary]: ...
    def stat(self) -> tuple[int, int]: ...
    def fetch_message(self, n: int) -> bytes: ...
    def fetch_email(self, n: int) -> EmailMessage: ...
    def fetch_message_to_file(self, n: int, path: _Path) -> None: ...
    def delete(self, n: int) -> None: ...
    def reset(self) -> None: ...
    def connect(self) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class GraphMailClient:
    def __new__(
        cls,
        *,
        mailbox: str,
        credential: TokenCredential,
        base_url: Optional[str] = None,
        scope: Optional[str] = None,
        ca_file: Optional[_Path] = None,
        save_to_sent_items: bool = True,
    ) -> Self: ...
    @classmethod
    def from_provider(
        cls,
        provider: Provider,
        mailbox: str,
        credential: TokenCredential,
        *,
        ca_file: Optional[_Path] = None,
    ) -> Self: ...
    def send(self, message: _AnyMessage) -> SendReport: ...
    def send_mime(self, data: bytes) -> SendReport: ...
    def list_messages(
        self,
        folder: str = "inbox",
        *,
        limit: Optional[int] = None,
        unread_only: bool = False,
        since: Union[datetime.datetime, float, None] = None,
        page_size: Optional[int] = None,
    ) -> MessageIterator: ...
    def fetch_message(self, id: str) -> bytes: ...
    def fetch_email(self, id: str) -> EmailMessage: ...
    def mark_read(self, id: str, read: bool = True) -> None: ...
    def move_message(self, id: str, destination: str) -> str: ...
    def delete_message(self, id: str) -> None: ...
    def close(self) -> None: ...
    def __enter__(self) -> Self: ...
    def __exit__(self, *_exc: object) -> None: ...

@final
class Finding:
    """One doctor check: ``status`` is "ok", "warning", "problem" or "skipped"."""
    @property
    def check(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def code(self) -> Optional[str]: ...
    @property
    def fix(self) -> list[str]: ...

def diagnose(
    credential: TokenCredential,
    mailbox: str,
    *,
    smtp: Optional[SmtpClient] = None,
    imap: Optional[ImapClient] = None,
    pop3: Optional[Pop3Client] = None,
    scopes: Optional[Sequence[str]] = None,
) -> list[Finding]: ...
