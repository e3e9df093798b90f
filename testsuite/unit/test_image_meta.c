/*
 * test_image_meta.c - unit tests of common/image_meta.c: parsing the
 * metadata document (writing, loading and the OCI config are
 * test_image_meta_io.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image_meta.h"
#include "test_image_meta_util.h"
#include "unit.h"

/* ------------------------------------------------------------ parse: good */

struct good_case {
	const char *json;
	const char *canonical;
};

static const struct good_case good_cases[] = {
	{ DOC(""), DOC("") },
	{ " \n\t" DOC("") "\r\n ", DOC("") },
	{ "{\"digest\":\"" DIGEST "\",\"schema\":1}", DOC("") },
	{ DOC(FULL), DOC(FULL) },
	/* null, empty lists and empty strings are absent */
	{ DOC(",\"env\":null,\"entrypoint\":null,\"cmd\":null,\"workdir\":null,\"user\":null,"
	      "\"labels\":null,\"created\":null"), DOC("") },
	{ DOC(",\"env\":[],\"entrypoint\":[],\"cmd\":[],\"labels\":{}"), DOC("") },
	{ DOC(",\"workdir\":\"\",\"user\":\"\",\"created\":\"\""), DOC("") },
	/* unknown keys are ignored */
	{ DOC(",\"future\":{\"x\":[1,2,{\"y\":null}]},\"size\":5"), DOC("") },
	{ DOC(",\"env\":[\"A=\",\"B=x=y\",\"_=1\",\"lower_case9=ok\",\"AB=1\",\"A1=2\"]"),
	  DOC(",\"env\":[\"A=\",\"B=x=y\",\"_=1\",\"lower_case9=ok\",\"AB=1\",\"A1=2\"]") },
	{ DOC(",\"env\":[\"C=multi\\nline\\t\\\"q\\\" \\\\\"]"),
	  DOC(",\"env\":[\"C=multi\\nline\\t\\\"q\\\" \\\\\"]") },
	{ DOC(",\"env\":[\"U=caf\\u00e9\"],\"workdir\":\"\\/data\\/x\""),
	  DOC(",\"env\":[\"U=caf\xc3\xa9\"],\"workdir\":\"/data/x\"") },
	{ DOC(",\"labels\":{\"z\":\"1\",\"a\":\"2\",\"org.opencontainers.image.title\":\"\"}"),
	  DOC(",\"labels\":{\"z\":\"1\",\"a\":\"2\",\"org.opencontainers.image.title\":\"\"}") },
	{ DOC(",\"workdir\":\"/a\",\"workdir\":\"/b\""), DOC(",\"workdir\":\"/b\"") },
	{ DOC(",\"cmd\":[\"\",\" \"],\"entrypoint\":[\"x\"]"),
	  DOC(",\"entrypoint\":[\"x\"],\"cmd\":[\"\",\" \"]") },
	{ DOC(",\"workdir\":\"/../..\",\"user\":\"root\""),
	  DOC(",\"workdir\":\"/../..\",\"user\":\"root\"") },
	/* UTF-8 as json-c writes it (raw), parsed back on every json-c
	 * (json_ascii.c: 0.18's strict mode refuses raw bytes >= 0x80) */
	{ DOC(",\"env\":[\"E=\xf0\x9f\x90\xb3 \xe2\x82\xac \xc3\xa9\"]"),
	  DOC(",\"env\":[\"E=\xf0\x9f\x90\xb3 \xe2\x82\xac \xc3\xa9\"]") },
	{ DOC(",\"env\":[\"E=\\ud83d\\udc33\"]"), DOC(",\"env\":[\"E=\xf0\x9f\x90\xb3\"]") },
	{ DOC(",\"env\":[\"B=\\\\\xc3\xa9\"]"), DOC(",\"env\":[\"B=\\\\\xc3\xa9\"]") },
};

START_TEST(test_parse_good)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	ck_assert_msg(berth_image_meta_parse(c->json, strlen(c->json), &m, &err) == 0, "%s: %s",
		      c->json, err.msg);
	ck_assert_uint_eq(m.schema, 1);
	ck_assert_str_eq(m.digest, DIGEST);
	ck_assert_ptr_null(m.env ? m.env[m.env_count] : NULL);
	assert_canonical(&m, c->canonical);
	berth_image_meta_free(&m);
}
END_TEST

