/*
 * submit.c - hand one message to the spool: envelope first, then the
 *            message from the pipeline, commit, one log line.
 *
 * API:    see submit.h.
 * Trust:  runs in the set-gid front end; the spool path comes from the
 *         configuration; addresses are validated before they are stored.
 * Errors: MS_DATA (addresses), MS_USAGE (no recipient), the spool's and
 *         the pipeline's statuses otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "addr.h"
#include "headers.h"
#include "log.h"
#include "submit.h"

enum ms_status
submit_init(struct submit *s, const struct ms_conf *conf, long uid,
    const char *login, struct ms_err *err)
{
	memset(s, 0, sizeof(*s));
	s->conf = conf;
	s->uid = uid;
	s->login = strdup(login);
	/* Not calloc: spool_create() clears the writer itself, and zeroing
	 * its 64 KiB buffer twice was 8% of an enqueue's instructions. */
	s->w = malloc(sizeof(*s->w));
	if (s->login == NULL || s->w == NULL) {
		submit_free(s);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	s->w->fd = -1;
	submit_reset(s);
	return MS_OK;
}

void
submit_reset(struct submit *s)
{
	env_free(&s->env);
	memset(&s->env, 0, sizeof(s->env));
	s->sender_set = false;
}

void
submit_free(struct submit *s)
{
	if (s->open && s->w != NULL)
		spool_abort(s->w);
	s->open = false;
	env_free(&s->env);
	memset(&s->env, 0, sizeof(s->env));
	free(s->w);
	free(s->login);
	s->w = NULL;
	s->login = NULL;
}

enum ms_status
submit_sender(struct submit *s, const char *sender, struct ms_err *err)
{
	char q[256];
	const char *why;
	char *v;

	if (sender[0] != '\0' && (why = addr_check(sender)) != NULL)
		return ms_err_set(err, MS_DATA,
		    "invalid sender address: %s: %s",
		    ms_quote(q, sizeof(q), sender, strlen(sender)), why);
	v = sender[0] == '\0' ? strdup("")
			      : addr_qualify(sender, s->conf->domain);
	if (v == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	free(s->env.sender);
	s->env.sender = v;
	s->sender_set = true;
	return MS_OK;
}

enum ms_status
submit_rcpt(struct submit *s, const char *addr, struct ms_err *err)
{
	char q[256];
	const char *why = addr_check(addr);

	if (why != NULL)
		return ms_err_set(err, MS_DATA, "invalid address: %s: %s",
		    ms_quote(q, sizeof(q), addr, strlen(addr)), why);
	for (size_t i = 0; i < s->env.nrcpt; i++)
		if (strcasecmp(s->env.rcpts[i], addr) == 0)
			return MS_OK;
	if (s->env.nrcpt >= ENV_MAX_RCPTS)
		return ms_err_set(err, MS_DATA,
		    "too many recipients (at most %d)", ENV_MAX_RCPTS);
	return env_add_rcpt(&s->env, addr, err);
}

static enum ms_status
rcpt_cb(const char *addr, void *arg, struct ms_err *err)
{
	return submit_rcpt(arg, addr, err);
}

enum ms_status
submit_rcpt_arg(struct submit *s, const char *arg, struct ms_err *err)
{
	return addr_list_parse(arg, strlen(arg), rcpt_cb, s, err);
}

enum ms_status
submit_opt(
    struct submit *s, const char *key, const char *value, struct ms_err *err)
{
	char opt[160];
	int r = snprintf(opt, sizeof(opt), "%s=%s", key, value);

	if (r < 0 || (size_t)r >= sizeof(opt))
		return ms_err_set(err, MS_DATA, "option %s too long", key);
	return env_add_opt(&s->env, opt, err);
}

/* The pipeline's begin hook: recipients, spool file, envelope. */
static enum ms_status
sink_begin(
    void *ctx, const char *hdr, size_t len, const char **id, struct ms_err *err)
{
	struct submit *s = ctx;
	enum ms_status st;
	char *text = NULL;
	size_t n;

	if (s->extract) {
		st = hdr_recipients(hdr, len, rcpt_cb, s, err);
		if (st != MS_OK)
			return st;
	}
	if (s->env.nrcpt == 0)
		return ms_err_set(err, MS_USAGE,
		    s->extract
			? "No recipient addresses found in message header"
			: "Recipient addresses must be specified on the "
			  "command "
			  "line or via the -t option");
	st = spool_create(s->w, s->conf->spool, 0, err);
	if (st != MS_OK)
		return st;
	s->open = true;
	snprintf(s->env.id, sizeof(s->env.id), "%s", s->w->id);
	s->env.arrival = (long long)time(NULL);
	s->env.uid = s->uid;
	if (s->env.user == NULL && (s->env.user = strdup(s->login)) == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	st = env_format(&s->env, &text, &n, err);
	if (st == MS_OK)
		st = spool_write(s->w, text, n, err);
	free(text);
	*id = s->env.id;
	return st;
}

static enum ms_status
sink_write(void *ctx, const void *data, size_t len, struct ms_err *err)
{
	struct submit *s = ctx;

	return spool_write(s->w, data, len, err);
}

enum ms_status
submit_message(struct submit *s, struct rd *r, const struct msg_params *p,
    struct msg_result *res, struct ms_err *err)
{
	struct msg_sink sink = { sink_begin, sink_write, s };
	enum ms_status st;
	char q[256];

	if (!s->sender_set)
		return ms_err_set(err, MS_SOFTWARE, "no envelope sender");
	st = msg_read(r, p, &sink, res, err);
	if (st == MS_OK && !s->open)
		st = ms_err_set(
		    err, MS_SOFTWARE, "message without a spool file");
	if (st == MS_OK)
		st = spool_commit(s->w, err);
	if (st != MS_OK) {
		if (s->open)
			spool_abort(s->w);
		s->open = false;
		return st;
	}
	s->open = false;
	spool_abort(s->w); /* closes what commit left open; no unlink */
	log_msg(LOG_INFO, "%s: uid=%ld from=<%s> size=%zu nrcpt=%zu queued",
	    s->env.id, s->uid,
	    ms_quote(q, sizeof(q), s->env.sender, strlen(s->env.sender)),
	    res->size, s->env.nrcpt);
	return MS_OK;
}

const char *
submit_id(const struct submit *s)
{
	return s->env.id;
}
