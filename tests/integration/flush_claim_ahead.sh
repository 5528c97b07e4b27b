#!/bin/sh
# flush_claim_ahead.sh - the flusher's file work for other messages
# happens while the relay waits for a reply (flush/pass.c, relay_msg.idle).
# Three messages; the server stalls every RCPT but the first, so the
# checks and the signals land while message 2 waits for its RCPT reply:
#   - message 1 (delivered) is already removed: its removal waited only
#     for that first wait, not for message 2's end;
#   - messages 2 (on the wire) and 3 (claimed ahead) are both locked
#     (without the look-ahead only message 2 is);
#   - SIGTERM there: message 2 is finished, message 3 given back as it
#     was found (in queue/, no state, no lock); the next pass delivers
#     it; every message exactly once;
#   - kill -9 there: message 1 is not sent again, 2 and 3 stay queued,
#     nothing is locked; after a retry each is delivered exactly once;
#   - strace: the removal of each delivered message but the last comes
#     after the next message's first command went out, and no message
#     file is opened twice; through a Maildir relay (no reply to wait
#     for) each removal comes before the next delivery.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
t_init
command -v flock >/dev/null || t_abort "flock(1) (util-linux) is needed"
command -v strace >/dev/null || t_abort "strace is needed (contrib/deps.sh)"
nmsgs() { ls "$1" | grep -c '^msg-.*\.json$'; }
queued() { find "$SPOOL/queue" -maxdepth 1 -type f -name '??????????????????????' -printf '%f\n'; }
# flock(1) -n fails with 99 when someone else holds the file.
locked() { flock -n -E 99 "$SPOOL/queue/$1" true; [ $? = 99 ]; }
# Accepted copies for recipient $2 (rcpt_tos in the server's msg-N.json).
copies() { cat "$1"/msg-*.json 2>/dev/null | grep -o "\"$2\"" | wc -l; }
once() { # TAG: r1..r3 each accepted exactly once
	c="$(copies "$SMTPD_OUT" r1@example.net)/$(copies "$SMTPD_OUT" r2@example.net)/$(copies "$SMTPD_OUT" r3@example.net)"
	[ "$c" = 1/1/1 ] && t_ok "$1: each message delivered exactly once" ||
	    t_fail "$1: copies of messages 1/2/3: $c"
}
rcpts_seen() { [ "$(grep -c 'RCPT' "$SMTPD_OUT/session.log")" -ge "$1" ]; }
enqueue() {
	for i in 1 2 3; do
		printf 'Subject: ahead %s %s\n\nbody\n' "$1" "$i" |
		    sendmail -i "r$i@example.net" || t_fail "$1: enqueue $i"
	done
}

smtpd_start "$T/srv" --no-starttls --stall rcpt=3 --stall-from 2 --lifetime 300 ||
    t_abort "cannot start smtpd"
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"a\"} }"

# One round: three messages, a flush, and $1 (TERM or KILL) while
# message 2 waits for its RCPT reply.
round() {
	rm -f "$SMTPD_OUT"/msg-*.json
	: > "$SMTPD_OUT/session.log"
	enqueue "$1"
	ids=$(ls "$SPOOL/new" | sort)
	id1=$(echo "$ids" | sed -n 1p)
	"$MAILSHIM" flush 2>"$T/flush-$1.err" & fp=$!
	t_wait 20 rcpts_seen 2 || t_fail "$1: message 2's RCPT never came"
	sleep 0.5 # well inside the 3 s stall
	[ "$(nmsgs "$SMTPD_OUT")" = 1 ] && [ ! -e "$SPOOL/queue/$id1" ] &&
	    t_ok "$1: message 1 removed by message 2's first wait" ||
	    t_fail "$1: message 1: $(nmsgs "$SMTPD_OUT") delivered, in queue/: $(ls "$SPOOL/queue" | grep -c "$id1")"
	n=0 nl=0
	for id in $(queued); do
		n=$((n + 1))
		locked "$id" && nl=$((nl + 1))
	done
	[ "$n" = 2 ] && [ "$nl" = 2 ] &&
	    t_ok "$1: message 3 is claimed while message 2 waits" ||
	    t_fail "$1: $nl of $n queued messages locked during the wait"
	kill -"$1" $fp
	wait $fp 2>/dev/null
	for id in $(queued); do
		locked "$id" && t_fail "$1: $id still locked after the flusher exit"
	done
}

