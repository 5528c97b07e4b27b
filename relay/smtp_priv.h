/*
 * smtp_priv.h - the state of one SMTP session and what its files share
 *               with each other: smtp_session.c (lifecycle),
 *               smtp_callbacks.c (what libcurl calls back),
 *               smtp_handle.c (the easy handle, its options and its
 *               connection) and smtp_transact.c (transactions: send,
 *               probe). Internal to relay/; only those files include it.
 *
 * API:    SMTP_SETOPT(), smtp_callbacks_install(), smtp_log_line(),
 * smtp_handle_make(), smtp_handle_drop(), smtp_bearer_update(),
 * smtp_bearer_refused(). Trust:  the struct holds the password, the client key
 * and the XOAUTH2 token: they go to libcurl and are otherwise only wiped
 *         (smtp_session_free()).
 */
#ifndef MS_SMTP_PRIV_H
#define MS_SMTP_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "smtp_reply.h"
#include "smtp_session.h"

struct smtp_session {
	struct smtp_params p; /* strings below are our copies */
	char *name, *host, *ca_file, *tls_name, *username, *helo, *proxy;
	char *password;
	size_t password_len;
	char *bearer_tok; /* the token libcurl was given (a copy, wiped) */
	char *tls_cert;
	char *tls_key; /* PEM, handed to libcurl without a copy */
	size_t tls_key_len;
	char url[1024];
	char connect_to[1024];
	struct curl_slist *connect_to_list;
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	struct smtp_transcript tr;
	long nconn;   /* connections opened so far */
	long on_conn; /* transactions done on this connection */
	/* per transaction */
	struct msg_source *src;
	bool read_failed;
	int read_errno;
	bool auth_missing;	    /* MAIL went out without AUTH */
	bool auth_refused;	    /* the password was refused (535) */
	long long body_sent;	    /* bytes handed to libcurl so far */
	long long body_size;	    /* of the message */
	bool body_eof;		    /* the read callback reached the end */
	long long deadline_ms;	    /* max_time ends (0: none) */
	long long quit_deadline_ms; /* stop waiting for QUIT's reply */
	bool max_time_hit;
	bool (*idle)(void *arg); /* the message's relay_msg.idle */
	void *idle_arg;
	unsigned long idle_cmd; /* tr.commands when idle last ran */
	bool idle_stopped;	/* idle said stop: transaction abandoned */
	bool cert_requested;	/* the server asked for a client certificate
				   on this connection */
	char tls_alert[96];	/* the last TLS alert it sent us, or "" */
	char last_reply[SMTP_TEXT_MAX];
};

/* Sets one option on s->curl; jumps to the caller's fail: label when
 * libcurl refuses it. */
#define SMTP_SETOPT(opt, val)                                                  \
	do {                                                                   \
		if (curl_easy_setopt(s->curl, opt, val) != CURLE_OK)           \
			goto fail;                                             \
	} while (0)

/* Sets the callbacks of smtp_callbacks.c on s->curl: libcurl's trace
 * (transcript, TLS alerts), new sockets, the body, the discarded download and
 * the progress calls that enforce max_time. false when libcurl refused one. */
bool smtp_callbacks_install(struct smtp_session *s);

/* The transcript's log hook: one protocol line under -v. arg is s. */
void smtp_log_line(char dir, const char *line, void *arg);

/* Creates the easy handle with everything that does not change between
 * transactions, if there is none. MS_OK; MS_TEMP when libcurl cannot
 * create it or refuses an option (err says so). */
enum ms_status smtp_handle_make(struct smtp_session *s, struct ms_err *err);

/* Throws the connection away after a failure, without QUIT. */
void smtp_handle_drop(struct smtp_session *s);

/* Gives libcurl the current XOAUTH2 token (a new one when refresh); a
 * no-op without XOAUTH2. MS_OK; the token source's status, or MS_TEMP
 * (memory, libcurl), with err saying why. */
enum ms_status
smtp_bearer_update(struct smtp_session *s, bool refresh, struct ms_err *err);

/* True when the server refused our XOAUTH2 token in the last transfer. */
bool smtp_bearer_refused(const struct smtp_session *s, CURLcode rc);

#endif
