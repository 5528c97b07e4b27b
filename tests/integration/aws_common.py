"""aws_common.py - shared helpers for the aws_*.py integration tests:
start tests/servers/aws_server.py with a certificate made here, run
tests/unit/aws_drive with a clean AWS environment, read server state.

Every wait is bounded; the server listens on 127.0.0.1 free ports only.
"""
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import urllib.request

SKIP = 77
TOP_BUILD = os.environ.get("top_builddir", ".")
TOP_SRC = os.environ.get("top_srcdir", ".")
DRIVE = os.path.join(TOP_BUILD, "tests", "unit", "aws_drive")
SERVER = os.path.join(TOP_SRC, "tests", "servers", "aws_server.py")

FAILS = []


def check(cond, what):
    """Records a failed expectation (the test goes on, then fails)."""
    if not cond:
        FAILS.append(what)
        print("not ok:", what, flush=True)
    return cond


def finish():
    print("%d failure(s)" % len(FAILS))
    sys.exit(1 if FAILS else 0)


def skip_unless_ready():
    try:
        import botocore.auth  # noqa: F401
    except ImportError:
        print("skip: python3-botocore is not installed")
        sys.exit(SKIP)
    if not os.access(DRIVE, os.X_OK):
        print("skip: %s not built" % DRIVE)
        sys.exit(SKIP)
    if shutil.which("openssl") is None:
        print("skip: openssl command not found")
        sys.exit(SKIP)


class Server:
    def __init__(self, *args, secrets=None):
        skip_unless_ready()
        self.dir = tempfile.mkdtemp(prefix="aws-test.")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
             "-keyout", self.key, "-out", self.cert, "-days", "1",
             "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
            check=True, capture_output=True, timeout=60)
        cmd = [sys.executable, SERVER, "--dir", self.dir, "--cert",
               self.cert, "--key", self.key] + list(args)
        if secrets is not None:
            path = os.path.join(self.dir, "secrets.json")
            with open(path, "w") as f:
                json.dump(secrets, f)
            cmd += ["--secrets", path]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        r, _, _ = select.select([self.proc.stdout], [], [], 20)
        if not r:
            self.stop()
            raise RuntimeError("aws_server.py did not start in 20 s")
        ports = json.loads(self.proc.stdout.readline())
        self.https = ports["https"]
        self.http = ports["http"]
        self.api = "https://127.0.0.1:%d" % self.https
        self.meta = "http://127.0.0.1:%d" % self.http

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)
        shutil.rmtree(self.dir, ignore_errors=True)

    def admin(self, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.meta + "/_admin/" + path,
                                     data=data,
                                     method="POST" if data else "GET")
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def state(self):
        return self.admin("state")

    def inject(self, *errors):
        self.admin("inject", {"errors": list(errors)})

    def env(self, **extra):
        """A clean environment: no AWS_* from the caller, no ~/.aws,
        no proxy, our CA, the API endpoint, metadata disabled unless
        the test sets AWS_EC2_METADATA_SERVICE_ENDPOINT."""
        e = {k: v for k, v in os.environ.items()
             if not k.startswith("AWS_") and "proxy" not in k.lower()}
        e["HOME"] = self.dir
        e["AWS_CA_BUNDLE"] = self.cert
        e["AWS_ENDPOINT_URL"] = self.api
        e["AWS_EC2_METADATA_DISABLED"] = "true"
        e["MAILSHIM_LOG_STDERR"] = "1"
        for k, v in extra.items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        return e

    def drive(self, args, env, timeout=40):
        return subprocess.run([DRIVE] + list(args), env=env,
                              capture_output=True, text=True,
                              timeout=timeout)


def parse_send(out):
    """rcpt lines -> list of (addr, status, reply); health lines -> dicts."""
    rcpts, health = [], []
    for line in out.splitlines():
        if line.startswith("rcpt "):
            _, addr, status, reply = (line.split(" ", 3) + [""])[:4]
            rcpts.append((addr, status, reply))
        elif line.startswith("health "):
            f = line.split()
            d = {"health": f[1]}
            for kv in f[2:]:
                k, _, v = kv.partition("=")
                d[k] = v
            health.append(d)
    return rcpts, health


def write_message(path, body_lines=20, extra=b""):
    """An LF message with 8-bit bytes and a few long lines."""
    lines = [b"From: app@prod.example.com", b"To: a@example.net",
             b"Subject: aws test \xc3\xa9", b"Message-ID: <t1@example.com>",
             b"MIME-Version: 1.0",
             b"Content-Type: text/plain; charset=utf-8",
             b"Content-Transfer-Encoding: 8bit", b""]
    for i in range(body_lines):
        lines.append(b"line %d \xe2\x82\xac " % i + b"x" * (i % 300))
    data = b"\n".join(lines) + b"\n" + extra
    with open(path, "wb") as f:
        f.write(data)
    return data.replace(b"\n", b"\r\n")
