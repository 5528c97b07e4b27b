#!/bin/sh
# flush_claim_ahead.sh - while the relay waits for a reply about one
# message, the flusher claims its next one (flush/run.c, relay_msg.idle):
#   - during the first message's stalled RCPT, both queued messages are
#     locked (without the look-ahead only the one on the wire is);
#   - SIGTERM in that wait: the message on the wire is finished, the one
#     claimed ahead is given back untouched (still in queue/, no state,
#     no lock) and the next pass delivers it: each exactly once;
#   - kill -9 in that wait: both stay queued, nothing is locked, and
#     they are delivered exactly once after the retry.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
t_init
command -v flock >/dev/null || t_abort "flock(1) (util-linux) is needed"
nmsgs() { ls "$1" | grep -c '^msg-.*\.json$'; }
queued() { find "$SPOOL/queue" -maxdepth 1 -type f -name '??????????????????????' -printf '%f\n'; }
# flock(1) -n fails with 99 when someone else holds the file.
locked() { flock -n -E 99 "$SPOOL/queue/$1" true; [ $? = 99 ]; }
# Accepted copies for recipient $2 (rcpt_tos in the server's msg-N.json).
copies() { cat "$1"/msg-*.json 2>/dev/null | grep -o "\"$2\"" | wc -l; }

smtpd_start "$T/srv" --no-starttls --stall rcpt=3 --lifetime 300 ||
    t_abort "cannot start smtpd"
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"a\"} }"

# One round: two messages, a flush, and $1 (TERM or KILL) in the first
# message's RCPT wait.
round() {
	rm -f "$SMTPD_OUT"/msg-*.json
	: > "$SMTPD_OUT/session.log"
	for i in 1 2; do
		printf 'Subject: ahead %s %s\n\nbody\n' "$1" "$i" |
		    sendmail -i "r$i@example.net" || t_fail "$1: enqueue $i"
	done
	"$MAILSHIM" flush 2>"$T/flush-$1.err" & fp=$!
	t_wait 20 grep -qs 'RCPT' "$SMTPD_OUT/session.log" ||
	    t_fail "$1: the first RCPT never came"
	sleep 0.5 # well inside the 3 s stall
	n=0 nl=0
	for id in $(queued); do
		n=$((n + 1))
		locked "$id" && nl=$((nl + 1))
	done
	[ "$n" = 2 ] && [ "$nl" = 2 ] &&
	    t_ok "$1: the next message is claimed while the first waits" ||
	    t_fail "$1: $nl of $n queued messages locked during the wait"
	kill -"$1" $fp
	wait $fp 2>/dev/null
	left=$(queued)
	for id in $left; do
		locked "$id" && t_fail "$1: $id still locked after the flusher exit"
	done
}

# SIGTERM: the first is finished, the second given back as it was.
round TERM
[ "$(nmsgs "$SMTPD_OUT")" = 1 ] && [ "$(copies "$SMTPD_OUT" r1@example.net)" = 1 ] ||
    t_fail "TERM: the message on the wire was not finished ($(nmsgs "$SMTPD_OUT") delivered)"
second=$(queued)
[ "$(echo "$second" | grep -c .)" = 1 ] || t_fail "TERM: queue/ holds [$second], want one message"
[ -e "$SPOOL/queue/$second.state" ] &&
    t_fail "TERM: the message claimed ahead got a state ($(cat "$SPOOL/queue/$second.state" | head -3))"
[ -z "$(t_deferred)" ] || t_fail "TERM: something was deferred: $(t_deferred)"
"$MAILSHIM" flush 2>"$T/flush-TERM2.err" || t_fail "TERM: the next pass failed"
[ "$(copies "$SMTPD_OUT" r1@example.net)" = 1 ] && [ "$(copies "$SMTPD_OUT" r2@example.net)" = 1 ] &&
    t_ok "TERM: each message delivered exactly once" ||
    t_fail "TERM: copies $(copies "$SMTPD_OUT" r1@example.net)/$(copies "$SMTPD_OUT" r2@example.net)"

# kill -9: nothing sent yet, nothing lost, nothing held.
round KILL
[ "$(nmsgs "$SMTPD_OUT")" = 0 ] || t_fail "KILL: $(nmsgs "$SMTPD_OUT") delivered before the kill"
[ "$(queued | grep -c .)" = 2 ] || t_fail "KILL: queue/ holds [$(queued)], want both"
mailshim retry >/dev/null 2>&1
"$MAILSHIM" flush 2>"$T/flush-KILL2.err" || t_fail "KILL: the next pass failed"
[ "$(copies "$SMTPD_OUT" r1@example.net)" = 1 ] && [ "$(copies "$SMTPD_OUT" r2@example.net)" = 1 ] &&
    t_ok "KILL: each message delivered exactly once" ||
    t_fail "KILL: copies $(copies "$SMTPD_OUT" r1@example.net)/$(copies "$SMTPD_OUT" r2@example.net)"
[ -z "$(queued)" ] || t_fail "KILL: queue not empty: $(queued)"
smtpd_stop
t_done
