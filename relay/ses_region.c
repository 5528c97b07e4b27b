/*
 * ses_region.c - the built-in SES region list, SMTP host names and the
 *                defaults of an ses relay (documented in ses_region.h).
 *
 * API:    ses_region_known(), ses_region_fips(), ses_region_check(),
 *         ses_smtp_host(), ses_smtp_settings().
 * Trust:  region and endpoint come from the root-owned config; they are
 *         still checked for a host-name alphabet before use in a URL.
 * Errors: MS_CONFIG with one sentence.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ses_region.h"

/* domain.md 1.4: SDK endpoint table, August 2026 snapshot. */
static const char *const ses_regions[] = {
	"us-east-1",
	"us-east-2",
	"us-west-1",
	"us-west-2",
	"ca-central-1",
	"ca-west-1",
	"sa-east-1",
	"eu-west-1",
	"eu-west-2",
	"eu-west-3",
	"eu-central-1",
	"eu-central-2",
	"eu-north-1",
	"eu-south-1",
	"af-south-1",
	"il-central-1",
	"me-central-1",
	"me-south-1",
	"ap-south-1",
	"ap-south-2",
	"ap-northeast-1",
	"ap-northeast-2",
	"ap-northeast-3",
	"ap-southeast-1",
	"ap-southeast-2",
	"ap-southeast-3",
	"ap-southeast-5",
	"us-gov-west-1",
	"us-gov-east-1",
	"eusc-de-east-1",
};

/* domain.md 1.1/1.4: FIPS hosts (SMTP email-smtp-fips, API email-fips). */
static const char *const ses_fips_regions[] = {
	"us-east-1",
	"us-east-2",
	"us-west-1",
	"us-west-2",
	"ca-central-1",
	"us-gov-west-1",
	"us-gov-east-1",
};

bool
ses_region_fips(const char *region)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(ses_fips_regions); i++)
		if (strcmp(region, ses_fips_regions[i]) == 0)
			return true;
	return false;
}

bool
ses_region_known(const char *region)
{
	for (size_t i = 0; i < MS_ARRAY_LEN(ses_regions); i++)
		if (strcmp(region, ses_regions[i]) == 0)
			return true;
	return false;
}

/* Lower-case letters, digits and inner hyphens only: it goes into a DNS
 * name and a SigV4 scope. */
