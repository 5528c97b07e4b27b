#!/bin/sh
# Addresses the front end accepts but a naive spool cannot hold, and
# addresses a hand-edited spool file smuggles in (issue 14 defect 3):
#  - "john doe"@example.net (RFC 5321 quoted local part) goes through
#    sendmail -> mailshim flush -> tests/servers/smtpd.py twice while
#    another recipient is deferred: it is delivered exactly once, and the
#    state file still names it whole (no mangled "john);
#  - an envelope planted in new/ with `rcpt x@y> NOTIFY=NEVER`, and a
#    state file with the same address, never put it on the wire: no RCPT
#    carries an ESMTP parameter; the recipient is dead with a reason and
#    the good recipient of the same message is delivered.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
smtpd_start "$T/s" --rcpt-reply "later@example.net=451 4.2.0 try later" ||
	{ echo "FAIL: cannot start smtpd.py" >&2; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"s\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 10 }
route \"default\" { relays = {\"s\"} }"
t_init
LOG=$SMTPD_OUT/session.log
john='"john doe"@example.net'

printf 'Subject: quoted\n\nhello\n' > "$T/m1"
sendmail -i -f app@example.com "$john" later@example.net < "$T/m1" ||
	t_fail "enqueue of a quoted local part: exit $?"
grep -q '^rcpt "john%20doe"@example.net$' "$SPOOL"/new/* &&
	t_ok "envelope holds the address percent-encoded" ||
	t_fail "envelope: $(sed -n '1,/^$/p' "$SPOOL"/new/*)"
mailshim flush 2> "$T/log1"; rc=$?
[ "$rc" = 75 ] || t_fail "first flush: exit $rc (want 75): $(cat "$T/log1")"
mailshim queue > "$T/q1" 2>&1
grep -q '"john doe"@example.net  sent' "$T/q1" &&
	t_ok "state records the quoted recipient as sent" ||
	t_fail "queue after flush 1: $(cat "$T/q1")"
grep -q '"john$' "$T/q1" && t_fail "mangled \"john recipient: $(cat "$T/q1")"
mailshim retry > /dev/null
mailshim flush 2> "$T/log2"; rc=$?
[ "$rc" = 75 ] || t_fail "second flush: exit $rc: $(cat "$T/log2")"
mailshim retry > /dev/null
mailshim flush 2>> "$T/log2"
n=$(grep -c 'RCPT TO:<"john doe"@example.net>' "$LOG")
[ "$n" = 1 ] && t_ok "quoted recipient delivered exactly once over 3 flushes" ||
	t_fail "quoted recipient got $n RCPTs: $(grep RCPT "$LOG")"
[ "$(grep -c 'RCPT TO:<later@example.net>' "$LOG")" = 3 ] ||
	t_fail "deferred recipient not retried: $(grep RCPT "$LOG")"
mailshim queue > "$T/q2" 2>&1
[ "$(grep -c 'john' "$T/q2")" = 1 ] ||
	t_fail "state re-read changed the recipients: $(cat "$T/q2")"
id=$(sed -n 's/^\([0-9A-F]\{22\}\) .*/\1/p' "$T/q2" | head -n 1)
mailshim delete "$id" > /dev/null || t_fail "delete $id"

# A hand-planted MAILSHIM-1 file (the old raw format still reads) whose
# recipient line tries to add an ESMTP parameter.
qid=0006652D1A2B3C4D5E6F70
printf 'MAILSHIM-1\nid %s\ntime %s\nuid %s\nuser me\nfrom app@example.com\nrcpt x@y> NOTIFY=NEVER\nrcpt ok@example.net\n\nSubject: planted\n\nbody\n' \
	"$qid" "$(date +%s)" "$(id -u)" > "$SPOOL/new/$qid"
chmod 0604 "$SPOOL/new/$qid"
: > "$LOG"
mailshim flush 2> "$T/log3"
grep -q 'NOTIFY' "$LOG" && t_fail "planted parameter reached the wire: $(grep RCPT "$LOG")"
grep -q 'RCPT TO:<ok@example.net>' "$LOG" &&
	t_ok "good recipient of the planted message delivered" ||
	t_fail "good recipient: $(cat "$LOG")"
[ "$(grep -c RCPT "$LOG")" = 1 ] && t_ok "planted envelope address never on the wire" ||
	t_fail "RCPTs: $(grep RCPT "$LOG")"
mailshim dead > "$T/d1" 2>&1
grep -q "invalid recipient address in the spool file" "$T/d1" ||
	grep -q "invalid recipient address in the spool file" "$T/log3" ||
	t_fail "no reason given: $(cat "$T/d1" "$T/log3")"
mailshim show "$qid" 2>&1 | grep -q '^status: x@y> NOTIFY=NEVER dead' ||
	t_fail "planted recipient not dead: $(mailshim show "$qid" 2>&1)"

# The same address planted in a state file (format 2, encoded).
qid2=0006652D1A2B3C4D5E6F71
printf 'MAILSHIM-2\nid %s\ntime %s\nuid %s\nuser me\nfrom app@example.com\nrcpt ok2@example.net\n\nSubject: planted 2\n\nbody\n' \
	"$qid2" "$(date +%s)" "$(id -u)" > "$SPOOL/queue/$qid2"
chmod 0604 "$SPOOL/queue/$qid2"
printf 'format 2\nattempts 1\nlast 1\nnext 0\nrcpt pending 1 - ok2@example.net\nrcpt pending 1 - x@y>%%20NOTIFY=NEVER\nrcpt deferred 1 - <z@y>%%20NOTIFY=NEVER\n' > "$SPOOL/queue/$qid2.state"
touch -d @1 "$SPOOL/queue/$qid2.state"
: > "$LOG"
mailshim flush 2> "$T/log4"
grep -q 'NOTIFY' "$LOG" && t_fail "state-file parameter reached the wire: $(grep RCPT "$LOG")"
[ "$(grep -c RCPT "$LOG")" = 1 ] && grep -q 'RCPT TO:<ok2@example.net>' "$LOG" &&
	t_ok "planted state addresses never on the wire" ||
	t_fail "RCPTs: $(grep RCPT "$LOG")"
mailshim show "$qid2" 2>&1 | grep -q 'x@y> NOTIFY=NEVER dead' ||
	t_fail "planted state recipient not dead: $(mailshim show "$qid2" 2>&1)"
# A recipient the state cannot record (here: a state already at its
# 40,000-recipient ceiling) stops the whole message: deferred with the
# reason, nothing sent, nothing ignored.
qid3=0006652D1A2B3C4D5E6F72
printf 'MAILSHIM-2\nid %s\ntime %s\nuid %s\nuser me\nfrom app@example.com\nrcpt new@example.net\n\nSubject: full state\n\nbody\n' \
	"$qid3" "$(date +%s)" "$(id -u)" > "$SPOOL/queue/$qid3"
chmod 0604 "$SPOOL/queue/$qid3"
{ printf 'format 2\nattempts 1\nlast 1\nnext 0\n'
  awk 'BEGIN { for (i = 0; i < 40000; i++) printf "rcpt sent 1 - r%d@example.net 250 ok\n", i }'
} > "$SPOOL/queue/$qid3.state"
touch -d @1 "$SPOOL/queue/$qid3.state"
: > "$LOG"
mailshim flush 2> "$T/log5"; rc=$?
[ "$rc" = 75 ] || t_fail "full state: exit $rc (want 75)"
grep -q "$qid3: cannot record delivery state: more than 40000 recipients" "$T/log5" &&
	t_ok "unrecordable recipient: message deferred with the reason" ||
	t_fail "full state: $(cat "$T/log5")"
grep -q RCPT "$LOG" && t_fail "full state: something was sent: $(grep RCPT "$LOG")"
[ -f "$SPOOL/queue/$qid3" ] || t_fail "full state: message left the queue"
mailshim delete "$qid3" > /dev/null

# RFC 5321 4.5.3.1: a local part over 64 octets or a domain label over
# 63 is refused at enqueue: exit 65 (EX_DATAERR) and a line that says so.
l65=$(printf '%065d' 0 | tr 0 a)
l64=$(printf '%064d' 0 | tr 0 b)
refused() {	# refused WHAT ADDR GREP
	printf 'Subject: x\n\nx\n' | sendmail -i "$2" > /dev/null 2> "$T/err"; rc=$?
	[ "$rc" = 65 ] && grep -q "$3" "$T/err" && t_ok "$1 refused (65)" ||
		t_fail "$1: exit $rc: $(cat "$T/err")"
}
refused "local part of 65 octets" "$l65@example.com" "local part longer than 64 octets"
refused "domain label of 64 octets" "a@$l64.example.com" "label longer than 63 octets"
printf 'Subject: x\n\nx\n' | sendmail -i -f "$l65@example.com" ok@example.net 2> "$T/err"; rc=$?
[ "$rc" = 65 ] && grep -q "invalid sender address.*64 octets" "$T/err" ||
	t_fail "long sender: exit $rc: $(cat "$T/err")"
printf 'Subject: x\n\nx\n' | sendmail -i "$(printf '%064d' 0 | tr 0 c)@example.com" > /dev/null 2>&1 ||
	t_fail "local part of exactly 64 octets refused"
smtpd_stop
t_done
