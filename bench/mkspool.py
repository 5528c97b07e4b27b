#!/usr/bin/python3
"""mkspool.py - fills a mailshim spool directly, in the format of
spool/README, much faster than running the front end N times.

    mkspool.py SPOOL N pending    N messages in new/ (mode 0604), as the
                                  front end leaves them (about 2 KB each)
    mkspool.py SPOOL N deferred   N small deferred messages (about 300
                                  bytes) filed as the flusher files them:
                                  SPOOL/deferred/YYYYMMDDHHMM/ID and
                                  ID.state, the state's mtime (its next
                                  attempt) 20 to 60 minutes ahead of the
                                  moment it is written, that is within the
                                  default retry_max (67m) and not due for
                                  20 minutes; the bucket is the UTC minute
                                  of that mtime.
"""

import base64
import os
import sys
import time


def pending(spool, n):
    area = os.path.join(spool, "new")
    now = int(time.time())
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


def deferred(spool, n):
    top = os.path.join(spool, "deferred")
    os.makedirs(top, mode=0o700, exist_ok=True)
    base_us = time.time_ns() // 1000
    made = set()
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    rand = os.urandom(4 * n)
    for i in range(n):
        now = int(time.time()) if i % 1000 == 0 else now
        nxt = now + 1200 + (i * 7919) % 2400     # 20..60 minutes ahead
        bucket = time.strftime("%Y%m%d%H%M", time.gmtime(nxt))
        d = os.path.join(top, bucket)
        if bucket not in made:
            os.makedirs(d, mode=0o700, exist_ok=True)
            made.add(bucket)
        qid = "%014X%08X" % (base_us + i,
                             int.from_bytes(rand[4 * i:4 * i + 4], "big"))
        text = ("MAILSHIM-2\nid %s\ntime %d\nuid 0\nuser root\n"
                "from bench@example.com\nrcpt sink%d@example.net\n\n"
                "Subject: bench %d\n\nbench\n" % (qid, now, i, i))
        path = os.path.join(d, qid)
        fd = os.open(path, flags, 0o604)
        os.write(fd, text.encode())
        os.close(fd)
        fd = os.open(path + ".state", flags, 0o600)
        os.write(fd, ("format 2\nattempts 1\nlast %d\nnext %d\n"
                      "reason 421 4.3.0 relay down (bench)\n"
                      "rcpt deferred %d sink sink%d@example.net "
                      "421 4.3.0 relay down (bench)\n"
                      % (now, nxt, now, i)).encode())
        os.utime(fd, (nxt, nxt))
        os.close(fd)


def main(argv):
    if len(argv) != 4 or argv[3] not in ("pending", "deferred"):
        sys.stderr.write(__doc__)
        return 64
    spool, n, kind = argv[1], int(argv[2]), argv[3]
    (pending if kind == "pending" else deferred)(spool, n)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
