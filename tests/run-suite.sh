#!/bin/sh
# tests/run-suite.sh - the whole test suite, the second command of the
# README and what CI runs:
#   1. static checks (includes only point down, front end links nothing
#      heavy, no banned functions, clang-format clean);
#   2. a gcc build with -Werror and `make check`;
#   3. a build with ASan+UBSan (-fno-sanitize-recover) and `make check`,
#      then each libFuzzer target for 10 s (MAILSHIM_FUZZ_SECONDS);
#   4. `make distcheck` (with the unit tests, to prove the tarball builds).
# Ends with one line "N passed, N failed, N skipped" over everything.
# MAILSHIM_SUITE_QUICK=1 skips steps 3 and 4.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 skip=0

check() {	# check NAME COMMAND...: one static check, counted
	name=$1; shift
	if "$@" > "$top/_build/$name.out" 2>&1; then
		echo "PASS: $name"; pass=$((pass + 1))
	else
		echo "FAIL: $name"; sed 's/^/    /' "$top/_build/$name.out" | head -20
		fail=$((fail + 1))
	fi
}

count_suite() {	# count_suite BUILD_DIR: adds automake's summary
	log="$1/test-suite.log"
	if [ ! -f "$log" ]; then
		echo "FAIL: no test-suite.log in $1"; fail=$((fail + 1)); return
	fi
	p=$(sed -n 's/^# PASS: *//p' "$log"); f=$(sed -n 's/^# FAIL: *//p' "$log")
	e=$(sed -n 's/^# ERROR: *//p' "$log"); x=$(sed -n 's/^# XPASS: *//p' "$log")
	s=$(sed -n 's/^# SKIP: *//p' "$log"); xf=$(sed -n 's/^# XFAIL: *//p' "$log")
	pass=$((pass + ${p:-0} + ${xf:-0})); fail=$((fail + ${f:-0} + ${e:-0} + ${x:-0}))
	skip=$((skip + ${s:-0}))
	grep -E '^(FAIL|ERROR|XPASS): ' "$log" | sed 's/^/    /'
}

build() {	# build DIR CONFIGURE-ARGS...: configure and make, counted
	dir=$1; shift
	rm -rf "$dir" && mkdir -p "$dir"
	check "build-$(basename "$dir")" sh -c "cd '$dir' && '$top/configure' -q $* && make -j$jobs"
}

suite() {	# suite DIR: make check in DIR
	(cd "$1" && make -j"$jobs" check > check.out 2>&1)
	count_suite "$1"
}

cd "$top" || exit 1
mkdir -p _build
[ -x configure ] || autoreconf -fi > _build/autoreconf.out 2>&1 || {
	cat _build/autoreconf.out; echo "0 passed, 1 failed"; exit 1; }

# 2. -Werror build and the suite.
W="$top/_build/werror"
build "$W" --enable-werror
check include-order sh "$top/tests/static/include-order.sh" "$top"
check front-end-links-no-curl-or-ssl sh -c "! ldd '$W/sendmail/sendmail' | grep -E 'libcurl|libssl|libcrypto|jansson'"
check no-banned-functions sh -c "! grep -nE '\\b(gets|sprintf|vsprintf|strcpy|strcat|strncpy|strtok|atoi|atol|system|popen|mktemp|tmpnam)\\(' \$(git -C '$top' ls-files '*.c' '*.h' 2>/dev/null || find '$top' -name '*.[ch]' -not -path '*/_build/*')"
if command -v clang-format >/dev/null; then
	check clang-format sh -c "cd '$top' && clang-format --dry-run -Werror \$(git ls-files 'lib/*.[ch]' 'spool/*.[ch]' 'sendmail/*.[ch]' 'aws/*.[ch]' 'relay/*.[ch]' 'flush/*.[ch]' 'admin/*.[ch]')"
fi
suite "$W"

if [ "${MAILSHIM_SUITE_QUICK:-0}" != 1 ]; then
	# 3. Sanitizers: every test again under ASan+UBSan.
	A="$top/_build/asan"
	san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	build "$A" CFLAGS="'-O1 -g -fno-omit-frame-pointer $san'" LDFLAGS="'$san'"
	ASAN_OPTIONS=detect_leaks=0:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	MAILSHIM_SANITIZED=1 suite "$A"
	# Every libFuzzer target runs briefly (hours: run-fuzzers.sh -t 3600).
	if command -v clang >/dev/null; then
		check fuzz-smoke sh "$top/tests/fuzz/run-fuzzers.sh" -t "${MAILSHIM_FUZZ_SECONDS:-10}" -d "$top/_build/fuzz"
	fi
	# 4. The distribution builds and its unit tests pass.
	check distcheck sh -c "cd '$W' && make -j$jobs distcheck TESTS='tests/unit/test_envelope tests/unit/test_conf'"
fi

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
