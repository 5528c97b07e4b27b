#!/bin/sh
# smtp_wire.sh - the bytes arrive intact over plain SMTP: 8-bit body, a
# 2000-character line, lines starting with ".", CRLF on the wire, SIZE,
# the envelope (including the null sender) and per-recipient results.
. "$top_srcdir/tests/integration/smtp_lib.sh"

smtpd_start "$T/srv" || exit 1
conf "$SMTPD_PORT" 'tls = "none"'

"$PYTHON3" - "$T/msg" <<'PY'
import sys
long = "L" * 2000
body = ("From: a@example.com\nTo: b@example.com\nSubject: wire\n"
        "Content-Type: text/plain; charset=UTF-8\n"
        "Content-Transfer-Encoding: 8bit\n\n"
        ".leading dot\n..two dots\n.\nnot the end\n"
        + long + "\n").encode() + "grüße 日本\n".encode() + b"\xff\xfe raw\n" \
        + b"already crlf\r\nlast line\n"
open(sys.argv[1], "wb").write(body)
PY

drive -f a@example.com "$T/msg" b@example.com c@example.com
[ $rc -eq 0 ] && ok "driver exit 0" || fail "driver exit $rc"
expect_line '^b@example.com ok 250 2.0.0 Ok: queued as' "first recipient sent"
expect_line '^c@example.com ok 250 ' "second recipient sent"
# A plain SMTP server's queue id stays inside its reply (no remote_id).
expect_line '^health=fine peer=r\[127.0.0.1\]:[0-9]+ remote_id= ' \
    "health, peer and no separate remote id"
smtpd_wait_msgs 1 5 || fail "server recorded no message"

if "$PYTHON3" - "$T/msg" "$SMTPD_OUT" <<'PY'
import base64, glob, json, sys, re
raw = open(sys.argv[1], "rb").read()
want = re.sub(rb"(?<!\r)\n", b"\r\n", raw)
rec = json.load(open(sorted(glob.glob(sys.argv[2] + "/msg-*.json"))[0]))
got = base64.b64decode(rec["data_b64"])
ok = True
if rec["mail_from"] != "a@example.com":
    print("mail_from", rec["mail_from"]); ok = False
if rec["rcpt_tos"] != ["b@example.com", "c@example.com"]:
    print("rcpt_tos", rec["rcpt_tos"]); ok = False
if got != want:
    print("data differs: got %d bytes want %d" % (len(got), len(want)))
    for i, (a, b) in enumerate(zip(got, want)):
        if a != b:
            print("first difference at", i, got[i-20:i+20], want[i-20:i+20]); break
    ok = False
log = open(sys.argv[2] + "/session.log").read()
if "MAIL FROM:<a@example.com> SIZE=%d" % len(want) not in log:
    print("no SIZE=%d in session log:\n%s" % (len(want), log)); ok = False
if "EHLO client.test" not in log:
    print("EHLO name not the configured hostname:\n" + log); ok = False
sys.exit(0 if ok else 1)
PY
then ok "bytes, envelope, SIZE and EHLO name as sent"
else fail "bytes or envelope differ"; fi

# the null sender
drive -f "" "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "null sender accepted"
grep -q 'MAIL FROM:<> SIZE=' "$SMTPD_OUT/session.log" &&
    ok "MAIL FROM:<> on the wire" || fail "no MAIL FROM:<>"

finish
