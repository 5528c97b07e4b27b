#!/bin/sh
# hard_durable_batch.sh - the flusher's fsyncs on the success path are
# batched (issue 18, target 3), and a spool that cannot record an outcome
# still sends nothing more (issue 19 item 3). Counted with strace, never
# timed:
#   - a flush of 30 fresh messages, all accepted: at most 3 fsyncs (new/
#     and queue/ after the pickup, queue/ at the end of the pass), not
#     two per message as before; one file created per message (its
#     pre-transaction state) plus one reserve for the pass, not two per
#     message; nothing left in queue/;
#   - EIO from the batched fsync of queue/ (after SPOOL_SYNC_EVERY = 64
#     removals): exit 74, a LOG_CRIT line, exactly the 64 messages sent,
#     nothing more; the next flush sends the other 36, nobody twice;
#   - ENOSPC writing the pre-transaction state, or reserving the room for
#     the outcome (fallocate), of a fresh message: exit 74, nothing sent;
#   - a queue/.reserve-N slot nobody holds (a killed flusher's) is gone
#     after the next pass.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
command -v strace >/dev/null || { echo "FAIL: strace missing (contrib/deps.sh)"; exit 1; }
strace -o /dev/null true 2>/dev/null || { echo "SKIP: ptrace not permitted here"; exit 77; }
strace -o /dev/null -e inject=getpid:error=EIO true 2>/dev/null \
    || { echo "FAIL: this strace cannot inject faults"; exit 1; }
t_setup
t_init
smtpd_start "$T/s" --no-starttls --rcpt-reply 'later@example.net=451 4.3.0 later' \
    || { echo "FAIL: cannot start smtpd"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"corp\"} }"
nmsgs() { ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$'; }
queued() { ls "$SPOOL/queue" "$SPOOL/new" | grep -c '^[0-9A-F]\+$'; }
enqueue() { # N TAG
	i=0
	while [ $i -lt "$1" ]; do
		printf 'Subject: %s %s\n\nbody\n' "$2" $i |
		    sendmail -i "r$i@example.net" || t_fail "enqueue $2 $i"
		i=$((i + 1))
	done
}
SYNCS="fsync,fdatasync,syncfs,sync,sync_file_range"

# 1. No fsync per message on the success path.
enqueue 30 count
strace -f -y -qq -e trace=$SYNCS,openat -o "$T/count.trace" "$MAILSHIM" flush 2>"$T/count.err"
rc=$?
n=$(grep -c '^[0-9]* *[a-z_]*sync' "$T/count.trace")
created=$(grep -c 'openat([0-9]*</[^>]*/queue>.*O_CREAT' "$T/count.trace")
[ "$rc" = 0 ] && [ "$(nmsgs)" = 30 ] && [ "$(queued)" = 0 ] \
    || t_fail "30 messages: rc=$rc, server got $(nmsgs), $(queued) left: $(tail -2 "$T/count.err")"
[ "$n" -le 3 ] && t_ok "30 fresh messages delivered with $n fsyncs" \
    || t_fail "30 fresh messages took $n fsyncs (want <= 3): $(sort "$T/count.trace" | uniq -c | head -5)"
# The room kept for outcomes is one file per flusher, not one per
# message: a pre-state per message plus one reserve (was 2 per message).
[ "$created" -le 31 ] && t_ok "30 fresh messages: $created files created" \
    || t_fail "30 fresh messages: $created files created (want <= 31)"
[ -z "$(ls -A "$SPOOL/queue")" ] && t_ok "queue/ empty after the pass (reserve removed)" \
    || t_fail "left in queue/: $(ls -A "$SPOOL/queue" | head -3)"
rm -f "$SMTPD_OUT"/msg-*.json

# 2. EIO from the batched fsync: the 64th removal's. The fsyncs of a
# pass of fresh messages are: queue/ and new/ after the pickup, then
# queue/ after 64 removals (the third), then at the end.
enqueue 100 eio
strace -f -qq -e trace=fsync -e inject=fsync:error=EIO:when=3 -o "$T/eio.trace" \
    "$MAILSHIM" flush 2>"$T/eio.err"
rc=$?
sent=$(nmsgs)
[ "$rc" = 74 ] && t_ok "EIO in the batched fsync: exit 74" \
    || t_fail "EIO in the batched fsync: rc=$rc: $(tail -2 "$T/eio.err")"
grep -q 'cannot sync .*queue' "$T/eio.err" && t_ok "EIO in the batched fsync: said so" \
    || t_fail "no line about the failed sync: $(tail -3 "$T/eio.err")"
[ "$sent" = 64 ] && t_ok "EIO in the batched fsync: nothing sent after it" \
    || t_fail "EIO in the batched fsync: the server got $sent messages, want 64"
"$MAILSHIM" flush 2>"$T/eio2.err" || t_fail "flush after the EIO: rc=$?: $(tail -1 "$T/eio2.err")"
dups=$(cat "$SMTPD_OUT"/msg-*.json | grep -o '"r[0-9]*@example.net"' | sort | uniq -d | wc -l)
[ "$(nmsgs)" = 100 ] && [ "$dups" = 0 ] && [ "$(queued)" = 0 ] \
    && t_ok "after the EIO: the other 36 sent, nobody twice" \
    || t_fail "after the EIO: $(nmsgs) messages, $dups recipients twice, $(queued) left"
rm -f "$SMTPD_OUT"/msg-*.json

# 3. A full spool at the fresh message's pre-transaction state: the state
# write (the flusher's only pwrite) or the reservation of the room.
enqueue 2 full
for call in pwrite64 fallocate; do
	strace -f -qq -e trace=$call -e inject=$call:error=ENOSPC -o "$T/$call.trace" \
	    "$MAILSHIM" flush 2>"$T/$call.err"
	rc=$?
	[ "$rc" = 74 ] && [ "$(nmsgs)" = 0 ] && grep -q 'cannot record' "$T/$call.err" \
	    && t_ok "ENOSPC at the pre-state ($call): nothing sent, exit 74" \
	    || t_fail "ENOSPC at the pre-state ($call): rc=$rc, $(nmsgs) sent: $(tail -2 "$T/$call.err")"
done
# The fallocate case left its pre-state (due later): retry makes it due.
"$MAILSHIM" retry >/dev/null 2>&1
"$MAILSHIM" flush 2>/dev/null || t_fail "flush after ENOSPC: rc=$?"
[ "$(nmsgs)" = 2 ] || t_fail "after ENOSPC: $(nmsgs) messages, want 2"

# 4. A reserve slot a killed flusher left (nobody holds its flock) is
# removed at the end of the next pass that used one, even when that
# pass's own reserve went into a deferred message's state.
printf 'left by a killed flusher' > "$SPOOL/queue/.reserve-5"
printf 'Subject: later\n\nbody\n' | sendmail -i later@example.net || t_fail "enqueue later"
"$MAILSHIM" flush 2>"$T/orphan.err"
rc=$?
[ "$rc" = 75 ] || t_fail "deferred flush: rc=$rc, want 75: $(tail -1 "$T/orphan.err")"
left=$(ls -A "$SPOOL/queue" | grep '^\.reserve' | tr '\n' ' ')
[ -z "$left" ] && t_ok "orphan reserve slot removed" \
    || t_fail "reserve slots left in queue/: $left"
smtpd_stop
t_done
