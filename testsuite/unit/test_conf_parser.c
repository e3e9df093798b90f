/*
 * test_conf_parser.c - unit tests of common/conf_parser.c: value parsers,
 * schemas, buffers, files and plugstack arguments (berth.conf itself is
 * test_berth_conf.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_parser.h"
#include "unit.h"

struct test_conf {
	bool flag;
	uint64_t size;
	uint64_t wait_ms;
	unsigned count;
	unsigned any;
	char *name;
	char *dir;
	char *none;
};

#define T(field) offsetof(struct test_conf, field)

static const struct berth_conf_key test_schema[] = {
	{ "flag", BERTH_CONF_BOOL, T(flag), "no", 0, 0, "a bool" },
	{ "size", BERTH_CONF_SIZE, T(size), "1K", 0, 0, "a size" },
	{ "wait", BERTH_CONF_DURATION, T(wait_ms), "2s", 0, 0, "a duration" },
	{ "count", BERTH_CONF_UINT, T(count), "5", 1, 10, "a bounded number" },
	{ "any", BERTH_CONF_UINT, T(any), NULL, 0, 0, "an unbounded number" },
	{ "name", BERTH_CONF_STRING, T(name), "hello", 0, 0, "a string" },
	{ "dir", BERTH_CONF_PATH, T(dir), "/var//lib/./x/", 0, 0, "a path" },
	{ "none", BERTH_CONF_STRING, T(none), NULL, 0, 0, "a string without default" },
	BERTH_CONF_END
};

/* One field as text, found through the schema, so tables can name what to
 * check. */
static void render(const struct test_conf *c, const char *name, char *out, size_t size)
{
	const struct berth_conf_key *key = test_schema;
	const char *field;

	while (key->name && strcmp(key->name, name) != 0)
		key++;
	ck_assert_ptr_nonnull(key->name);
	field = (const char *)c + key->offset;
	switch (key->type) {
	case BERTH_CONF_BOOL:
		snprintf(out, size, "%s", *(const bool *)field ? "yes" : "no");
		break;
	case BERTH_CONF_SIZE:
	case BERTH_CONF_DURATION:
		snprintf(out, size, "%llu", (unsigned long long)*(const uint64_t *)field);
		break;
	case BERTH_CONF_UINT:
		snprintf(out, size, "%u", *(const unsigned *)field);
		break;
	default:
		snprintf(out, size, "%s", *(char *const *)field ? *(char *const *)field : "(null)");
		break;
	}
}

/* key set: the call succeeded and key shows expected; key NULL: it failed
 * with exactly the message expected. */
static void check_outcome(int rc, const struct berth_error *err, const struct test_conf *c,
			  const char *key, const char *expected)
{
	char shown[256];

	if (key) {
		ck_assert_msg(rc == 0, "%s", err->msg);
		render(c, key, shown, sizeof(shown));
		ck_assert_str_eq(shown, expected);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err->msg, expected);
		ck_assert_int_ne(err->code, 0);
	}
}

static void load_defaults(struct test_conf *c)
{
	struct berth_error err = BERTH_ERROR_INIT;

	memset(c, 0, sizeof(*c));
	ck_assert_msg(berth_conf_defaults(test_schema, c, &err) == 0, "%s", err.msg);
}

/* ------------------------------------------------------------ value parsers */

enum value_kind { BOOL, SIZE, DURATION, UINT };

#define BOOL_HINT " (use yes/no, true/false, on/off or 1/0)"
#define SIZE_HINT " (use bytes or K, M, G, T)"
#define DURATION_HINT " (use ms, s, m, h or d)"

