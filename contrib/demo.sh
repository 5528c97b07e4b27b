#!/bin/sh
# contrib/demo.sh - the first command of the README: installs the build
# dependencies (as root), builds mailshim in _build/, and runs the main
# job end to end on the local default: a message piped into sendmail with
# a private config and spool under _build/demo, flushed by `mailshim
# flush` into the capture Maildir, and the delivered file shown.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" = 0 ]; then
	sh "$top/contrib/deps.sh"
else
	echo "demo: not root, assuming the build dependencies are installed"
fi
cd "$top"
[ -x configure ] || autoreconf -fi >/dev/null 2>&1
mkdir -p _build && cd _build
[ -f Makefile ] || ../configure -q
make -j"$(nproc)" >/dev/null

demo="$top/_build/demo"
rm -rf "$demo" && mkdir -p "$demo"
cat > "$demo/mailshim.conf" <<CONF
spool    = "$demo/spool"
hostname = "demo.example.com"
domain   = "example.com"
relay "capture" { type = "maildir" path = "$demo/capture" }
route "default" { relays = {"capture"} }
CONF
MAILSHIM_CONFIG="$demo/mailshim.conf"
export MAILSHIM_CONFIG
./admin/mailshim init
printf 'To: ops@example.com\nSubject: hello from mailshim\n\nIt works.\n' |
	./sendmail/sendmail -t -i
echo "--- queue before the flush:"
./admin/mailshim queue
echo "--- flush:"
MAILSHIM_LOG_STDERR=1 ./admin/mailshim flush
f=$(find "$demo/capture/new" -type f | head -n 1)
echo "--- delivered to $f:"
cat "$f"
