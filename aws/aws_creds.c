/*
 * aws_creds.c - AWS signing credentials: environment, shared files,
 *               explicit files, container endpoint (ECS / EKS Pod
 *               Identity), EC2 instance metadata (IMDSv2); a caching
 *               provider that refreshes before expiry.
 *
 * API:    see aws_creds.h.
 * Trust:  flusher only. Reads the AWS_* environment, $HOME/.aws, files
 *         named by the config. Plain-http container endpoints only on
 *         loopback or the documented link-local addresses; metadata
 *         requests never use a proxy. Secrets are wiped before free and
 *         never formatted into a message.
 * Errors: returns an ms_status; the reason goes into the caller's ms_err.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_request.h"
#include "log.h"

#define SMALL_FILE_MAX (64 * 1024)
#define IMDS_DEFAULT   "http://169.254.169.254"
#define IMDS_TOKEN_TTL 21600
#define ECS_HOST       "http://169.254.170.2"

struct aws_creds_provider {
	char *source;
	int flags;
	struct aws_creds creds;
	bool have;
};

/* The IMDSv2 session token, shared by credential and region lookups. */
static char imds_token[512];
static long long imds_token_until;

void
aws_wipe_free(char *s)
{
	if (s != NULL) {
		OPENSSL_cleanse(s, strlen(s));
		free(s);
	}
}

void
aws_creds_free(struct aws_creds *c)
{
	if (c == NULL)
		return;
	free(c->key_id);
	aws_wipe_free(c->secret);
	aws_wipe_free(c->token);
	memset(c, 0, sizeof(*c));
}

static enum ms_status
creds_set(struct aws_creds *c, const char *id, const char *secret,
    const char *token, long long expires, struct ms_err *err)
{
	memset(c, 0, sizeof(*c));
	c->key_id = strdup(id);
	c->secret = strdup(secret);
	c->token = token && token[0] ? strdup(token) : NULL;
	c->expires = expires;
	if (c->key_id == NULL || c->secret == NULL ||
	    (token && token[0] && c->token == NULL)) {
		aws_creds_free(c);
		return ms_err_set(err, MS_TEMP, "aws: out of memory");
	}
	return MS_OK;
}

/* ---- ISO 8601 ---- */

static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	y -= m <= 2;
	long long era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

static bool
digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

bool
aws_time_parse_iso8601(const char *s, long long *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	const char *p = s;

	if (s == NULL)
		return false;
	if (!digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &mo) ||
	    *p++ != '-' || !digits(&p, 2, &d) ||
	    (*p != 'T' && *p != 't' && *p != ' '))
		return false;
	p++;
	if (!digits(&p, 2, &h) || *p++ != ':' || !digits(&p, 2, &mi) ||
	    *p++ != ':' || !digits(&p, 2, &sec))
		return false;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!digits(&p, 2, &oh))
			return false;
		if (*p == ':')
			p++;
		if (!digits(&p, 2, &om))
			return false;
	} else {
		return false;
	}
	if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 60 || oh > 23 || om > 59)
		return false;
	*out = days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400LL +
	    h * 3600LL + mi * 60LL + sec - sign * (oh * 3600LL + om * 60LL);
	return true;
}

/* ---- INI ---- */

static void
trim(const char **b, const char **e)
{
	while (*b < *e && isspace((unsigned char)**b))
		(*b)++;
	while (*e > *b && isspace((unsigned char)(*e)[-1]))
		(*e)--;
}

