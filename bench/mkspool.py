#!/usr/bin/python3
"""mkspool.py - fills a mailshim spool directly, in the format of
spool/README, much faster than running the front end N times.

    mkspool.py SPOOL N pending    N messages in new/ (mode 0604), as the
                                  front end leaves them
    mkspool.py SPOOL N deferred   N messages in queue/ with an ID.state
                                  whose mtime (next attempt) is a day ahead

Each message is about 2 KB: envelope, headers, base64 body.
"""

import base64
import os
import sys
import time


def main(argv):
    if len(argv) != 4 or argv[3] not in ("pending", "deferred"):
        sys.stderr.write(__doc__)
        return 64
    spool, n, kind = argv[1], int(argv[2]), argv[3]
    area = os.path.join(spool, "new" if kind == "pending" else "queue")
    now = int(time.time())
    later = now + 86400
    body = base64.encodebytes(os.urandom(1400)).decode()
    base_us = time.time_ns() // 1000
    for i in range(n):
        qid = "%014X%08X" % (base_us + i, int.from_bytes(os.urandom(4), "big"))
        text = ("MAILSHIM-1\nid %s\ntime %d\nuid 0\nuser root\n"
                "from bench@example.com\nrcpt sink%d@example.net\n\n"
                "From: bench@example.com\nTo: sink%d@example.net\n"
                "Subject: bench %d\nDate: Mon, 23 Nov 2026 10:00:00 +0000\n"
                "Message-ID: <%s@bench.example.com>\n\n%s"
                % (qid, now, i, i, i, qid, body))
        path = os.path.join(area, qid)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, text.encode())
        os.fchmod(fd, 0o604)
        os.close(fd)
        if kind == "deferred":
            spath = path + ".state"
            with open(spath, "w") as f:
                f.write("attempts 1\nlast %d\nnext %d\n"
                        "reason 421 4.3.0 relay down (bench)\n"
                        "rcpt deferred %d sink sink%d@example.net "
                        "421 4.3.0 relay down (bench)\n"
                        % (now, later, now, i))
            os.utime(spath, (later, later))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
