"""The test kit harness: the kit named by OAUTHMAIL_TESTKIT (its JSON line),
else one started here; plus a private kit for tests that inject faults or
count requests, and the real Postfix/Dovecot stack from MAILSTACK_*."""

from __future__ import annotations

import json
import os
import pathlib
import ssl
import subprocess
import urllib.parse
import urllib.request
from typing import Any, Iterator, Optional

import pytest

import oauthmail

ROOT = pathlib.Path(__file__).resolve().parents[2]
TENANT = "11111111-1111-1111-1111-111111111111"
APP = "22222222-2222-2222-2222-222222222222"
SECRET = "test-secret-1"
PUBLIC_APP = "44444444-4444-4444-4444-444444444444"
ALICE, BOB = "alice@example.test", "bob@example.test"


def ssl_context(ca: str) -> ssl.SSLContext:
    """Verifies against the kit's CA. Python 3.13's strict X.509 checks are
    relaxed: the kit's generated certificates carry no Authority Key Identifier."""
    context = ssl.create_default_context(cafile=ca)
    context.verify_flags &= ~getattr(ssl, "VERIFY_X509_STRICT", 0)
    return context


class Kit:
    def __init__(self, info: dict[str, Any]) -> None:
        self.info = info
        self.authority: str = info["authority"]
        self.ca: str = info["ca_path"]
        self.host: str = info["smtp"]["host"]
        self.ssl = ssl_context(self.ca)

    def control(self, method: str, path: str, body: Optional[dict[str, Any]] = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"{self.info['control_url']}/{path}", data=data, method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, context=self.ssl, timeout=30) as resp:
            text = resp.read()
        return json.loads(text) if text.strip() else None

    def fault(self, target: str, fault: str, **extra: Any) -> None:
        self.control("POST", "faults", {"target": target, "fault": fault, **extra})

    def credential(self, secret: str = SECRET) -> oauthmail.ClientSecretCredential:
        return oauthmail.ClientSecretCredential(
            tenant_id=TENANT, client_id=APP, client_secret=secret, authority=self.authority, ca_file=self.ca,
        )

    def password_credential(self, user: str) -> oauthmail.UsernamePasswordCredential:
        return oauthmail.UsernamePasswordCredential(
            tenant_id=TENANT, client_id=PUBLIC_APP, username=user, password=user.split("@")[0] + "-password",
            authority=self.authority, ca_file=pathlib.Path(self.ca),
        )

    def refresh_token(self, user: str) -> str:
        form = urllib.parse.urlencode({
            "grant_type": "password", "client_id": PUBLIC_APP, "username": user,
            "password": user.split("@")[0] + "-password",
            "scope": "https://outlook.office365.com/.default offline_access",
        }).encode()
        with urllib.request.urlopen(self.info["token_url"], data=form, context=self.ssl, timeout=30) as resp:
            return str(json.load(resp)["refresh_token"])

    def smtp(self, user: str = ALICE, credential: Optional[oauthmail.TokenCredential] = None) -> oauthmail.SmtpClient:
        return oauthmail.SmtpClient(
            host=self.host, port=self.info["smtp"]["starttls_port"], username=user,
            credential=credential or self.credential(), ca_file=self.ca,
        )

    def imap(self, user: str = BOB, credential: Optional[oauthmail.TokenCredential] = None) -> oauthmail.ImapClient:
        return oauthmail.ImapClient(
            host=self.host, port=self.info["imap"]["tls_port"], username=user,
            credential=credential or self.credential(), ca_file=self.ca, security="tls",
        )

    def pop3(self, user: str = BOB, credential: Optional[oauthmail.TokenCredential] = None) -> oauthmail.Pop3Client:
        return oauthmail.Pop3Client(
            host=self.host, port=self.info["pop3"]["tls_port"], username=user,
            credential=credential or self.credential(), ca_file=self.ca, security="tls",
        )


def _start_kit() -> tuple[subprocess.Popen[bytes], dict[str, Any]]:
    binary = ROOT / "target" / "debug" / "oauthmail-testkit"
    proc = subprocess.Popen([str(binary)], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise RuntimeError(f"{binary} printed nothing; build it with `cargo build -p oauthmail-testkit`")
    return proc, json.loads(line)


def _stop_kit(proc: subprocess.Popen[bytes]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()  # the kit exits when its stdin closes
    proc.wait(timeout=30)


@pytest.fixture(scope="session")
def kit() -> Iterator[Kit]:
    """The shared kit (OAUTHMAIL_TESTKIT) or one of our own."""
    shared = os.environ.get("OAUTHMAIL_TESTKIT")
    if shared:
        yield Kit(json.loads(shared))
        return
    proc, info = _start_kit()
    try:
        yield Kit(info)
    finally:
        _stop_kit(proc)


@pytest.fixture(scope="session")
def _private_kit_process() -> Iterator[Kit]:
    proc, info = _start_kit()
    try:
        yield Kit(info)
    finally:
        _stop_kit(proc)


@pytest.fixture
def private_kit(_private_kit_process: Kit) -> Kit:
    """A kit only this test run uses, with no queued faults and an empty request log."""
    k = _private_kit_process
    k.control("DELETE", "faults")
    k.control("DELETE", "requests")
    return k


@pytest.fixture(scope="session")
def mailstack() -> dict[str, str]:
    """The MAILSTACK_* environment of a running real stack (tests/mailstack)."""
    env = {k: v for k, v in os.environ.items() if k.startswith("MAILSTACK_")}
    if "MAILSTACK_HOST" not in env or "OAUTHMAIL_TESTKIT" not in os.environ:
        if os.environ.get("OAUTHMAIL_REQUIRE_MAILSTACK") == "1":
            pytest.fail("OAUTHMAIL_REQUIRE_MAILSTACK=1 but MAILSTACK_* or OAUTHMAIL_TESTKIT is not set")
        pytest.skip("no real mail stack (MAILSTACK_* and OAUTHMAIL_TESTKIT unset)")
    return env
