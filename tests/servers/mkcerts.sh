#!/bin/sh
# mkcerts.sh DIR - test certificates, made fresh by each test with openssl:
#   ca.pem / ca.key            the test CA (tests trust it via ca_file)
#   server.pem / server.key    signed by it, for 127.0.0.1, ::1, localhost
#                              and relay.test (tls_name tests)
#   other-ca.pem               a second CA nobody trusts
#   untrusted.pem / .key       a server certificate signed by other-ca
#   client.pem / client.key    a client certificate (CN mailshim-client,
#                              clientAuth) signed by ca
#   rogue-client.pem / .key    a client certificate signed by other-ca
# Exits non-zero if openssl fails.
set -eu
dir=${1:?usage: mkcerts.sh DIR}
mkdir -p "$dir"
cd "$dir"
days=2
san='subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,DNS:relay.test'

mkca() { # name subject
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$1.key" \
	    -out "$1.pem" -days "$days" -subj "$2" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}
mkcert() { # name ca [CN usage]
	openssl req -newkey rsa:2048 -nodes -keyout "$1.key" -out "$1.csr" \
	    -subj "/CN=${3:-localhost}" 2>/dev/null
	printf '%s\nextendedKeyUsage=%s\nbasicConstraints=CA:FALSE\n' \
	    "$san" "${4:-serverAuth}" >"$1.ext"
	openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" \
	    -CAcreateserial -out "$1.pem" -days "$days" -extfile "$1.ext" \
	    2>/dev/null
	rm -f "$1.csr" "$1.ext"
}
mkca ca "/CN=mailshim test CA"
mkca other-ca "/CN=mailshim untrusted CA"
mkcert server ca
mkcert untrusted other-ca
mkcert client ca mailshim-client clientAuth
mkcert rogue-client other-ca mailshim-rogue clientAuth
chmod 600 ./*.key