int
aws_ini_lookup(const char *text, size_t len, const char *section,
    const char *key, char *out, size_t outlen)
{
	const char *p = text, *end = text + len;
	bool in = section == NULL;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *b = p, *e = nl ? nl : end, *eq;

		p = nl ? nl + 1 : end;
		trim(&b, &e);
		if (b == e || *b == '#' || *b == ';')
			continue;
		if (*b == '[') {
			const char *sb = b + 1, *se = e;

			if (se[-1] != ']' || se - 1 < sb) {
				in = false;
				continue;
			}
			se--;
			trim(&sb, &se);
			in = section != NULL &&
			    (size_t)(se - sb) == strlen(section) &&
			    memcmp(sb, section, (size_t)(se - sb)) == 0;
			continue;
		}
		if (!in || (eq = memchr(b, '=', (size_t)(e - b))) == NULL)
			continue;
		{
			const char *kb = b, *ke = eq, *vb = eq + 1, *ve = e;

			trim(&kb, &ke);
			trim(&vb, &ve);
			if ((size_t)(ke - kb) != strlen(key) ||
			    memcmp(kb, key, (size_t)(ke - kb)) != 0)
				continue;
			if ((size_t)(ve - vb) + 1 > outlen)
				return -1;
			memcpy(out, vb, (size_t)(ve - vb));
			out[ve - vb] = '\0';
			return 1;
		}
	}
	return 0;
}

/* ---- files ---- */

/* Reads a small file; *buf is NUL-terminated; wipe it after use.
 * Returns MS_OK, or MS_CONFIG with errno-style text (missing counts). */
