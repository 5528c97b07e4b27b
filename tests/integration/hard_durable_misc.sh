#!/bin/sh
# hard_durable_misc.sh - the smaller flusher faults of issue 19 item 6:
#   - a damaged message is set aside while its claim is held (strace:
#     the rename to dead/ID.bad comes before the close of queue/ID);
#   - orphan ID.state / ID.state.tmp (message in neither area) and our maildir tmp/
#     files (36 hours old) are removed (faketime moves the clock), but
#     not while another flusher delivers (run/flushing held shared),
#     nor through a run/flushing planted as a symlink or a directory;
#   - run/rate-RELAY is replaced by rename, never rewritten in place;
#   - SIGTERM to `flush --workers 2` reaches the worker: both stop after
#     their transaction in progress instead of draining the queue;
#   - `flush --watch` delivers at once after `mailshim retry` (run/wake),
#     not after the 60 s rescan.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
for c in strace faketime; do
	command -v $c >/dev/null || { echo "FAIL: $c missing (contrib/deps.sh)"; exit 1; }
done
t_setup
t_init
ORDER="$PYTHON3 $top_srcdir/tests/integration/hard_order_check.py"
check() { # what LOG STEPS...
	what=$1; log=$2; shift 2
	if $ORDER "$log" "$@" > "$T/order.out"; then t_ok "$what"
	else t_fail "$what: $(cat "$T/order.out")"; fi
}
HOST=test.example.com   # lib.sh's hostname

# 1. Quarantine under the claim.
BAD=0660EE6B460D7DB5A643F2
printf 'garbage\n' > "$SPOOL/queue/$BAD"; chmod 604 "$SPOOL/queue/$BAD"
strace -f -y -qq -e trace=renameat,renameat2,close -o "$T/t1" "$MAILSHIM" flush 2>/dev/null
[ -f "$SPOOL/dead/$BAD.bad" ] || t_fail "damaged message not set aside"
# strace -y names a descriptor by its path at the time: after the rename,
# the message's is dead/ID.bad; closed before it (the old order) it is
# queue/ID.
check "set aside while claimed" "$T/t1" "rename:dead:$BAD.bad" "close:dead:$BAD.bad"

# 2. Orphans; maildir tmp/ files 36 hours old (faketime +2h is harmless).
ORPH=0660EE6B460D7DB5A643F3
LIVE=0660EE6B460D7DB5A643F4
printf 'attempts 1\n' > "$SPOOL/queue/$ORPH.state"
printf 'x' > "$SPOOL/queue/$ORPH.state.tmp"
printf 'attempts 1\n' > "$SPOOL/dead/$ORPH.state"
mkdir -p "$CAPTURE/tmp" "$CAPTURE/new" "$CAPTURE/cur"
MTMP="$CAPTURE/tmp/1795424400.M1P1Q$ORPH.$HOST"
OTHER="$CAPTURE/tmp/1795424400.M1P1.otherhost"
printf 'x' > "$MTMP"; printf 'x' > "$OTHER"
touch -d '3 days ago' "$MTMP" "$OTHER"
# While another flusher delivers (it holds run/flushing shared; flock(1)
# plays it) nothing is swept: a state whose message it has just removed
# is not an orphan yet.
: > "$SPOOL/run/flushing"
flock -s "$SPOOL/run/flushing" "$MAILSHIM" flush 2>"$T/busy.err" || t_fail "flush beside another"
[ -e "$SPOOL/queue/$ORPH.state" ] && [ -e "$SPOOL/dead/$ORPH.state" ] &&
    ! grep -q orphan "$T/busy.err" && t_ok "no sweep while another flusher delivers" ||
    t_fail "swept beside another flusher: $(cat "$T/busy.err") $(ls "$SPOOL/queue" "$SPOOL/dead")"
# A run/flushing planted as a dangling symlink or a directory is not
# followed, created or locked through: the flush delivers, says once why
# it does not sweep, and leaves the orphans for a later pass.
printf 'Subject: planted\n\nbody\n' | sendmail -i a@example.net || t_fail enqueue
rm -f "$SPOOL/run/flushing"
for plant in symlink directory; do
	case $plant in
	symlink) ln -s "$T/made-by-flush" "$SPOOL/run/flushing" ;;
	directory) mkdir "$SPOOL/run/flushing" ;;
	esac
	"$MAILSHIM" flush 2>"$T/plant.err" || t_fail "flush with run/flushing a $plant"
	[ "$(grep -c 'not sweeping orphans: cannot open run/flushing: ' "$T/plant.err")" = 1 ] &&
	    [ -e "$SPOOL/queue/$ORPH.state" ] && [ ! -e "$T/made-by-flush" ] &&
	    t_ok "run/flushing a $plant: not followed, one warning, no sweep" ||
	    t_fail "run/flushing a $plant: $(cat "$T/plant.err"); $(ls "$SPOOL/queue" "$T")"
	rm -rf "$SPOOL/run/flushing"
