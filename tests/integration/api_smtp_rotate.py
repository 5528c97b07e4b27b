#!/usr/bin/python3
"""api_smtp_rotate.py - smtp relays whose login comes from secrets that
rotate (issue 15), and relays described by one JSON "ticket" in SSM /
Secrets Manager (issue 16, from_parameter), against tests/servers/smtpd.py
(AUTH checked against a password file the test rewrites: the server then
accepts only the new password) and the fake AWS of aws_server.py (every
request's SigV4 checked by botocore), all while `mailshim flush --watch`
runs with the default secret_ttl (5 min), so only the 535 can make
mailshim read a secret again:

  1. password = "file:..."; the file and the server's password change:
     the next message is refused once (535), mailshim reads the file
     again, rebuilds the session and the message goes out, no hold;
  2. password = "secretsmanager:relay/pass#password", rotated in the
     fake Secrets Manager: the same;
  3. from_parameter = "ssm:/MailDelivery/Ticket/Alpha" (host, port,
     user and password from the SecureString, no host in the config):
     the message goes to that host/port with that login; the ticket's
     Pass rotated: the next message goes out with the new one;
  4. from_parameter = "secretsmanager:tickets/bravo" with other key
     names (parameter_keys), keys in another case, and a port in the
     config overriding the ticket's wrong one;
  5. `mailshim check`: OK for the tickets; a ticket without its Pass and
     one that is not JSON are FAIL lines naming the parameter and the
     key, with no value in them.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import ApiEnv, AuthSmtpd, wait_for  # noqa: E402
import ses_lib  # noqa: E402

SIGN_KEY = "AKIASECRETSREADER01"
SIGN_SECRET = "reader/Secret+Key:01"
OLD = {"file": "File-Old-1a2b", "sm": "Sm-Old-3c4d", "alpha": "Alpha-Old-5e6f",
       "bravo": "Bravo-Old-7a8b"}
NEW = {"file": "File-New-9c0d", "sm": "Sm-New-1e2f",
       "alpha": "Alpha-New-3a4b"}



def tls_part(env):
    return ('  tls = "starttls"\n  ca_file = "%s/ca.pem"\n'
            '  tls_name = "%s"\n  timeout = 20\n  connect_timeout = 5\n'
            % (env.certs, ses_lib.SES_HOST))



def main():
    with ApiEnv("api-smtp-rotate", "--static",
                "%s|%s" % (SIGN_KEY, SIGN_SECRET), secrets={}) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=SIGN_KEY,
                        AWS_SECRET_ACCESS_KEY=SIGN_SECRET,
                        AWS_REGION="us-east-1")
        srv = {k: AuthSmtpd(env, "smtpd-" + k, k + "user", OLD[k])
               for k in ("file", "sm", "alpha", "bravo")}
        env.servers += list(srv.values())
        passfile = os.path.join(env.dir, "relay.pass")

        def write_passfile(v):
            with open(passfile + ".tmp", "w") as f:
                f.write(v + "\n")
            os.chmod(passfile + ".tmp", 0o600)
            os.rename(passfile + ".tmp", passfile)

        def alpha_ticket(password):
            return json.dumps({"Host": "127.0.0.1",
                               "Port": srv["alpha"].port,
                               "User": "alphauser", "Pass": password})

        def aws_set(service, ident, value):
            env.aws.admin("secret", {"service": service, "id": ident,
                                     "value": value})

        write_passfile(OLD["file"])
        aws_set("secretsmanager", "relay/pass",
                json.dumps({"password": OLD["sm"]}))
        aws_set("ssm", "/MailDelivery/Ticket/Alpha", alpha_ticket(OLD["alpha"]))
        aws_set("secretsmanager", "tickets/bravo", json.dumps(
            {"SERVER": "127.0.0.1", "port": 1, "login": "bravouser",
             "secret": OLD["bravo"]}))
        aws_set("ssm", "/MailDelivery/Ticket/NoPass", json.dumps(
            {"Host": "127.0.0.1", "Port": 25, "User": "u",
             "Password": "Leaky-Value-0x1"}))
        aws_set("ssm", "/MailDelivery/Ticket/NotJson",
                "Host=127.0.0.1 Pass=Leaky-Value-0x2")

        relays = (
            'relay "viafile" {\n  type = "smtp"\n  host = "127.0.0.1"\n'
            '  port = %d\n  username = "fileuser"\n'
            '  password = "file:%s"\n%s}\n'
            % (srv["file"].port, passfile, tls_part(env)) +
            'relay "viasm" {\n  type = "smtp"\n  host = "127.0.0.1"\n'
            '  port = %d\n  username = "smuser"\n'
            '  password = "secretsmanager:relay/pass#password"\n%s}\n'
            % (srv["sm"].port, tls_part(env)) +
            'relay "alpha" {\n  type = "smtp"\n'
            '  from_parameter = "ssm:/MailDelivery/Ticket/Alpha"\n%s}\n'
            % tls_part(env) +
            'relay "bravo" {\n  type = "smtp"\n'
            '  from_parameter = "secretsmanager:tickets/bravo"\n'
            '  parameter_keys = {"host=Server", "user=Login", '
            '"pass=Secret"}\n  port = %d\n%s}\n'
            % (srv["bravo"].port, tls_part(env)))
        routes = "".join(
            'route "%s" { senders = {"%s@example.com"} relays = {"%s"} }\n'
            % (k, k, r) for k, r in (("file", "viafile"), ("sm", "viasm"),
                                     ("alpha", "alpha"), ("bravo", "bravo")))
        env.write_conf(relays + routes, ["viafile"])

        def send(who, n):
            return env.sendmail(
                ("From: %s@example.com\nSubject: rotate %d\n\nbody\n"
                 % (who, n)).encode(),
                ["-f", "%s@example.com" % who, "r%d@example.net" % n])

        log = open(os.path.join(env.dir, "watch.log"), "w")
        w = subprocess.Popen([ses_lib.MAILSHIM, "-C", env.conf, "-v",
                              "flush", "--watch"], env=env.environ(),
                             stdout=log, stderr=log)
        try:
            # first messages with the first passwords
            for k in srv:
                env.check(send(k, 1) == 0, "sendmail %s 1" % k)
            for k in srv:
                env.check(wait_for(lambda: len(srv[k].messages()) == 1, 40),
                          "%s: message 1 went out with the first login" % k)
            env.check("(auth ok" in srv["alpha"].session(),
                      "alpha: host, port, user and password from the "
                      "SSM ticket")
            env.check("(auth ok" in srv["bravo"].session(),
                      "bravo: renamed keys, any case, the config's port "
                      "over the ticket's")
            # rotate: the servers accept only the new passwords
            write_passfile(NEW["file"])
            srv["file"].set_pass(NEW["file"])
            aws_set("secretsmanager", "relay/pass",
                    json.dumps({"password": NEW["sm"]}))
            srv["sm"].set_pass(NEW["sm"])
            aws_set("ssm", "/MailDelivery/Ticket/Alpha",
                    alpha_ticket(NEW["alpha"]))
            srv["alpha"].set_pass(NEW["alpha"])
            for k in NEW:
                env.check(send(k, 2) == 0, "sendmail %s 2" % k)
            for k in NEW:
                env.check(wait_for(lambda: len(srv[k].messages()) == 2, 40),
                          "%s: message 2 went out after the rotation" % k)
        finally:
            if w.poll() is None:
                w.terminate()
                try:
                    w.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait(timeout=5)
            log.close()
        text = open(log.name).read()
        for k in NEW:
            s = srv[k].session()
            env.check("(auth failed" in s and s.rstrip().count("(auth ok")
                      >= 2, "%s: old password refused once, then the new "
                      "one logged in" % k)
        env.check(text.count("reading the password again") >= 3,
                  "the log says why it retried")
        env.check(not [f for f in os.listdir(os.path.join(env.spool, "run"))
                       if f.startswith("hold-")],
                  "no relay was held: %r"
                  % os.listdir(os.path.join(env.spool, "run")))
        env.check(env.queue_files() == [] and env.queue_files("dead") == [],
                  "nothing queued or dead: %r" % env.queue_files())
        values = list(OLD.values()) + list(NEW.values()) + [SIGN_SECRET]
        env.check(not any(v in text for v in values), "no secret in the log")

        # secret_ttl = 1s: the aged ticket is read again before sending,
        # so the rotated password works at the first try (no 535)
        env.write_conf(relays + routes, ["viafile"], 'secret_ttl = "1s"\n')
        log = open(os.path.join(env.dir, "watch-ttl.log"), "w")
        w = subprocess.Popen([ses_lib.MAILSHIM, "-C", env.conf, "-v",
                              "flush", "--watch"], env=env.environ(),
                             stdout=log, stderr=log)
        try:
            env.check(send("alpha", 3) == 0, "sendmail alpha 3")
            env.check(wait_for(lambda: len(srv["alpha"].messages()) == 3,
                               40), "alpha: message 3 went out")
            fails = srv["alpha"].session().count("(auth failed")
            aws_set("ssm", "/MailDelivery/Ticket/Alpha",
                    alpha_ticket("Alpha-Third-5c6d"))
            srv["alpha"].set_pass("Alpha-Third-5c6d")
            time.sleep(1.5)
            env.check(send("alpha", 4) == 0, "sendmail alpha 4")
            env.check(wait_for(lambda: len(srv["alpha"].messages()) == 4,
                               40), "alpha: message 4 went out after the "
                      "rotation")
        finally:
            if w.poll() is None:
                w.terminate()
                try:
                    w.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    w.kill()
                    w.wait(timeout=5)
            log.close()
        env.check(srv["alpha"].session().count("(auth failed") == fails,
                  "secret_ttl: no login refused, the aged ticket was read "
                  "again first")

        # mailshim check: good tickets OK, bad ones FAIL naming the key
        env.write_conf(relays + routes + (
            'relay "nopass" {\n  type = "smtp"\n'
            '  from_parameter = "ssm:/MailDelivery/Ticket/NoPass"\n}\n'
            'relay "notjson" {\n  type = "smtp"\n'
            '  from_parameter = "ssm:/MailDelivery/Ticket/NotJson"\n}\n'),
            ["viafile"])
        r = env.mailshim("check")
        out = r.stdout + r.stderr
        print("".join("# check: " + ln + "\n" for ln in out.splitlines()))
        env.check(r.returncode != 0, "check fails with bad tickets")
        env.check(any("relay alpha" in ln and "OK" in ln and
                      "from_parameter" in ln for ln in out.splitlines()),
                  "check: an OK line for alpha's ticket")
        env.check(any("FAIL" in ln and "ssm:/MailDelivery/Ticket/NoPass" in ln
                      and '"Pass"' in ln for ln in out.splitlines()),
                  "check: missing Pass named, with the parameter")
        env.check(any("FAIL" in ln and "ssm:/MailDelivery/Ticket/NotJson"
                      in ln and "not valid JSON" in ln
                      for ln in out.splitlines()),
                  "check: bad JSON named, with the parameter")
        env.check(not any(v in out for v in values +
                          ["Leaky-Value-0x1", "Leaky-Value-0x2"]),
                  "check shows no secret value")
        st = env.aws.state()
        env.check(st["sig_failures"] == 0, "every AWS request signed right")
        return env.failures


sys.exit(1 if main() else 0)
