#!/bin/sh
# Sender identity and routing by sender domain, at a real SMTP server:
# - a route's rewrite_sender changes the envelope sender only;
# - with rewrite_from the header From becomes that address too and the
#   original moves to Reply-To (unless the message has one);
# - local senders (cron's root, www-data@localhost) are masqueraded to
#   the configured domain before routes are matched;
# - prod / dev / local-dev senders go through their own relays from one
#   config (the multi-environment setup);
# - a dead letter is announced to dead_notify, and never for a message
#   whose sender is the null sender.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
smtpd_start "$T/prod" || t_abort "smtpd.py did not start"; P_PID=$SMTPD_PID P_PORT=$SMTPD_PORT P_OUT=$SMTPD_OUT
smtpd_start "$T/dev" --rcpt-reply "nobody@example.net=550 5.1.1 no such user" || t_abort "smtpd.py did not start"
D_PID=$SMTPD_PID D_PORT=$SMTPD_PORT D_OUT=$SMTPD_OUT
t_pids="$P_PID $D_PID"

T_NO_DEFAULT=1 t_conf "dead_notify = \"postmaster@example.com\"
relay \"prod\" { type = \"smtp\" host = \"127.0.0.1\" port = $P_PORT tls = \"none\" }
relay \"dev\"  { type = \"smtp\" host = \"127.0.0.1\" port = $D_PORT tls = \"none\" }
route \"prod\" { senders = {\"*@example.com\"} relays = {\"prod\"}
  rewrite_sender = \"noreply@example.com\" rewrite_from = true }
route \"app\"  { senders = {\"app@example.com\"} relays = {\"prod\"} }
route \"dev\"  { senders = {\"*@dev.example.com\"} relays = {\"dev\"} }
route \"local\" { senders = {\"*@local-dev.example.com\"} relays = {\"capture\"} }
route \"default\" { relays = {\"capture\"} }"
t_init

json() {	# json OUTDIR N FIELD: a field of the server's N-th message
	"$PYTHON3" -c 'import json,base64,sys,glob
f=sorted(glob.glob(sys.argv[1]+"/msg-*.json"))[int(sys.argv[2])]
r=json.load(open(f)); v=r[sys.argv[3]]
if sys.argv[3]=="data_b64": sys.stdout.write(base64.b64decode(v).decode("utf-8","replace"))
else: print(" ".join(v) if isinstance(v,list) else v)' "$@"
}

# cron style: bare root, From: root (Cron Daemon) -> masqueraded to
# root@example.com -> route prod -> envelope and From rewritten.
printf 'From: root (Cron Daemon)\nTo: ops@example.com\nSubject: cron\n\nout\n' | sendmail -i -f root ops@example.com
# An exact-address route beats *@example.com: no rewriting for app@.
printf 'From: App <app@example.com>\nSubject: app\n\nx\n' | sendmail -i -f app@example.com a@example.net
# dev and local-dev environments.
printf 'Subject: dev\n\nx\n' | sendmail -i -f build@dev.example.com d@example.net
printf 'Subject: local\n\nx\n' | sendmail -i -f me@local-dev.example.com l@example.net
mailshim flush 2> "$T/log" || t_fail "flush exit $?: $(cat "$T/log")"

[ "$(json "$P_OUT" 0 mail_from)" = "noreply@example.com" ] && t_ok "envelope sender rewritten" || t_fail "MAIL FROM $(json "$P_OUT" 0 mail_from)"
json "$P_OUT" 0 data_b64 > "$T/m0"
grep -q '^From: <noreply@example.com>' "$T/m0" && t_ok "header From rewritten" || t_fail "From: $(grep -i '^from:' "$T/m0")"
grep -q '^Reply-To: root@example.com (Cron Daemon)' "$T/m0" && t_ok "original From kept in Reply-To (masqueraded)" || t_fail "Reply-To: $(grep -i '^reply-to:' "$T/m0")"
[ "$(json "$P_OUT" 1 mail_from)" = "app@example.com" ] && t_ok "exact route beats domain route" || t_fail "app MAIL FROM $(json "$P_OUT" 1 mail_from)"
json "$P_OUT" 1 data_b64 | grep -q '^From: App <app@example.com>' || t_fail "app From changed"
[ "$(json "$D_OUT" 0 mail_from)" = "build@dev.example.com" ] && t_ok "dev sender through the dev relay" || t_fail "dev relay"
grep -rq 'l@example.net' "$CAPTURE/new" && t_ok "local-dev into the capture" || t_fail "local-dev not captured"

# Dead letter -> notice to dead_notify (here: through the default route
# into the capture, since postmaster@example.com matches *@example.com
# only as a recipient; the notice's sender is the null sender).
printf 'Subject: lost\n\nx\n' | sendmail -i -f build@dev.example.com nobody@example.net
mailshim flush 2> "$T/log2"
mailshim dead | grep -q 'nobody@example.net' || t_fail "not dead"
grep -q 'dead-letter notice queued' "$T/log2" || t_fail "no notice queued: $(cat "$T/log2")"
mailshim flush 2>/dev/null
notice=$(grep -rl '^Subject: Undeliverable mail' "$CAPTURE/new" | head -1)
[ -n "$notice" ] && grep -q '^Delivered-To: postmaster@example.com' "$notice" && grep -q '550 5.1.1 no such user' "$notice" && grep -q '^Return-Path: <>' "$notice" && t_ok "dead-letter notice delivered" || t_fail "notice: $(cat "$notice" 2>/dev/null)"
# A dead notice itself (null sender) never triggers another notice.
printf 'Subject: bounce\n\nx\n' | sendmail -i -f '<>' nobody@example.net
sed -i 's|route "default" { relays = {"capture"} }|route "default" { relays = {"dev"} }|' "$CONF"
mailshim flush 2> "$T/log3"
mailshim dead | grep -q '<>' || t_fail "null-sender message not dead: $(mailshim dead)"
grep -q 'dead-letter notice' "$T/log3" && t_fail "notice about a null-sender message"
t_done
