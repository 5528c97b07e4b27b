/*
 * aliases_load.c - reading the aliases file itself (a missing file is an
 *                  empty table) and handing its text to the parser.
 *
 * API:    aliases_load_report(), aliases_load().  Documented in aliases.h.
 * Trust:  the file must be a regular file of at most ALIASES_MAX_FILE
 *         bytes; one that changes while read is refused, not half-read.
 * Errors: MS_CONFIG naming the file, MS_TEMP when memory runs out, or
 *         what aliases_parse_buf() returns.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "log.h"

static void
log_problem(const char *file, int line, bool error, const char *msg, void *arg)
{
	(void)arg;
	(void)error;
	log_msg(LOG_WARNING, "%s:%d: %s", file, line, msg);
}

enum ms_status
aliases_load_report(struct aliases **out, const char *path,
    aliases_problem_cb pcb, void *parg, struct ms_err *err)
{
	struct stat sb;
	char *buf = NULL;
	size_t len = 0;
	enum ms_status st;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0 && errno == ENOENT)
		return aliases_parse_buf(out, "", 0, path, pcb, parg, err);
	if (fd < 0)
		return ms_err_set(err, MS_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &sb) != 0) {
		st = ms_err_set(err, MS_CONFIG, "cannot read %s: %s", path,
		    strerror(errno));
		goto out;
	}
	if (!S_ISREG(sb.st_mode)) {
		st = ms_err_set(err, MS_CONFIG,
		    "cannot read %s: not a "
		    "regular file",
		    path);
		goto out;
	}
	if (sb.st_size > ALIASES_MAX_FILE) {
		st = ms_err_set(err, MS_CONFIG, "%s: larger than %ld bytes",
		    path, ALIASES_MAX_FILE);
		goto out;
	}
	buf = malloc((size_t)sb.st_size + 1);
	if (buf == NULL) {
		st = ms_err_set(err, MS_TEMP, "%s: out of memory", path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, buf + len, (size_t)sb.st_size + 1 - len);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			st = ms_err_set(err, MS_CONFIG, "cannot read %s: %s",
			    path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > (size_t)sb.st_size) {
			st = ms_err_set(err, MS_CONFIG,
			    "cannot read %s: it "
			    "changed while being read",
			    path);
			goto out;
		}
	}
	st = aliases_parse_buf(out, buf, len, path, pcb, parg, err);
out:
	free(buf);
	close(fd);
	return st;
}

enum ms_status
aliases_load(struct aliases **out, const char *path, struct ms_err *err)
{
	return aliases_load_report(out, path, log_problem, NULL, err);
}