static const struct {
	enum value_kind kind;
	const char *text;
	uint64_t value;
	const char *error;     /* NULL: text is valid and gives value */
	unsigned min, max;     /* UINT only */
} value_cases[] = {
	{ BOOL, "yes", 1, NULL, 0, 0 }, { BOOL, "No", 0, NULL, 0, 0 },
	{ BOOL, "TRUE", 1, NULL, 0, 0 },
	{ BOOL, "false", 0, NULL, 0, 0 }, { BOOL, "on", 1, NULL, 0, 0 },
	{ BOOL, "OFF", 0, NULL, 0, 0 },
	{ BOOL, "1", 1, NULL, 0, 0 }, { BOOL, "0", 0, NULL, 0, 0 },
	{ BOOL, "", 0, "empty value", 0, 0 },
	{ BOOL, "maybe", 0, "invalid boolean \"maybe\"" BOOL_HINT, 0, 0 },
	{ BOOL, "2", 0, "invalid boolean \"2\"" BOOL_HINT, 0, 0 },
	{ BOOL, " yes", 0, "invalid boolean \" yes\"" BOOL_HINT, 0, 0 },
	{ BOOL, "yess", 0, "invalid boolean \"yess\"" BOOL_HINT, 0, 0 },

	{ SIZE, "0", 0, NULL, 0, 0 }, { SIZE, "512", 512, NULL, 0, 0 },
	{ SIZE, "1B", 1, NULL, 0, 0 },
	{ SIZE, "1K", 1024, NULL, 0, 0 }, { SIZE, "1k", 1024, NULL, 0, 0 },
	{ SIZE, "2KiB", 2048, NULL, 0, 0 },
	{ SIZE, "2KB", 2048, NULL, 0, 0 }, { SIZE, "2kib", 2048, NULL, 0, 0 },
	{ SIZE, "512M", 512ULL << 20, NULL, 0, 0 }, { SIZE, "3G", 3ULL << 30, NULL, 0, 0 },
	{ SIZE, "1T", 1ULL << 40, NULL, 0, 0 }, { SIZE, "16777215T", 16777215ULL << 40, NULL, 0, 0 },
	{ SIZE, "18446744073709551615", UINT64_MAX, NULL, 0, 0 },
	{ SIZE, "", 0, "empty value", 0, 0 },
	{ SIZE, "-1", 0, "size \"-1\" is negative", 0, 0 },
	{ SIZE, "-1K", 0, "size \"-1K\" is negative", 0, 0 },
	{ SIZE, "1.5G", 0, "invalid size \"1.5G\"" SIZE_HINT, 0, 0 },
	{ SIZE, "12Q", 0, "invalid size \"12Q\"" SIZE_HINT, 0, 0 },
	{ SIZE, "K", 0, "invalid size \"K\"" SIZE_HINT, 0, 0 },
	{ SIZE, "1 K", 0, "invalid size \"1 K\"" SIZE_HINT, 0, 0 },
	{ SIZE, "+1", 0, "invalid size \"+1\"" SIZE_HINT, 0, 0 },
	{ SIZE, "1KBB", 0, "invalid size \"1KBB\"" SIZE_HINT, 0, 0 },
	{ SIZE, "1P", 0, "invalid size \"1P\"" SIZE_HINT, 0, 0 },
	{ SIZE, "16777216T", 0, "size \"16777216T\" is too large", 0, 0 },
	{ SIZE, "18446744073709551616", 0, "size \"18446744073709551616\" is too large", 0, 0 },
	{ SIZE, "99999999999999999999x", 0, "invalid size \"99999999999999999999x\"" SIZE_HINT, 0, 0 },

	{ DURATION, "0", 0, NULL, 0, 0 }, { DURATION, "0ms", 0, NULL, 0, 0 },
	{ DURATION, "2", 2000, NULL, 0, 0 },
	{ DURATION, "2s", 2000, NULL, 0, 0 }, { DURATION, "500ms", 500, NULL, 0, 0 },
	{ DURATION, "1m", 60000, NULL, 0, 0 }, { DURATION, "1h", 3600000, NULL, 0, 0 },
	{ DURATION, "1d", 86400000, NULL, 0, 0 },
	{ DURATION, "18446744073709551615ms", UINT64_MAX, NULL, 0, 0 },
	{ DURATION, "2x", 0, "invalid duration \"2x\" (use ms, s, m, h or d)", 0, 0 },
	{ DURATION, "", 0, "empty value", 0, 0 },
	{ DURATION, "-1s", 0, "duration \"-1s\" is negative", 0, 0 },
	{ DURATION, "1.5s", 0, "invalid duration \"1.5s\"" DURATION_HINT, 0, 0 },
	{ DURATION, "s", 0, "invalid duration \"s\"" DURATION_HINT, 0, 0 },
	{ DURATION, "2S", 0, "invalid duration \"2S\"" DURATION_HINT, 0, 0 },
	{ DURATION, "2 s", 0, "invalid duration \"2 s\"" DURATION_HINT, 0, 0 },
	{ DURATION, "213503982335d", 0, "duration \"213503982335d\" is too large", 0, 0 },
	{ DURATION, "18446744073709551615s", 0, "duration \"18446744073709551615s\" is too large", 0, 0 },
	{ DURATION, "18446744073709551616ms", 0,
	  "duration \"18446744073709551616ms\" is too large", 0, 0 },

	{ UINT, "0", 0, NULL, 0, 0 }, { UINT, "4294967295", 4294967295U, NULL, 0, 0 },
	{ UINT, "1", 1, NULL, 1, 64 }, { UINT, "64", 64, NULL, 1, 64 },
	{ UINT, "007", 7, NULL, 1, 64 },
	{ UINT, "0", 0, "number \"0\" is out of range (1..64)", 1, 64 },
	{ UINT, "65", 0, "number \"65\" is out of range (1..64)", 1, 64 },
	{ UINT, "4294967296", 0, "number \"4294967296\" is out of range (0..4294967295)", 0, 0 },
	{ UINT, "99999999999999999999999", 0,
	  "number \"99999999999999999999999\" is out of range (0..4294967295)", 0, 0 },
	{ UINT, "-1", 0, "number \"-1\" is negative", 0, 0 },
	{ UINT, "1e3", 0, "invalid number \"1e3\"", 0, 0 },
	{ UINT, "0x10", 0, "invalid number \"0x10\"", 0, 0 },
	{ UINT, "ten", 0, "invalid number \"ten\"", 0, 0 },
	{ UINT, "", 0, "empty value", 1, 64 },
};

