/*
 * aws_creds_container.c - credentials from the container endpoint (ECS
 *                         task roles, EKS Pod Identity).
 *
 * API:    aws_creds_from_container(), aws_container_url_ok()
 *         (aws_provider.h).
 * Trust:  AWS_CONTAINER_CREDENTIALS_FULL_URI over plain http only to a
 *         loopback address, localhost, or the documented ECS / EKS
 *         addresses 169.254.170.2, 169.254.170.23 and [fd00:ec2::23], as
 *         botocore allows; the URL is parsed by libcurl's URL parser, the
 *         one that connects, so userinfo ("http://127.0.0.1@evil/") or a
 *         look-alike name ("127.0.0.1.evil") cannot pass. The
 *         authorization token may come from a file; CR/LF in it are
 *         refused.
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
#include <arpa/inet.h>
#include <netinet/in.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_creds.h"
#include "aws_provider.h"
#include "aws_request.h"
#include "log.h"

#define ECS_HOST "http://169.254.170.2"

/* ---- container (ECS / EKS Pod Identity) ---- */

bool
aws_container_url_ok(const char *url)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL;
	bool ok = false;

	/* libcurl's own parser: the host checked is the host it connects
	 * to (userinfo, odd IPv4 forms and all). */
	if (u == NULL ||
	    curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) !=
		CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		goto out;
	if (strcasecmp(scheme, "https") == 0) {
		ok = true;
	} else if (strcasecmp(scheme, "http") == 0) {
		struct in_addr a4;
		struct in6_addr a6;
		char h[64];
		size_t n = strlen(host);

		if (n >= 2 && host[0] == '[' && host[n - 1] == ']' &&
		    n - 2 < sizeof(h)) {
			memcpy(h, host + 1, n - 2);
			h[n - 2] = '\0';
			ok = inet_pton(AF_INET6, h, &a6) == 1 &&
			    (IN6_IS_ADDR_LOOPBACK(&a6) ||
				strcasecmp(h, "fd00:ec2::23") == 0);
		} else if (inet_pton(AF_INET, host, &a4) == 1) {
			ok = (ntohl(a4.s_addr) >> 24) == 127 ||
			    strcmp(host, "169.254.170.2") == 0 ||
			    strcmp(host, "169.254.170.23") == 0;
		} else {
			ok = strcasecmp(host, "localhost") == 0;
		}
	}
out:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

enum ms_status
aws_creds_from_container(struct aws_creds *out, struct ms_err *err)
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
		if (!aws_container_url_ok(url))
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
			if ((st = aws_file_slurp(tfile, &tbuf, &tlen, err)) !=
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
				aws_file_slurp_free(tbuf, tlen);
				return ms_err_set(err, MS_CONFIG,
				    "aws: container authorization token "
				    "contains CR or LF");
			}
			n = snprintf(auth, sizeof(auth), "Authorization: %.*s",
			    (int)toklen, tok);
			aws_file_slurp_free(tbuf, tlen);
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
			st = aws_creds_from_json(resp.body, resp.body_len,
			    AWS_DOC_METADATA, "container", out, err);
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
