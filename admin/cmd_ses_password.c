/*
 * cmd_ses_password.c - `mailshim ses-password --region R`: reads an IAM
 *                      secret access key (one line) on stdin and prints
 *                      the SES SMTP password for that region.
 *
 * API:    cmd_ses_password() (called by mailshim's main()).
 * Trust:  the secret is read from stdin only (never argv, never echoed:
 *         on a terminal echo is switched off), is never printed or
 *         logged, and every buffer holding it is wiped before return.
 * Exit:   0 printed; 64 usage; 65 empty secret; 74 read error; 78 a
 *         region without SES (China).
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "admin.h"
#include "ms.h"
#include "ses_password.h"
#include "ses_region.h"

#define SES_SECRET_LINE_MAX 1024

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: mailshim ses-password --region REGION < secret-key-file\n"
	    "\n"
	    "Reads an IAM secret access key (one line) on standard input and\n"
	    "prints the Amazon SES SMTP password for REGION. The SMTP user\n"
	    "name is the access key id (AKIA...). Passwords are per region;\n"
	    "only long-term IAM user keys work (not ASIA... temporary keys).\n"
	    "\n"
	    "  -r, --region REGION   SES region, e.g. eu-west-1\n"
	    "  -h, --help            this text\n"
	    "  -V, --version         program version\n");
}

/* Reads one line into buf, echo off on a terminal. -1 on read error. */
static int
read_secret(char *buf, size_t len, size_t *outlen)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	size_t n = 0;
	int rc = 0;

	if (tty) {
		fputs("Secret access key: ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	for (;;) {
		char c;
		ssize_t r = read(STDIN_FILENO, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = -1;
			break;
		}
		if (r == 0 || c == '\n')
			break;
		if (n + 1 < len)
			buf[n++] = c;
	}
	if (tty) {
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	while (n > 0 &&
	    (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	buf[n] = '\0';
	*outlen = n;
	return rc;
}

int
cmd_ses_password(int argc, char **argv)
{
	char secret[SES_SECRET_LINE_MAX], password[SES_PASSWORD_LEN + 1];
	const char *region = NULL;
	enum ms_status st;
	struct ms_err err;
	size_t slen = 0;
	bool known;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			usage(stdout);
			return 0;
		} else if (strcmp(a, "-V") == 0 ||
		    strcmp(a, "--version") == 0) {
			printf("mailshim %s\n", PACKAGE_VERSION);
			return 0;
		} else if ((strcmp(a, "-r") == 0 ||
			       strcmp(a, "--region") == 0) &&
		    i + 1 < argc) {
			region = argv[++i];
		} else if (strncmp(a, "--region=", 9) == 0) {
			region = a + 9;
		} else {
			/* Not echoed: it may be a secret pasted there. */
			fprintf(stderr,
			    "mailshim ses-password: unexpected "
			    "argument %d (the secret key is read from standard "
			    "input, never from the command line)\n",
			    i);
			usage(stderr);
			return ms_exitcode(MS_USAGE);
		}
	}
	if (region == NULL) {
		fprintf(
		    stderr, "mailshim ses-password: --region is required\n");
		usage(stderr);
		return ms_exitcode(MS_USAGE);
	}
	st = ses_region_check(region, &known, &err);
	if (st != MS_OK) {
		fprintf(stderr, "mailshim ses-password: %s\n", err.msg);
		return ms_exitcode(
		    st == MS_CONFIG && strncmp(region, "cn-", 3) != 0 ? MS_USAGE
								      : st);
	}
	if (!known)
		fprintf(stderr,
		    "mailshim ses-password: warning: %s is not in "
		    "mailshim's list of SES regions; deriving anyway\n",
		    region);

	if (read_secret(secret, sizeof(secret), &slen) != 0) {
		fprintf(stderr,
		    "mailshim ses-password: cannot read the secret "
		    "key from standard input: %s\n",
		    strerror(errno));
		rc = ms_exitcode(MS_IOERR);
		goto out;
	}
	if (slen == 0) {
		fprintf(stderr,
		    "mailshim ses-password: no secret access key on "
		    "standard input\n");
		rc = ms_exitcode(MS_DATA);
		goto out;
	}
	if (slen != 40)
		fprintf(stderr,
		    "mailshim ses-password: warning: the secret is "
		    "%zu characters long; IAM secret access keys have 40\n",
		    slen);
	st = ses_password_derive(secret, slen, region, password, NULL, &err);
	if (st != MS_OK) {
		fprintf(stderr, "mailshim ses-password: %s\n", err.msg);
		rc = ms_exitcode(st);
		goto out;
	}
	printf("%s\n", password);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr,
		    "mailshim ses-password: cannot write the "
		    "password: %s\n",
		    strerror(errno));
		rc = ms_exitcode(MS_IOERR);
	}
out:
	OPENSSL_cleanse(secret, sizeof(secret));
	OPENSSL_cleanse(password, sizeof(password));
	return rc;
}
