/*
 * test_image_meta.c - unit tests of common/image_meta.c.
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
#include "unit.h"

#define HEX    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define DIGEST "sha256:" HEX
/* A metadata document: schema and digest, then rest (starting with ','). */
#define PRE(rest) "{\"schema\":1,\"digest\":\"" DIGEST "\"" rest
#define DOC(rest) PRE(rest) "}"
#define FULL ",\"env\":[\"PATH=/usr/bin:/bin\",\"K=V\"],\"entrypoint\":[\"/bin/sh\",\"-c\"]," \
	"\"cmd\":[\"echo hi\"],\"workdir\":\"/\",\"user\":\"1000:1000\",\"labels\":{\"k\":\"v\"}," \
	"\"created\":\"2024-01-02T03:04:05Z\""

/* ------------------------------------------------------------ helpers */

/* Serialise m and compare with the expected canonical text. */
static void assert_canonical(const struct berth_image_meta *m, const char *expected)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL;
	size_t len = 0;

	ck_assert_msg(berth_image_meta_to_json(m, &text, &len, &err) == 0, "to_json: %s", err.msg);
	ck_assert_str_eq(text, expected);
	ck_assert_uint_eq(len, strlen(expected));
	free(text);
}

static void assert_parse_fails(const char *json, size_t len, const char *message)
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

static char *make_temp_dir(void)
{
	char *dir = strdup("/tmp/berth-test-meta-XXXXXX");

	ck_assert_ptr_nonnull(dir);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	return dir;
}

static void remove_dir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	ck_assert_int_eq(fclose(f), 0);
}

/* "prefix" + n copies of c + "suffix", malloc'd. */
static char *repeat(const char *prefix, char c, size_t n, const char *suffix)
{
	size_t p = strlen(prefix), s = strlen(suffix);
	char *text = malloc(p + n + s + 1);

	ck_assert_ptr_nonnull(text);
	memcpy(text, prefix, p);
	memset(text + p, c, n);
	memcpy(text + p + n, suffix, s + 1);
	return text;
}

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

/* ------------------------------------------------------------ check, write */

/* A meta built by hand with every field and awkward bytes survives
 * to_json + parse unchanged. */
START_TEST(test_round_trip_struct)
{
	char *env[] = { "Q=\"quoted\" \\ back/slash\n\t\x01 caf\xc3\xa9 \xff", "EMPTY=", NULL };
	char *entrypoint[] = { "/bin/sh", "", NULL };
	char *cmd[] = { "a\"b", "{}[],:", NULL };
	struct berth_image_label labels[] = { { "k\"ey", "v\nal" }, { "a/b", "\xe2\x82\xac" } };
	struct berth_image_meta m = {
		1, DIGEST, env, 2, entrypoint, 2, cmd, 2, "/work dir/\xc3\xa9", "user:group",
		labels, 2, "2024-01-02T03:04:05.123456789Z",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta back;
	char *text;
	size_t len;

	ck_assert_int_eq(berth_image_meta_to_json(&m, &text, &len, &err), 0);
	ck_assert_ptr_null(strchr(text, '\n'));
	ck_assert_msg(berth_image_meta_parse(text, len, &back, &err) == 0, "%s", err.msg);
	free(text);
	ck_assert_str_eq(back.digest, m.digest);
	ck_assert_uint_eq(back.env_count, 2);
	for (size_t i = 0; i < 2; i++) {
		ck_assert_str_eq(back.env[i], env[i]);
		ck_assert_str_eq(back.entrypoint[i], entrypoint[i]);
		ck_assert_str_eq(back.cmd[i], cmd[i]);
		ck_assert_str_eq(back.labels[i].key, labels[i].key);
		ck_assert_str_eq(back.labels[i].value, labels[i].value);
	}
	ck_assert_str_eq(back.workdir, m.workdir);
	ck_assert_str_eq(back.user, m.user);
	ck_assert_str_eq(back.created, m.created);
	berth_image_meta_free(&back);
}
END_TEST

START_TEST(test_check_struct)
{
	char *two[] = { "A=1", NULL, NULL };
	char *dup[] = { "A=1", "A=2", NULL };
	struct berth_image_label nokey[] = { { NULL, "v" } };
	static const char *const messages[] = {
		"schema 0 is not supported (expected 1)",
		"\"digest\" is missing",
		"env[1] is missing",
		"env[1] \"A=2\": variable \"A\" is set twice",
		"cmd[1] is missing",
		"labels entry 0 is missing",
		"workdir \"w\" is not an absolute path",
		"\"env\" has more than 1024 entries",
	};
	struct berth_image_meta cases[ARRAY_LEN(messages)];
	struct berth_error err = BERTH_ERROR_INIT;

	memset(cases, 0, sizeof(cases));
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		cases[i].schema = 1;
		cases[i].digest = DIGEST;
	}
	cases[0].schema = 0;
	cases[1].digest = NULL;
	cases[2].env = two, cases[2].env_count = 2;
	cases[3].env = dup, cases[3].env_count = 2;
	cases[4].cmd = two, cases[4].cmd_count = 2;
	cases[5].labels = nokey, cases[5].label_count = 1;
	cases[6].workdir = "w";
	cases[7].env = two, cases[7].env_count = 1025;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		char *text = (char *)"unchanged";

		ck_assert_int_eq(berth_image_meta_check(&cases[i], &err), -1);
		ck_assert_str_eq(err.msg, messages[i]);
		ck_assert_int_eq(berth_image_meta_to_json(&cases[i], &text, NULL, &err), -1);
		ck_assert_ptr_null(text);
		ck_assert_str_eq(err.msg, messages[i]);
	}
}
END_TEST