# SIGTERM: message 2 finished, message 3 given back as it was.
round TERM
[ "$(nmsgs "$SMTPD_OUT")" = 2 ] ||
    t_fail "TERM: the message on the wire was not finished ($(nmsgs "$SMTPD_OUT") delivered)"
third=$(queued)
[ "$(echo "$third" | grep -c .)" = 1 ] || t_fail "TERM: queue/ holds [$third], want one message"
[ -e "$SPOOL/queue/$third.state" ] &&
    t_fail "TERM: the message claimed ahead kept a state: $(head -3 "$SPOOL/queue/$third.state")"
[ -z "$(t_deferred)" ] || t_fail "TERM: something was deferred: $(t_deferred)"
"$MAILSHIM" flush 2>"$T/flush-TERM2.err" || t_fail "TERM: the next pass failed"
once TERM

# kill -9: message 1 stays delivered once, nothing lost, nothing held.
round KILL
[ "$(nmsgs "$SMTPD_OUT")" = 1 ] || t_fail "KILL: $(nmsgs "$SMTPD_OUT") delivered before the kill"
[ "$(queued | grep -c .)" = 2 ] || t_fail "KILL: queue/ holds [$(queued)], want two"
mailshim retry >/dev/null 2>&1
"$MAILSHIM" flush 2>"$T/flush-KILL2.err" || t_fail "KILL: the next pass failed"
once KILL
[ -z "$(queued)" ] || t_fail "KILL: queue not empty: $(queued)"
smtpd_stop

# The order, under strace: each removal after the next message's first
# command, each message file opened once.
smtpd_start "$T/fast" --no-starttls --lifetime 120 || t_abort "cannot start smtpd"
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"a\"} }"
enqueue order
strace -f -qq -e trace=sendto,unlinkat,openat -o "$T/order.trace" "$MAILSHIM" flush 2>"$T/order.err" ||
    t_fail "order: flush failed: $(tail -1 "$T/order.err")"
[ "$(nmsgs "$SMTPD_OUT")" = 3 ] || t_fail "order: $(nmsgs "$SMTPD_OUT") delivered"
# The events in order: M (a MAIL command went out), U (a message file
# removed: a 22-character name without .state).
events=$(sed -n -e '/sendto(.*"MAIL FROM:/s/.*/M/p' \
    -e '/unlinkat(.*"[0-9A-F]\{22\}"/s/.*/U/p' "$T/order.trace" | tr -d '\n')
[ "$events" = MMUMUU ] && t_ok "order: each removal waits for the next message's MAIL ($events)" ||
    t_fail "order: MAIL/removal sequence $events, want MMUMUU"
opened=$(grep -o 'openat([^"]*"[0-9A-F]\{22\}"' "$T/order.trace" | sort | uniq -d | wc -l)
[ "$opened" = 0 ] || t_fail "order: $opened message files opened twice"
smtpd_stop

# A relay with no reply to wait for (the Maildir capture): each removal
# comes before the next message is written, not after it.
t_conf ""
rm -f "$CAPTURE"/new/*
enqueue maildir
strace -f -qq -e trace=unlinkat,openat -o "$T/md.trace" "$MAILSHIM" flush 2>"$T/md.err" ||
    t_fail "maildir: flush failed: $(tail -1 "$T/md.err")"
# D: a message created in the Maildir's tmp/; U: a message file removed.
events=$(sed -n -e '/openat(.*\/capture\/tmp\/.*O_CREAT/s/.*/D/p' \
    -e '/unlinkat(.*"[0-9A-F]\{22\}"/s/.*/U/p' "$T/md.trace" | tr -d '\n')
[ "$events" = DUDUDU ] && t_ok "maildir: each removal before the next delivery ($events)" ||
    t_fail "maildir: delivery/removal sequence $events, want DUDUDU"
t_done
