"""The Python-specific promises: EmailMessage in and out, threads and the GIL,
logging, typing stubs, idioms (keywords, pathlib, context managers, iterators),
and the other credential flows."""

from __future__ import annotations

import email.policy
import logging
import pathlib
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from email.message import EmailMessage

import pytest

import oauthmail
from conftest import ALICE, BOB, PUBLIC_APP, ROOT, TENANT, Kit

CAROL = "carol@external.example"  # outside the tenant: its mailbox is made on delivery
PACKAGE = pathlib.Path(oauthmail.__file__).parent


def by_subject(imap: oauthmail.ImapClient, subject: str) -> oauthmail.MessageSummary:
    found = [m for m in imap.list_messages() if m.subject == subject]
    assert len(found) == 1, subject
    return found[0]


def test_email_message_round_trip_with_unicode_subject_and_attachment(kit: Kit) -> None:
    subject = f"Grüße – 测试 {uuid.uuid4()}"
    attachment = bytes(range(256)) * 40
    msg = EmailMessage()
    msg["From"] = ALICE
    msg["To"] = BOB
    msg["Bcc"] = CAROL
    msg["Subject"] = subject
    msg.set_content("Körper – 正文\n")
    msg.add_attachment(attachment, maintype="application", subtype="octet-stream", filename="報告.bin")

    with kit.smtp(ALICE) as smtp:
        report = smtp.send(msg)
    assert sorted(report.accepted) == sorted([BOB, CAROL])

    for user in (BOB, CAROL):
        with kit.imap(user) as imap:
            summary = by_subject(imap, subject)
            assert summary.has_attachments
            got = imap.fetch_email(summary.uid)
        assert isinstance(got, EmailMessage)
        assert got["Subject"] == subject
        assert "Bcc" not in got  # Bcc is not sent to anyone
        body = got.get_body(preferencelist=("plain",))
        # The wire form has CRLF line ends, which the stdlib parser keeps in decoded text.
        assert body is not None and body.get_content().replace("\r\n", "\n") == "Körper – 正文\n"
        [part] = list(got.iter_attachments())
        assert part.get_filename() == "報告.bin"
        assert part.get_content() == attachment


