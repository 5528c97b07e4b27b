#!/bin/sh
# smtp_reuse.sh - one connection carries several messages; max_per_connection
# reconnects; a server that closes an idle connection or answers 421 on a
# reused one costs a transparent reconnect, not a failed message.
. "$top_srcdir/tests/integration/smtp_lib.sh"
msg "$T/msg"

conns() { grep -c ' CONNECT ' "$SMTPD_OUT/session.log"; }
all_ok() { # WHAT COUNT
	n=$(grep -c '^b@example.com ok 250 ' "$T/out")
	[ "$n" -eq "$2" ] && ok "$1: $2 messages sent" ||
	    fail "$1: $n of $2 messages sent"
}

smtpd_start "$T/s1"
conf "$SMTPD_PORT"
drive -n 3 -f a@example.com "$T/msg" b@example.com
all_ok "reuse" 3
smtpd_wait_msgs 3 5
[ "$(conns)" -eq 1 ] && ok "reuse: one connection" ||
    fail "reuse: $(conns) connections"
[ "$(grep -c ' MAIL ' "$SMTPD_OUT/session.log")" -eq 3 ] &&
    [ "$(grep -c ' EHLO ' "$SMTPD_OUT/session.log")" -eq 1 ] &&
    ok "reuse: one EHLO, three MAIL" || fail "reuse: $(cat "$SMTPD_OUT/session.log")"
smtpd_stop

smtpd_start "$T/s2"
conf "$SMTPD_PORT" 'max_per_connection = 2'
drive -n 5 -f a@example.com "$T/msg" b@example.com
all_ok "max_per_connection" 5
[ "$(conns)" -eq 3 ] && ok "max_per_connection = 2: 3 connections for 5" ||
    fail "max_per_connection: $(conns) connections"
grep -q ' QUIT' "$SMTPD_OUT/session.log" && ok "max_per_connection: QUIT sent" ||
    fail "max_per_connection: no QUIT"
smtpd_stop

smtpd_start "$T/s3" --close-after 1
conf "$SMTPD_PORT"
drive -n 3 -f a@example.com "$T/msg" b@example.com
all_ok "server closes idle connection" 3
expect_line '^health=fine' "server closes idle connection: relay fine"
[ "$(conns)" -eq 3 ] && ok "server closes: reconnected each time" ||
    fail "server closes: $(conns) connections"
smtpd_stop

smtpd_start "$T/s4" --reply-421-after 1
conf "$SMTPD_PORT"
drive -n 3 -f a@example.com "$T/msg" b@example.com
all_ok "421 on reused connection" 3
grep -q 'reconnecting' "$T/err" && ok "421 on reuse: logged the reconnect" ||
    fail "421 on reuse: no reconnect logged"
grep -q '^b@example.com temp' "$T/out" && fail "421 on reuse leaked a failure" ||
    ok "421 on reuse: no failure"
[ "$(ls "$SMTPD_OUT" | grep -c '^msg-')" -eq 3 ] && ok "421 on reuse: 3 delivered once each" ||
    fail "421 on reuse: $(ls "$SMTPD_OUT")"
smtpd_stop

finish
