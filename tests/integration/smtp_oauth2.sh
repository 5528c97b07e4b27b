#!/bin/sh
# smtp_oauth2.sh - auth = "xoauth2" against tests/servers/oauth_server.py,
# whose token endpoint checks each grant as Microsoft (client credentials)
# and Google (service-account JWT, RS256) document it and whose SMTP side
# takes AUTH XOAUTH2 only with a live token it issued: success, a cached
# token, proactive refresh before expires_in, a token refused early
# (refreshed once), revoked consent (refreshed once, then a clear
# failure), a wrong scope / secret / signing key refused by the endpoint,
# http only on loopback, oauth2_token from a file; the probe; no token or
# secret in any output.
. "$top_srcdir/tests/integration/smtp_lib.sh"
"$PYTHON3" -c 'import cryptography' 2>/dev/null ||
	{ echo "FAIL: python3-cryptography not installed"; exit 1; }
certs
C=$T/certs
msg "$T/msg"
OAUTH_PY=$top_srcdir/tests/servers/oauth_server.py
SECRET='cl1ent-S3cret~value'
printf '%s\n' "$SECRET" >"$T/secret"
chmod 600 "$T/secret"
SCOPE='https://outlook.office365.com/.default'

# oauth_start NAME [oauth_server.py options]: sets OAUTH_URL, SMTPD_PORT,
# SMTPD_PID, EV (events.log) and SMTPD_OUT
oauth_start() {
	_d=$T/$1
	shift
	mkdir -p "$_d/out"
	"$PYTHON3" "$OAUTH_PY" --dir "$_d/out" --port-file "$_d/ports" "$@" \
	    2>>"$_d/err" &
	_bg=$!
	_i=0
	while [ ! -s "$_d/ports" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 100 ] || ! kill -0 $_bg 2>/dev/null; then
			echo "FAIL: oauth_server.py did not start"
			cat "$_d/err"
			kill $_bg 2>/dev/null
			exit 1
		fi
		sleep 0.1
	done
	. "$_d/ports"
	SMTPD_OUT=$_d/out
	EV=$_d/out/events.log
	touch "$EV"
}
count() { grep -c "$1" "$EV"; }
expect_count() { # PATTERN N WHAT
	_n=$(count "$1")
	[ "$_n" -eq "$2" ] && ok "$3" || fail "$3: $_n x '$1', want $2: $(cat "$EV")"
}
no_secret() { # WHAT: no token, secret or XOAUTH2 blob in the output
	if grep -q -e 'ya29\.' -e "$SECRET" -e 'dXNlcj1' -e 'PRIVATE KEY' \
	    "$T/out" "$T/err"; then
		fail "$1: a token or secret leaked"
	else
		ok "$1: no token or secret in the output"
	fi
}
cc_conf() { # PORT [extra lines]: client credentials over STARTTLS
	_p=$1
	shift
	conf "$_p" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
	    'auth = "xoauth2"' 'username = "app@corp.example"' \
	    "oauth2_token_url = \"$OAUTH_URL\"" 'client_id = "my-app-id"' \
	    "client_secret = \"file:$T/secret\"" 'max_per_connection = 1' "$@"
}
CC="--grant client --client-id my-app-id --client-secret $SECRET --scope $SCOPE --user app@corp.example"

# --- client credentials, HTTPS endpoint with the test CA
oauth_start cc --cert "$C/server.pem" --key "$C/server.key" $CC
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\""
drive -v -v -n 2 -f a@example.com "$T/msg" b@example.com
[ "$(grep -c '^b@example.com ok 250 ' "$T/out")" -eq 2 ] &&
    ok "client credentials: 2 messages sent" || fail "client credentials"
expect_count '^TOKEN ' 1 "token fetched once, cached for the second connection"
expect_count '^AUTH-OK 1 user=app@corp.example' 2 "both connections used it"
grep -q 'AUTH XOAUTH2' "$SMTPD_OUT/session.log" && ok "AUTH XOAUTH2 used" ||
    fail "no AUTH XOAUTH2"
