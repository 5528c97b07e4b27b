/*
 * holds.c - relay holds: a relay that failed (connect, TLS, auth, quota)
 *           is skipped for a while, by this worker (a monotonic clock)
 *           and by every flusher (run/hold-RELAY, through ratelimit.c);
 *           an inotify watch on run/ spares a file read per message.
 *
 * API:    hold_watch_start(), hold_relay(), hold_usable()
 *         (deliver_priv.h).
 * Rules:  a hold only moves mail to the next relay of its route; it never
 *         dead-letters anything. One log line when a hold starts, not
 *         one per message it holds back.
 * Trust:  run/ is reached through the descriptor the spool opened, never
 *         by a path; the watch only tells that a hold-* name changed, the
 *         hold itself is read from its file.
 * Errors: none returned: without a watch every check reads the file, and
 *         a hold that cannot be written or read holds this worker only.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include "deliver_priv.h"
#include "escape.h"
#include "log.h"
#include "ratelimit.h"

/* Watches the run/ directory this process opened (through its descriptor,
 * so nothing is followed) for any change of a name; without a watch
 * (no inotify, no run/) every hold check reads the file. Made by each
 * worker for itself: an inotify instance is not shared across fork. */
void
hold_watch_start(struct deliver_ctx *ctx)
{
	char path[64];
	int fd;

	if (ctx->spool->runfd < 0)
		return;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->spool->runfd);
	if ((fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
		return;
	if (inotify_add_watch(fd, path,
		IN_ONLYDIR | IN_CREATE | IN_DELETE | IN_MOVED_FROM |
		    IN_MOVED_TO | IN_MODIFY | IN_CLOSE_WRITE | IN_ATTRIB |
		    IN_DELETE_SELF | IN_MOVE_SELF) < 0) {
		close(fd);
		return;
	}
	ctx->holdwatch = fd;
}

/* Reads every pending event of the watch; forgets what it knew of the
 * holds when a hold-* name changed, events were lost or the watch is
 * gone (then every check reads the file again, as without a watch). */
static void
hold_watch_drain(struct deliver_ctx *ctx)
{
	char buf[4096]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	bool changed = false, gone = false;
	ssize_t n;

	while ((n = read(ctx->holdwatch, buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < n;) {
			const struct inotify_event *ev =
			    (const struct inotify_event *)(buf + off);

			if (ev->mask &
			    (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF |
				IN_UNMOUNT))
				gone = true;
			else if ((ev->mask & IN_Q_OVERFLOW) || ev->len == 0 ||
			    strncmp(ev->name, "hold-", 5) == 0)
				changed = true;
			off += (ssize_t)(sizeof(*ev) + ev->len);
		}
	}
	if (n < 0 && errno == EINTR)
		changed = true; /* unread events: trust nothing this time */
	if (gone || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		close(ctx->holdwatch);
		ctx->holdwatch = -1;
		changed = true;
	}
	if (changed)
		memset(ctx->no_hold, 0,
		    (size_t)ctx->conf->nrelays * sizeof(*ctx->no_hold));
}

/* Seconds on a clock that no one sets (CLOCK_BOOTTIME: counts suspend
 * too): holds within this process do not move with the wall clock. */
static long long
mono_now(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_BOOTTIME, &ts) != 0)
		clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

void
hold_relay(struct deliver_ctx *ctx, struct relay *r, const char *why,
    long seconds, long long now)
{
	bool first = false;
	struct ms_err err;
	char quoted[256];

	r->cool_until = mono_now() + seconds;
	if (relay_hold_set(ctx->spool->runfd, r->conf->name, now + seconds, why,
		&first, &err) != MS_OK)
		first = true;
	if (first)
		log_msg(LOG_WARNING,
		    "relay %s held for %lds, mail goes to the "
		    "next relay of its route: %s",
		    r->conf->name, seconds,
		    ms_quote(quoted, sizeof(quoted), why, strlen(why)));
}

/* Is relay rc usable now? If not, why (for the message's reason). */
bool
hold_usable(struct deliver_ctx *ctx, struct relay *r, long long now, char *why,
    size_t whylen)
{
	long long until = 0;
	struct ms_err err;
	char reason[RELAY_REPLY_MAX];
	size_t i = (size_t)(r->conf - ctx->conf->relays);

	/* The shared hold (any flusher may have set it) carries the reason.
	 * The watch is read before the file is looked at, so a hold set
	 * after that look is an event the next check sees; while none
	 * came, a relay without a hold file still has none (no open of
	 * run/hold-RELAY per message). */
	if (ctx->holdwatch >= 0) {
		hold_watch_drain(ctx);
		if (!ctx->no_hold[i] && ctx->holdwatch >= 0 &&
		    relay_hold_none(ctx->spool->runfd, r->conf->name))
			ctx->no_hold[i] = true;
	}
	if ((ctx->holdwatch < 0 || !ctx->no_hold[i]) &&
	    relay_hold_get(ctx->spool->runfd, r->conf->name, &until, reason,
		sizeof(reason), &err) == MS_OK &&
	    until > now) {
		r->cool_until = mono_now() + (until - now);
		snprintf(why, whylen, "relay %s held for %llds more: %.300s",
		    r->conf->name, until - now, reason);
		return false;
	}
	if (r->cool_until > mono_now()) {
		snprintf(why, whylen, "relay %s held after a failure",
		    r->conf->name);
		return false;
	}
	return true;
}