START_TEST(test_parse_value)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *text = value_cases[_i].text;
	const uint64_t untouched = 12345;
	uint64_t value = untouched;
	unsigned number = (unsigned)untouched;
	bool flag = false;
	int rc = -1;

	switch (value_cases[_i].kind) {
	case BOOL:
		if ((rc = berth_parse_bool(text, &flag, &err)) == 0)
			value = flag;
		break;
	case SIZE:
		rc = berth_parse_size(text, &value, &err);
		break;
	case DURATION:
		rc = berth_parse_duration_ms(text, &value, &err);
		break;
	case UINT:
		rc = berth_parse_uint(text, value_cases[_i].min, value_cases[_i].max, &number, &err);
		value = number;
		break;
	}
	if (!value_cases[_i].error) {
		ck_assert_msg(rc == 0, "\"%s\": %s", text, err.msg);
		ck_assert_uint_eq(value, value_cases[_i].value);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, value_cases[_i].error);
		ck_assert_int_ne(err.code, 0);
		ck_assert_uint_eq(value, untouched);  /* nothing stored on failure */
	}
}
END_TEST

/* ------------------------------------------------------------ schema */

START_TEST(test_defaults)
{
	struct test_conf c;

	load_defaults(&c);
	ck_assert(!c.flag);
	ck_assert_uint_eq(c.size, 1024);
	ck_assert_uint_eq(c.wait_ms, 2000);
	ck_assert_uint_eq(c.count, 5);
	ck_assert_uint_eq(c.any, 0);
	ck_assert_str_eq(c.name, "hello");
	ck_assert_str_eq(c.dir, "/var/lib/x");
	ck_assert_ptr_null(c.none);
	berth_conf_free(test_schema, &c);
}
END_TEST

