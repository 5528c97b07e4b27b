#!/bin/sh
# hard_schedule_kill.sh - kill -9 at every step of a bucket move (issue
# 18; spool/README "The schedule"), by strace fault injection: the
# flusher gets SIGKILL on entering its Nth rename, or (another run) its
# Nth fsync, for every N up to the number the pass makes, so every crash
# point between two steps is hit:
#   file    a message with a@ sent and b@ deferred (451) is deferred and
#           filed (queue/ -> deferred/B/: message, then state);
#   return  the same message, due (faketime +2 h), back to queue/ (state,
#           then message) and delivered.
# After each kill a clean pass (sweep included: it must not take a
# mid-move queue/ID.state for an orphan) delivers what is left. Nothing
# is lost (b@ arrives), a recorded "sent" is never lost (a@ is not sent
# again once its state was written: at most the one duplicate of the
# transaction in flight before that, the existing bound).
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
command -v strace >/dev/null || { echo "FAIL: strace missing (contrib/deps.sh)"; exit 1; }
strace -o /dev/null true 2>/dev/null || { echo "SKIP: ptrace not permitted here"; exit 77; }
strace -o /dev/null -e inject=getpid:retval=1 true 2>/dev/null \
    || { echo "FAIL: this strace cannot inject faults"; exit 1; }
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
t_setup
CALLS=renameat,renameat2,fsync
count_rcpt() { # ADDR DIR...: copies of ADDR accepted by the servers
	_a=$1; shift
	for _d in "$@"; do cat "$_d"/msg-*.json 2>/dev/null; done | grep -o "\"$_a\"" | wc -l
}
use() { # PORT
	T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf "relay \"r\" { type = \"smtp\" host = \"127.0.0.1\" port = $1 tls = \"none\" }
route \"default\" { relays = {\"r\"} }"
}
# scenario DIR: fresh spool, a server deferring b@ and one taking all.
scenario() {
	rm -rf "$SPOOL"
	t_init
	smtpd_start "$1/defer" --no-starttls --rcpt-reply 'b@example.net=451 4.3.0 later' \
	    || t_abort "smtpd defer"
	D_PORT=$SMTPD_PORT D_PID=$SMTPD_PID D_OUT=$SMTPD_OUT
	smtpd_start "$1/ok" --no-starttls || t_abort "smtpd ok"
	O_PORT=$SMTPD_PORT O_PID=$SMTPD_PID O_OUT=$SMTPD_OUT
	t_pids="$D_PID $O_PID"
	use "$D_PORT"
	printf 'Subject: kill\n\nbody\n' | sendmail -i a@example.net b@example.net \
	    || t_fail "enqueue"
}
end_scenario() {
	SMTPD_PID=$D_PID; smtpd_stop; SMTPD_PID=$O_PID; smtpd_stop
}
# The clean passes after a kill: the clock 2 h on (everything due), then
# 4 h on (a flusher killed after its prepare left the message due at the
# prepared time, up to 25 min after the killed pass).
recover() {
	use "$O_PORT"
	faketime -f +2h "$MAILSHIM" flush 2>>"$T/recover.err"
	faketime -f +4h "$MAILSHIM" flush 2>>"$T/recover.err"
}
# verdict WHAT MAX_A: b@ delivered exactly once... at least once, a@ at
# most MAX_A times, nothing left in the spool.
verdict() {
	a=$(count_rcpt a@example.net "$D_OUT" "$O_OUT")
	b=$(count_rcpt b@example.net "$O_OUT")
	left=$(find "$SPOOL/queue" "$SPOOL/deferred" "$SPOOL/dead" -type f | wc -l)
	if [ "$b" -ge 1 ] && [ "$b" -le 2 ] && [ "$a" -ge 1 ] && [ "$a" -le "$2" ] && [ "$left" = 0 ]; then
		return 0
	fi
	t_fail "$1: a@ $a copies (max $2), b@ $b, left $left: $(find "$SPOOL/queue" "$SPOOL/deferred" "$SPOOL/dead" -type f)"
	return 1
}

# How many renames and fsyncs each pass makes, from a run without kills.
scenario "$T/ref"
strace -f -qq -e trace=$CALLS -o "$T/ref1" "$MAILSHIM" flush 2>/dev/null
[ "$(t_deferred | wc -l)" = 1 ] || t_abort "reference: not filed: $(ls -R "$SPOOL")"
use "$O_PORT"
faketime -f +2h strace -f -qq -e trace=$CALLS -o "$T/ref2" "$MAILSHIM" flush 2>/dev/null
verdict "reference run" 1 || t_abort "the reference run fails"
end_scenario
ncalls() { grep -c "^[0-9]* *$2(.*= 0$" "$1"; }
R1=$(ncalls "$T/ref1" renameat) F1=$(ncalls "$T/ref1" fsync)
R2=$(ncalls "$T/ref2" renameat) F2=$(ncalls "$T/ref2" fsync)
[ "$R1" -ge 5 ] && [ "$F1" -ge 4 ] && [ "$R2" -ge 2 ] && [ "$F2" -ge 2 ] \
    || t_abort "reference: $R1/$F1 and $R2/$F2 renames/fsyncs"

# File: kill on entering the k-th rename, then the k-th fsync, of the
# deferring pass.
bad=0; n=0
for call in renameat fsync; do
	[ $call = renameat ] && max_k=$R1 || max_k=$F1
	k=1
	while [ "$k" -le "$max_k" ]; do
		scenario "$T/f$call$k"
		strace -f -qq -o /dev/null -e trace=$CALLS -e inject=$call:signal=SIGKILL:when=$k \
		    "$MAILSHIM" flush 2>/dev/null
		# a@ was accepted before any rename of the outcome? Then a
		# second copy is the transaction-in-flight duplicate; once
		# the state that says "sent" is renamed in, never.
		sent_recorded=0
		for s in "$SPOOL"/queue/*.state "$SPOOL"/deferred/*/*.state; do
			[ -f "$s" ] && grep -q '^rcpt sent .* a@example.net ' "$s" && sent_recorded=1
		done
		recover
		max=2; [ "$sent_recorded" = 1 ] && max=1
		verdict "file, killed at $call $k of $max_k" $max || bad=$((bad + 1))
		end_scenario
		k=$((k + 1)); n=$((n + 1))
	done
done
[ "$bad" = 0 ] && t_ok "kill -9 at each of $n steps of defer + file: nothing lost, no sent record lost"

# Return: the message filed, then a due pass killed at the k-th rename,
# then the k-th fsync.
bad=0; n=0
for call in renameat fsync; do
	[ $call = renameat ] && max_k=$R2 || max_k=$F2
	k=1
	while [ "$k" -le "$max_k" ]; do
		scenario "$T/r$call$k"
		"$MAILSHIM" flush 2>/dev/null
		[ "$(t_deferred | wc -l)" = 1 ] || t_fail "return $k: not filed"
		use "$O_PORT"
		faketime -f +2h strace -f -qq -o /dev/null -e trace=$CALLS \
		    -e inject=$call:signal=SIGKILL:when=$k "$MAILSHIM" flush 2>/dev/null
		recover
		verdict "return, killed at $call $k of $max_k" 1 || bad=$((bad + 1))
		end_scenario
		k=$((k + 1)); n=$((n + 1))
	done
done
[ "$bad" = 0 ] && t_ok "kill -9 at each of $n steps of return + delivery: nothing lost, a@ never sent again"
t_done
