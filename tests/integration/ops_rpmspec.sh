#!/bin/sh
# ops_rpmspec.sh - contrib/rpm/mailshim.spec parses and keeps the
# alternatives, users and permissions the packaging depends on.
set -eu
: "${top_srcdir:?}"

if ! command -v rpmspec >/dev/null 2>&1; then
	echo "SKIP: rpmspec not installed (apt-get install rpm)"
	exit 77
fi
spec=$top_srcdir/contrib/rpm/mailshim.spec
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

if ! rpmspec --parse "$spec" > "$tmp/parsed" 2> "$tmp/err"; then
	cat "$tmp/err"
	echo "FAIL: rpmspec --parse"
	exit 1
fi
echo "ok: rpmspec --parse"

want() {	# fixed-string what
	if grep -q -F -e "$1" "$tmp/parsed"; then
		echo "ok: $2"
	else
		echo "FAIL: parsed spec lacks $2 ($1)"
		fail=1
	fi
}
want 'alternatives --install /usr/sbin/sendmail mta' "the mta alternative"
want '/usr/sbin/sendmail.mailshim 30' "sendmail.mailshim at priority 30"
want '--slave /usr/bin/mailq mta-mailq' "mailq slave"
want '--slave /usr/bin/newaliases mta-newaliases' "newaliases slave"
want 'mta-sendmailman' "man page slave"
want 'alternatives --remove mta /usr/sbin/sendmail.mailshim' "alternative removed on erase"
want '%attr(2755,root,mailshim-drop) /usr/sbin/sendmail.mailshim' "set-gid front end"
want '%config(noreplace) /etc/mailshim/mailshim.conf' "config is noreplace"
want 'useradd -r -g mailshim' "system user"
want 'groupadd -r mailshim-drop' "drop group"
want '--disable-setgid-install' "no chgrp at make install"

# The parse must be able to fail.
printf 'Name: x\n%%description\n%%files\n%%if\n' > "$tmp/bad.spec"
if rpmspec --parse "$tmp/bad.spec" >/dev/null 2>&1; then
	echo "FAIL: rpmspec accepted a broken spec"
	fail=1
fi
exit $fail
