#!/usr/bin/env bash
# The project's whole test suite, from a fresh machine: installs what it needs,
# starts the real Dovecot/Postfix stack and the test kit once, runs every suite,
# and stops what it started. This is the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

step() { printf '\n==> %s\n' "$*"; }

step "toolchain"
if ! command -v cargo >/dev/null; then
  echo "cargo not found: install Rust with rustup first" >&2
  exit 1
fi
rustup component add clippy rustfmt >/dev/null 2>&1 || true

step "real mail servers: install (apt, once)"
bash tests/mailstack/install.sh

step "build (one debug build shared by every suite)"
cargo build --workspace --all-targets --locked

export STACK_DIR=${STACK_DIR:-/tmp/oauthmail-ci-stack}
testkit_in=$(mktemp -u /tmp/oauthmail-testkit-in.XXXXXX)
cleanup() {
  exec 9>&- 2>/dev/null || true
  bash tests/mailstack/stop.sh >/dev/null 2>&1 || true
  rm -f "$testkit_in"
}
trap cleanup EXIT

step "test kit: one shared instance (its JWT key is what Dovecot trusts)"
mkfifo "$testkit_in"
target/debug/oauthmail-testkit < "$testkit_in" > "$STACK_DIR.testkit.json" &
exec 9>"$testkit_in"   # the kit runs until this descriptor closes
for _ in $(seq 100); do [ -s "$STACK_DIR.testkit.json" ] && break; sleep 0.1; done
OAUTHMAIL_TESTKIT=$(head -n1 "$STACK_DIR.testkit.json")
export OAUTHMAIL_TESTKIT
jwt_key=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["jwt_public_key_path"])' "$OAUTHMAIL_TESTKIT")

step "real mail servers: start on 127.0.0.1"
JWT_PUBLIC_KEY=$jwt_key bash tests/mailstack/start.sh
set -a; . "$STACK_DIR/mailstack.env"; set +a
export OAUTHMAIL_REQUIRE_MAILSTACK=1
python3 tests/mailstack/selftest.py

step "Rust: unit and integration tests"
cargo test --workspace --locked

step "C ABI: header drift check, C tests (shared, static, ASan/LSan)"
cargo xtask codegen --check
bash bindings-c/tests/run.sh

# --- Python binding (bindings-python) -------------------------------------
# A project-local venv (target/venv) with maturin, mypy and pytest from PyPI;
# the module is built in debug with the `testing` feature (maturin develop:
# editable install, about 10 s warm: only pyo3 and the binding recompile).
# errors.py drift is part of `cargo xtask codegen --check` above; the stubs are
# checked against the compiled module by mypy.stubtest inside the pytest run.
step "Python binding: debug build (maturin develop), mypy --strict, stubtest + pytest"
py_venv=$root/target/venv
[ -x "$py_venv/bin/python" ] || python3 -m venv "$py_venv"
"$py_venv/bin/pip" install --quiet --disable-pip-version-check 'maturin>=1.16,<2' 'mypy>=1.18' 'pytest>=8' 'typing_extensions>=4.15'
(cd bindings-python && VIRTUAL_ENV=$py_venv "$py_venv/bin/maturin" develop --features testing)
(cd bindings-python && "$py_venv/bin/python" -m mypy --strict python/oauthmail tests)
(cd bindings-python && "$py_venv/bin/python" -m pytest -q -p no:cacheprovider tests)
# --- end Python binding ----------------------------------------------------

# --- Node binding (bindings-node) ---
# node_modules from npm (package-lock.json: @napi-rs/cli, typescript, nodemailer,
# @types); the addon is this debug build of oauthmail-node with the `testing`
# feature, copied from target/debug (only the binding crate recompiles, ~20 s);
# scripts/build.mjs --check regenerates index.js/index.d.ts with napi-rs's own
# generators from that build and fails on drift. Warm about 1 min (npm ci
# ~15 s, drift check ~10 s, tests ~40 s); in a fresh clone about 2 min (npm
# downloads ~80 MB, the per-package build recompiles syn and the binding).
step "Node binding: npm ci, index.js/index.d.ts drift check, node --test"
(cd bindings-node && npm ci --ignore-scripts --no-audit --no-fund)
(cd bindings-node && node scripts/build.mjs --check)
(cd bindings-node && npm test)
# --- end Node binding ---

# --- Java binding (bindings-java) ---
# JDK + Maven from Debian when missing; Maven keeps its plugins, JUnit, Jakarta
# Mail and javax.mail in ~/.m2 (cold: about 40 MB and 1 min of downloads).
# The pom runs `cargo build -p oauthmail-jni --features testing` (after the
# shared build only the binding crate rebuilds), bundles
# target/debug/liboauthmail_jni.so in the jar, and surefire runs JUnit with
# -Xcheck:jni against the shared test kit and the real stack, plus the
# examples/java programs. ErrorKind.java drift is checked by xtask above.
# Warm about 1.5 min.
step "Java binding: mvn verify (JNI library from the debug build, JUnit with -Xcheck:jni)"
if ! command -v mvn >/dev/null || ! command -v javac >/dev/null; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq default-jdk-headless maven >/dev/null
fi
(cd bindings-java && mvn -B -ntp verify)
# --- end Java binding ---

# --- benchmarks (tests/bench) ---
# The comparison of issue 9 in its tiny size, once: proves every contender of
# tests/bench/*/contenders.json still runs (a failed run fails this step). Its own
# test kit and stack on ports 11xxx; results go to a temp dir, never the checked-in
# RESULTS.md. Timings are reported there, never asserted.
step "benchmarks: tests/bench/run.sh --size tiny --runs 1"
bash tests/bench/run.sh --size tiny --runs 1 --out "$(mktemp -d /tmp/oauthmail-bench-tiny.XXXXXX)"
# --- end benchmarks ---

# --- begin reliability ---
step "reliability: fault matrix doc drift, dependency hygiene (cargo deny)"
# The fault matrix, TLS, load, secret-scan and fuzz-corpus tests ran with the Rust tests above;
# the matrix test rewrote docs/reliability.md, which must match the checked-in file.
if git rev-parse --git-dir >/dev/null 2>&1; then
  git diff --exit-code -- docs/reliability.md
fi
# cargo-deny from crates.io, built once into target/tools (about 4 minutes on
# 2 cores the first time; reused by later runs of the same checkout).
deny=$root/target/tools/bin/cargo-deny
[ -x "$deny" ] || cargo install cargo-deny --locked --version 0.20.2 --root "$root/target/tools"
"$deny" deny --offline check licenses bans sources
# --- end reliability ---

step "lint"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "all suites passed"
