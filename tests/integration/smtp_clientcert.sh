#!/bin/sh
# smtp_clientcert.sh - TLS client certificates (tls_cert, tls_key): a
# server that requires a certificate from the test CA accepts ours over
# STARTTLS and implicit TLS and sees its CN; no certificate, one from a
# CA the server does not trust, a key that does not match and a key file
# readable by others are relay faults with a clear reason; the key may
# come from the environment.
. "$top_srcdir/tests/integration/smtp_lib.sh"
certs
C=$T/certs
msg "$T/msg"
cp "$C/client.key" "$T/key"
chmod 600 "$T/key"

smtpd_start "$T/srv" --cert "$C/server.pem" --key "$C/server.key" \
    --client-ca "$C/ca.pem"
OUT=$SMTPD_OUT

conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    "tls_cert = \"$C/client.pem\"" "tls_key = \"file:$T/key\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "STARTTLS with a client certificate"
grep -q '(client cert mailshim-client)' "$OUT/session.log" &&
    ok "server verified our certificate (CN mailshim-client)" ||
    fail "server did not see the client certificate"

conf "$SMTPD_TLS_PORT" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" \
    "tls_cert = \"$C/client.pem\"" "tls_key = \"file:$T/key\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "implicit TLS with a client certificate"
drive -p
expect_line '^probe=ok' "probe with a client certificate"

MS_TEST_KEY=$(cat "$C/client.key")
export MS_TEST_KEY
conf "$SMTPD_TLS_PORT" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" \
    "tls_cert = \"$C/client.pem\"" 'tls_key = "env:MS_TEST_KEY"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "key from the environment"
unset MS_TEST_KEY

n=$(ls "$OUT" | grep -c '^msg-')
[ "$n" -eq 3 ] && ok "3 messages arrived" || fail "$n messages arrived, want 3"

for port in "$SMTPD_PORT starttls" "$SMTPD_TLS_PORT tls"; do
	set -- $port
	conf "$1" "tls = \"$2\"" "ca_file = \"$C/ca.pem\""
	drive -f a@example.com "$T/msg" b@example.com
	expect_line '^b@example.com temp .*requires a TLS client certificate' \
	    "$2: no certificate: clear reason"
	expect_line '^health=failed' "$2: no certificate: relay failed"

	cp "$C/rogue-client.key" "$T/rkey"
	chmod 600 "$T/rkey"
	conf "$1" "tls = \"$2\"" "ca_file = \"$C/ca.pem\"" \
	    "tls_cert = \"$C/rogue-client.pem\"" "tls_key = \"file:$T/rkey\""
	drive -f a@example.com "$T/msg" b@example.com
	expect_line '^b@example.com temp .*refused our TLS client certificate' \
	    "$2: certificate from an unknown CA: clear reason"
	expect_line '^health=failed' "$2: unknown CA: relay failed"
done
drive -p
expect_line '^probe=temp .*refused our TLS client certificate' \
    "probe: refused certificate"

# the key does not belong to the certificate
conf "$SMTPD_TLS_PORT" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" \
    "tls_cert = \"$C/client.pem\"" "tls_key = \"file:$T/rkey\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp cannot use the client certificate' \
    "mismatched key: clear reason"
expect_line '^health=failed' "mismatched key: relay failed"

chmod 644 "$T/key"
conf "$SMTPD_TLS_PORT" 'tls = "tls"' "ca_file = \"$C/ca.pem\"" \
    "tls_cert = \"$C/client.pem\"" "tls_key = \"file:$T/key\""
drive -f a@example.com "$T/msg" b@example.com
expect_line "^send=config .*tls_key: .*readable by others \\(mode 0644\\)" \
    "key file readable by others refused"
if grep -q 'PRIVATE KEY' "$T/out" "$T/err"; then
	fail "key material in the output"
else
	ok "no key material in the output"
fi

conf "$SMTPD_TLS_PORT" 'tls = "tls"' "tls_cert = \"$C/client.pem\""
drive -f a@example.com "$T/msg" b@example.com
grep -q 'tls_cert and tls_key go together' "$T/err" &&
    ok "tls_cert without tls_key refused" || fail "tls_cert alone accepted"

n=$(ls "$OUT" | grep -c '^msg-')
[ "$n" -eq 3 ] && ok "nothing more arrived" || fail "$n messages arrived, want 3"
smtpd_stop
finish
