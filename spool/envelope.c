/*
 * envelope.c - the envelope block at the head of a spool file, as text
 *              (the state file's text is state_text.c).
 *
 * API:    env_*() (see envelope.h).
 * Trust:  the parser reads untrusted bytes: every line is bounded, every
 *         number range-checked, every string checked for controls.
 * Format: spool/README. One "key value" pair per line, LF-terminated;
 *         values never contain CR, LF or NUL (the writers refuse them).
 *         Addresses (from, rcpt) are percent-encoded since MAILSHIM-2,
 *         so that any address the front end accepts fits one word and
 *         reads back byte for byte; files in the older raw form are
 *         still read.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "spool_text.h"

static bool
text_safe(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '\n' || *s == '\r')
			return false;
	return true;
}

static enum ms_status
strv_push(char ***v, size_t *n, const char *s, size_t max, const char *what,
    struct ms_err *err)
{
	char **nv;
	char *copy;

	if (*n >= max)
		return ms_err_set(err, MS_DATA, "more than %zu %s", max, what);
	if ((copy = strdup(s)) == NULL ||
	    (nv = realloc(*v, (*n + 1) * sizeof(char *))) == NULL) {
		free(copy);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	nv[(*n)++] = copy;
	*v = nv;
	return MS_OK;
}

enum ms_status
env_add_rcpt(struct envelope *env, const char *addr, struct ms_err *err)
{
	if (!text_safe(addr))
		return ms_err_set(
		    err, MS_DATA, "recipient contains a line break");
	return strv_push(
	    &env->rcpts, &env->nrcpt, addr, ENV_MAX_RCPTS, "recipients", err);
}

enum ms_status
env_add_opt(struct envelope *env, const char *opt, struct ms_err *err)
{
	if (!text_safe(opt) || strchr(opt, '=') == NULL)
		return ms_err_set(err, MS_SOFTWARE, "bad envelope option");
	return strv_push(&env->opts, &env->nopt, opt, 64, "options", err);
}

const char *
env_opt(const struct envelope *env, const char *key)
{
	size_t klen = strlen(key);

	for (size_t i = 0; i < env->nopt; i++)
		if (strncmp(env->opts[i], key, klen) == 0 &&
		    env->opts[i][klen] == '=')
			return env->opts[i] + klen + 1;
	return NULL;
}

enum ms_status
env_format(
    const struct envelope *env, char **out, size_t *len, struct ms_err *err)
{
	struct tbuf b = { .max = ENV_MAX_SIZE };
	char num[32];

	if (env->sender == NULL || !text_safe(env->sender) ||
	    (env->user != NULL && !text_safe(env->user)))
		return ms_err_set(err, MS_SOFTWARE,
		    "envelope sender missing "
		    "or contains a line break");
	tbuf_add(&b, SPOOL_MAGIC "\n", strlen(SPOOL_MAGIC) + 1);
	tbuf_line(&b, "id", env->id);
	snprintf(num, sizeof(num), "%lld", env->arrival);
	tbuf_line(&b, "time", num);
	snprintf(num, sizeof(num), "%ld", env->uid);
	tbuf_line(&b, "uid", num);
	tbuf_line(&b, "user", env->user != NULL ? env->user : "");
	tbuf_add(&b, "from ", 5);
	tbuf_addr(&b, env->sender);
	tbuf_add(&b, "\n", 1);
	for (size_t i = 0; i < env->nrcpt; i++) {
		tbuf_add(&b, "rcpt ", 5);
		tbuf_addr(&b, env->rcpts[i]);
		tbuf_add(&b, "\n", 1);
	}
	for (size_t i = 0; i < env->nopt; i++)
		tbuf_line(&b, "opt", env->opts[i]);
	tbuf_add(&b, "\n", 1);
	return tbuf_take(&b, "envelope", out, len, err);
}

static enum ms_status
env_field(struct envelope *env, int version, const char *key, size_t klen,
    const char *v, size_t vlen, struct ms_err *err)
{
	long long num;
	char *s;
	enum ms_status st = MS_OK;

	if (text_key_is(key, klen, "id")) {
		if (vlen == 0 || vlen >= sizeof(env->id))
			return ms_err_set(err, MS_DATA, "bad id line");
		memcpy(env->id, v, vlen);
		env->id[vlen] = '\0';
		return MS_OK;
	}
	if (text_key_is(key, klen, "time") || text_key_is(key, klen, "uid")) {
		if (!text_parse_ll(v, vlen, &num) || num < 0)
			return ms_err_set(
			    err, MS_DATA, "bad %.*s line", (int)klen, key);
		if (key[0] == 't')
			env->arrival = num;
		else
			env->uid = (long)num;
		return MS_OK;
	}
	if (version >= 2 &&
	    (text_key_is(key, klen, "from") || text_key_is(key, klen, "rcpt")))
		s = text_addr_decode(v, vlen);
	else
		s = text_value_dup(v, vlen);
	if (s == NULL)
		return ms_err_set(
		    err, MS_DATA, "bad %.*s line", (int)klen, key);
	if (text_key_is(key, klen, "user")) {
		free(env->user);
		env->user = s;
		return MS_OK;
	}
	if (text_key_is(key, klen, "from")) {
		free(env->sender);
		env->sender = s;
		return MS_OK;
	}
	if (text_key_is(key, klen, "rcpt"))
		st = s[0] != '\0' ? env_add_rcpt(env, s, err)
				  : ms_err_set(err, MS_DATA, "empty rcpt line");
	else if (text_key_is(key, klen, "opt"))
		st = strchr(s, '=') != NULL
		    ? env_add_opt(env, s, err)
		    : ms_err_set(err, MS_DATA, "bad opt line");
	/* Unknown keys are skipped: a newer writer may add fields. */
	free(s);
	return st;
}

enum ms_status
env_parse(struct envelope *env, const char *buf, size_t len, size_t *consumed,
    struct ms_err *err)
{
	size_t pos, n, mlen = strlen(SPOOL_MAGIC);
	enum ms_status st;
	int version;

	memset(env, 0, sizeof(*env));
	if (len >= mlen + 1 && memcmp(buf, SPOOL_MAGIC "\n", mlen + 1) == 0)
		version = 2;
	else if (len >= mlen + 1 &&
	    memcmp(buf, SPOOL_MAGIC_V1 "\n", mlen + 1) == 0)
		version = 1; /* raw addresses */
	else
		return ms_err_set(err, MS_DATA, "not a mailshim spool file");
	for (pos = mlen + 1; pos < len; pos += n) {
		const char *key, *val;
		size_t klen, vlen;

		if (buf[pos] == '\n') {
			if (env->sender == NULL || env->id[0] == '\0' ||
			    env->nrcpt == 0) {
				env_free(env);
				return ms_err_set(err, MS_DATA,
				    "envelope lacks "
				    "id, sender or recipients");
			}
			*consumed = pos + 1;
			return MS_OK;
		}
		n = text_next_line(buf, len, pos, text_line_max(version), &key,
		    &klen, &val, &vlen);
		if (n == 0)
			break;
		st = env_field(env, version, key, klen, val, vlen, err);
		if (st != MS_OK) {
			env_free(env);
			return st;
		}
	}
	env_free(env);
	return ms_err_set(err, MS_DATA, "envelope is truncated");
}

void
env_free(struct envelope *env)
{
	for (size_t i = 0; i < env->nrcpt; i++)
		free(env->rcpts[i]);
	for (size_t i = 0; i < env->nopt; i++)
		free(env->opts[i]);
	free(env->rcpts);
	free(env->opts);
	free(env->user);
	free(env->sender);
	memset(env, 0, sizeof(*env));
}
