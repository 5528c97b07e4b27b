#!/bin/sh
# compat_bs.sh - `sendmail -bs` driven like Symfony Mailer does it (EHLO,
# MAIL, RCPT, DATA, dot-stuffed data, QUIT over pipes, pipelined when
# PIPELINING is offered), two messages in one session, one with the null
# sender; then flushed to the test SMTP server and checked there.
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
compat_setup bs

"$PYTHON3" "$top_srcdir/tests/integration/compat_bs_client.py" "$SM" \
    "$dir/bs.out" || fail "the -bs session failed"
test "$(grep -c '^250 ' "$dir/bs.out" 2>/dev/null)" = 2 ||
    fail "queue replies: $(cat "$dir/bs.out" 2>/dev/null)"

compat_flush
compat_wait 2 || fail "only $(compat_count) of 2 messages arrived"
if m=$(compat_msg one@example.org); then
	expect_eq "first sender" "$(cat "$m.from")" app@example.com
	expect_eq "first rcpts" "$(compat_rcpts "$m")" \
	    "one@example.org,two@example.org"
	expect_header "$m" Subject '^bs first$' first
	expect_header "$m" Date '^[A-Z][a-z]{2}, [0-9]{1,2} [A-Z][a-z]{2} [0-9]{4} ' "first Date added"
	expect_header "$m" Message-ID '^<[^@ ]+@web-1\.example\.com>$' \
	    "first Message-ID added"
	printf 'first body\n.leading dot line\n..two dots\nlast line\n' \
	    >"$dir/want"
	compat_body "$m" >"$dir/got"
	cmp -s "$dir/want" "$dir/got" ||
	    fail "first body (dot transparency): $(od -c "$dir/got" | head -5)"
	bare=$(LC_ALL=C grep -c -v "$(printf '\r')\$" "$m.eml")
	expect_eq "first: lines without CR on the wire" "$bare" 0
else
	fail "first message not delivered"
fi
if m=$(compat_msg three@example.org); then
	# aiosmtpd records MAIL FROM:<> as "<>"
	expect_eq "second sender (null)" "$(cat "$m.from")" "<>"
	expect_header "$m" Subject '^bs second$' second
	expect_eq "second body" "$(compat_body "$m")" "second body"
else
	fail "second message not delivered"
fi
compat_finish
