#!/usr/bin/env bash
# Starts a private Dovecot (IMAP, POP3, LMTP, SASL) + Postfix (submission) on 127.0.0.1
# that accepts OAuth 2.0 bearer JWTs (HS256 from mint-token, RS256 from the test kit).
# Everything lives under $STACK_DIR; nothing under /etc is written. Idempotent: a running
# stack in the same STACK_DIR is stopped first. See README.md for the contract.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STACK_DIR="${STACK_DIR:-/tmp/oauthmail-mailstack}"
IMAPS_PORT="${IMAPS_PORT:-10993}"
IMAP_PORT="${IMAP_PORT:-10143}"
POP3S_PORT="${POP3S_PORT:-10995}"
POP3_PORT="${POP3_PORT:-10110}"
SUBMISSION_PORT="${SUBMISSION_PORT:-10587}"
SMTPS_PORT="${SMTPS_PORT:-10465}"
DOMAIN=example.test
USERS="${USERS:-alice bob carol dave}"
PASSWORD_SUFFIX=-password
VMAIL_UID=5000
JWT_ISSUER=https://issuer.mailstack.test
# Dovecot 2.3.19 checks `aud` against its `client_id` setting. Its `scope =` check would
# need a `scope` claim holding every listed scope (no `aud` fallback in this version), which
# test-kit tokens (`scp`/`roles`) never have, so scopes are not checked.
JWT_AUDIENCE=https://outlook.office365.com
JWT_SCOPE=mail
# Optional RS256 key (JWT_KID, JWT_AZP: see set-jwt-key.sh).
JWT_PUBLIC_KEY="${JWT_PUBLIC_KEY:-}"

die() { echo "start.sh: $*" >&2; exit 1; }

# Unix socket paths must stay below 108 bytes ($STACK_DIR/run/... plus Dovecot's names).
[ "${#STACK_DIR}" -le 66 ] || die "STACK_DIR longer than 66 characters: $STACK_DIR"
STACK_DIR="${STACK_DIR%/}"
# The path goes unquoted into Dovecot and Postfix configs.
[[ "$STACK_DIR" =~ ^/[A-Za-z0-9._/-]+$ ]] || die "STACK_DIR must be an absolute path of [A-Za-z0-9._/-]: $STACK_DIR"
PORTS=("$IMAPS_PORT" "$IMAP_PORT" "$POP3S_PORT" "$POP3_PORT" "$SUBMISSION_PORT" "$SMTPS_PORT")
for p in "${PORTS[@]}"; do
    # Bash /dev/tcp and Postfix both wrap ports above 65535 silently.
    if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then die "invalid port: $p"; fi
done
[ "$(printf '%s\n' "${PORTS[@]}" | sort -u | wc -l)" -eq 6 ] || die "ports must differ: ${PORTS[*]}"
for u in $USERS; do [[ "$u" =~ ^[a-z0-9._-]+$ ]] || die "invalid user name: $u"; done
if [ -n "$JWT_PUBLIC_KEY" ]; then
    grep -q -- '-----BEGIN PUBLIC KEY-----' "$JWT_PUBLIC_KEY" 2>/dev/null \
        || die "JWT_PUBLIC_KEY is not a readable PEM public key: $JWT_PUBLIC_KEY"
fi

"$HERE/install.sh"

# A stack already running here is restarted; stale files from it must not survive.
STACK_DIR="$STACK_DIR" "$HERE/stop.sh"
rm -f "$STACK_DIR/mailstack.env" "$STACK_DIR/mailstack.json"

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${PORTS[@]}"; do
    port_open "$p" && die "port $p on 127.0.0.1 is already in use"
done

D="$STACK_DIR"
# Every parent directory must be searchable by the dovecot, postfix and vmail users.
install -d -m 0755 "$D" "$D/etc" "$D/tls" "$D/log" "$D/state" "$D/jwt"
# Postfix wants everything under its config directory owned by root, so the queue and
# data directories live beside it.
install -d -m 0755 "$D/postfix" "$D/postfix/conf"
# A stale anvil-auth-penalty socket makes the first AUTH hang for 5 s.
rm -rf "$D/run"
install -d -m 0755 "$D/run"
install -d -m 0755 "$D/postfix/queue"
install -d -m 0755 -o postfix -g postfix "$D/postfix/data"
install -d -m 0755 -o "$VMAIL_UID" -g "$VMAIL_UID" "$D/mail"

