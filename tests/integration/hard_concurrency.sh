#!/bin/sh
# hard_concurrency.sh - 8 producers and 4 flushers at once over 2,000
# uniquely numbered messages (HARD_MESSAGES to change) to a Maildir relay:
# each is delivered exactly once and nothing is left in tmp/, new/, queue/.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init
total=${HARD_MESSAGES:-2000}
producers=8
flushers=4
per=$((total / producers))
total=$((per * producers))

producer() {
	i=0
	while [ $i -lt $per ]; do
		n=$(($1 * per + i))
		printf 'Subject: msg %s\n\nHARD-SEQ-%s-END\n' "$n" "$n" |
		    "$SENDMAIL" -i "c$n@example.net" 2>>"$T/prod.err" ||
		    echo "$n" >> "$T/refused"
		i=$((i + 1))
	done
}
flusher() {
	# Flush over and over until the producers are done, then once more.
	while [ ! -f "$T/producers.done" ]; do
		timeout 60 "$MAILSHIM" flush >/dev/null 2>>"$T/flush.$1.err"
		rc=$?
		case $rc in 0|75) ;; *) echo "flusher $1 rc=$rc" >> "$T/flush.bad" ;; esac
	done
	timeout 60 "$MAILSHIM" flush >/dev/null 2>>"$T/flush.$1.err"
}

start=$(date +%s)
f_pids=
for f in $(seq 1 $flushers); do flusher "$f" & f_pids="$f_pids $!"; done
p_pids=
for p in $(seq 0 $((producers - 1))); do producer "$p" & p_pids="$p_pids $!"; done
t_pids="$f_pids $p_pids"
for p in $p_pids; do wait "$p"; done
touch "$T/producers.done"
# Bounded wait for the flushers (each flush call is bounded by timeout).
for f in $f_pids; do wait "$f"; done
t_pids=
timeout 120 "$MAILSHIM" flush >/dev/null 2>>"$T/flush.final.err"
end=$(date +%s)

[ -f "$T/refused" ] && t_fail "front end refused $(wc -l < "$T/refused") messages: $(head -3 "$T/prod.err")"
[ -f "$T/flush.bad" ] && t_fail "flusher errors: $(head -3 "$T/flush.bad") $(cat "$T"/flush.*.err | grep -v 'status=sent\|removed\|delivered' | head -5)"
grep -rhoa 'HARD-SEQ-[0-9]*-END' "$CAPTURE/new" "$CAPTURE/cur" 2>/dev/null | sort > "$T/got"
delivered=$(wc -l < "$T/got")
unique=$(sort -u "$T/got" | wc -l)
dups=$((delivered - unique))
echo "messages=$total delivered=$delivered unique=$unique duplicates=$dups seconds=$((end - start))"
[ "$unique" = "$total" ] && t_ok "all $total delivered" || t_fail "delivered $unique of $total distinct messages"
[ "$dups" = 0 ] && t_ok "no duplicates" || t_fail "$dups duplicate deliveries: $(uniq -d "$T/got" | head -3)"
for d in tmp new queue; do
	n=$(find "$SPOOL/$d" -mindepth 1 | wc -l)
	[ "$n" = 0 ] && t_ok "$d/ empty" || t_fail "$n entries left in $d/"
done
n=$(find "$SPOOL/dead" -mindepth 1 | wc -l)
[ "$n" = 0 ] || t_fail "$n entries in dead/: $(ls "$SPOOL/dead" | head -3)"
t_done
