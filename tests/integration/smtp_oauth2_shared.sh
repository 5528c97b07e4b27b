#!/bin/sh
# smtp_oauth2_shared.sh - the OAuth2 token of an xoauth2 relay is shared
# by every process of the flusher through SPOOL/run/oauth2-RELAY, against
# tests/servers/oauth_server.py (a token endpoint that logs one "TOKEN N"
# per grant and an SMTP side that takes only live tokens it issued):
#   - `mailshim flush --workers 4` over 20 messages: ONE token request;
#   - a second run while the token is good: none;
#   - a token past its expiry (as the file records it): exactly one;
#   - every token revoked by the server (SIGUSR1): one refresh across the
#     workers, all mail delivered;
#   - a planted token file that is world-readable, group-readable, owned
#     by someone else, a symlink or malformed: ignored with a log line,
#     replaced (one request), never presented to the server;
#   - the file is 0600, ours, and holds no client secret; no token in
#     the flusher's output.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
OAUTH_PY=$top_srcdir/tests/servers/oauth_server.py
SECRET='cl1ent-S3cret~shared'
SCOPE='https://outlook.office365.com/.default'
printf '%s\n' "$SECRET" >"$T/secret"
chmod 600 "$T/secret"

D=$T/oauth
mkdir -p "$D/out"
"$PYTHON3" "$OAUTH_PY" --dir "$D/out" --port-file "$D/ports" \
    --grant client --client-id my-app-id --client-secret "$SECRET" \
    --scope "$SCOPE" --user app@corp.example --lifetime 600 \
    2>>"$D/err" &
bg=$!
t_pids=$bg
t_wait 10 test -s "$D/ports" || t_abort "oauth_server.py did not start: $(cat "$D/err")"
. "$D/ports"
EV=$D/out/events.log
touch "$EV"

T_NO_DEFAULT=1 t_conf "relay \"r\" {
  type = \"smtp\"
  host = \"127.0.0.1\"
  port = $SMTPD_PORT
  tls = \"none\"
  connect_timeout = 10
  timeout = 30
  auth = \"xoauth2\"
  username = \"app@corp.example\"
  oauth2_token_url = \"$OAUTH_URL\"
  client_id = \"my-app-id\"
  client_secret = \"file:$T/secret\"
  scope = \"$SCOPE\"
  max_per_connection = 1
}
route \"default\" { relays = {\"r\"} }"
t_init
TOK=$SPOOL/run/oauth2-r

tokens() { grep -c '^TOKEN ' "$EV"; }
delivered() { find "$D/out" -name 'msg-*' | wc -l; }
# enqueue N
enqueue() {
	_i=0
	while [ "$_i" -lt "$1" ]; do
		printf 'Subject: shared %s\n\nbody %s\n' "$_i" "$_i" |
		    sendmail -i b@example.com 2>>"$T/enqueue.err" ||
		    t_fail "enqueue $_i"
		_i=$((_i + 1))
	done
}
# run WHAT N: enqueue N messages, flush with 4 workers, check that all N
# went out (sets before/after token counts)
run() {
	_what=$1
	_n=$2
	enqueue "$_n"
	before=$(tokens)
	_d0=$(delivered)
	rc=0
	timeout 120 "$MAILSHIM" flush --workers 4 >"$T/flush.out" \
	    2>"$T/flush.err" || rc=$?
	after=$(tokens)
	[ "$rc" = 0 ] || t_fail "$_what: flush exit $rc: $(head -5 "$T/flush.err")"
	[ $(($(delivered) - _d0)) = "$_n" ] && t_ok "$_what: $_n delivered" ||
	    t_fail "$_what: $(($(delivered) - _d0)) of $_n delivered: $(head -5 "$T/flush.err")"
	if grep -q -e 'ya29\.' -e "$SECRET" "$T/flush.out" "$T/flush.err"; then
		t_fail "$_what: a token or the secret is in the output"
	fi
}
# requests WHAT N: the last run made exactly N token requests
requests() {
	[ $((after - before)) = "$2" ] && t_ok "$1: $2 token request(s)" ||
	    t_fail "$1: $((after - before)) token requests, want $2: $(cat "$EV")"
}
file_sane() { # WHAT: the token file is ours, 0600, and holds no secret
	_m=$(stat -c '%a %u' "$TOK" 2>/dev/null)
	[ "$_m" = "600 $(id -u)" ] && t_ok "$1: run/oauth2-r is 0600 and ours" ||
	    t_fail "$1: run/oauth2-r is '$_m'"
	grep -q -e "$SECRET" -e my-app-id "$TOK" &&
	    t_fail "$1: the token file holds the client secret or id"
}
# plant WHAT: expects the planted file ignored with a log line, replaced
# by exactly one new token, and never presented
plant_check() {
	requests "$1" 1
	grep -Eq "ignoring run/oauth2-r: ($2)" "$T/flush.err" &&
	    t_ok "$1: said in the log" ||
	    t_fail "$1: no log line '$2': $(head -5 "$T/flush.err")"
	[ -L "$TOK" ] && t_fail "$1: still a symlink"
	file_sane "$1"
	grep -q '^AUTH-REFUSED ' "$EV" &&
	    t_fail "$1: a token was refused: $(grep AUTH-REFUSED "$EV")"
}
# set_file TOKEN EXPIRES REFRESH: rewrites run/oauth2-r in place (same
# inode, owner and mode) in the format spool/README documents
set_file() {
	printf 'mailshim-oauth2 1\nexpires %s\nrefresh %s\ntoken %s\n' \
	    "$2" "$3" "$1" >"$TOK"
}
file_token() { sed -n 's/^token //p' "$TOK"; }