# --- TLS: a CA and a server certificate for 127.0.0.1 / localhost (kept across restarts)
if [ ! -s "$D/tls/server.pem" ] || [ ! -s "$D/tls/ca.pem" ]; then
    (
        cd "$D/tls"
        umask 077
        openssl req -x509 -new -newkey rsa:2048 -nodes -sha256 -days 3650 \
            -keyout ca.key -out ca.pem -subj "/CN=oauthmail mailstack test CA" \
            -addext "basicConstraints=critical,CA:TRUE" \
            -addext "keyUsage=critical,keyCertSign,cRLSign" \
            -addext "subjectKeyIdentifier=hash" 2>/dev/null
        openssl req -new -newkey rsa:2048 -nodes -sha256 -keyout server.key -out server.csr \
            -subj "/CN=localhost" 2>/dev/null
        printf '%s\n' "basicConstraints=critical,CA:FALSE" \
            "keyUsage=critical,digitalSignature,keyEncipherment" \
            "extendedKeyUsage=serverAuth" "subjectAltName=IP:127.0.0.1,DNS:localhost" \
            "subjectKeyIdentifier=hash" "authorityKeyIdentifier=keyid" > server.ext
        openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
            -days 3650 -sha256 -extfile server.ext -out server.pem 2>/dev/null
        rm -f server.csr server.ext ca.srl
        chmod 0644 ca.pem server.pem
    )
fi

# --- JWT keys in Dovecot's key dict: DIR/<azp>/<ALG>/<kid>. HMAC keys are base64 text.
if [ ! -s "$D/jwt/hs256.key" ]; then
    (umask 077; head -c 32 /dev/urandom | base64 > "$D/jwt/hs256.key")
fi
rm -rf "$D/keys"
install -d -m 0750 -o root -g dovecot "$D/keys" "$D/keys/default" "$D/keys/default/HS256"
install -m 0640 -o root -g dovecot "$D/jwt/hs256.key" "$D/keys/default/HS256/default"
rm -f "$D/jwt/rs256-public.pem" "$D/jwt/rs256-kids" "$D/jwt/rs256-azps"
if [ -n "$JWT_PUBLIC_KEY" ]; then
    STACK_DIR="$D" "$HERE/set-jwt-key.sh"
fi

# --- users: passwd-file for both the PLAIN passdb and the userdb
: > "$D/etc/users"
: > "$D/postfix/conf/vmailbox"
USER_LIST=()
for u in $USERS; do
    addr="$u@$DOMAIN"
    USER_LIST+=("$addr")
    printf '%s:{PLAIN}%s%s:%s:%s::%s/mail/%s::\n' "$addr" "$u" "$PASSWORD_SUFFIX" \
        "$VMAIL_UID" "$VMAIL_UID" "$D" "$addr" >> "$D/etc/users"
    printf '%s %s/\n' "$addr" "$addr" >> "$D/postfix/conf/vmailbox"
    install -d -m 0700 -o "$VMAIL_UID" -g "$VMAIL_UID" "$D/mail/$addr"
done
chmod 0640 "$D/etc/users"
chgrp dovecot "$D/etc/users"

# --- Dovecot
cat > "$D/etc/dovecot-oauth2.conf.ext" <<EOF
introspection_mode = local
local_validation_key_dict = fs:posix:prefix=$D/keys/
username_attribute = preferred_username
client_id = $JWT_AUDIENCE
EOF

cat > "$D/etc/dovecot.conf" <<EOF
instance_name = mailstack
base_dir = $D/run
state_dir = $D/state
log_path = $D/log/dovecot.log
listen = 127.0.0.1
protocols = imap pop3 lmtp
hostname = mail.$DOMAIN
postmaster_address = postmaster@$DOMAIN
recipient_delimiter = +

ssl = required
ssl_cert = <$D/tls/server.pem
ssl_key = <$D/tls/server.key
ssl_dh = </usr/share/dovecot/dh.pem
ssl_min_protocol = TLSv1.2
disable_plaintext_auth = yes

auth_mechanisms = xoauth2 oauthbearer plain login
auth_verbose = yes
# Failed logins answer at once (tests make many on purpose).
auth_failure_delay = 0

first_valid_uid = $VMAIL_UID
mail_location = maildir:~/Maildir
mail_max_userip_connections = 1000
default_process_limit = 256
default_client_limit = 4096

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \\Junk
    auto = subscribe
  }
}

