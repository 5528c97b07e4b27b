#!/bin/sh
# hard_durable_order.sh - the flusher's renames and unlinks that record an
# outcome are followed by an fsync of their directory before the next
# step depends on them (issue 19 item 4), seen with strace -f -y:
#   pickup   new/ID -> queue/ID, fsync queue/ before the first connect
#   prepare  queue/ID.state written before the first connect
#   defer    queue/ID.state renamed, then fsync queue/
#   finish   unlink queue/ID, then queue/ID.state; fsync queue/ once at
#            the end of the pass (or after 64 removals; spool/README);
#            a fresh message's state, written from the flusher's
#            pre-state slot, is renamed back into the slot, not removed
#            (no inode created or freed per delivered message)
#   bury     queue/ID.state (final), fsync queue/, dead/ID.state, rename
#            queue/ID -> dead/ID, fsync dead/ and queue/, unlink old state
#   requeue  queue/ID.state, rename dead/ID -> queue/ID, fsync both, unlink
#   delete   unlink queue/ID, fsync queue/, unlink queue/ID.state
#   file     (deferred, spool/README "The schedule") queue/ID.state
#            written, then queue/ID -> deferred/B/ID, then the state,
#            fsync B/ and queue/
#   return   (B due) deferred/B/ID.state -> queue/, then the message,
#            fsync queue/ and B/ before the first connect
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
command -v strace >/dev/null || { echo "FAIL: strace missing (contrib/deps.sh)"; exit 1; }
strace -o /dev/null true 2>/dev/null || { echo "SKIP: ptrace not permitted here"; exit 77; }
t_setup
t_init
ORDER="$PYTHON3 $top_srcdir/tests/integration/hard_order_check.py"
TRACE="strace -f -y -qq -e trace=renameat,renameat2,unlinkat,fsync,fdatasync,connect"
smtpd_start "$T/s" --no-starttls --rcpt-reply 'b@example.net=451 4.3.0 later' \
    --rcpt-reply 'd@example.net=550 5.1.1 no such user' || { echo "FAIL: smtpd"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" }
route \"default\" { relays = {\"corp\"} }"
check() { # what LOG STEPS...
	what=$1; log=$2; shift 2
	if $ORDER "$log" "$@" > "$T/order.out"; then t_ok "$what"
	else t_fail "$what: $(cat "$T/order.out")"; fi
}

printf 'Subject: order\n\nbody\n' | sendmail -i a@example.net b@example.net || t_fail enqueue
ID=$(ls "$SPOOL/new")
$TRACE -o "$T/t1" "$MAILSHIM" flush 2>/dev/null
check "pickup, prepare, defer" "$T/t1" "rename:queue:$ID" fsync:queue \
    "rename:queue:$ID.state" connect:- "rename:queue:$ID.state" fsync:queue

# b accepted now: finish.
smtpd_stop
smtpd_start "$T/s2" --no-starttls --rcpt-reply 'd@example.net=550 5.1.1 no such user' \
    || { echo "FAIL: smtpd 2"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" }
route \"default\" { relays = {\"corp\"} }"
mailshim retry >/dev/null
$TRACE -o "$T/t2" "$MAILSHIM" flush 2>/dev/null || t_fail "second flush"
check "finish" "$T/t2" connect:- "unlink:queue:$ID" "unlink:queue:$ID.state" fsync:queue

# d refused for good: bury.
printf 'Subject: dead\n\nbody\n' | sendmail -i d@example.net || t_fail enqueue
ID=$(ls "$SPOOL/new")
$TRACE -o "$T/t3" "$MAILSHIM" flush 2>/dev/null
[ -f "$SPOOL/dead/$ID" ] || t_fail "not buried"
check "bury" "$T/t3" connect:- "rename:queue:$ID.state" fsync:queue \
    "rename:dead:$ID.state" "rename:dead:$ID" fsync:dead fsync:queue \
    "unlink:queue:$ID.state"

$TRACE -o "$T/t4" "$MAILSHIM" requeue "$ID" >/dev/null 2>&1 || t_fail requeue
check "requeue" "$T/t4" "rename:queue:$ID.state" "rename:queue:$ID" fsync:queue \
    fsync:dead "unlink:dead:$ID.state"

$TRACE -o "$T/t5" "$MAILSHIM" delete "$ID" >/dev/null 2>&1 || t_fail delete
check "delete" "$T/t5" "unlink:queue:$ID" fsync:queue "unlink:queue:$ID.state"

# A fresh message delivered at once: its first state is in queue/ before
# the connect, as always; after the message's removal the state becomes
# the pre-state slot again (renamed, never unlinked), synced with queue/.
printf 'Subject: fresh\n\nbody\n' | sendmail -i a@example.net || t_fail enqueue
ID=$(ls "$SPOOL/new")
$TRACE -o "$T/t8" "$MAILSHIM" flush 2>/dev/null || t_fail "fresh flush"
check "fresh finish: state written, message removed, state back to the slot" \
    "$T/t8" "rename:queue:$ID" fsync:queue "rename:queue:$ID.state" connect:- \
    "unlink:queue:$ID" "renamefrom:queue:$ID.state" fsync:queue
grep -q "unlinkat(.*\"$ID.state\"" "$T/t8" && t_fail "fresh finish unlinked $ID.state"
[ -z "$(ls -A "$SPOOL/queue")" ] && t_ok "fresh finish leaves queue/ empty (slots removed at the pass end)" \
    || t_fail "left in queue/: $(ls -A "$SPOOL/queue")"
smtpd_stop

# The schedule: filing a deferral, returning it when due.
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
smtpd_start "$T/s3" --no-starttls --rcpt-reply 'b@example.net=451 4.3.0 later' \
    || { echo "FAIL: smtpd 3"; exit 1; }
t_pids=$SMTPD_PID
T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" }
route \"default\" { relays = {\"corp\"} }"
printf 'Subject: file\n\nbody\n' | sendmail -i b@example.net || t_fail enqueue
ID=$(ls "$SPOOL/new")
$TRACE -o "$T/t6" "$MAILSHIM" flush 2>/dev/null
check "file: message, then state, then both directories" "$T/t6" connect:- \
    "rename:queue:$ID.state" fsync:queue "renamefrom:queue:$ID" \
    "rename:bucket:$ID" "renamefrom:queue:$ID.state" "rename:bucket:$ID.state" \
    fsync:bucket fsync:queue
faketime -f +30m $TRACE -o "$T/t7" "$MAILSHIM" flush 2>/dev/null
check "return: state, then message, both directories before delivery" "$T/t7" \
    "renamefrom:bucket:$ID.state" "rename:queue:$ID.state" \
    "renamefrom:bucket:$ID" "rename:queue:$ID" fsync:queue fsync:bucket connect:-
smtpd_stop
t_done
