/*
 * replay.c - runs LLVMFuzzerTestOneInput on every file of one seed corpus
 *            without a fuzzing engine, so `make check` replays it (under
 *            ASan in CI). Built once per target by tests/hardening.mk
 *            with -DFUZZ_CORPUS='"NAME"'.
 *
 * Usage:  replay_NAME [DIR|FILE...]; with no argument the corpus is
 *         $top_srcdir/tests/fuzz/corpus/NAME.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t len = 0, cap = 0, n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	do {
		if (len == cap) {
			uint8_t *p = realloc(buf, cap = cap ? cap * 2 : 4096);

			if (p == NULL) {
				fclose(f);
				free(buf);
				return -1;
			}
			buf = p;
		}
		n = fread(buf + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	fclose(f);
	LLVMFuzzerTestOneInput(buf, len);
	free(buf);
	return 0;
}

static int
replay(const char *path, int *count)
{
	struct stat sb;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if (stat(path, &sb) != 0) {
		perror(path);
		return -1;
	}
	if (!S_ISDIR(sb.st_mode)) {
		(*count)++;
		return replay_file(path);
	}
	d = opendir(path);
	if (d == NULL) {
		perror(path);
		return -1;
	}
	while ((de = readdir(d)) != NULL && rc == 0) {
		char sub[4096];

		if (de->d_name[0] == '.')
			continue;
		if (snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name) >=
		    (int)sizeof(sub))
			continue;
		rc = replay(sub, count);
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	char def[4096];
	const char *src = getenv("top_srcdir");
	int count = 0;

	if (argc < 2) {
		snprintf(def, sizeof(def), "%s/tests/fuzz/corpus/%s",
		    src != NULL ? src : ".", FUZZ_CORPUS);
		if (replay(def, &count) != 0)
			return 99;
	}
	for (int i = 1; i < argc; i++)
		if (replay(argv[i], &count) != 0)
			return 99;
	if (count == 0) {
		fprintf(stderr, "replay_%s: no corpus files\n", FUZZ_CORPUS);
		return 99;
	}
	printf("replay_%s: %d inputs, no crash\n", FUZZ_CORPUS, count);
	return 0;
}
