#!/usr/bin/env python3
"""Runs every (scenario, contender, run) of tests/bench/*/contenders.json against the
test kit and mail stack that run.sh started, one process at a time, and writes
RESULTS.md + results.png (report.py). The interface is tests/bench/CONTRACT.md.

Exit status 1 when any run failed (the tiny run in the test command relies on it).
"""

import argparse
import glob
import json
import os
import re
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

import report

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCENARIOS = ["list", "send", "pop3", "download", "token", "cold"]
SIZES = {
    "full": {"list": 10_000, "send": 1_000, "pop3": 1_000, "download_mb": 50, "token": 1_000_000, "timeout": 900},
    "medium": {"list": 1_000, "send": 100, "pop3": 100, "download_mb": 5, "token": 100_000, "timeout": 300},
    "tiny": {"list": 20, "send": 10, "pop3": 10, "download_mb": 1, "token": 1_000, "timeout": 120},
}
USERS = {"list": "bob", "cold": "bob", "pop3": "dave", "download": "carol", "send": "alice", "token": "alice"}
DOMAIN = "example.test"


def load_contenders(only):
    contenders = []
    for path in sorted(glob.glob(os.path.join(ROOT, "tests", "bench", "*", "contenders.json"))):
        with open(path, encoding="utf-8") as f:
            for c in json.load(f):
                c["dir"] = os.path.dirname(path)
                contenders.append(c)
    if only:
        wanted = set(only.split(","))
        unknown = wanted - {c["name"] for c in contenders}
        if unknown:
            sys.exit(f"bench.py: --only names unknown contenders: {', '.join(sorted(unknown))}")
        contenders = [c for c in contenders if c["name"] in wanted]
    return contenders


class Kit:
    """The test kit's control endpoint: counts token requests around each run."""

    def __init__(self, info):
        self.info = info
        self.ctx = ssl.create_default_context(cafile=info["ca_path"])

    def _call(self, method, path):
        req = urllib.request.Request(self.info["control_url"] + path, method=method)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as resp:
            body = resp.read()
        return json.loads(body) if body else None

    def clear_requests(self):
        self._call("DELETE", "/requests")

    def token_requests(self):
        return self._call("GET", "/requests")["token_requests"]


def seed(stack, user, args):
    out = subprocess.run([stack["seed_mailbox"], user, *args], check=True, capture_output=True, text=True,
                         env={**os.environ, "STACK_DIR": stack["dir"]})
    return json.loads(out.stdout.strip().splitlines()[-1])


def delivered(stack, user):
    """Messages in a user's INBOX on disk (new + cur), to wait for Postfix after a send run."""
    base = os.path.join(stack["mail_dir"], f"{user}@{DOMAIN}", "Maildir")
    return sum(len(os.listdir(os.path.join(base, d))) for d in ("new", "cur") if os.path.isdir(os.path.join(base, d)))


def prepare(stack, size):
    """Seeds the mailboxes; returns the `scenario` object of each scenario."""
    s = SIZES[size]
    seed(stack, "bob", ["-n", str(s["list"])])
    seed(stack, "dave", ["-n", str(s["pop3"])])
    large = seed(stack, "carol", ["-n", "0", "--large-mb", str(s["download_mb"])])
    cur = os.path.join(large["path"], "cur")
    (name,) = os.listdir(cur)
    wire_bytes = int(re.search(r",W=(\d+)", name).group(1))  # CRLF size: what IMAP sends
    pw = {u: f"{u}-password" for u in ("alice", "bob", "carol", "dave")}
    who = lambda u: {"user": f"{u}@{DOMAIN}", "password": pw[u]}  # noqa: E731
    return {
        "list": {**who("bob"), "folder": "INBOX", "count": s["list"]},
        "send": {**who("alice"), "to": f"alice@{DOMAIN}", "count": s["send"]},
        "pop3": {**who("dave"), "count": s["pop3"]},
        "download": {**who("carol"), "folder": "INBOX", "uid": large["first_uid"], "bytes": wire_bytes},
        "token": {**who("alice"), "calls": s["token"]},
        "cold": {**who("bob"), "folder": "INBOX"},
    }


