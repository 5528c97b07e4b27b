/*
 * ticket.h - an smtp relay described by one JSON secret (a "ticket":
 *            {"Host": ..., "Port": ..., "User": ..., "Pass": ...} in SSM
 *            Parameter Store or Secrets Manager), named by the relay's
 *            from_parameter; parameter_keys renames the keys.
 *
 * API:    ticket_load(), ticket_free().
 * Trust:  the ticket is a secret: only the password field is treated as
 *         one (kept in a struct secret, wiped); the host, port and user
 *         may appear in messages. No value ever goes into an error.
 * Errors: MS_CONFIG naming the relay, the source and the key; MS_TEMP
 *         for memory and AWS network failures.
 */
#ifndef MS_TICKET_H
#define MS_TICKET_H

#include "conf.h"
#include "secret.h"

struct ticket {
	char *host;	    /* NULL when the config gives it */
	long port;	    /* 0: neither the config nor the ticket gives one */
	char *user;	    /* NULL when the config gives it */
	struct secret pass; /* .value NULL when the config gives it */
};

/* Reads c->from_parameter (cached like any secret: secret_ttl) and
 * takes from it the fields the config does not set itself (host, port,
 * username, password), matching key names case-insensitively. Host, User
 * and Pass are required, Port is optional. t is initialised first. */
enum ms_status
ticket_load(const struct relay_conf *c, struct ticket *t, struct ms_err *err);

/* Frees t; the password is wiped. */
void ticket_free(struct ticket *t);

#endif
