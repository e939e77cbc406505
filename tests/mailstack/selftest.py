#!/usr/bin/env python3
"""Self-test of a running mail stack with Python's standard library only.

Logs in with XOAUTH2 and OAUTHBEARER on IMAP, POP3 and SMTP (TLS pinned to the stack's
CA), checks that expired, wrongly signed, audience-less and other users' tokens are
refused, sends alice -> bob through Postfix and reads it back over IMAP and POP3, sends
a 10 MB message ($SELFTEST_LARGE_MB), and checks seed-mailbox's UID order and sizes.
With JWT_PRIVATE_KEY (an RSA private key PEM whose public half was given to start.sh as
JWT_PUBLIC_KEY) it also logs in with RS256
tokens shaped like the test kit's (kid $JWT_KID, default testkit-1). With OAUTHMAIL_TESTKIT
(the running test kit's JSON info line; start.sh got its jwt_public_key_path) it logs in
with real test kit tokens.
Ends with "N passed, M failed"; exit status 1 if anything failed.
"""

import base64
import hashlib
import imaplib
import json
import os
import poplib
import smtplib
import ssl
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
STACK_DIR = os.environ.get("STACK_DIR", "/tmp/oauthmail-mailstack")
TIMEOUT = 30


def load_env() -> dict:
    env = {}
    path = os.path.join(STACK_DIR, "mailstack.env")
    try:
        with open(path, encoding="utf-8") as f:
            for line in f:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep:
                    env[key] = value.strip("'")
    except FileNotFoundError:
        sys.exit(f"selftest.py: {path} not found: start the stack (start.sh) with this STACK_DIR")
    return env


ENV = load_env()
HOST = ENV["MAILSTACK_HOST"]
CTX = ssl.create_default_context(cafile=ENV["MAILSTACK_CA_CERT"])
PORT = {k: int(ENV[f"MAILSTACK_{k.upper()}_PORT"]) for k in ("imaps", "imap", "pop3s", "pop3", "submission", "smtps")}
ALICE, BOB, CAROL = (f"{u}@{ENV['MAILSTACK_DOMAIN']}" for u in ("alice", "bob", "carol"))
RS256_KEY = os.environ.get("JWT_PRIVATE_KEY")
RS256_KID = os.environ.get("JWT_KID", "testkit-1")
TESTKIT_PUBLIC_CLIENT = "44444444-4444-4444-4444-444444444444"
LARGE_MB = int(os.environ.get("SELFTEST_LARGE_MB", "10"))


class Refused(Exception):
    """The server refused the authentication (the expected outcome of a negative test)."""


def mint(user: str, *flags: str) -> str:
    out = subprocess.run([os.path.join(HERE, "mint-token"), user, *flags], check=True,
                         capture_output=True, text=True, env={**os.environ, "STACK_DIR": STACK_DIR})
    return out.stdout.strip()


def sasl(mech: str, user: str, token: str, port: int) -> bytes:
    if mech == "XOAUTH2":
        return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    return f"n,a={user},\x01host={HOST}\x01port={port}\x01auth=Bearer {token}\x01\x01".encode()


def failure_reply(mech: str) -> bytes:
    # A refused token first gets a challenge with a JSON error; the client must answer
    # (empty for XOAUTH2, 0x01 for OAUTHBEARER) before the final NO / -ERR / 535.
    return b"" if mech == "XOAUTH2" else b"\x01"


def imap_login(user: str, token: str, mech: str = "XOAUTH2", starttls: bool = False) -> imaplib.IMAP4:
    if starttls:
        m = imaplib.IMAP4(HOST, PORT["imap"], timeout=TIMEOUT)
        m.starttls(CTX)
        port = PORT["imap"]
    else:
        m = imaplib.IMAP4_SSL(HOST, PORT["imaps"], ssl_context=CTX, timeout=TIMEOUT)
        port = PORT["imaps"]
    challenges = []

    def answer(challenge: bytes) -> bytes:
        challenges.append(challenge)
        return sasl(mech, user, token, port) if len(challenges) == 1 else failure_reply(mech)

    try:
        typ, _ = m.authenticate(mech, answer)
    except imaplib.IMAP4.error as e:
        m.shutdown()
        if "AUTHENTICATIONFAILED" in str(e):
            raise Refused(f"{e} after challenge {challenges[1:]!r}") from None
        raise
    assert typ == "OK", typ
    return m


