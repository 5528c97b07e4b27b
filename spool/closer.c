/*
 * closer.c - closes the descriptors of delivered, already unlinked
 *            messages on a thread of the flusher's own, off the delivery
 *            path.
 *
 * API:    spool_close_later(), spool_closer_drain() (spool.h).
 * Why:    the last close of an unlinked file frees its inode and blocks.
 *         That can wait for the device: on a file system mounted with
 *         `discard` ext4 issues the discard and waits for it
 *         (blkdev_issue_discard -> submit_bio_wait), and a busy journal
 *         makes it wait too. perf put 14% of a flusher's samples per
 *         delivered message in that close, all of it before the next
 *         message could start. Nothing depends on when the close ends:
 *         the name is gone (unlinked before), so no one can open or lock
 *         the file; only its blocks come back later, and a drain at the
 *         end of each pass bounds how much later.
 * Batches: the thread is woken once per CLOSER_BATCH descriptors (and by
 *         a drain), not per message: a wake-up per message cost about
 *         five futex calls and a cross-CPU wake-up each (strace -c).
 * Fork:   the closer is one thread per process, started on first use. A
 *         child of a process whose closer ran forgets it (pthread_atfork)
 *         and starts its own when it needs one. Callers drain before a
 *         fork that is not followed by exec, so the child inherits no
 *         descriptor waiting to be closed.
 * Errors: none to report: a descriptor that cannot be queued (the
 *         thread could not start, the queue is full) is closed at once.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"

#define CLOSER_QUEUE 64 /* descriptors waiting; beyond, close at once */
#define CLOSER_BATCH 16 /* the thread is woken when this many wait */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a batch is waiting, or a drain began */
	pthread_cond_t idle; /* nothing waits and no close is running */
	int fd[CLOSER_QUEUE];
	int count;
	bool closing;  /* the thread is closing a batch */
	bool draining; /* someone waits for everything to be closed */
	bool started;  /* this process's thread runs */
	bool atfork;   /* the fork handler is registered */
} closer = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static void *
closer_main(void *arg)
{
	int batch[CLOSER_QUEUE];

	(void)arg;
	pthread_mutex_lock(&closer.mu);
	for (;;) {
		int n;

		while (closer.count < CLOSER_BATCH &&
		    !(closer.draining && closer.count > 0))
			pthread_cond_wait(&closer.work, &closer.mu);
		n = closer.count;
		memcpy(batch, closer.fd, (size_t)n * sizeof(batch[0]));
		closer.count = 0;
		closer.closing = true;
		pthread_mutex_unlock(&closer.mu);
		for (int i = 0; i < n; i++)
			close(batch[i]);
		pthread_mutex_lock(&closer.mu);
		closer.closing = false;
		if (closer.count == 0)
			pthread_cond_broadcast(&closer.idle);
	}
	return NULL;
}

/* In the child of a fork: the thread is not there, and the copied mutex
 * and condition variables may remember it, so they are made anew. */
static void
closer_after_fork(void)
{
	pthread_mutex_init(&closer.mu, NULL);
	pthread_cond_init(&closer.work, NULL);
	pthread_cond_init(&closer.idle, NULL);
	closer.count = 0;
	closer.closing = closer.draining = closer.started = false;
}

/* Starts this process's thread unless it runs; false if it cannot. Called
 * with the mutex held. */
static bool
closer_running(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, was;

	if (closer.started)
		return true;
	if (!closer.atfork) {
		if (pthread_atfork(NULL, NULL, closer_after_fork) != 0)
			return false;
		closer.atfork = true;
	}
	if (pthread_attr_init(&attr) != 0)
		return false;
	/* Closing needs little stack; the default 8 MiB is address space. */
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are for the delivering thread (SIGTERM must interrupt its
	 * waits): the closer is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	closer.started = pthread_create(&t, &attr, closer_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	pthread_attr_destroy(&attr);
	return closer.started;
}

void
spool_close_later(int fd)
{
	bool queued = false;

	if (fd < 0)
		return;
	pthread_mutex_lock(&closer.mu);
	if (closer.count < CLOSER_QUEUE && closer_running()) {
		closer.fd[closer.count++] = fd;
		if (closer.count == CLOSER_BATCH)
			pthread_cond_signal(&closer.work);
		queued = true;
	}
	pthread_mutex_unlock(&closer.mu);
	if (!queued)
		close(fd);
}

void
spool_closer_drain(void)
{
	pthread_mutex_lock(&closer.mu);
	if (closer.started && (closer.count > 0 || closer.closing)) {
		closer.draining = true;
		pthread_cond_signal(&closer.work);
		while (closer.count > 0 || closer.closing)
			pthread_cond_wait(&closer.idle, &closer.mu);
		closer.draining = false;
	}
	pthread_mutex_unlock(&closer.mu);
}
