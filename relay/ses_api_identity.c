/*
 * ses_api_identity.c - SES v2 identities for `mailshim check`:
 *                      GetEmailIdentity for a domain, the first page of
 *                      ListEmailIdentities for an address.
 *
 * API:    ses_api_get_identity() (ses_api.h).
 * Why two calls: an address puts '%40' in the GetEmailIdentity path,
 *         and libcurl 7.88's SigV4 signs that path as it is while AWS
 *         (and botocore) encode it once more: the signature would never
 *         match. ListEmailIdentities has no such path.
 * Errors: as ses_api.h says.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws_error.h"
#include "aws_request.h"
#include "ses_api.h"
#include "ses_api_priv.h"

/* RFC 3986 percent-encoding of one path segment ('@' and all). */
static bool
path_escape(const char *in, char *out, size_t outlen)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;

	for (const unsigned char *c = (const unsigned char *)in; *c; c++) {
		if (n + 4 > outlen)
			return false;
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		    (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
		    *c == '.' || *c == '~') {
			out[n++] = (char)*c;
		} else {
			out[n++] = '%';
			out[n++] = hex[*c >> 4];
			out[n++] = hex[*c & 15];
		}
	}
	out[n] = '\0';
	return true;
}

static void
str_of(json_t *o, const char *key, char *out, size_t outlen)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (v != NULL)
		ms_quote(out, outlen, v, strlen(v));
	else
		out[0] = '\0';
}

/* An address identity: ListEmailIdentities (first page of 1000), since
 * libcurl 7.88's SigV4 does not encode the '%40' an address puts in the
 * GetEmailIdentity path the way AWS does (the signature would not match). */
static enum ms_status
list_identity(const struct ses_api_params *p, struct aws_creds_provider *cp,
    const char *identity, struct ses_identity *out, struct ms_err *err)
{
	char url[2048];
	struct aws_http_req req;
	struct aws_http_resp resp;
	struct aws_error ae;
	enum ms_status st;
	json_t *root = NULL, *list, *e;
	bool creds_failed;
	size_t i;

	if ((st = ses_api_url(p, "/v2/email/identities?PageSize=1000", url,
		 sizeof(url), err)) != MS_OK)
		return st;
	ses_api_req_init(&req, p, "GET", url);
	if ((st = ses_api_call(&req, cp, &resp, &ae, &creds_failed, err)) !=
	    MS_OK) {
		aws_resp_free(&resp);
		return st == MS_CONFIG ? MS_CONFIG : MS_TEMP;
	}
	if (resp.status >= 300) {
		st = ses_api_refused(
		    "ListEmailIdentities", resp.status, &ae, err);
		goto out;
	}
	root = resp.body ? json_loadb(resp.body, resp.body_len, 0, NULL) : NULL;
	list = json_object_get(root, "EmailIdentities");
	st = ms_err_set(err, MS_NOUSER, "not an SES identity");
	json_array_foreach(list, i, e)
	{
		const char *name =
		    json_string_value(json_object_get(e, "IdentityName"));

		if (name == NULL || strcasecmp(name, identity) != 0)
			continue;
		out->verified_for_sending =
		    json_is_true(json_object_get(e, "SendingEnabled"));
		str_of(e, "IdentityType", out->type, sizeof(out->type));
		str_of(
		    e, "VerificationStatus", out->status, sizeof(out->status));
		if (strcmp(out->status, "SUCCESS") != 0)
			out->verified_for_sending = false;
		st = MS_OK;
		break;
	}
	if (st == MS_NOUSER &&
	    json_string_value(json_object_get(root, "NextToken")) != NULL)
		st = ms_err_set(
		    err, MS_TEMP, "not among the first 1000 identities");
out:
	json_decref(root);
	aws_resp_free(&resp);
	return st;
}

enum ms_status
ses_api_get_identity(const struct ses_api_params *p,
    struct aws_creds_provider *cp, const char *identity,
    struct ses_identity *out, struct ms_err *err)
{
	char url[2048], path[700], esc[600];
	struct aws_http_req req;
	struct aws_http_resp resp;
	struct aws_error ae;
	enum ms_status st;
	json_t *root = NULL, *o;
	bool creds_failed;

	memset(out, 0, sizeof(*out));
	if (strchr(identity, '@') != NULL)
		return list_identity(p, cp, identity, out, err);
	if (!path_escape(identity, esc, sizeof(esc)))
		return ms_err_set(err, MS_CONFIG, "ses: identity too long");
	snprintf(path, sizeof(path), "/v2/email/identities/%s", esc);
	if ((st = ses_api_url(p, path, url, sizeof(url), err)) != MS_OK)
		return st;
	ses_api_req_init(&req, p, "GET", url);
	if ((st = ses_api_call(&req, cp, &resp, &ae, &creds_failed, err)) !=
	    MS_OK) {
		aws_resp_free(&resp);
		return st == MS_CONFIG ? MS_CONFIG : MS_TEMP;
	}
	if (resp.status == 404 || strcmp(ae.name, "NotFoundException") == 0) {
		st = MS_NOUSER;
		ms_err_set(err, MS_NOUSER, "not an SES identity");
		goto out;
	}
	if ((st = ses_api_answer("GetEmailIdentity", &resp, &ae, &root, err)) !=
	    MS_OK)
		goto out;
	out->verified_for_sending =
	    json_is_true(json_object_get(root, "VerifiedForSendingStatus"));
	str_of(root, "IdentityType", out->type, sizeof(out->type));
	str_of(root, "VerificationStatus", out->status, sizeof(out->status));
	o = json_object_get(root, "DkimAttributes");
	str_of(o, "Status", out->dkim_status, sizeof(out->dkim_status));
	o = json_object_get(root, "MailFromAttributes");
	str_of(o, "MailFromDomain", out->mail_from, sizeof(out->mail_from));
	str_of(o, "MailFromDomainStatus", out->mail_from_status,
	    sizeof(out->mail_from_status));
	st = MS_OK;
out:
	json_decref(root);
	aws_resp_free(&resp);
	return st;
}
