#!/usr/bin/python3
"""api_lib.py - shared helpers of the api_*.py integration tests (the ses
relay's v2 API transport, AWS secret sources, the SES table of `mailshim
check`), driven through the real sendmail -> `mailshim flush` path.

As a library: ApiEnv, a ses_lib.Env (spool, config, sendmail, ses_smtpd
servers) plus one fake AWS (tests/servers/aws_server.py, botocore-checked
SigV4, our own test CA), and a clean environment for mailshim.

As a program: tests/servers/aws_server.py with three test hooks added
around it (its own behaviour is unchanged):
  /_admin/account  POST {"account": {...GetAccount answer...}} or
                   {"deny": true} (AccessDeniedException for GetAccount)
  /_admin/times    GET: [{"t": unix time, "path": ..., "method": ...}]
                   for every HTTPS request as it arrived, "sends": the
                   arrival time of every SendEmail call, and "conns":
                   how many TCP connections both servers accepted
Every wait is bounded; everything listens on 127.0.0.1 only.
"""
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP_SRC = os.environ.get("top_srcdir", ".")
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "servers"))

ACCOUNT = {
    "SendQuota": {"Max24HourSend": 200.0, "MaxSendRate": 5.0,
                  "SentLast24Hours": 17.0},
    "ProductionAccessEnabled": False,
    "SendingEnabled": True,
    "EnforcementStatus": "HEALTHY",
}


def server_main():
    """Runs aws_server.py with the hooks described above."""
    import threading
    from urllib.parse import urlsplit

    import aws_server as A

    hooks = {"account": dict(ACCOUNT), "deny": False, "times": [],
             "sends": [], "conns": 0}
    lock = threading.Lock()
    orig_api, orig_send, orig_admin = (A.Handler.api, A.Handler.send_email,
                                       A.Handler.admin)
    orig_setup = A.Handler.setup

    def setup(self):  # once per accepted connection
        with lock:
            hooks["conns"] += 1
        orig_setup(self)

    def api(self):
        path = urlsplit(self.path).path
        with lock:
            hooks["times"].append({"t": time.time(), "path": path,
                                   "method": self.command})
        if path == "/v2/email/account" and self.command == "GET":
            body = self.read_body()
            if not self.verify(body, "ses"):
                return None
            with lock:
                deny, acct = hooks["deny"], dict(hooks["account"])
            if deny:
                return self.aws_error(
                    403, "AccessDeniedException", "User: arn:aws:iam::1:"
                    "user/smtp is not authorized to perform: "
                    "ses:GetAccount")
            return self.reply(200, acct)
        return orig_api(self)

    def send_email(self, body):
        with lock:
            hooks["sends"].append(time.time())
        return orig_send(self, body)

    def admin(self, path, body):
        if path == "/_admin/account":
            req = json.loads(body)
            with lock:
                if "account" in req:
                    hooks["account"] = req["account"]
                hooks["deny"] = bool(req.get("deny"))
            return self.reply(200, {})
        if path == "/_admin/times":
            with lock:
                return self.reply(200, {"times": hooks["times"],
                                        "sends": hooks["sends"],
                                        "conns": hooks["conns"]})
        return orig_admin(self, path, body)

    A.Handler.setup = setup
    A.Handler.api = api
    A.Handler.send_email = send_email
    A.Handler.admin = admin
    A.main()


if __name__ == "__main__":
    server_main()
    sys.exit(0)

import aws_common  # noqa: E402
import ses_lib  # noqa: E402

aws_common.SERVER = os.path.abspath(__file__)


