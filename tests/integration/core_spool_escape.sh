#!/bin/sh
# Control characters in addresses (issue 19 item 9): refused at enqueue
# (argv, -f, -t headers), and when a spool file is planted by hand with
# them anyway, `mailshim queue`, `queue --json`, `show`, `dead` and the
# flusher's log lines print them escaped: no byte of the listing is a
# control other than the newline, so no line can be hidden or forged.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_init
ESC=$(printf '\033')

# 1. Enqueue: every way in refuses a control byte with 65.
for a in "\"a${ESC}[2Jb\"@example.com" "\"a\\${ESC}b\"@example.com" \
	"\"a$(printf '\t')b\"@example.com" "\"a$(printf '\177')\"@example.com" \
	"\"a\\$(printf '\b')b\"@example.com"; do
	printf 'Subject: x\n\nx\n' | sendmail -i "$a" 2> "$T/err"; rc=$?
	[ "$rc" = 65 ] && grep -q 'control character' "$T/err" ||
		t_fail "recipient $(printf '%s' "$a" | od -c | head -1): exit $rc: $(cat "$T/err")"
done
printf 'Subject: x\n\nx\n' | sendmail -i -f "\"s${ESC}[1A\"@example.com" ok@example.net 2> "$T/err"; rc=$?
[ "$rc" = 65 ] || t_fail "sender with ESC: exit $rc"
printf 'To: "x\\%s[2K"@example.net\nSubject: x\n\nx\n' "$ESC" | sendmail -t -i 2> "$T/err"; rc=$?
[ "$rc" = 65 ] || t_fail "-t header with a quoted-pair ESC: exit $rc"
[ "$(t_count "$SPOOL/new")" = 0 ] && t_ok "control bytes refused at enqueue" ||
	t_fail "something was queued"

# 2. Planted by hand (the format allows any byte through %HH; MAILSHIM-1
#    files hold raw bytes).
qid=0006652D1A2B3C4D5E6F70
printf 'MAILSHIM-2\nid %s\ntime %s\nuid %s\nuser me\nfrom "x%%1B[1A%%1B[2Kfake"@example.com\nrcpt "a%%1B]0;title%%07%%08%%08"@example.net\nrcpt "line%%0Bbreak"@example.net\n\nSubject: planted\n\nbody\n' \
	"$qid" "$(date +%s)" "$(id -u)" > "$SPOOL/new/$qid"
qid2=0006652D1A2B3C4D5E6F71
printf 'MAILSHIM-1\nid %s\ntime %s\nuid %s\nuser me\nfrom raw\033[31m@example.com\nrcpt "r\033[2J"@example.net\n\nSubject: raw\n\nbody\n' \
	"$qid2" "$(date +%s)" "$(id -u)" > "$SPOOL/new/$qid2"
chmod 0604 "$SPOOL/new/$qid" "$SPOOL/new/$qid2"

clean() {	# clean FILE WHAT: no control byte but LF in FILE
	if LC_ALL=C grep -q '[[:cntrl:]]' "$1" ||
		[ "$(LC_ALL=C tr -d '\n' < "$1" | tr -d '[:print:]' | wc -c)" != 0 ]; then
		t_fail "$2 prints raw control bytes: $(od -c "$1" | head -20)"
	else
		t_ok "$2 escaped"
	fi
}
mailshim queue > "$T/q" 2>&1 || t_fail "queue exit $?"
clean "$T/q" "queue listing"
grep -q '\\x1b\[1A\\x1b\[2Kfake' "$T/q" || t_fail "sender not shown escaped: $(cat "$T/q")"
grep -q '\\x1b\]0;title\\x07\\x08\\x08' "$T/q" || t_fail "recipient not shown escaped: $(cat "$T/q")"
mailshim queue --json > "$T/j" 2>&1 || t_fail "queue --json exit $?"
"$PYTHON3" -c 'import json,sys
rows=[json.loads(l) for l in open(sys.argv[1])]
assert any("\x1b" in r["sender"] for r in rows), rows' "$T/j" ||
	t_fail "json listing: $(cat "$T/j")"
mailshim show "$qid" > "$T/s" 2>&1 || t_fail "show exit $?"
clean "$T/s" "show"
mailshim show "$qid2" > "$T/s2" 2>&1 || t_fail "show raw exit $?"
clean "$T/s2" "show of a MAILSHIM-1 file with raw ESC"
grep -q '^sender: <raw\\x1b\[31m@example.com>' "$T/s2" ||
	t_fail "raw sender not escaped: $(cat "$T/s2")"

# 3. The flusher refuses them (dead, with a reason) and logs escaped.
mailshim flush > "$T/flog" 2>&1
clean "$T/flog" "flusher log lines"
grep -q 'invalid sender address in the spool file' "$T/flog" ||
	t_fail "flusher did not say why: $(cat "$T/flog")"
[ "$(t_count "$CAPTURE/new")" = 0 ] || t_fail "planted message was delivered"
mailshim dead > "$T/d" 2>&1 || t_fail "dead exit $?"
clean "$T/d" "dead listing"
[ "$(grep -c '^[0-9A-F]\{22\} ' "$T/d")" = 2 ] || t_fail "dead lists: $(cat "$T/d")"
t_done