def pop3_login(user: str, token: str, mech: str = "XOAUTH2", stls: bool = False) -> poplib.POP3:
    if stls:
        p = poplib.POP3(HOST, PORT["pop3"], timeout=TIMEOUT)
        p.stls(CTX)
        port = PORT["pop3"]
    else:
        p = poplib.POP3_SSL(HOST, PORT["pop3s"], context=CTX, timeout=TIMEOUT)
        port = PORT["pop3s"]
    reply = p._shortcmd(f"AUTH {mech} " + base64.b64encode(sasl(mech, user, token, port)).decode())
    if reply.startswith(b"+OK"):
        return p
    # poplib takes the "+ <json>" challenge for success; the real answer follows ours.
    assert reply.startswith(b"+ "), reply
    challenge = base64.b64decode(reply[2:])
    try:
        p._putcmd(base64.b64encode(failure_reply(mech)).decode())
        p._getresp()
    except poplib.error_proto as e:
        p.close()
        raise Refused(f"{e} after challenge {challenge!r}") from None
    raise AssertionError("POP3 accepted the reply to a failure challenge")


def smtp_login(user: str, token: str, mech: str = "XOAUTH2", implicit_tls: bool = False) -> smtplib.SMTP:
    if implicit_tls:
        s = smtplib.SMTP_SSL(HOST, PORT["smtps"], context=CTX, timeout=TIMEOUT)
        port = PORT["smtps"]
    else:
        s = smtplib.SMTP(HOST, PORT["submission"], timeout=TIMEOUT)
        s.starttls(context=CTX)
        port = PORT["submission"]
    s.ehlo("selftest.example.test")
    challenges = []

    def answer(challenge=None):
        challenges.append(challenge)
        return (sasl(mech, user, token, port) if challenge is None else failure_reply(mech)).decode()

    try:
        code, _ = s.auth(mech, answer, initial_response_ok=True)
    except smtplib.SMTPAuthenticationError as e:
        s.close()
        raise Refused(f"{e.smtp_code} {e.smtp_error!r} after challenge {challenges[1:]!r}") from None
    assert code == 235, code
    return s


def expect_refused(login, *args, **kwargs) -> None:
    try:
        conn = login(*args, **kwargs)
    except Refused:
        return
    for close in ("logout", "quit"):
        if hasattr(conn, close):
            getattr(conn, close)()
            break
    raise AssertionError("the server accepted a token it must refuse")


# --- checks ----------------------------------------------------------------------------

def check_imap_ok(mech: str, starttls: bool = False):
    m = imap_login(ALICE, mint(ALICE), mech, starttls)
    typ, data = m.select("INBOX")
    assert typ == "OK", data
    m.logout()


def check_imap_case_insensitive_user():
    imap_login("Alice@Example.TEST", mint(ALICE)).logout()


def check_imap_password():
    m = imaplib.IMAP4_SSL(HOST, PORT["imaps"], ssl_context=CTX, timeout=TIMEOUT)
    typ, _ = m.login(ALICE, "alice" + ENV["MAILSTACK_PASSWORD_SUFFIX"])
    assert typ == "OK"
    m.logout()


def check_pop3_ok(mech: str, stls: bool = False):
    p = pop3_login(ALICE, mint(ALICE), mech, stls)
    p.stat()
    p.quit()


def check_smtp_ok(mech: str, implicit_tls: bool = False):
    smtp_login(ALICE, mint(ALICE), mech, implicit_tls).quit()


def check_smtp_requires_starttls():
    s = smtplib.SMTP(HOST, PORT["submission"], timeout=TIMEOUT)
    s.ehlo("selftest.example.test")
    assert not s.has_extn("auth"), "AUTH offered before STARTTLS"
    code, msg = s.docmd("AUTH", "XOAUTH2 " + base64.b64encode(sasl("XOAUTH2", ALICE, mint(ALICE), 0)).decode())
    s.close()
    assert code == 530, (code, msg)


def check_smtp_recipients():
    s = smtp_login(ALICE, mint(ALICE))
    s.mail(ALICE)
    relay = s.rcpt("someone@example.org")
    unknown = s.rcpt(f"nobody@{ENV['MAILSTACK_DOMAIN']}")
    s.quit()
    assert relay[0] == 554 and b"Relay access denied" in relay[1], relay
    assert unknown[0] == 550, unknown