START_TEST(test_bad_default_is_reported)
{
	static const struct berth_conf_key bad_schema[] = {
		{ "flag", BERTH_CONF_BOOL, T(flag), "yes", 0, 0, "" },
		{ "wait", BERTH_CONF_DURATION, T(wait_ms), "2x", 0, 0, "" },
		BERTH_CONF_END
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(berth_conf_defaults(bad_schema, &c, &err), -1);
	ck_assert_str_eq(err.msg,
			 "built-in default: wait: invalid duration \"2x\" (use ms, s, m, h or d)");
}
END_TEST

START_TEST(test_free_resets_strings)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;

	load_defaults(&c);
	ck_assert_int_eq(berth_conf_set(test_schema, &c, "none", "x", &err), 0);
	berth_conf_free(test_schema, &c);
	ck_assert_ptr_null(c.name);
	ck_assert_ptr_null(c.dir);
	ck_assert_ptr_null(c.none);
	ck_assert_uint_eq(c.count, 5);  /* non-strings are left alone */
	berth_conf_free(test_schema, &c);
}
END_TEST

static const struct {
	const char *key;
	const char *value;
	const char *expected;  /* rendered field, or the error message */
	bool ok;
} set_cases[] = {
	{ "name", "any text # here", "any text # here", true },
	{ "name", "", "", true },
	{ "name", "  kept  ", "  kept  ", true },
	{ "dir", "//srv//images/./sub/", "/srv/images/sub", true },
	{ "dir", "/", "/", true },
	{ "dir", "//", "/", true },
	{ "dir", "/./.", "/", true },
	{ "dir", "/a/..b/c..", "/a/..b/c..", true },
	{ "none", "set", "set", true },
	{ "count", "10", "10", true },
	{ "any", "4294967295", "4294967295", true },
	{ "nope", "1", "unknown key \"nope\"", false },
	{ "", "1", "unknown key \"\"", false },
	{ "Count", "1", "unknown key \"Count\"", false },
	{ "count", " 1", "count: invalid number \" 1\"", false },
	{ "dir", "", "dir: empty value", false },
	{ "dir", "rel/x", "dir: path \"rel/x\" is not absolute", false },
	{ "dir", "/a/../b", "dir: path \"/a/../b\": \"..\" is not allowed", false },
	{ "dir", "/a/..", "dir: path \"/a/..\": \"..\" is not allowed", false },
	{ "flag", "", "flag: empty value", false },
	{ "name\n", "x", "unknown key \"name?\"", false },
};

START_TEST(test_set)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;
	int rc;

	load_defaults(&c);
	rc = berth_conf_set(test_schema, &c, set_cases[_i].key, set_cases[_i].value, &err);
	check_outcome(rc, &err, &c, set_cases[_i].ok ? set_cases[_i].key : NULL,
		      set_cases[_i].expected);
	berth_conf_free(test_schema, &c);
}
END_TEST

START_TEST(test_edge_arguments)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;

	load_defaults(&c);
	ck_assert_int_eq(berth_conf_set(test_schema, &c, "name", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "missing key or value");
	ck_assert_int_eq(berth_conf_set(test_schema, &c, NULL, "x", &err), -1);
	ck_assert_str_eq(err.msg, "missing key or value");
	ck_assert_int_eq(berth_conf_parse_buffer(test_schema, &c, "x\n", NULL, &err), -1);
	ck_assert_str_eq(err.msg, "(string):1: line has no '='");
	ck_assert_int_eq(berth_conf_parse_args(test_schema, &c, 0, NULL, &err), 0);
	ck_assert_uint_eq(c.count, 5);
	berth_conf_free(test_schema, &c);
}
END_TEST

START_TEST(test_long_values_are_shortened_in_messages)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char key[300], expected[128];
	struct test_conf c;

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	load_defaults(&c);
	ck_assert_int_eq(berth_conf_set(test_schema, &c, key, "1", &err), -1);
	snprintf(expected, sizeof(expected), "unknown key \"%.76s...\"", key);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(berth_conf_set(test_schema, &c, "count", key, &err), -1);
	snprintf(expected, sizeof(expected), "count: invalid number \"%.76s...\"", key);
	ck_assert_str_eq(err.msg, expected);
	berth_conf_free(test_schema, &c);
}
END_TEST

/* ------------------------------------------------------------ buffers */

