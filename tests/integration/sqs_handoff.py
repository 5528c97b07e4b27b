#!/usr/bin/python3
"""sqs_handoff.py - the SQS hand-off end to end, two spools on one
machine standing for two hosts:

  sendmail (spool A) -> mailshim flush A (`sqs` relay, SendMessage) ->
  fake SQS (tests/servers/sqs_server.py, every SigV4 signature checked
  with botocore) -> mailshim pull (spool B) -> mailshim flush B (smtp
  relay) -> tests/servers/smtpd.py

  handoff    an 8-bit message with dot lines, one with several
             recipients, one with Bcc (-t) and one with the null sender
             arrive byte-identical to what A's own smtp relay would send
             (spool A's message, CRLF), with the same envelope sender and
             recipients; flush A logs relay=handoff[sqs:mail] and the
             SQS MessageId as id=; the SendMessage attributes carry the
             versioned envelope; the queue is empty afterwards
  crash      pull killed with SIGKILL between writing spool B and its
             DeleteMessageBatch: the copy SQS delivers again is
             recognised and deleted, also after the first copy was
             delivered and removed from spool B: delivered once
  dlq        spool B cannot be written (tmp/ is not a directory): the
             message stays in SQS, is received again and again, and
             after the queue's maxReceiveCount (8) it is in the
             dead-letter queue, never delivered; `mailshim check` shows
             the redrive policy and the dead-letter queue's depth
  fifo       a .fifo queue: MessageGroupId = the route's name,
             MessageDeduplicationId = queue id + recipient hash; a
             SendMessage that timed out on A but reached SQS is sent
             again by the retry and dropped by SQS as a duplicate: one
             message, delivered once
  too large  a message bigger than the queue's MaximumMessageSize is a
             dead letter on A at once, saying why
  s3         with s3_bucket, such a message goes through S3: the SQS
             body is the Extended Client pointer, the payload is in the
             bucket (PutObject, SigV4 "s3" checked), pull reads it
             (GetObject), writes it and deletes the object after the
             message
  failover   a queue that does not exist holds the sqs relay and the
             route's next relay (a maildir) takes the message; `mailshim
             check` FAILs that relay and shows the good one's queue
  watch      `mailshim pull --watch` with two pull blocks runs one
             process per queue, takes both, and stops on SIGTERM
  counters   `mailshim stats --prometheus` on B counts per queue what was
             received, written, recognised as a copy, deleted and left
"""
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sqs_lib import Env, Host, queue_url, sqs_relay, wire  # noqa: E402

QUEUES = ["mail:VisibilityTimeout=2,dlq=mail-dlq,maxReceiveCount=8",
          "mail.fifo:VisibilityTimeout=2",
          "small:MaximumMessageSize=2048",
          "smalls3:MaximumMessageSize=2048"]


def submit(host, data, args):
    before = set(host.spooled())
    host.env.check(host.sendmail(data, args) == 0, "sendmail %s" % args[:3])
    new = [q for q in host.spooled() if q not in before]
    return new[0] if new else None


def pull(host, queue="mail", *extra):
    r = host.mailshim("pull", "--queue", queue_url(queue), *extra)
    sys.stdout.write("".join("# pull: %s\n" % line
                             for line in r.stderr.splitlines()[-15:]))
    return r


def flush(host):
    r = host.mailshim("flush")
    sys.stdout.write("".join("# flush: %s\n" % line
                             for line in r.stderr.splitlines()[-15:]))
    return r


def envelope_of(lines):
    sender = [ln[5:] for ln in lines if ln.startswith("from ")]
    rcpts = [ln[5:] for ln in lines if ln.startswith("rcpt ")]
    return (sender[0] if sender else None), sorted(rcpts)


