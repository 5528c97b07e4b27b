#!/bin/sh
# ops_units.sh - the systemd units pass `systemd-analyze verify`, with
# ExecStart pointed at the built mailshim, and keep the settings operators
# rely on (exit 75 is success, hardening, timer every minute).
set -eu
: "${top_builddir:?}" "${top_srcdir:?}"

if ! command -v systemd-analyze >/dev/null 2>&1; then
	echo "SKIP: systemd-analyze not installed (apt-get install systemd)"
	exit 77
fi

units="mailshim-flush.service mailshim-flush.timer mailshim-flush.path mailshim-watch.service mailshim-smtp.socket mailshim-smtp@.service mailshim-pull.service mailshim-pull-once.service mailshim-pull.timer"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0

bin=$top_builddir/admin/mailshim
if [ ! -x "$bin" ]; then
	echo "note: $bin not built; verifying against a stand-in"
	bin=$tmp/mailshim
	printf '#!/bin/sh\nexit 0\n' > "$bin"
	chmod +x "$bin"
fi

front=$top_builddir/sendmail/sendmail
if [ ! -x "$front" ]; then
	front=$bin
fi

for u in $units; do
	src=$top_builddir/contrib/systemd/$u
	[ -f "$src" ] || { echo "FAIL: $src was not generated"; exit 1; }
	if grep -n '@[A-Za-z_]*@' "$src"; then
		echo "FAIL: $u has unsubstituted variables"
		fail=1
	fi
	sed -e "s|^ExecStart=[^ ]*/mailshim|ExecStart=$bin|" \
	    -e "s|^ExecStart=[^ ]*/sendmail|ExecStart=$front|" "$src" > "$tmp/$u"
done

cd "$tmp"
# shellcheck disable=SC2086 # units is a word list
if ! out=$(systemd-analyze verify --man=no $units 2>&1) || [ -n "$out" ]; then
	printf '%s\n' "$out"
	echo "FAIL: systemd-analyze verify complains"
	fail=1
else
	echo "ok: systemd-analyze verify"
fi

# Settings the design depends on.
check() {	# file pattern what
	if grep -q -x -e "$2" "$1"; then
		echo "ok: $1: $3"
	else
		echo "FAIL: $1 lacks $3 ($2)"
		fail=1
	fi
}
for u in mailshim-flush.service mailshim-watch.service; do
	check "$u" 'User=mailshim' "runs as mailshim"
	check "$u" 'NoNewPrivileges=yes' "NoNewPrivileges"
	check "$u" 'ProtectSystem=strict' "ProtectSystem=strict"
	check "$u" 'ReadWritePaths=/var/spool/mailshim /var/lib/mailshim' "write access to spool and capture only"
	check "$u" 'CapabilityBoundingSet=' "no capabilities"
	check "$u" 'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6' "address families"
	check "$u" 'ProtectProc=invisible' "other processes invisible"
	check "$u" 'ProcSubset=pid' "only /proc/PID"
	check "$u" 'RemoveIPC=yes' "IPC removed"
	check "$u" 'PrivateMounts=yes' "private mounts"
	check "$u" 'SystemCallFilter=~@privileged @resources' "no privileged or resource system calls"
	check "$u" 'TimeoutStopSec=6min' "stop waits for one transaction"
done
check mailshim-flush.service 'StartLimitBurst=120' "start limit"
check mailshim-flush.path 'TriggerLimitBurst=240' "trigger limit"
check mailshim-flush.service 'Type=oneshot' "oneshot"
check mailshim-flush.service "ExecStart=$bin flush" "flush command"
check mailshim-flush.service 'SuccessExitStatus=75' "deferral is not a failure"
check mailshim-watch.service "ExecStart=$bin flush --watch" "watch command"
check mailshim-watch.service 'Conflicts=mailshim-flush.timer mailshim-flush.path mailshim-flush.service' "conflicts with the timer and path"
for u in mailshim-pull.service mailshim-pull-once.service; do
	check "$u" 'User=mailshim' "runs as mailshim"
	check "$u" 'NoNewPrivileges=yes' "NoNewPrivileges"
	check "$u" 'ProtectSystem=strict' "ProtectSystem=strict"
	check "$u" 'ReadWritePaths=/var/spool/mailshim' "write access to the spool only"
	check "$u" 'CapabilityBoundingSet=' "no capabilities"
done
check mailshim-pull.service "ExecStart=$bin pull --watch" "pull --watch command"
check mailshim-pull-once.service "ExecStart=$bin pull" "pull command"
check mailshim-pull-once.service 'SuccessExitStatus=75' "left in SQS is not a failure"
check mailshim-pull.timer 'Unit=mailshim-pull-once.service' "timer starts pull-once"
check mailshim-flush.timer 'OnCalendar=minutely' "every minute"
check mailshim-flush.timer 'Persistent=true' "persistent"
check mailshim-flush.path 'DirectoryNotEmpty=/var/spool/mailshim/new' "watches new/"

# The loopback SMTP door: loopback only, one sendmail -bs per connection
# as an unprivileged user, hardened, and never enabled by the package.
check mailshim-smtp.socket 'ListenStream=127.0.0.1:25' "door on 127.0.0.1:25"
check mailshim-smtp.socket 'ListenStream=\[::1\]:25' "door on [::1]:25"
check mailshim-smtp.socket 'Accept=yes' "one service per connection"
u=mailshim-smtp@.service
check "$u" "ExecStart=$front -bs" "runs sendmail -bs"
check "$u" 'StandardInput=socket' "the connection is stdin"
check "$u" 'StandardOutput=socket' "the connection is stdout"
check "$u" 'User=mailshim-smtp' "an unprivileged user"
check "$u" 'Group=mailshim-drop' "the spool's drop group"
check "$u" 'NoNewPrivileges=yes' "NoNewPrivileges"
check "$u" 'ProtectSystem=strict' "ProtectSystem=strict"
check "$u" 'ReadWritePaths=/var/spool/mailshim' "write access to the spool only"
check "$u" 'CapabilityBoundingSet=' "no capabilities"
check "$u" 'RestrictAddressFamilies=AF_UNIX' "opens no network sockets"
if grep -q -x -e '.*dh_installsystemd --no-enable --no-start mailshim-smtp.socket' \
    "$top_srcdir/contrib/debian/rules"; then
	echo "ok: the Debian package ships the door disabled"
else
	echo "FAIL: contrib/debian/rules does not ship mailshim-smtp.socket disabled"
	fail=1
fi

# The check must be able to fail: a broken unit is reported.
sed -e 's|^ExecStart=.*|ExecStart=/nonexistent/mailshim flush|' \
    mailshim-flush.service > broken.service
if systemd-analyze verify --man=no broken.service >/dev/null 2>&1; then
	echo "FAIL: systemd-analyze accepted a unit with a missing binary"
	fail=1
fi
exit $fail
