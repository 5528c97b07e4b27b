#!/bin/sh
# hard_drop_data.sh - a peer that closes the connection in the middle of
# the message body is reported as such in `mailshim queue`: "connection
# lost while sending the message (after N of M bytes)" with N < M (the
# body was not all handed to libcurl), while a peer that closes after the
# final dot still reads "connection lost after the message was sent,
# before the server's reply" (issue 14 item 8). Peers: hard_faultd.py
# dropdata (reads 64 KiB of an 8 MB body, then closes) and dropdot
# (reads up to the dot, then closes without a reply).
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init
rn=0

relay() { # PORT: one smtp relay, a new name each time (a failed relay is held)
	rn=$((rn + 1))
	T_NO_DEFAULT=1 t_conf "relay \"r$rn\" { type = \"smtp\" host = \"127.0.0.1\" port = $1 tls = \"none\" connect_timeout = 5 timeout = 10 }
route \"default\" { relays = {\"r$rn\"} }"
}
faultd() { # MODE: starts hard_faultd.py, sets FPORT
	rm -f "$T/fport"
	"$PYTHON3" "$top_srcdir/tests/integration/hard_faultd.py" "$1" "$T/fport" 60 &
	FPID=$!
	t_pids="${t_pids:-} $FPID"
	t_wait 10 test -s "$T/fport" || t_abort "faultd $1 did not start"
	FPORT=$(sed -n 's/^PORT=//p' "$T/fport")
}
# run NAME: flush the one queued message; $reason is its line in `mailshim queue`
run() {
	id=$(ls "$SPOOL/new" | head -1)
	timeout 60 "$MAILSHIM" flush > "$T/out" 2>&1; rc=$?
	[ "$rc" = 75 ] || t_fail "$1: flush exit $rc, want 75: $(tail -2 "$T/out")"
	"$MAILSHIM" queue > "$T/queue" 2>&1
	reason=$(cat "$T/queue")
	[ -f "$SPOOL/queue/$id" ] || t_fail "$1: message not queued"
}

# 1. closed mid-body: 8 MB, far beyond what the socket buffers hold
faultd dropdata; relay "$FPORT"
head -c 8000000 /dev/zero | tr '\0' x | fold -w 76 > "$T/bigbody"
{ printf 'Subject: big\n\n'; cat "$T/bigbody"; } | "$SENDMAIL" -i to@example.net ||
	t_abort "enqueue big"
run "dropped mid-body"
line=$(printf '%s\n' "$reason" | grep -o 'connection lost while sending the message (after [0-9]* of [0-9]* bytes)')
n=$(printf '%s' "$line" | sed -n 's/.*after \([0-9]*\) of \([0-9]*\) bytes.*/\1/p')
m=$(printf '%s' "$line" | sed -n 's/.*after \([0-9]*\) of \([0-9]*\) bytes.*/\2/p')
if [ -n "$line" ] && [ "$n" -lt "$m" ] && [ "$m" -gt 8000000 ]; then
	t_ok "dropped mid-body: $line"
else
	t_fail "dropped mid-body: want 'connection lost while sending the message (after N of M bytes)', N < M: $reason"
fi
printf '%s' "$reason" | grep -q 'after the message was sent' &&
	t_fail "dropped mid-body still says 'after the message was sent'"
"$MAILSHIM" delete "$(ls "$SPOOL/queue" | grep -v '\.' | head -1)" >/dev/null 2>&1
kill "$FPID" 2>/dev/null

# 2. closed after the final dot: the whole body went
faultd dropdot; relay "$FPORT"
printf 'Subject: small\n\nhello\n' | "$SENDMAIL" -i to@example.net || t_abort "enqueue small"
run "dropped after the dot"
if printf '%s' "$reason" | grep -q "connection lost after the message was sent, before the server's reply"; then
	t_ok "dropped after the dot: still 'after the message was sent'"
else
	t_fail "dropped after the dot: $reason"
fi
kill "$FPID" 2>/dev/null
t_done
