/*
 * listing.c - lists an area of the spool (queue/, dead/, a deferred/
 *             bucket) and the files set aside in dead/.
 *
 * API:    spool_list(), spool_list_bad(), spool_free_names(),
 *         spool_bad_id() (spool.h); spool_is_state_name() (spool_priv.h).
 * Due:    the mtime of ID.state is the next attempt time, so a scan needs
 *         one readdir and one fstatat per message of queue/, nothing
 *         more; deferred messages wait in deferred/ (schedule.c), which
 *         a pass reads only where something is due. No message is opened.
 * Trust:  only names that are queue ids (or ID.state, ID.bad) are listed.
 * Errors: MS_TEMP with the area and the cause (unreadable directory, out
 *         of memory).
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool_priv.h"

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct spool_entry *)a)->id,
	    ((const struct spool_entry *)b)->id);
}

bool
spool_is_state_name(const char *name)
{
	size_t n = strlen(name);

	return n == SPOOL_ID_LEN + strlen(STATE_SUFFIX) &&
	    strcmp(name + SPOOL_ID_LEN, STATE_SUFFIX) == 0;
}

static int
find_entry(struct spool_entry *v, size_t n, const char *id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strncmp(v[mid].id, id, SPOOL_ID_LEN);

		if (c == 0)
			return (int)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

/* Reads an area directory: message ids into *v, state names into *states. */
static enum ms_status
read_area(struct spool *s, enum spool_area area, struct spool_entry **v,
    size_t *n, char ***states, size_t *nstates, struct ms_err *err)
{
	size_t cap = 0, scap = 0;
	struct dirent *de;
	bool oom = false;
	void *grown;
	DIR *d;

	if ((d = ms_opendir_at(spool_area_fd(s, area))) == NULL) {
		return ms_err_set(err, MS_TEMP, "cannot read %s/%s: %s", s->dir,
		    spool_area_name(area), strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (spool_id_valid(de->d_name)) {
			if ((grown = ms_grow(*v, &cap, *n, sizeof(**v), 256)) ==
			    NULL) {
				oom = true;
				break;
			}
			*v = grown;
			memset(&(*v)[*n], 0, sizeof(**v));
			memcpy((*v)[*n].id, de->d_name, SPOOL_ID_LEN + 1);
			(*n)++;
		} else if (spool_is_state_name(de->d_name)) {
			if ((grown = ms_grow(*states, &scap, *nstates,
				 sizeof(char *), 64)) == NULL) {
				oom = true;
				break;
			}
			*states = grown;
			(*states)[(*nstates)++] = strdup(de->d_name);
		}
	}
	closedir(d);
	if (oom)
		return ms_err_set(err, MS_TEMP, "out of memory");
	return MS_OK;
}

enum ms_status
spool_list(struct spool *s, enum spool_area area, struct spool_entry **entries,
    size_t *count, struct ms_err *err)
{
	struct spool_entry *v = NULL;
	char **states = NULL;
	size_t n = 0, nstates = 0;
	enum ms_status st;

	st = read_area(s, area, &v, &n, &states, &nstates, err);
	if (st == MS_OK && n > 0)
		qsort(v, n, sizeof(*v), entry_cmp);
	for (size_t i = 0; i < nstates; i++) {
		struct stat sb;
		int k = st == MS_OK ? find_entry(v, n, states[i]) : -1;

		if (states[i] != NULL && k >= 0 &&
		    fstatat(spool_area_fd(s, area), states[i], &sb,
			AT_SYMLINK_NOFOLLOW) == 0) {
			v[k].has_state = true;
			v[k].next_try = (long long)sb.st_mtime;
		}
		free(states[i]);
	}
	free(states);
	if (st != MS_OK) {
		free(v);
		return st;
	}
	*entries = v;
	*count = n;
	return MS_OK;
}

static bool
is_bad_name(const char *name)
{
	size_t n = strlen(name), b = strlen(BAD_SUFFIX),
	       sb = strlen(STATE_SUFFIX BAD_SUFFIX);

	return n > b && strcmp(name + n - b, BAD_SUFFIX) == 0 &&
	    !(n > sb && strcmp(name + n - sb, STATE_SUFFIX BAD_SUFFIX) == 0);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum ms_status
spool_list_bad(
    struct spool *s, char ***names, size_t *count, struct ms_err *err)
{
	char **v = NULL, **nv;
	size_t n = 0;
	struct dirent *de;
	DIR *d;

	*names = NULL;
	*count = 0;
	if ((d = ms_opendir_at(s->deadfd)) == NULL) {
		return ms_err_set(err, MS_TEMP, "cannot read %s/dead: %s",
		    s->dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		char *copy;

		if (!is_bad_name(de->d_name))
			continue;
		if ((copy = strdup(de->d_name)) == NULL ||
		    (nv = realloc(v, (n + 1) * sizeof(*v))) == NULL) {
			free(copy);
			spool_free_names(v, n);
			closedir(d);
			return ms_err_set(err, MS_TEMP, "out of memory");
		}
		v = nv;
		v[n++] = copy;
	}
	closedir(d);
	if (n > 0)
		qsort(v, n, sizeof(*v), name_cmp);
	*names = v;
	*count = n;
	return MS_OK;
}

void
spool_free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

bool
spool_bad_id(const char *name, char *id)
{
	if (strlen(name) != SPOOL_ID_LEN + strlen(BAD_SUFFIX) ||
	    strcmp(name + SPOOL_ID_LEN, BAD_SUFFIX) != 0)
		return false;
	memcpy(id, name, SPOOL_ID_LEN);
	id[SPOOL_ID_LEN] = '\0';
	return spool_id_valid(id);
}
