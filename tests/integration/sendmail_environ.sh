#!/bin/sh
# sendmail_environ.sh - the caller's environment never reaches the
# administrator's configuration. libconfuse expands ${VAR} in values, so
# a config at the default path holding hostname = "${HOSTNAME:-...}" and
# spool = "${MS_SPOOL:-...}" must read the same whatever the caller sets:
# the 220 greeting of -bs, the Message-ID of the stored message and the
# spool written stay the administrator's, both for an unprivileged user
# through a set-gid copy of the front end and for root. TZ alone is kept
# (it dates the caller's own message). With -C/MAILSHIM_CONFIG (group
# dropped, the caller's own config) expansion is the caller's business,
# and the test checks it does happen there, so the checks can fail.
# Runs in a private mount namespace (the default config path is a tmpfs
# there); needs root.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (mount namespace, set-gid copy)"; exit 77; }
command -v unshare >/dev/null && command -v runuser >/dev/null ||
    { echo "SKIP: unshare or runuser missing"; exit 77; }
unshare --mount true 2>/dev/null || { echo "SKIP: unshare --mount not permitted"; exit 77; }
id nobody >/dev/null 2>&1 && getent group mail >/dev/null ||
    { echo "SKIP: no user nobody or group mail"; exit 77; }
if nm "${top_builddir:-.}/sendmail/sendmail" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: sanitizer build (LeakSanitizer cannot run set-gid)"; exit 77
fi
if [ -z "${ENV_IN_NS:-}" ]; then
	ENV_IN_NS=1 unshare --mount --propagation private sh "$0"
	exit $?
fi

. "$top_srcdir/tests/integration/lib.sh"
t_setup
trap 'umount "$T/bin" 2>/dev/null; t_cleanup' EXIT
unset MAILSHIM_CONFIG MAILSHIM_LOG_STDERR
DEF=$("$MAILSHIM" --help 2>&1 | sed -n 's/.*(default \([^,)]*\).*/\1/p' | head -1)
[ -n "$DEF" ] || { echo "FAIL: cannot find the default config path"; exit 1; }
D=$(dirname "$DEF")
if [ -d "$D" ]; then mount -t tmpfs tmpfs "$D" || exit 99
else
	P=$(dirname "$D")
	[ -d "$P" ] || { echo "FAIL: neither $D nor $P exists"; exit 1; }
	mount -t tmpfs tmpfs "$P" || exit 99
	mkdir -p "$D"
fi
cat >"$DEF" <<EOF2
spool = "\${MS_SPOOL:-$SPOOL}"
hostname = "\${HOSTNAME:-web-1.example.com}"
domain = "\${MS_DOMAIN:-example.com}"
EOF2
chmod 644 "$DEF"
for s in "$SPOOL" "$T/evil"; do
	mkdir -p "$s/tmp" "$s/new" "$s/queue" "$s/dead" "$s/run"
	chgrp -R mail "$s" && chmod 0710 "$s" && chmod 0730 "$s/tmp" &&
	    chmod 0770 "$s/new" ||
	    exit 99
done
mkdir "$T/bin"
mount -t tmpfs -o mode=755 tmpfs "$T/bin" || exit 99
cp "$SENDMAIL" "$T/bin/sendmail"
chgrp mail "$T/bin/sendmail" && chmod 2755 "$T/bin/sendmail" || exit 99

hostile="HOSTNAME=evil.example MS_SPOOL=$T/evil MS_DOMAIN=evil.example TZ=JST-9"
session='EHLO c\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<u@example.net>\r\nDATA\r\nTo: root\r\nSubject: env\r\n\r\nbody\r\n.\r\nQUIT\r\n'

# check WHO: the session's greeting, message and spool are the admin's
check() {
	head -n 1 "$T/out" | tr -d '\r' >"$T/greet"
	[ "$(cat "$T/greet")" = "220 web-1.example.com ESMTP mailshim" ] &&
	    t_ok "$1: greeting" || t_fail "$1: greeting [$(cat "$T/greet")]"
	f=$(ls -t "$SPOOL/new/"* 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		t_fail "$1: nothing in the administrator's spool"
	else
		grep -q '^Message-ID: <[0-9A-F]*@web-1\.example\.com>$' "$f" &&
		    t_ok "$1: Message-ID" ||
		    t_fail "$1: Message-ID $(grep -i '^message-id' "$f")"
		grep -qx 'To: root@example.com' "$f" && t_ok "$1: domain" ||
		    t_fail "$1: domain: $(grep '^To:' "$f")"
		grep -q '^Date: .* +0900$' "$f" && t_ok "$1: TZ kept" ||
		    t_fail "$1: TZ not kept: $(grep '^Date:' "$f")"
		rm -f "$f"
	fi
	[ -z "$(find "$T/evil" -type f)" ] &&
	    t_ok "$1: caller's spool untouched" ||
	    t_fail "$1: wrote into the caller's spool"
}

chmod 711 "$T"
printf "$session" >"$T/in"
chmod 644 "$T/in"
runuser -u nobody -- env $hostile "$T/bin/sendmail" -bs <"$T/in" >"$T/out" 2>"$T/err" ||
    t_fail "nobody: exit $? ($(cat "$T/err"))"
grep -q '^250 2.0.0 Ok: queued' "$T/out" ||
    t_fail "nobody: not queued: $(tr -d '\r' <"$T/out" | tail -n 3) $(cat "$T/err")"
check "nobody, set-gid"
env $hostile "$SENDMAIL" -bs <"$T/in" >"$T/out" 2>"$T/err" ||
    t_fail "root: exit $? ($(cat "$T/err"))"
check "root"

# Control: a caller-named config is the caller's; its ${VAR} expand.
env $hostile MAILSHIM_CONFIG="$DEF" "$SENDMAIL" -bs <"$T/in" >"$T/out" 2>&1
grep -q '^220 evil.example ' "$T/out" &&
    t_ok "-C config: the caller's variables expand (the check above can fail)" ||
    t_fail "-C config: no expansion seen: $(head -n 1 "$T/out")"
t_done
