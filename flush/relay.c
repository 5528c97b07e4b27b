/*
 * relay.c - picks a transport by relay type and keeps the one promise
 *           every caller relies on: after relay_send() each recipient has
 *           a result and a reply.
 *
 * API:    relay_new(), relay_send(), relay_close(), relay_free().
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "relay.h"

static const struct relay_ops *
ops_for(enum relay_type type)
{
	switch (type) {
	case RELAY_MAILDIR: return &relay_maildir_ops;
	case RELAY_SMTP: return &relay_smtp_ops;
	case RELAY_SES: return &relay_ses_ops;
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
	msg->peer[0] = msg->remote_id[0] = '\0';
	for (size_t i = 0; i < msg->nrcpt; i++) {
		msg->rcpts[i].result = MS_TEMP;
		snprintf(msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply),
		    "no result from relay %s", r->conf->name);
	}
	err->msg[0] = '\0';
	st = r->ops->send(r, msg, err);
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
