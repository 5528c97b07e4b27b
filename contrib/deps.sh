#!/bin/sh
# contrib/deps.sh - installs what building and testing mailshim needs on
# Debian 12 / Ubuntu (run as root). Never installs an MTA.
set -eu
BUILD="autoconf automake pkg-config make gcc libcurl4-openssl-dev libssl-dev
libconfuse-dev libjansson-dev"
TEST="python3-aiosmtpd python3-botocore openssl clang clang-format
libclang-rt-14-dev valgrind util-linux procps time systemd rpm groff-base
man-db php-cli cron mutt git-email libmailtools-perl shellcheck git strace
faketime"
[ "$(id -u)" = 0 ] || { echo "deps.sh: run as root (sudo)" >&2; exit 77; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $BUILD ${1:+$TEST} >/dev/null
