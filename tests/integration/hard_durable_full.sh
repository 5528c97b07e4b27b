#!/bin/sh
# hard_durable_full.sh - a spool that cannot record an outcome sends
# nothing rather than the same thing again (issue 19 item 3). The spool
# is a small tmpfs in a private mount namespace:
#   - full: three passes send nothing, exit 74 (a unit failure), one
#     loud line each; space back -> delivered once;
#   - the accepted recipient of a partly deferred message is never sent
#     again over later passes;
#   - remounted read-only: nothing sent, exit 74.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mounts a tmpfs)"; exit 77; }
command -v unshare >/dev/null && unshare --mount true 2>/dev/null \
    || { echo "SKIP: unshare --mount not permitted"; exit 77; }
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
smtpd_start "$T/s" --no-starttls --rcpt-reply 'b@example.net=451 4.3.0 later' \
    || { echo "FAIL: cannot start smtpd"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 20 }
route \"default\" { relays = {\"corp\"} }"
msgs() { ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$'; }

cat > "$T/ns.sh" <<'EOS'
set -u
mount -t tmpfs -o size=256k tmpfs "$SPOOL" || exit 99
"$MAILSHIM" init >/dev/null 2>&1 || exit 98
printf 'Subject: full\n\nbody\n' | "$SENDMAIL" -i a@example.net b@example.net \
    2>/dev/null || exit 97
head -c 1048576 /dev/zero > "$SPOOL/fill" 2>/dev/null
for i in 1 2 3; do
	"$MAILSHIM" flush 2>> "$T/full.err"; echo "$?" >> "$T/full.rc"
done
ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$' > "$T/full.msgs"
rm -f "$SPOOL/fill"
"$MAILSHIM" flush 2>/dev/null; echo "$?" > "$T/free.rc"
for i in 1 2 3; do
	"$MAILSHIM" retry >/dev/null 2>&1
	"$MAILSHIM" flush 2>/dev/null
done
ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$' > "$T/free.msgs"
"$MAILSHIM" retry >/dev/null 2>&1
mount -o remount,ro "$SPOOL" || exit 96
"$MAILSHIM" flush 2> "$T/ro.err"; echo "$?" > "$T/ro.rc"
ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$' > "$T/ro.msgs"
exit 0
EOS
mkdir -p "$SPOOL"
export T SPOOL MAILSHIM SENDMAIL SMTPD_OUT
unshare --mount --propagation private sh "$T/ns.sh"; rc=$?
[ "$rc" = 0 ] || t_fail "namespace script failed with $rc"

[ "$(cat "$T/full.msgs")" = 0 ] && t_ok "full spool: nothing sent in 3 passes" \
    || t_fail "full spool: the server got $(cat "$T/full.msgs") messages"
[ "$(sort -u "$T/full.rc")" = 74 ] && t_ok "full spool: exit 74" \
    || t_fail "full spool: exit codes $(tr '\n' ' ' < "$T/full.rc")"
grep -q 'cannot record' "$T/full.err" && t_ok "full spool: said loudly" \
    || t_fail "full spool: no line: $(cat "$T/full.err")"
[ "$(cat "$T/free.rc")" = 75 ] || t_fail "after freeing: rc=$(cat "$T/free.rc"), want 75"
[ "$(cat "$T/free.msgs")" = 1 ] && t_ok "a@ got it once over 4 passes" \
    || t_fail "a@ got $(cat "$T/free.msgs") copies"
[ "$(cat "$T/ro.msgs")" = 1 ] && [ "$(cat "$T/ro.rc")" = 74 ] \
    && t_ok "read-only spool: nothing sent, exit 74" \
    || t_fail "read-only: msgs=$(cat "$T/ro.msgs") rc=$(cat "$T/ro.rc") $(cat "$T/ro.err")"
smtpd_stop
t_done
