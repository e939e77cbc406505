"""The named scenarios of tests/scenarios.json, one test each (test_scenario_<name>)."""

from __future__ import annotations

import datetime
import email
import email.policy
import threading
import uuid
from typing import Callable

import pytest

import oauthmail
from oauthmail import _native, errors
from conftest import ALICE, BOB, PUBLIC_APP, SECRET, TENANT, Kit

# Present only in builds with the `testing` cargo feature (the tests' builds).
raise_kind: Callable[[int], None] = getattr(_native, "testing_error")
raise_panic: Callable[[], None] = getattr(_native, "testing_panic")

SUBJECT = "Test测试邮件标题"
BODY = "Test测试邮件正文"


def test_scenario_token_client_secret(kit: Kit) -> None:
    token = kit.credential().get_token()
    assert token.token
    assert token.expires_at > datetime.datetime.now(datetime.timezone.utc)
    assert token.expires_on == int(token.expires_at.timestamp())
    claims = token.claims()
    assert claims["aud"] == "https://outlook.office365.com"
    assert {"SMTP.SendAsApp", "IMAP.AccessAsApp"} <= set(claims["roles"])
    assert token.token not in repr(token)


def test_scenario_token_every_credential(kit: Kit) -> None:
    cert_app = kit.info["cert_app"]
    cert = oauthmail.ClientCertificateCredential(
        tenant_id=TENANT, client_id=cert_app["client_id"], certificate_path=cert_app["pem_path"],
        authority=kit.authority, ca_file=kit.ca,
    )
    assert cert.get_token().claims()["appid"] == cert_app["client_id"]

    password = kit.password_credential(ALICE)
    assert password.get_token().claims()["preferred_username"] == ALICE

    refresh = oauthmail.RefreshTokenCredential(
        tenant_id=TENANT, client_id=PUBLIC_APP, refresh_token=kit.refresh_token(ALICE),
        authority=kit.authority, ca_file=kit.ca,
    )
    assert refresh.get_token().claims()["upn"] == ALICE
    assert refresh.refresh_token

    static = oauthmail.StaticTokenCredential(password.get_token().token)
    assert static.get_token().token == password.get_token().token

    mfa = kit.password_credential("mfa@example.test")
    with pytest.raises(oauthmail.AuthError) as info:
        mfa.get_token()
    assert info.value.kind == "Auth"
    assert info.value.code == "AADSTS50076"


def test_scenario_token_errors(kit: Kit) -> None:
    wrong = "wrong-secret-Zq8x"
    with pytest.raises(oauthmail.AuthError) as info:
        kit.credential(secret=wrong).get_token()
    e = info.value
    assert isinstance(e, oauthmail.OAuthMailError)
    assert (e.kind, e.code) == ("Auth", "AADSTS7000215")
    assert e.hint
    for text in (str(e), repr(e), e.message, e.hint, *map(str, e.args)):
        assert wrong not in text


def test_scenario_one_token_many_threads(private_kit: Kit) -> None:
    credential = private_kit.credential()
    barrier = threading.Barrier(8)
    tokens: list[str] = []

    def ask() -> None:
        barrier.wait()
        tokens.append(credential.get_token().token)

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(tokens) == 8 and len(set(tokens)) == 1
    assert private_kit.control("GET", "requests")["token_requests"] == 1


def send_unicode(kit: Kit) -> oauthmail.SendReport:
    message = oauthmail.Message(from_=ALICE, to=BOB, subject=SUBJECT, text=BODY)
    with kit.smtp(ALICE) as smtp:
        return smtp.send(message)


def find(imap: oauthmail.ImapClient, message_id: str) -> oauthmail.MessageSummary:
    # Summaries carry the Message-ID without its angle brackets.
    found = [m for m in imap.list_messages("INBOX") if m.message_id == message_id.strip("<>")]
    assert len(found) == 1, f"{message_id} not in bob's INBOX"
    return found[0]


def test_scenario_send_unicode(kit: Kit) -> None:
    report = send_unicode(kit)
    assert report.queue_id and report.via == "smtp"
    assert report.accepted == [BOB] and report.rejected == []
    assert report.message_id
    with kit.imap(BOB) as imap:
        summary = find(imap, report.message_id)
        assert summary.subject == SUBJECT
        parsed = imap.fetch_email(summary.uid)
        assert parsed.get_content().strip() == BODY


def test_scenario_list_imap(kit: Kit) -> None:
    report = send_unicode(kit)
    with kit.imap(BOB) as imap:
        listing = imap.list_messages("INBOX", limit=50)
        assert isinstance(listing, oauthmail.MessageIterator)
        summaries = list(listing)
        assert summaries
        ours = find(imap, report.message_id or "")
    assert isinstance(ours.uid, int) and ours.uid > 0
    assert ours.subject == SUBJECT
    assert ours.from_ is not None and ours.from_.address == ALICE
    assert [a.address for a in ours.to] == [BOB]
    assert isinstance(ours.date, datetime.datetime) and ours.date.tzinfo is not None
    assert ours.size > len(BODY)
    assert isinstance(ours.flags, list)
    newest_first = [m.uid for m in summaries]
    assert newest_first == sorted(newest_first, reverse=True)


