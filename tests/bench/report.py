"""RESULTS.md and results.png from bench.py's run records."""

import os
import platform
import statistics
import subprocess
import time

TITLES = {
    "list": "List summaries (IMAP)",
    "send": "Send small messages (SMTP submission)",
    "pop3": "POP3 UIDL + TOP",
    "download": "Download one large message (IMAP)",
    "token": "Cached token look-up",
    "cold": "Cold start: process start to the first authenticated IMAP command",
}
GROUP_COLORS = {"oauthmail": "#1f77b4", "other": "#ff7f0e", "floor": "#7f7f7f"}


def fmt_time(seconds):
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.0f} µs"


def fmt_value(scenario, v):
    return f"{v:,.0f} ns" if scenario == "token" else fmt_time(v)


def _sh(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def machine(root):
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo", encoding="utf-8")
                if line.startswith("model name")), platform.processor())
    mem_kb = next(int(line.split()[1]) for line in open("/proc/meminfo", encoding="utf-8")
                  if line.startswith("MemTotal"))
    commit = _sh(["git", "-C", root, "rev-parse", "--short", "HEAD"])
    # The results of an earlier run are not changes to what is measured.
    results = [":(exclude)tests/bench/RESULTS.md", ":(exclude)tests/bench/results.png"]
    if _sh(["git", "-C", root, "status", "--porcelain", "--untracked-files=no", "--", ".", *results]):
        commit += " (with uncommitted changes)"
    tools = [
        ("", _sh(["rustc", "--version"])),
        ("Python", platform.python_version()),
        ("Node", _sh(["node", "--version"])),
        ("Java", _sh(["sh", "-c", "java -version 2>&1 | head -n1"])),
        ("Dovecot", _sh(["dovecot", "--version"])),
        ("Postfix", _sh(["postconf", "-d", "-h", "mail_version"])),
    ]
    return [
        f"- Machine: {cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB, "
        f"{platform.system()} {platform.release()}",
        f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; git commit {commit}",
        "- Tools: " + ", ".join(f"{name} {v}".strip() for name, v in tools if v),
        "- Load average (1, 5, 15 min) when the report was written: "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg())
        + " (the machine is not idle when other jobs share it; compare within one run only)",
    ]


def value(rec):
    return rec["ns_per_call"] if rec["scenario"] == "token" else rec["seconds"]


def summarize(contenders, records):
    """{scenario: {contender: {median, min, max, ok, runs, tokens, rss_kb, failures}}}"""
    out = {}
    for c in contenders:
        for scenario in c["scenarios"]:
            recs = [r for r in records if r["contender"] == c["name"] and r["scenario"] == scenario]
            if not recs:
                continue
            good = [r for r in recs if r["ok"]]
            vals = [value(r) for r in good]
            s = {"runs": len(recs), "ok": len(good), "failures": [r["reason"] for r in recs if not r["ok"]]}
            if vals:
                s.update(median=statistics.median(vals), min=min(vals), max=max(vals),
                         tokens=statistics.median(r["token_requests"] for r in good),
                         rss_kb=statistics.median(r["rss_kb"] for r in good))
            out.setdefault(scenario, {})[c["name"]] = s
    return out


def ratio(s, ref):
    if ref is None or "median" not in s or "median" not in ref:
        return "–"
    return f"{s['median'] / ref['median']:.2f}×"


def describe(scenario, sc, sizes):
    if scenario == "list":
        return f"{sc['count']:,} messages in {sc['user']} {sc['folder']}; subject, from, date, size and flags of each."
    if scenario == "send":
        return f"{sc['count']:,} small text messages, {sc['user']} to {sc['to']}, over submission (STARTTLS)."
    if scenario == "pop3":
        return f"{sc['count']:,} messages in {sc['user']}'s maildrop: UIDL, then TOP n 0 of each."
    if scenario == "download":
        return (f"One message of {sc['bytes']:,} bytes on the wire ({sizes['download_mb']} MB attachment), "
                "streamed to a file; peak RSS of the whole process from wait4.")
    if scenario == "token":
        return f"{sc['calls']:,} look-ups after the first token; nanoseconds per call."
    return "Wall clock from just before spawn to right after the SELECT (auth_at); includes the runtime's start."


