#!/bin/sh
# ci-package-test.sh - build the .deb, install it, send a message through
# the installed /usr/sbin/sendmail to a loopback SMTP server, then remove
# and purge the package.  For CI, as root, on a disposable Debian host or
# container: it installs and removes the package on this machine.
#
# Prints one line per check and ends with "N passed, N failed"; exits 0
# only when nothing failed.
# shellcheck disable=SC2016,SC2317 # sh -c strings; functions run via traps and check
set -u

pass=0
failed=0
ok() { pass=$((pass + 1)); echo "ok: $*"; }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }
check() {	# what command...
	what=$1
	shift
	if "$@" >/dev/null 2>&1; then ok "$what"; else bad "$what"; fi
}
finish() {
	echo "$pass passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

[ "$(id -u)" -eq 0 ] || { echo "ci-package-test.sh: run as root" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
work=$(mktemp -d /tmp/mailshim-ci.XXXXXX)
chmod 0755 "$work"
server_pid=
# Accounts the package creates and leaves behind; removed again at the
# end when this run created them, so the host is as it was.
had_user=0
had_group=0
getent passwd mailshim >/dev/null 2>&1 && had_user=1
getent group mailshim-drop >/dev/null 2>&1 && had_group=1
had_smtp_user=0
getent passwd mailshim-smtp >/dev/null 2>&1 && had_smtp_user=1
cleanup() {
	[ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
	if dpkg -s mailshim >/dev/null 2>&1; then
		dpkg -P mailshim >/dev/null 2>&1
	fi
	if [ "$had_user" -eq 0 ] && getent passwd mailshim >/dev/null 2>&1; then
		userdel mailshim 2>/dev/null
		getent group mailshim >/dev/null 2>&1 && groupdel mailshim 2>/dev/null
	fi
	if [ "$had_smtp_user" -eq 0 ] && getent passwd mailshim-smtp >/dev/null 2>&1; then
		userdel mailshim-smtp 2>/dev/null
	fi
	if [ "$had_group" -eq 0 ] && getent group mailshim-drop >/dev/null 2>&1; then
		groupdel mailshim-drop 2>/dev/null
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
export DEBIAN_FRONTEND=noninteractive

# Never displace another MTA: installing ours would remove it.
other=$(dpkg-query -W -f='${Package} ${db:Status-Abbrev} ${Provides}\n' 2>/dev/null |
    awk '$2 ~ /^[hi]i/ && $1 != "mailshim" && /mail-transport-agent/ { print $1 }')
if [ -n "$other" ]; then
	echo "ci-package-test.sh: $other provides mail-transport-agent; not replacing it" >&2
	exit 1
fi
if [ -e /usr/sbin/sendmail ] && ! dpkg -S /usr/sbin/sendmail 2>/dev/null | grep -q '^mailshim:'; then
	echo "ci-package-test.sh: /usr/sbin/sendmail exists and is not ours" >&2
	exit 1
fi

# ---- build and install
if deb=$(sh "$here/build.sh" "$work" | tail -n 1) && [ -f "$deb" ]; then
	ok "built $(basename "$deb")"
else
	bad "dpkg-buildpackage"
	finish
fi
# Missing dependencies: let apt add them, never remove a package for it.
if ! dpkg -i "$deb"; then
	apt-get install -y -f --no-remove
fi
check "package installed" dpkg -s mailshim
dpkg -s mailshim 2>/dev/null | grep -q '^Status: install ok installed' ||
	{ bad "package is not fully installed"; finish; }

# ---- what the package set up
check "/usr/sbin/sendmail belongs to mailshim" sh -c \
    'dpkg -S /usr/sbin/sendmail | grep -q "^mailshim:"'
check "/usr/sbin/sendmail is root:mailshim-drop 2755" sh -c \
    '[ "$(stat -c "%a %U %G" /usr/sbin/sendmail)" = "2755 root mailshim-drop" ]'
check "/usr/bin/mailq is a link to sendmail" sh -c \
    '[ "$(readlink -f /usr/bin/mailq)" = /usr/sbin/sendmail ]'
check "/usr/sbin/newaliases is a link to sendmail" sh -c \
    '[ "$(readlink -f /usr/sbin/newaliases)" = /usr/sbin/sendmail ]'
check "user mailshim exists" getent passwd mailshim
check "group mailshim-drop exists" getent group mailshim-drop
check "/etc/mailshim/mailshim.conf is a conffile" sh -c \
    'dpkg-query -W -f="\${Conffiles}" mailshim | grep -q /etc/mailshim/mailshim.conf'
spool=/var/spool/mailshim
mode_is() {	# path "mode user group"
	[ "$(stat -c '%a %U %G' "$1" 2>/dev/null)" = "$2" ]
}
check "spool 0710 mailshim:mailshim-drop" mode_is "$spool" "710 mailshim mailshim-drop"
check "spool/tmp 1730 mailshim:mailshim-drop" mode_is "$spool/tmp" "1730 mailshim mailshim-drop"
check "spool/new 1770 mailshim:mailshim-drop" mode_is "$spool/new" "1770 mailshim mailshim-drop"
for d in queue dead run; do
	check "spool/$d 0700 mailshim:mailshim" mode_is "$spool/$d" "700 mailshim mailshim"
done
unitdir=$(pkg-config --variable=systemdsystemunitdir systemd 2>/dev/null || echo /lib/systemd/system)
check "timer unit installed" test -f "$unitdir/mailshim-flush.timer"
check "SMTP door units installed" test -f "$unitdir/mailshim-smtp.socket" -a -f "$unitdir/mailshim-smtp@.service"
check "SMTP door not enabled" test ! -e /etc/systemd/system/sockets.target.wants/mailshim-smtp.socket
check "SMTP door user created" getent passwd mailshim-smtp

# ---- a loopback SMTP server that stores what it receives
inbox=$work/inbox
mkdir -p "$inbox"
server=$top/tests/servers/smtpd.py
portfile=$work/port
if [ -f "$server" ] && /usr/bin/python3 "$server" --help 2>/dev/null |
    grep -q -e '--port-file' && /usr/bin/python3 "$server" --help |
    grep -q -e '--dir'; then
	/usr/bin/python3 "$server" --dir "$inbox" --port-file "$portfile" \
	    --no-starttls --lifetime 300 &
	server_pid=$!
else
	# tests/servers/smtpd.py is not there or has other options: a
	# minimal aiosmtpd server of our own, same port file and message
	# format (DIR/msg-N.json with rcpt_tos and data_b64).
	cat > "$work/smtpd.py" <<'PY'
import asyncio, base64, json, os, sys
from aiosmtpd.controller import Controller
inbox, portfile = sys.argv[1], sys.argv[2]
class Store:
    n = 0
    async def handle_DATA(self, server, session, envelope):
        Store.n += 1
        path = os.path.join(inbox, "msg-%d.json" % Store.n)
        data = envelope.original_content or envelope.content
        with open(path + ".tmp", "w") as f:
            json.dump({"mail_from": envelope.mail_from,
                       "rcpt_tos": envelope.rcpt_tos,
                       "data_b64": base64.b64encode(data).decode()}, f)
        os.rename(path + ".tmp", path)
        return "250 OK stored"
c = Controller(Store(), hostname="127.0.0.1", port=0)
c.start()
with open(portfile + ".tmp", "w") as f:
    f.write("SMTPD_PORT=%d\n" % c.server.sockets[0].getsockname()[1])
os.rename(portfile + ".tmp", portfile)
try:
    asyncio.new_event_loop().run_until_complete(asyncio.sleep(300))
finally:
    c.stop()
PY
	/usr/bin/python3 "$work/smtpd.py" "$inbox" "$portfile" &
	server_pid=$!
fi
i=0
while [ ! -s "$portfile" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
port=$(sed -n 's/^SMTPD_PORT=\([0-9][0-9]*\)$/\1/p' "$portfile" 2>/dev/null)
if [ -n "$port" ]; then ok "test SMTP server on 127.0.0.1:$port"; else bad "test SMTP server did not start"; finish; fi

# ---- configure a relay to it and send as an unprivileged user
conf=/etc/mailshim/mailshim.conf
cp "$conf" "$work/conf.orig"
cat > "$conf" <<EOF2
hostname = "ci.example.com"
domain   = "example.com"
relay "test" {
	type = "smtp"
	host = "127.0.0.1"
	port = $port
	tls  = "none"
}
route "default" { relays = {"test"} }
EOF2
check "installed config passes mailshim check --config-only" \
    mailshim check --config-only
printf 'Subject: ci package test\nFrom: ci@example.com\n\nhello from the package\n' |
    runuser -u nobody -- /usr/sbin/sendmail -i -f ci@example.com rcpt@example.net
rc=$?
if [ $rc -eq 0 ]; then ok "sendmail as nobody exits 0"; else bad "sendmail as nobody exits $rc"; fi
check "message is queued in new/" sh -c "[ -n \"\$(ls -A $spool/new)\" ]"
check "nobody cannot list new/" sh -c "! runuser -u nobody -- ls $spool/new"
runuser -u mailshim -- mailshim flush
rc=$?
if [ $rc -eq 0 ]; then ok "mailshim flush as mailshim exits 0"; else bad "mailshim flush exits $rc"; fi
i=0
while ! ls "$inbox"/msg-*.json >/dev/null 2>&1 && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
if /usr/bin/python3 - "$inbox" <<'PY'
import base64, glob, json, sys
for p in glob.glob(sys.argv[1] + "/msg-*.json"):
    m = json.load(open(p))
    if ("rcpt@example.net" in m["rcpt_tos"] and
            b"hello from the package" in base64.b64decode(m["data_b64"])):
        sys.exit(0)
sys.exit(1)
PY
then
	ok "message arrived at the SMTP server"
else
	bad "message did not arrive"
fi
check "queue is empty after flush" sh -c "[ -z \"\$(ls -A $spool/queue)\" ]"
cp "$work/conf.orig" "$conf"

# ---- remove keeps the spool, purge deletes it
dpkg -r mailshim >/dev/null 2>&1
check "dpkg -r mailshim" sh -c '! dpkg -s mailshim | grep -q "^Status: install ok installed"'
check "removed: /usr/sbin/sendmail gone" test ! -e /usr/sbin/sendmail
check "removed: spool kept" test -d "$spool/queue"
dpkg -P mailshim >/dev/null 2>&1
check "dpkg -P mailshim" sh -c '! dpkg -s mailshim >/dev/null 2>&1'
check "purged: spool gone" test ! -e "$spool"
check "purged: /var/lib/mailshim gone" test ! -e /var/lib/mailshim
check "purged: config gone" test ! -e "$conf"
check "purged: no stat override left" sh -c '! dpkg-statoverride --list /usr/sbin/sendmail'
finish
