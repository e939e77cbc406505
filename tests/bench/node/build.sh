#!/usr/bin/env bash
# Makes the Node contenders runnable for one build profile (tests/bench/CONTRACT.md):
# the npm packages of package-lock.json (oauthmail itself is linked from
# bindings-node), and the addon the harness's cargo build made in target/<profile>,
# copied to addon/<profile>/ under a .node name. contenders.json points napi-rs's
# loader there with NAPI_RS_NATIVE_LIBRARY_PATH, so bindings-node's own addon
# (the test suite's debug build with `testing`) is never replaced.
set -euo pipefail
profile=${1:?usage: build.sh debug|release}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$here"

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
fi

lib=$root/target/$profile/liboauthmail_node.so
if [ ! -f "$lib" ]; then
  echo "build.sh: $lib is missing (run: cargo build --workspace$([ "$profile" = release ] && echo ' --release'))" >&2
  exit 1
fi
addon=addon/$profile/oauthmail.node
if ! cmp -s "$lib" "$addon"; then
  mkdir -p "addon/$profile"
  cp "$lib" "$addon.tmp" && mv "$addon.tmp" "$addon"
fi
