#!/bin/sh
# smtp_auth.sh - AUTH PLAIN and LOGIN over STARTTLS with the password read
# from a file: the password (and its base64 forms) never appears in the
# driver's output, even with -v -v; wrong passwords, unsafe password
# files and a server offering no AUTH keep the mail queued.
. "$top_srcdir/tests/integration/smtp_lib.sh"
certs
C=$T/certs
msg "$T/msg"
PW='Sup3r-S3cret!pw'
printf '%s\n' "$PW" >"$T/pass"
chmod 600 "$T/pass"
printf 'wrong-password\n' >"$T/wrong"
chmod 600 "$T/wrong"

no_secret() { # WHAT: the password in no form in stdout/stderr
	if "$PYTHON3" - "$PW" "$T/out" "$T/err" <<'PY'
import base64, sys
pw = sys.argv[1].encode()
forms = [pw, base64.b64encode(pw), base64.b64encode(b"\0relay-user\0" + pw),
         base64.b64encode(b"relay-user\0relay-user\0" + pw)]
data = open(sys.argv[2], "rb").read() + open(sys.argv[3], "rb").read()
sys.exit(1 if any(f in data for f in forms) else 0)
PY
	then ok "$1: password not in output"
	else fail "$1: password leaked"; fi
}

for mech in PLAIN LOGIN; do
	other=LOGIN
	[ $mech = LOGIN ] && other=PLAIN
	smtpd_start "$T/srv-$mech" --cert "$C/server.pem" --key "$C/server.key" \
	    --auth-user relay-user --auth-pass "$PW" --auth-required \
	    --auth-exclude $other
	conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
	    'username = "relay-user"' "password = \"file:$T/pass\""
	drive -v -v -f a@example.com "$T/msg" b@example.com
	expect_line '^b@example.com ok 250 ' "AUTH $mech accepted"
	grep -q "(auth ok $mech)" "$SMTPD_OUT/session.log" &&
	    ok "server saw AUTH $mech succeed" || fail "no successful AUTH $mech"
	grep -q 'authentication data hidden' "$T/err" &&
	    ok "$mech: verbose transcript shown, redacted" ||
	    fail "$mech: no redacted transcript under -v"
	no_secret "AUTH $mech"
	if grep -q "$PW" "$SMTPD_OUT/session.log"; then
		fail "server log has the password (test server bug)"
	fi
	smtpd_stop
done

smtpd_start "$T/srv" --cert "$C/server.pem" --key "$C/server.key" \
    --auth-user relay-user --auth-pass "$PW" --auth-required
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    'username = "relay-user"' "password = \"file:$T/pass\""
drive -p
expect_line '^probe=ok' "probe authenticates"
grep -q 'NOOP' "$SMTPD_OUT/session.log" && ok "probe sent NOOP" || fail "no NOOP"
grep -q 'MAIL' "$SMTPD_OUT/session.log" && fail "probe sent MAIL" || ok "probe sent no mail"

conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    'username = "relay-user"' "password = \"file:$T/wrong\""
drive -v -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp 535' "wrong password: temporary, 535 shown"
expect_line '^health=failed' "wrong password: relay failed"
drive -p
expect_line '^probe=config .*535' "wrong password: probe says config"
PW=wrong-password no_secret "failed probe"

chmod 644 "$T/pass"
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    'username = "relay-user"' "password = \"file:$T/pass\""
drive -f a@example.com "$T/msg" b@example.com
expect_line "^send=config .*readable by others \\(mode 0644\\); chmod 600 it" \
    "password file readable by others refused"
no_secret "unsafe file"
chmod 600 "$T/pass"

MS_TEST_PW=$PW
export MS_TEST_PW
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    'username = "relay-user"' 'password = "env:MS_TEST_PW"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "password from the environment"
smtpd_stop

# AUTH only after TLS, but the relay is configured without TLS: the server
# offers no AUTH, and we refuse to send unauthenticated.
smtpd_start "$T/noauth" --auth-user relay-user --auth-pass "$PW"
conf "$SMTPD_PORT" 'tls = "none"' 'username = "relay-user"' \
    "password = \"file:$T/pass\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp relay offered no AUTH' "no AUTH offered: kept"
expect_line '^health=failed' "no AUTH offered: relay failed"
sleep 0.3
ls "$SMTPD_OUT" | grep -q '^msg-' && fail "message delivered unauthenticated" ||
    ok "nothing delivered unauthenticated"
drive -p
expect_line '^probe=config .*no AUTH' "probe: no AUTH offered"
smtpd_stop

finish
