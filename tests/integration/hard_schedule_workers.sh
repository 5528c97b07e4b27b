#!/bin/sh
# hard_schedule_workers.sh - several flushers over the same due buckets
# (issue 18): 300 deferred messages, then three flushers and one
# `flush --workers 3` at once, the clock 2 h on: every message is
# returned and delivered exactly once, queue/ and deferred/ end empty.
. "$top_srcdir/tests/integration/lib.sh"
command -v faketime >/dev/null || { echo "FAIL: faketime missing (contrib/deps.sh)"; exit 1; }
t_setup
t_init
total=${HARD_SCHEDULE_MESSAGES:-300}
T_RETRY_FIRST=600 T_RETRY_MAX=3600 T_NO_DEFAULT=1 t_conf 'relay "box" { type = "maildir" path = "'"$T/box"'" }
route "default" { relays = {"box"} }'
: > "$T/box"
i=0
while [ $i -lt $total ]; do
	printf 'Subject: w%s\n\nSCHED-SEQ-%s-END\n' "$i" "$i" | sendmail -i "w$i@example.net" || t_fail "enqueue $i"
	i=$((i + 1))
done
mailshim flush 2>/dev/null
[ "$(t_deferred | wc -l)" = "$total" ] || t_abort "set-up: $(t_deferred | wc -l) of $total deferred"
echo "buckets: $(ls "$SPOOL/deferred" | wc -l)"
rm -f "$T/box"
pids=
for f in 1 2 3; do
	timeout 120 faketime -f +2h "$MAILSHIM" flush 2>"$T/f$f.err" & pids="$pids $!"
done
timeout 120 faketime -f +2h "$MAILSHIM" flush --workers 3 2>"$T/fw.err" & pids="$pids $!"
t_pids=$pids
for p in $pids; do wait "$p"; done
t_pids=
timeout 120 faketime -f +2h "$MAILSHIM" flush 2>"$T/final.err"
grep -rhoa 'SCHED-SEQ-[0-9]*-END' "$T/box/new" "$T/box/cur" 2>/dev/null | sort > "$T/got"
delivered=$(wc -l < "$T/got")
unique=$(sort -u "$T/got" | wc -l)
echo "messages=$total delivered=$delivered unique=$unique"
[ "$unique" = "$total" ] && t_ok "all $total delivered" || t_fail "delivered $unique of $total"
[ "$delivered" = "$unique" ] && t_ok "no duplicates" || t_fail "$((delivered - unique)) duplicates: $(uniq -d "$T/got" | head -3)"
[ -z "$(find "$SPOOL/queue" "$SPOOL/deferred" -mindepth 1)" ] && t_ok "queue/ and deferred/ empty" \
    || t_fail "left: $(find "$SPOOL/queue" "$SPOOL/deferred" -mindepth 1 | head -5)"
grep -h 'cannot\|orphan' "$T"/*.err && t_fail "errors in the flushers' logs"
t_done
