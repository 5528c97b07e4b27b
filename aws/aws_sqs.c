/*
 * aws_sqs.c - Amazon SQS over the AWS JSON protocol: one signed POST per
 *             call through aws_request(), the answers read with jansson.
 *
 * API:    aws_sqs_call(), aws_sqs_get_queue_url(), aws_sqs_attributes(),
 *         aws_sqs_send(), aws_sqs_receive(), aws_sqs_delete_batch(),
 *         aws_sqs_region_of(), aws_sqs_name_of(), aws_sqs_md5_hex().
 *         Documented in aws_sqs.h.
 * Shapes: botocore data/sqs/2012-11-05/service-2.json (protocol "json",
 *         targetPrefix AmazonSQS, jsonVersion 1.0). Errors come as
 *         {"__type": "com.amazonaws.sqs#NAME", "message": ...}.
 * Trust:  flusher only. Bodies are never logged; service texts are quoted.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "aws_request.h"
#include "aws_sqs.h"
#include "log.h"

static const char *const throttle_names[] = { "ThrottlingException",
	"RequestThrottled", "KmsThrottled", "ServiceUnavailable",
	"InternalFailure", "InternalError", "OverLimit", NULL };

static const char *const denied_names[] = { "AccessDenied",
	"AccessDeniedException", "KmsAccessDenied", "KmsDisabled",
	"KmsNotFound", "KmsInvalidState", "KmsInvalidKeyUsage",
	"KmsOptInRequired", NULL };

static enum ms_status
classify(const struct aws_sqs_result *r)
{
	if (r->status >= 500 || r->status == 429 ||
	    aws_error_name_in(r->ae.name, throttle_names))
		return MS_TEMP;
	if (aws_error_is_auth(r->ae.name) ||
	    aws_error_name_in(r->ae.name, denied_names) || r->status == 401 ||
	    r->status == 403)
		return MS_NOPERM;
	return MS_PERM;
}

enum ms_status
aws_sqs_call(const struct aws_sqs *q, const char *action, json_t *req,
    long wait, size_t resp_max, json_t **out, struct aws_sqs_result *res,
    struct ms_err *err)
{
	struct aws_sqs_result local;
	struct aws_http_req hr;
	struct aws_http_resp resp;
	char url[AWS_SQS_URL_MAX + 8], target[96], rid[140];
	const struct aws_creds *c;
	enum ms_status st;
	char *body;

	if (res == NULL)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (out != NULL)
		*out = NULL;
	if ((st = aws_endpoint(url, sizeof(url) - 2, q->endpoint, "SQS", "sqs",
		 q->region, err)) != MS_OK)
		return st;
	memcpy(url + strlen(url), "/", 2); /* fits: two bytes were kept */
	snprintf(target, sizeof(target), "AmazonSQS.%s", action);
	if ((body = json_dumps(req, JSON_COMPACT)) == NULL)
		return ms_err_set(
		    err, MS_TEMP, "sqs: %s: out of memory", action);
	memset(&hr, 0, sizeof(hr));
	hr.method = "POST";
	hr.url = url;
	hr.region = q->region;
	hr.service = "sqs";
	hr.content_type = "application/x-amz-json-1.0";
	hr.target = target;
	hr.body = body;
	hr.body_len = strlen(body);
	hr.ca_file = q->ca_file;
	hr.proxy = q->proxy;
	hr.connect_timeout = q->connect_timeout;
	hr.timeout = (q->timeout > 0 ? q->timeout : 30) + wait;
	hr.max_time = q->max_time > 0 ? q->max_time + wait : 0;
	hr.resp_max = resp_max;
	for (int attempt = 0; attempt < 2; attempt++) {
		memset(&resp, 0, sizeof(resp));
		if ((st = aws_creds_get(
			 q->cp, (long long)time(NULL), &c, err)) != MS_OK) {
			res->creds_failed = true;
			st = MS_TEMP;
			break;
		}
		st = aws_request(&hr, c, &resp, err);
		res->reached = resp.reached;
		res->status = resp.status;
		ms_copy(
		    res->request_id, sizeof(res->request_id), resp.request_id);
		if (st != MS_OK) {
			st = st == MS_CONFIG ? MS_CONFIG : MS_TEMP;
			aws_resp_free(&resp);
			break;
		}
		if (resp.status >= 200 && resp.status < 300) {
			json_t *root = resp.body
			    ? json_loadb(resp.body, resp.body_len, 0, NULL)
			    : json_object();

			aws_resp_free(&resp);
			if (!json_is_object(root)) {
				json_decref(root);
				st = ms_err_set(err, MS_TEMP,
				    "sqs: %s: the answer is not a JSON "
				    "object",
				    action);
				break;
			}
			if (out != NULL)
				*out = root;
			else
				json_decref(root);
			st = MS_OK;
			break;
		}
		aws_error_parse(
		    resp.error_type, resp.body, resp.body_len, &res->ae);
		aws_resp_free(&resp);
		if (attempt == 0 && aws_error_is_auth(res->ae.name)) {
			log_verbose("sqs: %s from %s; refreshing credentials",
			    res->ae.name, url);
			aws_creds_invalidate(q->cp);
			continue;
		}
		ms_quote(
		    rid, sizeof(rid), res->request_id, strlen(res->request_id));
		st = ms_err_set(err, classify(res),
		    "sqs: %s answered %ld %s: %.200s (request %.100s)", action,
		    res->status, res->ae.name[0] ? res->ae.name : "error",
		    res->ae.message[0] ? res->ae.message : "no message",
		    rid[0] ? rid : "none");
		break;
	}
	free(body);
	return st;
}

