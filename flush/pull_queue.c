/*
 * pull_queue.c - the SQS side of `mailshim pull` that is not the loop:
 *                the client for a queue URL (region, name, credentials)
 *                and what `mailshim check` shows of a queue (depth,
 *                redrive policy, the dead-letter queue's depth).
 *
 * API:    pull_client_init() (pull_priv.h), pull_inspect() (pull.h).
 * Errors: MS_CONFIG for a URL without a usable region or name; the SQS
 *         call's status otherwise.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws_sqs.h"
#include "pull_priv.h"

/* Region, queue name and the SQS client of o (provider in q->cp). */
enum ms_status
pull_client_init(const struct pull_opts *o, char *region, size_t rlen,
    char *name, size_t nlen, struct aws_sqs *q, struct ms_err *err)
{
	const char *env;

	if (o->region != NULL)
		ms_copy(region, rlen, o->region);
	else if (!aws_sqs_region_of(o->queue_url, region, rlen)) {
		if ((env = getenv("AWS_REGION")) == NULL || env[0] == '\0')
			env = getenv("AWS_DEFAULT_REGION");
		if (env == NULL || env[0] == '\0')
			return ms_err_set(err, MS_CONFIG,
			    "pull: no region in %s; give --region",
			    o->queue_url);
		ms_copy(region, rlen, env);
	}
	aws_sqs_name_of(o->queue_url, name, nlen);
	if (name[0] == '\0')
		return ms_err_set(err, MS_CONFIG, "pull: %s is not a queue URL",
		    o->queue_url);
	memset(q, 0, sizeof(*q));
	q->region = region;
	q->endpoint = o->endpoint;
	q->ca_file = o->ca_file;
	q->connect_timeout = 10;
	q->timeout = 30;
	return aws_creds_provider_new(&q->cp, o->credentials, 0, err);
}

static long
attr_long(json_t *attrs, const char *name)
{
	const char *v = json_string_value(json_object_get(attrs, name));

	return v != NULL ? strtol(v, NULL, 10) : -1;
}

enum ms_status
pull_inspect(
    const struct pull_opts *o, struct pull_report *rep, struct ms_err *err)
{
	static const char *const all[] = { "All", NULL };
	char region[AWS_SQS_REGION_MAX], url[AWS_SQS_URL_MAX];
	struct aws_sqs q;
	json_t *attrs = NULL, *rp = NULL, *dattrs = NULL, *mr;
	struct ms_err derr;
	enum ms_status st;
	const char *arn, *rps;

	memset(rep, 0, sizeof(*rep));
	memset(&q, 0, sizeof(q));
	rep->dlq_visible = -1;
	st = pull_client_init(
	    o, region, sizeof(region), rep->name, sizeof(rep->name), &q, err);
	if (st == MS_OK)
		st = aws_sqs_attributes(&q, o->queue_url, all, &attrs, err);
	if (st != MS_OK)
		goto out;
	rep->visible = attr_long(attrs, "ApproximateNumberOfMessages");
	rep->in_flight =
	    attr_long(attrs, "ApproximateNumberOfMessagesNotVisible");
	rep->retention = attr_long(attrs, "MessageRetentionPeriod");
	rep->max_size = attr_long(attrs, "MaximumMessageSize");
	rps = json_string_value(json_object_get(attrs, "RedrivePolicy"));
	rp = rps != NULL ? json_loads(rps, 0, NULL) : NULL;
	arn = json_string_value(json_object_get(rp, "deadLetterTargetArn"));
	if (arn == NULL)
		goto out;
	rep->redrive = true;
	mr = json_object_get(rp, "maxReceiveCount");
	rep->max_receive = json_is_integer(mr) ? (long)json_integer_value(mr)
	    : json_is_string(mr) ? strtol(json_string_value(mr), NULL, 10)
				 : 0;
	{
		/* arn:PARTITION:sqs:REGION:ACCOUNT:NAME */
		const char *f[6] = { arn };
		char account[32] = "";
		int n = 1;

		for (const char *c = arn; *c != '\0' && n < 6; c++)
			if (*c == ':')
				f[n++] = c + 1;
		if (n == 6) {
			ms_quote(
			    rep->dlq, sizeof(rep->dlq), f[5], strlen(f[5]));
			if ((size_t)(f[5] - f[4] - 1) < sizeof(account)) {
				memcpy(
				    account, f[4], (size_t)(f[5] - f[4] - 1));
				account[f[5] - f[4] - 1] = '\0';
			}
		}
		if (rep->dlq[0] == '\0' ||
		    aws_sqs_get_queue_url(&q, rep->dlq,
			account[0] ? account : NULL, url, sizeof(url),
			&derr) != MS_OK ||
		    aws_sqs_attributes(&q, url, all, &dattrs, &derr) != MS_OK)
			ms_copy(rep->dlq_error, sizeof(rep->dlq_error),
			    rep->dlq[0] ? derr.msg : "bad deadLetterTargetArn");
		else
			rep->dlq_visible =
			    attr_long(dattrs, "ApproximateNumberOfMessages");
	}
out:
	json_decref(attrs);
	json_decref(dattrs);
	json_decref(rp);
	aws_creds_provider_free(q.cp);
	return st;
}
