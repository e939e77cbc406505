"""oauthmail-python: the benchmark's scenarios with the oauthmail Python package,
written the way a Python user writes them (tests/bench/CONTRACT.md).

Usage: oauthmail_bench.py <list|send|pop3|download|token|cold> <config.json>
"""

import json
import sys
import time

import oauthmail

BODY = (
    "This is a small benchmark message. It carries no attachment and only plain\n"
    "ASCII text, so that the time measured is the protocol, not the encoder.\n"
    "The quick brown fox jumps over the lazy dog.\n"
)


def login(cfg):
    """The scenario's user and password, else the top-level ones (`token` has none of its own)."""
    return cfg["scenario"].get("user", cfg["user"]), cfg["scenario"].get("password", cfg["password"])


def credential(cfg):
    identity = cfg["identity"]
    user, password = login(cfg)
    return oauthmail.UsernamePasswordCredential(
        tenant_id=identity["tenant_id"],
        client_id=identity["client_id"],
        username=user,
        password=password,
        authority=identity["authority"],
        ca_file=identity["ca_file"],
    )


def client(cls, cfg, port, security):
    return cls(host=cfg["host"], port=cfg["ports"][port], username=login(cfg)[0],
               credential=credential(cfg), security=security, ca_file=cfg["ca_file"])


def list_summaries(cfg, s):
    with client(oauthmail.ImapClient, cfg, "imaps", "tls") as imap:
        rows = [(m.subject, m.from_, m.date, m.size, m.flags) for m in imap.list_messages(s["folder"])]
    return {"items": len(rows)}


def send_messages(cfg, s):
    accepted = 0
    with client(oauthmail.SmtpClient, cfg, "submission", "starttls") as smtp:
        for i in range(s["count"]):
            message = oauthmail.Message(from_=login(cfg)[0], to=s["to"], subject=f"bench {i}", text=BODY)
            accepted += bool(smtp.send(message).accepted)
    return {"items": accepted}


def pop3_headers(cfg, s):
    # list_messages is UIDL, then TOP n 0 for every message.
    with client(oauthmail.Pop3Client, cfg, "pop3s", "tls") as pop:
        rows = [(m.uidl, m.subject, m.from_, m.date) for m in pop.list_messages()]
    return {"items": len(rows)}


def download(cfg, s):
    with client(oauthmail.ImapClient, cfg, "imaps", "tls") as imap:
        imap.select(s["folder"])
        imap.fetch_message_to_file(s["uid"], s["out"])
    return {"items": 1}


def run_timed(scenario, cfg):
    start = time.monotonic()
    result = scenario(cfg, cfg["scenario"])
    return dict(result, seconds=time.monotonic() - start)


def token(cfg):
    cred = credential(cfg)
    cred.get_token()  # the one request to the identity platform, not timed
    calls = cfg["scenario"]["calls"]
    start = time.perf_counter_ns()
    for _ in range(calls):
        cred.get_token()
    elapsed = time.perf_counter_ns() - start
    return {"items": calls, "seconds": elapsed / 1e9, "ns_per_call": elapsed / calls}


def cold(cfg):
    with client(oauthmail.ImapClient, cfg, "imaps", "tls") as imap:
        imap.select(cfg["scenario"]["folder"])
        return {"items": 1, "auth_at": time.time()}


def main():
    scenario, config_path = sys.argv[1:]
    with open(config_path, encoding="utf-8") as f:
        cfg = json.load(f)
    timed = {"list": list_summaries, "send": send_messages, "pop3": pop3_headers, "download": download}
    if scenario in timed:
        result = run_timed(timed[scenario], cfg)
    else:
        result = {"token": token, "cold": cold}[scenario](cfg)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
