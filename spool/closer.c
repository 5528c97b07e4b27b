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
 * Fork:   the closer is one thread per process, started on first use. A
 *         worker forked from a flusher whose closer ran starts its own:
 *         the caller drains before fork, so the child inherits no queued
 *         descriptor, and the pid tells the child that the thread it
 *         remembers is its parent's.
 * Errors: none to report: a descriptor that cannot be queued (the
 *         thread could not start, the queue is full) is closed at once.
 */
#include "config.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <unistd.h>

#include "spool.h"

#define CLOSER_QUEUE 64 /* descriptors waiting; beyond, close at once */

static struct {
	pthread_mutex_t mu;
	pthread_cond_t work; /* a descriptor was queued */
	pthread_cond_t idle; /* the queue emptied and no close is running */
	int fd[CLOSER_QUEUE];
	int head, count;
	bool closing; /* the thread is in close() */
	pid_t pid;    /* the process whose thread this is; 0: none */
} closer = {
	.mu = PTHREAD_MUTEX_INITIALIZER,
	.work = PTHREAD_COND_INITIALIZER,
	.idle = PTHREAD_COND_INITIALIZER,
};

static void *
closer_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&closer.mu);
	for (;;) {
		int fd;

		while (closer.count == 0)
			pthread_cond_wait(&closer.work, &closer.mu);
		fd = closer.fd[closer.head];
		closer.head = (closer.head + 1) % CLOSER_QUEUE;
		closer.count--;
		closer.closing = true;
		pthread_mutex_unlock(&closer.mu);
		close(fd);
		pthread_mutex_lock(&closer.mu);
		closer.closing = false;
		if (closer.count == 0)
			pthread_cond_broadcast(&closer.idle);
	}
	return NULL;
}

/* In a child forked from a process whose closer ran: that thread is not
 * here, and the copied mutex and condition variables may remember it, so
 * they are made anew. Only the delivering thread calls in, and a fresh
 * child has no other, so this runs unlocked. */
static void
closer_forget_parent(void)
{
	if (closer.pid == 0 || closer.pid == getpid())
		return;
	pthread_mutex_init(&closer.mu, NULL);
	pthread_cond_init(&closer.work, NULL);
	pthread_cond_init(&closer.idle, NULL);
	closer.head = closer.count = 0;
	closer.closing = false;
	closer.pid = 0;
}

/* Starts this process's thread unless it runs; false if it cannot. Called
 * with the mutex held. */
static bool
closer_running(void)
{
	pthread_attr_t attr;
	pthread_t t;
	sigset_t all, was;
	bool ok;

	if (closer.pid != 0)
		return true;
	if (pthread_attr_init(&attr) != 0)
		return false;
	/* Closing needs little stack; the default 8 MiB is address space. */
	pthread_attr_setstacksize(&attr, 64 * 1024);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* Signals are for the delivering thread (SIGTERM must interrupt its
	 * waits): the closer is born with all of them blocked. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &was);
	ok = pthread_create(&t, &attr, closer_main, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &was, NULL);
	pthread_attr_destroy(&attr);
	if (ok)
		closer.pid = getpid();
	return ok;
}

void
spool_close_later(int fd)
{
	bool queued = false;

	if (fd < 0)
		return;
	closer_forget_parent();
	pthread_mutex_lock(&closer.mu);
	if (closer.count < CLOSER_QUEUE && closer_running()) {
		closer.fd[(closer.head + closer.count) % CLOSER_QUEUE] = fd;
		closer.count++;
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
	closer_forget_parent();
	pthread_mutex_lock(&closer.mu);
	if (closer.pid != 0)
		while (closer.count > 0 || closer.closing)
			pthread_cond_wait(&closer.idle, &closer.mu);
	pthread_mutex_unlock(&closer.mu);
}
