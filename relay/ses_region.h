/*
 * ses_region.h - SES regions, SMTP host names and the defaults an
 *                `type = "ses"` relay gets from its region.
 *
 * API:    ses_region_known(), ses_region_fips(), ses_region_check(),
 *         ses_smtp_host(), ses_smtp_settings().
 * Facts:  domain.md 1.1-1.4 and 3 (host names, ports, limits).
 *
 * Defaults of an ses relay (each may be overridden in the relay section):
 *   host       email-smtp.REGION.amazonaws.com (amazonaws.eu for eusc-*;
 *              email-smtp-fips.REGION... with `fips = true` or
 *              AWS_USE_FIPS_ENDPOINT=true, the certificate then naming
 *              that host)
 *   port       587, STARTTLS.  Ports 465 and 2465 are SES's implicit-TLS
 *              ports: with one of them and tls not set to "tls", the relay
 *              uses implicit TLS anyway (STARTTLS there can never work,
 *              and the config loader cannot tell "starttls" written from
 *              the default).  25, 587, 2587 use STARTTLS unless tls = "tls"
 *              is written.  tls = "none" is refused: SES wants TLS.
 *              Port 25 gets a warning (EC2 and Lambda throttle it).
 *   endpoint   when set (a VPC endpoint's DNS name, or an address), TCP
 *              goes there while the certificate must still name the
 *              regional host; tls_name overrides that name.
 *   limits     max_recipients 50, max_size 41943040 (40 MB),
 *              max_per_connection 100; larger configured values are
 *              lowered to SES's limits with a warning.
 */
#ifndef MS_SES_REGION_H
#define MS_SES_REGION_H

#include <stdbool.h>
#include <stddef.h>

#include "conf.h"
#include "ms.h"

#define SES_DEFAULT_PORT       587
#define SES_MAX_RECIPIENTS     50
#define SES_MAX_SIZE	       41943040L /* 40 MB, after MIME encoding */
#define SES_MAX_PER_CONNECTION 100
#define SES_HOST_MAX	       256

/* True when SES has FIPS endpoints in region (US, ca-central-1, GovCloud). */
bool ses_region_fips(const char *region);

/* True when region is in the built-in list (commercial, GovCloud, EUSC). */
bool ses_region_known(const char *region);

/* MS_CONFIG for a malformed region name or a China region (no SES
 * there); MS_OK otherwise, *known telling whether it is in the list. */
enum ms_status
ses_region_check(const char *region, bool *known, struct ms_err *err);

/* email-smtp[-fips].REGION.amazonaws.com (amazonaws.eu for eusc-*) into
 * buf. MS_CONFIG as ses_region_check, or when buf is too small. */
enum ms_status ses_smtp_host(
    const char *region, bool fips, char *buf, size_t len, struct ms_err *err);

/* What an ses relay connects to, after defaults. */
struct ses_smtp_settings {
	char host[SES_HOST_MAX];     /* where TCP goes */
	char tls_name[SES_HOST_MAX]; /* name the certificate must carry;
					"" when it is host itself */
	long port;
	enum tls_mode tls; /* TLS_STARTTLS or TLS_IMPLICIT */
	long max_recipients;
	long max_size;
	long max_per_connection;
	bool region_known;
	/* warnings for the caller to log once (NULL when none) */
	const char *warn[6];
	int nwarn;
};

/* Fills s from rc (a RELAY_SES conf). MS_CONFIG with the reason for a
 * China region, a bad endpoint or tls = "none". */
enum ms_status ses_smtp_settings(const struct relay_conf *rc,
    struct ses_smtp_settings *s, struct ms_err *err);

#endif
