#!/bin/sh
# Files set aside as damaged (dead/*.bad, issue 14 defect 7) are visible
# and recoverable: `mailshim dead` lists them (text and --json), `stats`
# counts them, `check` WARNs, `show` prints them, `requeue` brings back a
# message whose envelope is sound with a fresh state (and refuses one
# whose envelope is not), `delete` removes one. A good message whose only
# fault is a damaged .state gets delivered after a requeue.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
: > "$T/notadir"
broken() {
	T_NO_DEFAULT=1 t_conf "relay \"broken\" { type = \"maildir\" path = \"$T/notadir/box\" }
route \"default\" { relays = {\"broken\"} }"
}
broken
t_init
printf 'Subject: good\n\nbody\n' | sendmail -i -f app@example.com a@example.net b@example.net ||
	t_fail "enqueue"
mailshim flush 2> "$T/log1"
id=$(ls "$SPOOL/queue" | grep -v state | head -n 1)
[ -f "$SPOOL/queue/$id.state" ] || t_fail "no state after a deferral: $(ls "$SPOOL/queue")"
# The state is damaged; the message is fine.
printf 'rcpt bogus 1 - x\n' > "$SPOOL/queue/$id.state"
touch -d @1 "$SPOOL/queue/$id.state"
mailshim flush 2> "$T/log2"
[ -f "$SPOOL/dead/$id.bad" ] && t_ok "damaged state: message set aside as dead/$id.bad" ||
	t_fail "not set aside: $(ls -R "$SPOOL") $(cat "$T/log2")"
# Two more: an id whose envelope is damaged, and a name that is no id.
bid=0006652D1A2B3C4D5E6F70
printf 'MAILSHIM-2\nid %s\nfrom x\n' "$bid" > "$SPOOL/dead/$bid.bad"
printf 'junk\n' > "$SPOOL/dead/strange.name.bad"

mailshim dead > "$T/d" 2>&1 || t_fail "dead exit $?"
grep -q "^$id " "$T/d" && grep -q "set aside as damaged: dead/$id.bad" "$T/d" &&
	t_ok "dead lists the set-aside message" || t_fail "dead: $(cat "$T/d")"
grep -q "^dead/$bid.bad$" "$T/d" && grep -q '^dead/strange.name.bad$' "$T/d" ||
	t_fail "dead does not list every .bad: $(cat "$T/d")"
grep -q 'No dead letters' "$T/d" && t_fail "dead says 'No dead letters'"
grep -q '3 files set aside' "$T/d" || t_fail "no count line: $(cat "$T/d")"
mailshim dead --json > "$T/j" 2>&1 || t_fail "dead --json exit $?"
"$PYTHON3" - "$T/j" "$id" "$bid" <<'PY' || t_fail "json: $(cat "$T/j")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
assert len(rows) == 3 and all(r["set_aside"] for r in rows), rows
good = [r for r in rows if r.get("queue_id") == sys.argv[2]][0]
assert good["sender"] == "app@example.com" and "error" not in good, good
bad = [r for r in rows if r.get("queue_id") == sys.argv[3]][0]
assert "error" in bad, bad
assert any(r["file"] == "strange.name.bad" and "queue_id" not in r for r in rows)
PY
mailshim stats > "$T/stats" || t_fail "stats exit $?"
grep -q '^set aside 3$' "$T/stats" && t_ok "stats counts set-aside files" ||
	t_fail "stats: $(cat "$T/stats")"
mailshim stats --prometheus > "$T/prom"
grep -q '^mailshim_queue_messages{state="set_aside"} 3$' "$T/prom" ||
	t_fail "prometheus: $(cat "$T/prom")"
mailshim check --no-network > "$T/c" 2>&1
grep -q '^WARN  spool: 3 files set aside as damaged' "$T/c" && t_ok "check warns" ||
	t_fail "check: $(cat "$T/c")"
mailshim show "$id" > "$T/s" 2>&1 && grep -q '^sender: <app@example.com>' "$T/s" &&
	grep -q '^body$' "$T/s" && t_ok "show prints a set-aside message" ||
	t_fail "show: $(cat "$T/s")"
mailshim requeue "$bid" > "$T/r" 2>&1 && t_fail "requeue of a damaged envelope succeeded"
[ -f "$SPOOL/dead/$bid.bad" ] || t_fail "damaged envelope lost by requeue"
mailshim delete "$bid" > /dev/null 2>&1 || t_fail "delete of a set-aside message"
[ -f "$SPOOL/dead/$bid.bad" ] && t_fail "delete left dead/$bid.bad"

# Fix the relay, requeue: delivered once, to both recipients.
t_conf ""
mailshim requeue "$id" > "$T/r" 2>&1 || t_fail "requeue exit $?: $(cat "$T/r")"
[ -f "$SPOOL/queue/$id" ] && [ ! -f "$SPOOL/queue/$id.state" ] &&
	[ ! -e "$SPOOL/dead/$id.bad" ] && [ ! -e "$SPOOL/dead/$id.state.bad" ] &&
	t_ok "requeue: back in queue/ with a fresh state" ||
	t_fail "requeue: $(ls -R "$SPOOL")"
mailshim flush 2> "$T/log3" || t_fail "flush after requeue: $(cat "$T/log3")"
[ "$(t_count "$CAPTURE/new")" = 1 ] && grep -q 'to=<a@example.net>,<b@example.net>,.*status=sent' "$T/log3" &&
	t_ok "recovered message delivered to both recipients" ||
	t_fail "capture has $(t_count "$CAPTURE/new"): $(cat "$T/log3")"
mailshim stats | grep -q '^set aside 1$' || t_fail "count after recovery"
t_done
