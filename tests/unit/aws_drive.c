/*
 * aws_drive.c - test driver for aws/: sends a message file through
 *               ses_api_send(), fetches secrets, calls GetAccount, loads
 *               credentials; prints results for the integration tests.
 *
 * Usage:  aws_drive send [opts] MSGFILE RCPT...
 *         aws_drive account [opts]
 *         aws_drive secret SPEC...
 *         aws_drive creds [--creds SRC]
 * Opts:   --region R --endpoint URL --creds SRC --from ADDR --sender S
 *         --config-set NAME --tag NAME=VALUE --repeat N --sleep SECONDS
 *         --connect-timeout S
 * Output: "rcpt ADDR STATUS REPLY" per recipient, then "health H hold=N
 *         no_count=B remote_id=ID peer=HOST"; "account ..."; "secret
 *         SPEC VALUE"; "creds KEYID token=B expires=N digest=HEX" (never
 *         a secret: HEX is 16 digits of SHA-256(secret "\n" token)).
 *         Exit: 0 when every call returned MS_OK, else the sysexits code.
 * Note:   streams the message through the flusher's own msg_source
 *         (flush/msgsource.c), as relay_ses does.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "aws_creds.h"
#include "aws_secret.h"
#include "log.h"
#include "msgsource.h"
#include "ses_api.h"

static const char *health_names[] = { "fine", "failed", "hold" };

/* First 16 hex digits of SHA-256(secret "\n" token): lets a test compare
 * two clients' credentials without printing a secret. */
