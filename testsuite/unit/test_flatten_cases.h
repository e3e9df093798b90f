/*
 * test_flatten_cases.h - the table of layer stacks and expected results of
 * test_flatten, and the helpers its test files share.
 */
#ifndef BERTH_TEST_FLATTEN_CASES_H_
#define BERTH_TEST_FLATTEN_CASES_H_

#include <stddef.h>

#include "test_flatten_util.h"

struct flat_case {
	const char *name;
	const struct tl_layer *layers;  /* bottom first, ends with entries NULL */
	const char *expected;           /* listing, when it succeeds */
	const char *error;              /* exact message, when it fails */
	int code;
};

extern const struct flat_case flat_cases[];
extern const size_t flat_case_count;

/* Write a case's layers into dir as l1, l2, ... (paths are strdup'ed). */
size_t tc_write_layers(const char *dir, const struct tl_layer *layers, const char **paths);
void tc_free_paths(const char **paths, size_t n);

#endif
