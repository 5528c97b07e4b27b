/*
 * test_secret.c - table tests for secret.c: file modes and ownership,
 *                 symbolic links, the environment, unknown sources, and
 *                 that no error message carries the secret.
 */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "secret.h"

static int failures;
static char dir[4096];

enum kind { K_FILE, K_LINK, K_DIR, K_NONE };

struct tcase {
	const char *name;
	enum kind kind;
	const char *content; /* file content, or env value (NULL unset) */
	mode_t mode;
	const char *spec; /* %s is replaced by the path */
	enum ms_status want_status;
	const char *want; /* value, or a piece of the error message */
};

static const struct tcase cases[] = {
	{ "file 0600", K_FILE, "s3cr3t-pass\n", 0600, "file:%s", MS_OK,
	    "s3cr3t-pass" },
	{ "file 0400 no newline", K_FILE, "s3cr3t-pass", 0400, "file:%s", MS_OK,
	    "s3cr3t-pass" },
	{ "only one newline stripped", K_FILE, "s3cr3t-pass\n\n", 0600,
	    "file:%s", MS_OK, "s3cr3t-pass\n" },
	{ "crlf stripped", K_FILE, "s3cr3t-pass\r\n", 0600, "file:%s", MS_OK,
	    "s3cr3t-pass" },
	{ "file 0644", K_FILE, "s3cr3t-pass\n", 0644, "file:%s", MS_CONFIG,
	    "is readable by others (mode 0644); chmod 600 it" },
	{ "file 0640", K_FILE, "s3cr3t-pass\n", 0640, "file:%s", MS_CONFIG,
	    "(mode 0640)" },
	{ "file 0604", K_FILE, "s3cr3t-pass\n", 0604, "file:%s", MS_CONFIG,
	    "readable by others" },
	{ "empty file", K_FILE, "\n", 0600, "file:%s", MS_CONFIG, "empty" },
	{ "missing file", K_NONE, NULL, 0, "file:%s", MS_CONFIG,
	    "No such file" },
	{ "symlink", K_LINK, "s3cr3t-pass\n", 0600, "file:%s", MS_CONFIG,
	    "symbolic link" },
	{ "directory", K_DIR, NULL, 0700, "file:%s", MS_CONFIG,
	    "not a regular file" },
	{ "relative path", K_NONE, NULL, 0, "file:relative/pass", MS_CONFIG,
	    "absolute" },
	{ "env set", K_NONE, "s3cr3t-pass", 0, "env:MS_TEST_SECRET", MS_OK,
	    "s3cr3t-pass" },
	{ "env unset", K_NONE, NULL, 0, "env:MS_TEST_SECRET", MS_CONFIG,
	    "not set" },
	{ "env empty", K_NONE, "", 0, "env:MS_TEST_SECRET", MS_CONFIG,
	    "empty" },
	{ "env no name", K_NONE, NULL, 0, "env:", MS_CONFIG, "no variable" },
	{ "unknown source", K_NONE, NULL, 0, "vault:x/y", MS_CONFIG,
	    "unknown secret source \"vault:\"" },
	{ "no source at all", K_NONE, NULL, 0, "s3cr3t-pass", MS_CONFIG,
	    "file:/path or env:NAME" },
};

static int
make_file(const char *path, const char *content, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		return -1;
	if (write(fd, content, strlen(content)) != (ssize_t)strlen(content)) {
		close(fd);
		return -1;
	}
	close(fd);
	return chmod(path, mode);
}

static void
run_case(const struct tcase *c, size_t idx)
{
	char path[4200], target[4300], spec[8500];
	struct secret s;
	struct ms_err err = { "" };
	enum ms_status st;

	snprintf(path, sizeof(path), "%s/secret%zu", dir, idx);
	if (strncmp(c->spec, "env:", 4) == 0) {
		if (c->content != NULL)
			setenv("MS_TEST_SECRET", c->content, 1);
		else
			unsetenv("MS_TEST_SECRET");
	}
	switch (c->kind) {
	case K_FILE:
		if (make_file(path, c->content, c->mode) != 0) {
			printf("not ok: %s: setup\n", c->name);
			failures++;
			return;
		}
		break;
	case K_LINK:
		snprintf(target, sizeof(target), "%s.target", path);
		if (make_file(target, c->content, c->mode) != 0 ||
		    symlink(target, path) != 0) {
			printf("not ok: %s: setup\n", c->name);
			failures++;
			return;
		}
		break;
	case K_DIR: mkdir(path, c->mode); break;
	case K_NONE: break;
	}
	if (strstr(c->spec, "%s") != NULL)
		snprintf(spec, sizeof(spec), "%.*s%s",
		    (int)(strstr(c->spec, "%s") - c->spec), c->spec, path);
	else
		snprintf(spec, sizeof(spec), "%s", c->spec);
	st = secret_load(spec, &s, &err);
	if (st != c->want_status) {
		printf("not ok: %s: status %s, want %s (%s)\n", c->name,
		    ms_status_name(st), ms_status_name(c->want_status),
		    err.msg);
		failures++;
	} else if (st == MS_OK) {
		if (s.value == NULL || strcmp(s.value, c->want) != 0 ||
		    s.len != strlen(c->want)) {
			printf("not ok: %s: wrong value\n", c->name);
			failures++;
		}
	} else {
		if (strstr(err.msg, c->want) == NULL) {
			printf("not ok: %s: message \"%s\" lacks \"%s\"\n",
			    c->name, err.msg, c->want);
			failures++;
		}
		if (strstr(err.msg, "s3cr3t") != NULL) {
			printf("not ok: %s: secret in message\n", c->name);
			failures++;
		}
		if (s.value != NULL) {
			printf("not ok: %s: value set on error\n", c->name);
			failures++;
		}
	}
	secret_free(&s);
	if (s.value != NULL || s.len != 0) {
		printf("not ok: %s: not cleared by secret_free\n", c->name);
		failures++;
	}
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	char cmd[4200];

	snprintf(dir, sizeof(dir), "%s/test_secret.XXXXXX",
	    tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 99;
	}
	if (geteuid() == 0)
		printf("# running as root: ownership checks see uid 0\n");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i], i);
	/* clean up: the files, then the directory */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s/secret%zu", dir, i);
		if (unlink(cmd) != 0)
			rmdir(cmd);
		snprintf(cmd, sizeof(cmd), "%s/secret%zu.target", dir, i);
		unlink(cmd);
	}
	rmdir(dir);
	if (failures == 0)
		printf("test_secret: all passed\n");
	return failures == 0 ? 0 : 1;
}
