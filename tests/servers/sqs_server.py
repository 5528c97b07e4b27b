#!/usr/bin/python3
"""sqs_server.py - a small Amazon SQS look-alike for mailshim's tests,
built on aws_server.py (same listeners, same botocore SigV4 check of
EVERY request, same credential endpoints).

Speaks the AWS JSON protocol of SQS (POST /, Content-Type
application/x-amz-json-1.0, X-Amz-Target: AmazonSQS.ACTION, signing name
"sqs"; shapes from botocore's sqs service-2.json):
  SendMessage        MaximumMessageSize (body + attribute names, types
                     and values), at most 10 attributes, FIFO queues need
                     MessageGroupId and drop a MessageDeduplicationId
                     seen in the last 5 minutes (same MessageId back)
  ReceiveMessage     MaxNumberOfMessages 1..10, WaitTimeSeconds 0..20
                     (a real long poll: returns when a message arrives),
                     VisibilityTimeout, ApproximateReceiveCount,
                     redrive to the dead-letter queue once a message was
                     received maxReceiveCount times; FIFO: one message in
                     flight per group
  DeleteMessage, DeleteMessageBatch   only the newest receipt handle of a
                     message deletes it (an older one "succeeds" and
                     deletes nothing, as SQS documents)
  GetQueueUrl, GetQueueAttributes
and S3 path-style PutObject / GetObject / DeleteObject (/BUCKET/KEY,
SigV4 "s3", x-amz-content-sha256 checked) for the Extended Client
pointer case (--bucket NAME).
Errors: 400 {"__type": "com.amazonaws.sqs#NAME", "message": ...} plus
x-amzn-query-error, as SQS answers JSON clients.

Queues: --queue NAME[:ATTR=VALUE,...] (VisibilityTimeout,
MaximumMessageSize, MessageRetentionPeriod, dlq=NAME, maxReceiveCount).
Admin (plain HTTP): /_admin/sqs GET: every queue with its messages,
sends, deletes; /_admin/sqs/inject POST {"action": A, "status": 500,
"name": N, "count": k}: fail the next k calls of A ({"stall": S}: sleep
S seconds, then answer normally); /_admin/sqs/attrs POST {"queue": Q,
"attrs": {...}}: change a queue's attributes.

Usage: sqs_server.py --dir DIR --cert PEM --key PEM [aws_server options]
       [--queue ...]. Prints {"https": PORT, "http": PORT}; runs until
stdin closes.
"""
import argparse
import hashlib
import json
import os
import socket
import ssl
import sys
import threading
import time
import uuid
from http.server import ThreadingHTTPServer
from urllib.parse import urlsplit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aws_server as A  # noqa: E402

ACCOUNT = "123456789012"
COND = threading.Condition(A.LOCK)
QUEUES = {}
BUCKETS = {}             # name -> {key: bytes}
SQS = {"sends": [], "deletes": 0, "stale_deletes": 0, "receives": 0,
       "inject": [], "redriven": 0, "dedup_dropped": 0, "s3_calls": []}
ERR_QUERY = {
    "QueueDoesNotExist": "AWS.SimpleQueueService.NonExistentQueue;Sender",
    "InvalidParameterValue": "InvalidParameterValue;Sender",
    "ReceiptHandleIsInvalid": "ReceiptHandleIsInvalid;Sender",
}


class Queue:
    def __init__(self, name, attrs):
        self.name = name
        self.fifo = name.endswith(".fifo")
        self.attrs = {"VisibilityTimeout": 30,
                      "MaximumMessageSize": 262144,
                      "MessageRetentionPeriod": 345600,
                      "DelaySeconds": 0,
                      "ReceiveMessageWaitTimeSeconds": 0}
        self.dlq = None
        self.max_receive = None
        for k, v in attrs.items():
            if k == "dlq":
                self.dlq = v
            elif k == "maxReceiveCount":
                self.max_receive = int(v)
            else:
                self.attrs[k] = int(v)
        self.messages = []          # dicts, oldest first
        self.dedup = {}             # dedup id -> (time, message id)

    def url(self, region):
        return "https://sqs.%s.amazonaws.com/%s/%s" % (region, ACCOUNT,
                                                        self.name)

    def arn(self, region):
        return "arn:aws:sqs:%s:%s:%s" % (region, ACCOUNT, self.name)


def md5(data):
    return hashlib.md5(data).hexdigest()


def attr_bytes(attrs):
    n = 0
    for k, v in attrs.items():
        n += len(k.encode()) + len(v.get("DataType", "").encode())
        n += len(v.get("StringValue", "").encode())
        n += len(v.get("BinaryValue", "").encode())
    return n


