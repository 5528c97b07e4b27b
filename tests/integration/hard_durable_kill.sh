#!/bin/sh
# hard_durable_kill.sh - "sent" is recorded after each transaction, not
# when the whole message is done (issue 19 item 2):
#   - kill -9 between two SMTP batches (max_recipients = 1): the
#     recipient of batch 1 is not sent again;
#   - kill -9 while relay 2 of the route is in its transaction: the
#     recipient relay 1 accepted is not sent again;
#   - SIGTERM during a rate-limit wait: the flusher exits at once and
#     sends nothing (the signal is not held back through the wait);
#   - kill -9 in the transaction of a fresh message (its first state
#     comes from the flusher's pre-state slot): the next pass finds
#     queue/ID.state with the backoff as its mtime, one state only, and
#     does not send the message again before then.
# Servers stall before MAIL so that each kill lands inside a window.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
t_init
count_rcpt() { # DIR ADDR: how many accepted messages list ADDR
	cat "$1"/msg-*.json 2>/dev/null | grep -o "\"$2\"" | wc -l
}
nmsgs() { ls "$1" | grep -c '^msg-.*\.json$'; }
has_msgs() { [ "$(nmsgs "$1")" -ge "$2" ]; }

# 1. Between batches.
smtpd_start "$T/a" --no-starttls --stall mail=3 || { echo "FAIL: smtpd"; exit 1; }
A_OUT=$SMTPD_OUT; A_PID=$SMTPD_PID; t_pids="$A_PID"
T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" max_recipients = 1 timeout = 30 }
route \"default\" { relays = {\"a\"} }"
printf 'Subject: batches\n\nbody\n' | sendmail -i r1@example.net r2@example.net r3@example.net \
    || t_fail "enqueue 1"
"$MAILSHIM" flush 2>"$T/k1.err" & fp=$!
t_wait 30 has_msgs "$A_OUT" 1 || t_fail "batch 1 never arrived"
kill -9 $fp; wait $fp 2>/dev/null
n_at_kill=$(nmsgs "$A_OUT")
mailshim retry >/dev/null 2>&1
mailshim flush 2>/dev/null; rc=$?
[ "$rc" = 0 ] || t_fail "flush after the kill: rc=$rc"
[ "$n_at_kill" -lt 3 ] || echo "note: the kill came after the last batch"
[ "$(count_rcpt "$A_OUT" r1@example.net)" = 1 ] && t_ok "batch 1 not sent again after kill -9" \
    || t_fail "r1 got $(count_rcpt "$A_OUT" r1@example.net) copies"
[ "$(count_rcpt "$A_OUT" r2@example.net)" = 1 ] && [ "$(count_rcpt "$A_OUT" r3@example.net)" = 1 ] \
    || t_fail "r2/r3: $(count_rcpt "$A_OUT" r2@example.net)/$(count_rcpt "$A_OUT" r3@example.net)"
SMTPD_PID=$A_PID; smtpd_stop

# 2. Between relays: relay one takes r1 and defers r2, relay two stalls.
smtpd_start "$T/b1" --no-starttls --rcpt-reply 'r2@example.net=451 4.3.0 later' \
    || { echo "FAIL: smtpd b1"; exit 1; }
B1_OUT=$SMTPD_OUT; B1_PID=$SMTPD_PID; B1_PORT=$SMTPD_PORT
smtpd_start "$T/b2" --no-starttls --stall mail=4 || { echo "FAIL: smtpd b2"; exit 1; }
B2_OUT=$SMTPD_OUT; B2_PID=$SMTPD_PID; B2_PORT=$SMTPD_PORT
t_pids="$B1_PID $B2_PID"
T_NO_DEFAULT=1 t_conf "relay \"one\" { type = \"smtp\" host = \"127.0.0.1\" port = $B1_PORT tls = \"none\" timeout = 30 }
relay \"two\" { type = \"smtp\" host = \"127.0.0.1\" port = $B2_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"one\", \"two\"} }"
printf 'Subject: relays\n\nbody\n' | sendmail -i r1@example.net r2@example.net \
    || t_fail "enqueue 2"
"$MAILSHIM" flush 2>"$T/k2.err" & fp=$!
t_wait 30 grep -qs 'MAIL' "$B2_OUT/session.log" || t_fail "relay two never reached"
kill -9 $fp; wait $fp 2>/dev/null
[ "$(nmsgs "$B2_OUT")" = 0 ] || echo "note: relay two finished before the kill"
mailshim retry >/dev/null 2>&1
mailshim flush 2>/dev/null; rc=$?
[ "$rc" = 0 ] || t_fail "flush after the kill: rc=$rc"
[ "$(count_rcpt "$B1_OUT" r1@example.net)" = 1 ] && t_ok "relay one's recipient not sent again" \
    || t_fail "r1 got $(count_rcpt "$B1_OUT" r1@example.net) copies from relay one"