static const struct {
	const char *text;
	const char *key;       /* NULL: the text is refused */
	const char *expected;  /* the key's value, or the message */
} buffer_cases[] = {
	{ "flag = yes\n", "flag", "yes" },
	{ "  flag=on  \n", "flag", "yes" },
	{ "\tname\t=\tvalue\t\n", "name", "value" },
	{ "flag = yes", "flag", "yes" },
	{ "# comment\n\n   # indented comment\nsize = 512M\n", "size", "536870912" },
	{ "#flag = yes\n", "flag", "no" },
	{ "", "name", "hello" },
	{ "\n\n\n", "count", "5" },
	{ "name = a # not a comment\n", "name", "a # not a comment" },
	{ "name = x = y\n", "name", "x = y" },
	{ "name = \"  spaced  \"\n", "name", "  spaced  " },
	{ "name = \"\"\n", "name", "" },
	{ "name =\n", "name", "" },
	{ "name = a\"b\"\n", "name", "a\"b\"" },
	{ "name = \"a\" \"b\"\n", "name", "a\" \"b" },
	{ "flag = \"yes\"\n", "flag", "yes" },
	{ "name = one \\\n   two \\\n three\n", "name", "one two three" },
	{ "name = one\\\ntwo\n", "name", "one two" },
	{ "name = \\\n  value\n", "name", "value" },
	{ "name \\\n = value\n", "name", "value" },
	{ "name = a \\\n# not a comment\n", "name", "a # not a comment" },
	{ "name = a \\\n\nflag = yes\n", "name", "a" },
	{ "name = a \\\n\nflag = yes\n", "flag", "yes" },
	{ "count = 1 \\\n\ncount = 2\n", "count", "2" },
	{ "count = 1\ncount = 7\n", "count", "7" },
	{ "name = first\nname = second\n", "name", "second" },
	{ "none = a\nnone = b\nnone = c\n", "none", "c" },
	{ "wait = 0\n", "wait", "0" },
	{ "wait = 500ms\r\nflag = yes\r\n", "wait", "500" },
	{ "wait = 500ms\r\nflag = yes\r\n", "flag", "yes" },
	{ "dir = //srv//images/./sub/\n", "dir", "/srv/images/sub" },
	{ "dir = /\n", "dir", "/" },
	{ "any = 4294967295\n", "any", "4294967295" },
	{ "size = 2KiB\nsize = 1\n", "size", "1" },

	{ "nokey\n", NULL, "t.conf:1: line has no '='" },
	{ "flag = yes\n  \n good line without equals\n", NULL, "t.conf:3: line has no '='" },
	{ "\n# c\nfoo = 1\n", NULL, "t.conf:3: unknown key \"foo\"" },
	{ "imagedir = /x\n", NULL, "t.conf:1: unknown key \"imagedir\"" },
	{ "Flag = yes\n", NULL, "t.conf:1: unknown key \"Flag\"" },
	{ "wait = 2x\n", NULL, "t.conf:1: wait: invalid duration \"2x\" (use ms, s, m, h or d)" },
	{ "= 3\n", NULL, "t.conf:1: line has no key before '='" },
	{ "  =\n", NULL, "t.conf:1: line has no key before '='" },
	{ "count =\n", NULL, "t.conf:1: count: empty value" },
	{ "count = \"\"\n", NULL, "t.conf:1: count: empty value" },
	{ "flag = \"yes\n", NULL, "t.conf:1: flag: value has no closing '\"'" },
	{ "flag = \"\n", NULL, "t.conf:1: flag: value has no closing '\"'" },
	{ "name = a \\\n b\ncount = 99\n", NULL,
	  "t.conf:3: count: number \"99\" is out of range (1..10)" },
	{ "\nname = a \\\n b \\\n c\ncount = x\n", NULL, "t.conf:5: count: invalid number \"x\"" },
	{ "\ncount = 1 \\\n 2\n", NULL, "t.conf:2: count: invalid number \"1 2\"" },
	{ "flag = yes\nname = x \\\n", NULL, "t.conf:2: line continues past the end of the file" },
	{ "name = x \\", NULL, "t.conf:1: line continues past the end of the file" },
	{ "dir = relative/x\n", NULL, "t.conf:1: dir: path \"relative/x\" is not absolute" },
	{ "flag = maybe", NULL, "t.conf:1: flag: invalid boolean \"maybe\"" BOOL_HINT },
	{ "count = 1\x1b\n", NULL, "t.conf:1: count: invalid number \"1?\"" },
	{ "count = 11\n", NULL, "t.conf:1: count: number \"11\" is out of range (1..10)" },
};