no_secret "client credentials -v -v"
drive -p
expect_line '^probe=ok' "probe gets a token and authenticates"
grep -c '^.* MAIL' "$SMTPD_OUT/session.log" | grep -qx 2 &&
    ok "probe sent no mail" || fail "probe sent mail"
rc=0
"$top_builddir/admin/mailshim" -C "$T/conf" check >"$T/out" 2>"$T/err" || rc=$?
expect_line '^OK +relay r: reachable, TLS and login work' \
    "mailshim check gets a token and logs in"
expect_line '^OK +relay r client_secret: .* is private and readable' \
    "mailshim check checks the client_secret file"
no_secret "mailshim check"
grep -c '^.* MAIL' "$SMTPD_OUT/session.log" | grep -qx 2 &&
    ok "check sent no mail" || fail "check sent mail"
smtpd_stop

# --- expires_in is honoured: a new token before the old one expires
oauth_start exp --cert "$C/server.pem" --key "$C/server.key" $CC \
    --expires-in 4
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\""
drive -n 2 -w 5 -f a@example.com "$T/msg" b@example.com
[ "$(grep -c '^b@example.com ok 250 ' "$T/out")" -eq 2 ] &&
    ok "expiry mid-flush: both sent" || fail "expiry mid-flush"
expect_count '^TOKEN ' 2 "expiry mid-flush: a second token fetched"
expect_count '^AUTH-REFUSED' 0 "expiry mid-flush: no expired token presented"
smtpd_stop

# --- the server stops honouring a token early: refreshed once
oauth_start early --cert "$C/server.pem" --key "$C/server.key" $CC \
    --revoke-after-use
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\""
drive -n 2 -f a@example.com "$T/msg" b@example.com
[ "$(grep -c '^b@example.com ok 250 ' "$T/out")" -eq 2 ] &&
    ok "token refused early: refreshed, both sent" || fail "refresh on 535"
expect_count '^AUTH-REFUSED 1 revoked' 1 "old token refused once"
expect_count '^AUTH-OK 2 ' 1 "new token accepted"
expect_count '^TOKEN ' 2 "exactly one refresh"
smtpd_stop

