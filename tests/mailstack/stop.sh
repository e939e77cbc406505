#!/usr/bin/env bash
# Stops the Dovecot and Postfix masters that start.sh started in $STACK_DIR (their pids
# are in $STACK_DIR/pids), waits until they are gone and their ports are closed, and
# removes mailstack.env/json. Mail, keys and certificates stay for the next start.
# Never touches any other process. A stack that is not running is not an error.
set -euo pipefail

STACK_DIR="${STACK_DIR:-/tmp/oauthmail-mailstack}"
STACK_DIR="${STACK_DIR%/}"
PIDS="$STACK_DIR/pids"
# The contract files exist only while the stack is up.
rm -f "$STACK_DIR/mailstack.env" "$STACK_DIR/mailstack.json"
[ -f "$PIDS" ] || exit 0

# Only signal a pid that still is the master we started here (pids can be reused).
ours() { # ours <dovecot|postfix> <pid>
    local comm
    comm="$(cat "/proc/$2/comm" 2>/dev/null)" || return 1
    case "$1" in
        dovecot) [ "$comm" = dovecot ] && tr '\0' ' ' < "/proc/$2/cmdline" | grep -qF -- "$STACK_DIR/etc/dovecot.conf" ;;
        postfix) [ "$comm" = master ] && tr '\0' '\n' < "/proc/$2/environ" | grep -qxF -- "MAIL_CONFIG=$STACK_DIR/postfix/conf" ;;
        *) return 1 ;;
    esac
}

ports=()
targets=()
while read -r name value; do
    case "$name" in
        ports) read -r -a ports <<<"$value" ;;
        dovecot|postfix) [[ "$value" =~ ^[0-9]+$ ]] && ours "$name" "$value" && targets+=("$value") ;;
    esac
done < "$PIDS"

# Both masters shut their children down on TERM; signal both at once, then wait.
if [ ${#targets[@]} -gt 0 ]; then kill -TERM "${targets[@]}" 2>/dev/null || true; fi
for pid in "${targets[@]}"; do
    for _ in $(seq 300); do [ -e "/proc/$pid" ] || break; sleep 0.05; done
    [ -e "/proc/$pid" ] && { echo "stop.sh: pid $pid did not exit after 15 s" >&2; exit 1; }
done

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for p in "${ports[@]}"; do
    for _ in $(seq 100); do port_open "$p" || break; sleep 0.05; done
    port_open "$p" && { echo "stop.sh: port $p still open" >&2; exit 1; }
done
rm -f "$PIDS"
