#!/bin/sh
# contrib/deps.sh - installs what building and testing mailshim needs on
# Debian 12 / Ubuntu (run as root). Never installs an MTA.
set -eu
BUILD="autoconf automake pkg-config make gcc libcurl4-openssl-dev libssl-dev
libconfuse-dev libjansson-dev libcrypt-dev"
TEST="python3-aiosmtpd python3-botocore python3-cryptography openssl clang clang-format
libclang-rt-14-dev valgrind util-linux procps time systemd rpm groff-base
man-db php-cli cron mutt git-email libmailtools-perl shellcheck git swaks
strace faketime"
# --check [test]: print the missing packages (one line) and exit 1 if
# any, 0 if none; needs no root (tests/run-suite.sh asks this first).
if [ "${1:-}" = --check ]; then
	shift
	missing=""
	# shellcheck disable=SC2086
	for p in $BUILD ${1:+$TEST}; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		    missing="$missing $p"
	done
	[ -z "$missing" ] && exit 0
	echo "$missing"
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "deps.sh: run as root (sudo)" >&2; exit 77; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD ${1:+$TEST} >/dev/null
