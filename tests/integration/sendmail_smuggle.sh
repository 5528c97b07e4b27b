#!/bin/sh
# sendmail_smuggle.sh - SMTP smuggling through "sendmail -bs": for every
# published end-of-data variant (LF.LF, LF.CRLF, CR.CR, CRLF.CR, CR.CRLF,
# NUL tricks) a session writes one DATA whose content holds the variant
# followed by a second, forged transaction (MAIL FROM:<evil@...>, RCPT
# TO:<victim@...>, DATA, a From: ceo@... message) and then the real CRLF
# "." CRLF. Only CRLF "." CRLF ends DATA (RFC 5321 4.1.1.4), so each
# session must queue exactly one file in new/, with the real envelope,
# the forged text inside its body, and exactly one "queued as" reply.
set -u

: "${top_builddir:?}"
SM="$top_builddir/sendmail/sendmail"
test -x "$SM" || { echo "no $SM"; exit 99; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sm-smuggle.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT INT TERM
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

spool="$dir/spool"
cat >"$dir/mailshim.conf" <<EOF2
spool = "$spool"
hostname = "web-1.example.com"
domain = "example.com"
EOF2
MAILSHIM_CONFIG="$dir/mailshim.conf"
export MAILSHIM_CONFIG
unset MAILSHIM_LOG_STDERR

head='EHLO client.example\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<user@example.net>\r\nDATA\r\nFrom: app@example.com\r\nSubject: real\r\n\r\nreal body'
forged='MAIL FROM:<evil@attacker.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\nFrom: ceo@example.com\r\nSubject: forged\r\n\r\nforged body'
tail='\r\n.\r\nQUIT\r\n'

# name:variant (printf %b escapes)
for v in 'lf.lf:\n.\n' 'lf.crlf:\n.\r\n' 'cr.cr:\r.\r' 'crlf.cr:\r\n.\r' \
    'cr.crlf:\r.\r\n' 'crlf-nul.crlf:\r\n\0000.\r\n' \
    'crlf.nul-crlf:\r\n.\0000\r\n' 'crlf.cr-crlf:\r\n.\r\r\n' \
    'lf-nul.lf:\n\0000.\n' 'crlf.sp-crlf:\r\n. \r\n'; do
	name=${v%%:*}
	seq=${v#*:}
	rm -rf "$spool"
	mkdir -p "$spool/tmp" "$spool/new" "$spool/queue" "$spool/dead" \
	    "$spool/run"
	printf '%b' "$head$seq$forged$tail" >"$dir/in"
	timeout 20 "$SM" -bs <"$dir/in" >"$dir/raw" 2>"$dir/err"
	rc=$?
	test "$rc" = 0 || fail "$name: exit $rc ($(cat "$dir/err"))"
	n=$(ls "$spool/new" | wc -l)
	test "$n" = 1 || fail "$name: $n files in new/ (want 1)"
	q=$(grep -c 'queued as' "$dir/raw")
	test "$q" = 1 || fail "$name: $q 'queued as' replies (want 1)"
	grep -q '^rcpt victim@example.net$' "$spool/new/"* 2>/dev/null &&
	    fail "$name: forged recipient in an envelope"
	grep -q '^from evil@attacker.example$' "$spool/new/"* 2>/dev/null &&
	    fail "$name: forged sender in an envelope"
	f=$(ls "$spool/new/"* 2>/dev/null | head -n 1)
	if test -n "$f"; then
		grep -qx 'from app@example.com' "$f" ||
		    fail "$name: envelope sender"
		test "$(grep -c '^rcpt ' "$f")" = 1 &&
		    grep -qx 'rcpt user@example.net' "$f" ||
		    fail "$name: envelope recipients"
		sed '1,/^$/d' "$f" >"$dir/msg"
		grep -q 'forged body' "$dir/msg" ||
		    fail "$name: forged text is not content of the one message"
		LC_ALL=C grep -q "$(printf '\r')" "$dir/msg" &&
		    fail "$name: CR stored"
		tr -d '\n' <"$dir/msg" | LC_ALL=C od -An -c | grep -q '\\0' &&
		    fail "$name: NUL stored"
	fi
done

# A bare CR in a header field cannot be made safe: 554, nothing queued,
# the session stays in step (the NOOP after the real end is answered).
rm -rf "$spool"
mkdir -p "$spool/tmp" "$spool/new" "$spool/queue" "$spool/dead" "$spool/run"
printf 'HELO c\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.net>\r\nDATA\r\nSubject: a\rBcc: x@example.net\r\n\r\nb\r\n.\r\nNOOP\r\nQUIT\r\n' |
    timeout 20 "$SM" -bs >"$dir/raw" 2>"$dir/err"
tr -d '\r' <"$dir/raw" | tail -n 3 >"$dir/tail"
printf '554 5.6.0 Error: bare CR in the message header\n250 2.0.0 Ok\n221 2.0.0 Bye\n' >"$dir/want"
cmp -s "$dir/tail" "$dir/want" || { fail "bare CR header: replies"; cat "$dir/tail"; }
test "$(ls "$spool/new" | wc -l)" = 0 || fail "bare CR header: queued"

if test "$failures" != 0; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all smuggling variants queued exactly one message"
exit 0
