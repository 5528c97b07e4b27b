# compat_lib.sh - shared by the compat_*.sh tests: a private spool and
# config, a capturing SMTP server on 127.0.0.1 (aiosmtpd), `mailshim init`
# and `mailshim flush`, and assertions on what the server received.
#
# Use:   . "$top_srcdir/tests/integration/compat_lib.sh"; compat_setup NAME
# Gives: $dir (private, removed at exit), $conf, $spool, $SM, $MS,
#        $MAILSHIM_CONFIG (exported), $wrapper (a sendmail wrapper script
#        that sets MAILSHIM_CONFIG, for callers that clear the
#        environment), fail(), compat_flush, compat_wait N, compat_msg RCPT.
# The server stores message N as $dir/srv/msg-N.json; compat_collect
# splits each into $dir/srv/N.from (MAIL FROM), N.rcpt (RCPT TO, one a
# line) and N.eml (DATA bytes as received, CRLF).

: "${top_builddir:?}" "${top_srcdir:?}"
PYTHON3=${PYTHON3:-/usr/bin/python3}
SM="$top_builddir/sendmail/sendmail"
MS="$top_builddir/admin/mailshim"
failures=0
srv_pid=

fail() {
	echo "FAIL: $*"
	failures=$((failures + 1))
}

compat_cleanup() {
	if test -n "$srv_pid"; then
		kill "$srv_pid" 2>/dev/null
		wait "$srv_pid" 2>/dev/null
	fi
	chmod -R u+rwx "$dir" 2>/dev/null
	rm -rf "$dir"
}

# compat_setup NAME [extra config lines]
compat_setup() {
	for b in "$SM" "$MS"; do
		test -x "$b" || { echo "not built: $b"; exit 99; }
	done
	"$PYTHON3" -c 'import aiosmtpd' 2>/dev/null ||
	    { echo "SKIP: python3-aiosmtpd is not installed"; exit 77; }
	dir=$(mktemp -d "${TMPDIR:-/tmp}/compat-$1.XXXXXX") || exit 99
	trap compat_cleanup EXIT
	trap 'exit 99' INT TERM
	chmod 755 "$dir"
	mkdir "$dir/srv" "$dir/home"
	spool="$dir/spool"
	conf="$dir/mailshim.conf"

	# The test SMTP server (tests/servers/smtpd.py): kernel-chosen port.
	"$PYTHON3" "$top_srcdir/tests/servers/smtpd.py" --dir "$dir/srv" \
	    --port-file "$dir/srv.port" --no-starttls --lifetime 240 \
	    >"$dir/smtpd.log" 2>&1 &
	srv_pid=$!
	i=0
	while ! grep -q '^SMTPD_PORT=' "$dir/srv.port" 2>/dev/null; do
		i=$((i + 1))
		if test $i -gt 100 || ! kill -0 "$srv_pid" 2>/dev/null; then
			echo "test SMTP server did not start:"
			cat "$dir/smtpd.log"
			exit 99
		fi
		sleep 0.1
	done
	port=$(sed -n 's/^SMTPD_PORT=//p' "$dir/srv.port")

	cat >"$conf" <<CONFEOF
spool    = "$spool"
hostname = "web-1.example.com"
domain   = "example.com"
aliases  = "$dir/aliases"
retry_first = "1s"
${2:-}
relay "capture" {
  type = "smtp"
  host = "127.0.0.1"
  port = $port
  tls  = "none"
}
route "default" { relays = {"capture"} }
CONFEOF
	chmod 644 "$conf"
	: >"$dir/aliases"
	chmod 644 "$dir/aliases"
	MAILSHIM_CONFIG="$conf"
	export MAILSHIM_CONFIG
	unset NAME MAILSHIM_LOG_STDERR
	if ! "$MS" -C "$conf" init >"$dir/init.out" 2>&1; then
		echo "mailshim init failed:"
		cat "$dir/init.out"
		exit 99
	fi

	# For callers that run sendmail with a clean environment.
	wrapper="$dir/sendmail"
	cat >"$wrapper" <<WEOF
#!/bin/sh
MAILSHIM_CONFIG='$conf'
export MAILSHIM_CONFIG
exec '$SM' "\$@"
WEOF
	chmod 755 "$wrapper"
}

