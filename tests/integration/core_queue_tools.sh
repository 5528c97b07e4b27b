#!/bin/sh
# Queue tools on a spool with several messages: queue (and mailq,
# sendmail -bp), --json, show, delete, retry, dead, requeue; unknown ids
# refused with a clear error.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
# A relay that cannot deliver (its Maildir path is under a file): mail
# is deferred; later a give-up age of 1 s (read at flush time) makes it
# dead at its second attempt (give_up_attempts).
: > "$T/notadir"
broken() {	# retries an hour apart: nothing is due unless made so
	T_RETRY_FIRST=1h T_RETRY_MAX=2h T_NO_DEFAULT=1 t_conf "give_up = \"$1\"
give_up_attempts = 2
relay \"broken\" { type = \"maildir\" path = \"$T/notadir/box\" }
route \"default\" { relays = {\"broken\"} }"
}
broken 1h
t_init

for i in 1 2 3; do
	printf 'Subject: m%s\n\nbody %s\n' "$i" "$i" | sendmail -i -f "s$i@example.com" "r$i@example.net" || t_fail "enqueue $i"
done
mailshim queue > "$T/q" || t_fail "queue exit $?"
[ "$(grep -c '^[0-9A-F]\{22\} ' "$T/q")" = 3 ] && t_ok "queue lists 3" || t_fail "queue listing: $(cat "$T/q")"
grep -q '<s2@example.com>' "$T/q" || t_fail "sender missing from listing"
grep -q 'r3@example.net' "$T/q" || t_fail "recipient missing from listing"
grep -q 'in 3 Requests' "$T/q" || t_fail "summary line"

# mailq personalities exec mailshim queue.
sendmail -bp > "$T/q2" 2>&1 || t_fail "sendmail -bp exit $?"
grep -q 'in 3 Requests' "$T/q2" && t_ok "sendmail -bp" || t_fail "sendmail -bp output: $(cat "$T/q2")"
ln -sf "$SENDMAIL" "$T/mailq"
"$T/mailq" > "$T/q3" 2>&1 || t_fail "mailq exit $?"
grep -q 'in 3 Requests' "$T/q3" || t_fail "mailq output: $(cat "$T/q3")"
# The name the alternatives system gives it on RPM systems.
ln -sf "$SENDMAIL" "$T/mailq.mailshim"
"$T/mailq.mailshim" > "$T/q4" 2>&1 || t_fail "mailq.mailshim exit $?"
grep -q 'in 3 Requests' "$T/q4" || t_fail "mailq.mailshim output: $(cat "$T/q4")"

mailshim queue --json > "$T/j" || t_fail "queue --json"
"$PYTHON3" - "$T/j" <<'PY' || t_fail "json listing"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3, rows
assert {r["sender"] for r in rows} == {"s1@example.com", "s2@example.com", "s3@example.com"}
assert all(r["queue_name"] == "queue" and r["message_size"] > 0 for r in rows)
PY

id1=$(sed -n 's/^\([0-9A-F]\{22\}\) .*<s1@example.com>.*/\1/p' "$T/q")
mailshim show "$id1" > "$T/show" || t_fail "show exit $?"
grep -q '^sender: <s1@example.com>' "$T/show" && grep -q '^body 1$' "$T/show" && t_ok "show" || t_fail "show output"

mailshim show 00000000000000DEADBEEF > "$T/err" 2>&1; rc=$?
[ "$rc" = 64 ] && grep -q 'no message 00000000000000DEADBEEF' "$T/err" && t_ok "unknown id refused" || t_fail "unknown id: rc=$rc $(cat "$T/err")"
mailshim show '../../etc/passwd' > "$T/err" 2>&1; rc=$?
[ "$rc" = 64 ] && grep -q 'is not a queue id' "$T/err" || t_fail "path as id: rc=$rc"

mailshim delete "$id1" > /dev/null || t_fail "delete exit $?"
[ "$(mailshim queue | grep -c '^[0-9A-F]\{22\} ')" = 2 ] || t_fail "delete did not remove"
mailshim delete "$id1" > /dev/null 2>&1 && t_fail "second delete succeeded"

# First flush: the relay fails -> deferred (exit 75), reason recorded.
mailshim flush 2> "$T/log"; rc=$?
[ "$rc" = 75 ] && t_ok "flush defers with 75" || t_fail "flush exit $rc"
grep -q 'status=deferred' "$T/log" || t_fail "no deferred log line"
mailshim queue | grep -q 'cannot create' || t_fail "reason not in listing"
# Not due yet: a second flush does nothing (and exits 0).
mailshim flush 2>/dev/null; rc=$?
[ "$rc" = 0 ] || t_fail "flush with nothing due exit $rc"
broken 1; sleep 1.1
mailshim retry > /dev/null || t_fail "retry"
mailshim flush 2> "$T/log"
[ "$(mailshim queue | grep -c '^[0-9A-F]\{22\} ')" = 0 ] || t_fail "expired mail still queued"
mailshim dead > "$T/d" || t_fail "dead exit"
[ "$(grep -c '^[0-9A-F]\{22\} ' "$T/d")" = 2 ] && t_ok "expired -> dead" || t_fail "dead listing: $(cat "$T/d")"
grep -q 'gave up after' "$T/d" || t_fail "dead reason missing"

# Requeue after fixing the relay: delivered.
id2=$(sed -n 's/^\([0-9A-F]\{22\}\) .*<s2@example.com>.*/\1/p' "$T/d")
t_conf ""
mailshim requeue "$id2" > /dev/null || t_fail "requeue exit $?"
mailshim flush 2>/dev/null || t_fail "flush after requeue"
[ "$(t_count "$CAPTURE/new")" = 1 ] && t_ok "requeued message delivered" || t_fail "requeued message not delivered"
[ "$(mailshim dead | grep -c '^[0-9A-F]\{22\} ')" = 1 ] || t_fail "dead count after requeue"
mailshim requeue 00000000000000DEADBEEF > /dev/null 2>&1 && t_fail "requeue of unknown id succeeded"
t_done
