/*
 * reader.c - buffered line reader (see reader.h).
 *
 * API:    rd_init(), rd_line().
 * Errors: MS_IOERR when the input cannot be read.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

static ssize_t
fd_fill(void *ctx, char *buf, size_t len)
{
	return read((int)(intptr_t)ctx, buf, len);
}

void
rd_init(struct rd *r, rd_fill_fn fill, void *ctx)
{
	r->fill = fill != NULL ? fill : fd_fill;
	r->ctx = ctx;
	r->before_block = NULL;
	r->start = r->end = 0;
	r->eof = false;
}

enum ms_status
rd_line(struct rd *r, const char **p, size_t *len, bool *complete,
    struct ms_err *err)
{
	for (;;) {
		size_t avail = r->end - r->start;
		char *s = r->buf + r->start;
		char *nl = avail > 0 ? memchr(s, '\n', avail) : NULL;
		ssize_t n;

		if (nl != NULL) {
			*p = s;
			*len = (size_t)(nl - s) + 1;
			*complete = true;
			r->start += *len;
			return MS_OK;
		}
		if (r->eof || avail == sizeof(r->buf)) {
			*p = s;
			*len = avail;
			*complete = false;
			/* keep a CR at the end: its LF may come next */
			if (!r->eof && avail > 1 && s[avail - 1] == '\r')
				(*len)--;
			r->start += *len;
			return MS_OK;
		}
		if (r->start > 0) {
			memmove(r->buf, s, avail);
			r->start = 0;
			r->end = avail;
		}
		if (r->before_block != NULL)
			r->before_block();
		do
			n = r->fill(
			    r->ctx, r->buf + r->end, sizeof(r->buf) - r->end);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return ms_err_set(err, MS_IOERR,
			    "cannot read the message: %s", strerror(errno));
		if (n == 0)
			r->eof = true;
		r->end += (size_t)n;
	}
}
