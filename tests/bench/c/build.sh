#!/usr/bin/env bash
# Builds the oauthmail-c contender: bench.c against include/oauthmail.h, linked to
# target/<profile>/liboauthmail.so (built by the harness's cargo build) and to cJSON
# (Debian's libcjson-dev, for reading config.json). Usage: build.sh debug|release
set -euo pipefail
profile=${1:?usage: build.sh debug|release}
root=$(cd "$(dirname "$0")/../../.." && pwd)
lib=$root/target/$profile
out=$lib/bench
[ -f /usr/include/cjson/cJSON.h ] || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libcjson-dev >/dev/null
mkdir -p "$out"
gcc -std=c99 -O2 -Wall -Wextra -pedantic -Werror -I"$root/include" "$root/tests/bench/c/bench.c" \
  -o "$out/oauthmail-c" -L"$lib" -Wl,-rpath,"$lib" -loauthmail -lcjson