def test_scenario_list_pop3(kit: Kit) -> None:
    report = send_unicode(kit)
    with kit.imap(BOB) as imap:
        imap_subject = find(imap, report.message_id or "").subject
    with kit.pop3(BOB) as pop3:
        over_pop3 = [m for m in pop3.list_messages() if m.message_id == (report.message_id or "").strip("<>")]
    assert [m.subject for m in over_pop3] == [imap_subject] == [SUBJECT]
    assert over_pop3[0].uidl


def test_scenario_fetch_message(kit: Kit) -> None:
    report = send_unicode(kit)
    with kit.imap(BOB) as imap:
        uid = find(imap, report.message_id or "").uid
        raw = imap.fetch_message(uid)
    assert isinstance(raw, bytes)
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == SUBJECT
    assert parsed.get_content().strip() == BODY


def test_scenario_smtp_auth_disabled(private_kit: Kit) -> None:
    private_kit.fault("smtp", "auth_disabled", count=1)
    with private_kit.smtp(ALICE) as smtp, pytest.raises(oauthmail.PermissionDeniedError) as info:
        smtp.send(oauthmail.Message(from_=ALICE, to=BOB, subject="x", text="y"))
    assert info.value.kind == "Permission"
    assert info.value.code == "5.7.139"
    assert "Set-CASMailbox" in (info.value.hint or "") or "GraphMailClient" in (info.value.hint or "")


def test_scenario_imap_not_connected(private_kit: Kit) -> None:
    private_kit.fault("imap", "not_connected", count=1)
    with private_kit.imap(BOB) as imap, pytest.raises(oauthmail.PermissionDeniedError) as info:
        list(imap.list_messages())
    assert "Add-MailboxPermission" in (info.value.hint or "")


def test_scenario_closed_client() -> None:
    credential = oauthmail.StaticTokenCredential("t")
    smtp = oauthmail.SmtpClient(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    imap = oauthmail.ImapClient(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    pop3 = oauthmail.Pop3Client(host="127.0.0.1", port=1, username=ALICE, credential=credential)
    graph = oauthmail.GraphMailClient(mailbox=ALICE, credential=credential)
    for client in (smtp, imap, pop3, graph):
        client.close()
        client.close()  # closing twice is fine
    message = oauthmail.Message(from_=ALICE, to=BOB, subject="x", text="y")
    calls: list[Callable[[], object]] = [
        lambda: smtp.send(message), lambda: imap.list_messages(), lambda: imap.fetch_message(1),
        lambda: pop3.list_messages(), lambda: pop3.fetch_message(1), lambda: graph.send(message),
    ]
    for call in calls:
        with pytest.raises(oauthmail.ClosedError) as info:
            call()
        assert info.value.kind == "Closed"


def test_scenario_error_kinds_mapped() -> None:
    assert set(errors.KIND_CLASSES) == {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 99}
    for number, cls in errors.KIND_CLASSES.items():
        with pytest.raises(oauthmail.OAuthMailError) as info:
            raise_kind(number)
        e = info.value
        assert type(e) is cls
        assert e.kind_number == number
        assert e.code == f"TEST-{number}"
        assert e.hint and e.kind in e.hint
    assert issubclass(oauthmail.NetworkError, ConnectionError)
    assert issubclass(oauthmail.TlsError, ConnectionError)
    assert issubclass(oauthmail.TimedOutError, TimeoutError)
    assert not issubclass(oauthmail.PermissionDeniedError, PermissionError)
    with pytest.raises(oauthmail.ConfigError):
        raise_kind(12345)


def test_scenario_panic_is_internal() -> None:
    with pytest.raises(oauthmail.InternalError) as info:
        raise_panic()
    assert info.value.kind == "Internal"
    assert "panic" in info.value.message
    assert oauthmail.StaticTokenCredential("still-alive").get_token().token == "still-alive"


def test_scenario_real_stack_roundtrip(kit: Kit, mailstack: dict[str, str]) -> None:
    host, ca = mailstack["MAILSTACK_HOST"], mailstack["MAILSTACK_CA_CERT"]
    subject = f"{SUBJECT} {uuid.uuid4()}"
    alice = kit.password_credential(ALICE)
    with oauthmail.SmtpClient(
        host=host, port=int(mailstack["MAILSTACK_SUBMISSION_PORT"]), username=ALICE, credential=alice, ca_file=ca,
    ) as smtp:
        report = smtp.send(oauthmail.Message(from_=ALICE, to=BOB, subject=subject, text=BODY))
    assert report.queue_id

    bob = kit.password_credential(BOB)
    imap = oauthmail.ImapClient(
        host=host, port=int(mailstack["MAILSTACK_IMAPS_PORT"]), username=BOB, credential=bob, ca_file=ca, security="tls",
    )
    with imap:
        # Postfix hands the message to Dovecot over LMTP; wait for it by polling IMAP.
        for _ in range(100):
            if any(m.subject == subject for m in imap.list_messages(limit=20)):
                break
            threading.Event().wait(0.1)
        assert any(m.subject == subject for m in imap.list_messages(limit=20))
    with oauthmail.Pop3Client(
        host=host, port=int(mailstack["MAILSTACK_POP3S_PORT"]), username=BOB, credential=bob, ca_file=ca, security="tls",
    ) as pop3:
        assert any(m.subject == subject for m in pop3.list_messages(limit=20))