# --- revoked consent: refreshed once, then a clear failure
oauth_start revoked --cert "$C/server.pem" --key "$C/server.key" $CC \
    --refuse-all
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp the server refused the OAuth2 token \(XOAUTH2\): 334 \{"status": "401"' \
    "revoked: temporary, the server's error challenge shown decoded"
expect_line '^health=failed' "revoked: relay failed"
grep -q 'refused a freshly fetched OAuth2 token as well' "$T/err" &&
    ok "revoked: says the fresh token was refused too" ||
    fail "revoked: no clear reason"
expect_count '^TOKEN ' 2 "revoked: one refresh, not more"
expect_count '^AUTH-REFUSED' 2 "revoked: two attempts, not more"
ls "$SMTPD_OUT" | grep -q '^msg-' && fail "revoked: mail delivered" ||
    ok "revoked: nothing delivered"
drive -p
expect_line '^probe=config .*refused the OAuth2 token' "revoked: probe says config"
no_secret "revoked"
smtpd_stop

# --- wrong scope and wrong secret: the endpoint refuses the grant
oauth_start scope --cert "$C/server.pem" --key "$C/server.key" $CC
cc_conf "$SMTPD_PORT" 'scope = "https://graph.microsoft.com/.default"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp .*refused the grant: HTTP 400: invalid_scope: AADSTS70011' \
    "wrong scope: temporary, endpoint's reason shown"
expect_line '^health=failed' "wrong scope: relay failed"
grep -q AUTH "$SMTPD_OUT/session.log" 2>/dev/null &&
    fail "wrong scope: SMTP AUTH tried without a token" ||
    ok "wrong scope: no SMTP AUTH without a token"
drive -p
expect_line '^probe=config .*invalid_scope' "wrong scope: probe says config"
printf 'not-the-secret\n' >"$T/badsecret"
chmod 600 "$T/badsecret"
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\"" 
sed -i "s|file:$T/secret|file:$T/badsecret|" "$T/conf"
drive -p
expect_line '^probe=config .*HTTP 401: invalid_client' "wrong secret: probe says config"
chmod 644 "$T/secret"
cc_conf "$SMTPD_PORT" "scope = \"$SCOPE\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^send=config .*client_secret: .*readable by others' \
    "client_secret file readable by others refused"
chmod 600 "$T/secret"
expect_count '^TOKEN ' 0 "no token issued to wrong grants"
smtpd_stop

# --- http is allowed on loopback only
oauth_start plain $CC
conf "$SMTPD_PORT" 'auth = "xoauth2"' 'username = "app@corp.example"' \
    "oauth2_token_url = \"$OAUTH_URL\"" 'client_id = "my-app-id"' \
    "client_secret = \"file:$T/secret\"" "scope = \"$SCOPE\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "http token endpoint on loopback"
sed -i 's|http://127.0.0.1|http://token.example|' "$T/conf"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^send=config .*must be https://' "http off loopback refused"
smtpd_stop

# --- Google service account: JWT bearer grant signed RS256
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/sa.key" 2>/dev/null && openssl pkey -in "$T/sa.key" -pubout \
    -out "$T/sa.pub" 2>/dev/null || { echo "FAIL: openssl genpkey"; exit 1; }
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/other.key" 2>/dev/null
SA_EMAIL=mailer@project-1.iam.gserviceaccount.com
oauth_start jwt --cert "$C/server.pem" --key "$C/server.key" --grant jwt \
    --pubkey "$T/sa.pub" --iss "$SA_EMAIL" --sub boss@corp.example \
    --scope https://mail.google.com/ --user boss@corp.example
sa_json() { # KEYFILE OUT
	"$PYTHON3" - "$1" "$SA_EMAIL" "$OAUTH_URL" "$2" <<'PY'
import json, os, sys
key, email, uri, out = sys.argv[1:]
doc = {"type": "service_account", "project_id": "project-1",
       "private_key_id": "0123abcd", "private_key": open(key).read(),
       "client_email": email, "client_id": "1234567890",
       "auth_uri": "https://accounts.google.com/o/oauth2/auth",
       "token_uri": uri}
fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
os.write(fd, json.dumps(doc, indent=2).encode())
os.close(fd)
PY
}
sa_json "$T/sa.key" "$T/sa.json"
sa_json "$T/other.key" "$T/other.json"
jwt_conf() {
	conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
	    'auth = "xoauth2"' "oauth2_service_account = \"file:$1\"" \
	    'oauth2_subject = "boss@corp.example"' \
	    'scope = "https://mail.google.com/"'
}
jwt_conf "$T/sa.json"
drive -v -v -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "service account: JWT grant, XOAUTH2 as the subject"
expect_count '^TOKEN 1 grant=jwt' 1 "service account: endpoint verified the JWT"
expect_count '^AUTH-OK 1 user=boss@corp.example' 1 "service account: user= is oauth2_subject"
no_secret "service account -v -v"
jwt_conf "$T/other.json"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp .*invalid_grant: Invalid JWT Signature' \
    "service account: a JWT signed by another key is refused"
drive -p
expect_line '^probe=config .*Invalid JWT Signature' "wrong key: probe says config"
chmod 644 "$T/sa.json"
jwt_conf "$T/sa.json"
drive -p
expect_line '^probe=config .*oauth2_service_account: .*readable by others' \
    "key file readable by others refused"
smtpd_stop

# --- oauth2_token: a token another tool keeps fresh
oauth_start static --cert "$C/server.pem" --key "$C/server.key" \
    --static-token 'ya29.static-good' --user app@corp.example
printf 'ya29.static-good\n' >"$T/token"
chmod 600 "$T/token"
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    'auth = "xoauth2"' 'username = "app@corp.example"' \
    "oauth2_token = \"file:$T/token\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "oauth2_token from a file"
printf 'ya29.static-stale\n' >"$T/token"
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp the server refused the OAuth2 token' "stale oauth2_token: refused"
expect_count '^AUTH-REFUSED' 2 "stale oauth2_token: re-read once, not more"
no_secret "oauth2_token"
smtpd_stop

finish
