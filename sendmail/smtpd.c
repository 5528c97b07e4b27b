/*
 * smtpd.c - "sendmail -bs": SMTP on stdin/stdout for local callers such
 *           as Symfony Mailer. One transaction after another; each
 *           message is committed to the spool before its 250 reply.
 *
 * API:    smtpd_run().  Documented in smtpd.h.
 * Trust:  commands are untrusted text; lines over SMTPD_MAX_LINE are
 *         refused, addresses validated before they reach the envelope.
 * Errors: protocol problems become SMTP replies; only I/O failures on
 *         stdin/stdout end the session with a status.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "door.h"
#include "door_auth.h"
#include "log.h"
#include "smtpd.h"
#include "smtpd_args.h"

struct session {
	struct submit *s;
	struct rd *r;
	const struct msg_params *base;
	const char *dflt_from;
	const char *host;
	const char *proto; /* "ESMTP" after EHLO, else "SMTP" */
	bool mail;	   /* MAIL accepted */
	size_t nrcpt;	   /* RCPTs accepted */
	bool notify_set;
	bool quit;
	char peer[80];	/* socket peer (the SMTP door) or "" */
	bool need_auth; /* the door with smtpd_users: AUTH before MAIL */
	int auth_fails;
	char user[DOOR_USER_MAX + 1]; /* who authenticated, or "" */
	rd_fill_fn fill; /* the reader's own, wrapped by door_fill */
	void *fill_ctx;
	bool timed_out; /* a read hit smtpd_idle_timeout */
};

static void
flush_out(void)
{
	fflush(stdout);
}

