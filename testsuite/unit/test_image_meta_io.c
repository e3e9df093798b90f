/*
 * test_image_meta_io.c - unit tests of common/image_meta.c: checking,
 * writing and loading metadata, and converting an OCI image config.
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

/* ------------------------------------------------------------ check, write */

/* A meta built by hand with every field and awkward bytes survives
 * to_json + parse unchanged. */
START_TEST(test_round_trip_struct)
{
	char *env[] = { "Q=\"quoted\" \\ back/slash\n\t\x01 caf\xc3\xa9 \xf0\x9f\x90\xb3", "EMPTY=", NULL };
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
	struct berth_image_label latin1[] = { { "k", "caf\xe9" } };
	char *latin1_cmd[] = { "echo", "caf\xe9", NULL };
	static const char *const messages[] = {
		"schema 0 is not supported (expected 1)",
		"\"digest\" is missing",
		"env[1] is missing",
		"env[1] \"A=2\": variable \"A\" is set twice",
		"cmd[1] is missing",
		"labels entry 0 is missing",
		"workdir \"w\" is not an absolute path",
		"\"env\" has more than 1024 entries",
		/* JSON is UTF-8: a file json-c 0.18 could not read back is never written */
		"labels entry 0 is not UTF-8",
		"cmd[1] is not UTF-8",
		"\"workdir\" is not UTF-8",
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
	cases[8].labels = latin1, cases[8].label_count = 1;
	cases[9].cmd = latin1_cmd, cases[9].cmd_count = 2;
	cases[10].workdir = "/caf\xe9";
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
	ck_assert_msg(berth_image_meta_write(&m, path, 0644, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	ck_assert_uint_eq(count_entries(dir), 1);
	ck_assert_msg(berth_image_meta_load(path, &back, &err) == 0, "%s", err.msg);
	assert_canonical(&back, json);
	berth_image_meta_free(&back);

	/* overwrite, atomically */
	free(m.user);
	m.user = strdup("2000");
	ck_assert_int_eq(berth_image_meta_write(&m, path, 0644, &err), 0);
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
	ck_assert_int_eq(berth_image_meta_write(&m, path, 0644, &err), -1);
	ck_assert_str_eq(err.msg, "digest \"sha256:x\" is not sha256:<64 lowercase hex digits>");
	ck_assert_uint_eq(count_entries(dir), 0);

	m.digest = DIGEST;
	snprintf(path, sizeof(path), "%s/missing/meta.json", dir);
	snprintf(expected, sizeof(expected),
		 "create a temporary file beside \"%s\": No such file or directory", path);
	ck_assert_int_eq(berth_image_meta_write(&m, path, 0644, &err), -1);
	ck_assert_str_eq(err.msg, expected);

	/* rename onto a directory fails and leaves no temporary file */
	snprintf(path, sizeof(path), "%s/adir", dir);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	ck_assert_int_eq(berth_image_meta_write(&m, path, 0644, &err), -1);
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
	{ "{\"config\":{\"Env\":[\"A=\xff\"]}}", NULL, "not valid JSON: invalid UTF-8 at byte 21" },
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
	ck_assert_int_eq(berth_image_meta_write(&m, path, 0644, &err), 0);
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

static Suite *image_meta_io_suite(void)
{
	Suite *suite = suite_create("image_meta_io");
	TCase *write = tcase_create("write");
	TCase *oci = tcase_create("oci");

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
	return unit_run(image_meta_io_suite());
}
