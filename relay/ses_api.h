/*
 * ses_api.h - Amazon SES v2 HTTPS API: SendEmail with raw content, and
 *             GetAccount (quota, rate, sandbox, pause state).
 *
 * API:    ses_api_send(), ses_api_get_account().
 * Trust:  flusher only (credentials from struct aws_creds_provider).
 * Memory: ses_api_send holds one buffer: the JSON body, whose bulk is the
 *         base64 of the message, written straight into it while reading
 *         msg->src (no other copy of the message is kept). Its size is
 *         4 * ceil(size / 3) + about 350 bytes per recipient + 1 KiB,
 *         i.e. about 1.34 x the message (≈ 54 MB for SES's 40 MB
 *         maximum). Messages over SES_API_MAX_SIZE are refused (MS_PERM)
 *         before anything is allocated.
 */
#ifndef MS_SES_API_H
#define MS_SES_API_H

#include <stdbool.h>

#include "aws_creds.h"
#include "ms.h"
#include "relay.h"

#define SES_API_MAX_RCPT 50
#define SES_API_MAX_SIZE (40L * 1000 * 1000)

struct ses_api_params {
	const char *region;   /* required, e.g. "eu-west-1" */
	const char *endpoint; /* relay's `endpoint` (URL or host) or NULL:
				 AWS_ENDPOINT_URL_SESV2 (the SDKs' name;
				 AWS_ENDPOINT_URL_SES still read after it),
				 AWS_ENDPOINT_URL, https://email[-fips].
				 REGION.amazonaws.com (.eu for eusc-*) */
	bool fips;	      /* relay's `fips` (AWS_USE_FIPS_ENDPOINT
				 counts too) */
	const char *ca_file;  /* NULL: AWS_CA_BUNDLE or the default */
	const char *proxy;    /* NULL: libcurl's default */
	const char *from;     /* FromEmailAddress, or NULL to let SES take
				 the From: header (the default: the
				 flusher already rewrote From: if asked) */
	/* Pacing, per SendEmail call of at most 50 recipients (NULL: none).
	 * pace blocks until n recipients may go; a non-OK answer leaves
	 * the rest of the message "not attempted" (no_count). slow is
	 * called after a throttling answer, before the call is paced again
	 * and retried once. */
	enum ms_status (*pace)(void *arg, unsigned n, struct ms_err *err);
	void (*slow)(void *arg);
	void *pace_arg;
	long connect_timeout; /* seconds, 0 = 10 */
	long timeout;	      /* seconds without progress, 0 = 60 */
	long max_time;	      /* seconds per call, 0 = none */
};

/* Sends msg (read from msg->src, which must produce CRLF text; it is
 * rewound first) to all msg->rcpts, in calls of at most 50 recipients.
 * Every recipient is given a result (MS_OK, MS_TEMP, MS_PERM) and a reply
 * ("250 Ok MESSAGEID" on success, else "ErrorName: message (request
 * REQUESTID)"); msg->health / hold_seconds / no_count say whether the
 * relay should be skipped for a while; msg->remote_id is the (first)
 * MessageId, msg->peer the API host. Credential errors invalidate cp and
 * retry once. Returns MS_OK when every recipient has a result; MS_TEMP
 * when the message could not be read or memory ran out; MS_PERM when
 * the message is larger than SES_API_MAX_SIZE (results are set too). */
enum ms_status ses_api_send(const struct ses_api_params *p,
    struct aws_creds_provider *cp, struct relay_msg *msg, struct ms_err *err);

struct ses_account {
	double max_24h;		     /* Max24HourSend, -1 = unlimited */
	double max_rate;	     /* MaxSendRate, recipients per second */
	double sent_24h;	     /* SentLast24Hours */
	bool production_access;	     /* false: sandbox in this region */
	bool sending_enabled;	     /* false: sending paused in this region */
	char enforcement_status[32]; /* HEALTHY, PROBATION, SHUTDOWN, "" */
};

/* GET /v2/email/account. MS_OK; MS_NOPERM when the credentials may not
 * call ses:GetAccount (SMTP-only users: say "quota unknown"); MS_CONFIG
 * for missing credentials or a bad endpoint; MS_TEMP otherwise. */
enum ms_status ses_api_get_account(const struct ses_api_params *p,
    struct aws_creds_provider *cp, struct ses_account *acct,
    struct ms_err *err);

struct ses_identity {
	bool verified_for_sending; /* VerifiedForSendingStatus */
	char type[32];		   /* DOMAIN, EMAIL_ADDRESS, MANAGED_DOMAIN */
	char status[32];	   /* VerificationStatus: SUCCESS, PENDING,
				      FAILED, TEMPORARY_FAILURE, NOT_STARTED */
	char dkim_status[32];	   /* DkimAttributes.Status or "" */
	char mail_from[256];	   /* MailFromAttributes.MailFromDomain */
	char mail_from_status[32]; /* MailFromAttributes.MailFromDomainStatus */
};

/* GET /v2/email/identities/DOMAIN, or for an address the first page of
 * ListEmailIdentities (no DKIM / MAIL FROM details then). MS_OK;
 * MS_NOUSER when it is not an identity in this region (404
 * NotFoundException); MS_NOPERM when ses:GetEmailIdentity is not
 * allowed; MS_CONFIG for missing credentials or a bad endpoint; MS_TEMP
 * otherwise. */
enum ms_status ses_api_get_identity(const struct ses_api_params *p,
    struct aws_creds_provider *cp, const char *identity,
    struct ses_identity *out, struct ms_err *err);

#endif