# --- 4 workers start together: one request
run "4 workers" 20
requests "4 workers" 1
[ -f "$TOK" ] && t_ok "token kept in run/oauth2-r" || t_fail "no run/oauth2-r"
file_sane "4 workers"
[ "$(grep -c '^AUTH-OK 1 ' "$EV")" = 20 ] && t_ok "all 20 used token 1" ||
    t_fail "token 1 used $(grep -c '^AUTH-OK 1 ' "$EV") times"

# --- a later run while the token is good: none
run "second run" 20
requests "second run" 0

# --- expired (the file says so): exactly one new request
t1=$(file_token)
now=$(date +%s)
set_file "$t1" $((now - 10)) $((now - 70))
run "expired" 20
requests "expired" 1
[ "$(file_token)" != "$t1" ] && t_ok "expired: file holds the new token" ||
    t_fail "expired: file still holds the old token"

# --- the server revokes every token: one refresh across the workers
kill -USR1 "$SMTPD_PID"
t_wait 10 grep -q '^REVOKED' "$EV" || t_abort "server did not revoke"
refused0=$(grep -c '^AUTH-REFUSED ' "$EV")
run "revoked" 20
requests "revoked" 1
refused=$(($(grep -c '^AUTH-REFUSED ' "$EV") - refused0))
[ "$refused" -ge 1 ] && [ "$refused" -le 4 ] &&
    t_ok "revoked: refused $refused time(s), at most once per worker" ||
    t_fail "revoked: refused $refused times"
grep -q 'refused a freshly fetched' "$T/flush.err" &&
    t_fail "revoked: a worker gave up: $(head -3 "$T/flush.err")"
# the next run needs nothing
run "after the refresh" 8
requests "after the refresh" 0

# From here on no token may be refused: a planted file is never used.
sed -i '/^AUTH-REFUSED /d' "$EV"

# --- planted: world-readable
chmod 644 "$TOK"
run "world-readable file" 8
plant_check "world-readable file" "group or others may reach it"

# --- planted: group-readable
chmod 640 "$TOK"
run "group-readable file" 8
plant_check "group-readable file" "group or others may reach it"

# --- planted: owned by someone else (a good, live token in it)
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$TOK"
	run "foreign-owned file" 8
	plant_check "foreign-owned file" "owned by uid 65534, not by us"
else
	echo "note: not root, the foreign-owned case is not run"
fi

# --- planted: malformed, with an expiry far away
printf 'mailshim-oauth2 1\nexpires 99999999999\nrefresh 1\ntoken x y\n' >"$TOK"
run "malformed file" 8
plant_check "malformed file" "impossible expiry|malformed"

# --- planted: a symlink to a good copy
cp -p "$TOK" "$T/elsewhere"
rm -f "$TOK"
ln -s "$T/elsewhere" "$TOK"
run "symlink" 8
plant_check "symlink" "cannot open it"

kill "$bg" 2>/dev/null
t_done
