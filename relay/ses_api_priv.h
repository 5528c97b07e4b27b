/*
 * ses_api_priv.h - the pieces of ses_api.c its sibling files
 *                  (ses_api_account.c, ses_api_identity.c) share, and
 *                  SendEmail's request body (ses_api_body.c).
 *                  Internal to relay/.
 *
 * API:    ses_api_call(), ses_api_url(), ses_api_req_init(),
 *         ses_api_answer(), ses_api_refused(), ses_api_tail_build(),
 *         ses_api_b64_fill().
 */
#ifndef MS_SES_API_PRIV_H
#define MS_SES_API_PRIV_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "aws_error.h"
#include "aws_request.h"
#include "msgsource.h"
#include "ses_api.h"

/* SendEmail's body is SES_API_BODY_HEAD, the message in base64, then the
 * tail of one call: base64 needs no JSON escaping, so one encoding of the
 * message serves every batch of recipients. */
#define SES_API_BODY_HEAD "{\"Content\":{\"Raw\":{\"Data\":\""

/* One signed call; refreshes credentials once after an auth error.
 * MS_OK: resp holds an HTTP answer (ae parsed when status >= 300). */
enum ms_status ses_api_call(const struct aws_http_req *req,
    struct aws_creds_provider *cp, struct aws_http_resp *resp,
    struct aws_error *ae, bool *creds_failed, struct ms_err *err);

/* The endpoint (ses_api_params, AWS_ENDPOINT_URL_SESV2, FIPS) + path. */
enum ms_status ses_api_url(const struct ses_api_params *p, const char *path,
    char *url, size_t urllen, struct ms_err *err);

/* A request to url with p's CA file, proxy and timeouts. */
void ses_api_req_init(struct aws_http_req *req, const struct ses_api_params *p,
    const char *method, const char *url);

/* The JSON object of an answer to call ("GetAccount", ...): an error
 * status as ses_api_refused() says, MS_TEMP when the body is not a JSON
 * object. *root (NULL on failure, or json_decref'ed by the caller)
 * holds it. */
enum ms_status
ses_api_answer(const char *call, const struct aws_http_resp *resp,
    const struct aws_error *ae, json_t **root, struct ms_err *err);

/* An error answer (status >= 300) to call ("GetAccount", ...) as err's
 * sentence: MS_NOPERM when IAM denied the action, else MS_TEMP. */
enum ms_status ses_api_refused(const char *call, long status,
    const struct aws_error *ae, struct ms_err *err);

/* The JSON after the base64 data for recipients [from, to): closes
 * Content, then Destination and the optional fields. NULL when out of
 * memory; the caller frees. */
char *ses_api_tail_build(const struct ses_api_params *p,
    const struct relay_msg *msg, size_t from, size_t to);

/* Streams the message as base64 into out (exactly b64len bytes + NUL);
 * MS_TEMP when it cannot be read or changed size. */
enum ms_status ses_api_b64_fill(struct msg_source *src, off_t size, char *out,
    size_t b64len, struct ms_err *err);

#endif
