#!/bin/sh
# ses_mkcert.sh DIR NAME... - a throw-away test CA and one server
# certificate for NAME... (DNS names only, on purpose: no IP address, so a
# client connecting to 127.0.0.1 must verify against the name it was told)
# in DIR: ca.pem, server.pem, server.key. Used by the ses tests.
set -eu
dir=$1; shift
[ $# -ge 1 ] || { echo "usage: ses_mkcert.sh DIR NAME..." >&2; exit 2; }
mkdir -p "$dir"
cd "$dir"
san=""
for n in "$@"; do san="${san:+$san,}DNS:$n"; done
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=mailshim test CA" \
	-keyout ca.key -out ca.pem \
	-addext "basicConstraints=critical,CA:TRUE" \
	-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=$1" \
	-keyout server.key -out server.csr >/dev/null 2>&1
printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	"$san" > ext.cnf
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
	-days 2 -extfile ext.cnf -out server.pem >/dev/null 2>&1
rm -f server.csr ext.cnf ca.srl
