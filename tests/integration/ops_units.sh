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

units="mailshim-flush.service mailshim-flush.timer mailshim-flush.path mailshim-watch.service mailshim-pull.service mailshim-pull-once.service mailshim-pull.timer"
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

for u in $units; do
	src=$top_builddir/contrib/systemd/$u
	[ -f "$src" ] || { echo "FAIL: $src was not generated"; exit 1; }
	if grep -n '@[A-Za-z_]*@' "$src"; then
		echo "FAIL: $u has unsubstituted variables"
		fail=1
	fi
	sed -e "s|^ExecStart=[^ ]*/mailshim|ExecStart=$bin|" "$src" > "$tmp/$u"
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
done
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

# The check must be able to fail: a broken unit is reported.
sed -e 's|^ExecStart=.*|ExecStart=/nonexistent/mailshim flush|' \
    mailshim-flush.service > broken.service
if systemd-analyze verify --man=no broken.service >/dev/null 2>&1; then
	echo "FAIL: systemd-analyze accepted a unit with a missing binary"
	fail=1
fi
exit $fail
