#!/bin/sh
# hard_durable_owner.sh - admin commands run as root leave every spool
# file owned by the spool's owner, and a state the flusher cannot read is
# a temporary error, never a reason to set a good message aside
# (issue 19 item 1). A user "msdur" (created and removed here) plays the
# mailshim user; the spool is chowned to it.
#   - root's retry / flush / sendmail -q / requeue: ID.state and run/
#     files stay msdur's;
#   - an ID.state root:root 0600: the flusher (as msdur) exits 75, logs
#     why, keeps the message queued; fixed owner -> delivered, not dead;
#   - a root-owned run/hold-RELAY: logged, then replaced (msdur's).
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (creates a user)"; exit 77; }
for c in useradd userdel runuser; do
	command -v $c >/dev/null || { echo "SKIP: $c missing"; exit 77; }
done
U=msdur
created=
if ! id "$U" >/dev/null 2>&1; then
	useradd -M -U -s /bin/sh -d /nonexistent "$U" || exit 99
	created=$U
fi
. "$top_srcdir/tests/integration/lib.sh"
t_setup
trap 't_cleanup; [ -n "$created" ] && userdel "$created" 2>/dev/null' EXIT
as_u() { runuser -u "$U" -- env MAILSHIM_CONFIG="$CONF" MAILSHIM_LOG_STDERR=1 "$MAILSHIM" "$@"; }
down='relay "down" { type = "smtp" host = "127.0.0.1" port = 1 tls = "none" connect_timeout = 2 }'
T_NO_DEFAULT=1 t_conf "$down
route \"default\" { relays = {\"down\"} }"
chmod 644 "$CONF"
t_init
chown -R "$U:$U" "$SPOOL"
mkdir "$CAPTURE" && chown "$U:$U" "$CAPTURE"

# Files under the spool not owned by U, except the messages themselves
# (owned by whoever submitted them: root here).
not_owned() {
	find "$SPOOL/queue" "$SPOOL/dead" "$SPOOL/run" -mindepth 1 ! -user "$U" \
	    -name '*.*' -print
	find "$SPOOL/run" -mindepth 1 ! -user "$U" -print
}

printf 'Subject: one\n\nbody\n' | sendmail -i a@example.net || t_fail "enqueue 1"
as_u flush 2>/dev/null; rc=$?
[ "$rc" = 75 ] || t_fail "first flush as $U: rc=$rc, want 75"
ID=$(ls "$SPOOL/queue" | grep -v '\.' | head -1)
[ -n "$ID" ] && [ -f "$SPOOL/queue/$ID.state" ] || t_fail "no state after a deferral"

# root: retry, a flush (relay still down: state and hold rewritten).
mailshim retry "$ID" >/dev/null 2>&1 || t_fail "retry as root"
mailshim retry >/dev/null 2>&1 || t_fail "retry (all) as root"
mailshim flush >/dev/null 2>&1
mailshim queue >/dev/null 2>&1
mailshim retry >/dev/null 2>&1
sendmail -q >/dev/null 2>&1   # execs mailshim flush, as root
bad=$(not_owned | sort -u)
[ -z "$bad" ] && t_ok "root's retry/flush leave $U's files" \
    || t_fail "root left files $U cannot own: $(echo "$bad" | tr '\n' ' ') $(ls -ln "$SPOOL/queue" "$SPOOL/run")"

# A state root:root 0600 (as the old admin tools left it).
touch -m -d 2000-01-01 "$SPOOL/queue/$ID.state"  # due now
chown root:root "$SPOOL/queue/$ID.state"; chmod 600 "$SPOOL/queue/$ID.state"
T_NO_DEFAULT=1 t_conf "$down
route \"default\" { relays = {\"capture\"} }"
as_u flush 2> "$T/err"; rc=$?
[ "$rc" = 75 ] || t_fail "unreadable state: rc=$rc, want 75"
grep -q "cannot read.*$ID.state.*Permission denied" "$T/err" \
    && t_ok "unreadable state logged" || t_fail "no log line: $(cat "$T/err")"
[ -f "$SPOOL/queue/$ID" ] && [ "$(t_count "$SPOOL/dead")" = 0 ] \
    && t_ok "message kept queued, not set aside" \
    || t_fail "message moved: queue=$(ls "$SPOOL/queue") dead=$(ls "$SPOOL/dead")"
[ "$(t_count "$CAPTURE/new")" = 0 ] || t_fail "delivered without its state"
chown "$U:$U" "$SPOOL/queue/$ID.state"
as_u retry "$ID" >/dev/null || t_fail "retry as $U"
as_u flush 2>/dev/null || t_fail "flush after the owner was fixed"
[ "$(t_count "$CAPTURE/new")" = 1 ] && t_ok "delivered once the state is readable" \
    || t_fail "capture has $(t_count "$CAPTURE/new")"

# requeue by root: dead -> queue keeps U's ownership.
T_NO_DEFAULT=1 t_conf "$down
route \"default\" { relays = {\"down\"} }"
printf 'Subject: two\n\nbody\n' | sendmail -i a@example.net || t_fail "enqueue 2"
as_u flush >/dev/null 2>&1
ID2=$(ls "$SPOOL/queue" | grep -v '\.' | head -1)
runuser -u "$U" -- mv "$SPOOL/queue/$ID2" "$SPOOL/queue/$ID2.state" "$SPOOL/dead/" \
    || t_fail "make a dead letter"
mailshim requeue "$ID2" >/dev/null 2>&1 || t_fail "requeue as root"
[ -f "$SPOOL/queue/$ID2.state" ] || t_fail "requeue wrote no state"
bad=$(not_owned | sort -u)
[ -z "$bad" ] && t_ok "root's requeue leaves $U's files" || t_fail "requeue left: $bad"
as_u delete "$ID2" >/dev/null 2>&1 || t_fail "delete $ID2"

# A root-owned hold file: said loudly, then replaced.
printf 'Subject: four\n\nbody\n' | sendmail -i a@example.net || t_fail "enqueue 4"
echo "1 old" > "$SPOOL/run/hold-down"; chmod 600 "$SPOOL/run/hold-down"
chown root:root "$SPOOL/run/hold-down"
as_u flush 2> "$T/err"
grep -q 'cannot read run/hold-down' "$T/err" && t_ok "unreadable hold logged" \
    || t_fail "unreadable hold silent: $(cat "$T/err")"
[ "$(stat -c %U "$SPOOL/run/hold-down")" = "$U" ] && t_ok "hold file replaced" \
    || t_fail "hold file still $(stat -c %U "$SPOOL/run/hold-down")"
t_done
