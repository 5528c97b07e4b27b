#!/bin/sh
# hard_durable_clock.sh - the wall clock jumping does not kill or stall
# mail (issue 19 item 5), under faketime:
#   - 6 days forward: a first temporary failure is deferred, not dead
#     (give_up needs give_up_attempts tries too);
#   - give-up counts the attempt that just failed ("after 2 attempts");
#   - 3 hours back: a deferred message (next try 10-20 min ahead) is due,
#     not 3 hours away (a stored time beyond retry_max is taken as due);
#   - 3 hours back: a relay hold written "in the future" is dropped;
#   - requeue resets the age: a requeued old letter gets new tries.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
faketime -f '+1d' true 2>/dev/null || { echo "FAIL: faketime does not run"; exit 1; }
t_setup
t_init
FWD="faketime -f +6d"
BACK="faketime -f -3h"
down='relay "down" { type = "smtp" host = "127.0.0.1" port = 1 tls = "none" connect_timeout = 2 }'
use_route() { # RELAY [extra]
	T_NO_DEFAULT=1 t_conf "$down
${2:-}
route \"default\" { relays = {\"$1\"} }"
}
qid() { # AREA: queue means queue/ and deferred/ (spool/README)
	{ ls "$SPOOL/$1" | grep -v '\.'; [ "$1" != queue ] || t_deferred; } | head -1; }

# 1. Six days forward: deferred, not dead.
use_route down
printf 'Subject: fwd\n\nbody\n' | sendmail -i a@example.net || t_fail enqueue
$FWD "$MAILSHIM" flush 2> "$T/err"; rc=$?
[ "$rc" = 75 ] && [ "$(t_count "$SPOOL/dead")" = 0 ] \
    && t_ok "6 days forward: deferred, not dead" \
    || t_fail "6 days forward: rc=$rc dead=$(ls "$SPOOL/dead") $(cat "$T/err")"
ID=$(qid queue)
mailshim delete "$ID" >/dev/null 2>&1
rm -f "$SPOOL/run/hold-down"

# 2. The attempt that fails now counts: give up after 2, say 2.
use_route down 'give_up = "1s"
give_up_attempts = 2'
printf 'Subject: count\n\nbody\n' | sendmail -i a@example.net || t_fail enqueue
sleep 2
mailshim flush 2>/dev/null
[ "$(t_count "$SPOOL/dead")" = 0 ] || t_fail "dead after 1 attempt of 2"
rm -f "$SPOOL/run/hold-down"
mailshim retry >/dev/null 2>&1
mailshim flush 2> "$T/err"
ID=$(qid dead)
grep -q "gave up after 2 attempts" "$T/err" && [ -n "$ID" ] \
    && t_ok "gave up after 2 attempts, said 2" \
    || t_fail "give-up count: $(grep 'gave up' "$T/err") dead=$ID"

# 5. requeue resets the age: the letter (arrived > 3 s ago) is tried
#    again and deferred, its age counting from the requeue.
rm -f "$SPOOL/run/hold-down"
use_route down 'give_up = "3s"
give_up_attempts = 1'
sleep 3
mailshim requeue "$ID" >/dev/null || t_fail requeue
mailshim flush >/dev/null 2>&1
{ [ -f "$SPOOL/queue/$ID" ] || t_deferred | grep -qx "$ID"; } && t_ok "requeue resets the age" \
    || t_fail "requeued letter dead at once (age from arrival?)"
mailshim delete "$ID" >/dev/null 2>&1
rm -f "$SPOOL/run/hold-down"

# 3. Three hours back: a deferral 10-20 minutes ahead is due now.
smtpd_start "$T/s" --no-starttls || { echo "FAIL: smtpd"; exit 1; }
t_pids=$SMTPD_PID
ok_relay="relay \"up\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" }"
T_RETRY_FIRST=600 T_RETRY_MAX=1200 use_route down
printf 'Subject: back\n\nbody\n' | sendmail -i b@example.net || t_fail enqueue
mailshim flush >/dev/null 2>&1
[ "$(qid queue)" != "" ] || t_fail "not deferred"
T_RETRY_FIRST=600 T_RETRY_MAX=1200 use_route up "$ok_relay"
$BACK "$MAILSHIM" flush 2>/dev/null; rc=$?
[ "$rc" = 0 ] && smtpd_wait_msgs 1 2 && t_ok "3 hours back: due now, delivered" \
    || t_fail "3 hours back: rc=$rc, server has $(ls "$SMTPD_OUT" | grep -c msg-)"

# 4. Three hours back: a hold written now (until +10 min) is dropped.
printf 'Subject: hold\n\nbody\n' | sendmail -i c@example.net || t_fail enqueue
echo "$(($(date +%s) + 600)) quota" > "$SPOOL/run/hold-up"
mailshim flush >/dev/null 2>&1; rc=$?
[ "$rc" = 75 ] || t_fail "hold not honoured without a clock jump: rc=$rc"
mailshim retry "$(qid queue)" >/dev/null 2>&1
echo "$(($(date +%s) + 600)) quota" > "$SPOOL/run/hold-up"
$BACK "$MAILSHIM" flush 2>/dev/null; rc=$?
[ "$rc" = 0 ] && smtpd_wait_msgs 2 2 && t_ok "3 hours back: a hold from the future is dropped" \
    || t_fail "3 hours back: hold kept, rc=$rc"
smtpd_stop
t_done
