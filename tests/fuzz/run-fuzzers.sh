#!/bin/sh
# tests/fuzz/run-fuzzers.sh - build every libFuzzer target with clang in
# its own directory and run each for N seconds over a copy of its seed
# corpus (new inputs are kept in the work dir, crashes too).
#
#   tests/fuzz/run-fuzzers.sh [-t SECONDS] [-d WORKDIR] [-j JOBS] [TARGET...]
#
# Defaults: 60 s per target, WORKDIR /tmp/mailshim-fuzz, all targets.
# For hours locally: run-fuzzers.sh -t 3600. Exit 1 when a target found a
# crash (the reproducer is printed), 0 otherwise.
set -u
secs=60
work=/tmp/mailshim-fuzz
jobs=1
while getopts t:d:j: o; do
	case $o in
	t) secs=$OPTARG ;;
	d) work=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) echo "usage: $0 [-t SECONDS] [-d WORKDIR] [-j JOBS] [TARGET...]" >&2; exit 64 ;;
	esac
done
shift $((OPTIND - 1))
src=$(cd "$(dirname "$0")/../.." && pwd)
targets=${*:-"options headers smtpin conf spool reply addr aliases"}
command -v clang >/dev/null || { echo "run-fuzzers: clang is needed" >&2; exit 77; }

mkdir -p "$work/build" || exit 1
cd "$work/build" || exit 1
if [ ! -f Makefile ]; then
	"$src/configure" -q --enable-fuzzers CC=clang \
	    CFLAGS='-O1 -g -fno-omit-frame-pointer' || exit 1
fi
progs=
for t in $targets; do progs="$progs tests/fuzz/fuzz_$t"; done
make -j2 $progs >"$work/build.log" 2>&1 || { tail -30 "$work/build.log"; exit 1; }

found=0
for t in $targets; do
	mkdir -p "$work/corpus/$t" "$work/crashes/$t"
	cp -n "$src/tests/fuzz/corpus/$t/"* "$work/corpus/$t/" 2>/dev/null
	echo "== fuzz_$t: $secs s"
	# Each run appends its stats; -max_total_time bounds it.
	par=
	[ "$jobs" -gt 1 ] && par="-jobs=$jobs -workers=$jobs"
	# shellcheck disable=SC2086
	"./tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=2048 $par \
	    -artifact_prefix="$work/crashes/$t/" -print_final_stats=1 \
	    "$work/corpus/$t" >"$work/$t.log" 2>&1
	rc=$?
	grep -E '^(stat::number_of_executed_units|stat::new_units_added)|^#[0-9]+.*DONE' "$work/$t.log" | tail -3
	if [ "$rc" -ne 0 ] || [ -n "$(ls "$work/crashes/$t" 2>/dev/null)" ]; then
		echo "fuzz_$t: FOUND A PROBLEM (rc=$rc), see $work/$t.log:"
		ls "$work/crashes/$t"
		found=1
	fi
done
exit $found
