#!/usr/bin/python3
"""sqs_lib.py - shared helpers of the sqs_*.py integration tests: two
"hosts" (spool A with an `sqs` relay, spool B pulling and delivering to
tests/servers/smtpd.py), the fake SQS tests/servers/sqs_server.py (SigV4
of every request checked by botocore), sendmail, mailshim flush and
mailshim pull, with every wait bounded. Everything listens on 127.0.0.1.
"""
import base64
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRC = os.environ.get("top_srcdir", os.path.join(HERE, "..", ".."))
TOP_BUILD = os.environ.get("top_builddir", ".")
PY = os.environ.get("PYTHON3", "/usr/bin/python3")
sys.path.insert(0, HERE)
import aws_common  # noqa: E402

aws_common.SERVER = os.path.join(TOP_SRC, "tests", "servers",
                                 "sqs_server.py")
MAILSHIM = os.path.join(TOP_BUILD, "admin", "mailshim")
SENDMAIL = os.path.join(TOP_BUILD, "sendmail", "sendmail")
SMTPD = os.path.join(TOP_SRC, "tests", "servers", "smtpd.py")
KEY = "AKIASQSTESTKEY000001"
SECRET = "sqs/test+Secret=Key0001"
REGION = "us-east-1"
ACCOUNT = "123456789012"


def queue_url(name):
    return "https://sqs.%s.amazonaws.com/%s/%s" % (REGION, ACCOUNT, name)


class Host:
    """One host: a spool and a config."""

    def __init__(self, env, name):
        self.env = env
        self.dir = os.path.join(env.dir, name)
        os.makedirs(self.dir)
        self.spool = os.path.join(self.dir, "spool")
        self.conf = os.path.join(self.dir, "mailshim.conf")

    def write_conf(self, body):
        with open(self.conf, "w") as f:
            f.write('spool = "%s"\nhostname = "%s.example.com"\n'
                    'domain = "example.com"\nretry_first = "1"\n%s'
                    % (self.spool, os.path.basename(self.dir), body))
        if not os.path.isdir(os.path.join(self.spool, "new")):
            r = self.mailshim("init")
            if not os.path.isdir(os.path.join(self.spool, "new")):
                raise RuntimeError("init failed: %s" % r.stderr)

    def mailshim(self, *args, timeout=90):
        return subprocess.run([MAILSHIM, "-C", self.conf, "-v"] +
                              list(args), capture_output=True, text=True,
                              timeout=timeout, env=self.env.environ())

    def popen(self, *args):
        """A background mailshim; its output goes to p.log (a file: a
        pipe nobody reads would block a long-running -v process)."""
        self.nbg = getattr(self, "nbg", 0) + 1
        log = os.path.join(self.dir, "bg-%d.log" % self.nbg)
        with open(log, "w") as out:
            p = subprocess.Popen([MAILSHIM, "-C", self.conf, "-v"] +
                                 list(args), stdout=out, stderr=out,
                                 env=self.env.environ())
        p.log = log
        return p

    @staticmethod
    def output(p):
        with open(p.log, errors="replace") as f:
            return f.read()

    def sendmail(self, data, args):
        r = subprocess.run([SENDMAIL, "-C", self.conf] + list(args),
                           input=data, capture_output=True, timeout=30,
                           env=self.env.environ())
        if r.returncode != 0:
            print("# sendmail:", r.returncode, r.stderr.decode())
        return r.returncode

    def files(self, area):
        d = os.path.join(self.spool, area)
        return sorted(f for f in os.listdir(d) if "." not in f)

    def spooled(self):
        """{queue id: (envelope lines, message bytes)} in new/ and queue/."""
        out = {}
        for area in ("new", "queue"):
            for f in self.files(area):
                with open(os.path.join(self.spool, area, f), "rb") as fh:
                    head, _, body = fh.read().partition(b"\n\n")
                out[f] = (head.decode().split("\n"), body)
        return out


class Env:
    def __init__(self, name, queues, buckets=()):
        for prog in (MAILSHIM, SENDMAIL):
            if not os.access(prog, os.X_OK):
                print("SKIP: %s is not built" % prog)
                sys.exit(77)
        self.dir = tempfile.mkdtemp(prefix="sqs-%s." % name)
        os.chmod(self.dir, 0o755)
        args = ["--static", "%s|%s" % (KEY, SECRET), "--region", REGION]
        for q in queues:
            args += ["--queue", q]
        for b in buckets:
            args += ["--bucket", b]
        self.sqs = aws_common.Server(*args)
        self.smtpd = None
        self.failures = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.smtpd is not None and self.smtpd.poll() is None:
            self.smtpd.terminate()
            self.smtpd.wait(timeout=10)
        self.sqs.stop()
        if self.failures == 0 and exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("# kept", self.dir)
        return False

    def environ(self):
        e = self.sqs.env(AWS_ACCESS_KEY_ID=KEY, AWS_SECRET_ACCESS_KEY=SECRET)
        e["top_srcdir"] = TOP_SRC
        return e

    def check(self, cond, what):
        print(("ok - " if cond else "FAIL - ") + what, flush=True)
        if not cond:
            self.failures += 1
        return cond

    def finish(self):
        print("%d failure(s)" % self.failures)
        sys.exit(1 if self.failures else 0)

    def start_smtpd(self):
        out = os.path.join(self.dir, "smtp")
        os.makedirs(out)
        ports = os.path.join(self.dir, "smtp.ports")
        self.smtp_out = out
        self.smtpd = subprocess.Popen(
            [PY, SMTPD, "--dir", out, "--port-file", ports,
             "--lifetime", "600"], stderr=open(
                os.path.join(self.dir, "smtpd.err"), "w"))
        deadline = time.monotonic() + 20
        while not os.path.exists(ports) or os.path.getsize(ports) == 0:
            if time.monotonic() > deadline or self.smtpd.poll() is not None:
                raise RuntimeError("smtpd.py did not start")
            time.sleep(0.1)
        with open(ports) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if k == "SMTPD_PORT":
                    return int(v)
        raise RuntimeError("no SMTPD_PORT")

    def smtp_msgs(self):
        out = []
        for p in sorted(glob.glob(os.path.join(self.smtp_out, "msg-*.json")),
                        key=lambda s: int(s.rsplit("-", 1)[1][:-5])):
            with open(p) as f:
                m = json.load(f)
            m["data"] = base64.b64decode(m["data_b64"])
            out.append(m)
        return out

    def state(self):
        return self.sqs.admin("sqs")

    def inject(self, **kw):
        self.sqs.admin("sqs/inject", kw)

    def set_attrs(self, queue, **attrs):
        self.sqs.admin("sqs/attrs", {"queue": queue, "attrs": attrs})


def sqs_relay(name, queue, extra=""):
    return ('relay "%s" {\n  type = "sqs"\n  queue_url = "%s"\n'
            '  timeout = 20\n  connect_timeout = 5\n%s}\n'
            % (name, queue_url(queue), extra))


def wire(body):
    """The bytes an SMTP relay sends for a stored (LF) message: CRLF line
    ends, a line starting with "." doubled on the wire and undone by the
    server, so DATA ends up as the CRLF text (RFC 5321 4.5.2)."""
    return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