class ApiEnv(ses_lib.Env):
    """ses_lib.Env plus a fake AWS (self.aws) and self.vars, the extra
    environment given to every mailshim run (None removes a variable)."""

    def __init__(self, name, *server_args, secrets=None):
        super().__init__(name)
        try:
            self.aws = aws_common.Server(*server_args, secrets=secrets)
        except BaseException:          # a skip (77) or a start failure
            shutil.rmtree(self.dir, ignore_errors=True)
            raise
        self.vars = {}

    def __exit__(self, *exc):
        self.aws.stop()
        return super().__exit__(*exc)

    def environ(self):
        e = self.aws.env(**self.vars)
        e["top_srcdir"] = TOP_SRC
        return e

    def mailshim(self, *args, timeout=60):
        return subprocess.run([ses_lib.MAILSHIM, "-C", self.conf, "-v"] +
                              list(args), capture_output=True,
                              timeout=timeout, text=True,
                              env=self.environ())

    def sendmail(self, data, args):
        r = subprocess.run([ses_lib.SENDMAIL, "-C", self.conf] + list(args),
                           input=data, capture_output=True, timeout=30,
                           env=self.environ())
        if r.returncode != 0:
            print("# sendmail:", r.returncode, r.stderr.decode())
        return r.returncode

    def api_relay(self, name, extra="", endpoint=True):
        return ('relay "%s" {\n  type = "ses"\n  transport = "api"\n'
                '  region = "%s"\n%s  timeout = 20\n  connect_timeout = 5\n'
                '%s}\n' % (name, ses_lib.REGION,
                           '  endpoint = "%s"\n' % self.aws.api
                           if endpoint else "", extra))

    def maildir_relay(self, name):
        path = os.path.join(self.dir, "maildir-" + name)
        return path, ('relay "%s" {\n  type = "maildir"\n  path = "%s"\n}\n'
                      % (name, path))

    def account(self, account=None, deny=False):
        body = {"deny": deny}
        if account is not None:
            body["account"] = account
        self.aws.admin("account", body)

    def times(self):
        return self.aws.admin("times")

    def spool_path(self, name, areas=("queue", "new")):
        """Where name (ID or ID.state) is: the areas given, then the
        buckets of deferred/ (spool/README, "The schedule"); or None."""
        dirs = [os.path.join(self.spool, a) for a in areas]
        d = os.path.join(self.spool, "deferred")
        if os.path.isdir(d):
            dirs += [os.path.join(d, b) for b in sorted(os.listdir(d))]
        for x in dirs:
            if os.path.exists(os.path.join(x, name)):
                return os.path.join(x, name)
        return None

    def spool_body(self, qid):
        """The queued message as the relay must send it: the text after
        the envelope's blank line, in CRLF form."""
        p = self.spool_path(qid)
        if p is not None:
            if True:
                with open(p, "rb") as f:
                    data = f.read()
                body = data.split(b"\n\n", 1)[1]
                return body.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        return None

    def queued_ids(self):
        out = []
        for area in ("new", "queue"):
            d = os.path.join(self.spool, area)
            out += [f for f in os.listdir(d) if "." not in f]
        d = os.path.join(self.spool, "deferred")
        for b in (os.listdir(d) if os.path.isdir(d) else []):
            out += [f for f in os.listdir(os.path.join(d, b))
                    if "." not in f]
        return sorted(out)

    def sent_raw(self, msg):
        with open(msg["file"], "rb") as f:
            return f.read()


SMTPD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                     "servers", "smtpd.py")


class AuthSmtpd:
    """tests/servers/smtpd.py with STARTTLS (the env's test CA) requiring
    AUTH as user; the password lives in a file the server reads at every
    AUTH, so set_pass() rotates it. extra: more smtpd.py options."""

    def __init__(self, env, name, user, password, *extra):
        self.dir = os.path.join(env.dir, name)
        os.makedirs(self.dir)
        self.passfile = os.path.join(self.dir, "pass")
        self.set_pass(password)
        pf = os.path.join(self.dir, "ports")
        self.err = open(os.path.join(self.dir, "stderr"), "w")
        self.proc = subprocess.Popen(
            [ses_lib.PY, SMTPD, "--dir", self.dir, "--port-file", pf,
             "--cert", os.path.join(env.certs, "server.pem"),
             "--key", os.path.join(env.certs, "server.key"),
             "--auth-user", user, "--auth-pass-file", self.passfile,
             "--auth-required", "--lifetime", "240"] + list(extra),
            stdout=self.err, stderr=self.err)
        deadline = time.monotonic() + 15
        while not os.path.exists(pf):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("smtpd.py did not start")
            time.sleep(0.05)
        with open(pf) as f:
            kv = dict(ln.strip().split("=", 1) for ln in f if "=" in ln)
        self.port = int(kv["SMTPD_PORT"])

    def set_pass(self, password):
        with open(self.passfile + ".tmp", "w") as f:
            f.write(password + "\n")
        os.rename(self.passfile + ".tmp", self.passfile)

    def messages(self):
        """Every message received, as the JSON records smtpd.py saves."""
        out = []
        for f in sorted(os.listdir(self.dir)):
            if f.startswith("msg-") and f.endswith(".json"):
                with open(os.path.join(self.dir, f)) as fh:
                    out.append(json.load(fh))
        return out

    def session(self):
        p = os.path.join(self.dir, "session.log")
        return open(p).read() if os.path.exists(p) else ""

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.err.close()


def wait_for(cond, timeout):
    """Polls cond every 0.2 s for at most timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return cond()
