/*
 * smtp_why.h - the one-line reason for a failed libcurl SMTP transfer.
 *
 * API:    smtp_why().
 * Trust:  every input is quoted into the sentence; no secrets go in.
 */
#ifndef MS_SMTP_WHY_H
#define MS_SMTP_WHY_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "conf.h"
#include "smtp_reply.h"

struct smtp_failure {
	CURLcode rc;
	const char *errbuf; /* libcurl's error buffer ("" if none) */
	long oserr;	    /* CURLINFO_OS_ERRNO */
	const struct smtp_transcript *tr;
	const char *host;
	long port;
	enum tls_mode tls;
	const char *ca_file;  /* or NULL */
	const char *tls_cert; /* client certificate configured, or NULL */
	long max_time;
	bool max_time_hit;
	bool cert_requested;   /* the server asked for a client certificate */
	const char *tls_alert; /* the last TLS alert it sent, or "" */
	bool xoauth2;	       /* AUTH was XOAUTH2 */
	/* The body was not all handed to libcurl (its read callback had
	 * not reached the end): a failure after 354 then happened while
	 * sending the message, after body_sent of body_size bytes. */
	bool body_short;
	long long body_sent, body_size;
};

/* Writes the reason into out: the stage, the peer and libcurl's words. */
void smtp_why(const struct smtp_failure *f, char *out, size_t len);

#endif