class Handler(A.Handler):
    def setup(self):
        # Headers and body go out in two writes: without TCP_NODELAY the
        # second waits for the client's delayed ACK (40 ms a request).
        A.Handler.setup(self)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def sqs_error(self, name, message, status=400):
        hdr = {"x-amzn-query-error": ERR_QUERY.get(name, name + ";Sender")}
        self.reply(status, {"__type": "com.amazonaws.sqs#" + name,
                            "message": message}, hdr)

    def api(self):
        target = self.headers.get("X-Amz-Target") or ""
        path = urlsplit(self.path).path
        if not target and self.command in ("PUT", "GET", "DELETE") and \
                path.split("/")[1] in BUCKETS:
            return self.s3(path)
        if not target.startswith("AmazonSQS."):
            return A.Handler.api(self)
        body = self.read_body()
        if not self.verify(body, "sqs"):
            return None
        if self.headers.get("Content-Type") != "application/x-amz-json-1.0":
            return self.sqs_error("InvalidParameterValue",
                                  "wrong Content-Type")
        if urlsplit(self.path).path != "/" or self.command != "POST":
            return self.sqs_error("InvalidAction", "POST / only")
        action = target[len("AmazonSQS."):]
        try:
            req = json.loads(body)
        except ValueError:
            return self.sqs_error("InvalidParameterValue", "bad JSON")
        hit = None
        with A.LOCK:
            for inj in SQS["inject"]:
                if inj["action"] == action and inj["count"] > 0:
                    inj["count"] -= 1
                    hit = dict(inj)
                    break
        if hit and hit.get("stall"):
            time.sleep(hit["stall"])        # then answer normally
        elif hit:
            return self.sqs_error(hit.get("name", "InternalError"),
                                  "injected", hit.get("status", 500))
        fn = {"SendMessage": self.send_message,
              "ReceiveMessage": self.receive_message,
              "DeleteMessage": self.delete_message,
              "DeleteMessageBatch": self.delete_batch,
              "GetQueueUrl": self.get_queue_url,
              "GetQueueAttributes": self.get_attributes}.get(action)
        if fn is None:
            return self.sqs_error("InvalidAction", "not implemented: " +
                                  action)
        return fn(req)

    # ---- S3, path-style: /BUCKET/KEY ----
    def s3_reply(self, status, body=b"", ctype="application/xml"):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("x-amz-request-id", "s3req")
        self.end_headers()
        self.wfile.write(body)

    def s3_error(self, status, code):
        self.s3_reply(status, ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                               "<Error><Code>%s</Code><Message>%s</Message>"
                               "</Error>" % (code, code)).encode())

    def s3(self, path):
        body = self.read_body()
        if not self.verify(body, "s3"):
            return None
        _, bucket, key = path.split("/", 2)
        if self.headers.get("x-amz-content-sha256") != \
                hashlib.sha256(body).hexdigest():
            return self.s3_error(400, "XAmzContentSHA256Mismatch")
        with A.LOCK:
            objs = BUCKETS[bucket]
            SQS["s3_calls"].append([self.command, bucket, key])
            if self.command == "PUT":
                objs[key] = body
                return self.s3_reply(200)
            if key not in objs:
                if self.command == "DELETE":
                    return self.s3_reply(204)
                return self.s3_error(404, "NoSuchKey")
            if self.command == "DELETE":
                del objs[key]
                return self.s3_reply(204)
            data = objs[key]
        self.s3_reply(200, data, "application/octet-stream")

    def queue_of(self, req):
        url = req.get("QueueUrl")
        if not isinstance(url, str) or not url:
            self.sqs_error("InvalidParameterValue", "QueueUrl missing")
            return None
        q = QUEUES.get(url.rstrip("/").rsplit("/", 1)[-1])
        if q is None:
            self.sqs_error("QueueDoesNotExist",
                           "The specified queue does not exist.")
        return q

    def get_queue_url(self, req):
        q = QUEUES.get(req.get("QueueName"))
        if q is None:
            return self.sqs_error("QueueDoesNotExist",
                                  "The specified queue does not exist.")
        self.reply(200, {"QueueUrl": q.url(A.ARGS.region)})

    def get_attributes(self, req):
        q = self.queue_of(req)
        if q is None:
            return None
        names = req.get("AttributeNames") or []
        t = time.time()
        with A.LOCK:
            a = {k: str(v) for k, v in q.attrs.items()}
            a["QueueArn"] = q.arn(A.ARGS.region)
            a["ApproximateNumberOfMessages"] = str(sum(
                1 for m in q.messages if m["visible_at"] <= t))
            a["ApproximateNumberOfMessagesNotVisible"] = str(sum(
                1 for m in q.messages if m["visible_at"] > t))
            if q.dlq:
                a["RedrivePolicy"] = json.dumps({
                    "deadLetterTargetArn": QUEUES[q.dlq].arn(A.ARGS.region),
                    "maxReceiveCount": q.max_receive})
            if q.fifo:
                a["FifoQueue"] = "true"
        if "All" not in names:
            a = {k: v for k, v in a.items() if k in names}
        self.reply(200, {"Attributes": a})

    def send_message(self, req):
        q = self.queue_of(req)
        if q is None:
            return None
        body = req.get("MessageBody")
        attrs = req.get("MessageAttributes") or {}
        if not isinstance(body, str) or body == "":
            return self.sqs_error("InvalidParameterValue",
                                  "MessageBody is empty")
        if len(attrs) > 10:
            return self.sqs_error("InvalidParameterValue",
                                  "Number of message attributes [%d] "
                                  "exceeds the allowed maximum [10]."
                                  % len(attrs))
        for k, v in attrs.items():
            if not v.get("DataType") or not (v.get("StringValue") or
                                             v.get("BinaryValue")):
                return self.sqs_error("InvalidParameterValue",
                                      "attribute %s has no value" % k)
        size = len(body.encode()) + attr_bytes(attrs)
        limit = q.attrs["MaximumMessageSize"]
        if size > limit:
            return self.sqs_error(
                "InvalidParameterValue", "One or more parameters are "
                "invalid. Reason: Message must be shorter than %d bytes."
                % limit)
        group = req.get("MessageGroupId")
        dedup = req.get("MessageDeduplicationId")
        if q.fifo and (not group or not dedup):
            return self.sqs_error("MissingParameter", "The request must "
                                  "contain the parameter MessageGroupId.")
        if not q.fifo and dedup:
            return self.sqs_error("InvalidParameterValue", "The request "
                                  "include parameter that is not valid "
                                  "for this queue type")
        t = time.time()
        with COND:
            SQS["sends"].append({"queue": q.name, "attributes": attrs,
                                 "group": group, "dedup": dedup,
                                 "size": size})
            if q.fifo and dedup in q.dedup and t - q.dedup[dedup][0] < 300:
                SQS["dedup_dropped"] += 1
                mid = q.dedup[dedup][1]
            else:
                mid = str(uuid.uuid4())
                if q.fifo:
                    q.dedup[dedup] = (t, mid)
                q.messages.append({
                    "id": mid, "body": body, "attrs": attrs,
                    "group": group, "sent": t, "count": 0,
                    "visible_at": t + q.attrs["DelaySeconds"],
                    "handle": None, "first": None})
                COND.notify_all()
        self.reply(200, {"MessageId": mid,
                         "MD5OfMessageBody": md5(body.encode())})

    def take(self, q, max_n, vis, t):
        """Visible messages to hand out (lock held); redrives those
        received maxReceiveCount times already."""
        out = []
        busy = {m["group"] for m in q.messages
                if q.fifo and m["visible_at"] > t and m["count"] > 0}
        for m in list(q.messages):
            if len(out) >= max_n:
                break
            if m["visible_at"] > t or (q.fifo and m["group"] in busy):
                continue
            if q.dlq and q.max_receive and m["count"] >= q.max_receive:
                q.messages.remove(m)
                m.update(visible_at=t, handle=None)
                QUEUES[q.dlq].messages.append(m)
                SQS["redriven"] += 1
                continue
            m["count"] += 1
            m["first"] = m["first"] or t
            m["visible_at"] = t + vis
            m["handle"] = "RH-" + uuid.uuid4().hex + "-" + m["id"]
            if q.fifo:
                busy.add(m["group"])
            out.append(m)
        return out

    def receive_message(self, req):
        q = self.queue_of(req)
        if q is None:
            return None
        max_n = req.get("MaxNumberOfMessages", 1)
        wait = req.get("WaitTimeSeconds",
                       q.attrs["ReceiveMessageWaitTimeSeconds"])
        vis = req.get("VisibilityTimeout", q.attrs["VisibilityTimeout"])
        if not isinstance(max_n, int) or not 1 <= max_n <= 10:
            return self.sqs_error("InvalidParameterValue",
                                  "MaxNumberOfMessages must be 1..10")
        if not isinstance(wait, int) or not 0 <= wait <= 20:
            return self.sqs_error("InvalidParameterValue",
                                  "WaitTimeSeconds must be 0..20")
        deadline = time.time() + wait
        with COND:
            SQS["receives"] += 1
            while True:
                t = time.time()
                got = self.take(q, max_n, vis, t)
                if got or t >= deadline:
                    break
                COND.wait(min(0.5, deadline - t))
            msgs = []
            for m in got:
                msgs.append({
                    "MessageId": m["id"], "ReceiptHandle": m["handle"],
                    "MD5OfBody": md5(m["body"].encode()), "Body": m["body"],
                    "Attributes": {
                        "ApproximateReceiveCount": str(m["count"]),
                        "SentTimestamp": str(int(m["sent"] * 1000)),
                        "ApproximateFirstReceiveTimestamp":
                            str(int(m["first"] * 1000))},
                    "MessageAttributes": m["attrs"]})
        self.reply(200, {"Messages": msgs} if msgs else {})

    def delete_one(self, q, handle):
        """True when the handle is one SQS issued (lock held)."""
        if not isinstance(handle, str) or not handle.startswith("RH-"):
            return False
        mid = handle.split("-", 2)[2]
        for m in q.messages:
            if m["id"] == mid:
                if m["handle"] == handle:
                    q.messages.remove(m)
                    SQS["deletes"] += 1
                else:
                    SQS["stale_deletes"] += 1
                return True
        SQS["stale_deletes"] += 1
        return True

    def delete_message(self, req):
        q = self.queue_of(req)
        if q is None:
            return None
        with A.LOCK:
            ok = self.delete_one(q, req.get("ReceiptHandle"))
        if not ok:
            return self.sqs_error("ReceiptHandleIsInvalid",
                                  "The input receipt handle is invalid.")
        self.reply(200, {})

    def delete_batch(self, req):
        q = self.queue_of(req)
        if q is None:
            return None
        entries = req.get("Entries") or []
        if not entries:
            return self.sqs_error("EmptyBatchRequest", "no entries")
        if len(entries) > 10:
            return self.sqs_error("TooManyEntriesInBatchRequest",
                                  "at most 10 entries")
        if len({e.get("Id") for e in entries}) != len(entries):
            return self.sqs_error("BatchEntryIdsNotDistinct", "ids repeat")
        good, bad = [], []
        with A.LOCK:
            for e in entries:
                if self.delete_one(q, e.get("ReceiptHandle")):
                    good.append({"Id": e["Id"]})
                else:
                    bad.append({"Id": e["Id"], "SenderFault": True,
                                "Code": "ReceiptHandleIsInvalid",
                                "Message": "invalid receipt handle"})
        self.reply(200, {"Successful": good, "Failed": bad})

    def admin(self, path, body):
        if path == "/_admin/sqs":
            t = time.time()
            with A.LOCK:
                out = {"queues": {}, **{k: v for k, v in SQS.items()}}
                for name, q in QUEUES.items():
                    out["queues"][name] = {
                        "attrs": q.attrs,
                        "messages": [{
                            "id": m["id"], "body": m["body"],
                            "attrs": m["attrs"], "count": m["count"],
                            "group": m["group"],
                            "visible": m["visible_at"] <= t}
                            for m in q.messages]}
                out["buckets"] = {b: {k: len(v) for k, v in o.items()}
                                  for b, o in BUCKETS.items()}
                out["sig_failures"] = A.STATE["sig_failures"]
                out["requests"] = len(A.STATE["requests"])
            return self.reply(200, out)
        if path == "/_admin/sqs/inject":
            req = json.loads(body)
            req.setdefault("count", 1)
            with A.LOCK:
                SQS["inject"].append(req)
            return self.reply(200, {})
        if path == "/_admin/sqs/attrs":
            req = json.loads(body)
            with A.LOCK:
                for k, v in req["attrs"].items():
                    QUEUES[req["queue"]].attrs[k] = int(v)
            return self.reply(200, {})
        return A.Handler.admin(self, path, body)

    do_DELETE = A.Handler.dispatch


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--static", action="append", default=[])
    ap.add_argument("--temp-lifetime", type=float, default=3600)
    ap.add_argument("--region", default="us-east-1")
    ap.add_argument("--queue", action="append", default=[],
                    help="NAME[:ATTR=VALUE,...]")
    ap.add_argument("--bucket", action="append", default=[],
                    help="an S3 bucket (path-style /BUCKET/KEY)")
    args = ap.parse_args()
    args.advertise_lifetime = args.temp_lifetime
    args.imds_forget_tokens = False
    args.ecs_token = None
    args.secrets_map = {}
    A.ARGS = args
    for s in args.static:
        f = s.split("|")
        A.STATIC[f[0]] = (f[1], f[2] if len(f) > 2 else None)
    for spec in args.queue:
        name, _, rest = spec.partition(":")
        attrs = dict(kv.split("=", 1) for kv in rest.split(",") if kv)
        QUEUES[name] = Queue(name, attrs)
    for b in args.bucket:
        BUCKETS[b] = {}
    for q in list(QUEUES.values()):
        if q.dlq and q.dlq not in QUEUES:
            QUEUES[q.dlq] = Queue(q.dlq, {})

    https = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    https.is_https = True
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    https.socket = ctx.wrap_socket(https.socket, server_side=True)
    plain = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    plain.is_https = False
    https.daemon_threads = plain.daemon_threads = True
    for s in (https, plain):
        threading.Thread(target=A.serve, args=(s,), daemon=True).start()
    print(json.dumps({"https": https.server_address[1],
                      "http": plain.server_address[1]}), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
