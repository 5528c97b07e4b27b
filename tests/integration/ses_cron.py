#!/usr/bin/python3
"""ses_cron.py - issue 14's "done when": a cron job with MAILTO=root on a
host whose domain is example.com reaches the SES-faithful server
(ses_smtpd.py, which refuses "To: root" with "554 Transaction failed:
Missing final '@domain'" as SES does) with To: root@example.com.

Debian cron runs `sendmail -FCronDaemon -i -B8BITMIME -oem root` and
writes From: root (Cron Daemon), To: root, no Date or Message-ID
(domain.md 7.5). The front end qualifies the bare header addresses
(issue 14 defect 4); this test passes once that is in.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "servers"))
from ses_lib import Env  # noqa: E402
import ses_rules  # noqa: E402

CRON = (b"From: root (Cron Daemon)\n"
        b"To: root\n"
        b"Subject: Cron <root@web-1> /usr/local/bin/backup\n"
        b"MIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=UTF-8\n"
        b"Content-Transfer-Encoding: 8bit\n"
        b"X-Cron-Env: <SHELL=/bin/sh>\n"
        b"X-Cron-Env: <MAILTO=root>\n"
        b"\n"
        b"backup: 3 files copied\n")

with Env("cron") as env:
    s = env.server("ses")
    aliases = os.path.join(env.dir, "aliases")
    open(aliases, "w").close()
    env.write_conf(env.ses_relay("ses", s), ["ses"],
                   extra='aliases = "%s"\n' % aliases)
    env.check(env.send_raw(CRON, ["-FCronDaemon", "-i", "-B8BITMIME",
                                  "-oem", "root"]) == 0, "cron's sendmail "
              "command line queued the message")
    env.flush()
    tx = s.events("tx")
    env.check(len(tx) == 1 and tx[0]["code"] == 250,
              "the SES server accepted it: %s" %
              [t["reply"] for t in tx])
    env.check(tx and tx[0]["rcpts"] == ["root@example.com"],
              "envelope recipient root@example.com (%s)" %
              (tx[0]["rcpts"] if tx else None))
    if tx:
        with open(tx[0]["file"], "rb") as f:
            msg = ses_rules.parse(f.read())
        env.check(ses_rules.addresses(msg, "to") == ["root@example.com"],
                  "To: root@example.com (%s)" % msg.get_all("to"))
        env.check(ses_rules.addresses(msg, "from") == ["root@example.com"],
                  "From: root@example.com (%s)" % msg.get_all("from"))
    failures = env.failures
sys.exit(1 if failures else 0)