/* Canonical text parses back to itself. */
START_TEST(test_round_trip_text)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	ck_assert_int_eq(berth_image_meta_parse(c->canonical, strlen(c->canonical), &m, &err), 0);
	assert_canonical(&m, c->canonical);
	berth_image_meta_free(&m);
}
END_TEST

START_TEST(test_parse_fields)
{
	static const char json[] = DOC(FULL);
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	ck_assert_int_eq(berth_image_meta_parse(json, strlen(json), &m, &err), 0);
	ck_assert_uint_eq(m.env_count, 2);
	ck_assert_str_eq(m.env[0], "PATH=/usr/bin:/bin");
	ck_assert_str_eq(m.env[1], "K=V");
	ck_assert_ptr_null(m.env[2]);
	ck_assert_uint_eq(m.entrypoint_count, 2);
	ck_assert_str_eq(m.entrypoint[0], "/bin/sh");
	ck_assert_str_eq(m.entrypoint[1], "-c");
	ck_assert_ptr_null(m.entrypoint[2]);
	ck_assert_uint_eq(m.cmd_count, 1);
	ck_assert_str_eq(m.cmd[0], "echo hi");
	ck_assert_str_eq(m.workdir, "/");
	ck_assert_str_eq(m.user, "1000:1000");
	ck_assert_uint_eq(m.label_count, 1);
	ck_assert_str_eq(m.labels[0].key, "k");
	ck_assert_str_eq(m.labels[0].value, "v");
	ck_assert_str_eq(m.created, "2024-01-02T03:04:05Z");
	ck_assert_str_eq(berth_image_meta_getenv(&m, "PATH"), "/usr/bin:/bin");
	ck_assert_str_eq(berth_image_meta_getenv(&m, "K"), "V");
	ck_assert_ptr_null(berth_image_meta_getenv(&m, "PAT"));
	ck_assert_ptr_null(berth_image_meta_getenv(&m, "KK"));
	ck_assert_ptr_null(berth_image_meta_getenv(NULL, "K"));
	berth_image_meta_free(&m);
	ck_assert_ptr_null(m.env);
	berth_image_meta_free(&m);
	berth_image_meta_free(NULL);
}
END_TEST

/* The buffer is read for len bytes only: no NUL terminator needed. */
START_TEST(test_parse_unterminated)
{
	static const char json[] = DOC("") "garbage after the document";
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;
	char *copy = malloc(strlen(DOC("")));

	memcpy(copy, json, strlen(DOC("")));
	ck_assert_int_eq(berth_image_meta_parse(copy, strlen(DOC("")), &m, &err), 0);
	berth_image_meta_free(&m);
	free(copy);
	assert_parse_fails(json, strlen(json), "not valid JSON (unexpected character)");
}
END_TEST

/* ------------------------------------------------------------ parse: bad */

