#!/bin/sh
# Two flushers racing over 200 messages (and then 4 workers in one
# flusher over 200 more) deliver each message exactly once.
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

enqueue a
mailshim flush 2>/dev/null & p1=$!
mailshim flush 2>/dev/null & p2=$!
wait $p1; wait $p2
check_once 200 "two flushers"
[ "$(mailshim queue | grep -c '^[0-9A-F]\{22\} ')" = 0 ] || t_fail "queue not empty"

enqueue b
mailshim flush --workers 4 2>/dev/null & p1=$!
mailshim flush --workers 4 2>/dev/null & p2=$!
wait $p1; wait $p2
check_once 400 "2 flushers x 4 workers"
t_done
