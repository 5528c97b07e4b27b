# smtp_lib.sh - shared setup for the smtp_*.sh integration tests: a scratch
# directory, certificates, a config writer and the driver.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
: "${PYTHON3:=/usr/bin/python3}"
DRIVE=$top_builddir/tests/unit/smtp_drive
[ -x "$DRIVE" ] || { echo "SKIP: $DRIVE not built"; exit 77; }
"$PYTHON3" -c 'import aiosmtpd' 2>/dev/null ||
	{ echo "SKIP: python3-aiosmtpd not installed"; exit 77; }
command -v openssl >/dev/null || { echo "SKIP: no openssl"; exit 77; }

. "$top_srcdir/tests/servers/smtpd_lib.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/smtp-test.XXXXXX")
fails=0
cleanup() {
	smtpd_stop
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

certs() {
	[ -f "$T/certs/server.pem" ] && return 0
	sh "$top_srcdir/tests/servers/mkcerts.sh" "$T/certs" ||
	    { echo "FAIL: mkcerts"; exit 1; }
}

# conf PORT [extra relay lines...]: writes $T/conf with relay "r"
# (tls = "none" unless a line sets tls)
conf() {
	_port=$1
	shift
	{
		echo 'hostname = "client.test"'
		echo "spool = \"$T/spool\""
		echo 'relay "r" {'
		echo '  type = "smtp"'
		echo '  host = "127.0.0.1"'
		echo "  port = $_port"
		echo '  connect_timeout = 5'
		echo '  timeout = 5'
		case "$*" in
		*'tls = '*) ;;
		*) echo '  tls = "none"' ;;
		esac
		for l in "$@"; do echo "  $l"; done
		echo '}'
		echo 'route "default" { relays = {"r"} }'
	} >"$T/conf"
}

# msg FILE: a small message
msg() {
	printf 'From: a@example.com\nTo: b@example.com\nSubject: test\n\nhello\n' >"$1"
}

# drive [drive args...]: runs the driver with a bounded time; output in
# $T/out, stderr in $T/err, status in $rc
drive() {
	rc=0
	timeout 60 "$DRIVE" -C "$T/conf" -r r "$@" >"$T/out" 2>"$T/err" || rc=$?
}

ok() { echo "ok: $*"; }
fail() {
	echo "FAIL: $*"
	echo "--- driver stdout"; cat "$T/out" 2>/dev/null
	echo "--- driver stderr"; cat "$T/err" 2>/dev/null
	fails=$((fails + 1))
}
# expect_line REGEX WHAT: a line of $T/out matches
expect_line() {
	if grep -Eq "$1" "$T/out"; then ok "$2"; else fail "$2 (want /$1/)"; fi
}
finish() {
	if [ $fails -eq 0 ]; then
		echo "all passed"
		exit 0
	fi
	echo "$fails failed"
	exit 1
}
