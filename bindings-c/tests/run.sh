#!/usr/bin/env bash
# C test suite of the C ABI: header compile checks (C99 pedantic and C++17),
# the C tests linked against liboauthmail.so (and once against liboauthmail.a),
# and the same tests under AddressSanitizer + LeakSanitizer.
#
# Uses the test kit named by OAUTHMAIL_TESTKIT (its JSON line) or starts one;
# uses the real Dovecot/Postfix stack when the MAILSTACK_* environment is set.
# ASan note: the test executables are instrumented and link libasan first, so
# every malloc/free in the Rust library is checked and leak-tracked too; the
# Rust code itself is not instrumented (that would need a nightly toolchain).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$root/target/c-tests
mkdir -p "$out"

CC=${CC:-gcc}
CXX=${CXX:-g++}
HEADER_FLAGS=(-Wall -Wextra -pedantic -Werror -I"$root/include")
CFLAGS=(-std=c99 "${HEADER_FLAGS[@]}" -g -DOAUTHMAIL_TESTING)
LIBDIR=$root/target/debug
# From `cargo rustc -p oauthmail-c --crate-type staticlib -- --print native-static-libs`.
STATIC_LIBS=(-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc)

step() { printf '\n--> %s\n' "$*"; }

step "build liboauthmail (debug, feature testing)"
cargo build -p oauthmail-c --features testing --locked

step "header compiles as C99 (pedantic) and as C++17"
printf '#include "oauthmail.h"\nint main(void) { return oauthmail_version() == 0; }\n' > "$out/header.c"
"$CC" "${CFLAGS[@]}" -fsyntax-only "$out/header.c"
"$CC" -std=c99 "${HEADER_FLAGS[@]}" -fsyntax-only "$out/header.c"
cp "$out/header.c" "$out/header.cpp"
"$CXX" -std=c++17 "${HEADER_FLAGS[@]}" -DOAUTHMAIL_TESTING -fsyntax-only "$out/header.cpp"

kit_in=""
cleanup() {
  if [ -n "$kit_in" ]; then
    exec 8>&- 2>/dev/null || true
    rm -f "$kit_in"
  fi
}
trap cleanup EXIT
if [ -z "${OAUTHMAIL_TESTKIT:-}" ]; then
  step "start a test kit (OAUTHMAIL_TESTKIT is not set)"
  cargo build -p oauthmail-testkit --locked
  kit_in=$(mktemp -u /tmp/oauthmail-c-kit.XXXXXX)
  mkfifo "$kit_in"
  target/debug/oauthmail-testkit < "$kit_in" > "$out/testkit.json" &
  exec 8>"$kit_in"   # the kit runs until this descriptor closes
  for _ in $(seq 100); do [ -s "$out/testkit.json" ] && break; sleep 0.1; done
  OAUTHMAIL_TESTKIT=$(head -n1 "$out/testkit.json")
fi
eval "$(python3 bindings-c/tests/kit_env.py "$OAUTHMAIL_TESTKIT")"

tests=()
for src in bindings-c/tests/test_*.c; do tests+=("$(basename "$src" .c)"); done

step "build the C tests (shared library, static library, ASan)"
for t in "${tests[@]}"; do
  "$CC" "${CFLAGS[@]}" "bindings-c/tests/$t.c" -o "$out/$t" \
    -L"$LIBDIR" -loauthmail -Wl,-rpath,"$LIBDIR" -pthread
  "$CC" "${CFLAGS[@]}" -fsanitize=address -fno-omit-frame-pointer "bindings-c/tests/$t.c" -o "$out/$t.asan" \
    -L"$LIBDIR" -loauthmail -Wl,-rpath,"$LIBDIR" -pthread
done
"$CC" "${CFLAGS[@]}" -fsanitize=address bindings-c/tests/leak_canary.c -o "$out/leak_canary.asan" \
  -L"$LIBDIR" -loauthmail -Wl,-rpath,"$LIBDIR"
# Once against the static library (the debug .a is large, so only one test).
"$CC" "${CFLAGS[@]}" bindings-c/tests/test_credentials.c -o "$out/test_credentials.static" \
  "$LIBDIR/liboauthmail.a" "${STATIC_LIBS[@]}"

step "build the example with pkg-config and with CMake (find_package from the build tree)"
PKG_CONFIG_PATH=$root/bindings-c/pkgconfig
export PKG_CONFIG_PATH
# shellcheck disable=SC2046  # pkg-config output is a list of flags
"$CC" -std=c99 -Wall -Wextra -pedantic -Werror examples/c/send_and_list.c -o "$out/send_and_list" \
  $(pkg-config --cflags --libs oauthmail)
if command -v cmake >/dev/null; then
  cmake -S examples/c -B "$out/cmake-example" -Doauthmail_DIR="$root/bindings-c/cmake" > "$out/cmake.log"
  cmake --build "$out/cmake-example" >> "$out/cmake.log"
else
  echo "cmake not installed: CMake package check skipped"
fi

export RUST_BACKTRACE=0   # the panic test's backtrace is noise
failed=0
run() {
  local name=$1; shift
  step "run $name"
  if ! "$@"; then
    echo "FAILED: $name"
    failed=1
  fi
}
for t in "${tests[@]}"; do
  run "$t" "$out/$t"
done
run "test_credentials (static)" "$out/test_credentials.static"
run "examples/c/send_and_list (the JavaMail program's job)" env \
  AZURE_TENANT_ID="$TK_TENANT" AZURE_CLIENT_ID=22222222-2222-2222-2222-222222222222 AZURE_CLIENT_SECRET=test-secret-1 \
  AZURE_AUTHORITY_HOST="$TK_AUTHORITY" OAUTHMAIL_CA_FILE="$TK_CA" OAUTHMAIL_USER=alice@example.test \
  OAUTHMAIL_SMTP_HOST="$TK_MAIL_HOST" OAUTHMAIL_SMTP_PORT="$TK_SMTP_STARTTLS_PORT" \
  OAUTHMAIL_IMAP_HOST="$TK_MAIL_HOST" OAUTHMAIL_IMAP_PORT="$TK_IMAP_STARTTLS_PORT" \
  "$out/send_and_list"
export ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:exitcode=23
for t in "${tests[@]}"; do
  run "$t (ASan+LSan)" "$out/$t.asan"
done

step "LeakSanitizer sees a leak in library objects (canary)"
if "$out/leak_canary.asan" > "$out/leak_canary.log" 2>&1; then
  echo "FAILED: the leak canary was not reported; the ASan runs prove nothing"
  failed=1
elif ! grep -q "LeakSanitizer: detected memory leaks" "$out/leak_canary.log"; then
  echo "FAILED: the leak canary failed for another reason:"; cat "$out/leak_canary.log"
  failed=1
else
  echo "leak reported, as it should be"
fi

if [ "$failed" != 0 ]; then
  echo "C tests FAILED"
  exit 1
fi
echo "C tests passed"