START_TEST(test_buffer)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;
	int rc;

	load_defaults(&c);
	rc = berth_conf_parse_buffer(test_schema, &c, buffer_cases[_i].text, "t.conf", &err);
	check_outcome(rc, &err, &c, buffer_cases[_i].key, buffer_cases[_i].expected);
	berth_conf_free(test_schema, &c);
}
END_TEST

START_TEST(test_buffer_several_keys)
{
	static const char text[] =
		"# site settings\n"
		"flag = true\n"
		"size = 2G\n"
		"\n"
		"wait = 1h\n"
		"count = 3\n"
		"name = cluster \\\n"
		"       one\n"
		"dir = /srv/x/\n";
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;

	load_defaults(&c);
	ck_assert_msg(berth_conf_parse_buffer(test_schema, &c, text, "t.conf", &err) == 0,
		      "%s", err.msg);
	ck_assert(c.flag);
	ck_assert_uint_eq(c.size, 2ULL << 30);
	ck_assert_uint_eq(c.wait_ms, 3600000);
	ck_assert_uint_eq(c.count, 3);
	ck_assert_str_eq(c.name, "cluster one");
	ck_assert_str_eq(c.dir, "/srv/x");
	ck_assert_ptr_null(c.none);
	berth_conf_free(test_schema, &c);
}
END_TEST

/* ------------------------------------------------------------ files */

static char tmpdir[64];

static void make_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/berth-test-config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

/* Write len bytes of text into tmpdir/name; the path into path. */
static void write_file(const char *name, const char *text, size_t len, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

static void remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_file_good)
{
	static const char text[] = "flag = on\n# c\nname = from file\n";
	struct berth_error err = BERTH_ERROR_INIT;
	struct test_conf c;
	char path[128];

	make_tmpdir();
	write_file("t.conf", text, strlen(text), path, sizeof(path));
	load_defaults(&c);
	ck_assert_msg(berth_conf_parse_file(test_schema, &c, path, &err) == 0, "%s", err.msg);
	ck_assert(c.flag);
	ck_assert_str_eq(c.name, "from file");
	ck_assert_uint_eq(c.count, 5);
	berth_conf_free(test_schema, &c);
	remove_tmpdir();
}
END_TEST

START_TEST(test_file_errors)
{
	static const char nul_text[] = "flag = yes\nna\0me = x\n";
	static const char bad_key[] = "flag = yes\nimagedir = /x\n";
	struct berth_error err = BERTH_ERROR_INIT;
	char path[128], expected[256];
	struct test_conf c;
	char *big;

	make_tmpdir();
	load_defaults(&c);

	snprintf(path, sizeof(path), "%s/missing.conf", tmpdir);
	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, path, &err), -1);
	snprintf(expected, sizeof(expected), "%s: No such file or directory", path);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, ENOENT);

	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, tmpdir, &err), -1);
	snprintf(expected, sizeof(expected), "%s: not a regular file", tmpdir);
	ck_assert_str_eq(err.msg, expected);

	write_file("nul.conf", nul_text, sizeof(nul_text) - 1, path, sizeof(path));
	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, path, &err), -1);
	snprintf(expected, sizeof(expected), "%s:2: line contains a NUL byte", path);
	ck_assert_str_eq(err.msg, expected);

	write_file("bad.conf", bad_key, strlen(bad_key), path, sizeof(path));
	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, path, &err), -1);
	snprintf(expected, sizeof(expected), "%s:2: unknown key \"imagedir\"", path);
	ck_assert_str_eq(err.msg, expected);
	ck_assert(c.flag);  /* lines before the error were applied */

	ck_assert_ptr_nonnull(big = malloc(1024 * 1024 + 1));
	memset(big, '#', 1024 * 1024 + 1);
	write_file("big.conf", big, 1024 * 1024 + 1, path, sizeof(path));
	free(big);
	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, path, &err), -1);
	snprintf(expected, sizeof(expected), "%s: larger than 1048576 bytes", path);
	ck_assert_str_eq(err.msg, expected);

	ck_assert_int_eq(berth_conf_parse_file(test_schema, &c, "", &err), -1);
	ck_assert_str_eq(err.msg, "no configuration file given");

	berth_conf_free(test_schema, &c);
	remove_tmpdir();
}
END_TEST

