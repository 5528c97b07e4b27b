/*
 * test_schedule.c - the schedule's bucket names (spool/schedule.h):
 *                   time <-> YYYYMMDDHHMM in UTC at minute, day, leap-day
 *                   and far-future boundaries (expected names computed
 *                   with Python's datetime, not with our code), odd
 *                   names refused, odd entries of deferred/ (a file,
 *                   a symlink, junk) left alone and never followed, and
 *                   sched_count's total over buckets read in parallel.
 */
#include "config.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "schedule.h"
#include "spool.h"
#include "tap.h"

static void
test_names(void)
{
	static const struct {
		long long t;
		const char *name;
	} cases[] = {
		{ 0, "197001010000" }, { 1795424400, "202611230900" },
		{ 1795424459, "202611230900" }, /* last second of a minute */
		{ 1795424460, "202611230901" }, /* first of the next */
		{ 1709251199, "202402292359" }, /* leap day, last second */
		{ 1709251200, "202403010000" },
		{ 253402300799, "999912312359" }, /* the last we can name */
	};
	char name[SCHED_NAME_LEN + 1];
	long long start;

	for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
		CHECK(sched_bucket_name(cases[i].t, name), "%lld", cases[i].t);
		CHECK_STR(name, cases[i].name, "bucket name");
		CHECK(sched_bucket_parse(cases[i].name, &start) &&
			start == cases[i].t - cases[i].t % 60,
		    "%s -> %lld", cases[i].name, start);
	}
	CHECK(!sched_bucket_name(253402300800LL, name), "year 10000");
	CHECK(!sched_bucket_name(-1, name), "before 1970");
	CHECK(sched_bucket_parse("202611301400", &start) && start == 1796047200,
	    "2026-11-30 14:00 UTC: %lld", start);
}

static void
test_refused(void)
{
	static const char *odd[] = {
		"",		  /* empty */
		"20261130140",	  /* 11 digits */
		"2026113014000",  /* 13 digits */
		"20261130140a",	  /* not a digit */
		"-02611301400",	  /* sign */
		" 02611301400",	  /* space */
		"202602301200",	  /* February 30 */
		"202613011200",	  /* month 13 */
		"202611302400",	  /* hour 24 */
		"202611301260",	  /* minute 60 */
		"202611000000",	  /* day 0 */
		"000001010000",	  /* year 0: before 1970 */
		"../202611301400" /* a path */
	};
	long long start;

	for (size_t i = 0; i < MS_ARRAY_LEN(odd); i++)
		CHECK(!sched_bucket_parse(odd[i], &start), "accepted \"%s\"",
		    odd[i]);
}

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

static void
touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0, "create %s", path);
	if (fd >= 0)
		close(fd);
}

/* A new spool in a new directory dir (a mkdtemp template): its path
 * into p, open in s. False (a failed check) when it cannot be made. */
static bool
temp_spool(char *dir, char *p, size_t len, struct spool *s)
{
	struct ms_err err;

	if (mkdtemp(dir) == NULL) {
		CHECK(0, "mkdtemp");
		return false;
	}
	snprintf(p, len, "%s/spool", dir);
	CHECK(spool_init(p, NULL, NULL, &err) == MS_OK, "init: %s", err.msg);
	if (spool_open(s, p, &err) != MS_OK) {
		CHECK(0, "open: %s", err.msg);
		return false;
	}
	return true;
}

/* A file and a symlink named like buckets, and junk, in deferred/: never
 * listed, never followed, never moved; a real due bucket is returned. */
