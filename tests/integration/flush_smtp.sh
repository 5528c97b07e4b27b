#!/bin/sh
# sendmail -> spool -> mailshim flush -> real SMTP servers (smtpd.py) on
# 127.0.0.1: bytes intact on the wire, failover to the second relay of a
# route, a partial recipient refusal re-sends only to the refused, an
# untrusted certificate or a stripped STARTTLS keeps the mail queued, a
# 5xx makes the recipient dead, backoff grows with attempts, the give-up
# age makes mail dead, and the relay password appears nowhere.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
sh "$top_srcdir/tests/servers/mkcerts.sh" "$T/certs" >/dev/null 2>&1 || t_abort "mkcerts.sh could not make certificates"
secret="s3cret-$$-pw"
printf '%s\n' "$secret" > "$T/pass"; chmod 600 "$T/pass"

# Server A: STARTTLS + AUTH, refuses one recipient for now (4xx).
smtpd_start "$T/a" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
	--auth-user relay --auth-pass "$secret" --rcpt-reply "later@example.net=451 4.2.0 try later" || t_abort "smtpd.py did not start"
A_PORT=$SMTPD_PORT A_PID=$SMTPD_PID A_OUT=$SMTPD_OUT
# Server B: plain, the failover.
smtpd_start "$T/b" || t_abort "smtpd.py did not start"
B_PORT=$SMTPD_PORT B_PID=$SMTPD_PID B_OUT=$SMTPD_OUT
t_pids="$A_PID $B_PID"

relays() {	# relays A_EXTRA: primary (A) and failover (B) relays, route
	T_NO_DEFAULT=1 t_conf "relay \"a\" { type = \"smtp\" host = \"127.0.0.1\" port = $A_PORT
  tls = \"starttls\" ca_file = \"$T/certs/ca.pem\" tls_name = \"localhost\"
  username = \"relay\" password = \"file:$T/pass\" connect_timeout = 3 timeout = 5 $1 }
relay \"b\" { type = \"smtp\" host = \"127.0.0.1\" port = $B_PORT tls = \"none\" timeout = 5 }
route \"default\" { relays = {\"a\", \"b\"} }
route \"only-a\" { senders = {\"*@a-only.example\"} relays = {\"a\"} }"
}
msgs() { ls "$1" 2>/dev/null | grep -c '^msg-.*\.json$'; }
data_of() {	# data_of OUTDIR N: the DATA bytes of message N
	"$PYTHON3" -c 'import json,base64,sys,glob
f=sorted(glob.glob(sys.argv[1]+"/msg-*.json"))[int(sys.argv[2])]
sys.stdout.buffer.write(base64.b64decode(json.load(open(f))["data_b64"]))' "$1" "$2"
}
field_of() {	# field_of OUTDIR N FIELD
	"$PYTHON3" -c 'import json,sys,glob
f=sorted(glob.glob(sys.argv[1]+"/msg-*.json"))[int(sys.argv[2])]
v=json.load(open(f))[sys.argv[3]]; print(" ".join(v) if isinstance(v,list) else v)' "$1" "$2" "$3"
}

relays ""
t_init
# 1. Through A over STARTTLS with AUTH; one recipient deferred (451),
#    two delivered; bytes intact with CRLF and dot lines.
printf 'From: App <app@example.com>\nTo: x@example.net\nSubject: wire\nDate: Mon, 23 Nov 2026 08:00:00 +0000\nMessage-ID: <w@example.com>\n\n.dot\n..two\nend\n' > "$T/m1"
sendmail -i -f app@a-only.example x@example.net later@example.net y@example.net < "$T/m1" || t_fail "enqueue 1"
mailshim -v flush > "$T/log1" 2>&1; rc=$?
[ "$rc" = 75 ] || t_fail "partial refusal: flush exit $rc"
[ "$(msgs "$A_OUT")" = 1 ] || t_fail "A got $(msgs "$A_OUT") messages"
[ "$(field_of "$A_OUT" 0 rcpt_tos)" = "x@example.net y@example.net" ] || t_fail "first RCPTs: $(field_of "$A_OUT" 0 rcpt_tos)"
data_of "$A_OUT" 0 | sed 1,2d > "$T/wire1"	# after the 2-line Received:
sed 's/$/\r/' "$T/m1" > "$T/m1.crlf"
cmp -s "$T/m1.crlf" "$T/wire1" && t_ok "bytes intact over STARTTLS+AUTH" || t_fail "wire bytes differ: $(od -c "$T/wire1" | tail -4)"
# 2. The server now accepts: only the refused recipient gets it again.
SMTPD_PID=$A_PID; smtpd_stop
smtpd_start "$T/a2" --cert "$T/certs/server.pem" --key "$T/certs/server.key" --auth-user relay --auth-pass "$secret" || t_fail "restart A"
A_PORT=$SMTPD_PORT A_PID=$SMTPD_PID A2_OUT=$SMTPD_OUT; t_pids="$A_PID $B_PID"
relays ""
mailshim retry > /dev/null; mailshim flush 2> "$T/log2" || t_fail "second flush exit $?"
[ "$(field_of "$A2_OUT" 0 rcpt_tos)" = "later@example.net" ] && t_ok "retry sends only to the refused" || t_fail "retry RCPTs: $(field_of "$A2_OUT" 0 rcpt_tos)"