# Number of messages the server has.
compat_count() {
	ls "$dir/srv" | grep -c '^msg-[0-9]*\.json$'
}

# Splits every msg-N.json into N.from, N.rcpt and N.eml.
compat_collect() {
	"$PYTHON3" - "$dir/srv" <<'PYEOF'
import base64, glob, json, os, sys
for path in glob.glob(os.path.join(sys.argv[1], "msg-*.json")):
    n = os.path.basename(path)[4:-5]
    base = os.path.join(sys.argv[1], n)
    with open(path, encoding="utf-8") as f:
        rec = json.load(f)
    with open(base + ".from", "w") as f:
        f.write(rec["mail_from"] + "\n")
    with open(base + ".rcpt", "w") as f:
        f.write("".join(r + "\n" for r in rec["rcpt_tos"]))
    with open(base + ".eml", "wb") as f:
        f.write(base64.b64decode(rec["data_b64"]))
PYEOF
}

# compat_flush: one `mailshim flush`; its output goes to $dir/flush.out.
compat_flush() {
	timeout 60 "$MS" -C "$conf" flush >"$dir/flush.out" 2>&1 ||
	    fail "mailshim flush: exit $? ($(head -c 400 "$dir/flush.out"))"
}

# compat_wait N [SECONDS]: waits until the server has N messages.
compat_wait() {
	i=0
	limit=$((${2:-15} * 10))
	while test "$(compat_count)" -lt "$1"; do
		i=$((i + 1))
		test $i -gt $limit && return 1
		sleep 0.1
	done
	return 0
}

# compat_msg RCPT: the base path ($dir/srv/N) of the first message that
# has RCPT among its envelope recipients, or nothing.
compat_msg() {
	compat_collect
	for r in "$dir"/srv/*.rcpt; do
		test -e "$r" || continue
		if grep -qixF -- "$1" "$r"; then
			echo "${r%.rcpt}"
			return 0
		fi
	done
	return 1
}

# compat_rcpts BASE: the envelope recipients, sorted, comma-joined.
compat_rcpts() {
	sort "$1.rcpt" | tr '\n' ',' | sed 's/,$//'
}

# compat_header BASE NAME: the unfolded value(s) of header NAME (CR off).
compat_header() {
	tr -d '\r' <"$1.eml" | sed '/^$/q' |
	    awk -v h="$2" 'BEGIN { h = tolower(h) ":" }
		/^[ \t]/ { if (on) v = v $0; next }
		{ if (on) print v; on = 0 }
		tolower(substr($0, 1, length(h))) == h { on = 1; v = substr($0, length(h) + 1); sub(/^[ \t]+/, "", v) }
		END { if (on) print v }'
}

# compat_body BASE: the body with CR removed.
compat_body() {
	tr -d '\r' <"$1.eml" | sed '1,/^$/d'
}

# expect_eq WHAT GOT WANT
expect_eq() {
	test "$2" = "$3" || fail "$1: got [$2] want [$3]"
}

# expect_header BASE NAME WANT-REGEX WHAT
expect_header() {
	compat_header "$1" "$2" | grep -qE -- "$3" ||
	    fail "$4: header $2 [$(compat_header "$1" "$2")] does not match /$3/"
}

compat_finish() {
	if test "$failures" -ne 0; then
		echo "$failures failures"
		for f in "$dir"/flush.out; do
			test -s "$f" && { echo "--- $f"; cat "$f"; }
		done
		exit 1
	fi
	echo "all checks passed"
	exit 0
}
