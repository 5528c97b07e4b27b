#!/bin/sh
# tests/run-suite.sh - the whole test suite, the second command of the
# README and what CI runs:
#   1. static checks (includes only point down, front end links nothing
#      heavy, no banned functions, clang-format clean);
#   2. a gcc build with -Werror and `make check`;
#   3. a build with ASan+UBSan (-fno-sanitize-recover) and `make check`,
#      then each libFuzzer target for 10 s (MAILSHIM_FUZZ_SECONDS);
#   4. `make distcheck` (with the unit tests, to prove the tarball builds).
# Ends with one line "N passed, N failed, N skipped" over everything,
# followed by the name of every skipped test: "N skipped: werror:x.sh
# (reason), asan:y.py (reason), fuzz-smoke (clang missing)"; the same
# names and reasons, one per line, go to _build/skipped.txt (.ci/run
# reads it). A skip is not a pass: nothing is left out silently.
# MAILSHIM_SUITE_QUICK=1 skips steps 3 and 4.
#
# 0. Set-up first: run as root, it installs the build and test packages
# it lacks itself (sh contrib/deps.sh test, as .ci/run does); not as
# root, it says which command to run and exits 1 before testing anything
# (the privilege, cron and full-disk tests need root).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
jobs=$(nproc 2>/dev/null || echo 2)
pass=0 fail=0 skip=0
skipped=""

skipped() {	# skipped NAME REASON: counted and named on the last line
	echo "SKIP: $1 ($2)"
	skip=$((skip + 1))
	skipped="${skipped:+$skipped, }$1 ($2)"
	printf '%s\t%s\n' "$1" "$2" >> "$top/_build/skipped.txt"
}

check() {	# check NAME COMMAND...: one static check, counted
	name=$1; shift
	if "$@" > "$top/_build/$name.out" 2>&1; then
		echo "PASS: $name"; pass=$((pass + 1))
	else
		echo "FAIL: $name"; sed 's/^/    /' "$top/_build/$name.out" | head -20
		fail=$((fail + 1))
	fi
}

count_suite() {	# count_suite BUILD_DIR TESTS: adds automake's summary
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
	# Name every skipped test with the reason it printed ("SKIP: why").
	for t in $2; do
		trs="$1/$(echo "$t" | sed 's/\.\(sh\|py\)$//').trs"
		grep -q '^:test-result: SKIP' "$trs" 2>/dev/null || continue
		t=${trs%.trs}
		why=$(grep -m1 -i '^skip' "$t.log" 2>/dev/null | sed 's/^[Ss][Kk][Ii][Pp]:* *//')
		name="$(basename "$1"):${t#"$1"/}"
		skipped="${skipped:+$skipped, }$name (${why:-no reason given})"
		printf '%s\t%s\n' "$name" "${why:-no reason given}" >> "$top/_build/skipped.txt"
	done
}

build() {	# build DIR CONFIGURE-ARGS...: configure and make, counted
	dir=$1; shift
	rm -rf "$dir" && mkdir -p "$dir"
	check "build-$(basename "$dir")" sh -c "cd '$dir' && '$top/configure' -q $* && make -j$jobs"
}

# Tests that create and delete system users and groups named as the
# installed ones (mailshim, mailshim-drop) change what every other test
# sees (mailshim init chowns a spool to an existing mailshim user, and
# commands run as root then act as it): they run alone, after the rest.
alone_re='/hard_privilege\.sh$'

suite() {	# suite DIR [TESTS]: make check in DIR (all tests, or TESTS)
	all=${2:-$(make -s --no-print-directory -C "$1" print-tests)}
	shared=$(echo "$all" | tr ' ' '\n' | grep -Ev "$alone_re" | tr '\n' ' ')
	alone=$(echo "$all" | tr ' ' '\n' | grep -E "$alone_re" | tr '\n' ' ')
	(cd "$1" && make -j"$jobs" check TESTS="$shared" > check.out 2>&1)
	count_suite "$1" "$shared"
	if [ -n "$(echo "$alone" | tr -d ' ')" ]; then
		(cd "$1" && make -j1 check TESTS="$alone" > check-alone.out 2>&1)
		count_suite "$1" "$alone"
	fi
}

cd "$top" || exit 1
# 0. Set-up. Not as root: say what to run, test nothing (the privilege,
# cron and full-disk tests need root, and a skip is not a pass). As root:
# install what contrib/deps.sh lists for building and testing, if any of
# it is missing.
if [ "$(id -u)" != 0 ]; then
	echo "run-suite: the suite needs root (it installs the test packages and runs the privilege, cron and full-disk tests):" >&2
	echo "    sudo sh tests/run-suite.sh" >&2
	exit 1
fi
if ! missing=$(sh "$top/contrib/deps.sh" --check test); then
	echo "run-suite: installing what is missing:$missing (sh contrib/deps.sh test)"
	sh "$top/contrib/deps.sh" test || {
		echo "run-suite: sh contrib/deps.sh test failed"
		echo "0 passed, 1 failed, 0 skipped"; exit 1; }
fi
mkdir -p _build
: > _build/skipped.txt
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
else
	skipped clang-format "clang-format missing"
fi
suite "$W"

if [ "${MAILSHIM_SUITE_QUICK:-0}" != 1 ]; then
	# 3. Sanitizers: every test again under ASan+UBSan.
	A="$top/_build/asan"
	san="-fsanitize=address,undefined -fno-sanitize-recover=all"
	build "$A" CFLAGS="'-O1 -g -fno-omit-frame-pointer $san'" LDFLAGS="'$san'"
	# hard_privilege and sendmail_environ (set-gid copies: LeakSanitizer
	# cannot run there) and hard_valgrind (valgrind and ASan exclude each
	# other) are not part of this run; they run in the -Werror build above.
	asan_tests=$(make -s --no-print-directory -C "$A" print-tests | tr ' ' '\n' |
	    grep -v -e '/hard_privilege\.sh$' -e '/hard_valgrind\.sh$' \
		-e '/sendmail_environ\.sh$' | tr '\n' ' ')
	# verify_asan_link_order=0: the clock tests run mailshim under
	# faketime, whose LD_PRELOAD library comes before ASan's runtime.
	# Leaks are checked at every exit, except under strace (ptrace:
	# tests/integration/lib.sh turns the check off there).
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:verify_asan_link_order=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	MAILSHIM_SANITIZED=1 suite "$A" "$asan_tests"
	# Every libFuzzer target runs briefly (hours: run-fuzzers.sh -t 3600).
	if command -v clang >/dev/null; then
		check fuzz-smoke sh "$top/tests/fuzz/run-fuzzers.sh" -t "${MAILSHIM_FUZZ_SECONDS:-10}" -d "$top/_build/fuzz"
	else
		skipped fuzz-smoke "clang missing"
	fi
	# 4. The distribution builds and its unit tests pass.
	check distcheck sh -c "cd '$W' && make -j$jobs distcheck TESTS='tests/unit/test_envelope tests/unit/test_conf'"
fi

echo "$pass passed, $fail failed, $skip skipped${skipped:+: $skipped}"
[ "$fail" -eq 0 ]
