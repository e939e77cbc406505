#!/usr/bin/env bash
# Builds the Java contenders for one profile (tests/bench/CONTRACT.md): the
# binding's jar with that profile's liboauthmail_jni.so bundled (its own Maven
# build, told where the library is; the harness has already run cargo), then
# this project with Angus Mail. Quiet, and quick when nothing changed.
set -euo pipefail
profile=${1:?usage: build.sh debug|release}
root=$(cd "$(dirname "$0")/../../.." && pwd)
here=$root/tests/bench/java
native=$root/target/$profile
jar=$here/target/oauthmail-$profile.jar

if [ ! -f "$native/liboauthmail_jni.so" ]; then
  echo "build.sh: no $native/liboauthmail_jni.so (cargo build --workspace for $profile first)" >&2
  exit 1
fi
# Maven prints even with -q (colour resets); show its output only when it fails.
mvn_quiet() { local out; out=$(mvn -B -q "$@" 2>&1) || { echo "$out" >&2; return 1; }; }
stale() { [ ! -f "$jar" ] || [ -n "$(find "$native/liboauthmail_jni.so" "$root/bindings-java/pom.xml" \
  "$root/bindings-java/src/main" -newer "$jar" -print -quit)" ]; }
if stale; then
  # install: the bench project compiles against dev.oauthmail:oauthmail:0.1.0;
  # it runs with the copy for this profile (contenders.json).
  mvn_quiet -f "$root/bindings-java/pom.xml" -Dcargo.skip=true -Dnative.dir="$native" \
    -Dmaven.test.skip=true install
  mkdir -p "$here/target"
  cp "$root/bindings-java/target/oauthmail-0.1.0.jar" "$jar"
fi
mvn_quiet -f "$here/pom.xml" package
