#!/usr/bin/python3
"""ses_headers.py - SES control headers a local user wrote (issue 14
defect 5), read from the exact bytes the SES test servers received:

  strip     default route (ses_headers = "strip") with its own
            configuration set and tags: a message carrying
            X-SES-CONFIGURATION-SET, X-SES-MESSAGE-TAGS (any case, folded,
            blank before the colon) and X-SES-SOURCE-ARN leaves with
            exactly one X-SES-CONFIGURATION-SET and one X-SES-MESSAGE-TAGS,
            the route's, and no other X-SES-* header; the rest of the
            message is byte for byte what was queued.
  keep      ses_headers = "keep", route with a configuration set only: the
            route's configuration set replaces the user's, the user's tags
            and other X-SES-* headers stay.
  keep-own  ses_headers = "keep", nothing set by the route: the app's own
            X-SES-CONFIGURATION-SET goes through unchanged (apps choose
            configuration sets this way).
  api       transport = "api": the raw message SES receives carries no
            user X-SES-* header, ConfigurationSetName / EmailTags are the
            route's.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ses_lib import Env  # noqa: E402

USER_MSG = (b"From: App <app@example.com>\n"
            b"To: bob@other.org\n"
            b"X-SES-CONFIGURATION-SET: user-cs\n"
            b"x-ses-message-tags: env=evil\n"
            b"X-SES-SOURCE-ARN: arn:aws:ses:eu-west-1:999999999999:"
            b"identity/evil.example\n"
            b"X-SES-MESSAGE-TAGS :\n folded=1\n"
            b"Subject: control headers\n"
            b"\n"
            b"body line\nX-SES-CONFIGURATION-SET: in the body stays\n")


def headers(raw):
    """[(lower-case name, unfolded value)] of raw's header section."""
    head = raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("latin-1")
    out = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], (out[-1][1] + " " + line.strip()).strip())
        elif ":" in line:
            name, value = line.split(":", 1)
            out.append((name.strip().lower(), value.strip()))
    return out


def values(hdrs, name):
    return [v for n, v in hdrs if n == name]


def ses_names(hdrs):
    return sorted(n for n, _ in hdrs if n.startswith("x-ses-"))


def last_received(server):
    tx = server.events("tx")
    if not tx:
        return None
    with open(tx[-1]["file"], "rb") as f:
        return f.read()


def body(raw):
    return raw.replace(b"\r\n", b"\n").split(b"\n\n", 1)[1]


def one_case(env, s, name, route_extra, n_before):
    env.write_conf(env.ses_relay("ses", s), ["ses"], route_extra=route_extra)
    env.check(env.send_raw(USER_MSG, ["-f", "app@example.com",
                                      "bob@other.org"]) == 0,
              "%s: queued" % name)
    env.flush()
    tx = s.events("tx")
    env.check(len(tx) == n_before + 1 and tx[-1]["code"] == 250,
              "%s: SES server accepted it" % name)
    raw = last_received(s) or b""
    env.check(body(raw) == body(USER_MSG.replace(b"\n", b"\r\n")) if raw
              else False, "%s: body unchanged" % name)
    return headers(raw)


def smtp_cases():
    with Env("xses") as env:
        s = env.server("ses")
        h = one_case(env, s, "strip", 'tags = {"env=prod", "app=web"}\n'
                     'configuration_set = "route-cs"\n', 0)
        env.check(values(h, "x-ses-configuration-set") == ["route-cs"],
                  "strip: one X-SES-CONFIGURATION-SET, the route's (%s)"
                  % values(h, "x-ses-configuration-set"))
        env.check(values(h, "x-ses-message-tags") == ["env=prod, app=web"],
                  "strip: one X-SES-MESSAGE-TAGS, the route's (%s)"
                  % values(h, "x-ses-message-tags"))
        env.check(ses_names(h) == ["x-ses-configuration-set",
                                   "x-ses-message-tags"],
                  "strip: no other X-SES-* header (%s)" % ses_names(h))
        env.check(values(h, "subject") == ["control headers"] and
                  values(h, "to") == ["bob@other.org"],
                  "strip: other headers kept")

        h = one_case(env, s, "keep", 'ses_headers = "keep"\n'
                     'configuration_set = "route-cs"\n', 1)
        env.check(values(h, "x-ses-configuration-set") == ["route-cs"],
                  "keep: the route's configuration set replaces the "
                  "user's (%s)" % values(h, "x-ses-configuration-set"))
        env.check(values(h, "x-ses-message-tags") == ["env=evil",
                                                      "folded=1"],
                  "keep: the user's tags stay (%s)"
                  % values(h, "x-ses-message-tags"))
        env.check(len(values(h, "x-ses-source-arn")) == 1,
                  "keep: the user's X-SES-SOURCE-ARN stays")

        h = one_case(env, s, "keep-own", 'ses_headers = "keep"\n', 2)
        env.check(values(h, "x-ses-configuration-set") == ["user-cs"],
                  "keep-own: the app's configuration set goes through (%s)"
                  % values(h, "x-ses-configuration-set"))
        return env.failures


def api_case():
    from api_lib import ApiEnv
    key, secret = "AKIAXSESHEADERS01", "xses/secret+Key01"
    with ApiEnv("xses-api", "--static", "%s|%s" % (key, secret)) as env:
        env.vars.update(AWS_ACCESS_KEY_ID=key, AWS_SECRET_ACCESS_KEY=secret,
                        AWS_SESSION_TOKEN=None, AWS_ENDPOINT_URL=None)
        for mode, n in (("strip", 1), ("keep", 2)):
            env.write_conf(env.api_relay("sesapi"), ["sesapi"],
                           route_extra='ses_headers = "%s"\n'
                           'tags = {"env=prod"}\n'
                           'configuration_set = "route-cs"\n' % mode)
            env.check(env.sendmail(USER_MSG, ["-f", "app@example.com",
                                              "bob@other.org"]) == 0,
                      "api %s: queued" % mode)
            env.flush()
            msgs = env.aws.state()["messages"]
            if not env.check(len(msgs) == n, "api %s: SendEmail call "
                             "(%d)" % (mode, len(msgs))):
                continue
            m = msgs[-1]
            h = headers(env.sent_raw(m))
            want = [] if mode == "strip" else ["x-ses-source-arn"]
            env.check(ses_names(h) == want, "api %s: user X-SES-* headers "
                      "in the raw message: %s" % (mode, ses_names(h)))
            env.check(m["config_set"] == "route-cs" and
                      m["tags"] == [{"Name": "env", "Value": "prod"}],
                      "api %s: the route's configuration set and tags "
                      "(%s, %s)" % (mode, m["config_set"], m["tags"]))
        return env.failures


failures = 0
for case in (smtp_cases, api_case):
    print("#", case.__name__)
    failures += case()
print("#", "ok" if not failures else "%d failure(s)" % failures)
sys.exit(1 if failures else 0)
