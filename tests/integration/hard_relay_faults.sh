#!/bin/sh
# hard_relay_faults.sh - `mailshim flush` against relays that fail in
# every way we know: each case ends within its bound (timeout and
# connect_timeout = 3 s), exits 75, and leaves the message queued
# (deferred, not dead) with a state file that says why.
. "$top_srcdir/tests/integration/lib.sh"
"$PYTHON3" -c 'import aiosmtpd' 2>/dev/null || t_skip "python3-aiosmtpd not installed"
command -v openssl >/dev/null || t_skip "no openssl"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
t_init
sh "$top_srcdir/tests/servers/mkcerts.sh" "$T/certs" >/dev/null 2>&1 || t_fail "mkcerts"
LIMIT=15	# seconds per case: 3 s timeouts plus start-up, on a busy machine
cases=0
rn=0

# relay PORT [extra relay keys]: one smtp relay, everything routed to it
# (a new relay name each time: a failed relay is held, see run/)
relay() {
	rn=$((rn + 1))
	T_NO_DEFAULT=1 t_conf "relay \"r$rn\" { type = \"smtp\" host = \"127.0.0.1\" port = $1 connect_timeout = 3 timeout = 3 ${2:-tls = \"none\"} }
route \"default\" { relays = {\"r$rn\"} }"
}
# check NAME REASON-REGEX: enqueue, flush, assert 75 / queued / reason / time
check() {
	cases=$((cases + 1))
	printf 'Subject: fault %s\n\nbody\n' "$1" | "$SENDMAIL" -i "to@example.net" 2>/dev/null ||
		{ t_fail "$1: enqueue"; return; }
	id=$(ls "$SPOOL/new" | head -1)
	t0=$(date +%s)
	timeout 60 "$MAILSHIM" flush > "$T/out" 2>&1; rc=$?
	t1=$(date +%s)
	reason=$(sed -n 's/^reason //p' "$SPOOL/queue/$id.state" 2>/dev/null)
	if [ "$rc" = 75 ] && [ -f "$SPOOL/queue/$id" ] && [ ! -e "$SPOOL/dead/$id" ] &&
	    [ $((t1 - t0)) -le $LIMIT ] && printf '%s' "$reason" | grep -Eqi "$2"; then
		t_ok "$1: 75 in $((t1 - t0))s, queued: $reason"
	else
		t_fail "$1: rc=$rc time=$((t1 - t0))s queued=$([ -f "$SPOOL/queue/$id" ] && echo yes || echo no) reason='$reason' want /$2/; $(tail -2 "$T/out")"
	fi
	grep -a 'AddressSanitizer\|runtime error' "$T/out" && t_fail "$1: sanitizer report"
	"$MAILSHIM" delete "$id" >/dev/null 2>&1
	rm -f "$SPOOL/queue/$id" "$SPOOL/queue/$id.state"
}
faultd() { # MODE: starts hard_faultd.py, sets FPORT
	rm -f "$T/fport"
	"$PYTHON3" "$top_srcdir/tests/integration/hard_faultd.py" "$1" "$T/fport" 60 &
	FPID=$!
	t_pids="${t_pids:-} $FPID"
	t_wait 10 test -s "$T/fport" || t_fail "faultd $1 did not start"
	FPORT=$(sed -n 's/^PORT=//p' "$T/fport")
}
srv() { # NAME smtpd.py-args...
	n=$1; shift
	smtpd_start "$T/$n" --lifetime 60 "$@" || t_fail "smtpd $n"
	t_pids="${t_pids:-} $SMTPD_PID"
}

PORT=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
relay "$PORT"; check "connection refused" 'refused|connect'

faultd close; relay "$FPORT"; check "accept then close" 'lost|closed|receive|failure|weird|banner|greeting'
kill "$FPID" 2>/dev/null

for mode in no-banner banner-421 garbage endless slow; do
	srv "$mode" --raw "$mode"
	relay "$SMTPD_PORT"
	case $mode in
	banner-421) want='421' ;;
	no-banner|slow) want='time|out|banner|greeting' ;;
	*) want='.' ;;
	esac
	check "raw $mode" "$want"
	smtpd_stop
done

srv stall-dot --stall dot=30; relay "$SMTPD_PORT"
check "stall after the body (before the final reply)" 'time|out'
smtpd_stop

faultd middata; relay "$FPORT"
# A body larger than the socket buffers, so the client blocks mid-DATA.
head -c 3000000 /dev/zero | tr '\0' x | fold -w 76 > "$T/bigbody"
cases=$((cases + 1))
{ printf 'Subject: big\n\n'; cat "$T/bigbody"; } | "$SENDMAIL" -i to@example.net || t_fail "enqueue big"
id=$(ls "$SPOOL/new" | head -1)
t0=$(date +%s); timeout 60 "$MAILSHIM" flush > "$T/out" 2>&1; rc=$?; t1=$(date +%s)
reason=$(sed -n 's/^reason //p' "$SPOOL/queue/$id.state" 2>/dev/null)
[ "$rc" = 75 ] && [ -f "$SPOOL/queue/$id" ] && [ $((t1 - t0)) -le $LIMIT ] && [ -n "$reason" ] &&
	t_ok "stall in the middle of DATA: 75 in $((t1 - t0))s: $reason" ||
	t_fail "stall mid-DATA: rc=$rc time=$((t1 - t0)) reason='$reason' $(tail -2 "$T/out")"
"$MAILSHIM" delete "$id" >/dev/null 2>&1
kill "$FPID" 2>/dev/null

srv close-after-data --close-after-data; relay "$SMTPD_PORT"
check "close after DATA before the reply" 'lost|closed|reply|failure|receive'
smtpd_stop

# TLS: implicit TLS against a plain-text server (handshake fails), and a
# certificate from a CA the client does not trust.
srv plain; relay "$SMTPD_PORT" "tls = \"tls\" ca_file = \"$T/certs/ca.pem\""
check "TLS handshake failure" 'ssl|tls|handshake|connect|wrong'
smtpd_stop
srv untrusted --cert "$T/certs/untrusted.pem" --key "$T/certs/untrusted.key"
relay "$SMTPD_TLS_PORT" "tls = \"tls\" ca_file = \"$T/certs/ca.pem\""
check "untrusted certificate" 'certif|ssl|tls|verify|peer'
smtpd_stop
srv untrusted2 --cert "$T/certs/untrusted.pem" --key "$T/certs/untrusted.key"
relay "$SMTPD_PORT" "tls = \"starttls\" ca_file = \"$T/certs/ca.pem\""
check "untrusted certificate (STARTTLS)" 'certif|ssl|tls|verify|peer'
smtpd_stop

n=$(find "$SPOOL/dead" -type f | wc -l)
[ "$n" = 0 ] && t_ok "$cases fault cases, nothing went dead" || t_fail "$n dead letters"
t_done
