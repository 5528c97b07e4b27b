#!/bin/sh
# mailshim check passes for a good setup and fails, with a line saying
# how to fix it, for each broken setup it claims to detect: bad spool
# modes, a readable secret, an unreachable relay, a wrong password, an
# untrusted certificate, an alias loop. mailshim stats counts a known
# spool, in text and Prometheus form.
. "$top_srcdir/tests/integration/lib.sh"
. "$top_srcdir/tests/servers/smtpd_lib.sh"
t_setup
sh "$top_srcdir/tests/servers/mkcerts.sh" "$T/certs" >/dev/null 2>&1 || t_abort "mkcerts.sh could not make certificates"
printf 'relay-pass-%s\n' "$$" > "$T/pass"; chmod 600 "$T/pass"
smtpd_start "$T/srv" --cert "$T/certs/server.pem" --key "$T/certs/server.key" \
	--auth-user relay --auth-pass "relay-pass-$$" || t_abort "smtpd.py did not start"
t_pids="$SMTPD_PID"

good_relay() {	# good_relay EXTRA: a relay to the test server over STARTTLS
	t_conf "relay \"corp\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT
  tls = \"starttls\" ca_file = \"$T/certs/ca.pem\" tls_name = \"localhost\"
  username = \"relay\" password = \"file:$T/pass\" timeout = 5 connect_timeout = 3 $1 }"
}
expect_fail() {	# expect_fail WHAT PATTERN
	mailshim check > "$T/out" 2>&1; rc=$?
	if [ "$rc" = 78 ] && grep -q "^FAIL .*$2" "$T/out"; then t_ok "check catches $1"
	else t_fail "check missed $1 (rc=$rc): $(cat "$T/out")"; fi
}

good_relay ""
t_init
printf 'root: ops@example.com\n' > "$T/aliases"
mailshim check > "$T/out" 2>&1; rc=$?
[ "$rc" = 0 ] && t_ok "good setup passes" || t_fail "good setup: rc=$rc $(cat "$T/out")"
grep -q "^OK    relay corp: reachable" "$T/out" || t_fail "relay not probed: $(cat "$T/out")"
grep -q "relay-pass-$$" "$T/out" && t_fail "secret printed by check"

chmod 755 "$SPOOL/new"; expect_fail "bad spool mode" "spool: .*/new has mode 0755, want 1770"; chmod 1770 "$SPOOL/new"
chmod 644 "$T/pass"; expect_fail "readable secret" "relay corp password: .*readable"; chmod 600 "$T/pass"
good_relay ""; sed -i "s/port = $SMTPD_PORT/port = 1/" "$CONF"; expect_fail "unreachable relay" "relay corp: .*fix:"
printf 'wrong\n' > "$T/badpass"; chmod 600 "$T/badpass"
good_relay ""; sed -i "s|file:$T/pass|file:$T/badpass|" "$CONF"; expect_fail "wrong password" "relay corp: .*fix:"
good_relay ""; sed -i "s|$T/certs/ca.pem|$T/certs/other-ca.pem|" "$CONF"
[ -f "$T/certs/other-ca.pem" ] && expect_fail "untrusted certificate" "relay corp: .*fix:"
good_relay ""; printf 'a: b\nb: a\n' > "$T/aliases"; expect_fail "alias loop" "aliases: .*loop"
printf '' > "$T/aliases"
mailshim check --no-network > "$T/out" 2>&1 || t_fail "--no-network on a good setup: $(cat "$T/out")"
grep -q "not contacted" "$T/out" || t_fail "--no-network contacted the relay"

# stats: 2 delivered, 1 deferred (relay refuses), 1 dead (permanent).
smtpd_stop
t_conf "relay \"down\" { type = \"smtp\" host = \"127.0.0.1\" port = 1 tls = \"none\" connect_timeout = 2 }
route \"down\" { senders = {\"*@down.example\"} relays = {\"down\"} }"
: > "$T/file"
for i in 1 2; do printf 'Subject: s\n\nx\n' | sendmail -i -f a@example.com r@example.net; done
printf 'Subject: d\n\nx\n' | sendmail -i -f a@down.example r@example.net
mailshim flush 2>/dev/null
mailshim stats > "$T/stats" || t_fail "stats exit $?"
grep -q '^deferred  1$' "$T/stats" && grep -q '^queued    0$' "$T/stats" || t_fail "queue counts: $(cat "$T/stats")"
grep -Eq '^capture +2 +0 +0 ' "$T/stats" && t_ok "stats counts" || t_fail "relay counts: $(cat "$T/stats")"
grep -Eq '^down +0 +1 +0 ' "$T/stats" || t_fail "deferred count: $(cat "$T/stats")"
mailshim stats --prometheus "$T/metrics.prom" || t_fail "prometheus file"
grep -q '^mailshim_queue_messages{state="deferred"} 1$' "$T/metrics.prom" &&
grep -q '^mailshim_relay_recipients_total{relay="capture",status="sent"} 2$' "$T/metrics.prom" &&
grep -q '^# TYPE mailshim_relay_recipients_total counter$' "$T/metrics.prom" && t_ok "prometheus textfile" || t_fail "prometheus: $(cat "$T/metrics.prom")"
t_done
