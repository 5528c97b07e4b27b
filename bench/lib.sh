# bench/lib.sh - shared by bench/run and bench/peers: the machine header,
# the Postfix test tools (smtp-sink, smtp-source) unpacked from the Debian
# package without installing it, free ports, bounded waits, medians, and
# cleanup of every server and temp dir we start.
#
#   . "$BENCH_DIR/lib.sh"
#   b_setup                     # $W work dir, EXIT trap
#   b_machine                   # prints nproc, memory, disk, kernel
#   b_postfix_tools || ...      # $SMTP_SINK $SMTP_SOURCE (or $B_WHY)
#   b_sink_start N              # smtp-sink on $SINK_PORT, log $SINK_OUT
#   b_sink_count                # messages smtp-sink has accepted so far
#   b_median 3 1 2              # -> 2

set -u
: "${BENCH_CACHE:=/tmp/mailshim-bench}"
: "${BENCH_PY:=/usr/bin/python3}"
b_pids=""
W=${W:-}

b_cleanup() {
	for p in $b_pids; do kill "$p" 2>/dev/null; done
	for p in $b_pids; do
		# bounded: 2 s, then SIGKILL
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.2
		done
		kill -9 "$p" 2>/dev/null
	done
	b_pids=""
	if [ -n "$W" ] && [ -d "$W" ]; then
		chmod -R u+rwx "$W" 2>/dev/null
		rm -rf "$W"
	fi
	return 0
}

b_setup() {
	W=$(mktemp -d /tmp/mailshim-bench-run.XXXXXX)
	chmod 755 "$W"
	trap b_cleanup EXIT
	trap 'exit 130' INT TERM
}

b_machine() {
	local mem disk
	mem=$(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
	disk=$(df -hT "${1:-/tmp}" | awk 'NR == 2 { print $2 " on " $1 ", " $3 " (" $5 " used)" }')
	echo "machine: $(nproc) cpu ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $mem, disk $disk"
	echo "kernel:  $(uname -srm); load $(cut -d' ' -f1-3 /proc/loadavg); $(date -u '+%Y-%m-%d %H:%M UTC')"
}

# Fetches and unpacks a Debian package into $BENCH_CACHE/root-NAME without
# installing it (apt-get download + dpkg -x). Sets B_ROOT; B_WHY on failure.
b_unpack() {
	local name=$1 deb
	B_ROOT="$BENCH_CACHE/root-$name"
	[ -d "$B_ROOT/usr" ] && return 0
	mkdir -p "$BENCH_CACHE/debs" || { B_WHY="cannot create $BENCH_CACHE"; return 1; }
	deb=$(ls "$BENCH_CACHE/debs/${name}"_*.deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		(cd "$BENCH_CACHE/debs" && timeout 120 apt-get download "$name") >/dev/null 2>&1
		deb=$(ls "$BENCH_CACHE/debs/${name}"_*.deb 2>/dev/null | head -1)
	fi
	[ -n "$deb" ] || { B_WHY="apt-get download $name failed"; return 1; }
	rm -rf "$B_ROOT.tmp" && dpkg -x "$deb" "$B_ROOT.tmp" && mv "$B_ROOT.tmp" "$B_ROOT" ||
		{ B_WHY="dpkg -x $deb failed"; return 1; }
}

b_postfix_tools() {
	b_unpack postfix || return 1
	POSTFIX_ROOT=$B_ROOT
	SMTP_SINK="$B_ROOT/usr/sbin/smtp-sink"
	SMTP_SOURCE="$B_ROOT/usr/sbin/smtp-source"
	POSTFIX_LIBS="$B_ROOT/usr/lib/postfix"
	LD_LIBRARY_PATH="$POSTFIX_LIBS" "$SMTP_SINK" 2>&1 | grep -q usage ||
		{ B_WHY="smtp-sink does not run here (libraries?)"; return 1; }
}

# A free TCP port on 127.0.0.1 (the kernel picks it).
b_free_port() {
	"$BENCH_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until the command succeeds, at most $1 seconds.
b_wait() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ "$i" -ge $((limit * 20)) ] && return 1
		sleep 0.05
	done
}

b_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# smtp-sink on a fresh port, counting messages (-c) into $SINK_OUT.
b_sink_start() {
	SINK_PORT=$(b_free_port)
	SINK_OUT="$W/sink.$SINK_PORT.out"
	LD_LIBRARY_PATH="$POSTFIX_LIBS" "$SMTP_SINK" -u nobody -c \
	    "127.0.0.1:$SINK_PORT" "${1:-1000}" > "$SINK_OUT" 2>"$SINK_OUT.err" &
	SINK_PID=$!
	b_pids="$b_pids $SINK_PID"
	b_wait 10 b_port_open "$SINK_PORT"
}

b_sink_stop() {
	kill "$SINK_PID" 2>/dev/null
	wait "$SINK_PID" 2>/dev/null
	return 0
}

# The last "mesg=N" smtp-sink printed (its -c counter, \r separated).
b_sink_count() {
	tail -c 200 "$SINK_OUT" 2>/dev/null | tr '\r' '\n' | sed -n 's/.*mesg=\([0-9]*\).*/\1/p' | tail -1 | grep . || echo 0
}

b_sink_reached() { [ "$(b_sink_count)" -ge "$1" ]; }

# Nanoseconds since the epoch.
b_now() { date +%s%N; }

# Median of the arguments (numbers, any order).
b_median() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
		if (NR == 0) { print "n/a"; exit }
		if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# Formats: b_fmt NUMBER DECIMALS
b_fmt() { awk -v x="$1" -v d="${2:-1}" 'BEGIN { if (x == "n/a" || x == "") print "n/a"; else printf "%.*f\n", d, x }'; }

# Ratio a/b with one decimal, "n/a" when either is missing.
b_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a == "" || b == "" || a ~ /n\/a/ || b ~ /n\/a/ || b + 0 == 0) print "n/a";
		else printf "%.2fx\n", a / b }'
}

