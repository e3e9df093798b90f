/*
 * test_error.c - unit tests of common/berth_error.c and common/berth_log.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "berth_error.h"
#include "berth_log.h"
#include "unit.h"

/* ------------------------------------------------------------ errors */

START_TEST(test_set_formats_and_returns_minus_one)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_error_set(&err, EINVAL, "tag \"%s\": %d chars", "x", 3), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "tag \"x\": 3 chars");
}
END_TEST

START_TEST(test_null_error_is_dropped)
{
	ck_assert_int_eq(berth_error_set(NULL, EINVAL, "x"), -1);
	ck_assert_int_eq(berth_error_errno(NULL, ENOENT, "x"), -1);
	ck_assert_int_eq(berth_error_prefix(NULL, "x"), -1);
	berth_error_clear(NULL);
	berth_error_sanitize(NULL);
}
END_TEST

static const struct {
	int code;
	const char *expected;
} errno_cases[] = {
	{ ENOENT, "/etc/berth.conf: No such file or directory" },
	{ EACCES, "/etc/berth.conf: Permission denied" },
	{ ETIMEDOUT, "/etc/berth.conf: Connection timed out" },
};

START_TEST(test_errno_appends_strerror)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_error_errno(&err, errno_cases[_i].code, "%s", "/etc/berth.conf"), -1);
	ck_assert_int_eq(err.code, errno_cases[_i].code);
	ck_assert_str_eq(err.msg, errno_cases[_i].expected);
}
END_TEST

START_TEST(test_prefix_chains)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_error_set(&err, EINVAL, "destination \"%s\" is forbidden", "/etc");
	ck_assert_int_eq(berth_error_prefix(&err, "--volume"), -1);
	ck_assert_int_eq(berth_error_prefix(&err, "job %u", 42u), -1);
	ck_assert_str_eq(err.msg, "job 42: --volume: destination \"/etc\" is forbidden");
	ck_assert_int_eq(err.code, EINVAL);
}
END_TEST

START_TEST(test_set_truncates)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char long_text[2 * BERTH_ERROR_MSG_MAX];

	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	berth_error_set(&err, E2BIG, "%s", long_text);
	ck_assert_uint_eq(strlen(err.msg), BERTH_ERROR_MSG_MAX - 1);
	ck_assert_int_eq(strspn(err.msg, "a"), BERTH_ERROR_MSG_MAX - 1);
	/* no room left for ": strerror" */
	berth_error_errno(&err, ENOENT, "%s", long_text);
	ck_assert_uint_eq(strlen(err.msg), BERTH_ERROR_MSG_MAX - 1);
	ck_assert_ptr_null(strchr(err.msg, ':'));
}
END_TEST

START_TEST(test_prefix_truncates_the_end)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char context[BERTH_ERROR_MSG_MAX - 10];

	memset(context, 'c', sizeof(context) - 1);
	context[sizeof(context) - 1] = '\0';
	berth_error_set(&err, EINVAL, "the original message");
	berth_error_prefix(&err, "%s", context);
	ck_assert_uint_eq(strlen(err.msg), BERTH_ERROR_MSG_MAX - 1);
	ck_assert_int_eq(strncmp(err.msg, context, strlen(context)), 0);
	ck_assert_str_eq(err.msg + strlen(context), ": the orig");
}
END_TEST

START_TEST(test_clear)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_error_set(&err, EINVAL, "bad");
	berth_error_clear(&err);
	ck_assert_int_eq(err.code, 0);
	ck_assert_str_eq(err.msg, "");
}
END_TEST

static const struct {
	const char *in;
	const char *out;
} sanitize_cases[] = {
	{ "plain text", "plain text" },
	{ "two\nlines", "two?lines" },
	{ "tab\there\r", "tab?here?" },
	{ "\x1b[31mred\x1b[0m", "?[31mred?[0m" },
	{ "del\x7f", "del?" },
	{ "caf\xc3\xa9", "caf\xc3\xa9" },  /* UTF-8 is printable */
	{ "", "" },
};

START_TEST(test_sanitize)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%s", sanitize_cases[_i].in);
	berth_error_sanitize(buf);
	ck_assert_str_eq(buf, sanitize_cases[_i].out);
}
END_TEST

/* ------------------------------------------------------------ logging */

static char captured[8][4096];
static enum berth_log_level captured_level[8];
static int ncaptured;

static void capture_sink(enum berth_log_level level, const char *line)
{
	if (ncaptured < (int)ARRAY_LEN(captured)) {
		captured_level[ncaptured] = level;
		snprintf(captured[ncaptured], sizeof(captured[0]), "%s", line);
	}
	ncaptured++;
}

