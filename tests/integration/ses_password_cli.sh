#!/bin/sh
# ses_password_cli.sh - `mailshim ses-password`: the documented vectors,
# stdin handling (newline, CRLF), exit 65 for an empty secret, the length
# warning, unknown-region warning, China refused, usage errors, --help,
# and that the secret is never echoed.
set -u
: "${top_builddir:?}"
MS="$top_builddir/admin/mailshim"
test -x "$MS" || { echo "SKIP: $MS is not built"; exit 77; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ses-pw.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
failures=0
EX=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# run NAME WANT_RC STDIN ARGS... -> $tmp/out, $tmp/err
run() {
	name=$1 want=$2 input=$3
	shift 3
	printf '%s' "$input" | "$MS" ses-password "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		fail "$name: exit $rc, want $want ($(cat "$tmp/err"))"
		return 1
	fi
	echo "ok - $name"
}

want_out() {	# NAME EXPECTED
	if [ "$(cat "$tmp/out")" != "$2" ]; then
		fail "$1: printed '$(cat "$tmp/out")', want '$2'"
	fi
}

run "us-east-1" 0 "$EX
" --region us-east-1 && want_out us-east-1 BLBM/9hSUELfq8Gw+rU1YcBjkOxGbhT2XG763xVLGWL9
run "eu-west-1 --region=" 0 "$EX
" --region=eu-west-1 && want_out eu-west-1 BMW5RDrXmmVs0lV7GpI4oLkHXpZ4stDsk6q91z1g38Pk
run "no trailing newline" 0 "$EX" -r ap-northeast-1 &&
	want_out ap-northeast-1 BEBMrlH2tcrvRtSfkd6WbOlpfHSCPAV60ZayJ9ZqHS5c
run "CRLF" 0 "$(printf '%s\r' "$EX")
" --region us-gov-west-1 &&
	want_out us-gov-west-1 BHW/eHvx1MM9YwW4wrJG6MGVQmLDCAM99G9YiSdGEIAw
[ -s "$tmp/err" ] && fail "a 40-character key warns nothing ($(cat "$tmp/err"))"
run "only the first line" 0 "$EX
second line
" --region us-west-2 &&
	want_out us-west-2 BF2PynzbSCAjX08zhZZnP/kW+T9P5zs/1Er0pi5vTEmd

run "short secret warns" 0 "abc
" --region us-east-1 &&
	want_out abc BGM9VJOdwIA8639fMUbmPcODw4+T1WyRJOIpFSGp+1Fq
grep -q "3 characters" "$tmp/err" || fail "no length warning: $(cat "$tmp/err")"
grep -q abc "$tmp/err" && fail "secret echoed in the warning"

run "empty secret" 65 "
" --region us-east-1
grep -q "no secret" "$tmp/err" || fail "empty: message: $(cat "$tmp/err")"
[ -s "$tmp/out" ] && fail "empty: printed something"
run "no input" 65 "" --region us-east-1

run "unknown region" 0 "$EX
" --region xx-new-9
grep -q "warning" "$tmp/err" || fail "unknown region: no warning"
[ "$(wc -c <"$tmp/out")" -eq 45 ] || fail "unknown region: no password"

run "china" 78 "$EX
" --region cn-north-1
grep -q "not available in China" "$tmp/err" || fail "china: $(cat "$tmp/err")"
run "bad region" 64 "$EX
" --region EU-WEST-1
run "no region" 64 "$EX
"
run "stray argument" 64 "$EX
" --region us-east-1 "$EX"
grep -q "$EX" "$tmp/err" && fail "a secret on the command line is echoed"
run "--help" 0 "" --help
grep -q "region" "$tmp/out" || fail "--help text"

# Nothing but the password on stdout, secret nowhere.
printf '%s\n' "$EX" | "$MS" ses-password --region eu-west-1 >"$tmp/out" 2>"$tmp/err"
grep -q "$EX" "$tmp/out" "$tmp/err" && fail "secret echoed"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || fail "more than one line printed"

[ "$failures" -eq 0 ] || exit 1
exit 0
