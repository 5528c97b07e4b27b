#!/bin/sh
# The submitter is the owner of the spool file, not what its envelope
# says (issue 19 item 10): a file in new/ owned by another user whose
# envelope claims "uid 0 / user root" is listed, shown and delivered as
# the owner's, and the flusher logs the mismatch. Needs root (chown).
. "$top_srcdir/tests/integration/lib.sh"
[ "$(id -u)" = 0 ] || t_skip "needs root to chown a planted file"
t_setup
t_init
owner=$(id -u nobody) || t_skip "no user nobody"
qid=0006652D1A2B3C4D5E6F70
printf 'MAILSHIM-2\nid %s\ntime %s\nuid 0\nuser root\nfrom app@example.com\nrcpt ok@example.net\n\nSubject: claims root\n\nbody\n' \
	"$qid" "$(date +%s)" > "$SPOOL/new/$qid"
chmod 0604 "$SPOOL/new/$qid"
chown "$owner" "$SPOOL/new/$qid"
mailshim queue --json > "$T/j" || t_fail "queue --json exit $?"
"$PYTHON3" -c 'import json,sys
r=json.loads(open(sys.argv[1]).readline())
assert r["uid"]==int(sys.argv[2]) and r["envelope_uid"]==0, r' "$T/j" "$owner" &&
	t_ok "listed as the owner's (uid $owner), envelope uid shown apart" ||
	t_fail "json: $(cat "$T/j")"
mailshim show "$qid" > "$T/s" || t_fail "show exit $?"
grep -q "^uid: $owner (nobody)" "$T/s" && grep -q '^envelope uid: 0 ' "$T/s" &&
	t_ok "show names the owner" || t_fail "show: $(sed -n 1,6p "$T/s")"
mailshim flush 2> "$T/log" || t_fail "flush exit $?"
grep -q "envelope claims uid 0 but the file is owned by uid $owner" "$T/log" &&
	t_ok "mismatch logged" || t_fail "log: $(cat "$T/log")"
[ "$(t_count "$CAPTURE/new")" = 1 ] || t_fail "not delivered"
# The user line is not trusted either, even when the uid is right.
qid2=0006652D1A2B3C4D5E6F71
printf 'MAILSHIM-2\nid %s\ntime %s\nuid %s\nuser root\nfrom app@example.com\nrcpt ok@example.net\n\nSubject: claims root\n\nbody\n' \
	"$qid2" "$(date +%s)" "$owner" > "$SPOOL/new/$qid2"
chmod 0604 "$SPOOL/new/$qid2"
chown "$owner" "$SPOOL/new/$qid2"
mailshim show "$qid2" > "$T/s2" || t_fail "show 2 exit $?"
grep -q "^uid: $owner (nobody)" "$T/s2" && t_ok "user name from the owner too" ||
	t_fail "show 2: $(sed -n 1,6p "$T/s2")"
t_done
