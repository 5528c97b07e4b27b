/*
 * watch.h - the waits of `flush --watch` between passes (watch.c).
 */
#ifndef MS_WATCH_H
#define MS_WATCH_H

#include <signal.h>

#include "spool.h"

/* An inotify descriptor watching new/ and run/wake, or -1 (no inotify:
 * watch_wait polls new/ every second); logs what it cannot watch. */
int watch_open(const struct spool *s);

/* Sleeps until new mail arrives, retry or requeue writes run/wake, the
 * next deferred message is due (next_due, 0 = none), rescan seconds
 * pass, or *stop is set (by a signal). */
void watch_wait(int ifd, long long next_due, long rescan,
    const volatile sig_atomic_t *stop);

#endif