/* Twenty values of 60000 bytes fit the limits of each string but not the
 * file. */
START_TEST(test_to_json_too_big)
{
	char *env[21];
	struct berth_image_meta m = { 1, DIGEST, env, 20, NULL, 0, NULL, 0, NULL, NULL, NULL, 0, NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	char expected[128], *text;
	size_t size = strlen(DOC(",\"env\":[]"));

	for (size_t i = 0; i < 20; i++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "V%02zu=", i);
		env[i] = repeat(prefix, 'x', 60000, "");
		size += strlen(env[i]) + 2 + (i > 0);
	}
	env[20] = NULL;
	snprintf(expected, sizeof(expected), "image metadata would be %zu bytes, more than 1048576", size);
	ck_assert_int_eq(berth_image_meta_to_json(&m, &text, NULL, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	m.env_count = 17;
	ck_assert_int_eq(berth_image_meta_to_json(&m, &text, NULL, &err), 0);
	free(text);
	for (size_t i = 0; i < 20; i++)
		free(env[i]);
}
END_TEST

static size_t count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

START_TEST(test_write_load)
{
	static const char json[] = DOC(FULL);
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m, back;
	char *dir = make_temp_dir(), path[256], *text;
	struct stat st;

	snprintf(path, sizeof(path), "%s/" DIGEST ".json", dir);
	ck_assert_int_eq(berth_image_meta_parse(json, strlen(json), &m, &err), 0);
	umask(077);
	ck_assert_msg(berth_image_meta_write(&m, path, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_uint_eq(count_entries(dir), 1);
	ck_assert_msg(berth_image_meta_load(path, &back, &err) == 0, "%s", err.msg);
	assert_canonical(&back, json);
	berth_image_meta_free(&back);

	/* overwrite, atomically */
	free(m.user);
	m.user = strdup("2000");
	ck_assert_int_eq(berth_image_meta_write(&m, path, &err), 0);
	ck_assert_int_eq(berth_image_meta_load(path, &back, &err), 0);
	ck_assert_str_eq(back.user, "2000");
	ck_assert_uint_eq(count_entries(dir), 1);
	berth_image_meta_free(&back);

	/* the file is one line of JSON with a newline */
	ck_assert_int_eq(berth_image_meta_to_json(&m, &text, NULL, &err), 0);
	{
		char buf[4096] = { 0 };
		FILE *f = fopen(path, "r");

		ck_assert_uint_eq(fread(buf, 1, sizeof(buf) - 1, f), strlen(text) + 1);
		fclose(f);
		ck_assert_int_eq(strncmp(buf, text, strlen(text)), 0);
		ck_assert_str_eq(buf + strlen(text), "\n");
	}
	free(text);
	berth_image_meta_free(&m);
	remove_dir(dir);
}
END_TEST

START_TEST(test_write_errors)
{
	struct berth_image_meta m = BERTH_IMAGE_META_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = make_temp_dir(), path[256], expected[512];

	m.schema = 1;
	m.digest = "sha256:x";
	snprintf(path, sizeof(path), "%s/meta.json", dir);
	ck_assert_int_eq(berth_image_meta_write(&m, path, &err), -1);
	ck_assert_str_eq(err.msg, "digest \"sha256:x\" is not sha256:<64 lowercase hex digits>");
	ck_assert_uint_eq(count_entries(dir), 0);

	m.digest = DIGEST;
	snprintf(path, sizeof(path), "%s/missing/meta.json", dir);
	snprintf(expected, sizeof(expected),
		 "create a temporary file beside \"%s\": No such file or directory", path);
	ck_assert_int_eq(berth_image_meta_write(&m, path, &err), -1);
	ck_assert_str_eq(err.msg, expected);

	/* rename onto a directory fails and leaves no temporary file */
	snprintf(path, sizeof(path), "%s/adir", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(berth_image_meta_write(&m, path, &err), -1);
	ck_assert_int_eq(err.code, EISDIR);
	ck_assert_uint_eq(count_entries(dir), 1);
	remove_dir(dir);
}
END_TEST

START_TEST(test_load_errors)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;
	char *dir = make_temp_dir(), path[256], expected[512];
	char *big;

	snprintf(path, sizeof(path), "%s/none.json", dir);
	snprintf(expected, sizeof(expected), "image metadata \"%s\": No such file or directory", path);
	ck_assert_int_eq(berth_image_meta_load(path, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, ENOENT);

	snprintf(expected, sizeof(expected), "image metadata \"%s\": not a regular file", dir);
	ck_assert_int_eq(berth_image_meta_load(dir, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);

	/* a FIFO is refused without blocking */
	snprintf(path, sizeof(path), "%s/fifo.json", dir);
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	snprintf(expected, sizeof(expected), "image metadata \"%s\": not a regular file", path);
	ck_assert_int_eq(berth_image_meta_load(path, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);

	snprintf(path, sizeof(path), "%s/bad.json", dir);
	write_file(path, "{\"schema\":1}", 12);
	snprintf(expected, sizeof(expected), "image metadata \"%s\": \"digest\" is missing", path);
	ck_assert_int_eq(berth_image_meta_load(path, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_ptr_null(m.digest);

	snprintf(path, sizeof(path), "%s/empty.json", dir);
	write_file(path, "", 0);
	snprintf(expected, sizeof(expected),
		 "image metadata \"%s\": not valid JSON (unexpected end of data)", path);
	ck_assert_int_eq(berth_image_meta_load(path, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);

	/* exactly the limit, then one byte more */
	snprintf(path, sizeof(path), "%s/big.json", dir);
	big = repeat(DOC(""), '\n', BERTH_IMAGE_META_FILE_MAX - strlen(DOC("")), "");
	write_file(path, big, BERTH_IMAGE_META_FILE_MAX);
	ck_assert_msg(berth_image_meta_load(path, &m, &err) == 0, "%s", err.msg);
	berth_image_meta_free(&m);
	write_file(path, big, BERTH_IMAGE_META_FILE_MAX);
	{
		FILE *f = fopen(path, "a");

		fputc(' ', f);
		fclose(f);
	}
	snprintf(expected, sizeof(expected), "image metadata \"%s\": larger than 1048576 bytes", path);
	ck_assert_int_eq(berth_image_meta_load(path, &m, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	free(big);
	remove_dir(dir);
}
END_TEST

/* ------------------------------------------------------------ OCI config */

struct oci_case {
	const char *config;
	const char *canonical;   /* NULL: rejected with message */
	const char *message;
};

#define OCI_FULL                                                                              \
	"{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2024-05-06T07:08:09.5Z\","   \
	"\"author\":\"someone\",\"config\":{\"Hostname\":\"\",\"User\":\"1000:100\","            \
	"\"ExposedPorts\":{\"80/tcp\":{}},\"Env\":[\"PATH=/opt/conda/bin:/usr/bin:/bin\","        \
	"\"LANG=C.UTF-8\"],\"Entrypoint\":[\"/usr/bin/tini\",\"--\"],\"Cmd\":[\"python3\"],"     \
	"\"Volumes\":{\"/data\":{}},\"WorkingDir\":\"/workspace\",\"Labels\":{\"maintainer\":"    \
	"\"x@example.org\",\"org.opencontainers.image.version\":\"1.2\"},\"StopSignal\":"         \
	"\"SIGTERM\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:" HEX "\"]},"        \
	"\"history\":[{\"created\":\"2024-05-06T07:08:09Z\",\"created_by\":\"/bin/sh\"}]}"

static const struct oci_case oci_cases[] = {
	{ OCI_FULL,
	  DOC(",\"env\":[\"PATH=/opt/conda/bin:/usr/bin:/bin\",\"LANG=C.UTF-8\"],\"entrypoint\":"
	      "[\"/usr/bin/tini\",\"--\"],\"cmd\":[\"python3\"],\"workdir\":\"/workspace\",\"user\":"
	      "\"1000:100\",\"labels\":{\"maintainer\":\"x@example.org\","
	      "\"org.opencontainers.image.version\":\"1.2\"},\"created\":\"2024-05-06T07:08:09.5Z\""),
	  NULL },
	/* what docker writes for an image without them */
	{ "{\"config\":{\"Env\":[\"PATH=/bin\"],\"Cmd\":[\"/bin/sh\"],\"Entrypoint\":null,"
	  "\"WorkingDir\":\"\",\"User\":\"\",\"Labels\":null,\"OnBuild\":null}}",
	  DOC(",\"env\":[\"PATH=/bin\"],\"cmd\":[\"/bin/sh\"]"), NULL },
	{ "{\"architecture\":\"arm64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
	  "\"diff_ids\":[]}}", DOC(""), NULL },
	{ "{}", DOC(""), NULL },
	{ "{\"config\":null}", DOC(""), NULL },
	{ "{\"config\":{}}", DOC(""), NULL },
	/* our own key names mean nothing in an OCI config */
	{ "{\"config\":{\"env\":[\"bad\"],\"workdir\":\"rel\"},\"env\":1}", DOC(""), NULL },
	{ "[]", NULL, "not a JSON object" },
	{ "{\"config\":", NULL, "not valid JSON (unexpected end of data)" },
	{ "{\"config\":[]}", NULL, "\"config\" is not an object" },
	{ "{\"config\":{\"Env\":\"A=b\"}}", NULL, "\"config.Env\" is not an array" },
	{ "{\"config\":{\"Env\":[\"A=b\",7]}}", NULL, "config.Env[1] is not a string" },
	{ "{\"config\":{\"Env\":[\"NOVALUE\"]}}", NULL, "config.Env[0] \"NOVALUE\" is not NAME=value" },
	{ "{\"config\":{\"Env\":[\"my-var=1\"]}}", NULL,
	  "config.Env[0] \"my-var=1\": invalid variable name \"my-var\"" },
	{ "{\"config\":{\"Env\":[\"A=1\",\"A=2\"]}}", NULL,
	  "config.Env[1] \"A=2\": variable \"A\" is set twice" },
	{ "{\"config\":{\"Entrypoint\":\"/bin/sh -c\"}}", NULL, "\"config.Entrypoint\" is not an array" },
	{ "{\"config\":{\"Cmd\":[null]}}", NULL, "config.Cmd[0] is not a string" },
	{ "{\"config\":{\"WorkingDir\":\"app\"}}", NULL,
	  "config.WorkingDir \"app\" is not an absolute path" },
	{ "{\"config\":{\"WorkingDir\":7}}", NULL, "\"config.WorkingDir\" is not a string" },
	{ "{\"config\":{\"User\":\"a\\nb\"}}", NULL, "config.User \"a?b\" has a control character" },
	{ "{\"config\":{\"Labels\":{\"a\":true}}}", NULL, "config.Labels \"a\" is not a string" },
	{ "{\"config\":{\"Labels\":[]}}", NULL, "\"config.Labels\" is not an object" },
	{ "{\"created\":1}", NULL, "\"created\" is not a string" },
};

START_TEST(test_oci_config)
{
	const struct oci_case *c = &oci_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;
	int rc = berth_image_meta_from_oci_config(c->config, strlen(c->config), DIGEST, &m, &err);

	if (c->canonical) {
		ck_assert_msg(rc == 0, "%s: %s", c->config, err.msg);
		assert_canonical(&m, c->canonical);
		berth_image_meta_free(&m);
	} else {
		ck_assert_msg(rc == -1, "accepted: %s", c->config);
		ck_assert_str_eq(err.msg, c->message);
		ck_assert_ptr_null(m.digest);
		ck_assert_ptr_null(m.env);
	}
}
END_TEST

START_TEST(test_oci_config_digest)
{
	static const char *const digests[] = { NULL, "", "sha256:" HEX "\n", "md5:x" };
	static const char *const messages[] = {
		"\"digest\" is missing",
		"digest \"\" is not sha256:<64 lowercase hex digits>",
		"digest \"sha256:0123456789abcdef0123456789abcdef0123456789abcdef012345678...\" is not "
		"sha256:<64 lowercase hex digits>",
		"digest \"md5:x\" is not sha256:<64 lowercase hex digits>",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	for (size_t i = 0; i < ARRAY_LEN(digests); i++) {
		ck_assert_int_eq(berth_image_meta_from_oci_config("{}", 2, digests[i], &m, &err), -1);
		ck_assert_str_eq(err.msg, messages[i]);
	}
}
END_TEST

/* Converted metadata written and loaded again is the same. */
START_TEST(test_oci_write_load)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m, back;
	char *dir = make_temp_dir(), path[256], *a, *b;

	snprintf(path, sizeof(path), "%s/m.json", dir);
	ck_assert_int_eq(berth_image_meta_from_oci_config(OCI_FULL, strlen(OCI_FULL), DIGEST, &m,
							  &err), 0);
	ck_assert_int_eq(berth_image_meta_write(&m, path, &err), 0);
	ck_assert_int_eq(berth_image_meta_load(path, &back, &err), 0);
	ck_assert_int_eq(berth_image_meta_to_json(&m, &a, NULL, &err), 0);
	ck_assert_int_eq(berth_image_meta_to_json(&back, &b, NULL, &err), 0);
	ck_assert_str_eq(a, b);
	free(a);
	free(b);
	berth_image_meta_free(&m);
	berth_image_meta_free(&back);
	remove_dir(dir);
}
END_TEST

START_TEST(test_oci_config_size)
{
	size_t len = BERTH_IMAGE_META_CONFIG_MAX + 1;
	char *json = repeat("{}", ' ', len - 2, "");
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta m;

	ck_assert_int_eq(berth_image_meta_from_oci_config(json, len, DIGEST, &m, &err), -1);
	ck_assert_str_eq(err.msg, "document is larger than 16777216 bytes");
	ck_assert_int_eq(berth_image_meta_from_oci_config(json, len - 1, DIGEST, &m, &err), 0);
	berth_image_meta_free(&m);
	free(json);
}
END_TEST

static Suite *image_meta_suite(void)
{
	Suite *suite = suite_create("image_meta");
	TCase *parse = tcase_create("parse");
	TCase *write = tcase_create("write");
	TCase *oci = tcase_create("oci");

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

	tcase_add_test(write, test_round_trip_struct);
	tcase_add_test(write, test_check_struct);
	tcase_add_test(write, test_to_json_too_big);
	tcase_add_test(write, test_write_load);
	tcase_add_test(write, test_write_errors);
	tcase_add_test(write, test_load_errors);
	tcase_set_timeout(write, 30);
	suite_add_tcase(suite, write);

	tcase_add_loop_test(oci, test_oci_config, 0, (int)ARRAY_LEN(oci_cases));
	tcase_add_test(oci, test_oci_config_digest);
	tcase_add_test(oci, test_oci_write_load);
	tcase_add_test(oci, test_oci_config_size);
	tcase_set_timeout(oci, 30);
	suite_add_tcase(suite, oci);
	return suite;
}

int main(void)
{
	return unit_run(image_meta_suite());
}
