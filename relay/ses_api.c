/*
 * ses_api.c - SES v2 SendEmail (raw content) over HTTPS, signed with
 *             SigV4 (signing name "ses"), and the calls its siblings share.
 *
 * API:    ses_api_send() (ses_api.h); ses_api_call(), ses_api_url(),
 *         ses_api_req_init(), ses_api_answer(), ses_api_refused()
 *         (ses_api_priv.h).
 *         GetAccount is in ses_api_account.c, GetEmailIdentity in
 *         ses_api_identity.c, SendEmail's request body in
 *         ses_api_body.c.
 * Trust:  flusher only. The message is never logged; replies quote the
 *         service's text (at most 200 bytes, control bytes replaced).
 * Errors: returns an ms_status; the reason goes into the caller's ms_err;
 *         per-recipient outcomes go into msg->rcpts.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "aws_error.h"
#include "ses_api_error.h"
#include "aws_request.h"
#include "log.h"
#include "msgsource.h"
#include "ses_api.h"
#include "ses_api_priv.h"

/* One signed call; refreshes credentials once after an auth error.
 * MS_OK: resp holds an HTTP answer (ae parsed when status >= 300).
 * Other statuses: credentials or transport failure (resp may still
 * say how far it got). */
enum ms_status
ses_api_call(const struct aws_http_req *req, struct aws_creds_provider *cp,
    struct aws_http_resp *resp, struct aws_error *ae, bool *creds_failed,
    struct ms_err *err)
{
	const struct aws_creds *c;
	enum ms_status st = MS_TEMP;

	memset(ae, 0, sizeof(*ae));
	memset(resp, 0, sizeof(*resp));
	*creds_failed = false;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((st = aws_creds_get(cp, (long long)time(NULL), &c, err)) !=
		    MS_OK) {
			*creds_failed = true;
			return st;
		}
		if ((st = aws_request(req, c, resp, err)) != MS_OK)
			return st;
		if (resp->status < 300)
			return MS_OK;
		aws_error_parse(
		    resp->error_type, resp->body, resp->body_len, ae);
		if (attempt == 0 && aws_error_is_auth(ae->name)) {
			log_verbose("aws: %s from %s; refreshing credentials",
			    ae->name, req->url);
			aws_creds_invalidate(cp);
			aws_resp_free(resp);
			continue;
		}
		return MS_OK;
	}
	return st;
}

enum ms_status
ses_api_url(const struct ses_api_params *p, const char *path, char *url,
    size_t urllen, struct ms_err *err)
{
	enum ms_status st;
	size_t n;

	const char *ep = p->endpoint, *legacy = getenv("AWS_ENDPOINT_URL_SES");
	const char *v2 = getenv("AWS_ENDPOINT_URL_SESV2");

	/* SESV2 is the SDKs' variable for this API; mailshim read _SES
	 * before, so it still counts when SESV2 is not set. */
	if ((ep == NULL || ep[0] == '\0') && (v2 == NULL || v2[0] == '\0') &&
	    legacy != NULL && legacy[0] != '\0')
		ep = legacy;
	if ((st = aws_endpoint_fips(url, urllen, ep, "SESV2", "email",
		 p->region, p->fips || aws_use_fips(), err)) != MS_OK)
		return st;
	n = strlen(url);
	if (n + strlen(path) + 1 > urllen)
		return ms_err_set(err, MS_CONFIG, "ses: endpoint too long");
	memcpy(url + n, path, strlen(path) + 1);
	return MS_OK;
}

void
ses_api_req_init(struct aws_http_req *req, const struct ses_api_params *p,
    const char *method, const char *url)
{
	memset(req, 0, sizeof(*req));
	req->method = method;
	req->url = url;
	req->region = p->region;
	req->service = "ses";
	req->ca_file = p->ca_file;
	req->proxy = p->proxy;
	req->connect_timeout = p->connect_timeout;
	req->timeout = p->timeout > 0 ? p->timeout : 60;
	req->max_time = p->max_time;
}

static void
results_set(struct relay_msg *msg, size_t from, size_t to, enum ms_status st,
    const char *reply)
{
	for (size_t i = from; i < to; i++) {
		msg->rcpts[i].result = st;
		snprintf(msg->rcpts[i].reply, sizeof(msg->rcpts[i].reply),
		    "%.*s", (int)sizeof(msg->rcpts[i].reply) - 1, reply);
	}
}

static void
health_merge(struct relay_msg *msg, const struct ses_outcome *o)
{
	if (o->health > msg->health)
		msg->health = o->health;
	if (o->health != RELAY_FINE && o->hold_seconds > msg->hold_seconds)
		msg->hold_seconds = o->hold_seconds;
	if (o->status != MS_OK && o->no_count)
		msg->no_count = true;
}

/* A 2xx answer to SendEmail. SES's is always a JSON object (with the
 * MessageId, which its model leaves optional). Any other body came from
 * something that is not SES (a proxy's or captive portal's page, a wrong
 * endpoint): the message was not sent, so it is classified as if SES was
 * never reached (temp, relay failed: failover), never as delivered. */
