#!/bin/sh
# A relay hold set by another process while this flusher delivers over
# an open connection (run/hold-RELAY, spool/README "run/") is honoured
# from the next message on, though the flusher no longer reads that file
# for every message (issue 18: it watches run/ instead). The server
# itself writes the hold after storing message 2 and before answering
# it, so the hold exists before the flusher can start message 3: no
# timing involved. Without a hold the same flush sends everything, and
# a hold removed mid-pass is noticed too.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup

start() {	# start DIR [smtpd.py options]: one relay "a" to that server
	smtpd_start "$@" || t_abort "smtpd.py did not start"
	t_pids="$SMTPD_PID"
	T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT
  tls = \"none\" connect_timeout = 3 timeout = 10 }
route \"default\" { relays = {\"a\"} }"
}
msgs() { ls "$1" 2>/dev/null | grep -c '^msg-.*\.json$'; }
enqueue() {
	for i in 1 2 3 4 5; do
		printf 'Subject: m%s\n\nbody %s\n' "$i" "$i" | sendmail -i "r$i@example.net" || t_fail "enqueue $i"
	done
}

# 1. No hold: one pass sends all five over the one connection.
start "$T/s1"
t_init
enqueue
mailshim flush > "$T/log1" 2>&1 || t_fail "flush without a hold: exit $? $(cat "$T/log1")"
[ "$(msgs "$SMTPD_OUT")" = 5 ] && t_ok "no hold: all 5 sent" || t_fail "no hold: server got $(msgs "$SMTPD_OUT")"
smtpd_stop

# 2. The hold appears after message 2: messages 3-5 stay queued, with
#    the hold's reason, and nothing more reaches the server.
until=$(($(date +%s) + 600))
start "$T/s2" --write-after "2:$SPOOL/run/hold-a:$until quota from another flusher"
enqueue
mailshim flush > "$T/log2" 2>&1; rc=$?
[ "$rc" = 75 ] || t_fail "hold mid-pass: exit $rc $(cat "$T/log2")"
[ "$(msgs "$SMTPD_OUT")" = 2 ] && t_ok "hold set mid-pass by another process: seen at the next message" \
    || t_fail "hold mid-pass: server got $(msgs "$SMTPD_OUT") messages, want 2"
mailshim queue > "$T/q2" 2>&1
[ "$(grep -c 'held for' "$T/q2")" = 3 ] && t_ok "the 3 others wait with the hold's reason" \
    || t_fail "queue after the hold: $(cat "$T/q2")"
smtpd_stop

# 3. The hold removed: the next pass (after retry) sends the rest.
rm -f "$SPOOL/run/hold-a"
start "$T/s3"
mailshim retry > /dev/null 2>&1
mailshim flush > "$T/log3" 2>&1 || t_fail "flush after the hold: exit $? $(cat "$T/log3")"
[ "$(msgs "$SMTPD_OUT")" = 3 ] && t_ok "hold gone: the 3 sent" || t_fail "after the hold: server got $(msgs "$SMTPD_OUT")"
smtpd_stop
t_done