struct bad_case {
	const char *json;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "", "not valid JSON (unexpected end of data)" },
	{ "{", "not valid JSON (unexpected end of data)" },
	{ "{\"schema\":1", "not valid JSON (unexpected end of data)" },
	{ "{} {}", "not valid JSON (unexpected character)" },
	{ "{\"schema\":1,}", "not valid JSON (unexpected character)" },
	{ "{\"schema\":tru}", "not valid JSON (boolean expected)" },
	/* malformed UTF-8 (json_ascii.c): refused alike on every json-c */
	{ "{\"a\":\"\xff\"}", "not valid JSON: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"caf\xc3\"}", "not valid JSON: invalid UTF-8 at byte 9" },
	{ "{\"a\":\"\xc0\xaf\"}", "not valid JSON: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xed\xa0\x80\"}", "not valid JSON: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\xf4\x90\x80\x80\"}", "not valid JSON: invalid UTF-8 at byte 6" },
	{ "{\"a\":\"\\\xc3\xa9\"}", "not valid JSON: invalid escape at byte 7" },
	{ "{\"a\":1\xc3\xa9}", "not valid JSON (number expected)" },
	{ "1", "not a JSON object" },
	{ "{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}",
	  "not valid JSON (nesting too deep)" },
	{ "[]", "not a JSON object" },
	{ "null", "not a JSON object" },
	{ "\"x\"", "not a JSON object" },
	{ "{}", "\"schema\" is missing" },
	{ "{\"schema\":null}", "\"schema\" is missing" },
	{ "{\"schema\":\"1\"}", "\"schema\" is not an integer" },
	{ "{\"schema\":1.0}", "\"schema\" is not an integer" },
	{ "{\"schema\":true}", "\"schema\" is not an integer" },
	{ "{\"schema\":2}", "schema 2 is not supported (expected 1)" },
	{ "{\"schema\":0}", "schema 0 is not supported (expected 1)" },
	{ "{\"schema\":-1}", "schema -1 is not supported (expected 1)" },
	{ "{\"schema\":4294967297}", "schema 4294967297 is not supported (expected 1)" },
	{ "{\"schema\":1}", "\"digest\" is missing" },
	{ "{\"schema\":1,\"digest\":null}", "\"digest\" is missing" },
	{ "{\"schema\":1,\"digest\":1}", "\"digest\" is not a string" },
	{ "{\"schema\":1,\"digest\":\"\"}", "digest \"\" is not sha256:<64 lowercase hex digits>" },
	{ "{\"schema\":1,\"digest\":\"sha256:abc\"}",
	  "digest \"sha256:abc\" is not sha256:<64 lowercase hex digits>" },
	{ "{\"schema\":1,\"digest\":\"sha512:" HEX "\"}",
	  "digest \"sha512:0123456789abcdef0123456789abcdef0123456789abcdef012345678...\" is not "
	  "sha256:<64 lowercase hex digits>" },
	{ "{\"schema\":1,\"digest\":\"sha256:" HEX "0\"}",
	  "digest \"sha256:0123456789abcdef0123456789abcdef0123456789abcdef012345678...\" is not "
	  "sha256:<64 lowercase hex digits>" },
	{ "{\"schema\":1,\"digest\":\"sha256:0123456789ABCDEF0123456789abcdef"
	  "0123456789abcdef0123456789abcdef\"}",
	  "digest \"sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef012345678...\" is not "
	  "sha256:<64 lowercase hex digits>" },
	{ "{\"schema\":1,\"digest\":\"sha256:\\u0000" HEX "\"}", "\"digest\" contains a NUL byte" },
	{ "{\"schema\":1,\"digest\":\"sha256:\\n" HEX "\"}",
	  "digest \"sha256:?0123456789abcdef0123456789abcdef0123456789abcdef01234567...\" is not "
	  "sha256:<64 lowercase hex digits>" },
	/* env */
	{ DOC(",\"env\":\"A=b\""), "\"env\" is not an array" },
	{ DOC(",\"env\":{}"), "\"env\" is not an array" },
	{ DOC(",\"env\":[1]"), "env[0] is not a string" },
	{ DOC(",\"env\":[\"A=1\",null]"), "env[1] is not a string" },
	{ DOC(",\"env\":[\"FOO\"]"), "env[0] \"FOO\" is not NAME=value" },
	{ DOC(",\"env\":[\"\"]"), "env[0] \"\" is not NAME=value" },
	{ DOC(",\"env\":[\"=x\"]"), "env[0] \"=x\": invalid variable name \"\"" },
	{ DOC(",\"env\":[\"1A=b\"]"), "env[0] \"1A=b\": invalid variable name \"1A\"" },
	{ DOC(",\"env\":[\"A-B=c\"]"), "env[0] \"A-B=c\": invalid variable name \"A-B\"" },
	{ DOC(",\"env\":[\"A B=c\"]"), "env[0] \"A B=c\": invalid variable name \"A B\"" },
	{ DOC(",\"env\":[\"A.B=c\"]"), "env[0] \"A.B=c\": invalid variable name \"A.B\"" },
	{ DOC(",\"env\":[\"BASH_FUNC_f%%=() { :; }\"]"),
	  "env[0] \"BASH_FUNC_f%%=() { :; }\": invalid variable name \"BASH_FUNC_f%%\"" },
	{ DOC(",\"env\":[\"A\\u001b=x\"]"), "env[0] \"A?=x\": invalid variable name \"A?\"" },
	{ DOC(",\"env\":[\"caf\\u00e9=x\"]"),
	  "env[0] \"caf?\?=x\": invalid variable name \"caf?\?\"" },
	{ DOC(",\"env\":[\"A=1\",\"B=2\",\"A=3\"]"), "env[2] \"A=3\": variable \"A\" is set twice" },
	{ DOC(",\"env\":[\"A=x\\u0000y\"]"), "env[0] contains a NUL byte" },
	/* entrypoint, cmd */
	{ DOC(",\"entrypoint\":\"/bin/sh\""), "\"entrypoint\" is not an array" },
	{ DOC(",\"entrypoint\":[true]"), "entrypoint[0] is not a string" },
	{ DOC(",\"cmd\":[\"a\",[\"b\"]]"), "cmd[1] is not a string" },
	{ DOC(",\"cmd\":[\"a\\u0000\"]"), "cmd[0] contains a NUL byte" },
	/* workdir, user, created */
	{ DOC(",\"workdir\":1"), "\"workdir\" is not a string" },
	{ DOC(",\"workdir\":[\"/\"]"), "\"workdir\" is not a string" },
	{ DOC(",\"workdir\":\"rel/dir\""), "workdir \"rel/dir\" is not an absolute path" },
	{ DOC(",\"workdir\":\"\\u0000/\""), "\"workdir\" contains a NUL byte" },
	{ DOC(",\"user\":1000"), "\"user\" is not a string" },
	{ DOC(",\"user\":\"a\\tb\""), "user \"a?b\" has a control character" },
	{ DOC(",\"user\":\"a\\u007f\""), "user \"a?\" has a control character" },
	{ DOC(",\"created\":5"), "\"created\" is not a string" },
	{ DOC(",\"created\":\"x\\ny\""), "created \"x?y\" has a control character" },
	/* labels */
	{ DOC(",\"labels\":[]"), "\"labels\" is not an object" },
	{ DOC(",\"labels\":{\"a\":1}"), "labels \"a\" is not a string" },
	{ DOC(",\"labels\":{\"a\":null}"), "labels \"a\" is not a string" },
	{ DOC(",\"labels\":{\"a\\nb\":{}}"), "labels \"a?b\" is not a string" },
	{ DOC(",\"labels\":{\"ok\":\"1\",\"\":\"v\"}"), "\"labels\" has an empty key" },
	{ DOC(",\"labels\":{\"a\":\"\\u0000\"}"), "labels \"a\" contains a NUL byte" },
};

