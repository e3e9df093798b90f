/*
 * test_image_meta_util.h - shared helpers of the image metadata unit tests
 * (test_image_meta.c: parsing; test_image_meta_io.c: writing, loading and
 * the OCI config).
 */
#ifndef BERTH_TEST_IMAGE_META_UTIL_H_
#define BERTH_TEST_IMAGE_META_UTIL_H_

#include <stddef.h>

#include "image_meta.h"

#define HEX    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX
/* A metadata document: schema and digest, then rest (starting with ','). */
#define PRE(rest) "{\"schema\":1,\"digest\":\"" DIGEST "\"" rest
#define DOC(rest) PRE(rest) "}"
#define FULL ",\"env\":[\"PATH=/usr/bin:/bin\",\"K=V\"],\"entrypoint\":[\"/bin/sh\",\"-c\"]," \
	"\"cmd\":[\"echo hi\"],\"workdir\":\"/\",\"user\":\"1000:1000\",\"labels\":{\"k\":\"v\"}," \
	"\"created\":\"2024-01-02T03:04:05Z\""

/* Serialise m and compare with the expected canonical text. */
void assert_canonical(const struct berth_image_meta *m, const char *expected);
/* Parsing json must fail with exactly message and leave nothing behind. */
void assert_parse_fails(const char *json, size_t len, const char *message);
/* A fresh directory under /tmp (malloc'd path); remove_dir removes and frees it. */
char *make_temp_dir(void);
void remove_dir(char *dir);
void write_file(const char *path, const char *data, size_t len);
/* "prefix" + n copies of c + "suffix", malloc'd. */
char *repeat(const char *prefix, char c, size_t n, const char *suffix);

#endif
