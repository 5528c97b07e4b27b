/*
 * submit.h - one submission: the envelope, the spool write, the log line.
 *
 * API:    submit_init(), submit_sender(), submit_rcpt_arg(),
 *         submit_rcpt(), submit_opt(), submit_message(), submit_reset(),
 *         submit_free().
 * Owns:   sendmail/: the front end - options (options.c), reading the
 *         message (reader.c, message.c), header fix-ups (headers.c),
 *         the -bs dialogue (smtpd.c), one submission (this file).
 * Calls:  spool/ and lib/ only; never the network, never libcurl.
 * Trust:  runs in the set-gid front end; writes only through spool/.
 */
#ifndef SM_SUBMIT_H
#define SM_SUBMIT_H

#include <stdbool.h>

#include "conf.h"
#include "envelope.h"
#include "message.h"
#include "ms.h"
#include "spool.h"

struct submit {
	const struct ms_conf *conf;
	long uid;
	char *login;
	struct envelope env;
	struct spool_writer *w; /* allocated once, reused */
	bool open;		/* w holds a tmp/ file */
	bool extract;		/* -t: recipients from the header too */
	bool sender_set;
};

/* MS_TEMP when memory runs out. */
enum ms_status submit_init(struct submit *s, const struct ms_conf *conf,
    long uid, const char *login, struct ms_err *err);

/* Sets the envelope sender: "" is the null sender, a bare local name is
 * qualified with the configured domain. MS_DATA for an invalid address. */
enum ms_status
submit_sender(struct submit *s, const char *sender, struct ms_err *err);

/* Adds every address of a command-line argument ("a@b, Name <c@d>").
 * MS_DATA naming an invalid one. */
enum ms_status
submit_rcpt_arg(struct submit *s, const char *arg, struct ms_err *err);

/* Adds one bare address unless already present (MS_DATA if invalid or
 * beyond ENV_MAX_RCPTS). Local names are stored unqualified. */
enum ms_status
submit_rcpt(struct submit *s, const char *addr, struct ms_err *err);

/* Records an envelope option "key=value". */
enum ms_status submit_opt(
    struct submit *s, const char *key, const char *value, struct ms_err *err);

/* Reads the message, writes envelope and message to the spool and
 * commits it; logs the accept line. On any failure nothing stays in the
 * spool. MS_USAGE when there is no recipient; otherwise see msg_read()
 * and spool_commit(). */
enum ms_status submit_message(struct submit *s, struct rd *r,
    const struct msg_params *p, struct msg_result *res, struct ms_err *err);

/* The queue id of the last committed message. */
const char *submit_id(const struct submit *s);

/* Forgets sender, recipients and options (next -bs transaction). */
void submit_reset(struct submit *s);

void submit_free(struct submit *s);

#endif
