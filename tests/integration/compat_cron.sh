#!/bin/sh
# compat_cron.sh - Debian's cron mailing job output through the front end.
# cron runs the compiled-in "/usr/sbin/sendmail -FCronDaemon -i
# -B8BITMIME -oem ADDR", so inside a private mount namespace (never on
# the host) an overlay puts a wrapper at /usr/sbin/sendmail, a tmpfs on
# /run makes cron believe the system just booted (it runs @reboot jobs
# only when /run/crond.reboot is absent), and bind mounts give it our
# crontabs and an empty /etc/crontab and /etc/cron.d. Checked at the SMTP
# server: MAILTO with one address, with several (comma-separated),
# MAILTO="" (no mail), MAILFROM (Debian's cron writes it as the From:
# header; the envelope sender stays the crontab owner), a user's crontab
# without MAILTO (bare user name -> aliases), From: "root (Cron Daemon)"
# masqueraded, MAILTO=root (a bare name) arriving as "To:
# root@example.com" (the config's domain: SES refuses header addresses
# without one). Needs root (useradd, unshare, mount).
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
test "$(id -u)" = 0 || { echo "SKIP: needs root (unshare, mount, useradd)"; exit 77; }
test -x /usr/sbin/cron || { echo "SKIP: cron is not installed (Debian: cron)"; exit 77; }
command -v useradd >/dev/null 2>&1 || { echo "SKIP: no useradd"; exit 77; }
unshare --mount --propagation private true 2>/dev/null ||
    { echo "SKIP: unshare --mount is not permitted here"; exit 77; }
for d in /var/spool/cron/crontabs /etc/cron.d; do
	test -d "$d" || { echo "SKIP: no $d"; exit 77; }
done
test -f /etc/crontab || { echo "SKIP: no /etc/crontab to bind over"; exit 77; }
getent group crontab >/dev/null || { echo "SKIP: no crontab group"; exit 77; }
compat_setup cron

user="mscron$$"
cron_pidfile=
cleanup_cron() {
	userdel "$user" >/dev/null 2>&1
	compat_cleanup
}
trap cleanup_cron EXIT
useradd -M -U -d "$dir/home" -s /bin/sh "$user" ||
    { echo "useradd failed"; exit 99; }
chown "$user:" "$dir/home"
# As an installed front end's group would: the user's group may enter
# the spool and write tmp/ and new/ (nothing more).
chgrp "$user" "$spool" "$spool/tmp" "$spool/new" ||
    { echo "cannot give the spool to the test group"; exit 99; }

printf '%s: cronuser-ops@example.org\n' "$user" >"$dir/aliases"

# Crontabs, owned and moded as crontab(1) makes them.
mkdir "$dir/crontabs" "$dir/crond" "$dir/sbin"
chown root:crontab "$dir/crontabs"
chmod 1730 "$dir/crontabs"
cat >"$dir/crontabs/root" <<'EOF2'
SHELL=/bin/sh
MAILTO=ops@example.org
@reboot echo root-one-rcpt
MAILTO=a@example.org,b@example.org
@reboot echo root-two-rcpts
MAILTO=""
@reboot echo root-silent
MAILTO=root
@reboot echo root-bare
MAILTO=ops@example.org
@reboot true
MAILFROM=cron-sender@example.com
@reboot echo root-mailfrom
EOF2
printf '@reboot echo user-job; id -un\n' >"$dir/crontabs/$user"
chown root:crontab "$dir/crontabs/root"
chown "$user:crontab" "$dir/crontabs/$user"
chmod 600 "$dir/crontabs/root" "$dir/crontabs/$user"
: >"$dir/etc-crontab"
chmod 644 "$dir/etc-crontab"
cp "$wrapper" "$dir/sbin/sendmail"
chmod 755 "$dir/sbin/sendmail"

want=5		# messages cron should queue
cat >"$dir/inner.sh" <<EOF2
set -e
mount -t tmpfs -o mode=755 tmpfs /run
mount --bind '$dir/crontabs' /var/spool/cron/crontabs
mount --bind '$dir/etc-crontab' /etc/crontab
mount --bind '$dir/crond' /etc/cron.d
mount -t overlay overlay -o 'lowerdir=$dir/sbin:/usr/sbin' /usr/sbin
test -x /usr/sbin/sendmail
set +e
/usr/sbin/cron -f -L 15 >'$dir/cron.log' 2>&1 &
pid=\$!
i=0
# Bounded wait: every job mailed ($want files in new/), at most 60 s.
while test "\$(ls '$spool/new' | wc -l)" -lt $want && test \$i -lt 600; do
	kill -0 \$pid 2>/dev/null || break
	sleep 0.1
	i=\$((i + 1))
