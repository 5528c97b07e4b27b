#!/bin/sh
# flush_route_users.sh - a route's `users` list: only mail submitted by
# those users (login names or numeric uids; the front end records the
# submitting uid in the envelope) takes the route; anyone else's mail
# with a matching sender falls to the next route (here the default).
# A malformed entry is a config error naming FILE:LINE (exit 78).
. "$top_srcdir/tests/integration/lib.sh"
t_setup
me=$(id -un)
uid=$(id -u)
WEB="$T/web"

conf_users() {	# conf_users LIST: route "web" for *@example.com, users LIST
	T_NO_DEFAULT=1 t_conf "relay \"web\" { type = \"maildir\" path = \"$WEB\" }
route \"web\" { senders = {\"*@example.com\"} users = {$1} relays = {\"web\"} }
route \"default\" { relays = {\"capture\"} }"
}
send() {	# send TAG: one message from app@example.com, flushed
	printf 'Subject: %s\n\nbody\n' "$1" |
	    sendmail -i -f app@example.com ops@example.org ||
	    t_fail "$1: sendmail exit $?"
	mailshim flush >"$T/flush.$1" 2>&1 || t_fail "$1: flush exit $?"
}
where() {	# where TAG: web, capture or none
	if grep -rqs "^Subject: $1\$" "$WEB/new"; then echo web
	elif grep -rqs "^Subject: $1\$" "$CAPTURE/new"; then echo capture
	else echo none; fi
}

conf_users "\"$me\""
t_init
send by-name
[ "$(where by-name)" = web ] && t_ok "listed user (name) takes the route" ||
    t_fail "listed user by name went to $(where by-name)"

conf_users "\"$uid\""
send by-uid
[ "$(where by-uid)" = web ] && t_ok "listed user (uid) takes the route" ||
    t_fail "listed uid went to $(where by-uid)"

conf_users "\"no-such-user-$$\", \"$((uid + 4242))\""
send other
[ "$(where other)" = capture ] &&
    t_ok "unlisted user falls to the default route" ||
    t_fail "unlisted user went to $(where other)"

conf_users "\"www data\""
mailshim check --config-only >"$T/check" 2>&1
rc=$?
[ "$rc" = 78 ] && grep -q "mailshim.conf:[0-9]*: route \"web\": bad user" "$T/check" &&
    t_ok "bad entry: 78 with FILE:LINE" ||
    t_fail "bad entry: rc=$rc $(cat "$T/check")"
t_done