START_TEST(test_parse_bad)
{
	assert_parse_fails(bad_cases[_i].json, strlen(bad_cases[_i].json), bad_cases[_i].message);
}
END_TEST

/* A bad document leaves no error message from an earlier good one and no
 * memory behind (ASan). */
START_TEST(test_parse_bad_without_error)
{
	struct berth_image_meta m;

	ck_assert_int_eq(berth_image_meta_parse(bad_cases[_i].json, strlen(bad_cases[_i].json), &m,
						NULL), -1);
	ck_assert_ptr_null(m.digest);
}
END_TEST

/* Counts: 1024 entries are fine, 1025 are not. */
START_TEST(test_parse_counts)
{
	static const struct { const char *key, *open, *close, *message; } lists[] = {
		{ "env", "[", "]", "\"env\" has more than 1024 entries" },
		{ "cmd", "[", "]", "\"cmd\" has more than 1024 entries" },
		{ "entrypoint", "[", "]", "\"entrypoint\" has more than 1024 entries" },
		{ "labels", "{", "}", "\"labels\" has more than 1024 entries" },
	};

	for (size_t l = 0; l < ARRAY_LEN(lists); l++) {
		for (size_t n = 1024; n <= 1025; n++) {
			struct berth_error err = BERTH_ERROR_INIT;
			struct berth_image_meta m;
			char *json = malloc(64 * 1024);
			size_t pos;

			pos = (size_t)sprintf(json, "{\"schema\":1,\"digest\":\"%s\",\"%s\":%s", DIGEST,
					      lists[l].key, lists[l].open);
			for (size_t i = 0; i < n; i++)
				pos += (size_t)sprintf(json + pos, "%s\"V%zu%s\"%s", i ? "," : "", i,
						       l == 0 ? "=x" : "", l == 3 ? ":\"v\"" : "");
			sprintf(json + pos, "%s}", lists[l].close);
			if (n == 1024) {
				ck_assert_msg(berth_image_meta_parse(json, strlen(json), &m, &err) == 0,
					      "%s", err.msg);
				berth_image_meta_free(&m);
			} else {
				assert_parse_fails(json, strlen(json), lists[l].message);
			}
			free(json);
		}
	}
}
END_TEST