static void
read_accepted(const struct aws_http_resp *resp, const struct aws_error *ae,
    struct relay_msg *msg, struct ses_outcome *o, char *reply, size_t len)
{
	struct ms_err jerr;
	json_t *root;
	const char *mid, *hint;
	char id[128] = "";

	if (ses_api_answer("SendEmail", resp, ae, &root, &jerr) != MS_OK) {
		ses_transport_classify(true, false, o, &hint);
		snprintf(reply, len,
		    "%.400s (HTTP %ld): not from SES, message not sent (check "
		    "the "
		    "relay's endpoint)",
		    jerr.msg, resp->status);
		json_decref(root);
		return;
	}
	ses_error_classify(resp->status, NULL, NULL, o);
	if ((mid = json_string_value(json_object_get(root, "MessageId"))) !=
	    NULL)
		ms_quote(id, sizeof(id), mid, strlen(mid));
	json_decref(root);
	snprintf(reply, len, "Ok %s%s%s", id[0] ? id : "(no MessageId)",
	    resp->request_id[0] ? " request " : "", resp->request_id);
	if (msg->remote_id[0] == '\0')
		snprintf(msg->remote_id, sizeof(msg->remote_id), "%s", id);
}

/* One SendEmail call for rcpts [from, to) with body already complete.
 * Sets their results and merges the relay's health. Returns true when
 * SES answered that the sending rate was exceeded. */
static bool
send_batch(const struct ses_api_params *p, struct aws_creds_provider *cp,
    struct relay_msg *msg, const struct aws_http_req *req, size_t from,
    size_t to)
{
	struct aws_http_resp resp;
	struct aws_error ae;
	struct ses_outcome o;
	struct ms_err cerr = { "" };
	char reply[RELAY_REPLY_MAX];
	const char *hint;
	enum ms_status st;
	bool creds_failed;

	(void)p;
	st = ses_api_call(req, cp, &resp, &ae, &creds_failed, &cerr);
	if (st != MS_OK && creds_failed) {
		ses_error_classify(403, "UnrecognizedClientException", "", &o);
		snprintf(reply, sizeof(reply), "no AWS credentials: %.400s",
		    cerr.msg);
	} else if (st != MS_OK) {
		ses_transport_classify(resp.reached, resp.timed_out, &o, &hint);
		if (st == MS_CONFIG) {
			o.health = RELAY_HOLD;
			o.hold_seconds = SES_API_HOLD_CONFIG;
		}
		snprintf(reply, sizeof(reply), "%.400s%s%s", cerr.msg,
		    hint ? "; " : "", hint ? hint : "");
	} else if (resp.status < 300) {
		read_accepted(&resp, &ae, msg, &o, reply, sizeof(reply));
	} else {
		char rid[140];

		ms_quote(
		    rid, sizeof(rid), resp.request_id, strlen(resp.request_id));
		ses_error_classify(resp.status, ae.name, ae.message, &o);
		snprintf(reply, sizeof(reply),
		    "%ld %s: %.200s (%s; request %.100s)", resp.status,
		    ae.name[0] ? ae.name : "error",
		    ae.message[0] ? ae.message : "no message", o.why,
		    rid[0] ? rid : "none");
	}
	aws_resp_free(&resp);
	results_set(msg, from, to, o.status, reply);
	health_merge(msg, &o);
	log_verbose("ses: %s: %zu recipient(s): %s", msg->qid ? msg->qid : "-",
	    to - from, reply);
	return o.throttled;
}

/* Waits until recipients [from, to) may go. False (and the rest of the
 * message left "not attempted", uncounted) when pacing refuses. */
static bool
paced(const struct ses_api_params *p, struct relay_msg *msg, size_t from,
    size_t to)
{
	struct ms_err perr = { "" };
	char reply[RELAY_REPLY_MAX];

	if (p->pace == NULL ||
	    p->pace(p->pace_arg, (unsigned)(to - from), &perr) == MS_OK)
		return true;
	snprintf(reply, sizeof(reply), "not attempted: %.400s", perr.msg);
	results_set(msg, from, msg->nrcpt, MS_TEMP, reply);
	msg->no_count = true;
	return false;
}

enum ms_status
ses_api_send(const struct ses_api_params *p, struct aws_creds_provider *cp,
    struct relay_msg *msg, struct ms_err *err)
{
	char url[2048], **tails = NULL, *body = NULL;
	size_t nbatch, headlen = sizeof(SES_API_BODY_HEAD) - 1, b64len,
		       maxtail = 0;
	struct aws_http_req req;
	enum ms_status st = MS_OK;
	off_t size;