/* ------------------------------------------------------------ arguments */

static const struct {
	const char *words[4];
	const char *key;
	const char *expected;  /* rendered field, or the error message when key is NULL */
} args_cases[] = {
	{ { "flag=yes", "count=3", "name=a b", "dir=/x//y" }, "flag", "yes" },
	{ { "flag=yes", "count=3", "name=a b", "dir=/x//y" }, "count", "3" },
	{ { "flag=yes", "count=3", "name=a b", "dir=/x//y" }, "name", "a b" },
	{ { "flag=yes", "count=3", "name=a b", "dir=/x//y" }, "dir", "/x/y" },
	{ { "name=" }, "name", "" },
	{ { "name=x=y" }, "name", "x=y" },
	{ { "count=2", "count=9" }, "count", "9" },
	{ { "flag" }, NULL, "argument \"flag\" is not key=value" },
	{ { "count=3", "bogus=1" }, NULL, "unknown key \"bogus\"" },
	{ { "=1" }, NULL, "argument \"=1\" has no key" },
	{ { "count=0" }, NULL, "count: number \"0\" is out of range (1..10)" },
	{ { "flag= yes" }, NULL,
	  "flag: invalid boolean \" yes\" (use yes/no, true/false, on/off or 1/0)" },
	{ { "flag =yes" }, NULL, "unknown key \"flag \"" },
	{ { "dir=rel" }, NULL, "dir: path \"rel\" is not absolute" },
	{ { "count=" }, NULL, "count: empty value" },
};

START_TEST(test_args)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char *argv[4];
	struct test_conf c;
	int argc = 0, rc;

	while (argc < 4 && args_cases[_i].words[argc]) {
		argv[argc] = (char *)args_cases[_i].words[argc];
		argc++;
	}
	load_defaults(&c);
	rc = berth_conf_parse_args(test_schema, &c, argc, argv, &err);
	check_outcome(rc, &err, &c, args_cases[_i].key, args_cases[_i].expected);
	berth_conf_free(test_schema, &c);
}
END_TEST

static Suite *conf_parser_suite(void)
{
	Suite *s = suite_create("conf_parser");
	TCase *values = tcase_create("values");
	TCase *schema = tcase_create("schema");
	TCase *buffers = tcase_create("buffers");
	TCase *files = tcase_create("files");

	tcase_add_loop_test(values, test_parse_value, 0, ARRAY_LEN(value_cases));
	suite_add_tcase(s, values);

	tcase_add_test(schema, test_defaults);
	tcase_add_test(schema, test_bad_default_is_reported);
	tcase_add_test(schema, test_free_resets_strings);
	tcase_add_loop_test(schema, test_set, 0, ARRAY_LEN(set_cases));
	tcase_add_test(schema, test_edge_arguments);
	tcase_add_test(schema, test_long_values_are_shortened_in_messages);
	tcase_add_loop_test(schema, test_args, 0, ARRAY_LEN(args_cases));
	suite_add_tcase(s, schema);

	tcase_add_loop_test(buffers, test_buffer, 0, ARRAY_LEN(buffer_cases));
	tcase_add_test(buffers, test_buffer_several_keys);
	suite_add_tcase(s, buffers);

	tcase_add_test(files, test_file_good);
	tcase_add_test(files, test_file_errors);
	suite_add_tcase(s, files);
	return s;
}

int main(void)
{
	return unit_run(conf_parser_suite());
}
