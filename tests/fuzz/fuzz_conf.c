/*
 * fuzz_conf.c - libFuzzer target for the configuration loader
 *               (lib/conf*.c on top of libconfuse): parse, validate, fill.
 *
 * API:    LLVMFuzzerTestOneInput().
 * Input:  a mailshim.conf. It reaches conf_load() through a memfd named
 *         by /proc/self/fd/N, so no file is left behind and no shared
 *         code needed a buffer entry point.
 * Build:  with --enable-fuzzers (clang); tests/fuzz/replay_conf feeds the
 *         seed corpus to the same function under `make check`.
 */
#define _GNU_SOURCE
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_conf conf;
	struct ms_err err;
	char path[64];
	int fd;

	/* libconfuse's include() would read other files: not our input. */
	if (size > 64 * 1024 || memmem(data, size, "include", 7) != NULL)
		return 0;
	fd = memfd_create("fuzz-conf", MFD_CLOEXEC);
	if (fd < 0)
		abort();
	if (size > 0 && write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err.msg[0] = '\0';
	if (conf_load(&conf, path, true, &err) == MS_OK) {
		/* Every route names relays that exist. */
		for (int i = 0; i < conf.nrelays; i++)
			if (conf_relay_find(&conf, conf.relays[i].name) == NULL)
				abort();
		conf_free(&conf);
	} else if (err.msg[0] == '\0') {
		abort(); /* a refusal always says why */
	}
	close(fd);
	return 0;
}