done
[ "$(t_count "$CAPTURE/new")" = 1 ] && t_ok "delivered beside a planted run/flushing" ||
    t_fail "not delivered beside a planted run/flushing"
printf 'Subject: live\n\nbody\n' | sendmail -i a@example.net || t_fail enqueue
faketime -f +2h "$MAILSHIM" flush 2>/dev/null || t_fail "flush (+2h)"
[ ! -e "$SPOOL/queue/$ORPH.state" ] && [ ! -e "$SPOOL/queue/$ORPH.state.tmp" ] \
    && [ ! -e "$SPOOL/dead/$ORPH.state" ] && t_ok "orphan states removed" \
    || t_fail "orphans left: $(ls "$SPOOL/queue" "$SPOOL/dead")"
[ ! -e "$MTMP" ] && t_ok "maildir tmp/ leftover removed" || t_fail "maildir tmp/ leftover kept"
[ -e "$OTHER" ] || t_fail "someone else's maildir tmp/ file removed"
[ "$(t_count "$CAPTURE/new")" = 2 ] || t_fail "live message not delivered"

# 3. The rate file is replaced by rename.
t_conf 'relay "paced" { type = "maildir" path = "'"$CAPTURE"'" rate = "100" }
route "p" { senders = {"*@paced.example"} relays = {"paced"} }'
printf 'Subject: rate\n\nbody\n' | sendmail -i -f x@paced.example a@example.net || t_fail enqueue
strace -f -y -qq -e trace=renameat,renameat2,unlinkat,fsync -o "$T/t3" "$MAILSHIM" flush 2>/dev/null
check "run/rate-paced replaced by rename" "$T/t3" "rename:run:rate-paced"

# 4. SIGTERM reaches the workers.
smtpd_start "$T/s" --no-starttls --stall mail=2 || { echo "FAIL: smtpd"; exit 1; }
t_pids=$SMTPD_PID
T_NO_DEFAULT=1 t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" timeout = 30 }
route \"default\" { relays = {\"corp\"} }"
for i in 1 2 3 4 5 6 7 8; do
	printf 'Subject: w%s\n\nbody\n' "$i" | sendmail -i "w$i@example.net" || t_fail "enqueue w$i"
done
"$MAILSHIM" flush --workers 2 2>/dev/null & fp=$!
t_wait 10 grep -qs MAIL "$SMTPD_OUT/session.log" || t_fail "no worker started"
kill -TERM $fp
stopped() { ! pgrep -f "$MAILSHIM flush --workers" >/dev/null; }
t_wait 9 stopped && t_ok "flush --workers and its worker stop on SIGTERM" \
    || t_fail "still running 9 s after SIGTERM: $(pgrep -af "$MAILSHIM flush")"
for p in $(pgrep -f "$MAILSHIM flush --workers"); do kill -9 "$p"; done
wait $fp 2>/dev/null
left=$(ls "$SPOOL/queue" | grep -vc '\.')
[ "$left" -ge 3 ] && t_ok "the queue was not drained after SIGTERM ($left left)" \
    || t_fail "only $left left: the worker went on delivering"
smtpd_stop

# 5. --watch notices retry at once.
T_RETRY_FIRST=1h T_RETRY_MAX=2h t_conf 'relay "box" { type = "maildir" path = "'"$T/box"'" }
route "b" { senders = {"*@box.example"} relays = {"box"} }'
: > "$T/box"   # a file: the Maildir cannot be made, delivery defers
for id in $(ls "$SPOOL/queue" | grep -v '\.') $(t_deferred); do mailshim delete "$id" >/dev/null; done
rm -f "$SPOOL"/queue/*.state*
[ -z "$(ls -A "$SPOOL/queue" "$SPOOL/new" | grep -v ":$" | grep .)" ] || t_fail "queue not empty before --watch: $(ls -A "$SPOOL/queue" "$SPOOL/new")"
printf 'Subject: watch\n\nbody\n' | sendmail -i -f y@box.example a@example.net || t_fail enqueue
"$MAILSHIM" flush --watch 2>"$T/watch.err" & wp=$!
t_pids="$t_pids $wp"
t_wait 10 sh -c "find '$SPOOL/deferred' -name '*.state' | grep -q ." || t_fail "not deferred"
rm -f "$T/box"
sleep 1
mailshim retry >/dev/null || t_fail retry
t_wait 10 test -d "$T/box/new" && t_wait 5 sh -c "[ \$(ls '$T/box/new' | wc -l) = 1 ]" \
    && t_ok "--watch delivers right after retry" \
    || t_fail "--watch did not react to retry within 15 s"
kill -TERM $wp; wait $wp 2>/dev/null
t_done
