"""ses_lib.py - shared helpers of the ses integration tests: a temp dir,
certificates, ses_smtpd.py servers, a config, the sendmail front end and
`mailshim flush`, with every wait bounded."""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

TOP_BUILD = os.environ.get("top_builddir", ".")
TOP_SRC = os.environ.get("top_srcdir", ".")
PY = os.environ.get("PYTHON3", "/usr/bin/python3")
MAILSHIM = os.path.join(TOP_BUILD, "admin", "mailshim")
SENDMAIL = os.path.join(TOP_BUILD, "sendmail", "sendmail")
SERVER = os.path.join(TOP_SRC, "tests", "servers", "ses_smtpd.py")
MKCERT = os.path.join(TOP_SRC, "tests", "servers", "ses_mkcert.sh")

KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
REGION = "eu-west-1"
SES_HOST = "email-smtp.eu-west-1.amazonaws.com"


def skip(why):
    print("SKIP:", why)
    sys.exit(77)


class Env:
    """One test's world; use as a context manager."""

    def __init__(self, name):
        for prog in (MAILSHIM, SENDMAIL):
            if not os.access(prog, os.X_OK):
                skip("%s is not built" % prog)
        try:
            import aiosmtpd  # noqa: F401
        except ImportError:
            skip("python3-aiosmtpd is not installed")
        if shutil.which("openssl") is None:
            skip("openssl is not installed")
        self.dir = tempfile.mkdtemp(prefix="ses-%s." % name)
        os.chmod(self.dir, 0o755)
        self.spool = os.path.join(self.dir, "spool")
        self.conf = os.path.join(self.dir, "mailshim.conf")
        self.servers = []
        self.failures = 0
        self.certs = os.path.join(self.dir, "certs")
        subprocess.run(["sh", MKCERT, self.certs, SES_HOST], check=True,
                       timeout=60)
        self.keyfile = os.path.join(self.dir, "ses.key")
        with open(self.keyfile, "w") as f:
            f.write("aws_access_key_id = %s\naws_secret_access_key = %s\n"
                    % (KEY_ID, SECRET))
        os.chmod(self.keyfile, 0o600)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for s in self.servers:
            s.stop()
        if self.failures == 0 and exc[0] is None:
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("# kept", self.dir)
        return False

    def check(self, cond, what):
        print(("ok - " if cond else "FAIL - ") + what)
        if not cond:
            self.failures += 1
        return cond

    def server(self, name, *args):
        s = Server(self, name, list(args))
        self.servers.append(s)
        return s

    def write_conf(self, relays, route_relays, extra="", route_extra=""):
        with open(self.conf, "w") as f:
            f.write('spool = "%s"\nhostname = "web-1.example.com"\n'
                    'domain = "example.com"\n%s\n' % (self.spool, extra))
            f.write(relays)
            f.write('route "default" { relays = {%s}\n%s}\n'
                    % (", ".join('"%s"' % r for r in route_relays),
                       route_extra))
        os.chmod(self.conf, 0o644)
        if not os.path.isdir(os.path.join(self.spool, "new")):
            r = self.mailshim("init")
            if not os.path.isdir(os.path.join(self.spool, "new")):
                print("# init:", (r.stdout + r.stderr).strip())
                for d in ("tmp", "new", "queue", "dead", "run"):
                    os.makedirs(os.path.join(self.spool, d), exist_ok=True)

    def ses_relay(self, name, server, extra=""):
        return ('relay "%s" {\n  type = "ses"\n  region = "%s"\n'
                '  endpoint = "127.0.0.1"\n  port = %d\n'
                '  ca_file = "%s/ca.pem"\n  credentials = "file:%s"\n'
                '  timeout = 20\n  connect_timeout = 5\n%s}\n'
                % (name, REGION, server.port, self.certs, self.keyfile,
                   extra))

    def send(self, sender, rcpts, body="hello\n", subject="test"):
        msg = ("From: %s\nTo: undisclosed-recipients:;\nSubject: %s\n\n%s"
               % (sender, subject, body))
        r = subprocess.run([SENDMAIL, "-C", self.conf, "-f", sender, "--"]
                           + list(rcpts), input=msg.encode(),
                           capture_output=True, timeout=30)
        if r.returncode != 0:
            print("# sendmail:", r.returncode, r.stderr.decode())
        return r.returncode

    def send_raw(self, data, args):
        """Pipes bytes data into sendmail -C conf ARGS; returns the exit."""
        r = subprocess.run([SENDMAIL, "-C", self.conf] + list(args),
                           input=data, capture_output=True, timeout=30)
        if r.returncode != 0:
            print("# sendmail:", r.returncode, r.stderr.decode())
        return r.returncode

    def mailshim(self, *args, timeout=60):
        r = subprocess.run([MAILSHIM, "-C", self.conf, "-v"] + list(args),
                           capture_output=True, timeout=timeout,
                           text=True)
        return r

    def flush(self, timeout=60):
        r = self.mailshim("flush", timeout=timeout)
        sys.stdout.write("".join("# flush: " + line + "\n"
                                 for line in r.stderr.splitlines()[-40:]))
        return r

    def area_dirs(self, area):
        """area's directory; for "queue" also the buckets of deferred/
        where deferred messages wait (spool/README, "The schedule")."""
        dirs = [os.path.join(self.spool, area)]
        d = os.path.join(self.spool, "deferred")
        if area == "queue" and os.path.isdir(d):
            dirs += [os.path.join(d, b) for b in sorted(os.listdir(d))]
        return dirs

    def queue_files(self, area="queue"):
        return sorted(f for d in self.area_dirs(area)
                      for f in os.listdir(d) if "." not in f)

    def state_text(self, area="queue"):
        out = ""
        for d in self.area_dirs(area):
            for f in sorted(os.listdir(d)):
                if f.endswith(".state"):
                    with open(os.path.join(d, f), errors="replace") as fh:
                        out += fh.read()
        return out


class Server:
    def __init__(self, env, name, args):
        self.env = env
        self.name = name
        base = os.path.join(env.dir, name)
        self.port_file = base + ".port"
        self.log = base + ".log"
        self.control = base + ".control.json"
        self.errlog = open(base + ".stderr", "w")
        cmd = [PY, SERVER, "--port-file", self.port_file, "--log", self.log,
               "--cert", os.path.join(env.certs, "server.pem"),
               "--key", os.path.join(env.certs, "server.key"),
               "--key-id", KEY_ID, "--secret", SECRET, "--region", REGION,
               "--control", self.control] + args
        self.proc = subprocess.Popen(cmd, stdout=self.errlog,
                                     stderr=self.errlog)
        deadline = time.monotonic() + 15
        while not os.path.exists(self.port_file):
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("ses_smtpd.py did not start")
            time.sleep(0.05)
        with open(self.port_file) as f:
            self.port = int(f.read())

    def set(self, **ctl):
        tmp = self.control + ".tmp"
        with open(tmp, "w") as f:
            json.dump(ctl, f)
        os.rename(tmp, self.control)
        # mtime granularity: make sure the server sees a change
        t = time.time() + 0.01
        os.utime(self.control, (t, t))

    def events(self, kind=None):
        out = []
        if not os.path.exists(self.log):
            return out
        with open(self.log) as f:
            for line in f:
                e = json.loads(line)
                if kind is None or e["event"] == kind:
                    out.append(e)
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.errlog.close()
