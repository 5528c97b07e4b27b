"""ses_rules.py - what Amazon SES itself checks in a message, shared by
the SES test servers (ses_smtpd.py for the SMTP interface, aws_server.py
for SendEmail), so that a test passes only if real SES would accept what
mailshim sends. Every rule and reply text comes from SES's documentation
or from SES's replies quoted in public reports, never from mailshim:

  rule                          text (SMTP form; the API carries the part
                                after "554 ...: ")
  header addresses need a       554 Transaction failed: Missing final
  domain (From, Sender,         '@domain'   (SES's reply quoted in public
  Reply-To, To, Cc and their    bug reports, SMTP and SendRawEmail)
  Resent- forms)
  tag names and values          554 Transaction failed: Invalid tag name
  [A-Za-z0-9_-]{1,256}, plus    <NAME>: only alphanumeric ASCII
  ses:feedback-id-a/-b          characters, '_', and '-' are allowed.
  (API reference MessageTag)    (the message SES's API returns, in AWS
                                SDK reports; the SMTP prefix is inferred)
  configuration set names       554 Transaction failed: Configuration set
  [A-Za-z0-9_-]{1,64}           <NAME> does not exist.  (SES lists
  (API ConfigurationSet)        "Configuration set does not exist" among
                                its sending errors; exact text inferred)
  50 recipients per message     554 Transaction failed: Recipient count
  (quotas page)                 exceeds 50.  (quoted in public reports)
  40 MB per message (quotas)    552 Message is too long.  (SMTP response
                                code table; 40 MB read as 41,943,040
                                bytes, mailshim's own SES limit is that
                                too, so the two agree)
  From, Sender, Return-Path     554 Message rejected: Email address is not
  and MAIL FROM verified in     verified. The following identities failed
  the region (and recipients    the check in region REGION: a, b
  in the sandbox); a domain     (SMTP response code table; REGION upper
  identity covers its           case as real replies show)
  subdomains
"""
import email
import email.policy
import re

MAX_RCPT = 50
MAX_SIZE = 40 * 1024 * 1024
ADDRESS_HEADERS = ("from", "sender", "reply-to", "to", "cc", "resent-from",
                   "resent-sender", "resent-to", "resent-cc")
IDENTITY_HEADERS = ("from", "sender", "return-path")
FEEDBACK_TAGS = ("ses:feedback-id-a", "ses:feedback-id-b")
WORD = re.compile(r"[A-Za-z0-9_-]+\Z")

MISSING_DOMAIN = "Missing final '@domain'"
TOO_MANY = "Recipient count exceeds 50."
TOO_LONG = "Message is too long."


def parse(raw):
    """The header section of raw (bytes) as an email.message.Message."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return email.message_from_bytes(head + b"\r\n\r\n",
                                    policy=email.policy.default)


def addresses(msg, name):
    out = []
    for value in msg.get_all(name) or []:
        try:
            out += [a.addr_spec for a in value.addresses]
        except (AttributeError, ValueError, IndexError):
            out.append(str(value))
    return out


def missing_domain(msg):
    """True if an address header holds an address without a domain."""
    for name in ADDRESS_HEADERS:
        for value in msg.get_all(name) or []:
            try:
                addrs = value.addresses
            except (AttributeError, ValueError, IndexError):
                return True
            if any(not a.domain for a in addrs):
                return True
    return False


def tag_error(name, value):
    """SES's text for a tag it refuses, or None."""
    if name not in FEEDBACK_TAGS and not (WORD.match(name) and
                                          len(name) <= 256):
        return ("Invalid tag name <%s>: only alphanumeric ASCII characters, "
                "'_', and '-' are allowed." % name)
    if not (WORD.match(value) and len(value) <= 256):
        return ("Invalid tag value <%s>: only alphanumeric ASCII "
                "characters, '_', and '-' are allowed." % value)
    return None


def header_tags(msg):
    """[(name, value)] of every X-SES-MESSAGE-TAGS header ("a=b, c=d")."""
    out = []
    for value in msg.get_all("x-ses-message-tags") or []:
        for item in str(value).split(","):
            name, _, val = item.strip().partition("=")
            out.append((name.strip(), val.strip()))
    return out


def confset_error(name):
    if name is None:
        return None
    if WORD.match(name) and len(name) <= 64:
        return None
    return "Configuration set <%s> does not exist." % name


def content_error(msg, confsets=()):
    """The first content rule msg breaks (text without code), or None.
    confsets: configuration set names given outside the message (API)."""
    if missing_domain(msg):
        return MISSING_DOMAIN
    for name, value in header_tags(msg):
        err = tag_error(name, value)
        if err:
            return err
    names = [str(v).strip() for v in msg.get_all("x-ses-configuration-set")
             or []] + [c for c in confsets if c is not None]
    for name in names:
        err = confset_error(name)
        if err:
            return err
    return None


def identity_ok(addr, verified):
    """addr is a verified address, or in a verified domain or one of its
    subdomains (creating-identities: a domain covers its subdomains)."""
    addr = addr.strip().strip("<>").lower()
    dom = addr.rsplit("@", 1)[-1]
    for v in verified:
        v = v.lower()
        if v == addr or ("@" not in v and (dom == v or
                                           dom.endswith("." + v))):
            return True
    return False


def verified_for(setting, region):
    """The verified identities of region from a setting that is None
    (everything verified), a list (this region) or a dict region -> list
    ("*" for any region not named)."""
    if setting is None:
        return None
    if isinstance(setting, dict):
        return setting.get(region, setting.get("*", []))
    return setting


def unverified(verified, senders, msg, rcpts=(), sandbox=False):
    """Identities SES would refuse: the senders given (MAIL FROM, API
    FromEmailAddress / FeedbackForwardingEmailAddress), From, Sender and
    Return-Path, and the recipients in the sandbox."""
    if verified is None:
        return []
    ids = [s for s in senders if s]
    for name in IDENTITY_HEADERS:
        ids += addresses(msg, name)
    if sandbox:
        ids += list(rcpts)
    bad = []
    for i in ids:
        if not identity_ok(i, verified) and i not in bad:
            bad.append(i)
    return bad


def not_verified_text(region, bad):
    return ("Email address is not verified. The following identities "
            "failed the check in region %s: %s"
            % (region.upper(), ", ".join(bad)))