# 3. Failover: A offers an untrusted certificate -> B takes the mail, and
#    the A-only route keeps its mail queued (nothing sent in clear).
relays ""; sed -i "s|$T/certs/ca.pem|$T/certs/other-ca.pem|" "$CONF"
printf 'Subject: fo\n\nx\n' | sendmail -i -f app@example.com f@example.net
printf 'Subject: ao\n\nx\n' | sendmail -i -f app@a-only.example g@example.net
mailshim flush 2> "$T/log3"; rc=$?
[ "$rc" = 75 ] || t_fail "untrusted cert: exit $rc"
[ "$(msgs "$B_OUT")" = 1 ] && [ "$(field_of "$B_OUT" 0 rcpt_tos)" = "f@example.net" ] && t_ok "failover to the second relay" || t_fail "failover: B has $(msgs "$B_OUT")"
grep -q 'relay a held' "$T/log3" || t_fail "no hold log line: $(cat "$T/log3")"
[ "$(grep -c 'relay a held' "$T/log3")" = 1 ] || t_fail "hold logged more than once"
mailshim queue | grep -q 'g@example.net' && t_ok "untrusted certificate: mail kept" || t_fail "A-only mail not kept"
mailshim queue | grep -qi 'certificate\|SSL\|verif' || t_fail "reason does not mention the certificate: $(mailshim queue)"

# 4. STARTTLS stripped by the server: refused, mail kept.
SMTPD_PID=$A_PID; smtpd_stop
smtpd_start "$T/a3" --no-starttls --auth-user relay --auth-pass "$secret" --auth-plaintext || t_fail "restart A"
A_PORT=$SMTPD_PORT A_PID=$SMTPD_PID A3_OUT=$SMTPD_OUT; t_pids="$A_PID $B_PID"
relays ""; mailshim retry > /dev/null
mailshim flush 2> "$T/log4"
[ "$(msgs "$A3_OUT")" = 0 ] && mailshim queue | grep -q 'g@example.net' && t_ok "stripped STARTTLS refused" || t_fail "stripped STARTTLS: sent $(msgs "$A3_OUT")"

# 5. Backoff grows: attempts 1, 2, 3 give growing next_try.
relays ""
mailshim queue --json > "$T/j1"
sleep 1; mailshim retry > /dev/null; mailshim flush 2>/dev/null
sleep 1; mailshim retry > /dev/null; mailshim flush 2>/dev/null
mailshim queue --json > "$T/j2"
"$PYTHON3" - "$T/j2" <<'PY' || t_fail "attempts did not grow"
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][0]
assert r["attempts"] >= 3, r
PY

# 6. 5xx: dead at once, with the reply.
SMTPD_PID=$A_PID; smtpd_stop
smtpd_start "$T/a4" --cert "$T/certs/server.pem" --key "$T/certs/server.key" --auth-user relay --auth-pass "$secret" \
	--rcpt-reply "gone@example.net=550 5.1.1 no such user" || t_fail "restart A"
A_PORT=$SMTPD_PORT A_PID=$SMTPD_PID; t_pids="$A_PID $B_PID"
relays ""; mailshim retry > /dev/null; mailshim flush 2>/dev/null
printf 'Subject: gone\n\nx\n' | sendmail -i -f app@a-only.example gone@example.net
mailshim flush 2>/dev/null
mailshim dead | grep -q '550 5.1.1 no such user\|gone@example.net' && t_ok "5xx -> dead with the reply" || t_fail "5xx not dead: $(mailshim dead)"

# 7. Give-up age: relay down for longer than give_up -> dead.
relays "" ; sed -i "s/port = $A_PORT/port = 1/" "$CONF"; printf 'give_up = "1"\ngive_up_attempts = 2\n' >> "$CONF"
printf 'Subject: old\n\nx\n' | sendmail -i -f app@a-only.example old@example.net
mailshim flush 2>/dev/null; sleep 2; mailshim retry > /dev/null; mailshim flush 2>/dev/null
mailshim dead | grep -q 'old@example.net' && t_ok "expired -> dead" || t_fail "expiry: $(mailshim dead)"

# 8. The password never shows.
cat "$T"/log* > "$T/all.log"; mailshim queue >> "$T/all.log" 2>&1; mailshim dead >> "$T/all.log" 2>&1
for id in $(mailshim dead | sed -n 's/^\([0-9A-F]\{22\}\) .*/\1/p'); do mailshim show "$id" >> "$T/all.log" 2>&1; done
b64=$(printf '\0relay\0%s' "$secret" | base64)
if grep -q -e "$secret" -e "$b64" "$T/all.log"; then t_fail "password leaked"; else t_ok "password not in logs, mailq, show"; fi
t_done
