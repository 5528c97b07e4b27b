#!/bin/sh
# smtp_faults.sh - connection-level faults keep the mail queued (temp) and
# mark the relay failed, each within the configured timeouts, with a reply
# text that says what happened.
. "$top_srcdir/tests/integration/smtp_lib.sh"
msg "$T/msg"

# timed NAME MAXSECONDS: run the driver, fail if it took longer
timed() {
	t0=$(date +%s)
	drive -f a@example.com "$T/msg" b@example.com
	t1=$(date +%s)
	if [ $((t1 - t0)) -le "$2" ]; then ok "$1: done in $((t1 - t0))s"
	else fail "$1: took $((t1 - t0))s, limit $2s"; fi
}
# failed NAME REGEX: temp with that text, relay failed, nothing delivered
failed() {
	expect_line "^b@example.com temp $2" "$1: temp, says what happened"
	expect_line '^health=failed' "$1: relay failed"
	if ls "$SMTPD_OUT" 2>/dev/null | grep -q '^msg-'; then
		fail "$1: server recorded a message"
	fi
}

# a port nobody listens on
PORT=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
conf "$PORT"
SMTPD_OUT=$T/none
timed "connection refused" 10
failed "connection refused" "connect to 127.0.0.1:$PORT failed: Connection refused"

smtpd_start "$T/b421" --raw banner-421
conf "$SMTPD_PORT"
timed "421 banner" 10
failed "421 banner" "421 4.3.2 Service not available"
smtpd_stop

for mode in no-banner slow endless garbage; do
	smtpd_start "$T/$mode" --raw $mode --lifetime 30
	conf "$SMTPD_PORT" 'timeout = 2' 'connect_timeout = 2'
	timed "$mode" 12
	failed "$mode" '.*(timed out|lost|[Ee]xcessive|[Ww]eird)'
	smtpd_stop
done

smtpd_start "$T/drop" --drop-mid-data
conf "$SMTPD_PORT"
timed "dropped mid-DATA" 10
failed "dropped mid-DATA" '.*(lost|[Ff]ailed|error)'
smtpd_stop

smtpd_start "$T/close" --close-after-data
conf "$SMTPD_PORT"
timed "closed after DATA" 10
failed "closed after DATA" 'connection lost after the message was sent, before the server.s reply'
smtpd_stop

for stage in mail dot; do
	smtpd_start "$T/stall-$stage" --stall "$stage=20"
	conf "$SMTPD_PORT" 'timeout = 2'
	timed "stall at $stage" 10
	failed "stall at $stage" 'timed out'
	smtpd_stop
done

smtpd_start "$T/maxtime" --stall "dot=20"
conf "$SMTPD_PORT" 'timeout = 30' 'max_time = 2'
timed "max_time" 10
failed "max_time" 'timed out'
smtpd_stop

finish
