#!/bin/sh
# smtp_tls.sh - STARTTLS and implicit TLS with the test CA; an untrusted
# certificate, a wrong tls_name and a server that does not offer STARTTLS
# are refused (temporary, relay failed, nothing sent); tls_verify = false
# works but warns.
. "$top_srcdir/tests/integration/smtp_lib.sh"
certs
C=$T/certs
msg "$T/msg"

smtpd_start "$T/good" --cert "$C/server.pem" --key "$C/server.key"
GOOD_PORT=$SMTPD_PORT GOOD_TLS=$SMTPD_TLS_PORT GOOD_PID=$SMTPD_PID
GOOD_OUT=$SMTPD_OUT

conf "$GOOD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "STARTTLS with the test CA"
if grep -q 'STARTTLS' "$GOOD_OUT/session.log" &&
    [ "$(grep -c 'EHLO client.test' "$GOOD_OUT/session.log")" -eq 2 ]; then
	ok "EHLO, STARTTLS, EHLO again"
else
	fail "transcript lacks STARTTLS/EHLO twice: $(cat "$GOOD_OUT/session.log")"
fi

conf "$GOOD_TLS" 'tls = "tls"' "ca_file = \"$C/ca.pem\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "implicit TLS with the test CA"
grep -q 'CONNECT tls' "$GOOD_OUT/session.log" && ok "came in on the TLS port" ||
    fail "no connection on the TLS port"

conf "$GOOD_TLS" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" 'tls_name = "relay.test"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "tls_name matching the certificate"

conf "$GOOD_TLS" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" 'tls_name = "wrong.test"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp .*(certificate|TLS)' "tls_name not in the certificate refused"
expect_line '^health=failed' "wrong name: relay failed"

conf "$GOOD_PORT" 'tls = "starttls"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp TLS certificate not trusted' "test CA not trusted without ca_file"

nmsgs=$(ls "$GOOD_OUT" | grep -c '^msg-')
[ "$nmsgs" -eq 3 ] && ok "exactly the 3 good sends arrived" || fail "$nmsgs messages arrived, want 3"
SMTPD_PID=$GOOD_PID smtpd_stop

# a server with a certificate from a CA nobody trusts
smtpd_start "$T/bad" --cert "$C/untrusted.pem" --key "$C/untrusted.key"
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp TLS certificate not trusted' "untrusted certificate refused"
expect_line '^health=failed' "untrusted: relay failed"
grep -q '^1 MAIL' "$SMTPD_OUT/session.log" && fail "MAIL sent over untrusted TLS" ||
    ok "no MAIL over untrusted TLS"

conf "$SMTPD_TLS_PORT" 'tls = "tls"' 'tls_verify = false'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "tls_verify = false sends"
grep -q 'verification is OFF' "$T/err" && ok "tls_verify = false warns" ||
    fail "no warning for tls_verify = false"
smtpd_stop

# a server that does not offer STARTTLS (stripped)
smtpd_start "$T/strip" --cert "$C/server.pem" --key "$C/server.key" --no-starttls
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp .*STARTTLS' "STARTTLS stripped: refused"
expect_line '^health=failed' "stripped: relay failed"
grep -q 'MAIL' "$SMTPD_OUT/session.log" && fail "MAIL sent in clear" ||
    ok "nothing sent in clear"
smtpd_stop

finish
