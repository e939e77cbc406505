#!/usr/bin/env bash
# Python contenders: oauthmail_bench.py needs the oauthmail package, which the harness has
# already installed into $BENCH_VENV (maturin develop); stdlib_bench.py needs only the
# standard library (no msal: see its docstring). So this only checks the venv.
set -euo pipefail
: "${BENCH_VENV:?set BENCH_VENV to the bench venv}"
"$BENCH_VENV/bin/python" -c 'import oauthmail' || {
  echo "tests/bench/python: the oauthmail package is not installed in $BENCH_VENV" >&2
  exit 1
}
