#!/bin/sh
# core_schedule.sh - deferred messages filed by the minute of their next
# attempt (spool/README, "The schedule"; issue 18), under faketime:
#   - after a pass, queue/ holds no deferred message: each is
#     deferred/YYYYMMDDHHMM/ID + ID.state, the bucket named by the UTC
#     minute of the state's mtime (= its "next" line), buckets 0700;
#   - nothing is delivered early and nothing is missed once due: passes
#     run just before and just after each message's next attempt
#     (clock jumped forward with faketime);
#   - the clock set back a little (within retry_max): nothing due; set
#     back beyond retry_max: everything due (the rule of flush/pass.c);
#   - emptied buckets are removed, an orphan state in a due bucket too,
#     junk in deferred/ is left alone with a log line;
#   - queue/json/stats/show/retry/delete of deferred messages; check
#     verifies deferred/.
. "$top_srcdir/tests/integration/lib.sh"
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
faketime -f '+1d' true 2>/dev/null || { echo "FAIL: faketime does not run"; exit 1; }
t_setup
t_init
# A file where the Maildir should be: delivery defers until it goes.
box_conf() {
	T_RETRY_FIRST=${1:-600} T_RETRY_MAX=${2:-7200} T_NO_DEFAULT=1 \
	    t_conf 'relay "box" { type = "maildir" path = "'"$T/box"'" }
route "default" { relays = {"box"} }'
}
delivered() { find "$T/box/new" -type f 2>/dev/null | wc -l; }
break_box() { [ ! -d "$T/box" ] || mv "$T/box" "$T/box.ok"; : > "$T/box"; }
fix_box() { rm -f "$T/box"; [ ! -d "$T/box.ok" ] || mv "$T/box.ok" "$T/box"; }
# at SECONDS_FROM_NOW CMD...: run CMD with the clock at that time.
at() { off=$1; shift; faketime -f "+${off}s" "$@"; }

box_conf
break_box
for i in 1 2 3 4; do
	printf 'Subject: s%s\n\nbody %s\n' "$i" "$i" | sendmail -i "r$i@example.net" || t_fail "enqueue $i"
done
mailshim flush 2>/dev/null
fix_box

# 1. The layout on disk.
[ -z "$(ls -A "$SPOOL/queue")" ] && t_ok "queue/ empty of deferred messages after a pass" \
    || t_fail "queue/ still holds: $(ls -A "$SPOOL/queue")"
