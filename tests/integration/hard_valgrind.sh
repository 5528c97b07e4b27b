#!/bin/sh
# hard_valgrind.sh - `mailshim flush --watch` under valgrind for about
# ten seconds while messages arrive (Maildir relay), then SIGTERM: every
# message is delivered and valgrind reports no definite leak and no
# memory error. Also one front end run under valgrind.
. "$top_srcdir/tests/integration/lib.sh"
command -v valgrind >/dev/null || t_skip "valgrind is not installed"
# An ASan build cannot run under valgrind.
if nm "$MAILSHIM" 2>/dev/null | grep -q '__asan_init'; then
	t_skip "mailshim is built with AddressSanitizer"
fi
t_setup
t_init
VG="valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite --error-exitcode=99 --track-fds=no"
$VG --log-file="$T/vg.watch" "$MAILSHIM" flush --watch > "$T/watch.out" 2>&1 &
WPID=$!
t_pids=$WPID
sleep 2
n=0
while [ $n -lt 20 ]; do
	n=$((n + 1))
	printf 'Subject: vg %s\n\nVG-SEQ-%s-END\n' "$n" "$n" | sendmail -i "v$n@example.net" 2>/dev/null || t_fail "enqueue $n"
	sleep 0.4
done
printf 'Subject: vg fe\n\nVG-SEQ-FE-END\n' | $VG --log-file="$T/vg.fe" "$SENDMAIL" -i fe@example.net 2>/dev/null; rc=$?
[ "$rc" = 0 ] && t_ok "front end under valgrind: clean" || t_fail "front end under valgrind: rc=$rc $(cat "$T/vg.fe")"
# Let the watcher deliver (bounded), then stop it.
t_wait 20 sh -c "[ \$(grep -rl 'VG-SEQ-' '$CAPTURE/new' 2>/dev/null | wc -l) -ge 21 ]" ||
	t_fail "watcher delivered $(grep -rl 'VG-SEQ-' "$CAPTURE/new" 2>/dev/null | wc -l) of 21"
kill -TERM "$WPID"
i=0
while kill -0 "$WPID" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
if kill -0 "$WPID" 2>/dev/null; then
	t_fail "flush --watch did not stop within 30 s of SIGTERM"
	kill -KILL "$WPID"
fi
wait "$WPID"; rc=$?
t_pids=
if [ "$rc" = 99 ] || grep -q 'definitely lost\|Invalid \|uninitialised' "$T/vg.watch"; then
	t_fail "valgrind (rc=$rc): $(head -40 "$T/vg.watch")"
else
	t_ok "flush --watch under valgrind: rc=$rc, no definite leak, no error"
fi
[ "$rc" = 0 ] || [ "$rc" = 143 ] || t_fail "flush --watch exit status after SIGTERM: $rc"
t_done