passdb {
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = $D/etc/dovecot-oauth2.conf.ext
}
passdb {
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN username_format=%Lu $D/etc/users
}
userdb {
  driver = passwd-file
  args = username_format=%Lu $D/etc/users
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = $IMAPS_PORT
    ssl = yes
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $POP3_PORT
  }
  inet_listener pop3s {
    address = 127.0.0.1
    port = $POP3S_PORT
    ssl = yes
  }
}
service lmtp {
  unix_listener lmtp {
    mode = 0600
    user = postfix
    group = postfix
  }
}
service auth {
  unix_listener auth-postfix {
    mode = 0660
    user = postfix
    group = postfix
  }
}
# Without this, every failed login slows later logins from 127.0.0.1 (up to 15 s).
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
EOF

# --- Postfix
PF="$D/postfix"
cat > "$PF/conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/queue
data_directory = $PF/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
maillog_file = $D/log/postfix.log
maillog_file_prefixes = $D/log
syslog_name = mailstack

myhostname = mail.$DOMAIN
mydomain = $DOMAIN
myorigin = $DOMAIN
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_banner = \$myhostname ESMTP mailstack
biff = no
append_dot_mydomain = no
recipient_delimiter = +
alias_maps =
alias_database =
local_recipient_maps =

virtual_mailbox_domains = $DOMAIN
virtual_mailbox_maps = texthash:$PF/conf/vmailbox
virtual_transport = lmtp:unix:$D/run/lmtp
local_transport = error:local delivery is disabled
default_transport = error:outbound mail is disabled
relay_transport = error:outbound mail is disabled

smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/run/auth-postfix
smtpd_sasl_auth_enable = yes
smtpd_tls_security_level = encrypt
smtpd_tls_auth_only = yes
smtpd_tls_cert_file = $D/tls/server.pem
smtpd_tls_key_file = $D/tls/server.key
smtpd_relay_restrictions = reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject

message_size_limit = 52428800
mailbox_size_limit = 0
virtual_mailbox_limit = 0
smtpd_error_sleep_time = 0
smtpd_peername_lookup = no
EOF

cat > "$PF/conf/master.cf" <<EOF
127.0.0.1:$SUBMISSION_PORT inet n - n - - smtpd
127.0.0.1:$SMTPS_PORT inet n - n - - smtpd -o smtpd_tls_wrappermode=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
# The postfix command re-reads a config file younger than a few seconds for ~2 s.
touch -d '-10 seconds' "$PF/conf/main.cf" "$PF/conf/master.cf" "$PF/conf/vmailbox"

# --- start both daemons (no inherited stdout/stderr, so callers capturing output don't hang)
PIDS="$D/pids"
: > "$PIDS"
printf 'ports %s\n' "${PORTS[*]}" >> "$PIDS"

# From here on a failure stops whatever did start.
trap 'STACK_DIR="$D" "$HERE/stop.sh"' ERR
wait_for() { # wait_for <what> <test command...>: up to 15 s
    local what="$1"; shift
    for _ in $(seq 300); do "$@" && return 0; sleep 0.05; done
    echo "start.sh: timed out waiting for $what" >&2
    return 1
}
dovecot -c "$D/etc/dovecot.conf" </dev/null >>"$D/log/dovecot.start.log" 2>&1 \
    || { echo "start.sh: dovecot failed: see $D/log/dovecot.start.log and dovecot.log" >&2; false; }
wait_for "Dovecot pid file" test -s "$D/run/master.pid"
printf 'dovecot %s\n' "$(head -n1 "$D/run/master.pid")" >> "$PIDS"
postfix -c "$PF/conf" start </dev/null >>"$D/log/postfix.start.log" 2>&1 \
    || { echo "start.sh: postfix failed: see $D/log/postfix.start.log and postfix.log" >&2; false; }
wait_for "Postfix pid file" test -s "$PF/queue/pid/master.pid"
printf 'postfix %s\n' "$(head -n1 "$PF/queue/pid/master.pid" | tr -d ' ')" >> "$PIDS"
for p in "${PORTS[@]}"; do wait_for "port $p" port_open "$p"; done
wait_for "Dovecot auth socket" test -S "$D/run/auth-postfix"

# --- the contract for tests: an env file and the same facts as JSON
python3 - "$D" "$HERE" "${USER_LIST[@]}" <<EOF
import json, os, sys
d, here, users = sys.argv[1], sys.argv[2], sys.argv[3:]
rs256 = f"{d}/jwt/rs256-public.pem" if os.path.exists(f"{d}/jwt/rs256-public.pem") else ""
def words(name):
    return open(f"{d}/jwt/{name}").read().split() if rs256 else []