def find_by_message_id(m: imaplib.IMAP4, message_id: str) -> list:
    typ, data = m.uid("SEARCH", "HEADER", "Message-ID", message_id)
    assert typ == "OK", data
    return data[0].split()


def check_send_and_read_back():
    message_id = f"<selftest-{uuid.uuid4().hex}@example.test>"
    body = f"Sent by selftest.py as {message_id}. 你好"
    msg = (f"From: Alice <{ALICE}>\r\nTo: Bob <{BOB}>\r\nSubject: selftest {message_id}\r\n"
           f"Message-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
           "Content-Type: text/plain; charset=UTF-8\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(body.encode()).decode().replace("\n", "\r\n"))
    s = smtp_login(ALICE, mint(ALICE), "XOAUTH2")
    refused = s.sendmail(ALICE, [BOB], msg.encode())
    s.quit()
    assert not refused, refused

    m = imap_login(BOB, mint(BOB), "OAUTHBEARER")
    m.select("INBOX", readonly=True)
    uid = wait_for_message(m, message_id)
    typ, data = m.uid("FETCH", uid, "(BODY.PEEK[TEXT])")
    m.logout()
    assert typ == "OK", data
    text = base64.b64decode(data[0][1]).decode()
    assert text == body, text

    p = pop3_login(BOB, mint(BOB), "XOAUTH2")
    count, _ = p.stat()
    found = [n for n in range(count, 0, -1)
             if f"Message-ID: {message_id}".encode() in p.top(n, 0)[1]]
    assert len(found) == 1, f"POP3 did not list the message ({count} messages)"
    lines = p.retr(found[0])[1]
    p.quit()
    assert base64.b64decode(b"".join(lines[lines.index(b"") + 1:])).decode() == body


def wait_for_message(m: imaplib.IMAP4, message_id: str) -> bytes:
    """Delivery through the queue and LMTP is asynchronous: waits up to 30 s for it."""
    for _ in range(300):
        uids = find_by_message_id(m, message_id)
        if uids:
            assert len(uids) == 1, uids
            return uids[0]
        time.sleep(0.1)
        m.noop()
    raise AssertionError(f"{message_id} was not delivered")


def check_large_message():
    # A 10 MB attachment: over Postfix's default message_size_limit once base64-encoded.
    message_id = f"<selftest-large-{uuid.uuid4().hex}@example.test>"
    payload = os.urandom(LARGE_MB * 1024 * 1024)
    msg = (f"From: <{ALICE}>\r\nTo: <{BOB}>\r\nSubject: large {message_id}\r\nMessage-ID: {message_id}\r\n"
           "MIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n"
           + base64.encodebytes(payload).decode().replace("\n", "\r\n")).encode()
    s = smtp_login(ALICE, mint(ALICE), "OAUTHBEARER", implicit_tls=True)
    assert not s.sendmail(ALICE, [BOB], msg)
    s.quit()
    m = imap_login(BOB, mint(BOB))
    m.select("INBOX", readonly=True)
    uid = wait_for_message(m, message_id)
    typ, data = m.uid("FETCH", uid, "(BODY.PEEK[TEXT])")
    m.logout()
    assert typ == "OK", data
    assert base64.b64decode(data[0][1]) == payload, "the large message came back different"


def check_seeded_mailbox():
    folder = f"Selftest/run{uuid.uuid4().hex[:8]}"
    out = subprocess.run([os.path.join(HERE, "seed-mailbox"), CAROL, "-n", "9", "--folder", folder,
                          "--seed", "7", "--large-mb", "0.5"],
                         check=True, capture_output=True, text=True, env={**os.environ, "STACK_DIR": STACK_DIR})
    first = json.loads(out.stdout)
    assert (first["count"], first["first_uid"], first["uidnext"]) == (10, 1, 11), first
    more = subprocess.run([os.path.join(HERE, "seed-mailbox"), CAROL, "-n", "3", "--folder", folder,
                           "--seed", "7", "--start-index", "10", "--seen"],
                          check=True, capture_output=True, text=True, env={**os.environ, "STACK_DIR": STACK_DIR})
    second = json.loads(more.stdout)
    assert (second["count"], second["first_uid"], second["uidnext"]) == (3, 11, 14), second
    m = imap_login(CAROL, mint(CAROL))
    typ, data = m.select(folder, readonly=True)
    assert typ == "OK" and int(data[0]) == 13, data
    typ, data = m.uid("FETCH", "1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (X-SEED-INDEX MESSAGE-ID)])")
    assert typ == "OK", data
    rows = [d for d in data if isinstance(d, tuple)]
    indexes = [int(line.split(b":")[1]) for r in rows
               for line in r[1].splitlines() if line.lower().startswith(b"x-seed-index:")]
    assert indexes == list(range(13)), f"UID order != seed order: {indexes}"
    assert [b"\\Seen" in r[0] for r in rows] == [False] * 10 + [True] * 3
    assert b"<seed-7-3@example.test>" in rows[3][1]
    for uid in (b"2", b"4", b"11"):  # Chinese, multipart/mixed, the large one
        typ, data = m.uid("FETCH", uid, "(RFC822.SIZE BODY.PEEK[])")
        size = int(data[0][0].split(b"RFC822.SIZE ")[1].split()[0])
        assert size == len(data[0][1]), (uid, size, len(data[0][1]))
    m.literal = "会议纪要 1".encode()
    typ, data = m.uid("SEARCH", "CHARSET", "UTF-8", "SUBJECT")
    m.logout()
    assert data[0].split() == [b"2"], data


def check_rs256_ok(mech: str, azp=None, kid=RS256_KID):
    flags = ["--private-key", RS256_KEY, "--kid", kid] + (["--azp", azp] if azp else [])
    imap_login(ALICE, mint(ALICE, *flags), mech).logout()


def testkit_kid(private_key: str) -> str:
    """The test kit's kid: base64url of the first 16 bytes of SHA-256(PKCS#1 public key DER)."""
    der = subprocess.run(["openssl", "rsa", "-in", private_key, "-RSAPublicKey_out", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()[:16]).rstrip(b"=").decode()


def testkit_token(user: str) -> str:
    """A delegated token from the running test kit ($OAUTHMAIL_TESTKIT, its JSON info line):
    password grant of the fixture's public client, as a user of the library would get one."""
    info = json.loads(os.environ["OAUTHMAIL_TESTKIT"])
    form = urllib.parse.urlencode({
        "grant_type": "password", "client_id": TESTKIT_PUBLIC_CLIENT, "username": user,
        "password": user.split("@")[0] + "-password",
        "scope": "https://outlook.office365.com/IMAP.AccessAsUser.All"}).encode()
    ctx = ssl.create_default_context(cafile=info["ca_path"])
    with urllib.request.urlopen(info["token_url"], data=form, context=ctx, timeout=TIMEOUT) as r:
        return json.loads(r.read())["access_token"]


def main() -> None:
    checks = [
        ("IMAPS XOAUTH2", check_imap_ok, ("XOAUTH2",)),
        ("IMAPS OAUTHBEARER", check_imap_ok, ("OAUTHBEARER",)),
        ("IMAP STARTTLS XOAUTH2", check_imap_ok, ("XOAUTH2", True)),
        ("IMAPS XOAUTH2, user name case differs", check_imap_case_insensitive_user, ()),
        ("IMAPS password LOGIN", check_imap_password, ()),
        ("IMAPS XOAUTH2 refuses an expired token",
         lambda: expect_refused(imap_login, ALICE, mint(ALICE, "--expired")), ()),
        ("IMAPS OAUTHBEARER refuses a bad signature",
         lambda: expect_refused(imap_login, ALICE, mint(ALICE, "--bad-signature"), "OAUTHBEARER"), ()),
        ("IMAPS XOAUTH2 refuses a token without aud",
         lambda: expect_refused(imap_login, ALICE, mint(ALICE, "--no-scope")), ()),
        ("IMAPS XOAUTH2 refuses another user's token",
         lambda: expect_refused(imap_login, ALICE, mint(BOB)), ()),
        ("POP3S XOAUTH2", check_pop3_ok, ("XOAUTH2",)),
        ("POP3S OAUTHBEARER", check_pop3_ok, ("OAUTHBEARER",)),
        ("POP3 STLS XOAUTH2", check_pop3_ok, ("XOAUTH2", True)),
        ("POP3S XOAUTH2 refuses an expired token",
         lambda: expect_refused(pop3_login, ALICE, mint(ALICE, "--expired")), ()),
        ("POP3S OAUTHBEARER refuses a bad signature",
         lambda: expect_refused(pop3_login, ALICE, mint(ALICE, "--bad-signature"), "OAUTHBEARER"), ()),
        ("SMTP submission STARTTLS XOAUTH2", check_smtp_ok, ("XOAUTH2",)),
        ("SMTP submission STARTTLS OAUTHBEARER", check_smtp_ok, ("OAUTHBEARER",)),
        ("SMTPS XOAUTH2", check_smtp_ok, ("XOAUTH2", True)),
        ("SMTP XOAUTH2 refuses an expired token",
         lambda: expect_refused(smtp_login, ALICE, mint(ALICE, "--expired")), ()),
        ("SMTPS OAUTHBEARER refuses a bad signature",
         lambda: expect_refused(smtp_login, ALICE, mint(ALICE, "--bad-signature"), "OAUTHBEARER", True), ()),
        ("SMTP refuses AUTH before STARTTLS", check_smtp_requires_starttls, ()),
        ("SMTP refuses relaying and unknown users", check_smtp_recipients, ()),
        ("send alice -> bob over SMTP, read back over IMAP and POP3", check_send_and_read_back, ()),
        (f"send a {LARGE_MB} MB message over SMTPS, read it back over IMAP", check_large_message, ()),
        ("seed-mailbox UID order, flags, sizes, UTF-8 search", check_seeded_mailbox, ()),
    ]
    if RS256_KEY:
        checks += [
            ("IMAPS XOAUTH2 with an RS256 token (no azp)", check_rs256_ok, ("XOAUTH2",)),
            ("IMAPS OAUTHBEARER with an RS256 token (azp = fixture app)",
             check_rs256_ok, ("OAUTHBEARER", "22222222-2222-2222-2222-222222222222")),
            ("IMAPS XOAUTH2 with an RS256 token (test kit kid, azp = public client)",
             lambda: check_rs256_ok("XOAUTH2", "44444444-4444-4444-4444-444444444444", testkit_kid(RS256_KEY)), ()),
            ("IMAPS refuses an RS256 token with an unknown kid",
             lambda: expect_refused(imap_login, ALICE, mint(
                 ALICE, "--private-key", RS256_KEY, "--kid", "unknown-kid")), ()),
            ("SMTP XOAUTH2 with an RS256 token",
             lambda: smtp_login(ALICE, mint(ALICE, "--private-key", RS256_KEY, "--kid", RS256_KID)).quit(), ()),
            ("POP3S XOAUTH2 with an RS256 token",
             lambda: pop3_login(ALICE, mint(ALICE, "--private-key", RS256_KEY, "--kid", RS256_KID)).quit(), ()),
            ("IMAPS refuses an RS256 token with a bad signature",
             lambda: expect_refused(imap_login, ALICE, mint(
                 ALICE, "--private-key", RS256_KEY, "--kid", RS256_KID, "--bad-signature")), ()),
        ]
    if os.environ.get("OAUTHMAIL_TESTKIT"):
        checks += [
            ("IMAPS XOAUTH2 with a test kit token", lambda: imap_login(ALICE, testkit_token(ALICE)).logout(), ()),
            ("POP3S OAUTHBEARER with a test kit token",
             lambda: pop3_login(BOB, testkit_token(BOB), "OAUTHBEARER").quit(), ()),
            ("SMTP XOAUTH2 with a test kit token", lambda: smtp_login(ALICE, testkit_token(ALICE)).quit(), ()),
            ("IMAPS refuses a test kit token for another user",
             lambda: expect_refused(imap_login, ALICE, testkit_token(BOB)), ()),
        ]
    passed = failed = 0
    for name, check, args in checks:
        try:
            check(*args)
        except Exception as e:  # report every failure, then go on with the next check
            failed += 1
            print(f"FAIL {name}: {type(e).__name__}: {e}")
            if os.environ.get("SELFTEST_VERBOSE"):
                traceback.print_exc()
        else:
            passed += 1
            print(f"ok   {name}")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