def test_oauthmail_message_with_attachment_file_from_pathlib(kit: Kit, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.4 test")
    subject = f"file {uuid.uuid4()}"
    message = oauthmail.Message(from_=ALICE, to=[BOB], subject=subject, text="see attachment")
    message.attach_file(path, "application/pdf")
    message.attach(b"inline bytes", "note.txt", "text/plain")
    with kit.smtp(ALICE) as smtp:
        smtp.send(message)
    with kit.imap(BOB) as imap:
        uid = by_subject(imap, subject).uid
        out = tmp_path / "fetched.eml"
        imap.fetch_message_to_file(uid, out)
    got = email.message_from_bytes(out.read_bytes(), policy=email.policy.default)
    assert isinstance(got, EmailMessage)
    names = {p.get_filename(): p.get_content() for p in got.iter_attachments()}
    assert names == {"report.pdf": b"%PDF-1.4 test", "note.txt": "inline bytes"}


def test_invalid_message_sends_nothing(private_kit: Kit) -> None:
    before = private_kit.control("GET", "smtp")["messages_accepted"]
    with private_kit.smtp(ALICE) as smtp:
        with pytest.raises(oauthmail.MessageError):
            smtp.send(oauthmail.Message(from_=ALICE, to=BOB, subject="a\r\nBcc: evil@example.com", text="x"))
        with pytest.raises(oauthmail.MessageError):
            smtp.send(oauthmail.Message(from_=ALICE, subject="nobody", text="x"))
        with pytest.raises(oauthmail.MessageError):
            smtp.send(oauthmail.Message(from_=ALICE, to="not an address", text="x"))
    assert private_kit.control("GET", "smtp")["messages_accepted"] == before


def test_threads_share_one_credential_one_token_request(private_kit: Kit) -> None:
    credential = private_kit.credential()
    subject = f"parallel {uuid.uuid4()}"
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def send(i: int) -> None:
        try:
            barrier.wait()
            with private_kit.smtp(ALICE, credential) as smtp:
                smtp.send(oauthmail.Message(from_=ALICE, to=BOB, subject=f"{subject} {i}", text="x"))
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert private_kit.control("GET", "requests")["token_requests"] == 1
    assert private_kit.control("GET", "smtp")["auth_successes"] >= 4
    with private_kit.imap(BOB, credential) as imap:
        assert sum(m.subject.startswith(subject) for m in imap.list_messages()) == 4


def test_gil_is_released_during_network_calls(private_kit: Kit) -> None:
    # The token endpoint answers after 1.5 s; meanwhile this thread must keep running Python code.
    private_kit.control("POST", "faults", {"fault": "slow", "delay_ms": 1500, "count": 1})
    credential = private_kit.credential()
    state = {"in_call": False, "done": False}

    def call() -> None:
        state["in_call"] = True
        credential.get_token()
        state["done"] = True

    worker = threading.Thread(target=call)
    worker.start()
    seen_while_waiting = 0
    while not state["done"]:
        if state["in_call"]:
            seen_while_waiting += 1
        time.sleep(0.01)
    worker.join()
    # Had the call held the GIL, this loop could not have run while it waited.
    assert seen_while_waiting >= 20


def test_listing_is_an_iterator_fetched_in_batches(private_kit: Kit) -> None:
    user = f"lister-{uuid.uuid4().hex[:8]}@external.example"
    private_kit.control("POST", "seed", {"user": user, "count": 7})
    private_kit.control("POST", "app-access", {"client_id": "22222222-2222-2222-2222-222222222222", "mailboxes": None})
    with private_kit.imap(user) as imap:
        private_kit.control("DELETE", "imap")
        listing = imap.list_messages("INBOX", batch_size=3)
        assert (listing.total, listing.remaining) == (7, 7)
        assert iter(listing) is listing
        first = next(listing)
        assert listing.remaining == 6
        rest = list(listing)
        assert private_kit.control("GET", "imap")["by_command"].get("UID FETCH") == 3
    uids = [first.uid, *(m.uid for m in rest)]
    assert uids == sorted(uids, reverse=True) and len(uids) == 7
    with pytest.raises(StopIteration):
        next(listing)


def test_pop3_listing_fetch_and_stat(kit: Kit) -> None:
    with kit.pop3(BOB) as pop3:
        count, size = pop3.stat()
        listing = pop3.list_messages(limit=3)
        first = next(iter(listing))
        assert count >= 1 and size > 0
        got = pop3.fetch_email(first.uid)
        assert got["Subject"] == first.subject


def test_graph_send_message_and_email_message(kit: Kit) -> None:
    credential = kit.credential()
    subject = f"graph {uuid.uuid4()}"
    with oauthmail.GraphMailClient(
        mailbox=ALICE, credential=credential, base_url=kit.info["graph_url"], ca_file=kit.ca,
    ) as graph:
        report = graph.send(oauthmail.Message(from_=ALICE, to=BOB, subject=subject, text="via Graph"))
        assert report.via == "graph"
        msg = EmailMessage()
        msg["From"], msg["To"], msg["Subject"] = ALICE, BOB, subject + " mime"
        msg.set_content("MIME via Graph")
        assert graph.send(msg).via == "graph"
    with kit.imap(BOB) as imap:
        by_subject(imap, subject)
        by_subject(imap, subject + " mime")


def test_core_logs_reach_python_logging_without_secrets(kit: Kit, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="oauthmail")
    credential = kit.credential()
    token = credential.get_token().token
    with kit.imap(BOB, credential) as imap:
        imap.connect()
    records = [r for r in caplog.records if r.name == "oauthmail"]
    assert any("IMAP session authenticated" in r.getMessage() for r in records)
    for r in records:
        assert token not in r.getMessage() and "test-secret-1" not in r.getMessage()

    caplog.clear()
    caplog.set_level(logging.WARNING, logger="oauthmail")
    getattr(oauthmail._native, "testing_log")("level check")
    assert [r.levelname for r in caplog.records if r.name == "oauthmail"] == ["WARNING"]


def test_device_code_credential_calls_the_python_prompt(kit: Kit) -> None:
    shown: list[oauthmail.DeviceCodeInfo] = []
    credential = oauthmail.DeviceCodeCredential(
        tenant_id=TENANT, client_id=PUBLIC_APP, prompt_callback=shown.append,
        authority=kit.authority, ca_file=kit.ca,
    )
    token = credential.get_token()
    assert token.claims()["upn"] == ALICE
    assert len(shown) == 1 and shown[0].user_code and shown[0].verification_uri.startswith(kit.authority)


def test_authorization_code_loopback_sign_in(kit: Kit) -> None:

    def browser(url: str) -> None:
        # The kit signs alice in without a page and redirects to our loopback listener.
        threading.Thread(target=lambda: urllib.request.urlopen(url, context=kit.ssl, timeout=30).read()).start()

    credential = oauthmail.AuthorizationCodeCredential(
        tenant_id=TENANT, client_id=PUBLIC_APP, authority=kit.authority, ca_file=kit.ca,
    )
    assert not credential.is_signed_in
    token = credential.run_loopback(open_browser=browser)
    assert token.claims()["upn"] == ALICE
    assert credential.is_signed_in
    request = credential.authorize_url("http://127.0.0.1:1234/")
    assert request.url.startswith(kit.authority) and request.state
    with pytest.raises(oauthmail.AuthError):
        credential.exchange(request, "code", "not-the-state")


def test_provider_presets_and_from_provider() -> None:
    o365 = oauthmail.Provider.office365()
    assert (o365.smtp.host, o365.smtp.port, o365.smtp.security) == ("smtp.office365.com", 587, "starttls")
    assert (o365.imap.port, o365.pop3.port) == (993, 995)
    assert o365.mail_scope == "https://outlook.office365.com/.default"
    assert oauthmail.Provider.by_name("gmail").imap.host == "imap.gmail.com"
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.Provider.by_name("nope")
    credential = oauthmail.StaticTokenCredential("t")
    smtp = oauthmail.SmtpClient.from_provider(o365, ALICE, credential)
    assert "smtp.office365.com" in repr(smtp)
    imap = oauthmail.ImapClient.from_provider(o365, ALICE, credential)
    assert "outlook.office365.com" in repr(imap)
    graph = oauthmail.GraphMailClient.from_provider(o365, ALICE, credential)
    assert "graph.microsoft.com" in repr(graph)
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.GraphMailClient.from_provider(oauthmail.Provider.gmail(), ALICE, credential)
    custom = oauthmail.Provider.custom(
        authority="https://login.example.test", mail_scope="mail",
        smtp=("smtp.example.test", 465), imap=("imap.example.test", 143, "starttls"), pop3=("pop.example.test", 995),
    )
    assert (custom.smtp.security, custom.imap.security) == ("tls", "starttls")


def test_misuse_is_a_clear_error_not_a_crash(tmp_path: pathlib.Path) -> None:
    credential = oauthmail.StaticTokenCredential("t")
    with pytest.raises(TypeError):
        oauthmail.SmtpClient(host="h", port=25, username=ALICE, credential=None)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        oauthmail.ClientSecretCredential("tenant", "client", "secret")  # type: ignore[call-arg]
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.SmtpClient(host="h", port=25, username=ALICE, credential=credential, security="bogus")
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.ImapClient(host="h", port=993, username=ALICE, credential=credential, ca_file=tmp_path / "none.pem")
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.SmtpClient(host="", port=25, username=ALICE, credential=credential)
    with pytest.raises(oauthmail.ConfigError):
        oauthmail.ClientSecretCredential(tenant_id="t", client_id="c", client_secret="s", authority="http://evil.example")
    with pytest.raises(TypeError):
        oauthmail.SmtpClient(host="h", port=25, username=ALICE, credential=credential).send("not a message")  # type: ignore[arg-type]


def test_stubs_match_the_compiled_module() -> None:
    allowlist = ROOT / "bindings-python" / "stubtest-allowlist.txt"
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "oauthmail._native", "--allowlist", str(allowlist)],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert (PACKAGE / "py.typed").exists()


