#!/usr/bin/env bash
# Installs an RS256 public key (e.g. the test kit's) in the stack's Dovecot key dict,
# replacing any earlier one. Dovecot looks a key up as <azp or "default">/RS256/<kid or
# "default"> with no fallback, so the key goes under every azp in "default $JWT_AZP" and
# every kid in "default $JWT_KID <test kit kid>", where the test kit kid is derived from
# the key as the test kit does it: base64url(first 16 bytes of SHA-256(PKCS#1 DER)).
# On a running stack Dovecot is reloaded, because its auth process caches keys.
# start.sh calls this when JWT_PUBLIC_KEY is set; call it directly to rotate keys.
set -euo pipefail

STACK_DIR="${STACK_DIR:-/tmp/oauthmail-mailstack}"
STACK_DIR="${STACK_DIR%/}"
JWT_PUBLIC_KEY="${JWT_PUBLIC_KEY:-}"
JWT_KID="${JWT_KID:-testkit-1}"
JWT_AZP="${JWT_AZP:-22222222-2222-2222-2222-222222222222 33333333-3333-3333-3333-333333333333 44444444-4444-4444-4444-444444444444 55555555-5555-5555-5555-555555555555}"
D="$STACK_DIR"

die() { echo "set-jwt-key.sh: $*" >&2; exit 1; }
[ -d "$D/keys/default" ] || die "no key dict in $D/keys: run start.sh first"
grep -q -- '-----BEGIN PUBLIC KEY-----' "$JWT_PUBLIC_KEY" 2>/dev/null \
    || die "JWT_PUBLIC_KEY is not a readable PEM public key: '$JWT_PUBLIC_KEY'"
derived_kid="$(openssl rsa -pubin -in "$JWT_PUBLIC_KEY" -RSAPublicKey_out -outform DER 2>/dev/null \
    | openssl dgst -sha256 -binary | head -c 16 | base64 | tr '+/' '-_' | tr -d '=')" \
    || die "JWT_PUBLIC_KEY is not an RSA public key: $JWT_PUBLIC_KEY"
read -r -a extra_kids <<<"$JWT_KID"
read -r -a extra_azps <<<"$JWT_AZP"
KIDS="$(printf '%s\n' default "${extra_kids[@]}" "$derived_kid" | awk '!seen[$0]++' | tr '\n' ' ')"
AZPS="$(printf '%s\n' default "${extra_azps[@]}" | awk '!seen[$0]++' | tr '\n' ' ')"
for k in $KIDS $AZPS; do [[ "$k" =~ ^[A-Za-z0-9._-]+$ ]] || die "invalid kid/azp: $k"; done

install -m 0644 "$JWT_PUBLIC_KEY" "$D/jwt/rs256-public.pem.new"
mv -f "$D/jwt/rs256-public.pem.new" "$D/jwt/rs256-public.pem"
rm -rf "$D"/keys/*/RS256
for azp in $AZPS; do
    install -d -m 0750 -o root -g dovecot "$D/keys/$azp" "$D/keys/$azp/RS256"
    for kid in $KIDS; do
        install -m 0640 -o root -g dovecot "$D/jwt/rs256-public.pem" "$D/keys/$azp/RS256/$kid"
    done
done
echo "$KIDS" > "$D/jwt/rs256-kids"
echo "$AZPS" > "$D/jwt/rs256-azps"

# Running stack: reload (restarts the auth process, emptying its key cache) and update
# the RS256 entries of mailstack.env / mailstack.json.
pid=""
[ -f "$D/pids" ] && pid="$(awk '$1 == "dovecot" {print $2}' "$D/pids")"
if [ -n "$pid" ] && [ -e "/proc/$pid" ] && [ -f "$D/mailstack.env" ]; then
    doveadm -c "$D/etc/dovecot.conf" reload
    python3 - "$D" "$KIDS" "$AZPS" <<'EOF'
import json, os, sys
d, kids, azps = sys.argv[1], sys.argv[2].split(), sys.argv[3].split()
key = os.path.join(d, "jwt", "rs256-public.pem")
values = {"MAILSTACK_RS256_PUBLIC_KEY": key, "MAILSTACK_RS256_KIDS": " ".join(kids),
          "MAILSTACK_RS256_AZPS": " ".join(azps)}
env_path, json_path = os.path.join(d, "mailstack.env"), os.path.join(d, "mailstack.json")
with open(env_path, encoding="utf-8") as f:
    lines = [line for line in f if line.split("=", 1)[0] not in values]
lines += [f"{k}='{v}'\n" if " " in v else f"{k}={v}\n" for k, v in values.items()]
with open(json_path, encoding="utf-8") as f:
    contract = json.load(f)
contract["rs256"] = {"public_key": key, "kids": kids, "azps": azps}
with open(env_path + ".tmp", "w", encoding="utf-8") as f:
    f.writelines(lines)
with open(json_path + ".tmp", "w", encoding="utf-8") as f:
    json.dump(contract, f, indent=2)
    f.write("\n")
os.rename(env_path + ".tmp", env_path)
os.rename(json_path + ".tmp", json_path)
EOF
fi