static void
test_odd_entries(void)
{
	char dir[] = "/tmp/test_schedule.XXXXXX", p[256], q[512];
	const char *id = "0006652D1A2B3C4D5E6F70",
		   *id2 = "0006652D1A2B3C4D5E6F71";
	struct sched_bucket *v;
	struct spool s;
	struct ms_err err;
	struct stat sb;
	size_t n;

	if (!temp_spool(dir, p, sizeof(p), &s))
		return;
	/* a file named like a bucket, junk, a symlink to a directory
	 * holding a message */
	snprintf(q, sizeof(q), "%s/deferred/202001010000", p);
	touch(q);
	snprintf(q, sizeof(q), "%s/deferred/junk", p);
	touch(q);
	snprintf(q, sizeof(q), "%s/outside", dir);
	mkdir(q, 0700);
	snprintf(q, sizeof(q), "%s/outside/%s", dir, id);
	touch(q);
	snprintf(q, sizeof(q), "%s/outside", dir);
	snprintf(p, sizeof(p), "%s/spool/deferred/202001010001", dir);
	CHECK(symlink(q, p) == 0, "symlink");
	/* a real bucket in the past, with a message due (no state) */
	snprintf(p, sizeof(p), "%s/spool/deferred/202001010002", dir);
	mkdir(p, 0700);
	snprintf(p, sizeof(p), "%s/spool/deferred/202001010002/%s", dir, id2);
	touch(p);

	CHECK(
	    sched_list_buckets(&s, true, &v, &n, &err) == MS_OK, "%s", err.msg);
	CHECK(n == 1 && strcmp(v[0].name, "202001010002") == 0,
	    "listed %zu buckets", n);
	free(v);
	CHECK(spool_return_due(&s, 1800000000, 3600, NULL) == 1,
	    "returned the real bucket's message only");
	snprintf(p, sizeof(p), "%s/spool/queue/%s", dir, id2);
	CHECK(stat(p, &sb) == 0, "message back in queue/");
	snprintf(p, sizeof(p), "%s/spool/queue/%s", dir, id);
	CHECK(stat(p, &sb) != 0, "followed the symlink");
	snprintf(q, sizeof(q), "%s/outside/%s", dir, id);
	CHECK(stat(q, &sb) == 0, "moved a file behind the symlink");
	snprintf(p, sizeof(p), "%s/spool/deferred/202001010000", dir);
	CHECK(stat(p, &sb) == 0 && S_ISREG(sb.st_mode), "file touched");
	snprintf(p, sizeof(p), "%s/spool/deferred/202001010002", dir);
	CHECK(stat(p, &sb) != 0, "emptied bucket not removed");
	spool_close(&s);
	CHECK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "cleanup");
}

/* Buckets of different sizes, each with states, temporary files and
 * junk beside its ids; the smallest id in the last bucket and the
 * second smallest in the first, so that whichever thread reads either
 * the total and the oldest come out of the merge. */
static void
test_count(void)
{
	enum { NBUCKETS = 40 };
	char dir[] = "/tmp/test_schedule.XXXXXX", p[256], q[512];
	char oldest[SPOOL_ID_LEN + 1] = "";
	struct spool s;
	struct ms_err err;
	size_t n, want = 0;

	if (!temp_spool(dir, p, sizeof(p), &s))
		return;
	CHECK(sched_count(&s, &n, oldest, &err) == MS_OK && n == 0 &&
		oldest[0] == '\0',
	    "no bucket: %zu, \"%s\"", n, oldest);
	for (int b = 0; b < NBUCKETS; b++) {
		size_t ids = b == 7 ? 0 : (size_t)(b * 13 % 50) + 1;

		snprintf(q, sizeof(q), "%s/deferred/2026120110%02d", p, b);
		CHECK(mkdir(q, 0700) == 0, "mkdir %s", q);
		for (size_t i = 0; i < ids; i++) {
			/* ids 1xxx...; bucket 0's first is 0002..., the
			 * last bucket's first 0001...: the two smallest */
			unsigned lead = 9;
			char id[64], path[640];

			if (i == 0 && b == 0)
				lead = 2;
			else if (i == 0 && b == NBUCKETS - 1)
				lead = 1;

			snprintf(id, sizeof(id), "%04X%02X%04zX000000000000",
			    lead, (unsigned)b, i);
			snprintf(path, sizeof(path), "%s/%s", q, id);
			touch(path);
			snprintf(path, sizeof(path), "%s/%s.state", q, id);
			touch(path);
			snprintf(path, sizeof(path), "%s/%s.state.tmp", q, id);
			touch(path);
			want++;
		}
		snprintf(q + strlen(q), sizeof(q) - strlen(q), "/junk");
		touch(q);
	}
	CHECK(sched_count(&s, &n, oldest, &err) == MS_OK, "%s", err.msg);
	CHECK(n == want, "counted %zu of %zu", n, want);
	CHECK_STR(oldest, "0001270000000000000000", "oldest");
	/* A smaller oldest from queue/ stays (stats passes queue/'s). */
	memcpy(oldest, "0000000000000000000001", SPOOL_ID_LEN + 1);
	CHECK(sched_count(&s, &n, oldest, &err) == MS_OK && n == want,
	    "again: %zu", n);
	CHECK_STR(oldest, "0000000000000000000001", "smaller oldest kept");
	spool_close(&s);
	CHECK(nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS) == 0, "cleanup");
}

int
main(void)
{
	log_open("test_schedule", true);
	test_names();
	test_refused();
	test_odd_entries();
	test_count();
	return tap_done();
}
