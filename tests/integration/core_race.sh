#!/bin/sh
# Two flushers racing over 200 messages (and then 4 workers in one
# flusher over 200 more) deliver each message exactly once. The workers
# of one flusher share out the listing: no worker opens a message
# another one took (strace: every message file opened once, no claim
# refused). A flusher waits for another's pickup (new/'s lock).
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init

enqueue() {
	i=0
	while [ "$i" -lt 200 ]; do
		printf 'Subject: race %s %s\n\n%s\n' "$1" "$i" "$i" | sendmail -i "r@example.net" || t_fail "enqueue $i"
		i=$((i + 1))
	done
}
check_once() {
	n=$(t_count "$CAPTURE/new")
	dups=$(grep -h '^Subject: race' "$CAPTURE"/new/* | sort | uniq -d | wc -l)
	[ "$n" = "$1" ] && [ "$dups" = 0 ] && t_ok "$2: $n delivered, no duplicates" || t_fail "$2: $n delivered (want $1), $dups duplicates"
}

# Both must exit 0: a message the other one took is not an error.
enqueue a
"$MAILSHIM" flush 2> "$T/f1.log" & p1=$!
"$MAILSHIM" flush 2> "$T/f2.log" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check_once 200 "two flushers"
[ "$r1" = 0 ] && [ "$r2" = 0 ] && t_ok "both flushers exit 0" || t_fail "flusher exits $r1 $r2: $(grep -h -v status=sent "$T"/f?.log | head -5)"
[ "$(mailshim queue | grep -c '^[0-9A-F]\{22\} ')" = 0 ] || t_fail "queue not empty"

enqueue b
"$MAILSHIM" flush --workers 4 2> "$T/f1.log" & p1=$!
"$MAILSHIM" flush --workers 4 2> "$T/f2.log" & p2=$!
wait $p1; r1=$?; wait $p2; r2=$?
check_once 400 "2 flushers x 4 workers"
[ "$r1" = 0 ] && [ "$r2" = 0 ] && t_ok "parallel workers exit 0" || t_fail "worker exits $r1 $r2: $(grep -h -v status=sent "$T"/f?.log | head -5)"
grep -q 'no message' "$T/f1.log" "$T/f2.log" && t_fail "a taken message was logged as an error"

# One flusher, 4 workers: each message opened by one worker only.
enqueue c
strace -f -qq -y -e trace=openat,flock -o "$T/w.trace" "$MAILSHIM" flush --workers 4 2> "$T/f1.log" ||
	t_fail "flush --workers 4 under strace: $(tail -1 "$T/f1.log")"
check_once 600 "one flusher x 4 workers"
# -y: descriptors shown with their paths, openat(6</...queue>, "ID", ...)
msg='[0-9A-F]\{22\}'
opened=$(grep -c "openat([0-9]*<[^>]*/queue>, \"$msg\"," "$T/w.trace")
missed=$(grep "openat([0-9]*<[^>]*/queue>, \"$msg\"," "$T/w.trace" | grep -c ENOENT)
refused=$(grep "flock([0-9]*<[^>]*/queue/$msg>" "$T/w.trace" | grep -c 'EAGAIN\|EWOULDBLOCK')
[ "$opened" = 200 ] && [ "$missed" = 0 ] && [ "$refused" = 0 ] &&
	t_ok "4 workers: 200 messages opened once each, no claim refused" ||
	t_fail "4 workers: $opened opens of message files ($missed of gone ones), $refused claims refused"

# One pickup at a time (spool/pickup.c): while another process holds
# new/'s lock (flock(1) here, a flusher moving a backlog in real life),
# a flusher waits for it instead of racing it over the same entries, then
# picks up and delivers.
printf 'Subject: race lock\n\nx\n' | sendmail -i "r@example.net" || t_fail "enqueue lock"
flock "$SPOOL/new" sh -c ": > '$T/held'; sleep 2" & holder=$!
t_wait 10 test -e "$T/held" || t_fail "flock(1) did not take new/'s lock"
t0=$(date +%s%N)
"$MAILSHIM" flush 2> "$T/f3.log" || t_fail "flush after the lock: $(tail -1 "$T/f3.log")"
waited=$(( ($(date +%s%N) - t0) / 1000000 ))
wait $holder
[ "$waited" -ge 1000 ] && [ "$(t_count "$CAPTURE/new")" = 601 ] &&
	t_ok "pickup waited ${waited} ms for the holder of new/'s lock, then delivered" ||
	t_fail "pickup did not wait for new/'s lock (${waited} ms), or did not deliver ($(t_count "$CAPTURE/new") of 601)"
t_done
