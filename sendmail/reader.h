/*
 * reader.h - a buffered line reader over a file descriptor (or any fill
 *            function), shared by normal mode and -bs.
 *
 * API:    rd_init(), rd_line().
 * Memory: one fixed buffer; lines longer than it come back in pieces.
 */
#ifndef SM_READER_H
#define SM_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ms.h"

#define RD_BUF_SIZE 16384

/* Reads up to len bytes into buf: count, 0 at end of input, -1 (errno
 * set) on error. */
typedef ssize_t (*rd_fill_fn)(void *ctx, char *buf, size_t len);

struct rd {
	rd_fill_fn fill;
	void *ctx;
	void (*before_block)(void); /* called before a read that may wait */
	size_t start, end;
	bool eof;
	char buf[RD_BUF_SIZE];
};

/* fill NULL: read(2) from the fd given as (intptr_t)ctx. */
void rd_init(struct rd *r, rd_fill_fn fill, void *ctx);

/* Returns the next piece of input in *p, *len: a whole line including
 * its LF (*complete set), or, for a line longer than the buffer, a part
 * of it (never ending between a CR and its LF). *len == 0 means end of
 * input. The pointer is valid until the next call. MS_IOERR on a read
 * error. */
enum ms_status rd_line(struct rd *r, const char **p, size_t *len,
    bool *complete, struct ms_err *err);

#endif
