"""python-stdlib: the benchmark's scenarios with imaplib, smtplib and poplib and a bearer
token, written the way the usual script does it (tests/bench/CONTRACT.md).

The token comes from a hand-written HTTPS POST of the password grant, not from msal:
msal's username/password flow first asks https://<authority host>/common/userrealm/<user>
on port 443 whatever port the authority names, so it cannot reach the test kit.
Without msal there is no token cache, so this contender has no `token` scenario.

Usage: stdlib_bench.py <list|send|pop3|download|cold> <config.json>
"""

import base64
import imaplib
import json
import poplib
import re
import smtplib
import ssl
import sys
import time
import urllib.parse
import urllib.request
from email.header import decode_header, make_header
from email.message import EmailMessage
from email.parser import BytesHeaderParser

BODY = (
    "This is a small benchmark message. It carries no attachment and only plain\n"
    "ASCII text, so that the time measured is the protocol, not the encoder.\n"
    "The quick brown fox jumps over the lazy dog.\n"
)
HEADERS = BytesHeaderParser()  # compat32, as most imaplib scripts use it (policy.default is ~10x slower)


def decoded(value):
    """A header with RFC 2047 encoded words, as text."""
    return str(make_header(decode_header(value))) if value else ""


def login(cfg):
    """The scenario's user and password, else the top-level ones."""
    return cfg["scenario"].get("user", cfg["user"]), cfg["scenario"].get("password", cfg["password"])


def get_token(cfg):
    identity = cfg["identity"]
    user, password = login(cfg)
    form = urllib.parse.urlencode({
        "client_id": identity["client_id"],
        "grant_type": "password",
        "username": user,
        "password": password,
        "scope": identity["scope"],
    }).encode()
    context = ssl.create_default_context(cafile=identity["ca_file"])
    with urllib.request.urlopen(identity["token_url"], data=form, context=context, timeout=30) as resp:
        return json.load(resp)["access_token"]


def xoauth2(cfg, token):
    return f"user={login(cfg)[0]}\x01auth=Bearer {token}\x01\x01"


def tls(cfg):
    return ssl.create_default_context(cafile=cfg["ca_file"])


def imap_login(cfg):
    imap = imaplib.IMAP4_SSL(cfg["host"], cfg["ports"]["imaps"], ssl_context=tls(cfg))
    sasl = xoauth2(cfg, get_token(cfg)).encode()
    imap.authenticate("XOAUTH2", lambda challenge: sasl)
    return imap


def list_summaries(cfg, s):
    imap = imap_login(cfg)
    imap.select(s["folder"], readonly=True)
    _, data = imap.fetch("1:*", "(FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT FROM DATE)])")
    rows = []
    for item in data:
        if isinstance(item, tuple):  # (b'n (FLAGS (...) RFC822.SIZE n BODY[...] {n}', header bytes)
            meta, raw = item
            h = HEADERS.parsebytes(raw)
            size = int(re.search(rb"RFC822\.SIZE (\d+)", meta).group(1))
            rows.append((decoded(h["Subject"]), decoded(h["From"]), h["Date"], size, imaplib.ParseFlags(meta)))
    imap.logout()
    return {"items": len(rows)}


def send_messages(cfg, s):
    user = login(cfg)[0]
    sent = 0
    with smtplib.SMTP(cfg["host"], cfg["ports"]["submission"]) as smtp:
        smtp.starttls(context=tls(cfg))
        sasl = xoauth2(cfg, get_token(cfg))
        # Called again with the server's error challenge, which gets an empty answer.
        smtp.auth("XOAUTH2", lambda challenge=None: sasl if challenge is None else "")
        for i in range(s["count"]):
            msg = EmailMessage()
            msg["From"], msg["To"], msg["Subject"] = user, s["to"], f"bench {i}"
            msg.set_content(BODY)
            refused = smtp.send_message(msg)
            sent += not refused
    return {"items": sent}


def pop3_headers(cfg, s):
    pop = poplib.POP3_SSL(cfg["host"], cfg["ports"]["pop3s"], context=tls(cfg))
    sasl = base64.b64encode(xoauth2(cfg, get_token(cfg)).encode()).decode()
    pop._shortcmd(f"AUTH XOAUTH2 {sasl}")  # poplib has no AUTH command of its own
    _, listing, _ = pop.uidl()
    rows = []
    for line in listing:
        number, uidl = line.split()
        _, lines, _ = pop.top(int(number), 0)
        h = HEADERS.parsebytes(b"\r\n".join(lines))
        rows.append((uidl, decoded(h["Subject"]), decoded(h["From"]), h["Date"]))
    pop.quit()
    return {"items": len(rows)}


def download(cfg, s):
    imap = imap_login(cfg)
    imap.select(s["folder"], readonly=True)
    # imaplib cannot stream: the whole message arrives in memory first.
    _, data = imap.uid("FETCH", str(s["uid"]), "(BODY.PEEK[])")
    with open(s["out"], "wb") as f:
        f.write(data[0][1])
    imap.logout()
    return {"items": 1}


def cold(cfg):
    imap = imap_login(cfg)
    imap.select(cfg["scenario"]["folder"], readonly=True)
    auth_at = time.time()
    imap.logout()
    return {"items": 1, "auth_at": auth_at}


def main():
    scenario, config_path = sys.argv[1:]
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    if scenario == "cold":
        result = cold(cfg)
    else:
        run = {"list": list_summaries, "send": send_messages, "pop3": pop3_headers, "download": download}[scenario]
        start = time.monotonic()
        result = dict(run(cfg, cfg["scenario"]), seconds=time.monotonic() - start)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
