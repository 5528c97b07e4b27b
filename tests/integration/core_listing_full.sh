#!/bin/sh
# Listings written to a full device (issue 14 item 8): `mailshim queue >
# /dev/full` and every other command that prints a listing exits
# non-zero with a line saying stdout could not be written; the same
# commands exit 0 to a working stdout.
. "$top_srcdir/tests/integration/lib.sh"
[ -c /dev/full ] || { echo "FAIL: no /dev/full" >&2; exit 1; }
t_setup
: > "$T/notadir"
T_NO_DEFAULT=1 t_conf "relay \"broken\" { type = \"maildir\" path = \"$T/notadir/box\" }
route \"default\" { relays = {\"broken\"} }"
t_init
printf 'Subject: x\n\nbody\n' | sendmail -i -f a@example.com r@example.net || t_fail "enqueue"
id=$(ls "$SPOOL/new")
printf 'x\n' > "$SPOOL/dead/strange.bad"
for cmd in "queue" "queue --json" "dead" "dead --json" "show $id" "stats" \
	"stats --prometheus" "check --no-network" "--version" "--help"; do
	# shellcheck disable=SC2086
	mailshim $cmd > /dev/null 2>&1; ok=$?
	# shellcheck disable=SC2086
	mailshim $cmd > /dev/full 2> "$T/err"; rc=$?
	if [ "$rc" != 0 ] && grep -q 'cannot write to standard output' "$T/err"; then
		t_ok "$cmd > /dev/full: exit $rc"
	else
		t_fail "$cmd > /dev/full: exit $rc (to /dev/null: $ok): $(cat "$T/err")"
	fi
done
mailshim queue > /dev/null 2> "$T/err" || t_fail "queue to /dev/null: $(cat "$T/err")"
t_done
