#!/bin/sh
# hard_durable_full.sh - a spool that cannot record an outcome sends
# nothing rather than the same thing again (issue 19 item 3). The spool
# is a small tmpfs in a private mount namespace:
#   - full: three passes send nothing, exit 74 (a unit failure), one
#     loud line each; space back -> delivered once;
#   - the accepted recipient of a partly deferred message is never sent
#     again over later passes;
#   - remounted read-only: nothing sent, exit 74;
#   - the disk fills while a transaction is in flight: its outcome is
#     written into the room reserved before it (fallocate), and the next
#     pass does not send to c@ again.
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
# A second server that stalls after the message: the disk fills while
# the transaction is in flight; the outcome goes into the reserved room.
S1_OUT=$SMTPD_OUT; S1_PID=$SMTPD_PID
smtpd_start "$T/s2" --no-starttls --stall dot=3 \
    --rcpt-reply 'b@example.net=451 4.3.0 later' || { echo "FAIL: cannot start smtpd 2"; exit 1; }
S2_OUT=$SMTPD_OUT; S2_PID=$SMTPD_PID; S2_PORT=$SMTPD_PORT
SMTPD_OUT=$S1_OUT; SMTPD_PID=$S1_PID
t_pids="$S1_PID $S2_PID"
CONF2=$T/stall.conf
sed "s/port = [0-9]*/port = $S2_PORT/" "$CONF" > "$CONF2"

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
# The disk fills during the transaction.
mount -o remount,rw "$SPOOL" || exit 95
for id in $(ls "$SPOOL/queue" | grep -v '\.'); do "$MAILSHIM" delete "$id" >/dev/null; done
printf 'Subject: mid\n\nbody\n' | "$SENDMAIL" -i c@example.net b@example.net \
    2>/dev/null || exit 94
"$MAILSHIM" -C "$CONF2" flush 2> "$T/mid.err" & fp=$!
i=0
until grep -qs DATA "$S2_OUT/session.log" || [ $i -ge 100 ]; do sleep 0.1; i=$((i + 1)); done
head -c 1048576 /dev/zero > "$SPOOL/fill" 2>/dev/null
wait $fp; echo "$?" > "$T/mid.rc"
cat "$SPOOL"/queue/*.state > "$T/mid.state" 2>/dev/null
touch -m -d 2000-01-01 "$SPOOL"/queue/*.state
"$MAILSHIM" -C "$CONF2" flush 2>> "$T/mid.err"; echo "$?" >> "$T/mid.rc"
ls "$S2_OUT" | grep -c '^msg-.*\.json$' > "$T/mid.msgs"
exit 0
EOS
mkdir -p "$SPOOL"
export T SPOOL MAILSHIM SENDMAIL SMTPD_OUT S2_OUT CONF2
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
[ "$(cat "$T/mid.msgs")" = 1 ] && t_ok "disk full mid-transaction: c@ got it once" \
    || t_fail "disk full mid-transaction: c@ got $(cat "$T/mid.msgs") copies"
grep -q '^rcpt sent .* c@example.net' "$T/mid.state" \
    && t_ok "the outcome was recorded in the reserved room" \
    || t_fail "no outcome recorded: $(cat "$T/mid.state" "$T/mid.err")"
# The next pass: 74 if no room is left, or 75 if the room freed by the
# recorded outcome is enough for the next (b@ is tried again): c@ never.
[ "$(head -1 "$T/mid.rc")" = 75 ] || t_fail "mid-transaction exit code: $(tr '\n' ' ' < "$T/mid.rc")"
smtpd_stop
SMTPD_PID=$S2_PID; smtpd_stop
t_done