static void reply(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
reply(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputs("\r\n", stdout);
}

/* The door's reads time out (SO_RCVTIMEO): remember it, so the peer
 * gets 421 rather than a storage error, in a command or in DATA. */
static ssize_t
door_fill(void *ctx, char *buf, size_t len)
{
	struct session *ss = ctx;
	ssize_t n = ss->fill(ss->fill_ctx, buf, len);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		ss->timed_out = true;
	return n;
}

static void
timeout_reply(struct session *ss, long idle)
{
	log_msg(LOG_INFO, "-bs: %s idle for %ld s; closing", ss->peer, idle);
	reply("421 4.4.2 %s Error: timeout exceeded", ss->host);
	ss->quit = true;
}

static void
cmd_mail(struct session *ss, char *arg)
{
	struct ms_err err;
	char *addr, *params, *key, *val;
	const char *body = NULL, *ret = NULL, *envid = NULL;

	if (ss->mail) {
		reply("503 5.5.1 Error: nested MAIL command");
		return;
	}
	if (ss->need_auth && ss->user[0] == '\0') {
		reply("530 5.7.0 Authentication required");
		return;
	}
	arg = smtpd_after_keyword(arg, "FROM:");
	if (arg == NULL || !smtpd_split_path(arg, &addr, &params)) {
		reply("501 5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	while (smtpd_next_param(&params, &key, &val)) {
		if (strcasecmp(key, "SIZE") == 0 && smtpd_all_digits(val)) {
			unsigned long long n = strtoull(val, NULL, 10);

			if (ss->base->limit > 0 && n > ss->base->limit) {
				reply("552 5.3.4 Message size exceeds fixed "
				      "limit");
				return;
			}
		} else if (strcasecmp(key, "BODY") == 0 && val != NULL &&
		    (strcasecmp(val, "8BITMIME") == 0 ||
			strcasecmp(val, "7BIT") == 0)) {
			body = toupper((unsigned char)val[0]) == '8'
			    ? "8BITMIME"
			    : "7BIT";
		} else if (strcasecmp(key, "RET") == 0 && val != NULL &&
		    (strcasecmp(val, "FULL") == 0 ||
			strcasecmp(val, "HDRS") == 0)) {
			ret = val;
		} else if (strcasecmp(key, "ENVID") == 0 &&
		    smtpd_printable(val)) {
			envid = val;
		} else {
			reply("555 5.5.4 Unsupported option: %.40s", key);
			return;
		}
	}
	submit_reset(ss->s);
	ss->notify_set = false;
	if (submit_sender(ss->s, addr, &err) != MS_OK) {
		reply("501 5.1.7 Bad sender address syntax");
		return;
	}
	if ((body != NULL && submit_opt(ss->s, "B", body, &err) != MS_OK) ||
	    (ret != NULL && submit_opt(ss->s, "R", ret, &err) != MS_OK) ||
	    (envid != NULL && submit_opt(ss->s, "V", envid, &err) != MS_OK)) {
		submit_reset(ss->s);
		reply("452 4.3.0 Error: %s", err.msg);
		return;
	}
	ss->mail = true;
	ss->nrcpt = 0;
	reply("250 2.1.0 Ok");
}

static void
cmd_rcpt(struct session *ss, char *arg)
{
	struct ms_err err;
	char *addr, *params, *key, *val;
	const char *notify = NULL;
	enum ms_status st;

	if (!ss->mail) {
		reply("503 5.5.1 Error: need MAIL command");
		return;
	}
	arg = smtpd_after_keyword(arg, "TO:");
	if (arg == NULL || !smtpd_split_path(arg, &addr, &params)) {
		reply("501 5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	while (smtpd_next_param(&params, &key, &val)) {
		if (strcasecmp(key, "NOTIFY") == 0 && smtpd_printable(val)) {
			notify = val;
		} else if (strcasecmp(key, "ORCPT") == 0 &&
		    smtpd_printable(val)) {
			; /* accepted, not kept */
		} else {
			reply("555 5.5.4 Unsupported option: %.40s", key);
			return;
		}
	}
	if (addr[0] == '\0') {
		reply("501 5.1.3 Bad recipient address syntax");
		return;
	}
	st = submit_rcpt(ss->s, addr, &err);
	if (st == MS_DATA && ss->s->env.nrcpt >= ENV_MAX_RCPTS) {
		reply("452 4.5.3 Error: too many recipients");
		return;
	}
	if (st != MS_OK) {
		reply(st == MS_DATA ? "501 5.1.3 Bad recipient address syntax"
				    : "452 4.3.0 Error: out of memory");
		return;
	}
	if (notify != NULL && !ss->notify_set) {
		if (submit_opt(ss->s, "N", notify, &err) == MS_OK)
			ss->notify_set = true;
	}
	ss->nrcpt++;
	reply("250 2.1.5 Ok");
}

static void
cmd_data(struct session *ss, struct ms_err *ioerr, bool *fatal)
{
	struct msg_params p = *ss->base;
	struct msg_result res;
	struct ms_err err;
	enum ms_status st;
	char id[64];

	if (!ss->mail) {
		reply("503 5.5.1 Error: need MAIL command");
		return;
	}
	if (ss->nrcpt == 0) {
		reply("503 5.5.1 Error: need RCPT command");
		return;
	}
	reply("354 End data with <CR><LF>.<CR><LF>");
	p.end = MSG_SMTP;
	p.protocol = ss->proto;
	p.now = time(NULL);
	p.from_addr =
	    ss->s->env.sender[0] != '\0' ? ss->s->env.sender : ss->dflt_from;
	st = submit_message(ss->s, ss->r, &p, &res, &err);
	snprintf(id, sizeof(id), "%s", submit_id(ss->s));
	submit_reset(ss->s);
	ss->mail = false;
	ss->nrcpt = 0;
	if (ss->timed_out) {
		timeout_reply(ss, ss->base->idle);
		return;
	}
	if (res.eof) {
		*ioerr = err;
		*fatal = true;
		return;
	}
	if (st == MS_OK) {
		if (ss->peer[0] != '\0')
			log_msg(LOG_INFO, "%s: peer=%s%s%s", id, ss->peer,
			    ss->user[0] ? " user=" : "", ss->user);
		reply("250 2.0.0 Ok: queued as %s", id);
		return;
	}
	log_msg(LOG_WARNING, "-bs: message refused: %s", err.msg);
	if (res.oversize)
		reply("552 5.3.4 Message size exceeds fixed limit");
	else if (st == MS_DATA)
		reply("554 5.6.0 Error: %s", err.msg);
	else
		reply("452 4.3.1 Insufficient system storage");
}

static void
cmd_ehlo(struct session *ss, const char *arg, bool esmtp)
{
	if (*arg == '\0') {
		reply("501 5.5.4 Syntax: %s hostname", esmtp ? "EHLO" : "HELO");
		return;
	}
	submit_reset(ss->s);
	ss->mail = false;
	ss->nrcpt = 0;
	ss->proto = esmtp ? "ESMTP" : "SMTP";
	if (!esmtp) {
		reply("250 %s", ss->host);
		return;
	}
	reply("250-%s", ss->host);
	reply("250-8BITMIME");
	if (ss->base->limit > 0)
		reply("250-SIZE %zu", ss->base->limit);
	reply("250-PIPELINING");
	if (ss->need_auth && ss->user[0] == '\0')
		reply("250-AUTH PLAIN");
	reply("250 ENHANCEDSTATUSCODES");
}

/* AUTH PLAIN [initial-response] on the door (RFC 4954, RFC 4616). */
static void
cmd_auth(struct session *ss, char *arg)
{
	struct ms_err err;
	char resp[SMTPD_MAX_LINE + 1];
	const char *p;
	size_t len;
	bool complete;
	enum ms_status st;

	if (!ss->need_auth || ss->user[0] != '\0' || ss->mail) {
		reply(ss->need_auth
			? "503 5.5.1 Error: already authenticated "
			  "or in a transaction"
			: "502 5.5.1 Error: command not implemented");
		return;
	}
	if (strncasecmp(arg, "PLAIN", 5) != 0 ||
	    (arg[5] != '\0' && arg[5] != ' ')) {
		reply("504 5.5.4 Unrecognized authentication type");
		return;
	}
	arg += 5;
	while (*arg == ' ')
		arg++;
	if (*arg == '\0') { /* the response comes on its own line */
		reply("334 ");
		fflush(stdout);
		if (rd_line(ss->r, &p, &len, &complete, &err) != MS_OK ||
		    !complete || len > sizeof(resp)) {
			ss->quit = true;
			return;
		}
		while (len > 0 && (p[len - 1] == '\n' || p[len - 1] == '\r'))
			len--;
		memcpy(resp, p, len);
		resp[len] = '\0';
		arg = resp;
		if (strcmp(arg, "*") == 0) {
			reply("501 5.7.0 Authentication aborted");
			return;
		}
	}
	st = door_auth_plain(
	    ss->base->users, arg, ss->user, sizeof(ss->user), &err);
	explicit_bzero(resp, sizeof(resp));
	if (st == MS_OK) {
		log_msg(LOG_INFO, "-bs: %s authenticated as %s", ss->peer,
		    ss->user);
		reply("235 2.7.0 Authentication successful");
		return;
	}
	log_msg(
	    LOG_WARNING, "-bs: %s: AUTH PLAIN refused: %s", ss->peer, err.msg);
	if (st == MS_DATA)
		reply("501 5.5.2 Error: bad AUTH PLAIN response");
	else if (st == MS_NOPERM)
		reply("535 5.7.8 Error: authentication failed");
	else
		reply("454 4.7.0 Temporary authentication failure");
	if (++ss->auth_fails >= 3) {
		reply("421 4.7.0 %s Error: too many failed AUTH attempts",
		    ss->host);
		ss->quit = true;
	}
}

/* One command line (CR LF removed). */
static void
command(struct session *ss, char *line, struct ms_err *ioerr, bool *fatal)
{
	size_t n = strcspn(line, " ");
	char *arg = line + n;

	while (*arg == ' ')
		arg++;
	line[n] = '\0';
	if (strcasecmp(line, "EHLO") == 0) {
		cmd_ehlo(ss, arg, true);
	} else if (strcasecmp(line, "HELO") == 0) {
		cmd_ehlo(ss, arg, false);
	} else if (strcasecmp(line, "MAIL") == 0) {
		cmd_mail(ss, arg);
	} else if (strcasecmp(line, "RCPT") == 0) {
		cmd_rcpt(ss, arg);
	} else if (strcasecmp(line, "DATA") == 0) {
		if (*arg != '\0')
			reply("501 5.5.4 Syntax: DATA");
		else
			cmd_data(ss, ioerr, fatal);
	} else if (strcasecmp(line, "RSET") == 0) {
		if (*arg != '\0') {
			reply("501 5.5.4 Syntax: RSET");
			return;
		}
		submit_reset(ss->s);
		ss->mail = false;
		ss->nrcpt = 0;
		reply("250 2.0.0 Ok");
	} else if (strcasecmp(line, "NOOP") == 0) {
		reply("250 2.0.0 Ok");
	} else if (strcasecmp(line, "VRFY") == 0) {
		if (*arg == '\0')
			reply("501 5.5.4 Syntax: VRFY address");
		else
			reply("252 2.0.0 Cannot VRFY user, but will accept "
			      "message and attempt delivery");
	} else if (strcasecmp(line, "HELP") == 0) {
		reply("214 2.0.0 Commands: EHLO HELO MAIL RCPT DATA RSET NOOP "
		      "VRFY HELP QUIT");
	} else if (strcasecmp(line, "QUIT") == 0) {
		reply("221 2.0.0 Bye");
		ss->quit = true;
	} else if (strcasecmp(line, "AUTH") == 0) {
		cmd_auth(ss, arg);
	} else if (strcasecmp(line, "EXPN") == 0 ||
	    strcasecmp(line, "STARTTLS") == 0 ||
	    strcasecmp(line, "ETRN") == 0 || strcasecmp(line, "BDAT") == 0 ||
	    strcasecmp(line, "TURN") == 0) {
		reply("502 5.5.1 Error: command not implemented");
	} else {
		reply("500 5.5.2 Error: command not recognized");
	}
}

enum ms_status
smtpd_run(struct submit *s, struct rd *r, const struct msg_params *base,
    const char *dflt_from, struct ms_err *err)
{
	struct session ss = { .s = s,
		.r = r,
		.base = base,
		.dflt_from = dflt_from,
		.proto = "SMTP" };
	char line[SMTPD_MAX_LINE + 3];
	bool too_long = false, fatal = false;
	enum ms_status st;

	signal(SIGPIPE, SIG_IGN); /* a gone caller is a write error */
	ss.host = base->hostname != NULL ? base->hostname : "localhost";
	r->before_block = flush_out;
	if (door_check(STDIN_FILENO, base->idle, ss.peer, sizeof(ss.peer)) ==
	    DOOR_REMOTE) {
		log_msg(
		    LOG_WARNING, "-bs: refused %s: not on loopback", ss.peer);
		reply("554 5.7.1 %s mailshim takes mail from loopback only",
		    ss.host);
		fflush(stdout);
		return MS_OK;
	}
	if (ss.peer[0] != '\0') {
		log_msg(LOG_INFO, "-bs: connection from %s", ss.peer);
		ss.fill = r->fill;
		ss.fill_ctx = r->ctx;
		r->fill = door_fill;
		r->ctx = &ss;
	}
	ss.need_auth = ss.peer[0] != '\0' && base->users != NULL;
	reply("220 %s ESMTP mailshim", ss.host);
	while (!ss.quit && !fatal) {
		const char *p;
		size_t len;
		bool complete;

		st = rd_line(r, &p, &len, &complete, err);
		if (st != MS_OK && ss.timed_out) {
			timeout_reply(&ss, base->idle);
			break;
		}
		if (st != MS_OK)
			return st;
		if (len == 0)
			break; /* EOF without QUIT */
		if (!complete || len > SMTPD_MAX_LINE + 2 || too_long) {
			/* over-long: skip to its end, then refuse once */
			too_long = !complete;
			if (!too_long)
				reply("500 5.5.0 Error: line too long");
			continue;
		}
		len--; /* LF */
		if (len > 0 && p[len - 1] == '\r')
			len--;
		memcpy(line, p, len);
		line[len] = '\0';
		if (memchr(p, '\0', len) != NULL) {
			reply("500 5.5.2 Error: bad command");
			continue;
		}
		log_verbose("-bs: <<< %.*s", (int)strcspn(line, " "), line);
		command(&ss, line, err, &fatal);
		if (ferror(stdout))
			break;
	}
	fflush(stdout);
	if (ferror(stdout))
		return ms_err_set(err, MS_IOERR, "cannot write SMTP replies");
	if (fatal)
		log_msg(LOG_INFO, "-bs: %s; transaction dropped", err->msg);
	return MS_OK;
}