def test_one_listing_iterated_by_two_threads_is_a_clear_error(private_kit: Kit) -> None:
    user = f"shared-{uuid.uuid4().hex[:8]}@external.example"
    private_kit.control("POST", "seed", {"user": user, "count": 4})
    # Every IMAP reply of the next connection takes 0.6 s: the first thread is
    # still inside the batch fetch when the second one asks.
    private_kit.fault("imap", "slow", delay_ms=600)
    with private_kit.imap(user) as imap:
        listing = imap.list_messages(batch_size=2)
        state = {"in_call": False}
        results: list[object] = []

        def first() -> None:
            state["in_call"] = True
            results.append(next(listing))

        worker = threading.Thread(target=first)
        worker.start()
        while not state["in_call"]:
            time.sleep(0.01)
        time.sleep(0.2)
        with pytest.raises(oauthmail.ConfigError, match="another thread"):
            next(listing)
        worker.join()
        assert isinstance(results[0], oauthmail.MessageSummary)


def test_example_program_runs_against_the_test_kit(kit: Kit) -> None:
    example = ROOT / "examples" / "python" / "send_and_list.py"
    env = {
        "PATH": "/usr/bin:/bin", "AZURE_TENANT_ID": TENANT, "AZURE_CLIENT_ID": "22222222-2222-2222-2222-222222222222",
        "AZURE_CLIENT_SECRET": "test-secret-1", "AZURE_AUTHORITY_HOST": kit.authority, "OAUTHMAIL_CA_FILE": kit.ca,
        "OAUTHMAIL_USER": BOB, "OAUTHMAIL_SMTP_HOST": kit.host, "OAUTHMAIL_IMAP_HOST": kit.host,
        "OAUTHMAIL_SMTP_PORT": str(kit.info["smtp"]["starttls_port"]), "OAUTHMAIL_SMTP_SECURITY": "starttls",
        "OAUTHMAIL_IMAP_PORT": str(kit.info["imap"]["tls_port"]), "OAUTHMAIL_IMAP_SECURITY": "tls",
    }
    result = subprocess.run([sys.executable, str(example)], env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("queued: ") and len(lines[0]) > len("queued: ")
    assert any(line.endswith("Test测试邮件标题") for line in lines[1:])


def test_graph_reading_lists_fetches_marks_and_deletes(kit: Kit) -> None:
    subject = f"graph read {uuid.uuid4()}"
    with kit.smtp(ALICE) as smtp:
        smtp.send(oauthmail.Message(from_=ALICE, to=BOB, subject=subject, text="read me over Graph"))
    with oauthmail.GraphMailClient(
        mailbox=BOB, credential=kit.credential(), base_url=kit.info["graph_url"], ca_file=kit.ca,
    ) as graph:
        listing = graph.list_messages("inbox", unread_only=True, page_size=5, since=time.time() - 3600)
        assert listing.total is None
        [ours] = [m for m in listing if m.subject == subject]
        assert ours.id and ours.from_ is not None and ours.from_.address == ALICE
        assert graph.fetch_email(ours.id)["Subject"] == subject
        graph.mark_read(ours.id)
        assert all(m.id != ours.id for m in graph.list_messages(unread_only=True))
        graph.delete_message(ours.id)
        assert all(m.id != ours.id for m in graph.list_messages())
        with pytest.raises(oauthmail.ConfigError):
            graph.list_messages(page_size=0)


def test_diagnose_reports_findings_with_fixes(kit: Kit) -> None:
    credential = kit.credential()
    with kit.imap(BOB, credential) as imap, kit.smtp(ALICE, credential) as smtp:
        findings = {f.check: f for f in oauthmail.diagnose(credential, ALICE, smtp=smtp, imap=imap)}
    assert findings["token"].status == "ok"
    assert findings["smtp"].status == "ok" and findings["imap"].status == "ok"
    assert findings["pop3"].status == "skipped"

    wrong = oauthmail.diagnose(kit.credential(secret="wrong-secret"), ALICE)
    [token] = [f for f in wrong if f.check == "token"]
    assert token.status == "problem" and token.code == "AADSTS7000215" and token.fix


def test_sasl_mechanism_can_be_forced(private_kit: Kit) -> None:
    k = private_kit
    servers = ("smtp", "imap", "pop3")
    seen = {server: len(k.control("GET", server)["auth_log"]) for server in servers}
    for mechanism in ("XOAUTH2", "oauthbearer"):
        cred, ca = k.credential(), k.ca
        with oauthmail.SmtpClient(host=k.host, port=k.info["smtp"]["starttls_port"], username=ALICE,
                                  credential=cred, ca_file=ca, mechanism=mechanism) as smtp:
            smtp.connect()
        with oauthmail.ImapClient(host=k.host, port=k.info["imap"]["tls_port"], username=ALICE, credential=cred,
                                  ca_file=ca, security="tls", mechanism=mechanism) as imap:
            imap.connect()
        with oauthmail.Pop3Client(host=k.host, port=k.info["pop3"]["tls_port"], username=ALICE, credential=cred,
                                  ca_file=ca, security="tls", mechanism=mechanism) as pop3:
            pop3.connect()
    for server in servers:
        used = [a["mechanism"] for a in k.control("GET", server)["auth_log"][seen[server]:]]
        assert used == ["XOAUTH2", "OAUTHBEARER"], (server, used)
    with pytest.raises(oauthmail.ConfigError, match="SASL mechanism"):
        oauthmail.ImapClient(host="127.0.0.1", port=993, username=ALICE, credential=k.credential(), mechanism="PLAIN")
