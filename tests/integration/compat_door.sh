#!/bin/sh
# compat_door.sh - the loopback SMTP door (contrib/systemd/mailshim-smtp.*)
# without systemd: tests/servers/door.py runs `sendmail -bs` per
# connection with the socket as stdin/stdout, as the socket unit's
# Accept=yes service does. Python's smtplib (IPv4 and IPv6), PHP's
# fsockopen dialogue (as PHPMailer speaks it) and swaks send through it;
# the log records each peer; the -bs limits apply (size, recipients, line
# length, idle time); optional AUTH PLAIN against smtpd_users; a peer
# that is not on loopback gets 554 (in a private network namespace, as
# root). systemd-socket-activate, where
# installed, runs the same door once more.
. "$top_srcdir/tests/integration/lib.sh"
t_setup
t_conf 'max_message_size = 4000
smtpd_idle_timeout = 2'
t_init
DOOR_PY=$top_srcdir/tests/servers/door.py
command -v php >/dev/null 2>&1 || { t_fail "php-cli not installed"; t_done; }

# door_start NAME [--listen ADDR]...: sets DOOR_PORT, DOOR_PID, DLOG
door_start() {
	_n=$1
	shift
	DLOG=$T/door-$_n.log
	"$PYTHON3" "$DOOR_PY" --port-file "$T/door-$_n.port" --stderr "$DLOG" \
	    --lifetime 120 "$@" -- "$SENDMAIL" -bs 2>>"$DLOG" &
	t_pids="${t_pids:-} $!"
	t_wait 10 test -s "$T/door-$_n.port" ||
	    { t_fail "door.py did not start: $(cat "$DLOG")"; t_done; }
	. "$T/door-$_n.port"
}
captured() { t_count "$CAPTURE/new"; }
flush() { "$MAILSHIM" flush >/dev/null 2>&1; }

door_start lo --listen 127.0.0.1 --listen ::1

# --- Python smtplib, IPv4 and IPv6
"$PYTHON3" - "$DOOR_PORT" >"$T/py.out" 2>&1 <<'PY'
import smtplib, sys
port = int(sys.argv[1])
msg = ("From: App <app@example.com>\r\nTo: one@example.org\r\n"
       "Subject: via smtplib\r\n\r\nhello from smtplib\r\n")
for host in ("127.0.0.1", "::1"):
    with smtplib.SMTP(host, port, local_hostname="app.test", timeout=30) as s:
        code, _ = s.ehlo()
        assert code == 250, code
        refused = s.sendmail("app@example.com",
                             ["one@example.org", "two@example.org"], msg)
        assert not refused, refused
print("smtplib ok")
PY
grep -q 'smtplib ok' "$T/py.out" && t_ok "smtplib sent over 127.0.0.1 and ::1" ||
    t_fail "smtplib: $(cat "$T/py.out")"
flush
[ "$(captured)" -eq 2 ] && t_ok "2 messages (2 recipients each) delivered" ||
    t_fail "$(captured) captured, want 2"
grep -q 'peer=127\.0\.0\.1:[0-9]' "$DLOG" && grep -q 'peer=\[::1\]:[0-9]' "$DLOG" &&
    t_ok "the log records each peer" || t_fail "no peer in the log: $(cat "$DLOG")"
grep -q 'queued' "$DLOG" && t_ok "queued through the spool" ||
    t_fail "no queued line"

# --- PHP, fsockopen and the SMTP dialogue PHPMailer speaks
cat >"$T/php.php" <<'PHP'
<?php
$port = (int)$argv[1];
$fp = fsockopen("127.0.0.1", $port, $errno, $errstr, 10);
if (!$fp) { echo "connect: $errstr\n"; exit(1); }
stream_set_timeout($fp, 30);
function get_lines($fp) {
    $data = "";
    while (($line = fgets($fp, 515)) !== false) {
        $data .= $line;
        if (strlen($line) < 4 || substr($line, 3, 1) == " ") break;
    }
    return $data;
}
function cmd($fp, $c, $want) {
    fwrite($fp, $c . "\r\n");
    $r = get_lines($fp);
    if ((int)substr($r, 0, 3) != $want) { echo "$c: $r"; exit(1); }
    return $r;
}
$r = get_lines($fp);
if (substr($r, 0, 3) != "220") { echo "greeting: $r"; exit(1); }
$ehlo = cmd($fp, "EHLO php.test", 250);
cmd($fp, "MAIL FROM:<php@example.com>", 250);
cmd($fp, "RCPT TO:<php-rcpt@example.org>", 250);
cmd($fp, "DATA", 354);
$body = "Date: " . date("r") . "\r\nTo: php-rcpt@example.org\r\n" .
    "From: PHP <php@example.com>\r\nSubject: via fsockopen\r\n" .
    "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n" .
    "\r\nGrüße\r\n..line starting with a dot\r\n";
