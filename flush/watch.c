/*
 * watch.c - how `flush --watch` waits between passes: inotify on new/
 *           (new mail) and on run/ (run/wake, written by retry and
 *           requeue), a timer for the next deferred message, and the
 *           rescan interval; without inotify, a poll of new/ every second.
 *
 * API:    watch_open(), watch_wait() (watch.h).
 * Trust:  an event only says "look again": the pass that follows reads
 *         the spool itself, so a forged or lost event costs one pass or
 *         one rescan interval, nothing more.
 */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef HAVE_SYS_INOTIFY_H
#include <sys/inotify.h>
#endif

#include "log.h"
#include "spool.h"
#include "watch.h"

#ifdef HAVE_SYS_INOTIFY_H
static int run_wd = -1; /* the watch on run/, for run/wake */

int
watch_open(const struct spool *s)
{
	char path[4200], run[4200];
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	snprintf(path, sizeof(path), "%s/new", s->dir);
	snprintf(run, sizeof(run), "%s/run", s->dir);
	if (fd >= 0 &&
	    inotify_add_watch(
		fd, path, IN_MOVED_TO | IN_CREATE | IN_CLOSE_WRITE) < 0) {
		log_msg(LOG_WARNING, "inotify on %s failed (%s); polling", path,
		    strerror(errno));
		close(fd);
		fd = -1;
	}
	/* retry and requeue write run/wake (spool_wake). */
	if (fd >= 0 &&
	    (run_wd = inotify_add_watch(fd, run, IN_CLOSE_WRITE)) < 0)
		log_msg(LOG_WARNING,
		    "inotify on %s failed (%s): retry and requeue wait for "
		    "the rescan",
		    run, strerror(errno));
	return fd;
}

/* Drains ifd; true when an event is one that means "look again": any in
 * new/, run/wake in run/ (the flusher's own run/ files are not). */
static bool
watch_drain(int ifd)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool wake = false;
	ssize_t n;

	while ((n = read(ifd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const void *)p;

			if (ev->wd != run_wd ||
			    (ev->len > 0 && strcmp(ev->name, SPOOL_WAKE) == 0))
				wake = true;
			p += sizeof(*ev) + ev->len;
		}
	}
	return wake;
}
#else
static bool
watch_drain(int ifd)
{
	(void)ifd;
	return true;
}

int
watch_open(const struct spool *s)
{
	(void)s;
	return -1;
}
#endif

void
watch_wait(
    int ifd, long long next_due, long rescan, const volatile sig_atomic_t *stop)
{
	long long now = (long long)time(NULL);
	long long wait = rescan, end;
	struct pollfd pfd = { .fd = ifd, .events = POLLIN };

	if (next_due > 0 && next_due - now < wait)
		wait = next_due > now ? next_due - now : 0;
	if (ifd < 0) {
		/* No inotify: poll new/ every second. */
		sleep(wait < 1 ? (unsigned)wait : 1);
		return;
	}
	end = ms_monotonic_ms() + wait * 1000;
	while (!*stop) {
		long long left = end - ms_monotonic_ms();

		if (left <= 0 || poll(&pfd, 1, (int)left) <= 0)
			return; /* time is up, or a signal */
		if (watch_drain(ifd))
			return;
	}
}
