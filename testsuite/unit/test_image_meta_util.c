/*
 * test_image_meta_util.c - see test_image_meta_util.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_image_meta_util.h"
#include "unit.h"

/* Serialise m and compare with the expected canonical text. */
void assert_canonical(const struct berth_image_meta *m, const char *expected)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL;
	size_t len = 0;

	ck_assert_msg(berth_image_meta_to_json(m, &text, &len, &err) == 0, "to_json: %s", err.msg);
	ck_assert_str_eq(text, expected);
	ck_assert_uint_eq(len, strlen(expected));
	free(text);
}

void assert_parse_fails(const char *json, size_t len, const char *message)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	memset(&m, 0x5a, sizeof(m));
	ck_assert_msg(berth_image_meta_parse(json, len, &m, &err) == -1, "accepted: %s", json);
	ck_assert_str_eq(err.msg, message);
	/* nothing is left behind */
	ck_assert_ptr_null(m.digest);
	ck_assert_ptr_null(m.env);
	ck_assert_ptr_null(m.labels);
	ck_assert_uint_eq(m.env_count, 0);
}

char *make_temp_dir(void)
{
	char *dir = strdup("/tmp/berth-test-meta-XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

void remove_dir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* "prefix" + n copies of c + "suffix", malloc'd. */
char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *text = malloc(p + n + s + 1);

	ck_assert_ptr_nonnull(text);
	memcpy(text, prefix, p);
	memset(text + p, c, n);
	memcpy(text + p + n, suffix, s + 1);
	return text;
}