static void capture_reset(void)
{
	ncaptured = 0;
	berth_log_set_sink(capture_sink);
	berth_log_set_level(BERTH_LOG_DEBUG);
}

START_TEST(test_log_macros_add_prefix)
{
	capture_reset();
	berth_err("cannot mount %s", "/x");
	berth_info("job %d", 7);
	berth_verbose("v");
	berth_debug("d%s", "!");
	ck_assert_int_eq(ncaptured, 4);
	ck_assert_str_eq(captured[0], "berth: cannot mount /x");
	ck_assert_int_eq(captured_level[0], BERTH_LOG_ERROR);
	ck_assert_str_eq(captured[1], "berth: job 7");
	ck_assert_int_eq(captured_level[1], BERTH_LOG_INFO);
	ck_assert_str_eq(captured[2], "berth: v");
	ck_assert_int_eq(captured_level[2], BERTH_LOG_VERBOSE);
	ck_assert_str_eq(captured[3], "berth: d!");
	ck_assert_int_eq(captured_level[3], BERTH_LOG_DEBUG);
	ck_assert_str_eq(BERTH_LOG_PREFIX, "berth: ");
}
END_TEST

START_TEST(test_log_level_filters)
{
	capture_reset();
	berth_log_set_level(BERTH_LOG_INFO);
	berth_err("e");
	berth_info("i");
	berth_verbose("v");
	berth_debug("d");
	ck_assert_int_eq(ncaptured, 2);
	ck_assert_str_eq(captured[0], "berth: e");
	ck_assert_str_eq(captured[1], "berth: i");
	berth_log_set_level(BERTH_LOG_ERROR);
	berth_info("dropped");
	ck_assert_int_eq(ncaptured, 2);
}
END_TEST

START_TEST(test_log_truncates_long_lines)
{
	char text[3000];

	capture_reset();
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	berth_err("%s", text);
	ck_assert_int_eq(ncaptured, 1);
	/* 2048-byte line buffer in berth_log.c */
	ck_assert_uint_eq(strlen(captured[0]), 2047);
	ck_assert_int_eq(strncmp(captured[0], "berth: xxx", 10), 0);
}
END_TEST

/* Run fn with stderr redirected to a file; return what it wrote. */
static void stderr_of(void (*fn)(void), char *out, size_t size)
{
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	ck_assert_ptr_nonnull(tmp);
	ck_assert_int_ge(saved, 0);
	fflush(stderr);
	ck_assert_int_ge(dup2(fileno(tmp), STDERR_FILENO), 0);
	fn();
	fflush(stderr);
	ck_assert_int_ge(dup2(saved, STDERR_FILENO), 0);
	close(saved);
	rewind(tmp);
	n = fread(out, 1, size - 1, tmp);
	out[n] = '\0';
	fclose(tmp);
}

static void log_to_stderr(void)
{
	berth_log_set_sink(capture_sink);
	berth_log_set_sink(NULL);  /* back to the default */
	berth_log_set_level(BERTH_LOG_DEBUG);
	berth_err("first %d", 1);
	berth_debug("second");
	berth_log_sink_stderr((enum berth_log_level)9, "out of range");
}

START_TEST(test_log_stderr_sink)
{
	char out[512];

	stderr_of(log_to_stderr, out, sizeof(out));
	ck_assert_str_eq(out, "error: berth: first 1\ndebug: berth: second\ndebug: out of range\n");
}
END_TEST

static Suite *error_suite(void)
{
	Suite *s = suite_create("error");
	TCase *errors = tcase_create("errors");
	TCase *logging = tcase_create("logging");

	tcase_add_test(errors, test_set_formats_and_returns_minus_one);
	tcase_add_test(errors, test_null_error_is_dropped);
	tcase_add_loop_test(errors, test_errno_appends_strerror, 0, ARRAY_LEN(errno_cases));
	tcase_add_test(errors, test_prefix_chains);
	tcase_add_test(errors, test_set_truncates);
	tcase_add_test(errors, test_prefix_truncates_the_end);
	tcase_add_test(errors, test_clear);
	tcase_add_loop_test(errors, test_sanitize, 0, ARRAY_LEN(sanitize_cases));
	suite_add_tcase(s, errors);

	tcase_add_test(logging, test_log_macros_add_prefix);
	tcase_add_test(logging, test_log_level_filters);
	tcase_add_test(logging, test_log_truncates_long_lines);
	tcase_add_test(logging, test_log_stderr_sink);
	suite_add_tcase(s, logging);
	return s;
}

int main(void)
{
	return unit_run(error_suite());
}