def scenario_table(scenario, meta, contenders, stats):
    sc = meta["scenarios"][scenario]
    lines = [f"## {TITLES[scenario]}", ""]
    lines.append(describe(scenario, sc, meta["sizes"]))
    lines.append("")
    extra = "token requests per 1,000 sends" if scenario == "send" else "token requests per run"
    head = ["contender", "median", "min–max", "× oauthmail-rust", "× raw-floor", extra]
    if scenario == "download":
        head.append("peak RSS (× message)")
    head.append("runs ok")
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    rows = stats.get(scenario, {})
    ref, floor = rows.get("oauthmail-rust"), rows.get("raw-floor")
    ordered = sorted(contenders, key=lambda c: rows.get(c["name"], {}).get("median", float("inf")))
    for c in ordered:
        s = rows.get(c["name"])
        label = f"{c.get('label', c['name'])} `{c['name']}`"
        if s is None:
            why = c.get("notes", {}).get(scenario, "not offered by this contender")
            lines.append(f"| {label} | n/a | | | | | " + ("| " if scenario == "download" else "") + f"{why} |")
            continue
        if "median" not in s:
            cells = [label, "failed", "", "", "", ""] + ([""] if scenario == "download" else [])
            lines.append("| " + " | ".join(cells + [f"0/{s['runs']}"]) + " |")
            continue
        tokens = s["tokens"] * 1000 / sc["count"] if scenario == "send" else s["tokens"]
        cells = [label, fmt_value(scenario, s["median"]),
                 f"{fmt_value(scenario, s['min'])} – {fmt_value(scenario, s['max'])}",
                 ratio(s, ref), ratio(s, floor), f"{tokens:,.0f}"]
        if scenario == "download":
            rss = s["rss_kb"] * 1024
            cells.append(f"{rss / 2**20:.0f} MiB ({rss / sc['bytes']:.2f}×)")
        cells.append(f"{s['ok']}/{s['runs']}")
        lines.append("| " + " | ".join(cells) + " |")
    failures = [(name, f) for name, s in rows.items() for f in s["failures"]]
    if failures:
        lines += ["", "Failures:", ""] + [f"- `{name}`: {reason}" for name, reason in failures]
    lines.append("")
    return lines


def targets(meta, contenders, stats):
    """The targets of issue 9, each met or missed on these numbers."""
    group = {c["name"]: c["group"] for c in contenders}
    ours = [c["name"] for c in contenders if c["group"] == "oauthmail"]
    rows = []

    def add(target, who, measured, met):
        rows.append(f"| {target} | `{who}` | {measured} | {'met' if met else '**missed**'} |")

    for scenario in ["list", "send", "pop3", "download", "token", "cold"]:
        st = stats.get(scenario, {})
        others = {n: s for n, s in st.items() if group.get(n) == "other" and "median" in s}
        if not others:
            continue
        best_name, best = min(others.items(), key=lambda kv: kv[1]["median"])
        for name in ours:
            s = st.get(name)
            if s and "median" in s:
                add(f"{scenario}: faster than every other contender", name,
                    f"{fmt_value(scenario, s['median'])} vs {fmt_value(scenario, best['median'])} ({best_name})",
                    s["median"] < best["median"])
    for scenario in ["list", "send"]:
        floor = stats.get(scenario, {}).get("raw-floor")
        for name in ours:
            s = stats.get(scenario, {}).get(name)
            if s and floor and "median" in s and "median" in floor:
                r = s["median"] / floor["median"]
                add(f"{scenario}: within 1.3× of the raw floor", name, f"{r:.2f}×", r <= 1.3)
    for name in ours:
        s = stats.get("token", {}).get(name)
        if s and "median" in s:
            limit = 1000 if name == "oauthmail-rust" else 5000
            add(f"cached token under {limit // 1000} µs", name, f"{s['median']:,.0f} ns", s["median"] < limit)
    for name in ours:
        counts = {sc: stats[sc][name]["tokens"] for sc in ("list", "send", "pop3", "download", "cold")
                  if name in stats.get(sc, {}) and "tokens" in stats[sc][name]}
        if counts:
            add("one token request per token lifetime (per run)", name,
                ", ".join(f"{sc} {n:g}" for sc, n in counts.items()), all(n == 1 for n in counts.values()))
    size = meta["scenarios"]["download"]["bytes"]
    for name in ours:
        s = stats.get("download", {}).get(name)
        if s and "rss_kb" in s:
            r = s["rss_kb"] * 1024 / size
            add("download peak RSS under 1.2× the message", name, f"{r:.2f}×", r < 1.2)
    head = ["## Targets (issue 9)", "",
            "Benchmarks report; tests do not assert timings. Medians of this run.", "",
            "| target | contender | measured | |", "|---|---|---|---|"]
    return head + rows + [""]


