"""Misuse of the Python API: wrong types, invalid values, text that is not
valid Unicode, huge inputs, closed clients, and one client shared by several
threads. Each gets a clear Python exception (or works, where the API promises
it), never a crash or a panic."""

from __future__ import annotations

import threading
import uuid
from typing import Any, Callable

import pytest

import oauthmail
from conftest import ALICE, BOB, Kit

# What `os.fsdecode(b"\xff")` gives: a str that cannot be encoded as UTF-8.
NOT_UTF8 = b"caf\xe9 \xff".decode("utf-8", "surrogateescape")


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def wrong(value: object) -> Any:
    """A value of the wrong type, passed on purpose (typed Any for mypy)."""
    return value


def raises(exc: type[BaseException], call: Callable[[], object], *words: str) -> None:
    """`call` raises `exc` whose message or notes (pyo3 adds "while processing
    '<argument>'", shown in the traceback) name every one of `words`."""
    with pytest.raises(exc) as info:
        call()
    shown = " ".join([str(info.value), *getattr(info.value, "__notes__", [])])
    for word in words:
        assert word in shown, f"{word!r} not in {shown!r}"


def test_wrong_types_are_type_errors_naming_the_argument() -> None:
    credential = oauthmail.StaticTokenCredential("t")
    smtp = oauthmail.SmtpClient(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    imap = oauthmail.ImapClient(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    raises(ValueError, lambda: oauthmail.Message(headers=wrong([("X-A",)])), "headers", "length 2")
    calls: list[tuple[Callable[[], object], str]] = [
        (lambda: oauthmail.Message(subject=wrong(b"bytes")), "subject"),
        (lambda: oauthmail.Message(to=wrong(42)), "to"),
        (lambda: oauthmail.Message().attach(wrong("not bytes"), "a.txt"), "data"),
        (lambda: oauthmail.SmtpClient(host="h", port=wrong("25"), username=ALICE, credential=credential), "port"),
        (lambda: oauthmail.SmtpClient(host="h", port=25, username=ALICE, credential=wrong("token")), "credential"),
        (lambda: oauthmail.StaticTokenCredential(wrong(None)), "token"),
        (lambda: smtp.send_raw(ALICE, wrong(ALICE), b"x"), "recipients"),
        (lambda: smtp.send_raw(ALICE, [BOB], wrong("text, not bytes")), "data"),
        (lambda: imap.fetch_message(wrong("1")), "uid"),
        (lambda: imap.set_flags(wrong([1.5]), ["\\Seen"]), "uids"),
    ]
    for call, argument in calls:
        raises(TypeError, call, argument)


def test_an_empty_token_is_refused_at_once() -> None:
    raises(oauthmail.ConfigError, lambda: oauthmail.StaticTokenCredential(""), "token", "empty")


def test_invalid_values_are_clear_errors() -> None:
    credential = oauthmail.StaticTokenCredential("t")
    imap = oauthmail.ImapClient(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    raises(OverflowError, lambda: oauthmail.SmtpClient(host="h", port=70000, username=ALICE, credential=credential))
    raises(OverflowError, lambda: oauthmail.SmtpClient(host="h", port=-1, username=ALICE, credential=credential))
    raises(OverflowError, lambda: imap.fetch_message(2**32))
    raises(OverflowError, lambda: imap.fetch_message(-1))
    raises(oauthmail.ConfigError, lambda: imap.fetch_message(0), "UID")
    raises(oauthmail.ConfigError, lambda: oauthmail.Provider.by_name("carrier pigeon"), "unknown provider")
    raises(oauthmail.ConfigError, lambda: oauthmail.SmtpClient(
        host="h", port=25, username=ALICE, credential=credential, timeout=-1.0))
    raises(oauthmail.MessageError, lambda: oauthmail.Message(from_="not an address", to=BOB).as_bytes(), "From")
    raises(oauthmail.MessageError, lambda: oauthmail.Message(from_=ALICE).as_bytes(), "recipient")
    injected = oauthmail.Message(from_=ALICE, to=BOB, headers=[("X-Evil", "a\r\nBcc: eve@example.org")])
    raises(oauthmail.MessageError, injected.as_bytes)


def test_text_that_is_not_utf8_is_refused_before_anything_is_sent(private_kit: Kit) -> None:
    """A str carrying surrogate escapes (undecodable bytes) cannot become the
    UTF-8 that mail needs: a UnicodeEncodeError, and no connection is made."""
    credential = private_kit.credential()
    smtp = private_kit.smtp(ALICE, credential)
    before = private_kit.control("GET", "smtp")
    cases: list[Callable[[], object]] = [
        lambda: oauthmail.Message(from_=ALICE, to=BOB, subject=NOT_UTF8),
        lambda: oauthmail.Message(from_=ALICE, to=[BOB, NOT_UTF8]),
        lambda: oauthmail.Message().add_header("X-Name", NOT_UTF8),
        lambda: smtp.send_raw(NOT_UTF8, [BOB], b"Subject: x\r\n\r\nx\r\n"),
        lambda: oauthmail.StaticTokenCredential(NOT_UTF8),
        lambda: oauthmail.ClientSecretCredential(tenant_id="t", client_id="c", client_secret=NOT_UTF8),
    ]
    for call in cases:
        with pytest.raises(UnicodeEncodeError):
            call()
    # Raw bytes are the way to send 8-bit content, and they go out as they are.
    report = smtp.send_raw(ALICE, [BOB], b"Subject: raw \xe9\r\n\r\n\xff\xfe\r\n")
    assert report.accepted == [BOB]
    after = private_kit.control("GET", "smtp")
    assert (after["connections"], after["messages_accepted"]) == (before["connections"] + 1, before["messages_accepted"] + 1)


def test_huge_inputs(kit: Kit) -> None:
    big_body = "line of text\r\n" * (3 * 1024 * 1024 // 14)  # 3 MiB
    attachment = bytes(range(256)) * 4096  # 1 MiB of every byte value
    subject = unique("huge " + "é" * 2000)
    message = oauthmail.Message(from_=ALICE, to=BOB, subject=subject, text=big_body)
    message.attach(attachment, "all-bytes.bin")
    with kit.smtp(ALICE) as smtp:
        smtp.send(message)
        raises(oauthmail.MessageError, lambda: smtp.send(oauthmail.Message(from_=ALICE, to="a" * 100_000 + "@x.org")))
    with kit.imap(BOB) as imap:
        found = [m for m in imap.list_messages() if m.subject == subject]
        assert len(found) == 1
        fetched = imap.fetch_email(found[0].uid)
        parts = {p.get_filename(): p for p in fetched.walk()}
        payload = parts["all-bytes.bin"].get_payload(decode=True)
        assert payload == attachment
        assert found[0].size > len(big_body)


def test_closed_clients_raise_closed_error(kit: Kit) -> None:
    with kit.imap(BOB) as imap:
        listing = imap.list_messages()
    with kit.pop3(BOB) as pop3:
        pop3.stat()
    with kit.smtp(ALICE) as smtp:
        smtp.connect()
    message = oauthmail.Message(from_=ALICE, to=BOB, subject="closed", text="x")
    calls: list[Callable[[], object]] = [
        lambda: next(listing), imap.list_folders, lambda: imap.select("INBOX"), lambda: imap.fetch_message(1),
        lambda: imap.set_flags([1], ["\\Seen"]), pop3.stat, lambda: pop3.fetch_message(1), smtp.connect,
        lambda: smtp.send(message), lambda: smtp.send_raw(ALICE, [BOB], b"x"),
    ]
    for call in calls:
        with pytest.raises(oauthmail.ClosedError) as info:
            call()
        assert isinstance(info.value, oauthmail.OAuthMailError) and info.value.kind == "Closed"
        assert "closed" in str(info.value).lower()
    imap.close()  # closing again is harmless


def test_close_from_another_thread_while_a_call_runs(private_kit: Kit) -> None:
    """The running call finishes (or fails cleanly); later calls raise ClosedError."""
    user = f"closing-{uuid.uuid4().hex[:8]}@external.example"
    private_kit.control("POST", "seed", {"user": user, "count": 3})
    private_kit.fault("imap", "slow", delay_ms=300)
    imap = private_kit.imap(user)
    outcome: list[object] = []

    def reader() -> None:
        try:
            outcome.append(len(list(imap.list_messages())))
        except oauthmail.OAuthMailError as e:
            outcome.append(e)

    worker = threading.Thread(target=reader)
    worker.start()
    imap.close()
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert outcome == [3] or isinstance(outcome[0], oauthmail.ClosedError), outcome
    with pytest.raises(oauthmail.ClosedError):
        imap.list_folders()


def test_one_client_shared_by_threads(private_kit: Kit) -> None:
    """Clients are thread-safe: concurrent sends on one SmtpClient each go out
    exactly once; concurrent fetches on one ImapClient each get the message."""
    user = f"threads-{uuid.uuid4().hex[:8]}@external.example"
    subject = unique("threads")
    errors: list[BaseException] = []
    fetched: list[bytes] = []

    def run(work: Callable[[], object]) -> None:
        threads = [threading.Thread(target=guard, args=(work,)) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)

    def guard(work: Callable[[], object]) -> None:
        try:
            work()
        except BaseException as e:  # collected and re-raised by the test thread
            errors.append(e)

    with private_kit.smtp(ALICE) as smtp:
        run(lambda: smtp.send(oauthmail.Message(from_=ALICE, to=user, subject=subject, text="x")))
    assert errors == []
    stored = private_kit.control("GET", f"mailbox?user={user}")["messages"]
    assert len(stored) == 6
    with private_kit.imap(user) as imap:
        uid = next(iter(imap.list_messages())).uid
        run(lambda: fetched.append(imap.fetch_message(uid)))
    assert errors == [] and len(fetched) == 6 and len(set(fetched)) == 1
