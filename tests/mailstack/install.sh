#!/usr/bin/env bash
# Installs Dovecot, Postfix and OpenSSL from apt without starting any system service.
# Idempotent: does nothing when every package is already installed.
set -euo pipefail

PACKAGES=(dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd postfix openssl)

missing=()
for p in "${PACKAGES[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$'; then
        missing+=("$p")
    fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "install.sh: must run as root (or with sudo available)" >&2; exit 1; }
    SUDO=(sudo)
fi

# A policy-rc.d that exits 101 keeps the packages' maintainer scripts from starting
# system services bound to 25/110/143/993/995 on all interfaces.
POLICY=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
    "${SUDO[@]}" chmod 755 "$POLICY"
    added_policy=1
fi
cleanup() { if [ "$added_policy" = 1 ]; then "${SUDO[@]}" rm -f "$POLICY"; fi; }
trap cleanup EXIT

# "No configuration": no /etc/postfix/main.cf; our instance uses `postfix -c` anyway.
printf 'postfix postfix/main_mailer_type select No configuration\n' \
    | "${SUDO[@]}" debconf-set-selections

export DEBIAN_FRONTEND=noninteractive
if ! "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1; then
    "${SUDO[@]}" apt-get update -q >/dev/null
    "${SUDO[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
fi