def chart(path, contenders, stats, meta):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    group = {c["name"]: c["group"] for c in contenders}
    panels = [(sc, "median") for sc in TITLES] + [("download", "rss")]
    fig, axes = plt.subplots(4, 2, figsize=(13, 16))
    for ax, (scenario, what) in zip(axes.flat, panels):
        rows = [(n, s) for n, s in stats.get(scenario, {}).items() if "median" in s]
        rows.sort(key=lambda kv: kv[1]["median"] if what == "median" else kv[1]["rss_kb"], reverse=True)
        names = [n for n, _ in rows]
        if what == "rss":
            vals = [s["rss_kb"] / 1024 for _, s in rows]
            err = None
            ax.set_title("Download: peak RSS (MiB; dashed: the message)", fontsize=10)
            ax.axvline(meta["scenarios"]["download"]["bytes"] / 2**20, color="black", lw=0.8, ls="--")
        else:
            scale = 1 if scenario == "token" else 1e3
            vals = [s["median"] * scale for _, s in rows]
            err = [[(s["median"] - s["min"]) * scale for _, s in rows], [(s["max"] - s["median"]) * scale for _, s in rows]]
            ax.set_title(f"{TITLES[scenario]} ({'ns per call' if scenario == 'token' else 'ms'})", fontsize=10)
        ax.barh(names, vals, xerr=err, color=[GROUP_COLORS.get(group.get(n), "#999") for n in names], capsize=3)
        ax.tick_params(axis="y", labelsize=8)
        if vals and max(vals) / max(min(vals), 1e-9) > 50:
            ax.set_xscale("log")
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    fig.suptitle(f"oauthmail benchmarks ({meta['size']} size, median of {meta['runs']} runs, min–max bars; "
                 "blue = oauthmail, orange = other libraries, grey = raw floor)", fontsize=11)
    fig.tight_layout(rect=(0, 0, 1, 0.98))
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write(out_dir, meta, contenders, records):
    stats = summarize(contenders, records)
    s = meta["sizes"]
    lines = ["# Benchmark results", "",
             f"Written by `tests/bench/run.sh --size {meta['size']} --runs {meta['runs']}` "
             f"({meta['profile']} build). Every contender ran against the same real Dovecot/Postfix stack and "
             "test kit in the same run, one process at a time; times are medians over the runs, min–max beside them.",
             ""]
    lines += machine(meta["root"])
    lines += [f"- Size `{meta['size']}`: list {s['list']:,} messages, send {s['send']:,}, POP3 {s['pop3']:,}, "
              f"download {s['download_mb']} MB, token {s['token']:,} calls; {meta['runs']} run(s) each", "",
              "![benchmark chart](results.png)", ""]
    if meta["size"] != "full":
        lines += [f"**This is the `{meta['size']}` size, not the issue's full sizes** (`medium` is a tenth of them): "
                  "`bash tests/bench/run.sh` runs the full comparison.", ""]
    lines += targets(meta, contenders, stats)
    for scenario in TITLES:
        if any(scenario in c["scenarios"] for c in contenders) or scenario in stats:
            lines += scenario_table(scenario, meta, contenders, stats)
    lines += ["## Contenders", ""]
    for c in contenders:
        notes = c.get("notes", {})
        lines.append(f"- `{c['name']}` ({c.get('label', c['name'])}, {c['group']}): "
                     f"`{os.path.relpath(c['dir'], meta['root'])}/`")
        lines += [f"  - {k}: {v}" for k, v in notes.items()]
    findings = os.path.join(meta["root"], "tests", "bench", "FINDINGS.md")
    if os.path.exists(findings):
        with open(findings, encoding="utf-8") as f:
            lines += ["", f.read()]
    lines.append("")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "RESULTS.md"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    chart(os.path.join(out_dir, "results.png"), contenders, stats, meta)
