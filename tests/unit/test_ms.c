/*
 * test_ms.c - lib/ms.c's ms_grow(): an array grows by doubling from its
 *             first size, is left alone while there is room, and a size
 *             that would overflow is refused with the array unchanged.
 *             ms_open_run_file(): a missing file is no error unless
 *             created, one is created 0600, a symlink is refused with a
 *             line naming it. ms_read_text(): at most len - 1 bytes,
 *             always terminated, "" when nothing can be read.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ms.h"
#include "tap.h"

static void
test_run_files(void)
{
	char dir[] = "/tmp/test_ms.XXXXXX", buf[8];
	struct ms_err err = { 0 };
	struct stat sb;
	int dfd, fd = 0;

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY)) < 0) {
		CHECK(0, "cannot make a test directory");
		return;
	}
	CHECK(ms_open_run_file(dfd, "stats-x", O_RDONLY, &fd, &err) == MS_OK &&
		fd == -1,
	    "missing, not created: MS_OK, fd %d", fd);
	CHECK(ms_open_run_file(dfd, "stats-x", O_RDWR | O_CREAT, &fd, &err) ==
		    MS_OK &&
		fd >= 0 && fstat(fd, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	    "created 0600");
	CHECK(write(fd, "since 12\nsent 3\n", 16) == 16, "written");
	CHECK(ms_read_text(fd, buf, sizeof(buf)) == 7, "read len - 1 bytes");
	CHECK_STR(buf, "since 1", "text cut at len - 1 and terminated");
	close(fd);
	CHECK(ms_read_text(-1, buf, sizeof(buf)) == -1 && buf[0] == '\0',
	    "unreadable: -1 and \"\"");
	CHECK(symlinkat("/etc/passwd", dfd, "stats-link") == 0, "symlink made");
	CHECK(ms_open_run_file(dfd, "stats-link", O_RDONLY, &fd, &err) ==
		    MS_TEMP &&
		strstr(err.msg, "cannot open run/stats-link: ") == err.msg,
	    "symlink refused: %s", err.msg);
	unlinkat(dfd, "stats-link", 0);
	unlinkat(dfd, "stats-x", 0);
	close(dfd);
	rmdir(dir);
}

int
main(void)
{
	int *v = NULL, *nv;
	size_t cap = 0, n;

	for (n = 0; n < 1000; n++) {
		if ((nv = ms_grow(v, &cap, n, sizeof(*v), 16)) == NULL)
			break;
		v = nv;
		v[n] = (int)n;
	}
	CHECK(n == 1000, "grew to hold 1000: stopped at %zu", n);
	CHECK(cap == 1024, "16 doubled six times: cap %zu", cap);
	for (n = 0; n < 1000 && v != NULL; n++)
		if (v[n] != (int)n)
			break;
	CHECK(n == 1000, "kept every element: first wrong at %zu", n);
	CHECK(ms_grow(v, &cap, 500, sizeof(*v), 16) == v && cap == 1024,
	    "room left: same array, same cap");

	/* Doubling past SIZE_MAX bytes: refused, nothing changed. */
	cap = 8;
	CHECK(ms_grow(v, &cap, 8, SIZE_MAX / 8, 16) == NULL && cap == 8,
	    "overflowing size refused, cap %zu", cap);
	CHECK(v != NULL && v[999] == 999, "array intact after a refusal");
	free(v);
	test_run_files();
	return tap_done();
}