static bool
region_wellformed(const char *r)
{
	size_t n = strlen(r);

	if (n == 0 || n > 32 || r[0] == '-' || r[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((r[i] >= 'a' && r[i] <= 'z') ||
			(r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
			return false;
	return true;
}

enum ms_status
ses_region_check(const char *region, bool *known, struct ms_err *err)
{
	char q[64];

	*known = false;
	if (region == NULL || !region_wellformed(region))
		return ms_err_set(err, MS_CONFIG,
		    "\"%s\" is not an AWS region "
		    "name (like eu-west-1)",
		    region == NULL
			? ""
			: ms_quote(q, sizeof(q), region, strlen(region)));
	if (strncmp(region, "cn-", 3) == 0)
		return ms_err_set(err, MS_CONFIG,
		    "SES is not available in "
		    "China (%s); route this mail through an smtp relay",
		    region);
	*known = ses_region_known(region);
	return MS_OK;
}

enum ms_status
ses_smtp_host(
    const char *region, bool fips, char *buf, size_t len, struct ms_err *err)
{
	enum ms_status st;
	bool known;
	int n;

	st = ses_region_check(region, &known, err);
	if (st != MS_OK)
		return st;
	n = snprintf(buf, len, "email-smtp%s.%s.%s", fips ? "-fips" : "",
	    region,
	    strncmp(region, "eusc-", 5) == 0 ? "amazonaws.eu"
					     : "amazonaws.com");
	if (n < 0 || (size_t)n >= len)
		return ms_err_set(err, MS_CONFIG,
		    "SES host name for region %s "
		    "is too long",
		    region);
	return MS_OK;
}

/* A host name, an IPv4 address or a bracketed IPv6 address. */
static bool
host_wellformed(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n >= SES_HOST_MAX)
		return false;
	if (h[0] == '[')
		return h[n - 1] == ']' &&
		    strspn(h + 1, "0123456789abcdefABCDEF:.") == n - 2;
	return strspn(h,
		   "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		   "0123456789.-") == n &&
	    h[0] != '-' && h[0] != '.';
}

static void
warn_add(struct ses_smtp_settings *s, const char *w)
{
	if (s->nwarn < (int)MS_ARRAY_LEN(s->warn))
		s->warn[s->nwarn++] = w;
}

static long
limit(struct ses_smtp_settings *s, long configured, long ses_max, const char *w)
{
	if (configured <= 0)
		return ses_max;
	if (configured > ses_max) {
		warn_add(s, w);
		return ses_max;
	}
	return configured;
}

enum ms_status
ses_smtp_settings(const struct relay_conf *rc, struct ses_smtp_settings *s,
    struct ms_err *err)
{
	char regional[SES_HOST_MAX];
	enum ms_status st;

	memset(s, 0, sizeof(*s));
	st = ses_region_check(rc->region, &s->region_known, err);
	if (st != MS_OK)
		return st;
	if (!s->region_known)
		warn_add(s,
		    "region is not in mailshim's list of SES regions; "
		    "using its email-smtp host name anyway");
	{
		const char *envf = getenv("AWS_USE_FIPS_ENDPOINT");
		bool fips =
		    rc->fips || (envf != NULL && strcasecmp(envf, "true") == 0);

		st = ses_smtp_host(
		    rc->region, fips, regional, sizeof(regional), err);
		if (st != MS_OK)
			return st;
		if (fips && !ses_region_fips(rc->region))
			warn_add(s,
			    "no SES FIPS endpoint is known in this region; "
			    "using its email-smtp-fips host name anyway");
	}

	/* "host" in an ses relay means the same as "endpoint". */
	{
		const char *ep = rc->endpoint != NULL ? rc->endpoint : rc->host;

		if (ep != NULL) {
			if (!host_wellformed(ep))
				return ms_err_set(err, MS_CONFIG,
				    "ses relay "
				    "\"%s\": endpoint must be a host name or "
				    "address (no scheme, no port)",
				    rc->name);
			snprintf(s->host, sizeof(s->host), "%s", ep);
			snprintf(s->tls_name, sizeof(s->tls_name), "%s",
			    rc->tls_name != NULL ? rc->tls_name : regional);
		} else {
			snprintf(s->host, sizeof(s->host), "%s", regional);
			if (rc->tls_name != NULL)
				snprintf(s->tls_name, sizeof(s->tls_name), "%s",
				    rc->tls_name);
		}
	}
	if (strlen(s->tls_name) >= SES_HOST_MAX - 1 ||
	    (s->tls_name[0] != '\0' && !host_wellformed(s->tls_name)))
		return ms_err_set(err, MS_CONFIG,
		    "ses relay \"%s\": tls_name "
		    "is not a host name",
		    rc->name);

	s->port = rc->port > 0 ? rc->port : SES_DEFAULT_PORT;
	switch (rc->tls) {
	case TLS_NONE:
		return ms_err_set(err, MS_CONFIG,
		    "ses relay \"%s\": SES "
		    "refuses unencrypted SMTP; use tls = \"starttls\" (ports "
		    "587, 2587) or \"tls\" (465, 2465)",
		    rc->name);
	case TLS_IMPLICIT: s->tls = TLS_IMPLICIT; break;
	case TLS_STARTTLS:
		s->tls = (s->port == 465 || s->port == 2465) ? TLS_IMPLICIT
							     : TLS_STARTTLS;
		break;
	}
	if (s->port == 25)
		warn_add(s,
		    "port 25 is throttled on EC2 and Lambda; use 587 "
		    "or 2587");
	s->max_recipients = limit(s, rc->max_recipients, SES_MAX_RECIPIENTS,
	    "max_recipients lowered to SES's 50");
	s->max_size = limit(
	    s, rc->max_size, SES_MAX_SIZE, "max_size lowered to SES's 40 MB");
	s->max_per_connection = rc->max_per_connection > 0
	    ? rc->max_per_connection
	    : SES_MAX_PER_CONNECTION;
	return MS_OK;
}
