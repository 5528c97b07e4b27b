/*
 * ses_api_body.c - SendEmail's request body (raw content): the message
 *                  base64-encoded straight from the spool, between
 *                  SES_API_BODY_HEAD and the JSON tail of one call
 *                  (Destination, FromEmailAddress, configuration set,
 *                  feedback address, tags).
 *
 * API:    ses_api_tail_build(), ses_api_b64_fill() (ses_api_priv.h).
 * Trust:  flusher only; the message bytes are only encoded, never
 *         parsed. A tag without name=value is logged and left out.
 * Errors: NULL (out of memory) or an ms_status with the reason in err.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "log.h"
#include "msgsource.h"
#include "ses_api_priv.h"

#define B64_CHUNK (3 * 16384) /* bytes read per base64 step */

/* The JSON after the base64 data for recipients [from, to): closes
 * Content, then Destination and the optional fields. Caller frees. */
char *
ses_api_tail_build(const struct ses_api_params *p, const struct relay_msg *msg,
    size_t from, size_t to)
{
	json_t *o = json_object(), *dest = json_object(), *to_a = json_array();
	json_t *tags = NULL;
	char *dump = NULL, *tail = NULL;
	size_t n;

	if (o == NULL || dest == NULL || to_a == NULL)
		goto out;
	for (size_t i = from; i < to; i++)
		if (json_array_append_new(
			to_a, json_string(msg->rcpts[i].addr)))
			goto out;
	if (json_object_set_new(dest, "ToAddresses", to_a) != 0) {
		to_a = NULL;
		goto out;
	}
	to_a = NULL;
	if (json_object_set_new(o, "Destination", dest) != 0) {
		dest = NULL;
		goto out;
	}
	dest = NULL;
	if (p->from != NULL && p->from[0] != '\0')
		json_object_set_new(
		    o, "FromEmailAddress", json_string(p->from));
	if (msg->config_set != NULL && msg->config_set[0] != '\0')
		json_object_set_new(
		    o, "ConfigurationSetName", json_string(msg->config_set));
	if (msg->sender != NULL && msg->sender[0] != '\0')
		json_object_set_new(o, "FeedbackForwardingEmailAddress",
		    json_string(msg->sender));
	for (size_t i = 0; msg->tags != NULL && msg->tags[i] != NULL; i++) {
		const char *t = msg->tags[i], *eq = strchr(t, '=');
		json_t *tag;

		if (eq == NULL || eq == t) {
			log_msg(LOG_WARNING,
			    "ses: ignoring tag without "
			    "name=value");
			continue;
		}
		if (tags == NULL && (tags = json_array()) == NULL)
			goto out;
		tag = json_pack(
		    "{s:s%,s:s}", "Name", t, (size_t)(eq - t), "Value", eq + 1);
		if (tag == NULL || json_array_append_new(tags, tag) != 0)
			goto out;
	}
	if (tags != NULL) {
		json_object_set_new(o, "EmailTags", tags);
		tags = NULL;
	}
	/* Base64 needs no escaping, so the text is spliced: HEAD DATA TAIL,
	 * TAIL = "}}, + the rest of this object without its '{'. */
	if ((dump = json_dumps(o, JSON_COMPACT)) == NULL || dump[0] != '{')
		goto out;
	n = strlen(dump);
	if ((tail = malloc(n + 4)) == NULL)
		goto out;
	memcpy(tail, "\"}},", 4);
	memcpy(tail + 4, dump + 1, n); /* includes the NUL */
out:
	free(dump);
	json_decref(tags);
	json_decref(to_a);
	json_decref(dest);
	json_decref(o);
	return tail;
}

/* Streams the message as base64 into out (exactly b64len bytes + NUL). */
enum ms_status
ses_api_b64_fill(struct msg_source *src, off_t size, char *out, size_t b64len,
    struct ms_err *err)
{
	unsigned char *buf;
	size_t have = 0, done = 0;
	off_t total = 0;
	ssize_t n;
	int w;

	if ((buf = malloc(B64_CHUNK)) == NULL)
		return ms_err_set(err, MS_TEMP, "ses: out of memory");
	msg_source_rewind(src);
	for (;;) {
		n = msg_source_read(src, (char *)buf + have, B64_CHUNK - have);
		if (n < 0) {
			int e = errno;

			free(buf);
			return ms_err_set(err, MS_TEMP,
			    "ses: cannot read the message: %s", strerror(e));
		}
		total += n;
		have += (size_t)n;
		if (n > 0 && have < B64_CHUNK)
			continue;
		if (n == 0 || have == B64_CHUNK) {
			size_t whole = n == 0 ? have : have - have % 3;

			if (total > size ||
			    done + 4 * ((whole + 2) / 3) > b64len)
				break;
			w = EVP_EncodeBlock(
			    (unsigned char *)out + done, buf, (int)whole);
			done += (size_t)w;
			memmove(buf, buf + whole, have - whole);
			have -= whole;
		}
		if (n == 0)
			break;
	}
	free(buf);
	if (total != size || done != b64len)
		return ms_err_set(err, MS_TEMP,
		    "ses: the message changed size while being read");
	return MS_OK;
}
