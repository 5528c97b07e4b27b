/*
 * conf.h - the configuration file (libconfuse), loaded once per program.
 *
 * API:    conf_load(), conf_free(), conf_relay_find(), conf_default_path().
 * Errors: MS_CONFIG with "FILE:LINE: problem" for anything wrong in the
 *         file; MS_CONFIG when a file named explicitly does not exist.
 * Trust:  the front end may only load the default path while set-gid;
 *         sendmail/main.c drops the group before loading another file.
 */
#ifndef MS_CONF_H
#define MS_CONF_H

#include <stdbool.h>

#include "ms.h"

enum relay_type { RELAY_MAILDIR, RELAY_SMTP, RELAY_SES, RELAY_SQS };
enum tls_mode { TLS_NONE, TLS_STARTTLS, TLS_IMPLICIT };
enum ses_transport { SES_SMTP, SES_API };
/* The fields of a from_parameter ticket, in parameter_keys order. */
enum conf_ticket_key {
	CONF_TICKET_HOST,
	CONF_TICKET_PORT,
	CONF_TICKET_USER,
	CONF_TICKET_PASS,
	CONF_TICKET_NKEYS
};
extern const char *const conf_ticket_fields[CONF_TICKET_NKEYS];

struct relay_conf {
	char *name;
	int line; /* where the section starts, for messages */
	enum relay_type type;

	/* maildir */
	char *path;

	/* smtp and ses (SMTP interface) */
	char *host; /* smtp: required; ses: derived from region */
	long port;  /* 0 = the type's default */
	enum tls_mode tls;
	bool tls_verify; /* false only when the operator says so */
	char *ca_file;
	char *tls_name; /* name the certificate must carry */
	char *tls_cert; /* client certificate (PEM path) or NULL */
	char *tls_key;	/* its private key: a secret source */
	char *username;
	char *password;	      /* a secret source: file:, env:, ... */
	char *from_parameter; /* smtp: secret source of a JSON ticket
				 with host, port, user and password */
	char *parameter_keys[CONF_TICKET_NKEYS]; /* the ticket's names for
				   host, port, user, pass (never NULL) */
	char *helo;		/* EHLO name; default: global hostname */
	char *auth;		/* NULL/"password" or "xoauth2" */
	char *oauth2_token_url; /* token endpoint (client credentials) */
	char *client_id;
	char *client_secret;	      /* a secret source */
	char *scope;		      /* OAuth2 scope(s), space-separated */
	char *oauth2_service_account; /* secret source: Google key JSON */
	char *oauth2_subject;	      /* JWT sub: the mailbox to send as */
	char *oauth2_token;	      /* secret source of a ready token */
	long connect_timeout;	      /* seconds */
	long timeout;		      /* seconds without progress (low speed) */
	long max_time;		 /* seconds for a whole transaction, 0 = none */
	char *proxy;		 /* http://, socks5h:// URL or NULL */
	long connections;	 /* parallel connections to this relay */
	long max_per_connection; /* messages before reconnecting */
	long max_recipients;	 /* per transaction, 0 = unlimited */
	long max_size;		 /* bytes, 0 = unlimited */
	double rate;		 /* recipients per second, 0 = unlimited,
				    < 0 = auto (ses api) */
	bool ipv6;		 /* allow IPv6 (default yes) */

	/* ses */
	char *region;
	char *endpoint;	   /* host (or URL for api) override */
	bool fips;	   /* FIPS hosts (email-smtp-fips, email-fips) */
	char *role_arn;	   /* AssumeRole with the credentials first (api) */
	char *external_id; /* ExternalId for role_arn or NULL */
	char *credentials; /* secret source for key id + secret */
	enum ses_transport transport;
	char *configuration_set;

	/* sqs (region and endpoint above are shared) */
	char *queue_url; /* https://sqs.REGION.amazonaws.com/ACCOUNT/NAME */
	char *queue;	 /* or a queue name, resolved with GetQueueUrl */
	char *s3_bucket; /* bodies too large for the queue go here */
	char *s3_prefix; /* key prefix in the bucket ("" = none) */
};

struct route_conf {
	char *name;
	int line;
	char **senders; /* patterns; none = matches everything */
	int nsenders;
	struct relay_conf **relays; /* in order: first, then failover */
	int nrelays;
	char *rewrite_sender; /* envelope sender for this route or NULL */
	bool rewrite_from;    /* also rewrite the header From */
	char **tags;	      /* "name=value" SES message tags */
	int ntags;
	char *configuration_set; /* overrides the relay's */
	char **users; /* user names or uids allowed; none = every user */
	int nusers;
	bool keep_ses_headers; /* ses_headers = "keep": the message's own
				  X-SES-* headers survive unless the route
				  sets that header itself */
};

/* A `pull "NAME" { ... }` block: an SQS queue `mailshim pull` drains. */
struct pull_conf {
	char *name;
	int line;
	char *queue_url;
	char *region;	   /* NULL: from the URL */
	char *endpoint;	   /* NULL: AWS_ENDPOINT_URL_SQS, ... */
	char *credentials; /* NULL: the AWS chain */
	char *ca_file;
	long visibility_timeout; /* seconds, 0 = the queue's */
	long max_records;	 /* hand-off records kept, 0 = default */
};

struct ms_conf {
	char *path; /* the file this came from (NULL: built-in) */
	char *spool;
	char *hostname;
	char *domain;
	char *aliases;		 /* path of the aliases file */
	char *catchall;		 /* local names with no alias go here */
	long max_message_size;	 /* bytes, front end refuses beyond */
	long smtpd_idle_timeout; /* -bs on a socket: seconds of silence */
	char *smtpd_users;	 /* -bs on a socket: AUTH PLAIN users */

	/* retry policy */
	long retry_first;      /* seconds */
	long retry_max;	       /* seconds */
	long give_up;	       /* seconds after arrival (or requeue) */
	long give_up_attempts; /* ... and at least this many tries */
	long secret_ttl;       /* seconds a secret read from AWS is reused */
	char *dead_notify;     /* address told about dead letters or NULL */
	long workers;	       /* parallel flusher workers */

	struct relay_conf *relays;
	int nrelays;
	struct route_conf *routes;
	int nroutes; /* the route named "default" comes last */
	struct pull_conf *pulls;
	int npulls;
};

/* The file used when neither -C nor MAILSHIM_CONFIG names one. */
const char *conf_default_path(void);

/* Loads path (NULL: the default path). A missing default file gives the
 * built-in setup (spool, hostname from the system, everything routed to
 * a capture Maildir, as the shipped sample does: nothing leaves the host
 * before an operator configures a relay). A missing file named
 * explicitly is an error. */
enum ms_status conf_load(struct ms_conf *conf, const char *path,
    bool explicit_path, struct ms_err *err);

void conf_free(struct ms_conf *conf);

struct relay_conf *
conf_relay_find(const struct ms_conf *conf, const char *name);

#endif