def main():
    with Env("handoff", QUEUES, ["mail-bodies"]) as env:
        a, b = Host(env, "a"), Host(env, "b")
        port = env.start_smtpd()
        a.write_conf(sqs_relay("handoff", "mail") +
                     'route "default" { relays = {"handoff"} }\n')
        b.write_conf('relay "corp" { type = "smtp" host = "127.0.0.1" '
                     'port = %d tls = "none" timeout = 20 }\n'
                     'route "default" { relays = {"corp"} }\n'
                     'pull "main" { queue_url = "%s" }\n'
                     % (port, queue_url("mail")))

        # ---- handoff ----
        m8 = ("From: App <app@example.com>\nTo: a@example.net\n"
              "Subject: caf\u00e9\nMIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=utf-8\n"
              "Content-Transfer-Encoding: 8bit\n\n"
              "Gr\u00fc\u00dfe \u20ac\n.\n..leading dots\n" + "x" * 900 +
              "\nend\n").encode()
        ids = {}
        ids["8bit"] = submit(a, m8, ["-f", "app@example.com",
                                     "a@example.net"])
        ids["many"] = submit(a, b"Subject: many\n\nhello all\n",
                             ["-f", "bulk@example.com", "r1@example.net",
                              "r2@example.org", "r3@example.com"])
        ids["bcc"] = submit(a, b"From: app@example.com\nTo: to@example.net\n"
                            b"Bcc: hidden@example.org\nSubject: bcc\n\nx\n",
                            ["-f", "bcc@example.com", "-t"])
        ids["null"] = submit(a, b"Subject: bounce\n\nnull sender\n",
                             ["-f", "<>", "postmaster@example.net"])
        want = a.spooled()
        r = flush(a)
        env.check(r.returncode == 0, "flush A exit %d" % r.returncode)
        env.check(a.files("queue") == [] and a.files("dead") == [],
                  "spool A empty after the hand-off")
        st = env.state()
        env.check(st["sig_failures"] == 0, "every SigV4 signature "
                  "verified by botocore (failures %d)" % st["sig_failures"])
        sends = [s for s in st["sends"] if s["queue"] == "mail"]
        env.check(len(sends) == 4, "4 SendMessage calls (%d)" % len(sends))
        ok = True
        for s in sends:
            at = {k: v["StringValue"] for k, v in s["attributes"].items()}
            ok &= at.get("mailshim-version") == "1"
            qid = at.get("mailshim-queue-id")
            ok &= qid in want and at.get("mailshim-key", "").startswith(
                qid + "-")
            ok &= s["attributes"]["mailshim-arrival"]["DataType"] == "Number"
            if qid in want:
                snd, rc = envelope_of(want[qid][0])
                ok &= at.get("mailshim-sender") == "<%s>" % snd
                ok &= sorted(eval_json(at.get("mailshim-recipients"))) == rc
            ok &= s["group"] is None and s["dedup"] is None
        env.check(ok, "attributes: version 1, queue id, key, sender, "
                  "recipients, arrival as Number")
        msg_ids = [m["id"] for m in st["queues"]["mail"]["messages"]]
        for q in ids.values():
            line = [ln for ln in r.stderr.splitlines()
                    if ln.find(q + ":") >= 0 and "status=sent" in ln]
            env.check(line and "relay=handoff[sqs:mail]" in line[0] and
                      any("id=" + i in line[0] for i in msg_ids),
                      "log: relay=handoff[sqs:mail], id=<MessageId> (%s)"
                      % (line[:1],))

        r = b.mailshim("pull")      # the config's pull "main" block
        env.check(r.returncode == 0, "pull (config block) exit %d"
                  % r.returncode)
        st = env.state()
        env.check(st["queues"]["mail"]["messages"] == [],
                  "queue empty after pull")
        got = b.spooled()
        env.check(len(got) == 4, "4 messages in spool B (%d)" % len(got))
        env.check(sorted(envelope_of(v[0]) for v in got.values()) ==
                  sorted(envelope_of(v[0]) for v in want.values()),
                  "spool B envelopes = spool A envelopes")
        env.check(sorted(v[1] for v in got.values()) ==
                  sorted(v[1] for v in want.values()),
                  "spool B messages = spool A messages, byte for byte")
        r = flush(b)
        env.check(r.returncode == 0, "flush B exit %d" % r.returncode)
        msgs = env.smtp_msgs()
        env.check(len(msgs) == 4, "4 messages at the SMTP server (%d)"
                  % len(msgs))
        seen = sorted((m["mail_from"], sorted(m["rcpt_tos"]), m["data"])
                      for m in msgs)
        # aiosmtpd records the null reverse-path as "<>"
        exp = sorted((envelope_of(v[0])[0] or "<>", envelope_of(v[0])[1],
                      wire(v[1])) for v in want.values())
        env.check(seen == exp, "SMTP server got the same bytes, sender "
                  "and recipients A's own smtp relay would send")

        # ---- crash between spool write and delete ----
        crash(env, a, b)
        # ---- dead-letter queue after maxReceiveCount ----
        dlq(env, a, b)
        # ---- FIFO ----
        fifo(env, a, b, port)
        # ---- too large ----
        too_large(env, a)
        # ---- through S3 ----
        through_s3(env, a, b)
        # ---- failover ----
        failover(env, a)
        check_relays(env, a)
        # ---- counters ----
        r = b.mailshim("stats", "--prometheus")
        want = {("mail", "received"): 13, ("mail", "written"): 4,
                ("mail", "duplicate"): 1, ("mail", "deleted"): 5,
                ("mail", "failed"): 8, ("mail.fifo", "written"): 1}
        got = {}
        for ln in r.stdout.splitlines():
            if ln.startswith("mailshim_pull_messages_total{"):
                lab, _, v = ln.rpartition(" ")
                q = lab.split('queue="')[1].split('"')[0]
                o = lab.split('outcome="')[1].split('"')[0]
                got[(q, o)] = int(v)
        env.check(all(got.get(k) == v for k, v in want.items()),
                  "stats --prometheus: pull counters per queue (the "
                  "killed puller's batch is not counted): %r" % got)
        # ---- pull --watch over two pull blocks ----
        watch(env, a, b, port)
    env.finish()


