#!/bin/sh
# hard_privilege.sh - the privilege model of spool/README, for real: a
# set-gid copy of the front end, the users mailshim, alice and bob, the
# group mailshim-drop, a spool made by `mailshim init` as root.
#   - alice and bob enqueue through the set-gid front end;
#   - alice can neither read, list, change nor delete bob's queued or dead
#     mail, through the file system or any mailshim command;
#   - -C FILE / MAILSHIM_CONFIG make the front end drop its group;
#     an unreadable -C file is 78 with one clear line;
#   - a huge argv fails safely; closed descriptors 0-2 are handled and no
#     log text lands in a message;
#   - a relay password never shows in logs, mailq, show, check or errors.
# Users and group are created if missing and removed again. The front end
# reads the default config path: the test runs in a private mount
# namespace (unshare --mount) where a tmpfs holds that path.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (creates users, set-gid binary)"; exit 77; }
for c in useradd userdel groupadd groupdel runuser unshare; do
	command -v $c >/dev/null || { echo "SKIP: $c missing"; exit 77; }
done
unshare --mount true 2>/dev/null || { echo "SKIP: unshare --mount not permitted"; exit 77; }
# A set-gid process is not dumpable: LeakSanitizer aborts in it and it
# cannot even read ASAN_OPTIONS. The plain build runs this test.
if nm "${top_builddir:-.}/sendmail/sendmail" 2>/dev/null | grep -q __asan_init; then
	echo "SKIP: sanitizer build (LeakSanitizer cannot run set-gid)"; exit 77
fi

if [ -z "${HARD_IN_NS:-}" ]; then
	created=
	cleanup_users() {
		for u in $created; do
			case $u in
			group:*) groupdel "${u#group:}" 2>/dev/null ;;
			*) userdel "$u" 2>/dev/null ;;
			esac
		done
	}
	trap cleanup_users EXIT
	# Users first (userdel of a user whose group is mailshim-drop...), the
	# group is removed last: $created is in creation order, reversed below.
	if ! getent group mailshim-drop >/dev/null; then
		groupadd -r mailshim-drop || exit 99
		created="group:mailshim-drop"
	fi
	for u in mailshim alice bob; do
		if ! id "$u" >/dev/null 2>&1; then
			useradd -M -U -s /bin/sh -d /nonexistent "$u" || exit 99
			created="$u $created"
		fi
	done
	HARD_IN_NS=1 unshare --mount --propagation private sh "$0"
	rc=$?
	exit $rc
fi

. "$top_srcdir/tests/integration/lib.sh"
t_setup
trap 'umount "$T/bin" 2>/dev/null; t_cleanup' EXIT
unset MAILSHIM_CONFIG
DEF=$("$MAILSHIM" --help 2>&1 | sed -n 's/.*(default \([^,)]*\).*/\1/p' | head -1)
[ -n "$DEF" ] || { echo "FAIL: cannot find the default config path"; exit 1; }
D=$(dirname "$DEF")
if [ -d "$D" ]; then mount -t tmpfs tmpfs "$D" || exit 99
else
	P=$(dirname "$D")
	[ -d "$P" ] || { echo "SKIP: neither $D nor $P exists"; exit 77; }
	mount -t tmpfs tmpfs "$P" || exit 99
	mkdir -p "$D"
fi
# A set-gid copy on a tmpfs (suid allowed here, whatever /tmp says).
mkdir "$T/bin"
mount -t tmpfs -o mode=755 tmpfs "$T/bin" || exit 99
cp "$SENDMAIL" "$T/bin/sendmail"
chgrp mailshim-drop "$T/bin/sendmail" && chmod 2755 "$T/bin/sendmail"
SM=$T/bin/sendmail
ln -s sendmail "$T/bin/mailq"
# The real config, readable by all, at the default path.
t_conf ""
cp "$CONF" "$DEF"
chmod 644 "$DEF"
"$MAILSHIM" -C "$DEF" init 2>/dev/null || t_fail "init"
[ "$(stat -c %U:%G "$SPOOL")" = mailshim:mailshim-drop ] || t_fail "spool owner: $(stat -c %U:%G "$SPOOL")"
chmod 711 "$T"
as() { u=$1; shift; runuser -u "$u" -- env -u MAILSHIM_CONFIG "$@"; }
msgfile() { printf 'Subject: from %s\n\nSECRET-BODY-OF-%s\n' "$1" "$1" > "$T/msg.$1"; chmod 644 "$T/msg.$1"; }
msgfile alice; msgfile bob

