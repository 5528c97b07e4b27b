#!/bin/sh
# sendmail_bs.sh - "sendmail -bs" (Symfony Mailer's transport): a whole
# pipelined session written at once, two messages, RSET, VRFY, garbage,
# sequence and syntax errors, an over-long line, dot-unstuffing, and EOF
# in the middle of DATA leaving nothing behind. Replies are compared
# line by line with the queue ids masked.
set -u

: "${top_builddir:?}"
SM="$top_builddir/sendmail/sendmail"
test -x "$SM" || { echo "no $SM"; exit 99; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/sm-bs.XXXXXX") || exit 99
trap 'rm -rf "$dir"' EXIT INT TERM
failures=0
fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

spool="$dir/spool"
mkdir -p "$spool/tmp" "$spool/new" "$spool/queue" "$spool/dead" "$spool/run"
cat >"$dir/mailshim.conf" <<EOF
spool = "$spool"
hostname = "web-1.example.com"
domain = "example.com"
max_message_size = 5000
EOF
MAILSHIM_CONFIG="$dir/mailshim.conf"
export MAILSHIM_CONFIG
unset MAILSHIM_LOG_STDERR

# session INPUT: runs -bs with a bounded time, replies in $dir/replies
# (CR removed, ids masked), exit code in $rc
session() {
	printf '%b' "$1" | timeout 20 "$SM" -bs >"$dir/raw" 2>"$dir/err"
	rc=$?
	tr -d '\r' <"$dir/raw" |
	    sed 's/queued as [0-9A-F]*$/queued as ID/' >"$dir/replies"
}

expect() {	# expect NAME: compares $dir/replies with stdin
	cat >"$dir/want"
	if ! cmp -s "$dir/replies" "$dir/want"; then
		fail "$1: transcript differs"
		diff "$dir/want" "$dir/replies" | head -n 30
	fi
}

# every reply line must end in CRLF
crlf_check() {
	if LC_ALL=C grep -qv "$(printf '\r')\$" "$dir/raw"; then
		fail "$1: reply without CRLF"
	fi
}

# --- 1. pipelined session: everything in one write -------------------------
in='EHLO client.example\r\n'
in="${in}MAIL FROM:<app@example.com> BODY=8BITMIME SIZE=300\r\n"
in="${in}RCPT TO:<a@x.org>\r\nRCPT TO:<root>\r\nRCPT TO:<a@x.org>\r\nDATA\r\n"
in="${in}From: App <app@example.com>\r\nTo: a@x.org\r\nBcc: root\r\n"
in="${in}Subject: one\r\n\r\n..leading dot\r\n.\r\n"
in="${in}NOOP\r\nVRFY root\r\nfoo bar\r\n"
in="${in}MAIL FROM:<>\r\nRCPT TO:<b@y.org>\r\nRSET\r\n"
in="${in}RCPT TO:<c@y.org>\r\n"
in="${in}MAIL FROM:<second@example.com>\r\nRCPT TO:<d@y.org>\r\nDATA\r\n"
in="${in}Subject: two\r\n\r\nbody two\r\n.\r\n"
in="${in}HELP\r\nQUIT\r\n"
session "$in"
test "$rc" = 0 || fail "pipelined: exit $rc ($(cat "$dir/err"))"
crlf_check pipelined
expect pipelined <<'EOF'
220 web-1.example.com ESMTP mailshim
250-web-1.example.com
250-8BITMIME
250-SIZE 5000
250-PIPELINING
250 ENHANCEDSTATUSCODES
250 2.1.0 Ok
250 2.1.5 Ok
250 2.1.5 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
250 2.0.0 Ok
252 2.0.0 Cannot VRFY user, but will accept message and attempt delivery
500 5.5.2 Error: command not recognized
250 2.1.0 Ok
250 2.1.5 Ok
250 2.0.0 Ok
503 5.5.1 Error: need MAIL command
250 2.1.0 Ok
250 2.1.5 Ok
354 End data with <CR><LF>.<CR><LF>
250 2.0.0 Ok: queued as ID
214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT
221 2.0.0 Bye
EOF
test "$(ls "$spool/new" | wc -l)" = 2 || fail "pipelined: want 2 files in new/"
# the ids in the replies are the files
for id in $(tr -d '\r' <"$dir/raw" | sed -n 's/^250 2.0.0 Ok: queued as //p'); do
	test -f "$spool/new/$id" || fail "pipelined: no new/$id"
done
first=$(grep -l '^from app@example.com$' "$spool/new/"* 2>/dev/null)
if test -n "$first"; then
	grep -qx 'rcpt a@x.org' "$first" || fail "msg1: rcpt a@x.org"
	grep -qx 'rcpt root' "$first" || fail "msg1: rcpt root (unqualified)"
	test "$(grep -c '^rcpt ' "$first")" = 2 || fail "msg1: duplicate rcpt"
	grep -qx 'opt B=8BITMIME' "$first" || fail "msg1: BODY not kept"
	sed '1,/^$/d' "$first" >"$dir/msg1"
	grep -qx '.leading dot' "$dir/msg1" || fail "msg1: dot not unstuffed"
	grep -qi '^bcc:' "$dir/msg1" && fail "msg1: Bcc kept"
	grep -q "$(printf '\r')" "$dir/msg1" && fail "msg1: CR stored"
	grep -q '^Message-ID: <.*@web-1.example.com>$' "$dir/msg1" ||
	    fail "msg1: no Message-ID"
	test "$(grep -c '^From:' "$dir/msg1")" = 1 || fail "msg1: From"
else
	fail "msg1 not found"
fi
second=$(grep -l '^from second@example.com$' "$spool/new/"* 2>/dev/null)
test -n "$second" && grep -qx 'rcpt d@y.org' "$second" ||
	fail "msg2: envelope"
grep -l 'rcpt b@y.org' "$spool/new/"* >/dev/null 2>&1 &&
	fail "RSET transaction was queued"

# --- 2. errors: sequence, syntax, long line, size ---------------------------
long=$(head -c 5000 /dev/zero | tr '\0' 'x')
in="HELO\r\nHELO c\r\nRCPT TO:<a@x.org>\r\nDATA\r\nMAIL FROM:a@x.org\r\n"
in="${in}MAIL FROM:<b@x.org>\r\nDATA\r\nRCPT TO:<not valid>\r\n"
in="${in}RCPT TO:<>\r\nRCPT TO:<a@x.org> FOO=bar\r\nRCPT <a@x.org>\r\n"
in="${in}NOOP $long\r\nRSET\r\nMAIL FROM:<a@x.org> SIZE=999999\r\n"
in="${in}MAIL FROM:<bad address>\r\nMAIL FROM:<a@x.org>\r\n"
in="${in}RCPT TO:<a@x.org>\r\nDATA extra\r\nEXPN list\r\n\r\nQUIT\r\n"
session "$in"
test "$rc" = 0 || fail "errors: exit $rc"
crlf_check errors
expect errors <<'EOF'
220 web-1.example.com ESMTP mailshim
501 5.5.4 Syntax: HELO hostname
250 web-1.example.com
503 5.5.1 Error: need MAIL command
503 5.5.1 Error: need MAIL command
250 2.1.0 Ok
503 5.5.1 Error: nested MAIL command
503 5.5.1 Error: need RCPT command
501 5.1.3 Bad recipient address syntax
501 5.1.3 Bad recipient address syntax
555 5.5.4 Unsupported option: FOO
501 5.5.4 Syntax: RCPT TO:<address>
500 5.5.0 Error: line too long
250 2.0.0 Ok
552 5.3.4 Message size exceeds fixed limit
501 5.1.7 Bad sender address syntax
250 2.1.0 Ok
250 2.1.5 Ok
501 5.5.4 Syntax: DATA
502 5.5.1 Error: command not implemented
500 5.5.2 Error: command not recognized
221 2.0.0 Bye
EOF

# --- 3. message over the size limit: 552 after DATA, session goes on ------
big=$(head -c 6000 /dev/zero | tr '\0' 'y' | fold -w 60 | sed 's/$/\\r\\n/' | tr -d '\n')
before=$(ls "$spool/new" | wc -l)
session "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nSubject: big\r\n\r\n$big.\r\nNOOP\r\nQUIT\r\n"
test "$rc" = 0 || fail "oversize: exit $rc"
tail -n 3 "$dir/replies" >"$dir/tail"
printf '552 5.3.4 Message size exceeds fixed limit\n250 2.0.0 Ok\n221 2.0.0 Bye\n' >"$dir/want"
cmp -s "$dir/tail" "$dir/want" || { fail "oversize: replies"; cat "$dir/tail"; }
test "$(ls "$spool/new" | wc -l)" = "$before" || fail "oversize: queued"

# --- 4. EOF in the middle of DATA: nothing kept, exit 0 ---------------------
before=$(ls "$spool/new" | wc -l)
session "EHLO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nSubject: cut\r\n\r\nhalf a mes"
test "$rc" = 0 || fail "eof in DATA: exit $rc"
test "$(tail -n 1 "$dir/replies")" = "354 End data with <CR><LF>.<CR><LF>" ||
	fail "eof in DATA: last reply"
test "$(ls "$spool/new" | wc -l)" = "$before" || fail "eof in DATA: queued"
test "$(ls "$spool/tmp" | wc -l)" = 0 || fail "eof in DATA: file left in tmp/"

# EOF without QUIT after a committed message: that one stays
session "HELO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<keep@x.org>\r\nDATA\r\nSubject: k\r\n\r\nx\r\n.\r\n"
test "$rc" = 0 || fail "eof after commit: exit $rc"
grep -l 'rcpt keep@x.org' "$spool/new/"* >/dev/null 2>&1 ||
	fail "eof after commit: message lost"

# --- 5. spool trouble: 452 and the session continues ------------------------
mv "$spool/tmp" "$spool/tmp.away"
session "HELO c\r\nMAIL FROM:<a@x.org>\r\nRCPT TO:<b@x.org>\r\nDATA\r\nSubject: s\r\n\r\nx\r\n.\r\nNOOP\r\nQUIT\r\n"
mv "$spool/tmp.away" "$spool/tmp"
test "$rc" = 0 || fail "spool trouble: exit $rc"
tail -n 3 "$dir/replies" >"$dir/tail"
printf '452 4.3.1 Insufficient system storage\n250 2.0.0 Ok\n221 2.0.0 Bye\n' >"$dir/want"
cmp -s "$dir/tail" "$dir/want" || { fail "spool trouble: replies"; cat "$dir/tail"; }

test "$(ls "$spool/tmp" | wc -l)" = 0 || fail "files left in tmp/"
if test "$failures" != 0; then
	echo "$failures failure(s)"
	exit 1
fi
echo "all sendmail -bs checks passed"
exit 0
