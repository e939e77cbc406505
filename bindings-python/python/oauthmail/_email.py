"""Conversions between the standard library's ``email`` messages and the
bytes the native clients send and return (used by ``oauthmail._native``)."""

from __future__ import annotations

import email
import email.policy
from email.message import EmailMessage, Message
from email.utils import getaddresses


def to_bytes(message: Message) -> bytes:
    """The message as RFC 5322 bytes with CRLF line ends, every header kept."""
    if not isinstance(message, Message):
        raise TypeError(
            f"expected oauthmail.Message or email.message.Message, not {type(message).__name__}"
        )
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def envelope(message: Message) -> tuple[str, list[str], bytes]:
    """``(sender, recipients, bytes)`` as ``smtplib.SMTP.send_message`` takes
    them: the sender from Sender or From, the recipients from To, Cc and Bcc,
    and the bytes without Bcc."""
    raw = to_bytes(message)  # checks the type first
    sender = message.get("Sender") or message.get("From") or ""
    senders = getaddresses([str(sender)])
    recipients = [
        address
        for _, address in getaddresses(
            [str(v) for field in ("To", "Cc", "Bcc") for v in message.get_all(field, [])]
        )
        if address
    ]
    if "Bcc" in message:
        copy = email.message_from_bytes(raw, policy=message.policy)
        del copy["Bcc"]
        raw = to_bytes(copy)
    return (senders[0][1] if senders else "", recipients, raw)


def parse(data: bytes) -> EmailMessage:
    """Raw bytes as an ``EmailMessage`` (modern policy: decoded headers)."""
    message = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(message, EmailMessage)
    return message