def watch(env, a, b, port):
    b.write_conf('relay "corp" { type = "smtp" host = "127.0.0.1" '
                 'port = %d tls = "none" timeout = 20 }\n'
                 'route "default" { relays = {"corp"} }\n'
                 'pull "main" { queue_url = "%s" }\n'
                 'pull "ordered" { queue_url = "%s" }\n'
                 % (port, queue_url("mail"), queue_url("mail.fifo")))
    before = len(b.spooled())
    p = b.popen("pull", "--watch", "--wait", "1")
    for queue in ("mail", "mail.fifo"):
        a.write_conf(sqs_relay("handoff", queue) +
                     'route "default" { relays = {"handoff"} }\n')
        submit(a, b"Subject: watched\n\nvia %s\n" % queue.encode(),
               ["-f", "app@example.com", "w@example.net"])
        env.check(flush(a).returncode == 0, "watch: handed off to " + queue)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(b.spooled()) < before + 2:
        time.sleep(0.2)
    env.check(len(b.spooled()) == before + 2, "watch: one process per "
              "pull block took both queues' messages")
    t = time.monotonic()
    p.send_signal(signal.SIGTERM)
    try:
        rc = p.wait(timeout=60)
    except Exception:
        p.kill()
        rc = None
    env.check(rc == 0, "watch: SIGTERM stops every child, exit %r in "
              "%.1fs" % (rc, time.monotonic() - t))


def eval_json(s):
    import json
    try:
        return json.loads(s)
    except (TypeError, ValueError):
        return None


def crash(env, a, b):
    before = len(env.smtp_msgs())
    q = submit(a, b"Subject: crash\n\nonce only\n",
               ["-f", "app@example.com", "once@example.net"])
    env.check(flush(a).returncode == 0, "crash: handed off")
    env.inject(action="DeleteMessageBatch", stall=60, count=1)
    p = b.popen("pull", "--queue", queue_url("mail"))
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(b.spooled()) == 0:
        time.sleep(0.05)
    time.sleep(0.5)     # it is now waiting for DeleteMessageBatch
    written = len(b.spooled())
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    env.check(written == 1, "crash: message written to spool B before "
              "the kill (%d)" % written)
    env.check(len(env.state()["queues"]["mail"]["messages"]) == 1,
              "crash: still in SQS after the kill")
    env.check(flush(b).returncode == 0, "crash: flush B")
    env.check(b.spooled() == {}, "crash: first copy delivered and removed")
    time.sleep(2.5)     # the queue's visibility timeout
    r = pull(b)
    env.check(r.returncode == 0, "crash: second pull exit %d" % r.returncode)
    env.check("taken before; deleting it" in r.stderr,
              "crash: second copy recognised by its queue id")
    env.check(env.state()["queues"]["mail"]["messages"] == [],
              "crash: second copy deleted from SQS")
    env.check(b.spooled() == {}, "crash: nothing new in spool B")
    flush(b)
    once = [m for m in env.smtp_msgs()[before:]
            if m["rcpt_tos"] == ["once@example.net"]]
    env.check(len(once) == 1 and len(env.smtp_msgs()) == before + 1,
              "crash: delivered exactly once (%d)" % len(once))
    del q


