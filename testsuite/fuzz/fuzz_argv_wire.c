/*
 * fuzz_argv_wire.c - the list encoding of common/argv_wire.c, which the
 * in-container entrypoint program decodes from its environment (what a
 * task's environment holds is the user's).
 *
 * Input: any bytes, as the encoded text.  Checks: a decoded list has at
 * most BERTH_ARGV_WIRE_MAX strings and is NULL-terminated; encoding it
 * again gives exactly the input (one encoding per list); the strings, as
 * a list, encode and decode back to themselves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "argv_wire.h"
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fz_strndup(data, size), *again;
	char **list = NULL, **back = NULL;
	size_t n = 0, m = 0;

	if (berth_argv_decode(text, &list, &n) < 0) {
		FZ_CHECK(errno == EINVAL || errno == ENOMEM, "errno %d", errno);
		free(text);
		return 0;
	}
	FZ_CHECK(n <= BERTH_ARGV_WIRE_MAX && list[n] == NULL, "%zu strings", n);
	again = berth_argv_encode((const char *const *)list, n);
	FZ_CHECK(again != NULL, "encode failed");
	FZ_CHECK(strcmp(again, text) == 0, "re-encoding differs");
	FZ_CHECK(berth_argv_decode(again, &back, &m) == 0 && m == n, "round trip: %zu vs %zu", m, n);
	for (size_t i = 0; i < n; i++)
		FZ_CHECK(strcmp(list[i], back[i]) == 0, "string %zu differs", i);
	free(back);
	free(again);
	free(list);
	free(text);
	return 0;
}
