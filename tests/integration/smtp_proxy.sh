#!/bin/sh
# smtp_proxy.sh - SMTP with STARTTLS through an HTTP CONNECT proxy (the
# private-subnet case): the proxy sees one CONNECT to the relay and the
# mail arrives; a proxy that refuses the tunnel keeps the mail queued;
# an xoauth2 relay's token request goes through the proxy as well.
. "$top_srcdir/tests/integration/smtp_lib.sh"
certs
C=$T/certs
msg "$T/msg"

# proxy_start MODE: a tiny CONNECT proxy (MODE ok | refuse) on 127.0.0.1
proxy_start() {
	rm -f "$T/proxy.port"
	"$PYTHON3" - "$T/proxy.port" "$T/proxy.log" "$1" <<'PY' &
import asyncio, os, sys
port_file, log_file, mode = sys.argv[1:4]

async def pipe(r, w):
    try:
        while data := await r.read(65536):
            w.write(data)
            await w.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        w.close()

async def client(r, w):
    head = await r.readuntil(b"\r\n\r\n")
    line = head.split(b"\r\n")[0].decode()
    with open(log_file, "a") as f:
        f.write(line + "\n")
    method, target, _ = line.split(" ", 2)
    host, _, port = target.rpartition(":")
    if mode != "ok" or method != "CONNECT" or host.strip("[]") not in ("127.0.0.1", "localhost"):
        w.write(b"HTTP/1.1 403 Forbidden\r\n\r\n")
        await w.drain()
        w.close()
        return
    ur, uw = await asyncio.open_connection(host.strip("[]"), int(port))
    w.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
    await w.drain()
    await asyncio.gather(pipe(r, uw), pipe(ur, w))

async def main():
    srv = await asyncio.start_server(client, "127.0.0.1", 0)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(srv.sockets[0].getsockname()[1]))
    os.rename(port_file + ".tmp", port_file)
    await asyncio.sleep(60)

asyncio.run(main())
PY
	PROXY_PID=$!
	i=0
	while [ ! -s "$T/proxy.port" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	PROXY_PORT=$(cat "$T/proxy.port")
}
proxy_stop() { kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; }

smtpd_start "$T/srv" --cert "$C/server.pem" --key "$C/server.key"
proxy_start ok
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    "proxy = \"http://127.0.0.1:$PROXY_PORT\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "sent through the CONNECT proxy"
grep -q "^CONNECT 127.0.0.1:$SMTPD_PORT HTTP" "$T/proxy.log" &&
    ok "proxy saw CONNECT to the relay" || fail "proxy log: $(cat "$T/proxy.log")"
proxy_stop

proxy_start refuse
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    "proxy = \"http://127.0.0.1:$PROXY_PORT\""
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com temp ' "proxy refused the tunnel: temp"
expect_line '^health=failed' "proxy refused: relay failed"
proxy_stop
smtpd_stop

# An xoauth2 relay behind the proxy: the token request goes through it
# too (CONNECT to the HTTPS token endpoint), then the SMTP session.
mkdir -p "$T/oa"
"$PYTHON3" "$top_srcdir/tests/servers/oauth_server.py" --dir "$T/oa/out" \
    --port-file "$T/oa/ports" --cert "$C/server.pem" --key "$C/server.key" \
    --grant client --client-id app --client-secret 'pr0xy-secret' \
    --scope https://outlook.office365.com/.default 2>"$T/oa/err" &
i=0
while [ ! -s "$T/oa/ports" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
[ -s "$T/oa/ports" ] || { echo "FAIL: oauth_server.py did not start"; exit 1; }
. "$T/oa/ports"
printf 'pr0xy-secret\n' >"$T/oa/secret"
chmod 600 "$T/oa/secret"
oauth_port=${OAUTH_URL##*:}
oauth_port=${oauth_port%%/*}
proxy_start ok
conf "$SMTPD_PORT" 'tls = "starttls"' "ca_file = \"$C/ca.pem\"" \
    "proxy = \"http://127.0.0.1:$PROXY_PORT\"" 'auth = "xoauth2"' \
    'username = "app@corp.example"' "oauth2_token_url = \"$OAUTH_URL\"" \
    'client_id = "app"' "client_secret = \"file:$T/oa/secret\"" \
    'scope = "https://outlook.office365.com/.default"'
drive -f a@example.com "$T/msg" b@example.com
expect_line '^b@example.com ok 250 ' "xoauth2 through the proxy"
grep -q "^CONNECT 127.0.0.1:$oauth_port HTTP" "$T/proxy.log" &&
    ok "the token request went through the proxy" ||
    fail "no CONNECT to the token endpoint: $(cat "$T/proxy.log")"
proxy_stop
smtpd_stop

finish