env = {
    "MAILSTACK_DIR": d,
    "MAILSTACK_HOST": "127.0.0.1",
    "MAILSTACK_TLS_NAME": "localhost",
    "MAILSTACK_CA_CERT": f"{d}/tls/ca.pem",
    "MAILSTACK_IMAPS_PORT": "$IMAPS_PORT",
    "MAILSTACK_IMAP_PORT": "$IMAP_PORT",
    "MAILSTACK_POP3S_PORT": "$POP3S_PORT",
    "MAILSTACK_POP3_PORT": "$POP3_PORT",
    "MAILSTACK_SUBMISSION_PORT": "$SUBMISSION_PORT",
    "MAILSTACK_SMTPS_PORT": "$SMTPS_PORT",
    "MAILSTACK_DOMAIN": "$DOMAIN",
    "MAILSTACK_USERS": " ".join(users),
    "MAILSTACK_PASSWORD_SUFFIX": "$PASSWORD_SUFFIX",
    "MAILSTACK_JWT_KEY_FILE": f"{d}/jwt/hs256.key",
    "MAILSTACK_JWT_ALG": "HS256",
    "MAILSTACK_JWT_ISSUER": "$JWT_ISSUER",
    "MAILSTACK_JWT_AUDIENCE": "$JWT_AUDIENCE",
    "MAILSTACK_JWT_SCOPE": "$JWT_SCOPE",
    "MAILSTACK_JWT_USER_CLAIM": "preferred_username",
    "MAILSTACK_RS256_PUBLIC_KEY": rs256,
    "MAILSTACK_RS256_KIDS": " ".join(words("rs256-kids")),
    "MAILSTACK_RS256_AZPS": " ".join(words("rs256-azps")),
    "MAILSTACK_VMAIL_UID": "$VMAIL_UID",
    "MAILSTACK_MAIL_DIR": f"{d}/mail",
    "MAILSTACK_MINT_TOKEN": f"{here}/mint-token",
    "MAILSTACK_SEED_MAILBOX": f"{here}/seed-mailbox",
    "MAILSTACK_DOVECOT_LOG": f"{d}/log/dovecot.log",
    "MAILSTACK_POSTFIX_LOG": f"{d}/log/postfix.log",
}
def quote(v):
    # Values hold no quotes, \$ or backslashes; only lists with spaces need quoting.
    return f"'{v}'" if " " in v else v
with open(f"{d}/mailstack.env.tmp", "w") as f:
    f.writelines(f"{k}={quote(v)}\n" for k, v in env.items())
j = {
    "dir": d, "host": env["MAILSTACK_HOST"], "tls_name": env["MAILSTACK_TLS_NAME"],
    "ca_cert": env["MAILSTACK_CA_CERT"],
    "ports": {"imaps": $IMAPS_PORT, "imap": $IMAP_PORT, "pop3s": $POP3S_PORT,
              "pop3": $POP3_PORT, "submission": $SUBMISSION_PORT, "smtps": $SMTPS_PORT},
    "domain": env["MAILSTACK_DOMAIN"],
    "users": [{"address": u, "password": u.split("@")[0] + env["MAILSTACK_PASSWORD_SUFFIX"]}
              for u in users],
    "jwt": {"alg": "HS256", "key_file": env["MAILSTACK_JWT_KEY_FILE"],
            "issuer": env["MAILSTACK_JWT_ISSUER"], "audience": env["MAILSTACK_JWT_AUDIENCE"],
            "scope": env["MAILSTACK_JWT_SCOPE"],
            "user_claim": "preferred_username"},
    "rs256": ({"public_key": rs256, "kids": env["MAILSTACK_RS256_KIDS"].split(),
               "azps": env["MAILSTACK_RS256_AZPS"].split()} if rs256 else None),
    "vmail_uid": $VMAIL_UID, "mail_dir": env["MAILSTACK_MAIL_DIR"],
    "mint_token": env["MAILSTACK_MINT_TOKEN"], "seed_mailbox": env["MAILSTACK_SEED_MAILBOX"],
    "dovecot_log": env["MAILSTACK_DOVECOT_LOG"], "postfix_log": env["MAILSTACK_POSTFIX_LOG"],
}
with open(f"{d}/mailstack.json.tmp", "w") as f:
    json.dump(j, f, indent=2)
    f.write("\n")
os.rename(f"{d}/mailstack.env.tmp", f"{d}/mailstack.env")
os.rename(f"{d}/mailstack.json.tmp", f"{d}/mailstack.json")
EOF
trap - ERR
echo "mailstack up: $D/mailstack.env"