# 1. Both enqueue through the set-gid front end.
as alice "$SM" -i x@example.net < "$T/msg.alice" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && t_ok "alice enqueues" || t_fail "alice: rc=$rc $(cat "$T/err")"
as bob "$SM" -i y@example.net < "$T/msg.bob" 2>"$T/err"; rc=$?
[ "$rc" = 0 ] && t_ok "bob enqueues" || t_fail "bob: rc=$rc $(cat "$T/err")"
BOBNEW=$(grep -l 'SECRET-BODY-OF-bob' "$SPOOL"/new/* | head -1)
[ -n "$BOBNEW" ] || t_fail "bob's message not in new/"
[ "$(stat -c '%U %a' "$BOBNEW")" = "bob 604" ] || t_fail "bob's file: $(stat -c '%U %a' "$BOBNEW")"
BOBID=$(basename "$BOBNEW")

# 2. alice against bob's file in new/ through the file system.
fs_denied() { # WHAT PATH...: every attempt fails and bob's file is intact
	what=$1; shift
	for cmd in "ls $1" "cat $2" "rm -f $2" "mv $2 /tmp/stolen.$$" "ln $2 /tmp/stolen.$$" \
	    "ln -s /etc/shadow $1/AAAAAAAAAAAAAAAAAAAAAA" "cp $2 /tmp/stolen.$$" "touch $1/x"; do
		if as alice sh -c "$cmd" >/dev/null 2>&1; then
			t_fail "alice could: $cmd ($what)"
		fi
	done
	[ -f "$2" ] && t_ok "alice denied on $what" || t_fail "$what: bob's file gone"
	rm -f "/tmp/stolen.$$"
}
fs_denied "new/" "$SPOOL/new" "$BOBNEW"
as alice ls "$SPOOL" >/dev/null 2>&1 && t_fail "alice can list the spool"
as alice ls "$SPOOL/tmp" >/dev/null 2>&1 && t_fail "alice can list tmp/"

# 3. Into queue/ (deferred: a relay nobody listens on) and one dead letter.
PORT=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
T_NO_DEFAULT=1 t_conf "relay \"down\" { type = \"smtp\" host = \"127.0.0.1\" port = $PORT tls = \"none\" connect_timeout = 2 timeout = 2 }
route \"default\" { relays = {\"down\"} }"
cp "$CONF" "$DEF"
"$MAILSHIM" -C "$DEF" flush >/dev/null 2>&1
[ -f "$SPOOL/queue/$BOBID" ] && t_ok "bob's message deferred in queue/" || t_fail "bob's message not in queue/: $(ls "$SPOOL/queue")"
cp -p "$SPOOL/queue/$BOBID" "$SPOOL/dead/$BOBID"
printf 'attempts 1\nlast 1\nnext 1\nreason 550 test\nrcpt dead 1 down y@example.net 550 no\n' > "$SPOOL/dead/$BOBID.state"
fs_denied "queue/" "$SPOOL/queue" "$SPOOL/queue/$BOBID"
fs_denied "dead/" "$SPOOL/dead" "$SPOOL/dead/$BOBID"

# 4. ... nor through mailshim (with the config readable by all).
for cmd in "queue" "show $BOBID" "delete $BOBID" "dead" "requeue $BOBID" "retry $BOBID" "flush"; do
	# shellcheck disable=SC2086
	as alice "$MAILSHIM" $cmd > "$T/out" 2> "$T/err"; rc=$?
	if [ "$rc" = 0 ]; then
		t_fail "mailshim $cmd as alice succeeded: $(head -2 "$T/out")"
	elif ! grep -qi 'permission\|only root\|not allowed' "$T/err"; then
		t_fail "mailshim $cmd as alice: rc=$rc, unclear message: $(head -2 "$T/err")"
	else
		t_ok "mailshim $cmd as alice refused (rc=$rc): $(head -1 "$T/err")"
	fi
	grep -q 'SECRET-BODY-OF-bob\|y@example.net' "$T/out" "$T/err" && t_fail "mailshim $cmd showed bob's mail to alice"
done
as alice "$T/bin/mailq" > "$T/out" 2>&1; rc=$?
[ "$rc" != 0 ] && ! grep -q "$BOBID\|y@example.net" "$T/out" && t_ok "mailq as alice refused" || t_fail "mailq as alice: rc=$rc $(head -2 "$T/out")"
[ -f "$SPOOL/queue/$BOBID" ] && [ -f "$SPOOL/dead/$BOBID" ] || t_fail "bob's mail changed by alice's commands"

# 5. A caller-named config drops the group.
cp "$DEF" "$T/alice.conf"; chmod 644 "$T/alice.conf"
as alice "$SM" -C "$T/alice.conf" -i x@example.net < "$T/msg.alice" 2>"$T/err"; rc=$?
[ "$rc" = 75 ] && t_ok "-C with the real spool: 75 (group dropped): $(cat "$T/err")" || t_fail "-C own config: rc=$rc $(cat "$T/err")"
as alice env MAILSHIM_CONFIG="$T/alice.conf" "$SM" -i x@example.net < "$T/msg.alice" 2>"$T/err"; rc=$?
[ "$rc" = 75 ] && t_ok "MAILSHIM_CONFIG: 75 (group dropped)" || t_fail "MAILSHIM_CONFIG: rc=$rc $(cat "$T/err")"
cp "$DEF" "$T/grp.conf"; chgrp mailshim-drop "$T/grp.conf"; chmod 640 "$T/grp.conf"
as alice "$SM" -C "$T/grp.conf" -i x@example.net < "$T/msg.alice" 2>"$T/err"; rc=$?
[ "$rc" = 78 ] && [ "$(wc -l < "$T/err")" = 1 ] && t_ok "group-only config refused: $(cat "$T/err")" || t_fail "group-only config: rc=$rc $(cat "$T/err")"
cp "$DEF" "$T/none.conf"; chmod 600 "$T/none.conf"
as alice "$SM" -C "$T/none.conf" -i x@example.net < "$T/msg.alice" 2>"$T/err"; rc=$?
[ "$rc" = 78 ] && [ "$(wc -l < "$T/err")" = 1 ] && grep -q 'none.conf' "$T/err" && t_ok "unreadable -C: 78, one line" || t_fail "unreadable -C: rc=$rc $(cat "$T/err")"

# 6. Huge argv: never a crash.
cat > "$T/huge.py" <<'EOPY'
import subprocess, sys
# One exec with 60,000 recipients (about 1 MB of argv): over the envelope's
# limit of 10,000 (spool/envelope.h ENV_MAX_RCPTS), so the front end
# refuses the message as unacceptable: EX_DATAERR (65), one line.
r = subprocess.run([sys.argv[1], "-i"] + ["r%d@e.x" % i for i in range(60000)],
                   stdin=open(sys.argv[2]), stderr=subprocess.PIPE)
print(r.returncode, r.stderr.decode(errors="replace")[:200].strip().replace("\n", " | "))
EOPY
before=$(t_count "$SPOOL/new")
as alice "$PYTHON3" "$T/huge.py" "$SM" "$T/msg.alice" > "$T/huge.out" 2>&1
if [ "$(cat "$T/huge.out")" = "65 sendmail: too many recipients (at most 10000)" ] &&
    [ "$(t_count "$SPOOL/new")" = "$before" ]; then
	t_ok "60000 recipients in one argv: 65, one line, nothing queued"
else
	t_fail "60000 recipients: want \"65 sendmail: too many recipients (at most 10000)\" and nothing queued, got: $(cat "$T/huge.out"), new/ $before -> $(t_count "$SPOOL/new")"
fi
# One argument just under the kernel's 128 KB limit per argument.
big=$(head -c 120000 /dev/zero | tr '\0' a)
as alice "$SM" -i "$big@example.net" < "$T/msg.alice" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -lt 126 ] && [ "$(wc -c < "$T/err")" -lt 2000 ] && t_ok "120 KB argument: rc=$rc $(cut -c1-100 "$T/err")" || t_fail "120 KB argument: rc=$rc, $(wc -c < "$T/err") bytes of error"
as alice "$SM" -f "$big" -F "$big" -i x@example.net < "$T/msg.alice" >/dev/null 2>"$T/err"; rc=$?
[ "$rc" -lt 126 ] && [ "$(wc -c < "$T/err")" -lt 2000 ] && t_ok "120 KB -f/-F: rc=$rc $(cut -c1-100 "$T/err")" || t_fail "120 KB -f/-F: rc=$rc"

# 7. Descriptors 0-2 closed.
before=$(ls "$SPOOL/new" | wc -l)
as alice sh -c "'$SM' -i x@example.net <&- >&- 2>&-"; rc=$?
# Set-gid, glibc puts /dev/full (write-only) on a closed stdin, so reading
# it fails: 74 is a correct answer, 0 (empty message queued) as well.
case $rc in 0|74) t_ok "stdin/stdout/stderr closed: rc=$rc" ;; *) t_fail "all closed: rc=$rc" ;; esac
as alice sh -c "'$SM' -v -i fdtest@example.net < '$T/msg.alice' >&- 2>&-"; rc=$?
[ "$rc" = 0 ] && t_ok "stdout/stderr closed, -v: queued" || t_fail "1/2 closed: rc=$rc"
f=$(grep -l 'fdtest@example.net' "$SPOOL"/new/* 2>/dev/null | head -1)
if [ -z "$f" ]; then t_fail "message with closed 1/2 not found"
elif grep -q '^sendmail:\|queued' "$f"; then t_fail "log text landed in the message: $(grep '^sendmail:\|queued' "$f" | head -2)"
else t_ok "no log text in the message"; fi
[ "$(ls "$SPOOL/new" | wc -l)" -gt "$before" ] || t_fail "nothing queued with closed descriptors"

# 8. Secrets: a relay password never shows.
. "$top_srcdir/tests/servers/smtpd_lib.sh"
SECRET='S3cr3t-Xyzzy-4711'
printf '%s\n' "$SECRET" > "$T/pass"; chmod 600 "$T/pass"
smtpd_start "$T/srv" --auth-user relayuser --auth-pass "not-$SECRET" --auth-plaintext --lifetime 60 || t_fail smtpd
t_pids="$SMTPD_PID"
T_NO_DEFAULT=1 t_conf "relay \"auth\" { type = \"smtp\" host = \"127.0.0.1\" port = $SMTPD_PORT tls = \"none\" username = \"relayuser\" password = \"file:$T/pass\" timeout = 3 connect_timeout = 3 }
route \"default\" { relays = {\"auth\"} }"
cp "$CONF" "$DEF"
rm -f "$SPOOL"/dead/*
"$MAILSHIM" -C "$DEF" retry >/dev/null 2>&1
"$MAILSHIM" -C "$DEF" -v flush > "$T/s.flush" 2>&1
"$MAILSHIM" -C "$DEF" queue > "$T/s.queue" 2>&1
"$SM" -bp > "$T/s.mailq" 2>&1
"$MAILSHIM" -C "$DEF" show "$BOBID" > "$T/s.show" 2>&1
timeout 30 "$MAILSHIM" -C "$DEF" -v check > "$T/s.check" 2>&1
cat "$SPOOL"/queue/*.state > "$T/s.states" 2>/dev/null
grep -q 'auth\|535\|AUTH' "$T/s.flush" || t_fail "the wrong password did not show as an auth failure: $(tail -3 "$T/s.flush")"
b64=$(printf '\0relayuser\0%s' "$SECRET" | base64 | tr -d '\n')
b64u=$(printf '%s' "$SECRET" | base64 | tr -d '\n')
leak=0
for f in "$T"/s.*; do
	if grep -qF -e "$SECRET" -e "$b64" -e "$b64u" "$f"; then
		t_fail "secret in $(basename "$f"): $(grep -F -e "$SECRET" -e "$b64" -e "$b64u" "$f" | head -2)"
		leak=1
	fi
done
[ "$leak" = 0 ] && t_ok "no secret in flush -v log, queue, mailq, show, check, state files"
smtpd_stop
t_done
