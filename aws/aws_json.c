/*
 * aws_json.c - jansson allocators that wipe: every block jansson frees
 *              (parsed strings, objects, parser and dump buffers) is
 *              cleared with OPENSSL_cleanse first, so secret values in
 *              GetSecretValue / credential answers leave no copy in freed
 *              heap memory.
 *
 * API:    aws_json_wipe_enable() (aws_provider.h).
 * How:    json_set_alloc_funcs(malloc, wipe_free): wipe_free clears
 *         malloc_usable_size() bytes, then frees. Installed by a
 *         constructor before main() in every program that links this
 *         file (everything that uses aws_secret.c or aws_creds.c pulls
 *         it in through aws_json_wipe_enable(), which also says whether
 *         it is in place).
 * Not wiped (documented in README): libcurl's and OpenSSL's internal
 *         buffers (TLS records, the copy of CURLOPT_PASSWORD), kernel
 *         socket buffers, and memory of other libraries.
 */
#include "config.h"

#include <malloc.h>
#include <stdbool.h>
#include <stdlib.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "aws_provider.h"

/* The C library's own malloc, and a free that first clears the whole
 * block (malloc_usable_size(): glibc, musl): blocks stay compatible with
 * plain free() both ways, so json_dumps() results freed with free()
 * and blocks allocated before this was installed are fine. */
static void
wipe_free(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

__attribute__((constructor)) static void
install(void)
{
	json_set_alloc_funcs(malloc, wipe_free);
}

bool
aws_json_wipe_enable(void)
{
	json_malloc_t m = NULL;
	json_free_t f = NULL;

	json_get_alloc_funcs(&m, &f);
	return m == malloc && f == wipe_free;
}