enum ms_status
aws_sqs_get_queue_url(const struct aws_sqs *q, const char *name,
    const char *owner, char *url, size_t urllen, struct ms_err *err)
{
	json_t *req = json_pack("{s:s}", "QueueName", name), *out = NULL;
	enum ms_status st;
	const char *u;

	if (req == NULL)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	if (owner != NULL)
		json_object_set_new(
		    req, "QueueOwnerAWSAccountId", json_string(owner));
	st = aws_sqs_call(q, "GetQueueUrl", req, 0, 0, &out, NULL, err);
	json_decref(req);
	if (st != MS_OK)
		return st;
	u = json_string_value(json_object_get(out, "QueueUrl"));
	if (u == NULL || strlen(u) >= urllen)
		st = ms_err_set(err, MS_TEMP,
		    "sqs: GetQueueUrl answered without a usable QueueUrl");
	else
		ms_copy(url, urllen, u);
	json_decref(out);
	return st;
}

enum ms_status
aws_sqs_attributes(const struct aws_sqs *q, const char *url,
    const char *const *names, json_t **attrs, struct ms_err *err)
{
	json_t *req =
	    json_pack("{s:s,s:[]}", "QueueUrl", url, "AttributeNames");
	json_t *list, *out = NULL;
	enum ms_status st;

	*attrs = NULL;
	if (req == NULL)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	list = json_object_get(req, "AttributeNames");
	for (size_t i = 0; names[i] != NULL; i++)
		json_array_append_new(list, json_string(names[i]));
	st = aws_sqs_call(q, "GetQueueAttributes", req, 0, 0, &out, NULL, err);
	json_decref(req);
	if (st != MS_OK)
		return st;
	*attrs = json_object_get(out, "Attributes");
	if (!json_is_object(*attrs))
		*attrs = json_object();
	else
		json_incref(*attrs);
	json_decref(out);
	return MS_OK;
}

