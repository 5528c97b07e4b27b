# tests/integration/lib.sh - shared by the shell tests: a private spool and
# config under a temp dir, the built programs, bounded waits, cleanup.
#
#   . "$top_srcdir/tests/integration/lib.sh"
#   t_setup                 # makes $T (temp dir), $CONF, $SPOOL, $CAPTURE
#   t_conf 'extra config'   # (re)writes $CONF with a capture relay + extra
#   t_init                  # mailshim init
#   sendmail ARGS < msg ; mailshim ARGS
#   t_fail "why" ; t_ok "what" ; t_done

set -u
: "${top_builddir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_srcdir:=$top_builddir}"
: "${PYTHON3:=/usr/bin/python3}"
SENDMAIL="$top_builddir/sendmail/sendmail"
MAILSHIM="$top_builddir/admin/mailshim"
MAILSHIM_FLUSHER="$MAILSHIM"
export MAILSHIM_FLUSHER
t_failures=0

# LeakSanitizer cannot work under ptrace: what strace runs keeps ASan's
# other checks but not the leak check, which tests/run-suite.sh turns on
# for every other program of the sanitized run. (A later flag in
# ASAN_OPTIONS wins.) Defined only where strace exists, so that
# `command -v strace` still tells.
if command -v strace >/dev/null 2>&1; then
	strace() {
		env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
		    strace "$@"
	}
fi

t_fail() { echo "FAIL: $*" >&2; t_failures=$((t_failures + 1)); }
t_ok() { echo "ok: $*"; }
# A skip is for what the machine lacks (a package, root); a test whose
# own set-up fails (server, certificates) fails: t_abort.
t_skip() { echo "SKIP: $*"; exit 77; }
t_abort() { echo "FAIL: $*" >&2; exit 1; }
t_done() {
	if [ "$t_failures" -ne 0 ]; then
		echo "$t_failures failure(s)"; exit 1
	fi
	exit 0
}

t_cleanup() {
	[ -n "${t_pids:-}" ] && kill $t_pids 2>/dev/null
	[ -n "${T:-}" ] && [ -d "$T" ] && { chmod -R u+rwx "$T" 2>/dev/null; rm -rf "$T"; }
	return 0
}

t_setup() {
	T=$(mktemp -d /tmp/mailshim-test.XXXXXX)
	chmod 755 "$T"
	trap t_cleanup EXIT
	CONF="$T/mailshim.conf"
	SPOOL="$T/spool"
	CAPTURE="$T/capture"
	MAILSHIM_CONFIG="$CONF"
	MAILSHIM_LOG_STDERR=1
	export MAILSHIM_CONFIG MAILSHIM_LOG_STDERR
	t_conf ""
}

# Writes the config: capture relay and default route unless the extra
# text defines its own default route (then pass T_NO_DEFAULT=1).
t_conf() {
	{
		echo "spool = \"$SPOOL\""
		echo "hostname = \"test.example.com\""
		echo "domain = \"example.com\""
		echo "aliases = \"$T/aliases\""
		echo "retry_first = \"${T_RETRY_FIRST:-1}\""
		echo "retry_max = \"${T_RETRY_MAX:-2}\""
		echo "relay \"capture\" { type = \"maildir\" path = \"$CAPTURE\" }"
		[ "${T_NO_DEFAULT:-0}" = 1 ] || echo "route \"default\" { relays = {\"capture\"} }"
		printf '%s\n' "$1"
	} > "$CONF"
}

t_init() { "$MAILSHIM" init >/dev/null || t_fail "mailshim init"; }
sendmail() { "$SENDMAIL" "$@"; }
mailshim() { "$MAILSHIM" "$@"; }

# Number of files in a directory (0 if missing).
t_count() { find "$1" -mindepth 1 -maxdepth 1 -type f 2>/dev/null | wc -l; }

# Deferred messages (spool/README, "The schedule"): the ids filed in
# SPOOL/deferred/YYYYMMDDHHMM/, one a line; and the same with states.
t_deferred() { find "$SPOOL/deferred" -mindepth 2 -maxdepth 2 -type f ! -name '*.*' -printf '%f\n' 2>/dev/null; }
t_deferred_states() { find "$SPOOL/deferred" -mindepth 2 -maxdepth 2 -type f -name '*.state' -printf '%f\n' 2>/dev/null; }

# Waits until command succeeds, at most $1 seconds.
t_wait() {
	t_limit=$1; shift
	t_i=0
	while ! "$@"; do
		t_i=$((t_i + 1))
		[ "$t_i" -ge $((t_limit * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

# The message part of a captured Maildir file (after our envelope lines).
t_capture_body() { sed '/^Return-Path: /d; /^Delivered-To: /d' "$1"; }