# A table row: b_row LABEL VALUE [NOTE]
b_row() { printf '%-52s %14s  %s\n' "$1" "$2" "${3:-}"; }

# A message of about $2 bytes (headers + base64 body) into file $1.
b_mkmsg() {
	local f=$1 size=$2
	{
		printf 'From: bench@example.com\nTo: sink@example.net\nSubject: bench %s bytes\n\n' "$size"
		head -c $((size * 3 / 4)) /dev/urandom | base64 -w 76
	} > "$f"
}

# Timing of one command run in a loop: median ms of $1 runs.
# Used only when hyperfine is missing. b_loop_ms RUNS INPUT CMD...
b_loop_ms() {
	local runs=$1 in=$2 t0 t1 all=""
	shift 2
	for _ in $(seq "$runs"); do
		t0=$(b_now)
		"$@" < "$in" > /dev/null 2>&1 || return 1
		t1=$(b_now)
		all="$all $(( (t1 - t0) / 1000 ))"
	done
	b_median $all | awk '{ printf "%.3f\n", $1 / 1000 }'
}

# Median wall time in ms of CMD < INPUT, hyperfine when present.
# b_latency_ms RUNS INPUT CMD...
b_latency_ms() {
	local runs=$1 in=$2 json
	shift 2
	if command -v hyperfine >/dev/null 2>&1; then
		json="$W/hf.$$.json"
		local q=""
		for a in "$@"; do q="$q $(printf '%q' "$a")"; done
		hyperfine -N --runs "$runs" --warmup 3 --input "$in" --style none \
		    --export-json "$json" -- "${q# }" > /dev/null 2>&1 || return 1
		"$BENCH_PY" -c 'import json, sys; print("%.3f" % (json.load(open(sys.argv[1]))["results"][0]["median"] * 1000))' "$json"
	else
		b_loop_ms "$runs" "$in" "$@"
	fi
}

# Peak RSS in KiB of CMD < INPUT (GNU time). b_rss_kb INPUT CMD...
b_rss_kb() {
	local in=$1 out
	shift
	[ -x /usr/bin/time ] || { echo "n/a"; return 1; }
	out=$(/usr/bin/time -f 'RSS=%M' "$@" < "$in" 2>&1 >/dev/null | sed -n 's/^RSS=//p' | tail -1)
	echo "${out:-n/a}"
}

# Verdict of VALUE against a target: b_verdict VALUE OP TARGET -> met,
# MISSED, or n/a when either side is missing. OP is <=, <, >=, >, ==.
# A value like "1.23x" compares as 1.23.
b_verdict() {
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v == "" || t == "" || v ~ /n\/a/ || t ~ /n\/a/) { print "n/a"; exit }
		v += 0; t += 0
		if (op == "<=") ok = v <= t; else if (op == "<") ok = v < t
		else if (op == ">=") ok = v >= t; else if (op == ">") ok = v > t
		else if (op == "==") ok = v == t; else { print "n/a"; exit }
		print ok ? "met" : "MISSED" }'
}

# A row with its target and verdict: b_target LABEL VALUE OP TARGET [NOTE]
# prints "target OP TARGET: met|MISSED; NOTE" and appends the verdict to
# $W/verdicts for the summary at the end (b_summary).
b_target() {
	local v
	v=$(b_verdict "$2" "$3" "$4")
	b_row "$1" "$2" "target $3 $4: $v${5:+; $5}"
	printf '%s\t%s\t%s %s\t%s\n' "$v" "$1" "$3" "$4" "$2" >> "$W/verdicts"
}

# The verdicts collected by b_target: missed first, then n/a, then met.
b_summary() {
	[ -s "$W/verdicts" ] || return 0
	echo
	echo "targets: $(grep -c '^met' "$W/verdicts") met," \
	    "$(grep -c '^MISSED' "$W/verdicts") missed, $(grep -c '^n/a' "$W/verdicts") n/a"
	for v in MISSED n/a met; do
		awk -F '\t' -v v="$v" '$1 == v { printf "  %-6s %-52s %14s  (target %s)\n", $1, $2, $4, $3 }' \
		    "$W/verdicts"
	done
}