done
sleep 2		# a wrongly mailed MAILTO="" job would show up now
kill \$pid
wait \$pid 2>/dev/null
exit 0
EOF2
timeout 90 unshare --mount --propagation private sh "$dir/inner.sh" \
    >"$dir/inner.out" 2>&1 ||
    fail "namespace script: exit $? ($(head -c 400 "$dir/inner.out"))"
queued=$(ls "$spool/new" | wc -l)
expect_eq "messages cron queued" "$queued" "$want"

compat_flush
compat_wait "$want" || fail "only $(compat_count) of $want arrived"
sleep 0.5
compat_collect
expect_eq "messages at the server" "$(compat_count)" "$want"

by_body() {	# the base path of the message whose body is $1
	for e in "$dir"/srv/*.eml; do
		test -e "$e" || continue
		if compat_body "${e%.eml}" | grep -qxF -- "$1"; then
			echo "${e%.eml}"
			return 0
		fi
	done
	return 1
}
cron_headers() {	# cron_headers BASE WHAT
	expect_header "$1" Subject "^Cron <[^>]+> echo " "$2 Subject"
	expect_header "$1" Date '^[A-Z][a-z]{2}, ' "$2 Date added"
	expect_header "$1" Message-ID '@web-1\.example\.com>$' "$2 Message-ID added"
}
if m=$(by_body root-one-rcpt); then
	expect_eq "one: rcpts" "$(compat_rcpts "$m")" ops@example.org
	expect_eq "one: sender" "$(cat "$m.from")" root@example.com
	expect_header "$m" From '^root@example\.com \(Cron Daemon\)$' "one From masqueraded"
	expect_header "$m" To '^ops@example\.org$' "one To"
	cron_headers "$m" one
else
	fail "root-one-rcpt not delivered"
fi
if m=$(by_body root-two-rcpts); then
	expect_eq "two: rcpts" "$(compat_rcpts "$m")" "a@example.org,b@example.org"
	cron_headers "$m" two
else
	fail "root-two-rcpts not delivered"
fi
by_body root-silent >/dev/null && fail "MAILTO=\"\" job was mailed"
if m=$(by_body root-bare); then
	expect_eq "bare: rcpts" "$(compat_rcpts "$m")" root@example.com
	expect_header "$m" To '^root@example\.com$' "MAILTO=root: To qualified"
	expect_header "$m" From '^root@example\.com \(Cron Daemon\)$' "bare From"
	cron_headers "$m" bare
else
	fail "root-bare not delivered"
fi
if m=$(by_body root-mailfrom); then
	expect_eq "mailfrom: rcpts" "$(compat_rcpts "$m")" ops@example.org
	expect_header "$m" From '^cron-sender@example\.com$' "MAILFROM as From:"
	expect_eq "mailfrom: sender" "$(cat "$m.from")" root@example.com
else
	fail "root-mailfrom not delivered"
fi
if m=$(by_body user-job); then
	expect_eq "user: rcpts (bare name through aliases)" \
	    "$(compat_rcpts "$m")" cronuser-ops@example.org
	expect_eq "user: sender" "$(cat "$m.from")" "$user@example.com"
	compat_body "$m" | grep -qxF "$user" ||
	    fail "user: job did not run as $user"
	expect_header "$m" To "^$user@example\\.com\$" "user To qualified"
	cron_headers "$m" user
else
	fail "user-job not delivered"
fi
test -e /usr/sbin/sendmail && test ! -L /usr/sbin/sendmail &&
    grep -q "$dir" /usr/sbin/sendmail 2>/dev/null &&
    fail "the test's wrapper leaked onto the host's /usr/sbin/sendmail"
if test "$failures" -ne 0; then
	echo "--- namespace script"; cat "$dir/inner.out"
	echo "--- cron -f -L 15"; cat "$dir/cron.log"
fi
compat_finish
