#!/bin/sh
# compat_aliases.sh - /etc/aliases end to end: nested aliases, a local
# name without alias (-> name@domain), a loop (never delivered), a pipe
# target (refused, the rest delivered), `mailshim newaliases` reporting
# FILE:LINE problems, masquerading of local senders, and aliases read at
# flush time (editing the file changes where queued mail goes).
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
compat_setup aliases

cat >"$dir/aliases" <<'EOF2'
# aliases for compat_aliases.sh
root:       ops@example.org
postmaster: root
webmaster:  postmaster,
            web-team
web-team:   alice@example.org, Bob <bob@example.org>
loop-a:     loop-b
loop-b:     loop-a
cronjobs:   |/usr/bin/logger -t cron, cron-ops@example.org
EOF2

# --- newaliases: loop and pipe reported with their lines, exit 78 ------
"$MS" -C "$conf" newaliases >"$dir/na.out" 2>"$dir/na.err"
rc=$?
expect_eq "newaliases exit" "$rc" 78
grep -qF "$dir/aliases:7: alias loop: loop-a -> loop-b -> loop-a" \
    "$dir/na.err" || fail "newaliases: no loop line: $(cat "$dir/na.err")"
grep -qF "$dir/aliases:9: warning: alias \"cronjobs\": pipe target" \
    "$dir/na.err" || fail "newaliases: no pipe line: $(cat "$dir/na.err")"
grep -q '7 aliases' "$dir/na.out" ||
    fail "newaliases: summary [$(cat "$dir/na.out")]"

# A clean file exits 0.
printf 'root: ops@example.org\n' >"$dir/clean"
"$MS" -C "$conf" newaliases "$dir/clean" >"$dir/na.out" 2>"$dir/na.err"
expect_eq "newaliases clean exit" "$?" 0

# --- queue and flush --------------------------------------------------
send() {	# send SUBJECT [sendmail args...]
	subj=$1
	shift
	printf 'Subject: %s\n\nbody of %s\n' "$subj" "$subj" |
	    "$SM" -i "$@" >"$dir/sm.err" 2>&1 ||
	    fail "sendmail $subj: exit $? $(cat "$dir/sm.err")"
}
send to-root root
send to-webmaster webmaster
send to-nobody www-data
send to-cronjobs cronjobs
send to-loop loop-a
send to-foreign root@example.net
printf 'From: root (Cron Daemon)\nTo: root\nSubject: masq\n\nx\n' |
    "$SM" -i -f root@localhost postmaster || fail "sendmail masq: exit $?"

compat_flush
compat_wait 6 || fail "only $(compat_count) of 6 messages arrived"
sleep 0.5	# a 7th (the loop) must not arrive
compat_collect

subject_of() {	# the base path of the message with that subject
	for e in "$dir"/srv/*.eml; do
		test -e "$e" || continue
		if tr -d '\r' <"$e" | grep -qx "Subject: $1"; then
			echo "${e%.eml}"
			return 0
		fi
	done
	return 1
}

check_rcpts() {	# check_rcpts SUBJECT WANT(sorted, comma-joined)
	m=$(subject_of "$1") || { fail "$1: not delivered"; return; }
	expect_eq "$1 recipients" "$(compat_rcpts "$m")" "$2"
}
check_rcpts to-root ops@example.org
check_rcpts to-webmaster \
    "alice@example.org,bob@example.org,ops@example.org"
check_rcpts to-nobody www-data@example.com
check_rcpts to-cronjobs cron-ops@example.org
check_rcpts to-foreign root@example.net
check_rcpts masq ops@example.org
subject_of to-loop >/dev/null && fail "to-loop: a looping alias was delivered"
"$MS" -C "$conf" dead >"$dir/dead.out" 2>&1
grep -q 'alias loop' "$dir/dead.out" ||
    fail "to-loop: not a dead letter naming the loop: $(head -c 300 "$dir/dead.out")"

# Masquerading: local sender and From: take the domain.
if m=$(subject_of masq); then
	expect_eq "masq envelope sender" "$(cat "$m.from")" "root@example.com"
	expect_header "$m" From '^root@example\.com \(Cron Daemon\)$' masq
	expect_header "$m" To '^root@example\.com$' "masq To qualified"
fi
if m=$(subject_of to-root); then
	expect_eq "to-root sender" "$(cat "$m.from")" "$(id -un)@example.com"
	test "$(compat_body "$m")" = "body of to-root" || fail "to-root: body"
fi

# --- aliases apply at flush time --------------------------------------
n=$(compat_count)
send late-root root
printf 'root: new-ops@example.org\n' >"$dir/aliases"
compat_flush
compat_wait $((n + 1)) || fail "late-root: not delivered"
compat_collect
check_rcpts late-root new-ops@example.org

compat_finish
