#!/usr/bin/env bash
# The Rust contenders are workspace binaries: run.sh's `cargo build --workspace`
# in the same profile already built them; this only checks they are there.
set -euo pipefail
profile=${1:?usage: build.sh debug|release}
for bin in oauthmail-rust raw-floor bench-exec; do
  [ -x "target/$profile/$bin" ] || { echo "target/$profile/$bin missing (cargo build --workspace for $profile first)" >&2; exit 1; }
done