[ "$(count_rcpt "$B2_OUT" r1@example.net)" = 0 ] || t_fail "r1 sent through relay two"
[ "$(count_rcpt "$B2_OUT" r2@example.net)" = 1 ] || t_fail "r2 not delivered by relay two"
SMTPD_PID=$B2_PID; smtpd_stop; SMTPD_PID=$B1_PID; smtpd_stop

# 3. SIGTERM during a rate-limit wait (2 recipients at 0.05/s: ~20 s).
smtpd_start "$T/c" --no-starttls || { echo "FAIL: smtpd c"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"slow\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" rate = \"0.05\" }
route \"default\" { relays = {\"slow\"} }"
printf 'Subject: rate\n\nbody\n' | sendmail -i r1@example.net r2@example.net || t_fail "enqueue 3"
"$MAILSHIM" flush 2>"$T/k3.err" & fp=$!
sleep 2
start=$(date +%s)
kill -TERM $fp
t_wait 8 sh -c "! kill -0 $fp 2>/dev/null" && t_ok "SIGTERM ends a rate-limit wait" \
    || t_fail "flusher still running $(($(date +%s) - start)) s after SIGTERM"
kill -9 $fp 2>/dev/null; wait $fp 2>/dev/null
[ "$(nmsgs "$SMTPD_OUT")" = 0 ] && t_ok "nothing sent after SIGTERM" \
    || t_fail "sent after SIGTERM: $(nmsgs "$SMTPD_OUT")"
[ -n "$(ls "$SPOOL/queue" | grep -v '\.')" ] || t_fail "message lost after SIGTERM"
smtpd_stop

# 4. kill -9 in a fresh message's transaction (the server stalls before
#    answering the final dot). The message of 3 goes first.
for id in $(ls "$SPOOL/queue" | grep -v '\.'); do mailshim delete "$id" >/dev/null 2>&1; done
[ -z "$(ls "$SPOOL/queue" | grep -v '^\.')" ] || t_fail "queue not empty before 4: $(ls -A "$SPOOL/queue")"
#    Before it, in the same pass, a message with three long recipients
#    is delivered: its longer state was in the same slot, and nothing of
#    it may remain in the killed message's state.
smtpd_start "$T/d" --no-starttls --stall dot=20 --stall-from 2 || { echo "FAIL: smtpd d"; exit 1; }
D_PID=$SMTPD_PID; t_pids=$D_PID
T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf "relay \"d\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 60 }
route \"default\" { relays = {\"d\"} }"
printf 'Subject: first\n\nbody\n' | sendmail -i long-recipient-one@example.net \
    long-recipient-two@example.net long-recipient-three@example.net || t_fail "enqueue 4a"
FIRST=$(ls "$SPOOL/new")
sleep 1	# a later queue id: delivered second
printf 'Subject: fresh\n\nbody\n' | sendmail -i f@example.net || t_fail "enqueue 4"
ID=$(ls "$SPOOL/new" | grep -v "$FIRST")
"$MAILSHIM" flush 2>"$T/k4.err" & fp=$!
t_wait 30 grep -qs 'STALL dot' "$SMTPD_OUT/session.log" || t_fail "the transaction never reached the dot"
kill -9 $fp; wait $fp 2>/dev/null
SMTPD_PID=$D_PID; smtpd_stop
now=$(date +%s)
mt=$(stat -c %Y "$SPOOL/queue/$ID.state" 2>/dev/null || echo 0)
[ "$mt" -gt $((now + 60)) ] && t_ok "kill -9 mid-transaction: queue/$ID.state holds the backoff" \
    || t_fail "after kill -9: state mtime $mt, now $now ($(ls -A "$SPOOL/queue"))"
n=$(find "$SPOOL" -name "$ID.state*" | wc -l)
[ "$n" = 1 ] || t_fail "$n state files for $ID: $(find "$SPOOL" -name "$ID.state*")"
[ "$(nmsgs "$SMTPD_OUT")" -ge 1 ] || t_fail "the first message was not delivered"
grep -q 'long-recipient' "$SPOOL/queue/$ID.state" \
    && t_fail "the killed message's state holds the first one's recipients: $(cat "$SPOOL/queue/$ID.state")" \
    || t_ok "the killed message's state holds nothing of the previous one"
smtpd_start "$T/d2" --no-starttls || { echo "FAIL: smtpd d2"; exit 1; }
t_pids=$SMTPD_PID
T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf "relay \"d\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" }
route \"default\" { relays = {\"d\"} }"
mailshim flush 2>"$T/k4b.err"
[ "$(nmsgs "$SMTPD_OUT")" = 0 ] && t_ok "the next pass waits for the backoff: no resend" \
    || t_fail "resent at once after kill -9: $(nmsgs "$SMTPD_OUT")"
mailshim queue 2>&1 | grep -q "$ID" || t_fail "message $ID lost: $(mailshim queue 2>&1)"
n=$(find "$SPOOL" -name "$ID.state*" | wc -l)
[ "$n" = 1 ] && t_ok "one state for $ID after the next pass" || t_fail "$n state files for $ID"
smtpd_stop
t_done