static enum ms_status
file_slurp(const char *path, char **buf, size_t *len, struct ms_err *err)
{
	char q[256];
	struct stat sb;
	ssize_t n;
	size_t got = 0;
	int fd, e;

	*buf = NULL;
	*len = 0;
	ms_quote(q, sizeof(q), path, strlen(path));
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return ms_err_set(
		    err, MS_CONFIG, "cannot open %s: %s", q, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > SMALL_FILE_MAX) {
		close(fd);
		return ms_err_set(err, MS_CONFIG,
		    "%s: not a regular file of at most %d bytes", q,
		    SMALL_FILE_MAX);
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		close(fd);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	while (got < (size_t)sb.st_size) {
		n = read(fd, *buf + got, (size_t)sb.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	e = errno;
	close(fd);
	(*buf)[got] = '\0';
	*len = got;
	if (got != (size_t)sb.st_size) {
		OPENSSL_cleanse(*buf, got);
		free(*buf);
		*buf = NULL;
		return ms_err_set(
		    err, MS_CONFIG, "cannot read %s: %s", q, strerror(e));
	}
	return MS_OK;
}

static void
slurp_free(char *buf, size_t len)
{
	if (buf != NULL) {
		OPENSSL_cleanse(buf, len);
		free(buf);
	}
}

/* The name of the first [section] header, trimmed. */
static bool
first_section(const char *buf, size_t len, char *out, size_t outlen)
{
	for (const char *p = buf; p < buf + len;) {
		const char *e = memchr(p, '\n', len - (size_t)(p - buf));
		const char *s = p, *t = e ? e : buf + len;

		p = e ? e + 1 : buf + len;
		trim(&s, &t);
		if (s == t || *s != '[')
			continue;
		if (t[-1] != ']' || t - s < 2)
			return false;
		s++;
		t--;
		trim(&s, &t);
		if ((size_t)(t - s) >= outlen)
			return false;
		memcpy(out, s, (size_t)(t - s));
		out[t - s] = '\0';
		return true;
	}
	return false;
}

/* "file:PATH": key = value lines, or two bare lines (id, secret). */
static enum ms_status
load_file(const char *path, struct aws_creds *out, struct ms_err *err)
{
	char *buf = NULL, id[256], secret[256], token[4096], q[256];
	char sect[128];
	const char *lines[2] = { NULL, NULL }, *sp = NULL;
	size_t lens[2] = { 0, 0 }, len, nl = 0;
	enum ms_status st;
	int a, b, c;

	if ((st = file_slurp(path, &buf, &len, err)) != MS_OK)
		return st;
	ms_quote(q, sizeof(q), path, strlen(path));
	a = aws_ini_lookup(buf, len, NULL, "aws_access_key_id", id, sizeof(id));
	if (a == 0 && first_section(buf, len, sect, sizeof(sect)))
		sp = sect; /* "[default]" or any one header: ignored */
	a = aws_ini_lookup(buf, len, sp, "aws_access_key_id", id, sizeof(id));
	b = aws_ini_lookup(
	    buf, len, sp, "aws_secret_access_key", secret, sizeof(secret));
	c = aws_ini_lookup(
	    buf, len, sp, "aws_session_token", token, sizeof(token));
	if (a == 0 && b == 0) {
		/* Sections are allowed: look in the first one too. */
		for (const char *p = buf; p < buf + len;) {
			const char *e =
			    memchr(p, '\n', len - (size_t)(p - buf));
			const char *s = p, *t = e ? e : buf + len;

			p = e ? e + 1 : buf + len;
			trim(&s, &t);
			if (s == t || *s == '#' || *s == ';' || *s == '[')
				continue;
			if (memchr(s, '=', (size_t)(t - s)) != NULL)
				break;
			if (nl < 2) {
				lines[nl] = s;
				lens[nl] = (size_t)(t - s);
			}
			nl++;
		}
		if (nl == 2 && lens[0] < sizeof(id) &&
		    lens[1] < sizeof(secret)) {
			memcpy(id, lines[0], lens[0]);
			id[lens[0]] = '\0';
			memcpy(secret, lines[1], lens[1]);
			secret[lens[1]] = '\0';
			a = b = 1;
			c = 0;
		}
	}
	if (a != 1 || b != 1 || c < 0)
		st = ms_err_set(err, MS_CONFIG,
		    "%s: expected aws_access_key_id and aws_secret_access_key "
		    "lines, or two lines: key id, secret",
		    q);
	else
		st = creds_set(out, id, secret, c == 1 ? token : NULL, 0, err);
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	slurp_free(buf, len);
	return st;
}

static const char *
home_dir(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h != NULL && h[0] != '\0')
		return h;
	pw = getpwuid(getuid());
	return pw ? pw->pw_dir : NULL;
}

/* Looks for profile in one shared file. Returns MS_OK with *found. */
static enum ms_status
profile_from(const char *path, const char *section, bool *found,
    struct aws_creds *out, struct ms_err *err)
{
	char *buf = NULL, id[256], secret[256], token[4096];
	size_t len;
	enum ms_status st = MS_OK;
	int a, b, c;

	*found = false;
	if (access(path, F_OK) != 0)
		return MS_OK;
	if ((st = file_slurp(path, &buf, &len, err)) != MS_OK)
		return st;
	a = aws_ini_lookup(
	    buf, len, section, "aws_access_key_id", id, sizeof(id));
	b = aws_ini_lookup(
	    buf, len, section, "aws_secret_access_key", secret, sizeof(secret));
	c = aws_ini_lookup(
	    buf, len, section, "aws_session_token", token, sizeof(token));
	if (a == 1 && b == 1 && c >= 0) {
		*found = true;
		st = creds_set(out, id, secret, c == 1 ? token : NULL, 0, err);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(token, sizeof(token));
	slurp_free(buf, len);
	return st;
}

/* Shared credentials file [name], then config file [profile name]. */
static enum ms_status
load_profile(
    const char *name, bool *found, struct aws_creds *out, struct ms_err *err)
{
	char path[4096], section[300];
	const char *f, *home = home_dir();
	enum ms_status st;
	int n;

	*found = false;
	if ((f = getenv("AWS_SHARED_CREDENTIALS_FILE")) != NULL && f[0])
		n = snprintf(path, sizeof(path), "%s", f);
	else
		n = snprintf(path, sizeof(path), "%s/.aws/credentials",
		    home ? home : "/nonexistent");
	if (n < 0 || (size_t)n >= sizeof(path))
		return ms_err_set(err, MS_CONFIG, "aws: path too long");
	if ((st = profile_from(path, name, found, out, err)) != MS_OK || *found)
		return st;
	if ((f = getenv("AWS_CONFIG_FILE")) != NULL && f[0])
		n = snprintf(path, sizeof(path), "%s", f);
	else
		n = snprintf(path, sizeof(path), "%s/.aws/config",
		    home ? home : "/nonexistent");
	if (n < 0 || (size_t)n >= sizeof(path))
		return ms_err_set(err, MS_CONFIG, "aws: path too long");
	if (strcmp(name, "default") == 0)
		n = snprintf(section, sizeof(section), "default");
	else
		n = snprintf(section, sizeof(section), "profile %s", name);
	if (n < 0 || (size_t)n >= sizeof(section))
		return ms_err_set(err, MS_CONFIG, "aws: profile name too long");
	return profile_from(path, section, found, out, err);
}

static enum ms_status
load_env(bool *found, struct aws_creds *out, struct ms_err *err)
{
	const char *id = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	const char *exp = getenv("AWS_CREDENTIAL_EXPIRATION");
	long long expires = 0;

	*found = false;
	if (id == NULL || id[0] == '\0' || secret == NULL || secret[0] == '\0')
		return MS_OK;
	if (token == NULL || token[0] == '\0')
		token = getenv("AWS_SECURITY_TOKEN");
	if (exp != NULL && exp[0] != '\0' &&
	    !aws_time_parse_iso8601(exp, &expires))
		return ms_err_set(err, MS_CONFIG,
		    "aws: AWS_CREDENTIAL_EXPIRATION is not an ISO 8601 time");
	*found = true;
	return creds_set(out, id, secret, token, expires, err);
}

/* ---- JSON credential documents (IMDS, container) ---- */

static enum ms_status
creds_from_json(const char *body, size_t len, const char *what,
    struct aws_creds *out, struct ms_err *err)
{
	json_t *root;
	json_error_t jerr;
	const char *id, *secret, *token, *exp, *code;
	long long expires = 0;
	enum ms_status st;

	if (body == NULL ||
	    (root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr)) ==
		NULL ||
	    !json_is_object(root)) {
		if (body != NULL && root != NULL)
			json_decref(root);
		return ms_err_set(err, MS_TEMP,
		    "aws: %s credentials are not a JSON object", what);
	}
	id = json_string_value(json_object_get(root, "AccessKeyId"));
	secret = json_string_value(json_object_get(root, "SecretAccessKey"));
	token = json_string_value(json_object_get(root, "Token"));
	exp = json_string_value(json_object_get(root, "Expiration"));
	code = json_string_value(json_object_get(root, "Code"));
	if (code != NULL && strcmp(code, "Success") != 0)
		st = ms_err_set(err, MS_TEMP,
		    "aws: %s credentials: Code is "
		    "not Success",
		    what);
	else if (id == NULL || secret == NULL || id[0] == '\0' ||
	    secret[0] == '\0')
		st = ms_err_set(err, MS_TEMP,
		    "aws: %s credentials lack AccessKeyId/SecretAccessKey",
		    what);
	else if (exp != NULL && !aws_time_parse_iso8601(exp, &expires))
		st = ms_err_set(err, MS_TEMP,
		    "aws: %s credentials have a malformed Expiration", what);
	else
		st = creds_set(out, id, secret, token, expires, err);
	/* jansson holds copies of the secret; wipe them before release. */
	if (secret != NULL)
		OPENSSL_cleanse((char *)secret, strlen(secret));
	if (token != NULL)
		OPENSSL_cleanse((char *)token, strlen(token));
	json_decref(root);
	return st;
}

/* ---- container (ECS / EKS Pod Identity) ---- */

static bool
plain_http_host_ok(const char *url)
{
	char host[256];
	const char *p = url + 7, *e;
	size_t n;

	if (*p == '[') {
		if ((e = strchr(p, ']')) == NULL)
			return false;
		n = (size_t)(e - p - 1);
		p++;
	} else {
		n = strcspn(p, ":/?#");
	}
	if (n == 0 || n >= sizeof(host))
		return false;
	memcpy(host, p, n);
	host[n] = '\0';
	return strncmp(host, "127.", 4) == 0 ||
	    strcmp(host, "localhost") == 0 || strcmp(host, "::1") == 0 ||
	    strcmp(host, "169.254.170.2") == 0 ||
	    strcmp(host, "169.254.170.23") == 0 ||
	    strcasecmp(host, "fd00:ec2::23") == 0;
}

static enum ms_status
load_container(struct aws_creds *out, struct ms_err *err)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char *tfile = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *tenv = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *hdrs[3] = { "Accept: application/json", NULL, NULL };
	char url[2048], auth[4096], *tbuf = NULL;
	size_t tlen = 0;
	struct aws_http_req req = { 0 };
	struct aws_http_resp resp;
	enum ms_status st;
	int n;

	if (rel != NULL && rel[0] != '\0') {
		n = snprintf(url, sizeof(url), "%s%s%s", ECS_HOST,
		    rel[0] == '/' ? "" : "/", rel);
	} else if (full != NULL && full[0] != '\0') {
		n = snprintf(url, sizeof(url), "%s", full);
		if (strncmp(url, "https://", 8) != 0 &&
		    !(strncmp(url, "http://", 7) == 0 &&
			plain_http_host_ok(url)))
			return ms_err_set(err, MS_CONFIG,
			    "aws: AWS_CONTAINER_CREDENTIALS_FULL_URI must be "
			    "https, or http to loopback / 169.254.170.2 / "
			    "169.254.170.23 / fd00:ec2::23");
	} else {
		return ms_err_set(err, MS_CONFIG,
		    "aws: no container credentials endpoint in the "
		    "environment");
	}
	if (n < 0 || (size_t)n >= sizeof(url))
		return ms_err_set(
		    err, MS_CONFIG, "aws: container URI too long");
	if (full != NULL && full[0] != '\0' && (rel == NULL || !rel[0])) {
		const char *tok = NULL;
		size_t toklen = 0;

		if (tfile != NULL && tfile[0] != '\0') {
			if ((st = file_slurp(tfile, &tbuf, &tlen, err)) !=
			    MS_OK)
				return st;
			tok = tbuf;
			toklen = tlen;
			/* a trailing newline from `echo` is not the token's */
			while (toklen > 0 &&
			    (tok[toklen - 1] == '\n' ||
				tok[toklen - 1] == '\r'))
				toklen--;
		} else if (tenv != NULL && tenv[0] != '\0') {
			tok = tenv;
			toklen = strlen(tenv);
		}
		if (tok != NULL) {
			if (memchr(tok, '\r', toklen) ||
			    memchr(tok, '\n', toklen)) {
				slurp_free(tbuf, tlen);
				return ms_err_set(err, MS_CONFIG,
				    "aws: container authorization token "
				    "contains CR or LF");
			}
			n = snprintf(auth, sizeof(auth), "Authorization: %.*s",
			    (int)toklen, tok);
			slurp_free(tbuf, tlen);
			if (n < 0 || (size_t)n >= sizeof(auth)) {
				OPENSSL_cleanse(auth, sizeof(auth));
				return ms_err_set(err, MS_CONFIG,
				    "aws: container token too long");
			}
			hdrs[1] = auth;
		}
	}
	req.method = "GET";
	req.url = url;
	req.headers = hdrs;
	req.no_proxy = strncmp(url, "http://", 7) == 0;
	req.timeout_ms = 2000;
	st = MS_TEMP;
	for (int attempt = 0; attempt < 3; attempt++) {
		if (attempt > 0)
			sleep(1);
		st = aws_http_plain(&req, &resp, err);
		if (st == MS_OK && resp.status == 200) {
			st = creds_from_json(
			    resp.body, resp.body_len, "container", out, err);
			aws_resp_free(&resp);
			break;
		}
		if (st == MS_OK) {
			st = ms_err_set(err, MS_TEMP,
			    "aws: container credentials endpoint answered %ld",
			    resp.status);
			aws_resp_free(&resp);
			if (resp.status < 500)
				break;
		} else if (st != MS_TEMP) {
			break;
		}
	}
	OPENSSL_cleanse(auth, sizeof(auth));
	return st;
}

/* ---- EC2 instance metadata ---- */

static bool
imds_disabled(void)
{
	const char *d = getenv("AWS_EC2_METADATA_DISABLED");

	return d != NULL && strcasecmp(d, "true") == 0;
}

static enum ms_status
imds_url(char *out, size_t outlen, const char *path, struct ms_err *err)
{
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;
	int r;

	if (ep == NULL || ep[0] == '\0')
		ep = IMDS_DEFAULT;
	n = strlen(ep);
	while (n > 0 && ep[n - 1] == '/')
		n--;
	r = snprintf(out, outlen, "%.*s%s", (int)n, ep, path);
	if (r < 0 || (size_t)r >= outlen)
		return ms_err_set(err, MS_CONFIG, "aws: metadata URL too long");
	return MS_OK;
}

/* Gets (or reuses) the session token. *v1 is set when the PUT is refused
 * and IMDSv1 is allowed. */
static enum ms_status
imds_token_get(bool allow_v1, bool *v1, struct ms_err *err)
{
	const char *hdrs[] = { "X-aws-ec2-metadata-token-ttl-seconds: 21600",
		NULL };
	struct aws_http_req req = { 0 };
	struct aws_http_resp resp;
	char url[1024];
	enum ms_status st;
	long long now = (long long)time(NULL);

	*v1 = false;
	if (imds_token[0] != '\0' && now < imds_token_until)
		return MS_OK;
	if ((st = imds_url(url, sizeof(url), "/latest/api/token", err)) !=
	    MS_OK)
		return st;
	req.method = "PUT";
	req.url = url;
	req.headers = hdrs;
	req.no_proxy = true;
	req.timeout_ms = 1000;
	if ((st = aws_http_plain(&req, &resp, err)) != MS_OK) {
		char why[400];

		snprintf(why, sizeof(why), "%.399s", err->msg);
		return ms_err_set(err, MS_TEMP,
		    "aws: no instance metadata service (token request: %s)",
		    why);
	}
	if (resp.status == 200 && resp.body_len > 0 &&
	    resp.body_len < sizeof(imds_token) &&
	    strcspn(resp.body, "\r\n") == resp.body_len) {
		memcpy(imds_token, resp.body, resp.body_len + 1);
		imds_token_until = now + IMDS_TOKEN_TTL - 60;
		st = MS_OK;
	} else if (allow_v1 &&
	    (resp.status == 403 || resp.status == 404 || resp.status == 405)) {
		*v1 = true;
		st = MS_OK;
	} else {
		st = ms_err_set(err, MS_TEMP,
		    "aws: instance metadata token request answered %ld",
		    resp.status);
	}
	aws_resp_free(&resp);
	return st;
}

static void
imds_token_forget(void)
{
	OPENSSL_cleanse(imds_token, sizeof(imds_token));
	imds_token_until = 0;
}

/* GET path with the token; one new token and retry after a 401. */
static enum ms_status
imds_get(const char *path, bool allow_v1, struct aws_http_resp *resp,
    struct ms_err *err)
{
	char url[1024], hdr[600];
	const char *hdrs[2] = { NULL, NULL };
	struct aws_http_req req = { 0 };
	enum ms_status st;
	bool v1;

	if (imds_disabled())
		return ms_err_set(err, MS_CONFIG,
		    "aws: instance metadata disabled "
		    "(AWS_EC2_METADATA_DISABLED)");
	if ((st = imds_url(url, sizeof(url), path, err)) != MS_OK)
		return st;
	for (int attempt = 0; attempt < 2; attempt++) {
		if ((st = imds_token_get(allow_v1, &v1, err)) != MS_OK)
			return st;
		hdrs[0] = NULL;
		if (!v1) {
			snprintf(hdr, sizeof(hdr),
			    "X-aws-ec2-metadata-token: %s", imds_token);
			hdrs[0] = hdr;
		}
		req.method = "GET";
		req.url = url;
		req.headers = hdrs;
		req.no_proxy = true;
		req.timeout_ms = 2000;
		st = aws_http_plain(&req, resp, err);
		OPENSSL_cleanse(hdr, sizeof(hdr));
		if (st != MS_OK)
			return st;
		if (resp->status == 401 && !v1 && attempt == 0) {
			log_verbose("aws: metadata token refused; getting a "
				    "new one");
			aws_resp_free(resp);
			imds_token_forget();
			continue;
		}
		if (resp->status != 200) {
			st = ms_err_set(err, MS_TEMP,
			    "aws: instance metadata %s answered %ld", path,
			    resp->status);
			aws_resp_free(resp);
			return st;
		}
		return MS_OK;
	}
	return ms_err_set(err, MS_TEMP,
	    "aws: instance metadata refused a "
	    "fresh token");
}

static enum ms_status
load_imds(bool allow_v1, struct aws_creds *out, struct ms_err *err)
{
	static const char base[] =
	    "/latest/meta-data/iam/security-credentials/";
	struct aws_http_resp resp;
	char path[512], role[256];
	enum ms_status st;
	size_t n;

	if ((st = imds_get(base, allow_v1, &resp, err)) != MS_OK)
		return st;
	n = resp.body ? strcspn(resp.body, "\r\n") : 0;
	if (n == 0 || n >= sizeof(role) || memchr(resp.body, '/', n)) {
		aws_resp_free(&resp);
		return ms_err_set(
		    err, MS_TEMP, "aws: instance has no usable IAM role");
	}
	memcpy(role, resp.body, n);
	role[n] = '\0';
	aws_resp_free(&resp);
	if (snprintf(path, sizeof(path), "%s%s", base, role) >=
	    (int)sizeof(path))
		return ms_err_set(err, MS_TEMP, "aws: role name too long");
	if ((st = imds_get(path, allow_v1, &resp, err)) != MS_OK)
		return st;
	st = creds_from_json(
	    resp.body, resp.body_len, "instance metadata", out, err);
	aws_resp_free(&resp);
	return st;
}

enum ms_status
aws_imds_region(char *out, size_t outlen, struct ms_err *err)
{
	struct aws_http_resp resp;
	enum ms_status st;
	size_t n;

	if ((st = imds_get("/latest/meta-data/placement/region", false, &resp,
		 err)) != MS_OK)
		return st;
	n = resp.body ? strcspn(resp.body, "\r\n \t") : 0;
	if (n == 0 || n >= outlen)
		st = ms_err_set(
		    err, MS_TEMP, "aws: instance metadata gave no region");
	else {
		memcpy(out, resp.body, n);
		out[n] = '\0';
	}
	aws_resp_free(&resp);
	return st;
}

/* ---- sources ---- */

static enum ms_status
load_chain(int flags, struct aws_creds *out, struct ms_err *err)
{
	const char *profile = getenv("AWS_PROFILE");
	enum ms_status st;
	bool found;

	if ((st = load_env(&found, out, err)) != MS_OK || found)
		return st;
	if (profile == NULL || profile[0] == '\0')
		profile = "default";
	if ((st = load_profile(profile, &found, out, err)) != MS_OK || found)
		return st;
	if ((getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") &&
		getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")[0]) ||
	    (getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI") &&
		getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI")[0]))
		return load_container(out, err);
	if (imds_disabled())
		return ms_err_set(err, MS_CONFIG,
		    "aws: no credentials in the environment, shared files or "
		    "container, and instance metadata is disabled");
	if ((st = load_imds(flags & AWS_CREDS_IMDS_V1, out, err)) != MS_OK) {
		char why[400];

		snprintf(why, sizeof(why), "%.399s", err->msg);
		return ms_err_set(err, st,
		    "aws: no credentials found "
		    "(environment, shared files, container, instance "
		    "metadata): %s",
		    why);
	}
	return MS_OK;
}

static bool
source_valid(const char *s)
{
	return s == NULL || s[0] == '\0' || strcmp(s, "chain") == 0 ||
	    strcmp(s, "env:") == 0 || strcmp(s, "env") == 0 ||
	    strcmp(s, "imds") == 0 || strcmp(s, "container") == 0 ||
	    (strncmp(s, "profile:", 8) == 0 && s[8] != '\0') ||
	    (strncmp(s, "file:", 5) == 0 && s[5] == '/');
}

enum ms_status
aws_creds_load(
    const char *source, int flags, struct aws_creds *out, struct ms_err *err)
{
	enum ms_status st;
	bool found;
	char q[256];

	memset(out, 0, sizeof(*out));
	if (!source_valid(source))
		return ms_err_set(err, MS_CONFIG,
		    "aws: unknown credentials source %s (chain, env:, "
		    "profile:NAME, file:/PATH, imds, container)",
		    ms_quote(q, sizeof(q), source, strlen(source)));
	if (source == NULL || source[0] == '\0' || strcmp(source, "chain") == 0)
		return load_chain(flags, out, err);
	if (strncmp(source, "env", 3) == 0) {
		if ((st = load_env(&found, out, err)) != MS_OK)
			return st;
		return found ? MS_OK
			     : ms_err_set(err, MS_CONFIG,
				   "aws: AWS_ACCESS_KEY_ID / "
				   "AWS_SECRET_ACCESS_KEY not set");
	}
	if (strncmp(source, "profile:", 8) == 0) {
		if ((st = load_profile(source + 8, &found, out, err)) != MS_OK)
			return st;
		return found ? MS_OK
			     : ms_err_set(err, MS_CONFIG,
				   "aws: profile %s not found in the shared "
				   "files",
				   ms_quote(q, sizeof(q), source + 8,
				       strlen(source + 8)));
	}
	if (strncmp(source, "file:", 5) == 0)
		return load_file(source + 5, out, err);
	if (strcmp(source, "container") == 0)
		return load_container(out, err);
	return load_imds(flags & AWS_CREDS_IMDS_V1, out, err);
}

enum ms_status
aws_creds_provider_new(struct aws_creds_provider **out, const char *source,
    int flags, struct ms_err *err)
{
	struct aws_creds_provider *p;
	char q[256];

	*out = NULL;
	if (!source_valid(source))
		return ms_err_set(err, MS_CONFIG,
		    "aws: unknown credentials source %s",
		    ms_quote(q, sizeof(q), source, strlen(source)));
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->source = strdup(source ? source : "chain")) == NULL) {
		free(p);
		return ms_err_set(err, MS_TEMP, "out of memory");
	}
	p->flags = flags;
	*out = p;
	return MS_OK;
}

enum ms_status
aws_creds_get(struct aws_creds_provider *p, long long now,
    const struct aws_creds **creds, struct ms_err *err)
{
	struct aws_creds fresh;
	enum ms_status st;

	*creds = NULL;
	if (p->have &&
	    (p->creds.expires == 0 ||
		p->creds.expires - now > AWS_CREDS_REFRESH_MARGIN)) {
		*creds = &p->creds;
		return MS_OK;
	}
	st = aws_creds_load(p->source, p->flags, &fresh, err);
	if (st != MS_OK) {
		if (p->have && p->creds.expires > now) {
			log_msg(LOG_WARNING,
			    "aws: credentials refresh failed, "
			    "using the current ones until they expire: %s",
			    err->msg);
			*creds = &p->creds;
			return MS_OK;
		}
		return st;
	}
	aws_creds_free(&p->creds);
	p->creds = fresh;
	p->have = true;
	if (p->creds.expires != 0 && p->creds.expires <= now)
		log_msg(LOG_WARNING,
		    "aws: fetched credentials are already "
		    "expired (clock skew?)");
	*creds = &p->creds;
	return MS_OK;
}

void
aws_creds_invalidate(struct aws_creds_provider *p)
{
	if (p == NULL)
		return;
	aws_creds_free(&p->creds);
	p->have = false;
}

void
aws_creds_provider_free(struct aws_creds_provider *p)
{
	if (p == NULL)
		return;
	aws_creds_free(&p->creds);
	free(p->source);
	free(p);
}