void
aws_sqs_md5_hex(const void *data, size_t len, char *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	out[0] = '\0';
	if (EVP_Digest(data, len, md, &n, EVP_md5(), NULL) != 1)
		return;
	for (unsigned int i = 0; i < n && i < 16; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

enum ms_status
aws_sqs_send(const struct aws_sqs *q, json_t *req, const char *body,
    char *msgid, size_t idlen, struct aws_sqs_result *res, struct ms_err *err)
{
	json_t *out = NULL;
	enum ms_status st;
	const char *md5, *id;
	char want[33];

	msgid[0] = '\0';
	st = aws_sqs_call(q, "SendMessage", req, 0, 0, &out, res, err);
	if (st != MS_OK)
		return st;
	md5 = json_string_value(json_object_get(out, "MD5OfMessageBody"));
	id = json_string_value(json_object_get(out, "MessageId"));
	aws_sqs_md5_hex(body, strlen(body), want);
	if (md5 == NULL || strcmp(md5, want) != 0)
		st = ms_err_set(err, MS_TEMP,
		    "sqs: SendMessage answered an MD5OfMessageBody that does "
		    "not match the body sent");
	else if (id == NULL)
		st = ms_err_set(
		    err, MS_TEMP, "sqs: SendMessage answered no MessageId");
	else
		ms_quote(msgid, idlen, id, strlen(id));
	json_decref(out);
	return st;
}

enum ms_status
aws_sqs_receive(const struct aws_sqs *q, const char *url, int max, int wait,
    int visibility, size_t resp_max, json_t **msgs, struct ms_err *err)
{
	json_t *req, *out = NULL;
	enum ms_status st;

	*msgs = NULL;
	if (max < 1 || max > AWS_SQS_BATCH)
		max = AWS_SQS_BATCH;
	if (wait < 0 || wait > AWS_SQS_MAX_WAIT)
		wait = AWS_SQS_MAX_WAIT;
	req = json_pack("{s:s,s:i,s:i,s:[s],s:[s]}", "QueueUrl", url,
	    "MaxNumberOfMessages", max, "WaitTimeSeconds", wait,
	    "AttributeNames", "All", "MessageAttributeNames", "All");
	if (req == NULL)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	if (visibility > 0)
		json_object_set_new(
		    req, "VisibilityTimeout", json_integer(visibility));
	st = aws_sqs_call(
	    q, "ReceiveMessage", req, wait, resp_max, &out, NULL, err);
	json_decref(req);
	if (st != MS_OK)
		return st;
	*msgs = json_object_get(out, "Messages");
	if (!json_is_array(*msgs))
		*msgs = json_array();
	else
		json_incref(*msgs);
	json_decref(out);
	return *msgs != NULL ? MS_OK
			     : ms_err_set(err, MS_TEMP, "sqs: out of memory");
}

enum ms_status
aws_sqs_delete_batch(const struct aws_sqs *q, const char *url,
    const char *const *handles, size_t n, bool *ok, struct ms_err *err)
{
	json_t *req, *entries, *out = NULL, *done;
	enum ms_status st;
	size_t i;
	json_t *e;

	for (i = 0; i < n; i++)
		ok[i] = false;
	if (n == 0)
		return MS_OK;
	if (n > AWS_SQS_BATCH)
		return ms_err_set(err, MS_SOFTWARE, "sqs: batch too large");
	req = json_pack("{s:s,s:[]}", "QueueUrl", url, "Entries");
	if (req == NULL)
		return ms_err_set(err, MS_TEMP, "sqs: out of memory");
	entries = json_object_get(req, "Entries");
	for (i = 0; i < n; i++) {
		char id[16];

		snprintf(id, sizeof(id), "m%zu", i);
		json_array_append_new(entries,
		    json_pack(
			"{s:s,s:s}", "Id", id, "ReceiptHandle", handles[i]));
	}
	st = aws_sqs_call(q, "DeleteMessageBatch", req, 0, 0, &out, NULL, err);
	json_decref(req);
	if (st != MS_OK)
		return st;
	done = json_object_get(out, "Successful");
	json_array_foreach(done, i, e)
	{
		const char *id = json_string_value(json_object_get(e, "Id"));
		char *end;
		unsigned long k;

		if (id == NULL || id[0] != 'm')
			continue;
		k = strtoul(id + 1, &end, 10);
		if (*end == '\0' && end != id + 1 && k < n)
			ok[k] = true;
	}
	json_decref(out);
	return MS_OK;
}

bool
aws_sqs_region_of(const char *url, char *region, size_t len)
{
	const char *h = strstr(url, "://"), *end, *dot, *want;
	size_t n;

	region[0] = '\0';
	h = h != NULL ? h + 3 : url;
	end = h + strcspn(h, "/:?#");
	want = ".queue.amazonaws.com";
	if (strncmp(h, "sqs.", 4) == 0) {
		h += 4;
		want = ".amazonaws.com";
	}
	dot = memchr(h, '.', (size_t)(end - h));
	if (dot == NULL || (size_t)(end - dot) < strlen(want) ||
	    strncmp(dot, want, strlen(want)) != 0)
		return false;
	n = (size_t)(dot - h);
	if (n == 0 || n >= len)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
			(h[i] >= '0' && h[i] <= '9') || h[i] == '-'))
			return false;
	memcpy(region, h, n);
	region[n] = '\0';
	return true;
}

void
aws_sqs_name_of(const char *url, char *name, size_t len)
{
	const char *h = strstr(url, "://"), *slash, *end;

	h = h != NULL ? h + 3 : url;
	end = h + strcspn(h, "?#");
	while (end > h && end[-1] == '/')
		end--;
	slash = end;
	while (slash > h && slash[-1] != '/')
		slash--;
	if (slash == h) {
		name[0] = '\0';
		return;
	}
	ms_quote(name, len, slash, (size_t)(end - slash));
}