/* Length bounds and the shortening of untrusted text in messages. */
START_TEST(test_parse_lengths)
{
	static const struct { const char *pre; char c; size_t n; const char *post, *message; } cases[] = {
		{ PRE(",\"env\":[\"A="), 'x', 65534, "\"]}", NULL },
		{ PRE(",\"env\":[\"A="), 'x', 65535, "\"]}", "env[0] is longer than 65536 bytes" },
		{ PRE(",\"cmd\":[\""), 'x', 65536, "\"]}", NULL },
		{ PRE(",\"cmd\":[\""), 'x', 65537, "\"]}", "cmd[0] is longer than 65536 bytes" },
		{ PRE(",\"workdir\":\"/"), 'x', 4094, "\"}", NULL },
		{ PRE(",\"workdir\":\"/"), 'x', 4095, "\"}", "\"workdir\" is longer than 4095 bytes" },
		{ PRE(",\"user\":\""), 'x', 256, "\"}", NULL },
		{ PRE(",\"user\":\""), 'x', 257, "\"}", "\"user\" is longer than 256 bytes" },
		{ PRE(",\"created\":\""), 'x', 257, "\"}", "\"created\" is longer than 256 bytes" },
		{ PRE(",\"env\":[\""), 'A', 255, "=1\"]}", NULL },
		{ PRE(",\"env\":[\""), 'A', 256, "=1\"]}",
		  "env[0] \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\": invalid "
		  "variable name \"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA...\"" },
		{ PRE(",\"env\":[\""), 'X', 100, "\"]}",
		  "env[0] \"XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX...\" is not "
		  "NAME=value" },
		{ PRE(",\"labels\":{\"k\":\""), 'v', 65537, "\"}}", "labels \"k\" is longer than 65536 bytes" },
		{ PRE(",\"labels\":{\""), 'k', 65537, "\":\"v\"}}",
		  "labels key \"kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk...\" is longer "
		  "than 65536 bytes" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *json = repeat(cases[i].pre, cases[i].c, cases[i].n, cases[i].post);
		struct berth_error err = BERTH_ERROR_INIT;
		struct berth_image_meta m;

		if (cases[i].message) {
			assert_parse_fails(json, strlen(json), cases[i].message);
		} else {
			ck_assert_msg(berth_image_meta_parse(json, strlen(json), &m, &err) == 0,
				      "case %zu: %s", i, err.msg);
			berth_image_meta_free(&m);
		}
		free(json);
	}
}
END_TEST

START_TEST(test_parse_document_size)
{
	char *json = repeat(DOC(""), ' ', BERTH_IMAGE_META_FILE_MAX - strlen(DOC("")), "");
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	ck_assert_uint_eq(strlen(json), BERTH_IMAGE_META_FILE_MAX);
	ck_assert_int_eq(berth_image_meta_parse(json, strlen(json), &m, &err), 0);
	berth_image_meta_free(&m);
	free(json);
	json = repeat(DOC(""), ' ', BERTH_IMAGE_META_FILE_MAX + 1 - strlen(DOC("")), "");
	assert_parse_fails(json, strlen(json), "document is larger than 1048576 bytes");
	free(json);
}
END_TEST

START_TEST(test_env_name_valid)
{
	static const struct { const char *name; int valid; } cases[] = {
		{ "A", 1 }, { "_", 1 }, { "a", 1 }, { "A1", 1 }, { "_9", 1 }, { "PATH", 1 },
		{ "lower_Mixed_09", 1 },
		{ "", 0 }, { "1", 0 }, { "9A", 0 }, { "A-B", 0 }, { "A.B", 0 }, { "A B", 0 },
		{ "A=B", 0 }, { "A*", 0 }, { "\xc3\xa9", 0 }, { "A\n", 0 },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		ck_assert_msg(berth_env_name_valid(cases[i].name, strlen(cases[i].name)) == cases[i].valid,
			      "%s", cases[i].name);
	ck_assert(berth_env_name_valid("AB=x", 2));
	ck_assert(!berth_env_name_valid("AB=x", 3));
}
END_TEST

static Suite *image_meta_suite(void)
{
	Suite *suite = suite_create("image_meta");
	TCase *parse = tcase_create("parse");

	tcase_add_loop_test(parse, test_parse_good, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(parse, test_round_trip_text, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_test(parse, test_parse_fields);
	tcase_add_test(parse, test_parse_unterminated);
	tcase_add_loop_test(parse, test_parse_bad, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_loop_test(parse, test_parse_bad_without_error, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_test(parse, test_parse_counts);
	tcase_add_test(parse, test_parse_lengths);
	tcase_add_test(parse, test_parse_document_size);
	tcase_add_test(parse, test_env_name_valid);
	suite_add_tcase(suite, parse);
	return suite;
}

int main(void)
{
	return unit_run(image_meta_suite());
}
