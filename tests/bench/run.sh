#!/usr/bin/env bash
# The benchmark comparison (issue 9): builds, starts its own test kit and its own
# Dovecot/Postfix stack (ports 11xxx, so it never meets the test command's),
# then bench.py seeds the mailboxes, runs every contender of tests/bench/*/contenders.json
# and writes RESULTS.md + results.png to --out. Contract: tests/bench/CONTRACT.md.
#
#   tests/bench/run.sh [--size tiny|medium|full] [--runs N] [--only a,b] [--out DIR]
#
# full (default) and medium (1/10th) use the release build; tiny the debug build.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD

size=full runs=5 only="" out=tests/bench
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--size tiny|medium|full] [--runs N] [--only a,b] [--out DIR]" >&2; exit 2 ;;
  esac
done
case $size in
  tiny) profile=debug cargo_flags=() ;;
  medium | full) profile=release cargo_flags=(--release) ;;
  *) echo "--size must be tiny, medium or full" >&2; exit 2 ;;
esac
mkdir -p "$out"
# The test command's stack and kit (run-all.sh exports them) must not leak into ours:
# seed-mailbox, for one, prefers MAILSTACK_* from the environment.
unset OAUTHMAIL_TESTKIT OAUTHMAIL_REQUIRE_MAILSTACK $(compgen -e | grep '^MAILSTACK_' || true)
out=$(cd "$out" && pwd)
step() { printf '\n--> bench: %s\n' "$*"; }

# One benchmark at a time on this machine: the stack's directory and ports are fixed.
exec 8>/tmp/oauthmail-bench.lock
flock -w 3600 8 || { echo "another tests/bench/run.sh holds /tmp/oauthmail-bench.lock" >&2; exit 1; }

step "cargo build --workspace (${profile})"
cargo build --workspace --locked "${cargo_flags[@]}"

# tiny reuses the test command's venv (it holds the debug binding already) when present.
if [ -z "${BENCH_VENV:-}" ] && [ "$size" = tiny ] && target/venv/bin/python -c 'import oauthmail' 2>/dev/null; then
  BENCH_VENV=$root/target/venv
  step "Python: reusing target/venv and its debug binding"
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check 'matplotlib>=3.8'
else
  BENCH_VENV=${BENCH_VENV:-$root/target/bench-venv-$profile}
  step "Python: $BENCH_VENV with matplotlib and the binding (a $profile wheel)"
  [ -x "$BENCH_VENV/bin/python" ] || python3 -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.16,<2' 'matplotlib>=3.8'
  # A wheel, not `maturin develop`: that puts the module into bindings-python/python/,
  # where the test command's own debug build would replace it under a running benchmark.
  wheels=$root/target/bench-wheels-$profile
  rm -rf "$wheels"
  (cd bindings-python && "$BENCH_VENV/bin/maturin" build --quiet "${cargo_flags[@]}" -o "$wheels")
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps "$wheels"/*.whl
fi
export BENCH_VENV

for build in tests/bench/*/build.sh; do
  step "$build $profile"
  bash "$build" "$profile"
done

export STACK_DIR=/tmp/oauthmail-bench-stack
kit_in=$(mktemp -u /tmp/oauthmail-bench-kit-in.XXXXXX)
kit_info=$STACK_DIR.testkit.json
cleanup() {
  exec 9>&- 2>/dev/null || true
  bash tests/mailstack/stop.sh >/dev/null 2>&1 || true
  rm -f "$kit_in"
}
trap cleanup EXIT

step "test kit (alice, bob, carol, dave: tests/bench/testkit.json)"
mkfifo "$kit_in"
rm -f "$kit_info"
"target/$profile/oauthmail-testkit" --config tests/bench/testkit.json < "$kit_in" > "$kit_info" &
exec 9>"$kit_in"   # the kit runs until this descriptor closes
for _ in $(seq 300); do [ -s "$kit_info" ] && break; sleep 0.1; done
[ -s "$kit_info" ] || { echo "the test kit did not start" >&2; exit 1; }
jwt_key=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["jwt_public_key_path"])' "$kit_info")

step "mail stack in $STACK_DIR (emptied first: every run seeds the same mailboxes)"
bash tests/mailstack/stop.sh >/dev/null 2>&1 || true
rm -rf "$STACK_DIR/mail"
JWT_PUBLIC_KEY=$jwt_key IMAPS_PORT=11993 IMAP_PORT=11143 POP3S_PORT=11995 POP3_PORT=11110 \
  SUBMISSION_PORT=11587 SMTPS_PORT=11465 bash tests/mailstack/start.sh >/dev/null

step "bench.py --size $size --runs $runs"
"$BENCH_VENV/bin/python" tests/bench/bench.py --size "$size" --runs "$runs" --only "$only" --out "$out" \
  --profile "$profile" --kit "$kit_info" --stack "$STACK_DIR/mailstack.json"
