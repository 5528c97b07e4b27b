#!/bin/sh
# hard_schedule_upgrade.sh - an old-layout spool (deferred messages as
# queue/ID + queue/ID.state with a future mtime, no deferred/) upgrades
# in place (issue 18; spool/README "The schedule"):
#   - `mailshim init` makes deferred/ and files every not-yet-due pair
#     into its bucket, each state byte for byte and mtime unchanged;
#   - a pass does the same for pairs it finds in queue/ (and sends
#     nothing early);
#   - every recipient keeps its status: a@ (sent before the upgrade) is
#     never sent again, b@ (deferred) is delivered once when due.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
t_setup
t_init
count_rcpt() { # ADDR DIR...
	_a=$1; shift
	for _d in "$@"; do cat "$_d"/msg-*.json 2>/dev/null; done | grep -o "\"$_a\"" | wc -l
}
use() {
	T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf "relay \"r\" { type = \"smtp\" host = \"127.0.0.1\" port = $1 tls = \"none\" }
route \"default\" { relays = {\"r\"} }"
}
smtpd_start "$T/defer" --no-starttls --rcpt-reply 'b@example.net=451 4.3.0 later' || t_abort "smtpd defer"
D_PORT=$SMTPD_PORT D_PID=$SMTPD_PID D_OUT=$SMTPD_OUT
smtpd_start "$T/ok" --no-starttls || t_abort "smtpd ok"
O_PORT=$SMTPD_PORT O_PID=$SMTPD_PID O_OUT=$SMTPD_OUT
t_pids="$D_PID $O_PID"
use "$D_PORT"
for i in 1 2 3; do
	printf 'Subject: up%s\n\nbody\n' "$i" | sendmail -i "a$i@example.net" b@example.net || t_fail enqueue
done
mailshim flush 2>/dev/null
[ "$(t_deferred | wc -l)" = 3 ] || t_abort "set-up: $(t_deferred | wc -l) deferred"

# to_old [keep]: move every pair back into queue/ as an old spool had
# them; without "keep", deferred/ goes too. Saves the states in $T/saved.
to_old() {
	rm -rf "$T/saved"; mkdir "$T/saved"
	for b in "$SPOOL"/deferred/*/; do
		for f in "$b"*; do
			[ -f "$f" ] || continue
			case $f in *.state) cp -p "$f" "$T/saved/" ;; esac
			mv "$f" "$SPOOL/queue/"
		done
		rmdir "$b"
	done
	[ "${1:-}" = keep ] || rmdir "$SPOOL/deferred"
}
# states_kept: every saved state is in a bucket, same bytes, same mtime,
# the bucket named by that mtime's UTC minute.
states_kept() {
	"$PYTHON3" - "$SPOOL" "$T/saved" <<'PY'
import os, sys, time
spool, saved = sys.argv[1], sys.argv[2]
names = os.listdir(saved)
assert len(names) == 3, names
for n in names:
    old = os.path.join(saved, n)
    mt = int(os.stat(old).st_mtime)
    b = time.strftime("%Y%m%d%H%M", time.gmtime(mt))
    new = os.path.join(spool, "deferred", b, n)
    assert open(old, "rb").read() == open(new, "rb").read(), n
    assert int(os.stat(new).st_mtime) == mt, n
    assert os.path.exists(new[:-len(".state")]), n
assert os.listdir(os.path.join(spool, "queue")) == []
PY
}

to_old
[ ! -e "$SPOOL/deferred" ] && [ "$(ls "$SPOOL/queue" | wc -l)" = 6 ] || t_abort "old layout not made"
mailshim flush 2>/dev/null
[ "$(count_rcpt b@example.net "$D_OUT" "$O_OUT")" = 0 ] && [ "$(ls "$SPOOL/queue" | wc -l)" = 6 ] || t_fail "old spool before init: b@ tried early, or the pairs moved"
mailshim init > "$T/init.out" 2>&1 || t_fail "init exit $?"
[ -d "$SPOOL/deferred" ] && grep -q '^3 deferred messages filed' "$T/init.out" && states_kept \
    && t_ok "mailshim init files an old spool in place, states unchanged" \
    || t_fail "init upgrade: $(cat "$T/init.out"); $(ls -R "$SPOOL/queue" "$SPOOL/deferred")"
mailshim stats | grep -q '^deferred  3$' || t_fail "stats after init: $(mailshim stats | head -3)"

to_old keep
use "$O_PORT"
mailshim flush 2>/dev/null
[ "$(count_rcpt b@example.net "$O_OUT")" = 0 ] && states_kept \
    && t_ok "a pass files not-yet-due pairs from queue/, sends nothing early" \
    || t_fail "pass upgrade: b@ sent $(count_rcpt b@example.net "$O_OUT"); $(ls -R "$SPOOL/queue" "$SPOOL/deferred")"

faketime -f +2h "$MAILSHIM" flush 2>/dev/null || t_fail "due flush"
a=0; for i in 1 2 3; do a=$((a + $(count_rcpt "a$i@example.net" "$D_OUT" "$O_OUT"))); done
[ "$a" = 3 ] && [ "$(count_rcpt b@example.net "$O_OUT")" = 3 ] \
    && [ -z "$(find "$SPOOL/queue" "$SPOOL/deferred" -type f)" ] \
    && t_ok "every recipient kept its status: a@ once, b@ delivered when due" \
    || t_fail "after the upgrade: a@ $a copies (3), b@ $(count_rcpt b@example.net "$O_OUT") (3)"
SMTPD_PID=$D_PID; smtpd_stop; SMTPD_PID=$O_PID; smtpd_stop
t_done
