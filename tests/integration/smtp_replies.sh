#!/bin/sh
# smtp_replies.sh - 4xx/5xx at MAIL, RCPT, DATA and after the message are
# classified by the generic rules, per recipient; 421 and 530 are the
# relay's problem; max_recipients splits one message into transactions.
. "$top_srcdir/tests/integration/smtp_lib.sh"
msg "$T/msg"

# each case: server options, then expectations on the driver output
smtpd_start "$T/s1" --mail-reply "451 4.3.0 try later"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com c@example.com
expect_line '^b@example.com temp 451 4.3.0 try later$' "451 at MAIL: temp"
expect_line '^c@example.com temp 451 ' "451 at MAIL: every recipient"
expect_line '^health=fine' "451 at MAIL: relay fine"
smtpd_stop

smtpd_start "$T/s2" --mail-reply "553 5.1.8 bad sender"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com c@example.com
expect_line '^b@example.com perm 553 5.1.8 bad sender$' "553 at MAIL: perm"
expect_line '^c@example.com perm 553 ' "553 at MAIL: every recipient"
smtpd_stop

smtpd_start "$T/s3" --rcpt-reply "bad@example.com=550 5.1.1 no such user" \
    --rcpt-reply "later@example.com=450 4.2.1 mailbox busy"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" good@example.com bad@example.com later@example.com good2@example.com
expect_line '^good@example.com ok 250 ' "partial refusal: good recipient sent"
expect_line '^bad@example.com perm 550 5.1.1 no such user$' "partial refusal: 550 perm"
expect_line '^later@example.com temp 450 4.2.1 mailbox busy$' "partial refusal: 450 temp"
expect_line '^good2@example.com ok 250 ' "partial refusal: later good recipient sent"
expect_line '^health=fine' "partial refusal: relay fine"
smtpd_wait_msgs 1 5
grep -q '"rcpt_tos": \["good@example.com", "good2@example.com"\]' "$SMTPD_OUT"/msg-1.json &&
    ok "server got the message for the accepted recipients only" ||
    fail "server envelope: $(cat "$SMTPD_OUT"/msg-1.json)"
drive -f a@example.com "$T/msg" bad@example.com later@example.com
expect_line '^bad@example.com perm 550 ' "all refused: 550 perm"
expect_line '^later@example.com temp 450 ' "all refused: 450 temp"
[ "$(ls "$SMTPD_OUT" | grep -c '^msg-')" -eq 1 ] && ok "all refused: nothing sent" ||
    fail "all refused: a message was recorded"
smtpd_stop

smtpd_start "$T/s4" --data-reply "554 5.3.4 not now, not ever"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com perm 554 5.3.4 not now, not ever$' "554 to DATA: perm"
smtpd_stop

smtpd_start "$T/s5" --data-reply "452 4.3.1 out of space"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp 452 4.3.1 out of space$' "452 to DATA: temp"
smtpd_stop

smtpd_start "$T/s6" --dot-reply "554 5.7.1 message rejected: spam"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com c@example.com
expect_line '^b@example.com perm 554 5.7.1 message rejected: spam$' "554 after DATA: perm"
expect_line '^c@example.com perm 554 ' "554 after DATA: every recipient"
expect_line '^health=fine' "554 after DATA: relay fine"
smtpd_stop

smtpd_start "$T/s7" --dot-reply "451 4.3.0 queue full" \
    --rcpt-reply "bad@example.com=550 5.1.1 unknown"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com bad@example.com
expect_line '^b@example.com temp 451 4.3.0 queue full$' "451 after DATA: temp"
expect_line '^bad@example.com perm 550 ' "451 after DATA: refused recipient keeps its 550"
smtpd_stop

smtpd_start "$T/s8" --mail-reply "421 4.3.2 shutting down"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp 421 ' "421 at MAIL: temp"
expect_line '^health=failed' "421 at MAIL: relay failed"
smtpd_stop

smtpd_start "$T/s9" --mail-reply "530 5.7.0 Authentication required"
conf "$SMTPD_PORT"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp 530 ' "530 at MAIL: temp (relay config, not the message)"
expect_line '^health=failed' "530 at MAIL: relay failed"
smtpd_stop

smtpd_start "$T/s10" --rcpt-reply "r3@example.com=550 5.1.1 unknown"
conf "$SMTPD_PORT" 'max_recipients = 2'
drive -f a@example.com "$T/msg" r1@example.com r2@example.com r3@example.com r4@example.com r5@example.com
for r in r1 r2 r4 r5; do
	expect_line "^$r@example.com ok 250 " "max_recipients: $r sent"
done
expect_line '^r3@example.com perm 550 ' "max_recipients: r3 refused"
smtpd_wait_msgs 3 5 && ok "max_recipients: 3 transactions" ||
    fail "max_recipients: $(ls "$SMTPD_OUT")"
"$PYTHON3" - "$SMTPD_OUT" <<'PY' && ok "max_recipients: batches of at most 2, same content" || fail "max_recipients: batches wrong"
import glob, json, sys
recs = [json.load(open(p)) for p in sorted(glob.glob(sys.argv[1] + "/msg-*.json"))]
batches = sorted(tuple(r["rcpt_tos"]) for r in recs)
want = sorted([("r1@example.com", "r2@example.com"), ("r4@example.com",),
               ("r5@example.com",)])
same = len({r["data_b64"] for r in recs}) == 1
sys.exit(0 if batches == want and same else 1)
PY
smtpd_stop

finish