def dlq(env, a, b):
    before = len(env.smtp_msgs())
    env.set_attrs("mail", VisibilityTimeout=1)
    submit(a, b"Subject: dlq\n\nnowhere to write\n",
           ["-f", "app@example.com", "dlq@example.net"])
    env.check(flush(a).returncode == 0, "dlq: handed off")
    tmp = os.path.join(b.spool, "tmp")
    os.rename(tmp, tmp + ".saved")
    with open(tmp, "w") as f:
        f.write("not a directory\n")
    deadline = time.monotonic() + 90
    codes = set()
    while time.monotonic() < deadline:
        r = b.mailshim("pull", "--queue", queue_url("mail"), "--wait", "1")
        codes.add(r.returncode)
        if env.state()["queues"]["mail-dlq"]["messages"]:
            break
    os.remove(tmp)
    os.rename(tmp + ".saved", tmp)
    st = env.state()
    dead = st["queues"]["mail-dlq"]["messages"]
    env.check(len(dead) == 1 and dead[0]["count"] == 8,
              "dlq: in the dead-letter queue after 8 receives (%r)"
              % [(m["count"]) for m in dead])
    env.check(75 in codes, "dlq: pull exits 75 while it cannot write "
              "(%r)" % sorted(codes))
    env.check(st["queues"]["mail"]["messages"] == [] and
              b.spooled() == {}, "dlq: not in the queue, not in spool B")
    flush(b)
    env.check(len(env.smtp_msgs()) == before, "dlq: never delivered")
    r = b.mailshim("check")
    line = [ln for ln in r.stdout.splitlines() if "pull main:" in ln]
    env.check(line and "redrive to mail-dlq after maxReceiveCount 8" in
              line[0] and "dead-letter queue mail-dlq: 1 message" in line[0]
              and line[0].startswith("WARN"),
              "dlq: check shows the redrive policy and the DLQ's depth: %r"
              % line)
    env.set_attrs("mail", VisibilityTimeout=2)


def fifo(env, a, b, port):
    before = len(env.smtp_msgs())
    a.write_conf(sqs_relay("handoff", "mail.fifo", '  max_time = 2\n') +
                 'route "default" { relays = {"handoff"} }\n')
    q = submit(a, b"Subject: fifo\n\nfirst in\n",
               ["-f", "app@example.com", "f1@example.net", "f2@example.net"])
    env.inject(action="SendMessage", stall=5, count=1)
    r = flush(a)
    env.check(r.returncode == 75 and q in a.files("queue"),
              "fifo: SendMessage timed out: deferred (exit %d)"
              % r.returncode)
    time.sleep(4)       # the stalled SendMessage lands in the queue
    a.mailshim("retry")  # also lifts the hold the timeout set
    r = flush(a)
    env.check(r.returncode == 0 and a.files("queue") == [],
              "fifo: sent again by the retry (exit %d)" % r.returncode)
    st = env.state()
    sends = [s for s in st["sends"] if s["queue"] == "mail.fifo"]
    env.check(len(sends) == 2 and all(
        s["group"] == "default" and s["dedup"] == sends[0]["dedup"] and
        s["dedup"].startswith(q + "-") for s in sends),
        "fifo: MessageGroupId = route, MessageDeduplicationId = queue id "
        "+ hash, the same both times: %r" % [(s["group"], s["dedup"])
                                             for s in sends])
    env.check(len(st["queues"]["mail.fifo"]["messages"]) == 1 and
              st["dedup_dropped"] == 1,
              "fifo: SQS kept one copy, dropped the duplicate")
    r = pull(b, "mail.fifo")
    env.check(r.returncode == 0 and len(b.spooled()) == 1,
              "fifo: pulled into spool B")
    flush(b)
    got = env.smtp_msgs()[before:]
    env.check(len(got) == 1 and sorted(got[0]["rcpt_tos"]) ==
              ["f1@example.net", "f2@example.net"],
              "fifo: delivered once to both recipients")
    del port