static void
creds_digest(const struct aws_creds *c, char out[17])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();

	out[0] = '\0';
	if (x == NULL)
		return;
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, c->secret, strlen(c->secret));
	EVP_DigestUpdate(x, "\n", 1);
	if (c->token != NULL)
		EVP_DigestUpdate(x, c->token, strlen(c->token));
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (unsigned int i = 0; i < 8 && i < mdlen; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int
usage(void)
{
	fprintf(stderr, "usage: aws_drive send|account|secret|creds ...\n");
	return 64;
}

int
main(int argc, char **argv)
{
	struct ses_api_params p = { 0 };
	const char *creds_src = "chain", *sender = "", *config_set = NULL;
	const char *secret_region = NULL;
	const char *tags[16] = { NULL };
	size_t ntags = 0;
	int repeat = 1, sleep_s = 0, i, rc = 0;
	struct aws_creds_provider *cp = NULL;
	struct ms_err err = { "" };
	enum ms_status st;
	const char *cmd;

	log_open("aws_drive", true);
	if (getenv("AWS_DRIVE_VERBOSE"))
		log_set_verbose(1);
	if (argc < 2)
		return usage();
	cmd = argv[1];
	p.region = "us-east-1";
	for (i = 2; i < argc && strncmp(argv[i], "--", 2) == 0; i += 2) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (v == NULL)
			return usage();
		if (strcmp(o, "--region") == 0)
			p.region = secret_region = v;
		else if (strcmp(o, "--endpoint") == 0)
			p.endpoint = v;
		else if (strcmp(o, "--creds") == 0)
			creds_src = v;
		else if (strcmp(o, "--from") == 0)
			p.from = v;
		else if (strcmp(o, "--sender") == 0)
			sender = v;
		else if (strcmp(o, "--config-set") == 0)
			config_set = v;
		else if (strcmp(o, "--tag") == 0 && ntags + 1 < 16)
			tags[ntags++] = v;
		else if (strcmp(o, "--repeat") == 0)
			repeat = (int)strtol(v, NULL, 10);
		else if (strcmp(o, "--sleep") == 0)
			sleep_s = (int)strtol(v, NULL, 10);
		else if (strcmp(o, "--connect-timeout") == 0)
			p.connect_timeout = strtol(v, NULL, 10);
		else
			return usage();
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (strcmp(cmd, "secret") == 0) {
		for (; i < argc; i++) {
			char *value = NULL;

			st = aws_secret_load_in(
			    argv[i], secret_region, &value, &err);
			if (st != MS_OK) {
				fprintf(stderr, "aws_drive: %s\n", err.msg);
				rc = ms_exitcode(st);
				continue;
			}
			printf("secret %s %s\n", argv[i], value);
			OPENSSL_cleanse(value, strlen(value));
			free(value);
		}
		aws_secret_cache_clear();
		goto out;
	}
	if ((st = aws_creds_provider_new(&cp, creds_src, 0, &err)) != MS_OK) {
		fprintf(stderr, "aws_drive: %s\n", err.msg);
		rc = ms_exitcode(st);
		goto out;
	}
	if (strcmp(cmd, "creds") == 0) {
		const struct aws_creds *c;
		char dg[17];

		for (int r = 0; r < repeat; r++) {
			if (r > 0)
				sleep((unsigned)sleep_s);
			if ((st = aws_creds_get(cp, (long long)time(NULL), &c,
				 &err)) != MS_OK) {
				fprintf(stderr, "aws_drive: %s\n", err.msg);
				rc = ms_exitcode(st);
				break;
			}
			creds_digest(c, dg);
			printf("creds %s token=%d expires=%lld digest=%s\n",
			    c->key_id, c->token != NULL, c->expires, dg);
		}
	} else if (strcmp(cmd, "account") == 0) {
		struct ses_account a;

		if ((st = ses_api_get_account(&p, cp, &a, &err)) != MS_OK) {
			fprintf(stderr, "aws_drive: %s\n", err.msg);
			rc = ms_exitcode(st);
			goto out;
		}
		printf("account max_24h=%.0f max_rate=%.1f sent_24h=%.0f "
		       "production=%d enabled=%d enforcement=%s\n",
		    a.max_24h, a.max_rate, a.sent_24h, a.production_access,
		    a.sending_enabled, a.enforcement_status);
	} else if (strcmp(cmd, "send") == 0 && i + 1 < argc) {
		struct relay_msg msg = { 0 };
		struct msg_source src;
		struct stat sb;
		int fd;

		if ((fd = open(argv[i], O_RDONLY)) < 0 || fstat(fd, &sb) != 0) {
			fprintf(stderr, "aws_drive: %s: %s\n", argv[i],
			    strerror(errno));
			rc = 66;
			goto out;
		}
		msg_source_open(&src, fd, NULL, 0, sb.st_size, NULL, true, &err);
		msg.qid = "TESTQID";
		msg.sender = sender;
		msg.src = &src;
		msg.config_set = config_set;
		msg.tags = tags;
		msg.nrcpt = (size_t)(argc - i - 1);
		msg.rcpts = calloc(msg.nrcpt, sizeof(*msg.rcpts));
		if (msg.rcpts == NULL)
			return 71;
		for (size_t k = 0; k < msg.nrcpt; k++)
			msg.rcpts[k].addr = argv[i + 1 + (int)k];
		for (int r = 0; r < repeat; r++) {
			if (r > 0)
				sleep((unsigned)sleep_s);
			for (size_t k = 0; k < msg.nrcpt; k++) {
				msg.rcpts[k].result = MS_SOFTWARE;
				msg.rcpts[k].reply[0] = '\0';
			}
			st = ses_api_send(&p, cp, &msg, &err);
			if (st != MS_OK) {
				fprintf(stderr, "aws_drive: %s\n", err.msg);
				rc = ms_exitcode(st);
			}
			for (size_t k = 0; k < msg.nrcpt; k++)
				printf("rcpt %s %s %s\n", msg.rcpts[k].addr,
				    ms_status_name(msg.rcpts[k].result),
				    msg.rcpts[k].reply);
			printf("health %s hold=%ld no_count=%d remote_id=%s "
			       "peer=%s\n",
			    health_names[msg.health], msg.hold_seconds,
			    msg.no_count, msg.remote_id, msg.peer);
			fflush(stdout);
		}
		free(msg.rcpts);
		msg_source_close(&src);
		close(fd);
	} else {
		rc = usage();
	}
out:
	aws_creds_provider_free(cp);
	curl_global_cleanup();
	return rc;
}
