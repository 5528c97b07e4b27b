#!/bin/sh
# sendmail_wire.sh - nothing bare on the wire: hostile input to the real
# front end (bare CR, NUL, a 2000-octet header line with and without
# white space, a 5000-octet body line, mixed line ends, bare-LF lines in
# -bs DATA), then `mailshim flush` to tests/servers/smtpd.py (aiosmtpd).
# The exact bytes the server received must have every LF preceded by CR
# and every CR followed by LF, no NUL, and no line over 998 octets
# (RFC 5321 2.3.8, 4.5.3.1.6); and the text must survive: folded header
# lines unfold to what was given, broken lines join back by removing
# each inserted CRLF SPACE (Postfix's smtp_line_length_limit rule).
set -u
: "${top_srcdir:?}"
. "$top_srcdir/tests/integration/compat_lib.sh"
compat_setup wire

"$PYTHON3" - "$dir" <<'PY'
import sys
d = sys.argv[1]
words = " ".join("w%04d" % i for i in range(400))           # 2399 octets
token = "".join(chr(65 + i % 26) for i in range(2000))
body = "".join(chr(97 + i % 26) for i in range(5000))
msgs = {
    "cr": b"To: cr@example.org\nSubject: bare cr\n\nbefore\rafter\n"
          b"progress 10%\r20%\r100%\ndone\n",
    "nul": b"To: nul@example.org\nSubject: nul\n\nbin\0ary\0\n\0.\n",
    "hdr": ("To: hdr@example.org\nSubject: long\nX-Words: " + words +
            "\nX-Token:" + token + "\n\nshort body\n").encode(),
    "body": ("To: body@example.org\nSubject: long body\n\n" + body +
             "\nafter\n").encode(),
    "mixed": b"To: mixed@example.org\r\nSubject: mixed\n\r\n"
             b"line1\r\nline2\nline3\r\r\nline4\rline5",
}
for k, v in msgs.items():
    open("%s/in-%s" % (d, k), "wb").write(v)
open(d + "/words", "w").write(words)
open(d + "/token", "w").write(token)
open(d + "/bodyline", "w").write(body)
PY
for k in cr nul hdr body mixed; do
	"$SM" -i "$k@example.org" <"$dir/in-$k" 2>"$dir/err-$k" ||
	    fail "$k: sendmail exit $? ($(cat "$dir/err-$k"))"
done
# -bs: content lines ending in a bare LF, and a smuggling attempt
printf 'EHLO c\r\nMAIL FROM:<app@example.com>\r\nRCPT TO:<bs@example.org>\r\nDATA\r\nSubject: bs\n\nlf only\n.\nMAIL FROM:<evil@example.net>\r\nlast\r\n.\r\nQUIT\r\n' |
    timeout 20 "$SM" -bs >"$dir/bs.out" 2>&1 || fail "-bs: exit $?"
expect_eq "messages queued" "$(ls "$spool/new" | wc -l)" 6

compat_flush
compat_wait 6 || fail "only $(compat_count) of 6 arrived"
compat_collect

"$PYTHON3" - "$dir" <<'PY' || fail "bytes on the wire (above)"
import glob, os, re, sys
d = sys.argv[1]
bad = 0
def err(*a):
    global bad
    print("FAIL:", *a)
    bad += 1
got = {}
for eml in glob.glob(d + "/srv/*.eml"):
    rcpt = open(eml[:-4] + ".rcpt").read().split()
    got[rcpt[0].split("@")[0]] = open(eml, "rb").read()
for k in ("cr", "nul", "hdr", "body", "mixed", "bs"):
    if k not in got:
        err(k, "not received"); continue
    raw = got[k]
    if re.search(rb"\r(?!\n)", raw): err(k, "bare CR on the wire")
    if re.search(rb"(?<!\r)\n", raw): err(k, "bare LF on the wire")
    if b"\0" in raw: err(k, "NUL on the wire")
    for ln in raw.split(b"\r\n"):
        if len(ln) > 998: err(k, "line of %d octets" % len(ln))
def body(k):
    return got.get(k, b"").split(b"\r\n\r\n", 1)[-1]
def header(k, name):
    h = got.get(k, b"").split(b"\r\n\r\n", 1)[0]
    for f in re.split(rb"\r\n(?![ \t])", h):
        if f.lower().startswith(name.lower() + b":"):
            return f[len(name) + 1:]
    return None
if body("cr") != b"before\r\nafter\r\nprogress 10%\r\n20%\r\n100%\r\ndone\r\n":
    err("cr body", body("cr"))
if body("nul") != b"binary\r\n.\r\n":   # as received, after unstuffing
    err("nul body", body("nul"))
words = open(d + "/words", "rb").read()
token = open(d + "/token", "rb").read()
xw = header("hdr", b"X-Words")
if xw is None or xw.replace(b"\r\n", b"") != b" " + words:
    err("X-Words does not unfold to the original")
xt = header("hdr", b"X-Token")
if xt is None or xt.replace(b"\r\n ", b"") != token:
    err("X-Token does not rejoin to the original")
line = open(d + "/bodyline", "rb").read()
want = line[:998] + b"".join(b"\r\n " + line[i:i + 997]
                            for i in range(998, len(line), 997))
if body("body") != want + b"\r\nafter\r\n":
    err("long body line not broken as Postfix does")
if body("mixed") != b"line1\r\nline2\r\nline3\r\nline4\r\nline5\r\n":
    err("mixed body", body("mixed"))
if body("bs") != b"lf only\r\n.\r\nMAIL FROM:<evil@example.net>\r\nlast\r\n":
    err("bs body", body("bs"))
sys.exit(1 if bad else 0)
PY
compat_finish