	msg->health = RELAY_FINE;
	msg->hold_seconds = 0;
	msg->no_count = false;
	msg->remote_id[0] = '\0';
	if (msg->nrcpt == 0)
		return MS_OK;
	if ((st = ses_api_url(p, "/v2/email/outbound-emails", url, sizeof(url),
		 err)) != MS_OK) {
		results_set(msg, 0, msg->nrcpt, MS_TEMP, err->msg);
		msg->health = RELAY_HOLD;
		msg->hold_seconds = SES_API_HOLD_CONFIG;
		return MS_OK;
	}
	aws_url_host(url, msg->peer, sizeof(msg->peer));
	msg_source_rewind(msg->src);
	if ((size = msg_source_size(msg->src)) < 0)
		return ms_err_set(err, MS_TEMP,
		    "ses: cannot read the message: "
		    "%s",
		    strerror(errno));
	if (size > SES_API_MAX_SIZE) {
		char reply[160];

		snprintf(reply, sizeof(reply),
		    "message too large for SES: "
		    "%lld bytes > %ld",
		    (long long)size, SES_API_MAX_SIZE);
		results_set(msg, 0, msg->nrcpt, MS_PERM, reply);
		return ms_err_set(err, MS_PERM, "ses: %s", reply);
	}
	nbatch = (msg->nrcpt + SES_API_MAX_RCPT - 1) / SES_API_MAX_RCPT;
	if ((tails = calloc(nbatch, sizeof(*tails))) == NULL) {
		st = ms_err_set(err, MS_TEMP, "ses: out of memory");
		goto out;
	}
	for (size_t b = 0; b < nbatch; b++) {
		size_t to = (b + 1) * SES_API_MAX_RCPT;

		tails[b] = ses_api_tail_build(p, msg, b * SES_API_MAX_RCPT,
		    to < msg->nrcpt ? to : msg->nrcpt);
		if (tails[b] == NULL) {
			st = ms_err_set(err, MS_TEMP,
			    "ses: cannot build the request (out of memory?)");
			goto out;
		}
		if (strlen(tails[b]) > maxtail)
			maxtail = strlen(tails[b]);
	}
	b64len = 4 * (((size_t)size + 2) / 3);
	if ((body = malloc(headlen + b64len + maxtail + 1)) == NULL) {
		st = ms_err_set(err, MS_TEMP,
		    "ses: out of memory for a %lld "
		    "byte message",
		    (long long)size);
		goto out;
	}
	memcpy(body, SES_API_BODY_HEAD, headlen);
	if ((st = ses_api_b64_fill(
		 msg->src, size, body + headlen, b64len, err)) != MS_OK)
		goto out;
	ses_api_req_init(&req, p, "POST", url);
	req.content_type = "application/json";
	req.body = body;
	for (size_t b = 0; b < nbatch; b++) {
		size_t from = b * SES_API_MAX_RCPT,
		       to = from + SES_API_MAX_RCPT;
		size_t tl = strlen(tails[b]);

		if (to > msg->nrcpt)
			to = msg->nrcpt;
		if (msg->health != RELAY_FINE) {
			/* The relay failed for an earlier batch: do not
			 * hammer it; these recipients wait like those. */
			results_set(
			    msg, from, to, MS_TEMP, msg->rcpts[from - 1].reply);
			continue;
		}
		memcpy(body + headlen + b64len, tails[b], tl + 1);
		req.body_len = headlen + b64len + tl;
		if (!paced(p, msg, from, to))
			break;
		if (send_batch(p, cp, msg, &req, from, to) && p->slow != NULL) {
			/* Throttled: slow the relay, wait for the slower
			 * rate, and try this call once more. */
			p->slow(p->pace_arg);
			if (!paced(p, msg, from, to))
				break;
			send_batch(p, cp, msg, &req, from, to);
		}
		if (msg->health == RELAY_FINE && to < msg->nrcpt &&
		    relay_committed(msg, from, to - from, err) != MS_OK) {
			results_set(msg, to, msg->nrcpt, MS_TEMP, err->msg);
			msg->no_count = true;
			break;
		}
	}
	st = MS_OK;
out:
	if (st != MS_OK && st != MS_PERM)
		results_set(msg, 0, msg->nrcpt, st, err->msg);
	for (size_t b = 0; tails != NULL && b < nbatch; b++)
		free(tails[b]);
	free(tails);
	free(body);
	return st;
}

enum ms_status
ses_api_answer(const char *call, const struct aws_http_resp *resp,
    const struct aws_error *ae, json_t **root, struct ms_err *err)
{
	*root = NULL;
	if (resp->status >= 300)
		return ses_api_refused(call, resp->status, ae, err);
	if (resp->body != NULL)
		*root = json_loadb(resp->body, resp->body_len, 0, NULL);
	if (!json_is_object(*root))
		return ms_err_set(
		    err, MS_TEMP, "ses: %s answer is not a JSON object", call);
	return MS_OK;
}

enum ms_status
ses_api_refused(const char *call, long status, const struct aws_error *ae,
    struct ms_err *err)
{
	bool denied = strcmp(ae->name, "AccessDeniedException") == 0 ||
	    strcmp(ae->name, "AccessDenied") == 0;

	return ms_err_set(err, denied ? MS_NOPERM : MS_TEMP,
	    "ses: %s answered %ld %s: %s", call, status,
	    ae->name[0] ? ae->name : "error", ae->message);
}