fwrite($fp, $body);
cmd($fp, ".", 250);
cmd($fp, "QUIT", 221);
fclose($fp);
echo "php ok\n";
PHP
php -n "$T/php.php" "$DOOR_PORT" >"$T/php.out" 2>&1
grep -q 'php ok' "$T/php.out" && t_ok "PHP fsockopen dialogue" ||
    t_fail "php: $(cat "$T/php.out")"
flush
f=$(grep -l 'Subject: via fsockopen' "$CAPTURE"/new/* 2>/dev/null | head -1)
if [ -n "$f" ] && grep -q '^\.line starting with a dot' "$f"; then
	t_ok "PHP message delivered, dot-unstuffed"
else
	t_fail "PHP message not delivered intact"
fi

# --- swaks
if command -v swaks >/dev/null 2>&1; then
	swaks --server 127.0.0.1 --port "$DOOR_PORT" --helo swaks.test \
	    --from swaks@example.com --to swaks-rcpt@example.org \
	    --header 'Subject: via swaks' --body 'from swaks' \
	    --timeout 30 >"$T/swaks.out" 2>&1 &&
	    t_ok "swaks sent" || t_fail "swaks: $(tail -5 "$T/swaks.out")"
	flush
	grep -l -q 'Subject: via swaks' "$CAPTURE"/new/* &&
	    t_ok "swaks message delivered" || t_fail "swaks message missing"
else
	t_fail "swaks not installed (contrib/deps.sh installs it)"
fi

# --- the -bs limits apply at the door
"$PYTHON3" - "$DOOR_PORT" >"$T/limits.out" 2>&1 <<'PY'
import smtplib, socket, sys, time
port = int(sys.argv[1])
ok = True
def check(what, cond, got):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else f" ({got!r})"))
    ok = ok and cond
# size: announced and not announced
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("app.test")
    big = "Subject: big\r\n\r\n" + ("x" * 70 + "\r\n") * 100
    code, _ = s.mail("app@example.com", ["SIZE=%d" % len(big)])
    check("SIZE over max_message_size refused at MAIL", code == 552, code)
    s.rset()
    s.mail("app@example.com")
    s.rcpt("one@example.org")
    code, _ = s.data(big)
    check("oversized message refused after DATA", code == 552, code)
# line length
with socket.create_connection(("127.0.0.1", port), 30) as c:
    f = c.makefile("rb")
    f.readline()
    c.sendall(b"EHLO " + b"a" * 5000 + b"\r\nNOOP\r\n")
    r = f.readline()
    check("over-long line refused", r.startswith(b"500 5.5.0"), r)
    r = f.readline()
    check("the session goes on after it", r.startswith(b"250"), r)
# recipients: pipelined, one over the limit
with socket.create_connection(("127.0.0.1", port), 60) as c:
    f = c.makefile("rb")
    f.readline()
    n = 10001
    c.sendall(b"EHLO app.test\r\nMAIL FROM:<app@example.com>\r\n" +
              b"".join(b"RCPT TO:<r%d@example.org>\r\n" % i
                       for i in range(n)) + b"RSET\r\nQUIT\r\n")
    replies = []
    while True:
        line = f.readline()
        if not line:
            break
        if line[3:4] == b" ":
            replies.append(line)
    rc = replies[2:2 + n]
    check("10000 recipients taken", all(r.startswith(b"250") for r in rc[:-1]),
          [r for r in rc[:-1] if not r.startswith(b"250")][:1])
    check("recipient 10001 refused (452)", rc[-1].startswith(b"452"), rc[-1])
# idle time: smtpd_idle_timeout = 2 in the config
with socket.create_connection(("127.0.0.1", port), 30) as c:
    f = c.makefile("rb")
    f.readline()
    t0 = time.monotonic()
    r = f.readline()
    dt = time.monotonic() - t0
    check("idle peer gets 421 after smtpd_idle_timeout",
          r.startswith(b"421 4.4.2"), r)
    check("... not before it (%.1f s)" % dt, dt >= 1.5, dt)
    check("... and the connection is closed", f.readline() == b"", "open")
# idle in the middle of DATA: 421 too, and the message is dropped
with socket.create_connection(("127.0.0.1", port), 30) as c:
    f = c.makefile("rb")
    f.readline()
    c.sendall(b"HELO app.test\r\nMAIL FROM:<a@example.com>\r\n"
              b"RCPT TO:<idle-data@example.org>\r\nDATA\r\n")
    for _ in range(4):
        f.readline()
    c.sendall(b"Subject: never finished\r\n\r\npartial")
    r = f.readline()
    check("idle in DATA gets 421, not a storage error",
          r.startswith(b"421 4.4.2"), r)
    check("... and the connection is closed", f.readline() == b"", "open")
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/limits.out"
[ $rc -eq 0 ] && t_ok "the -bs limits apply at the door" || t_fail "limits"
grep -q 'idle for 2 s' "$DLOG" && t_ok "idle close logged" ||
    t_fail "idle close not logged"
flush
grep -l -q 'never finished' "$CAPTURE"/new/* 2>/dev/null &&
    t_fail "a message cut by the idle timeout was delivered" ||
    t_ok "a message cut by the idle timeout is dropped"

# --- optional AUTH PLAIN for the door (smtpd_users)
hash=$(openssl passwd -6 -salt 'door.salt' 'app1-Pw!') ||
    { t_fail "openssl passwd -6"; t_done; }
printf '# name:hash\napp1:%s\n' "$hash" >"$T/users"
chmod 600 "$T/users"
{ cat "$CONF"; echo "smtpd_users = \"$T/users\""; } >"$T/auth.conf"
MAILSHIM_CONFIG=$T/auth.conf door_start auth
"$PYTHON3" - "$DOOR_PORT" >"$T/auth.out" 2>&1 <<'PY'
import smtplib, sys
port = int(sys.argv[1])
ok = True
def check(what, cond, got):
    global ok
    print(("ok: " if cond else "FAIL: ") + what + ("" if cond else f" ({got!r})"))
    ok = ok and cond
msg = "Subject: via AUTH\r\n\r\nhi\r\n"
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("app.test")
    check("EHLO offers AUTH PLAIN", s.has_extn("auth") and
          "PLAIN" in s.esmtp_features["auth"], s.esmtp_features)
    code, _ = s.mail("app@example.com")
    check("MAIL before AUTH refused (530)", code == 530, code)
    try:
        s.login("app1", "wrong")
        check("wrong password refused", False, "accepted")
    except smtplib.SMTPAuthenticationError as e:
        check("wrong password refused (535)", e.smtp_code == 535, e.smtp_code)
    s.login("app1", "app1-Pw!")  # AUTH PLAIN with an initial response
    check("AUTH PLAIN accepted", True, None)
    s.sendmail("app@example.com", ["auth@example.org"], msg)
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("app.test")
    s.user, s.password = "app1", "app1-Pw!"
    code, _ = s.auth("PLAIN", s.auth_plain, initial_response_ok=False)
    check("AUTH PLAIN with the response on its own line", code == 235, code)
with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
    s.ehlo("app.test")
    codes = []
    for i in range(3):
        try:
            s.login("nobody", "x")
        except smtplib.SMTPAuthenticationError as e:
            codes.append(e.smtp_code)
        except smtplib.SMTPServerDisconnected:
            codes.append("closed")
    check("three failures and the door closes", codes[:2] == [535, 535]
          and codes[2] in (535, "closed"), codes)
    try:
        code, _ = s.noop()  # reads the 421 that followed the last 535
        check("... with 421", code == 421, code)
        s.noop()
        check("... closed", False, "still open")
    except smtplib.SMTPServerDisconnected:
        check("... closed", True, None)
sys.exit(0 if ok else 1)
PY
rc=$?
cat "$T/auth.out"
[ $rc -eq 0 ] && t_ok "door AUTH PLAIN against smtpd_users" || t_fail "door AUTH"
grep -q 'peer=127\.0\.0\.1:[0-9]* user=app1' "$DLOG" &&
    t_ok "the log names the authenticated user" ||
    t_fail "no user= in the log: $(cat "$DLOG")"
grep -q 'app1-Pw' "$DLOG" && t_fail "the password is in the log" ||
    t_ok "no password in the log"
printf 'EHLO x\r\nMAIL FROM:<a@example.com>\r\nQUIT\r\n' |
    MAILSHIM_CONFIG=$T/auth.conf "$SENDMAIL" -bs >"$T/pipe.out" 2>/dev/null
grep -q '^250 2.1.0' "$T/pipe.out" && t_ok "callers on a pipe need no AUTH" ||
    t_fail "pipe caller: $(cat "$T/pipe.out")"
chmod 644 "$T/users"
"$PYTHON3" - "$DOOR_PORT" >"$T/auth2.out" 2>&1 <<'PY'
import smtplib, sys
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30) as s:
    s.ehlo("x")
    try:
        s.login("app1", "app1-Pw!")
        print("accepted")
    except smtplib.SMTPAuthenticationError as e:
        print("code", e.smtp_code)
PY
grep -q '^code 454' "$T/auth2.out" && t_ok "users file readable by others: 454" ||
    t_fail "unsafe users file: $(cat "$T/auth2.out")"
grep -q 'smtpd_users .* unreadable by others' "$DLOG" &&
    t_ok "... and the log says why" || t_fail "unsafe users file not logged"

# --- a peer that is not on loopback: 554, in a private network namespace
if [ "$(id -u)" = 0 ] && unshare -n true 2>/dev/null; then
	unshare -n sh -c '
		ip link set lo up && ip addr add 192.0.2.1/32 dev lo || exit 9
		"$1" "$2" --port-file "$3/door-ns.port" --stderr "$3/door-ns.log" \
		    --lifetime 60 --listen 0.0.0.0 -- "$4" -bs &
		i=0
		while [ ! -s "$3/door-ns.port" ] && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		. "$3/door-ns.port"
		"$1" - "$DOOR_PORT" <<PY
import socket, sys
port = int(sys.argv[1])
def talk(src):
    c = socket.socket()
    c.settimeout(30)
    c.bind((src, 0))
    c.connect(("192.0.2.1" if src != "127.0.0.1" else "127.0.0.1", port))
    f = c.makefile("rb")
    r = f.readline()
    rest = f.read() if src != "127.0.0.1" else b""
    c.close()
    return r, rest
r, rest = talk("192.0.2.1")
print("remote:", r.decode().strip(), "rest:", repr(rest))
r, rest = talk("127.0.0.1")
print("loopback:", r.decode().strip())
PY
		kill "$DOOR_PID"
	' sh "$PYTHON3" "$DOOR_PY" "$T" "$SENDMAIL" >"$T/ns.out" 2>&1
	if grep -q "^remote: 554 5.7.1 .*loopback only rest: b''" "$T/ns.out"; then
		t_ok "a peer off loopback (192.0.2.1) gets 554 and the door closes"
	else
		t_fail "non-loopback peer: $(cat "$T/ns.out")"
	fi
	grep -q '^loopback: 220 ' "$T/ns.out" && t_ok "... while loopback is served" ||
	    t_fail "loopback in the namespace: $(cat "$T/ns.out")"
	grep -q 'refused 192\.0\.2\.1:[0-9]*: not on loopback' "$T/door-ns.log" &&
	    t_ok "the refusal is logged with the peer" ||
	    t_fail "refusal not logged: $(cat "$T/door-ns.log")"
else
	echo "note: not root or no unshare: the off-loopback refusal was not run"
fi

# --- the same door under systemd-socket-activate (Accept=yes, inetd style)
if command -v systemd-socket-activate >/dev/null 2>&1; then
	port=$("$PYTHON3" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	systemd-socket-activate -l "127.0.0.1:$port" --accept --inetd \
	    -E MAILSHIM_CONFIG -E MAILSHIM_LOG_STDERR \
	    "$SENDMAIL" -bs >"$T/ssa.log" 2>&1 &
	t_pids="$t_pids $!"
	sleep 0.5
	before=$(captured)
	"$PYTHON3" - "$port" >"$T/ssa.out" 2>&1 <<'PY'
import smtplib, sys, time
for i in range(50):
    try:
        s = smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=30)
        break
    except ConnectionRefusedError:
        time.sleep(0.1)
with s:
    s.sendmail("app@example.com", ["ssa@example.org"],
               "Subject: via systemd-socket-activate\r\n\r\nhi\r\n")
print("ssa ok")
PY
	grep -q 'ssa ok' "$T/ssa.out" && t_ok "systemd-socket-activate --accept --inetd" ||
	    t_fail "systemd-socket-activate: $(cat "$T/ssa.out" "$T/ssa.log")"
	flush
	[ "$(captured)" -gt "$before" ] && t_ok "... delivered" ||
	    t_fail "systemd-socket-activate message not delivered"
else
	echo "note: systemd-socket-activate not installed; door.py only"
fi
t_done
