/*
 * relay.c - picks a transport by relay type and keeps the one promise
 *           every caller relies on: after relay_send() each recipient has
 *           a result and a reply.
 *
 * API:    relay_new(), relay_send(), relay_close(), relay_free(),
 *         relay_pace(), relay_slow(), relay_hold(), relay_held().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws_secret.h"
#include "relay.h"

/* The hooks a relay has until the flusher gives it the shared ones:
 * `mailshim check` probes relays and never paces or holds them. */
static enum ms_status
no_acquire(
    void *ctx, const char *relay, double rate, unsigned n, struct ms_err *err)
{
	(void)ctx, (void)relay, (void)rate, (void)n, (void)err;
	return MS_OK;
}

static void
no_slow(void *ctx, const char *relay, double rate)
{
	(void)ctx, (void)relay, (void)rate;
}

static enum ms_status
no_hold_set(void *ctx, const char *relay, long long until, const char *reason,
    bool *first, struct ms_err *err)
{
	(void)ctx, (void)relay, (void)until, (void)reason, (void)err;
	*first = true;
	return MS_OK;
}

static enum ms_status
no_hold_get(void *ctx, const char *relay, long long *until, char *reason,
    size_t len, struct ms_err *err)
{
	(void)ctx, (void)relay, (void)err;
	*until = 0;
	if (reason != NULL && len > 0)
		reason[0] = '\0';
	return MS_OK;
}

static const struct relay_pacer no_pacer = {
	.acquire = no_acquire,
	.slow = no_slow,
	.hold_set = no_hold_set,
	.hold_get = no_hold_get,
};

static const struct relay_ops *
ops_for(enum relay_type type)
{
	switch (type) {
	case RELAY_MAILDIR: return &relay_maildir_ops;
	case RELAY_SMTP: return &relay_smtp_ops;
	case RELAY_SES: return &relay_ses_ops;
	case RELAY_SQS: return &relay_sqs_ops;
	}
	return NULL;
}

enum ms_status
relay_new(struct relay **out, const struct relay_conf *conf,
    const struct ms_conf *global, struct ms_err *err)
{
	struct relay *r = calloc(1, sizeof(*r));
	enum ms_status st;

	if (r == NULL)
		return ms_err_set(err, MS_TEMP, "out of memory");
	r->conf = conf;
	r->global = global;
	r->pacer = &no_pacer;
	r->runfd = -1;
	/* Secrets kept in AWS are read again after secret_ttl (rotation). */
	if (global != NULL)
		aws_secret_set_ttl(global->secret_ttl);
	r->ops = ops_for(conf->type);
	if (r->ops == NULL) {
		free(r);
		return ms_err_set(
		    err, MS_SOFTWARE, "relay %s: no transport", conf->name);
	}
	if (r->ops->init != NULL && (st = r->ops->init(r, err)) != MS_OK) {
		free(r);
		return st;
	}
	*out = r;
	return MS_OK;
}

enum ms_status
relay_send(struct relay *r, struct relay_msg *msg, struct ms_err *err)
{
	enum ms_status st;

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	msg->abandoned = false;
	msg->peer[0] = msg->remote_id[0] = '\0';
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = MS_TEMP;
		snprintf(msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply),
		    "no result from relay %s", r->conf->name);
	}
	err->msg[0] = '\0';
	st = r->ops->send(r, msg, err);
	if (r->pacer->sent != NULL)
		r->pacer->sent(r->pacer->ctx, r->conf->name);
	if (st == MS_OK)
		return MS_OK;
	/* The transport failed before it had per-recipient results. */
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = st == MS_PERM ? MS_PERM : MS_TEMP;
		ms_copy(msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply),
		    err->msg[0] != '\0' ? err->msg : "relay failed");
	}
	if (msg->health == RELAY_FINE && st != MS_PERM)
		msg->health = RELAY_FAILED;
	return st;
}

void
relay_close(struct relay *r)
{
	if (r != NULL && r->ops->close != NULL)
		r->ops->close(r);
}

void
relay_free(struct relay *r)
{
	if (r == NULL)
		return;
	relay_close(r);
	if (r->ops->destroy != NULL)
		r->ops->destroy(r);
	free(r);
}

enum ms_status
relay_pace(struct relay *r, double rate, unsigned n, struct ms_err *err)
{
	return r->pacer->acquire(r->pacer->ctx, r->conf->name, rate, n, err);
}

void
relay_slow(struct relay *r, double rate)
{
	r->pacer->slow(r->pacer->ctx, r->conf->name, rate);
}

enum ms_status
relay_hold(struct relay *r, long long until, const char *reason, bool *first,
    struct ms_err *err)
{
	return r->pacer->hold_set(
	    r->pacer->ctx, r->conf->name, until, reason, first, err);
}

enum ms_status
relay_held(struct relay *r, long long *until, char *reason, size_t len,
    struct ms_err *err)
{
	return r->pacer->hold_get(
	    r->pacer->ctx, r->conf->name, until, reason, len, err);
}
