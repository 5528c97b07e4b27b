#!/bin/sh
# mailshim flush --watch: new mail goes out within a second (inotify),
# deferred mail is retried when due without new mail arriving, SIGTERM
# lets the message in flight finish (delivered once, nothing left),
# sendmail -q runs one flush, and a watching flusher keeps no delivered
# (deleted) message open once the pass is over.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
t_init

now_ms() { date +%s%3N; }

# 1. Reaction time.
"$MAILSHIM" flush --watch 2> "$T/watch.log" & W=$!
t_pids="$W"
sleep 0.5
start=$(now_ms)
printf 'Subject: w1\n\nx\n' | sendmail -i a@example.net
t_wait 5 sh -c "[ \$(find '$CAPTURE/new' -type f 2>/dev/null | wc -l) -ge 1 ]" || t_fail "watch did not deliver"
took=$(( $(now_ms) - start ))
[ "$took" -lt 1500 ] && t_ok "delivered ${took} ms after enqueue" || t_fail "took ${took} ms"

# 2. Deferred mail is retried when due (retry_first = 1s in lib.sh).
: > "$T/blocker"
T_NO_DEFAULT=1 t_conf "relay \"later\" { type = \"maildir\" path = \"$T/blocker/box\" }
route \"default\" { relays = {\"later\"} }"
kill -TERM $W; wait $W
"$MAILSHIM" flush --watch 2> "$T/watch2.log" & W=$!
t_pids="$W"
printf 'Subject: w2\n\nx\n' | sendmail -i b@example.net
t_wait 5 grep -q "status=deferred" "$T/watch2.log" || t_fail "not deferred first: $(cat "$T/watch2.log"; ps ax | grep "[f]lush --watch"; mailshim queue)"
rm -f "$T/blocker"
t_wait 10 sh -c "[ -n \"\$(find '$T/blocker/box/new' -type f 2>/dev/null)\" ]" && t_ok "deferred mail retried when due" || t_fail "deferred mail not retried: $(cat "$T/watch2.log")"
kill -TERM $W; wait $W

# 3. SIGTERM while a message is in flight: it is finished, not lost, not
#    sent twice; the flusher exits after the reply. The server stalls 5 s
#    after the final dot (it logs "STALL dot" first and saves the message
#    only after the stall); the signal is sent once that line is there and
#    no message is saved yet, so it provably lands mid-transaction: the
#    whole message sent, the final reply not yet.
smtpd_start "$T/srv" --stall dot=5 || t_fail "smtpd.py did not start"
t_pids="$SMTPD_PID"
T_NO_DEFAULT=1 t_conf "relay \"slow\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"slow\"} }"
printf 'Subject: w3\n\nx\n' | sendmail -i c@example.net
"$MAILSHIM" flush --watch 2> "$T/watch3.log" & W=$!
t_pids="$SMTPD_PID $W"
t_wait 20 grep -q 'STALL dot' "$SMTPD_OUT/session.log" || t_fail "the server never got the message: $(cat "$T/watch3.log")"
kill -TERM $W
if grep -q 'STALL-END dot' "$SMTPD_OUT/session.log" || [ "$(ls "$SMTPD_OUT" | grep -c '^msg-')" != 0 ]; then
	t_fail "SIGTERM was not sent mid-transaction (the reply was already out): the test proves nothing"
else
	t_ok "SIGTERM sent after the final dot, before the server's reply"
fi
start=$(now_ms)
wait $W; rc=$?
took=$(( $(now_ms) - start ))
n=$(ls "$SMTPD_OUT" | grep -c '^msg-')
[ "$n" = 1 ] && grep -q 'STALL-END dot' "$SMTPD_OUT/session.log" && t_ok "in-flight message finished on SIGTERM (exit $rc after ${took} ms)" || t_fail "after SIGTERM the server has $n messages"
[ "$(mailshim queue | grep -c '^[0-9A-F]\{22\} ')" = 0 ] || t_fail "message left queued after SIGTERM: $(cat "$T/watch3.log"; cat "$SMTPD_OUT/session.log")"
mailshim flush 2>/dev/null
[ "$(ls "$SMTPD_OUT" | grep -c '^msg-')" = 1 ] || t_fail "sent twice"

# 4. sendmail -q runs one flush.
printf 'Subject: w4\n\nx\n' | sendmail -i d@example.net
sendmail -q || t_fail "sendmail -q exit $?"
[ "$(ls "$SMTPD_OUT" | grep -c '^msg-')" = 2 ] && t_ok "sendmail -q flushed" || t_fail "sendmail -q did not flush"
smtpd_stop

# 5. Delivered messages are closed on a thread (spool/closer.c), woken per
#    16 of them; the end of each pass waits for all. 20 messages in one
#    pass: once they are delivered, the watching flusher (idle, waiting
#    for new mail) holds no descriptor of a removed message, so their
#    blocks are free.
T_NO_DEFAULT=0 t_conf ""
rm -rf "$CAPTURE"
for i in $(seq 20); do
	printf 'Subject: w5-%s\n\nx\n' "$i" | sendmail -i "e$i@example.net"
done
"$MAILSHIM" flush --watch 2> "$T/watch5.log" & W=$!
t_pids="$W"
t_wait 10 sh -c "[ \$(find '$CAPTURE/new' -type f 2>/dev/null | wc -l) -ge 20 ]" || t_fail "watch did not deliver the 20"
deleted_fds() { ls -l "/proc/$W/fd" 2>/dev/null | grep -c '(deleted)'; }
t_wait 5 sh -c "[ \$(ls -l /proc/$W/fd 2>/dev/null | grep -c '(deleted)') = 0 ]" &&
    t_ok "after the pass the flusher holds no removed message" ||
    t_fail "the idle flusher still holds $(deleted_fds) removed messages: $(ls -l /proc/$W/fd)"
kill -TERM "$W"; wait "$W"
t_done
