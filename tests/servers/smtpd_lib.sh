# smtpd_lib.sh - start and stop tests/servers/smtpd.py from a shell test.
#
#   . "$top_srcdir/tests/servers/smtpd_lib.sh"
#   smtpd_start DIR [smtpd.py options...]   # sets SMTPD_PORT, SMTPD_PID,
#                                           # SMTPD_TLS_PORT (with --cert),
#                                           # SMTPD_OUT (= DIR/out: msg-N.json
#                                           # and session.log)
#   smtpd_stop                              # SIGTERM, waits (bounded)
#   smtpd_wait_msgs N [SECONDS]             # until N msg-*.json exist
#
# Several servers: call smtpd_start again with another DIR after saving
# the variables; smtpd_stop stops the one in SMTPD_PID.
: "${PYTHON3:=/usr/bin/python3}"
: "${top_srcdir:=.}"
SMTPD_PY="$top_srcdir/tests/servers/smtpd.py"

smtpd_start() {
	_sd_dir=$1
	shift
	mkdir -p "$_sd_dir/out"
	rm -f "$_sd_dir/ports"
	"$PYTHON3" "$SMTPD_PY" --dir "$_sd_dir/out" \
	    --port-file "$_sd_dir/ports" "$@" 2>>"$_sd_dir/smtpd.err" &
	_sd_bg=$!
	_sd_i=0
	while [ ! -s "$_sd_dir/ports" ]; do
		_sd_i=$((_sd_i + 1))
		if [ $_sd_i -gt 100 ] || ! kill -0 $_sd_bg 2>/dev/null; then
			echo "smtpd_start: server did not start:" >&2
			cat "$_sd_dir/smtpd.err" >&2
			kill $_sd_bg 2>/dev/null
			return 1
		fi
		sleep 0.1
	done
	SMTPD_TLS_PORT=
	. "$_sd_dir/ports"
	SMTPD_OUT=$_sd_dir/out
	export SMTPD_PORT SMTPD_TLS_PORT SMTPD_PID SMTPD_OUT
}

smtpd_stop() {
	[ -n "${SMTPD_PID:-}" ] || return 0
	kill -TERM "$SMTPD_PID" 2>/dev/null || return 0
	_sd_i=0
	while kill -0 "$SMTPD_PID" 2>/dev/null && [ $_sd_i -lt 50 ]; do
		sleep 0.1
		_sd_i=$((_sd_i + 1))
	done
	kill -KILL "$SMTPD_PID" 2>/dev/null
	SMTPD_PID=
}

smtpd_wait_msgs() {
	_sd_want=$1
	_sd_t=$(( ${2:-5} * 10 ))
	_sd_i=0
	while [ "$(ls "$SMTPD_OUT" | grep -c '^msg-.*\.json$')" -lt "$_sd_want" ]; do
		_sd_i=$((_sd_i + 1))
		[ $_sd_i -le $_sd_t ] || return 1
		sleep 0.1
	done
}