def expand(cmd, profile, python):
    values = {"root": ROOT, "target": os.path.join(ROOT, "target", profile), "profile": profile, "python": python,
              "java": shutil.which("java") or "java", "node": shutil.which("node") or "node"}
    return [re.sub(r"\{(\w+)\}", lambda m: values.get(m.group(1), m.group(0)), part) for part in cmd]


def tail(path, lines=6):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return " | ".join(line.strip() for line in f.read().strip().splitlines()[-lines:])
    except OSError:
        return ""


def run_one(contender, scenario, scen, run_no, ctx):
    """One process, under bench-exec for its peak RSS; returns its record for report.py."""
    work = os.path.join(ctx["base"], f"{contender['name']}-{scenario}-{run_no}")
    os.makedirs(work)
    scen = dict(scen)
    if scenario == "download":
        scen["out"] = os.path.join(work, "message.eml")
    config = {**ctx["common"], "user": scen["user"], "password": scen["password"], "scenario": scen,
              "work_dir": work}
    config_path = os.path.join(work, "config.json")
    with open(config_path, "w", encoding="utf-8") as f:
        json.dump(config, f)
    rec = {"contender": contender["name"], "scenario": scenario, "run": run_no, "ok": False}
    ctx["kit"].clear_requests()
    before_delivered = delivered(ctx["stack"], "alice") if scenario == "send" else 0
    rss_path = os.path.join(work, "peak-rss-kib")
    launcher = [os.path.join(ROOT, "target", ctx["profile"], "bench-exec"), rss_path]
    cmd = launcher + expand(contender["cmd"], ctx["profile"], ctx["python"]) + [scenario, config_path]
    out_path, err_path = os.path.join(work, "stdout"), os.path.join(work, "stderr")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        spawned_at = time.time()
        try:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err, cwd=work,
                                    start_new_session=True)
        except OSError as e:
            rec["reason"] = f"cannot start: {e}"
            return rec
        deadline = time.monotonic() + ctx["timeout"]
        timed_out = False
        while True:
            pid, status = os.waitpid(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline and not timed_out:
                timed_out = True
                os.killpg(proc.pid, signal.SIGKILL)
            time.sleep(0.005)
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    try:
        with open(rss_path, encoding="ascii") as f:
            rec["rss_kb"] = int(f.read())
    except (OSError, ValueError):
        rec["rss_kb"] = None
    rec["token_requests"] = ctx["kit"].token_requests()
    if timed_out:
        rec["reason"] = f"timed out after {ctx['timeout']} s"
    elif proc.returncode != 0:
        rec["reason"] = f"exit {proc.returncode}: {tail(err_path)}"
    elif rec["rss_kb"] is None:
        rec["reason"] = f"bench-exec wrote no peak RSS: {tail(err_path)}"
    else:
        rec.update(check(scenario, scen, tail(out_path, 1), spawned_at))
        if rec.get("ok") and scenario == "send":
            rec.update(wait_delivery(ctx["stack"], before_delivered + scen["count"]))
    if not rec["ok"]:
        print(f"    FAILED: {rec['reason']}", file=sys.stderr)
    return rec


def check(scenario, scen, last_line, spawned_at):
    try:
        result = json.loads(last_line)
    except ValueError:
        return {"reason": f"last stdout line is not JSON: {last_line[:200]!r}"}
    expected = {"list": scen.get("count"), "send": scen.get("count"), "pop3": scen.get("count"),
                "download": 1, "token": scen.get("calls"), "cold": 1}[scenario]
    if result.get("items") != expected:
        return {"reason": f"items {result.get('items')!r}, expected {expected}"}
    if scenario == "download":
        got = os.path.getsize(scen["out"]) if os.path.exists(scen["out"]) else None
        if got is not None:
            os.remove(scen["out"])  # 50 MB per run adds up
        if got != scen["bytes"]:
            return {"reason": f"downloaded file has {got} bytes, expected {scen['bytes']}"}
    if scenario == "cold":
        auth_at = result.get("auth_at")
        if not isinstance(auth_at, (int, float)) or not spawned_at < auth_at < time.time():
            return {"reason": f"auth_at {auth_at!r} is not between spawn and exit"}
        return {"ok": True, "seconds": auth_at - spawned_at}
    seconds = result.get("seconds")
    if not isinstance(seconds, (int, float)) or seconds <= 0:
        return {"reason": f"seconds {seconds!r} is not a positive number"}
    rec = {"ok": True, "seconds": float(seconds)}
    if scenario == "token":
        ns = result.get("ns_per_call")
        rec["ns_per_call"] = float(ns) if isinstance(ns, (int, float)) else seconds * 1e9 / expected
    return rec


def wait_delivery(stack, want, timeout=300):
    """Postfix delivers after the 250: wait so the next run starts on a quiet machine."""
    deadline = time.monotonic() + timeout
    while delivered(stack, "alice") < want:
        if time.monotonic() > deadline:
            return {"ok": False, "reason": f"accepted mail not delivered to alice within {timeout} s"}
        time.sleep(0.2)
    return {}


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", choices=sorted(SIZES), default="full")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--only", default="")
    p.add_argument("--out", required=True)
    p.add_argument("--profile", choices=["debug", "release"], required=True)
    p.add_argument("--kit", required=True, help="file with the test kit's JSON info line")
    p.add_argument("--stack", required=True, help="the mail stack's mailstack.json")
    args = p.parse_args()

    with open(args.kit, encoding="utf-8") as f:
        kit_info = json.loads(f.readline())
    with open(args.stack, encoding="utf-8") as f:
        stack = json.load(f)
    contenders = load_contenders(args.only)
    scenarios = prepare(stack, args.size)
    base = tempfile.mkdtemp(prefix="oauthmail-bench-")
    os.chmod(base, 0o755)
    ctx = {
        "base": base, "kit": Kit(kit_info), "stack": stack, "profile": args.profile, "python": sys.executable,
        "timeout": SIZES[args.size]["timeout"],
        "common": {
            "host": stack["host"], "tls_name": stack["tls_name"], "ca_file": stack["ca_cert"],
            "ports": stack["ports"],
            "identity": {"authority": kit_info["authority"], "tenant_id": kit_info["tenant_id"],
                         "client_id": "44444444-4444-4444-4444-444444444444", "token_url": kit_info["token_url"],
                         "scope": "https://outlook.office365.com/.default", "ca_file": kit_info["ca_path"]},
        },
    }
    records = []
    for scenario in SCENARIOS:
        runners = [c for c in contenders if scenario in c["scenarios"]]
        if runners:
            # Untimed: Dovecot builds its cache at the first FETCH after seeding, which would
            # be charged to whichever contender came first (one list run took 3x the others).
            print(f"  {scenario:8} warm-up  {runners[0]['name']}", file=sys.stderr, flush=True)
            run_one(runners[0], scenario, scenarios[scenario], 0, ctx)
        for run_no in range(1, args.runs + 1):
            for c in runners:
                print(f"  {scenario:8} run {run_no}/{args.runs}  {c['name']}", file=sys.stderr, flush=True)
                records.append(run_one(c, scenario, scenarios[scenario], run_no, ctx))
    failed = [r for r in records if not r["ok"]]
    if not failed:
        shutil.rmtree(base, ignore_errors=True)
    report.write(args.out, {"size": args.size, "runs": args.runs, "sizes": SIZES[args.size],
                            "scenarios": scenarios, "profile": args.profile, "root": ROOT},
                 contenders, records)
    print(f"bench: {len(records) - len(failed)} runs ok, {len(failed)} failed; {args.out}/RESULTS.md", file=sys.stderr)
    if failed:
        print(f"bench: work directories kept in {base}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