[ "$(t_deferred | wc -l)" = 4 ] || t_fail "deferred: $(t_deferred | wc -l) of 4"
"$PYTHON3" - "$SPOOL" <<'PY' && t_ok "deferred/B/ID + ID.state, B = UTC minute of the state's mtime, 0700" || t_fail "layout"
import os, stat, sys, time
spool = sys.argv[1]
d = os.path.join(spool, "deferred")
assert stat.S_IMODE(os.lstat(d).st_mode) == 0o700, oct(os.lstat(d).st_mode)
n = 0
for b in os.listdir(d):
    p = os.path.join(d, b)
    st = os.lstat(p)
    assert stat.S_ISDIR(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o700, (b, oct(st.st_mode))
    names = sorted(os.listdir(p))
    ids = [x for x in names if "." not in x]
    assert names == sorted(ids + [i + ".state" for i in ids]), names
    for i in ids:
        sp = os.path.join(p, i + ".state")
        mtime = int(os.lstat(sp).st_mtime)
        assert time.strftime("%Y%m%d%H%M", time.gmtime(mtime)) == b, (b, mtime)
        nxt = [int(l.split()[1]) for l in open(sp) if l.startswith("next ")]
        assert nxt == [mtime], (nxt, mtime)
        n += 1
assert n == 4, n
PY

# Each message's next attempt, from its state file.
nexts() {
	for b in "$SPOOL"/deferred/*/; do
		for s in "$b"*.state; do
			[ -f "$s" ] && sed -n 's/^next //p' "$s"
		done
	done | sort -n
}
NEXTS=$(nexts)
FIRST=$(echo "$NEXTS" | head -1)
LAST=$(echo "$NEXTS" | tail -1)

# 2. The clock set back 30 min (within retry_max = 2 h): not due.
faketime -f "-1800s" "$MAILSHIM" flush 2>/dev/null
[ "$(delivered)" = 0 ] && t_ok "clock back within retry_max: nothing due" \
    || t_fail "clock back 30 min: $(delivered) delivered"

# 3. Listings of deferred messages.
mailshim queue > "$T/q" || t_fail "queue exit $?"
[ "$(grep -c '^[0-9A-F]\{22\} ' "$T/q")" = 4 ] && grep -q 'in 4 Requests' "$T/q" \
    && t_ok "queue lists the deferred messages" || t_fail "queue: $(cat "$T/q")"
mailshim queue --json > "$T/j" || t_fail "queue --json exit $?"
"$PYTHON3" - "$T/j" <<'PY' && t_ok "queue --json: deferred, in time order" || t_fail "json: $(cat "$T/j")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 4, rows
assert all(r["queue_name"] == "deferred" and r["attempts"] == 1 for r in rows), rows
minutes = [r["next_try"] // 60 for r in rows]
assert minutes == sorted(minutes), minutes
PY
mailshim stats > "$T/st" || t_fail "stats exit $?"
grep -q '^deferred  4$' "$T/st" && grep -q '^queued    0$' "$T/st" \
    && t_ok "stats counts the buckets" || t_fail "stats: $(cat "$T/st")"
ID=$(t_deferred | head -1)
mailshim show "$ID" > "$T/show" || t_fail "show exit $?"
grep -q '^where: deferred$' "$T/show" && grep -q '^attempts: 1$' "$T/show" \
    && t_deferred | grep -qx "$ID" && t_ok "show reads a deferred message in place" \
    || t_fail "show: $(head -5 "$T/show")"
mailshim delete "$ID" >/dev/null || t_fail "delete exit $?"
[ "$(t_deferred | wc -l)" = 3 ] && [ "$(t_deferred_states | wc -l)" = 3 ] \
    && [ -z "$(ls -A "$SPOOL/queue")" ] && t_ok "delete of a deferred message" \
    || t_fail "delete: deferred $(t_deferred | wc -l), queue $(ls -A "$SPOOL/queue")"
NEXTS=$(nexts)

# 4. Passes around each next attempt: never early, never missed. What
#    must have gone out is every message due by the latest clock a pass
#    has seen (two next attempts can be seconds apart: the one 3 s after
#    the first may already be due then).
reached=0
due_by() { c=0; for m in $NEXTS; do [ "$m" -le "$1" ] && c=$((c + 1)); done; echo "$c"; }
for n in $NEXTS; do
	before=$((n - 20 - $(date +%s)))
	at "$before" "$MAILSHIM" flush 2>/dev/null
	[ $((n - 20)) -gt "$reached" ] && reached=$((n - 20))
	want=$(due_by "$reached")
	[ "$(delivered)" = "$want" ] || t_fail "20 s before $n: $(delivered) delivered, want $want"
	after=$((n + 3 - $(date +%s)))
	at "$after" "$MAILSHIM" flush 2>/dev/null
	[ $((n + 3)) -gt "$reached" ] && reached=$((n + 3))
	want=$(due_by "$reached")
	[ "$(delivered)" = "$want" ] || t_fail "3 s after $n: $(delivered) delivered, want $want"
done
[ "$(delivered)" = 3 ] && t_ok "each delivered when due, none early (next $FIRST..$LAST)" \
    || t_fail "delivered $(delivered) of 3"
[ -z "$(ls -A "$SPOOL/deferred")" ] && [ -z "$(ls -A "$SPOOL/queue")" ] \
    && t_ok "emptied buckets removed" || t_fail "left: $(ls -AR "$SPOOL/deferred" "$SPOOL/queue")"

# 5. The clock set back beyond retry_max: due now.
box_conf 600 1200
break_box
printf 'Subject: back\n\nbody\n' | sendmail -i b@example.net || t_fail enqueue
mailshim flush 2>/dev/null
[ "$(t_deferred | wc -l)" = 1 ] || t_fail "not deferred"
fix_box
faketime -f "-3h" "$MAILSHIM" flush 2>/dev/null
[ "$(delivered)" = 4 ] && t_ok "clock back beyond retry_max: due, delivered" \
    || t_fail "clock back 3 h: $(delivered) delivered"

# 6. retry (all) and retry ID bring deferred messages back, due now.
break_box
for i in 5 6; do
	printf 'Subject: r%s\n\nbody\n' "$i" | sendmail -i "r$i@example.net" || t_fail enqueue
done
mailshim flush 2>/dev/null
[ "$(t_deferred | wc -l)" = 2 ] || t_fail "retry set-up: $(t_deferred | wc -l) deferred"
fix_box
ID=$(t_deferred | head -1)
mailshim retry "$ID" >/dev/null || t_fail "retry ID exit $?"
[ -f "$SPOOL/queue/$ID" ] && [ -f "$SPOOL/queue/$ID.state" ] || t_fail "retry ID: not in queue/"
mailshim flush 2>/dev/null
[ "$(delivered)" = 5 ] && [ "$(t_deferred | wc -l)" = 1 ] && t_ok "retry ID" \
    || t_fail "retry ID: delivered $(delivered), deferred $(t_deferred | wc -l)"
mailshim retry >/dev/null || t_fail "retry exit $?"
[ -z "$(ls -A "$SPOOL/deferred")" ] || t_fail "retry left $(ls -AR "$SPOOL/deferred")"
mailshim flush 2>/dev/null
[ "$(delivered)" = 6 ] && t_ok "retry returns every bucket" || t_fail "retry: delivered $(delivered)"

# 7. An ID.state alone in a due bucket is an orphan (a state leaves a
#    bucket before its message and arrives after it); junk is left alone.
mkdir -m 700 "$SPOOL/deferred/202001010000"
printf 'format 2\nattempts 1\n' > "$SPOOL/deferred/202001010000/0006652D1A2B3C4D5E6F70.state"
: > "$SPOOL/deferred/notabucket"
mailshim flush 2> "$T/err"
[ ! -e "$SPOOL/deferred/202001010000" ] && grep -q 'removed orphan.*0006652D1A2B3C4D5E6F70.state' "$T/err" \
    && t_ok "orphan state in a due bucket removed, bucket with it" \
    || t_fail "orphan: $(ls -R "$SPOOL/deferred") $(cat "$T/err")"
[ -f "$SPOOL/deferred/notabucket" ] && grep -q 'ignoring .*deferred/notabucket: not a bucket name' "$T/err" \
    && t_ok "junk in deferred/ left alone, said" || t_fail "junk: $(cat "$T/err")"
rm -f "$SPOOL/deferred/notabucket"

# 8. check verifies deferred/ (owner, mode).
chmod 755 "$SPOOL/deferred"
mailshim check --no-network > "$T/check" 2>&1
grep -q 'FAIL.*deferred has mode 0755, want 0700' "$T/check" && t_ok "check: deferred/ mode" \
    || t_fail "check: $(grep -i spool "$T/check")"
chmod 700 "$SPOOL/deferred"
t_done
