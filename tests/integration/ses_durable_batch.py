#!/usr/bin/python3
"""ses_durable_batch.py - a flusher killed (SIGKILL) between two SES
batches of 50 recipients does not send batch 1 again (issue 19 item 2):
the recipients SES accepted are recorded and synced before the next
batch starts. 60 recipients at rate 10: batch 2 waits about a second for
the bucket, which is where the kill lands: after the state records
batch 1 (a kill between SES's 250 and that record may send batch 1 once
more, the one duplicate a kill is allowed, so the test waits for the
record rather than for the reply alone)."""
import glob
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ses_lib import Env, MAILSHIM  # noqa: E402


def sent_recorded(env):
    """Recipients a queue/ID.state records as sent."""
    n = 0
    for path in glob.glob(os.path.join(env.spool, "queue", "*.state")):
        try:
            with open(path) as f:
                n += sum(1 for line in f if line.startswith("rcpt sent "))
        except OSError:
            pass  # replaced by a rename while we looked
    return n


def main():
    with Env("durable-batch") as env:
        s = env.server("ses")
        env.write_conf(env.ses_relay("ses", s, "  rate = 10\n"), ["ses"])
        rcpts = ["b%02d@other.org" % i for i in range(60)]
        env.check(env.send("app@example.com", rcpts) == 0, "queued")
        p = subprocess.Popen([MAILSHIM, "-C", env.conf, "flush"],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (
                [t for t in s.events("tx") if t["code"] == 250]
                and sent_recorded(env) >= 50):
            time.sleep(0.02)
        p.send_signal(signal.SIGKILL)
        p.wait(timeout=10)
        first = [t for t in s.events("tx") if t["code"] == 250]
        env.check(len(first) == 1 and first[0]["nrcpt"] == 50,
                  "killed after batch 1 (%s)"
                  % [t["nrcpt"] for t in first])
        env.mailshim("retry")
        env.flush()
        got = {}
        for t in s.events("tx"):
            if t["code"] == 250:
                for r in t["rcpts"]:
                    got[r] = got.get(r, 0) + 1
        twice = sorted(r for r, n in got.items() if n > 1)
        env.check(not twice, "no recipient of batch 1 sent again (%d were: "
                  "%s)" % (len(twice), ", ".join(twice[:5])))
        env.check(len(got) == 60, "all 60 delivered (%d)" % len(got))
        env.check(env.queue_files() == [], "queue empty")
        return env.failures


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
