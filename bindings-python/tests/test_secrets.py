"""The whole scenario with the `oauthmail` logger at its lowest level (core
tracing at TRACE reaches it): a token from every credential the test kit
issues, sends, lists and fetches, and some failures. Every log record, all
output on stdout/stderr, and every error's text are scanned for the secrets
the test kit issued or was given: none may appear."""

from __future__ import annotations

import base64
import logging
import pathlib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Callable, Optional

import pytest

import oauthmail
from conftest import ALICE, BOB, PUBLIC_APP, SECRET, TENANT, Kit

PASSWORDS = ["alice-password", "bob-password"]


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=1)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def authorization_code(kit: Kit, credential: oauthmail.AuthorizationCodeCredential) -> tuple[str, str]:
    """Issues a token by the authorization-code flow by hand and returns it with
    the code the kit handed out (the kit signs alice in and redirects)."""
    request = credential.authorize_url("http://127.0.0.1:9/callback")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *_args: object, **_kw: object) -> Optional[urllib.request.Request]:
            return None

    opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=kit.ssl))
    with pytest.raises(urllib.error.HTTPError) as info:
        opener.open(request.url, timeout=30)
    query = urllib.parse.parse_qs(urllib.parse.urlparse(info.value.headers["Location"]).query)
    code = query["code"][0]
    return credential.exchange(request, code, query["state"][0]).token, code


def sasl_forms(token: str) -> list[str]:
    """The XOAUTH2 and OAUTHBEARER initial responses that carry `token`, base64 as on the wire."""
    forms = []
    for user in (ALICE, BOB):
        for raw in (f"user={user}\x01auth=Bearer {token}\x01\x01", f"n,a={user},\x01auth=Bearer {token}\x01\x01"):
            forms.append(base64.b64encode(raw.encode()).decode())
    return forms


def test_no_secret_in_logs_output_or_errors_at_trace(kit: Kit, capfd: pytest.CaptureFixture[str]) -> None:
    logger = logging.getLogger("oauthmail")
    handler, old_level = Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(1)
    tokens: list[str] = []
    secrets = [SECRET, *PASSWORDS]
    errors: list[str] = []
    subject = f"secrets {uuid.uuid4().hex[:10]}"
    try:
        app = kit.credential()
        tokens += [app.get_token().token, app.get_token("https://graph.microsoft.com/.default").token]
        cert_app = kit.info["cert_app"]
        cert = oauthmail.ClientCertificateCredential(
            tenant_id=TENANT, client_id=cert_app["client_id"], certificate_path=cert_app["cert_path"],
            key_path=cert_app["key_path"], authority=kit.authority, ca_file=kit.ca,
        )
        tokens.append(cert.get_token().token)
        key_lines = pathlib.Path(cert_app["key_path"]).read_text().splitlines()
        secrets += [line for line in key_lines if len(line) >= 40 and not line.startswith("-----")]
        alice, bob = kit.password_credential(ALICE), kit.password_credential(BOB)
        tokens += [alice.get_token().token, bob.get_token().token]
        given = kit.refresh_token(ALICE)
        refresh = oauthmail.RefreshTokenCredential(
            tenant_id=TENANT, client_id=PUBLIC_APP, refresh_token=given, authority=kit.authority, ca_file=kit.ca,
        )
        tokens.append(refresh.get_token().token)
        assert refresh.refresh_token
        secrets += [given, refresh.refresh_token]
        device = oauthmail.DeviceCodeCredential(
            tenant_id=TENANT, client_id=PUBLIC_APP, prompt_callback=lambda info: None,
            authority=kit.authority, ca_file=kit.ca,
        )
        tokens.append(device.get_token().token)
        code_credential = oauthmail.AuthorizationCodeCredential(
            tenant_id=TENANT, client_id=PUBLIC_APP, authority=kit.authority, ca_file=kit.ca,
        )
        token, code = authorization_code(kit, code_credential)
        tokens.append(token)
        secrets.append(code)
        minted = kit.control("POST", "token", {"user": ALICE, "scp": ["SMTP.Send"]})["access_token"]
        static = oauthmail.StaticTokenCredential(minted)
        tokens.append(minted)

        message = oauthmail.Message(from_=ALICE, to=[BOB, ALICE], subject=subject, text="scanned")
        with kit.smtp(ALICE, alice) as smtp:
            smtp.send(message)
        with kit.smtp(ALICE, static) as smtp:
            smtp.send_raw(ALICE, [BOB], f"Subject: {subject} raw\r\n\r\nraw\r\n".encode())
        graph = oauthmail.GraphMailClient(mailbox=ALICE, credential=app, base_url=kit.info["graph_url"], ca_file=kit.ca)
        graph.send(message)
        graph.close()
        with kit.imap(BOB, bob) as imap:
            uids = [m.uid for m in imap.list_messages() if m.subject.startswith(subject)]
            assert len(uids) == 3
            assert all(imap.fetch_message(uid) for uid in uids)
        with kit.pop3(ALICE, refresh) as pop3:
            count, _ = pop3.stat()
            assert list(pop3.list_messages()) and pop3.fetch_message(count)

        # Failures carry text too: a wrong secret and password, a refused token.
        failures: list[Callable[[], object]] = [
            lambda: kit.credential("wrong-" + SECRET).get_token(),
            lambda: oauthmail.UsernamePasswordCredential(
                tenant_id=TENANT, client_id=PUBLIC_APP, username=ALICE, password="bad-" + PASSWORDS[0],
                authority=kit.authority, ca_file=kit.ca).get_token(),
            lambda: kit.imap(BOB, oauthmail.StaticTokenCredential(minted)).connect(),
        ]
        for failure in failures:
            with pytest.raises(oauthmail.OAuthMailError) as info:
                failure()
            errors += [str(info.value), repr(info.value), str(info.value.hint)]
        secrets += ["wrong-" + SECRET, "bad-" + PASSWORDS[0]]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    out, err = capfd.readouterr()

    records = handler.records
    assert len(records) >= 20, f"only {len(records)} records: the scan would prove nothing"
    assert any(r.levelno < logging.DEBUG for r in records), "no TRACE record reached Python"
    captured = "\n".join([*(handler.format(r) for r in records), out, err, *errors])
    assert "token received" in captured and "IMAP session authenticated" in captured  # real traffic was logged
    for token in tokens:
        secrets += [token, token.rsplit(".", 1)[-1], *sasl_forms(token)]
    leaked = sorted({s for s in secrets if s in captured}, key=len)
    assert not leaked, f"{len(leaked)} secrets in the captured output, e.g. one of {len(leaked[0])} characters"