def too_large(env, a):
    a.write_conf(sqs_relay("handoff", "small") +
                 'route "default" { relays = {"handoff"} }\n')
    q = submit(a, b"Subject: big\n\n" + b"y" * 4000 + b"\n",
               ["-f", "app@example.com", "big@example.net"])
    r = flush(a)
    env.check(q in a.files("dead"), "too large: dead letter on A at once")
    env.check("MaximumMessageSize 2048" in r.stderr and
              "too large for SQS queue small" in r.stderr,
              "too large: the reason names the queue's limit")
    env.check(not [s for s in env.state()["sends"]
                   if s["queue"] == "small"], "too large: nothing sent")


def check_relays(env, a):
    a.write_conf(sqs_relay("gone", "no-such-queue") +
                 sqs_relay("handoff", "mail") +
                 'route "default" { relays = {"handoff", "gone"} }\n')
    r = a.mailshim("check")
    good = [ln for ln in r.stdout.splitlines() if "relay handoff:" in ln]
    bad = [ln for ln in r.stdout.splitlines() if "relay gone:" in ln]
    env.check(good and good[0].startswith("OK") and
              "queue mail: MaximumMessageSize 262144" in good[0],
              "check: sqs relay reached, queue limit shown: %r" % good)
    env.check(bad and bad[0].startswith("FAIL") and
              "QueueDoesNotExist" in bad[0],
              "check: a missing queue FAILs: %r" % bad)


def failover(env, a):
    cap = os.path.join(a.dir, "capture")
    a.write_conf(sqs_relay("gone", "no-such-queue") +
                 'relay "cap" { type = "maildir" path = "%s" }\n'
                 'route "default" { relays = {"gone", "cap"} }\n' % cap)
    q = submit(a, b"Subject: failover\n\nqueue missing\n",
               ["-f", "app@example.com", "fo@example.net"])
    r = flush(a)
    env.check(r.returncode == 0 and q not in a.files("queue") and
              os.listdir(os.path.join(cap, "new")) != [],
              "failover: queue missing -> next relay of the route")
    env.check("QueueDoesNotExist" in r.stderr and
              "relay gone held" in r.stderr,
              "failover: the sqs relay is held, saying why")


def through_s3(env, a, b):
    import base64
    import json
    before = len(env.smtp_msgs())
    a.write_conf(sqs_relay("handoff", "smalls3",
                           '  s3_bucket = "mail-bodies"\n'
                           '  s3_prefix = "out/"\n') +
                 'route "default" { relays = {"handoff"} }\n')
    q = submit(a, b"Subject: big\n\n" + b"z\xc3\xa9" * 2000 + b"\n",
               ["-f", "app@example.com", "big@example.net"])
    want = a.spooled()[q]
    r = flush(a)
    env.check(r.returncode == 0 and a.files("queue") == [] and
              q not in a.files("dead"), "s3: handed off (exit %d)"
              % r.returncode)
    st = env.state()
    msgs = st["queues"]["smalls3"]["messages"]
    b64 = base64.b64encode(want[1]).decode()
    ok = len(msgs) == 1
    if ok:
        ptr = json.loads(msgs[0]["body"])
        ok = ptr[0] == ("software.amazon.payloadoffloading."
                        "PayloadS3Pointer") and \
            ptr[1]["s3BucketName"] == "mail-bodies" and \
            ptr[1]["s3Key"].startswith("out/" + q + "-") and \
            msgs[0]["attrs"]["ExtendedPayloadSize"] == {
                "DataType": "Number", "StringValue": str(len(b64))}
    env.check(ok, "s3: SQS body is the Extended Client pointer with "
              "ExtendedPayloadSize (%r)" % (msgs[:1] and msgs[0]["body"]))
    objs = st["buckets"]["mail-bodies"]
    env.check(list(objs.values()) == [len(b64)],
              "s3: the payload is in the bucket (%r)" % objs)
    r = pull(b, "smalls3")
    got = b.spooled()
    env.check(r.returncode == 0 and len(got) == 1 and
              list(got.values())[0][1] == want[1],
              "s3: pulled from S3 into spool B, bytes identical")
    st = env.state()
    env.check(st["buckets"]["mail-bodies"] == {} and
              st["queues"]["smalls3"]["messages"] == [],
              "s3: object deleted after the message")
    env.check(st["sig_failures"] == 0, "s3: every signature verified")
    flush(b)
    m = env.smtp_msgs()[before:]
    env.check(len(m) == 1 and m[0]["data"] == wire(want[1]),
              "s3: delivered once, bytes identical")


if __name__ == "__main__":
    main()
