#!/usr/bin/python3
"""compat_bs_client.py - drives `sendmail -bs` over pipes the way Symfony
Mailer's SmtpTransport does: read the 220 greeting, EHLO, then for each
message MAIL FROM, RCPT TO (each), DATA, the dot-stuffed message and the
final dot, and QUIT at the end. When the server advertises PIPELINING the
MAIL/RCPT/DATA commands are sent in one write and the replies read after.

Usage: compat_bs_client.py SENDMAIL OUTFILE
Writes one line per message to OUTFILE: the queue reply of each message.
Exit 0 when every reply was as expected, 1 (with the transcript) if not.
"""

import subprocess
import sys
import threading

SM, OUT = sys.argv[1], sys.argv[2]

MESSAGES = [
    ("app@example.com", ["one@example.org", "two@example.org"],
     "From: App <app@example.com>\r\n"
     "To: one@example.org\r\n"
     "Cc: two@example.org\r\n"
     "Subject: bs first\r\n"
     "\r\n"
     "first body\r\n"
     ".leading dot line\r\n"
     "..two dots\r\n"
     "last line\r\n"),
    ("", ["three@example.org"],
     "From: App <app@example.com>\r\n"
     "To: three@example.org\r\n"
     "Subject: bs second\r\n"
     "\r\n"
     "second body\r\n"),
]

transcript = []


def fail(why):
    sys.stderr.write("FAIL: %s\n--- transcript\n%s\n" % (why, "\n".join(transcript)))
    sys.exit(1)


proc = subprocess.Popen([SM, "-bs"], stdin=subprocess.PIPE,
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
timer = threading.Timer(30, proc.kill)   # every wait is bounded
timer.start()


def send(text):
    transcript.append("C: " + text.rstrip("\r\n").replace("\r\n", "\\r\\n"))
    proc.stdin.write(text.encode("utf-8"))
    proc.stdin.flush()


def reply():
    """One (possibly multi-line) reply: (code, [lines])."""
    lines = []
    while True:
        raw = proc.stdout.readline()
        if not raw:
            fail("sendmail -bs closed its output")
        if not raw.endswith(b"\r\n"):
            fail("reply line without CRLF: %r" % raw)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        transcript.append("S: " + line)
        lines.append(line)
        if len(line) < 4 or line[3] != "-":
            return int(line[:3]), lines


def expect(code, what):
    got, lines = reply()
    if got != code:
        fail("%s: reply %d, want %d" % (what, got, code))
    return lines


expect(220, "greeting")
send("EHLO client.example\r\n")
ext = [l[4:].split(" ")[0].upper() for l in expect(250, "EHLO")]
pipelining = "PIPELINING" in ext

queued = []
for sender, rcpts, body in MESSAGES:
    cmds = ["MAIL FROM:<%s>\r\n" % sender]
    cmds += ["RCPT TO:<%s>\r\n" % r for r in rcpts]
    cmds.append("DATA\r\n")
    if pipelining:
        send("".join(cmds))
        expect(250, "MAIL")
        for r in rcpts:
            expect(250, "RCPT " + r)
        expect(354, "DATA")
    else:
        send(cmds[0])
        expect(250, "MAIL")
        for i, r in enumerate(rcpts):
            send(cmds[1 + i])
            expect(250, "RCPT " + r)
        send("DATA\r\n")
        expect(354, "DATA")
    stuffed = "".join("." + l if l.startswith(".") else l
                      for l in body.splitlines(True))
    send(stuffed + ".\r\n")
    queued.append(expect(250, "end of data")[-1])

send("QUIT\r\n")
expect(221, "QUIT")
proc.stdin.close()
rc = proc.wait()
timer.cancel()
if rc != 0:
    fail("sendmail -bs exit %d: %s" % (rc, proc.stderr.read().decode()))
with open(OUT, "w") as f:
    f.write("pipelining=%s\n" % ("yes" if pipelining else "no"))
    for q in queued:
        f.write(q + "\n")
sys.exit(0)
