#!/bin/sh
# ops_syslog.sh - log lines reach the syslog socket (facility mail, tag
# mailshim), and where there is none (a container without a syslog
# daemon) neither the front end nor a delivery tries to connect to
# /dev/log for each line; a daemon started later is used within a second
# by a running flusher. The test re-runs itself in a private mount
# namespace with a tmpfs over /dev (null, zero, full, random and urandom
# made there with mknod), where it can remove and create /dev/log
# without touching the host's. It counts connect(2) calls with strace.
# Needs root (unshare, mount) and strace.
set -u
if [ "${OPS_SYSLOG_INSIDE:-0}" != 1 ]; then
	test "$(id -u)" = 0 || { echo "SKIP: needs root (unshare, mount)"; exit 77; }
	command -v strace >/dev/null 2>&1 || { echo "SKIP: no strace (Debian: strace)"; exit 77; }
	unshare --mount --propagation private true 2>/dev/null ||
	    { echo "SKIP: unshare --mount is not permitted here"; exit 77; }
	OPS_SYSLOG_INSIDE=1 exec unshare --mount --propagation private sh "$0"
fi

. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init

# A /dev of our own: the devices the programs use, and no /dev/log.
mount -t tmpfs -o mode=0755 testdev /dev || t_abort "cannot mount a tmpfs on /dev"
for d in "null 3" "zero 5" "full 7" "random 8" "urandom 9"; do
	set -- $d
	mknod -m 0666 "/dev/$1" c 1 "$2" || t_abort "cannot make /dev/$1"
done
ln -s /proc/self/fd /dev/fd

# A syslog daemon's socket: every datagram, one a line, into $T/syslog.
listener=
start_syslog() {
	"$PYTHON3" -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(0.5)
end = time.monotonic() + 60
with open(sys.argv[1], "ab", buffering=0) as out:
    while time.monotonic() < end:
        try:
            out.write(s.recv(65536).replace(b"\n", b" ") + b"\n")
        except socket.timeout:
            pass
' "$T/syslog" &
	listener=$!
	t_pids="${t_pids:-} $listener"
	t_wait 10 test -S /dev/log || t_abort "the syslog listener did not start"
}
stop_syslog() {
	kill "$listener" 2>/dev/null
	wait "$listener" 2>/dev/null
	rm -f /dev/log
}
log_connects() { grep -c 'sun_path="/dev/log"' "$1"; }

# 1. No /dev/log: 20 messages queued and delivered. Neither program
#    tries the socket (glibc's syslog() alone would, once a line), and
#    the copies on stderr are all there.
for i in $(seq 20); do
	printf 'Subject: s%s\n\nx\n' "$i" > "$T/m"
	if [ "$i" = 1 ]; then
		strace -f -qq -e trace=connect -o "$T/st.front" "$SENDMAIL" -i "r$i@example.net" < "$T/m"
	else
		sendmail -i "r$i@example.net" < "$T/m"
	fi || t_fail "sendmail $i exit $?"
done
strace -f -qq -e trace=connect -o "$T/st.flush" "$MAILSHIM" flush 2> "$T/log1" ||
    t_fail "flush exit $?"
[ "$(t_count "$CAPTURE/new")" = 20 ] || t_fail "delivered $(t_count "$CAPTURE/new") of 20"
[ "$(grep -c 'status=sent' "$T/log1")" = 20 ] || t_fail "stderr copies: $(grep -c 'status=sent' "$T/log1") of 20"
n=$(log_connects "$T/st.flush")
[ "$n" = 0 ] && t_ok "flusher: no connect to a missing /dev/log" ||
    t_fail "flusher tried /dev/log $n times for 20 deliveries"
n=$(log_connects "$T/st.front")
[ "$n" = 0 ] && t_ok "front end: no connect to a missing /dev/log" ||
    t_fail "front end tried /dev/log $n times"

# 2. A syslog daemon: the lines arrive, facility mail, severity info
#    (<22> = 2 * 8 + 6, RFC 3164 / RFC 5424 PRI), tag mailshim.
start_syslog
printf 'Subject: p2\n\nx\n' | sendmail -i p2@example.net || t_fail "sendmail p2"
mailshim flush 2>/dev/null || t_fail "flush p2"
t_wait 5 grep -q '^<22>.*mailshim\[[0-9]*\]: .*to=<p2@example.net>.*status=sent' "$T/syslog" &&
    t_ok "delivery line at the syslog socket" ||
    t_fail "no delivery line at the syslog socket: $(cat "$T/syslog")"
grep -q 'mailshim\[[0-9]*\]: .*p2@example.net' "$T/syslog" ||
    t_fail "no line of the front end's: $(cat "$T/syslog")"

# 3. The daemon starts while a flusher runs: after at most a second the
#    flusher's lines reach it.
stop_syslog
: > "$T/syslog"
"$MAILSHIM" flush --watch 2> "$T/watch.log" & W=$!
t_pids="${t_pids:-} $W"
sleep 0.5
printf 'Subject: w1\n\nx\n' | sendmail -i w1@example.net
t_wait 10 grep -q 'to=<w1@example.net>.*status=sent' "$T/watch.log" || t_fail "watch did not deliver w1"
start_syslog
sleep 1.2
printf 'Subject: w2\n\nx\n' | sendmail -i w2@example.net
t_wait 10 grep -q 'to=<w2@example.net>.*status=sent' "$T/watch.log" || t_fail "watch did not deliver w2"
t_wait 5 grep -q 'mailshim\[[0-9]*\]: .*to=<w2@example.net>.*status=sent' "$T/syslog" &&
    t_ok "a running flusher uses a syslog daemon started after it" ||
    t_fail "the flusher's w2 line did not reach the new socket: $(cat "$T/syslog")"
grep -q 'to=<w1@example.net>' "$T/syslog" && t_fail "w1's line arrived with no socket there"
kill -TERM "$W"; wait "$W"
stop_syslog
t_done
