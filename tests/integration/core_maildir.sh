#!/bin/sh
# The whole local path: sendmail -> spool -> mailshim flush -> Maildir,
# byte for byte, with the headers the front end adds and nothing else
# changed; aliases and masquerading applied at flush time; the syslog-style
# line for each attempt.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
printf 'root: ops@example.com, dev\ndev: alice@example.org\n' > "$T/aliases"
t_init

# 1. A message with its own Date/Message-ID/From arrives unchanged.
printf 'From: App <app@example.com>\nTo: x@example.net\nDate: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <m1@example.com>\nSubject: hello\n\nbody line 1\n.dot line\n\xc3\xa9t\xc3\xa9 8-bit\n' > "$T/m1"
sendmail -i x@example.net < "$T/m1" || t_fail "sendmail exit $?"
[ "$(t_count "$SPOOL/new")" = 1 ] || t_fail "message not in new/"
mailshim flush 2> "$T/log" || t_fail "flush exit $?"
f=$(find "$CAPTURE/new" -type f | head -1)
[ -n "$f" ] || t_fail "nothing delivered to the capture Maildir"
# after the trace field the front end puts first (2 lines)
t_capture_body "$f" > "$T/got1r"
head -n 1 "$T/got1r" | grep -q '^Received: by test\.example\.com (mailshim, from userid ' ||
    t_fail "no Received: first: $(head -n 1 "$T/got1r")"
sed 1,2d "$T/got1r" > "$T/got1"
cmp -s "$T/m1" "$T/got1" && t_ok "bytes intact" || t_fail "bytes differ: $(diff "$T/m1" "$T/got1" | head -5)"
grep -q "^Return-Path: <app@example.com>" "$f" || grep -q "^Return-Path: <" "$f" || t_fail "no Return-Path"
grep -q "to=<x@example.net>, relay=capture\[.*status=sent" "$T/log" && t_ok "log line" || t_fail "no log line: $(cat "$T/log")"
[ "$(t_count "$SPOOL/queue")" = 0 ] || t_fail "queue not empty after delivery"

# 2. CRLF input, missing headers added, aliases resolved at flush time.
rm -f "$CAPTURE"/new/*
printf 'Subject: cron output\r\n\r\nhello\r\n' | sendmail -i root || t_fail "sendmail crlf"
mailshim flush 2> "$T/log" || t_fail "flush 2"
f=$(find "$CAPTURE/new" -type f | head -1)
grep -q '^Delivered-To: ops@example.com$' "$f" || t_fail "alias root -> ops missing"
grep -q '^Delivered-To: alice@example.org$' "$f" || t_fail "nested alias dev -> alice missing"
grep -q '^Date: ' "$f" || t_fail "Date not added"
grep -q '^Message-ID: <[0-9A-F]*@test.example.com>' "$f" || t_fail "Message-ID not added"
grep -q '^From: .*@example.com' "$f" || t_fail "From not added"
grep -q "$(printf '\r')" "$f" && t_fail "CR kept in Maildir copy"
grep -q '^hello$' "$f" || t_fail "body"

# 3. Masquerading: a local From (cron style) gets the domain at flush.
rm -f "$CAPTURE"/new/*
printf 'From: root (Cron Daemon)\nTo: root\nSubject: c\n\nx\n' | sendmail -i -f root ops@example.com || t_fail "sendmail masq"
mailshim flush 2>/dev/null || t_fail "flush 3"
f=$(find "$CAPTURE/new" -type f | head -1)
grep -q '^From: root@example.com (Cron Daemon)$' "$f" && t_ok "From masqueraded" || t_fail "From not masqueraded: $(grep ^From "$f")"
grep -q '^Return-Path: <root@example.com>$' "$f" || t_fail "envelope sender not masqueraded: $(grep ^Return-Path "$f")"

# 4. Empty input with a recipient is a valid message.
rm -f "$CAPTURE"/new/*
sendmail -i someone@example.net < /dev/null || t_fail "empty message refused"
mailshim flush 2>/dev/null || t_fail "flush 4"
[ "$(t_count "$CAPTURE/new")" = 1 ] || t_fail "empty message not delivered"

# 5. A large message streams through (5 MB of binary-ish text).
rm -f "$CAPTURE"/new/*
{ printf 'Subject: big\n\n'; head -c 5000000 /dev/urandom | base64; } > "$T/big"
sendmail -i big@example.net < "$T/big" || t_fail "big sendmail"
mailshim flush 2>/dev/null || t_fail "big flush"
f=$(find "$CAPTURE/new" -type f | head -1)
t_capture_body "$f" | sed '1,2d; /^Date: /d; /^Message-ID: /d; /^From: /d' > "$T/gotbig"
cmp -s "$T/big" "$T/gotbig" && t_ok "5 MB intact" || t_fail "big message differs"
t_done
