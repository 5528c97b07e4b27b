/*
 * ses_api_account.c - SES v2 GetAccount: the account's sending quota,
 *                     maximum rate, sandbox, sending and enforcement
 *                     status, for rate = "auto" and `mailshim check`.
 *
 * API:    ses_api_get_account() (ses_api.h).
 * Trust:  the answer is parsed as untrusted JSON: a field that is
 *         missing or of the wrong type reads as 0 or false; the
 *         enforcement status is quoted (ms_quote) before anyone prints
 *         it.
 * Errors: MS_CONFIG (endpoint), MS_NOPERM (IAM denied GetAccount),
 *         MS_TEMP (network, service, an answer that is not JSON).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws_error.h"
#include "aws_request.h"
#include "ses_api.h"
#include "ses_api_priv.h"

static double
num(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_number(v) ? json_number_value(v) : 0.0;
}

enum ms_status
ses_api_get_account(const struct ses_api_params *p,
    struct aws_creds_provider *cp, struct ses_account *acct, struct ms_err *err)
{
	char url[2048];
	struct aws_http_req req;
	struct aws_http_resp resp;
	struct aws_error ae;
	enum ms_status st;
	json_t *root = NULL, *q;
	const char *es;
	bool creds_failed;

	memset(acct, 0, sizeof(*acct));
	if ((st = ses_api_url(p, "/v2/email/account", url, sizeof(url), err)) !=
	    MS_OK)
		return st;
	ses_api_req_init(&req, p, "GET", url);
	if ((st = ses_api_call(&req, cp, &resp, &ae, &creds_failed, err)) !=
	    MS_OK) {
		if (resp.timed_out && !resp.reached) {
			char why[400];

			snprintf(why, sizeof(why), "%.399s", err->msg);
			ms_err_set(err, st,
			    "%s; no route to SES API; use SMTP "
			    "through the VPC endpoint",
			    why);
		}
		aws_resp_free(&resp);
		return st == MS_CONFIG ? MS_CONFIG : MS_TEMP;
	}
	if ((st = ses_api_answer("GetAccount", &resp, &ae, &root, err)) !=
	    MS_OK)
		goto out;
	q = json_object_get(root, "SendQuota");
	acct->max_24h = num(q, "Max24HourSend");
	acct->max_rate = num(q, "MaxSendRate");
	acct->sent_24h = num(q, "SentLast24Hours");
	acct->production_access =
	    json_is_true(json_object_get(root, "ProductionAccessEnabled"));
	acct->sending_enabled =
	    json_is_true(json_object_get(root, "SendingEnabled"));
	es = json_string_value(json_object_get(root, "EnforcementStatus"));
	if (es != NULL)
		ms_quote(acct->enforcement_status,
		    sizeof(acct->enforcement_status), es, strlen(es));
	st = MS_OK;
out:
	json_decref(root);
	aws_resp_free(&resp);
	return st;
}
