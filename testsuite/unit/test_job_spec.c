/*
 * test_job_spec.c - the per-job spec file: written by job_prolog (root),
 * read by job_container and the tasks.  Values come from users' options, so
 * whatever the option parsers accept must survive the file unchanged.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs_util.h"
#include "job_spec.h"
#include "unit.h"

static char state_dir[] = "/tmp/berth-test-spec.XXXXXX";
static struct berth_config config;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(state_dir));
	config.state_dir = state_dir;
}

static void teardown(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_remove_tree(state_dir, &err), 0);
	memcpy(state_dir + strlen(state_dir) - 6, "XXXXXX", 6);
}

static void round_trip(const struct berth_job_spec *in)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	struct berth_job_spec out;

	ck_assert_int_eq(berth_job_paths(&config, "n1", 42, &paths, &err), 0);
	ck_assert_msg(berth_job_spec_write(in, &paths, &err) == 0, "%s", err.msg);
	ck_assert_msg(berth_job_spec_read(&paths, &out, &err) == 1, "%s", err.msg);
	ck_assert_uint_eq(out.uid, in->uid);
	ck_assert_uint_eq(out.gid, in->gid);
	ck_assert_int_eq(out.ccm, in->ccm);
	ck_assert_pstr_eq(out.image, in->image);
	ck_assert_pstr_eq(out.digest, in->digest);
	ck_assert_pstr_eq(out.volumes, in->volumes);
	ck_assert_pstr_eq(out.modules, in->modules);
	ck_assert_pstr_eq(out.error, in->error);
	berth_job_spec_free(&out);
}

/* Values as the parsers let them through: a trailing backslash (line
 * continuation in the file syntax), quotes, '#', '=' and blanks. */
static const char *const awkward[] = {
	"/home/u/data:/data",
	"/home/u/dir\\:/data\\",
	"/a:/b;/c\\:/d",
	"\"/quoted\":/q",
	"/x#y:/z=1",
	" /lead:/trail ",
	"\"",
	"\\",
};

START_TEST(test_values_round_trip)
{
	struct berth_job_spec spec = { .version = 1, .uid = 2001, .gid = 2002 };

	spec.image = (char *)"id:sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	spec.digest = spec.image + 3;
	spec.volumes = (char *)awkward[_i];
	spec.modules = (char *)"mpich,gpu";
	spec.error = (char *)awkward[_i];
	round_trip(&spec);
}
END_TEST

START_TEST(test_newline_refused)
{
	struct berth_job_spec spec = { .version = 1, .uid = 1, .gid = 1 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	spec.volumes = (char *)"/a:/b\nuid=0";
	ck_assert_int_eq(berth_job_paths(&config, "n1", 44, &paths, &err), 0);
	ck_assert_int_eq(berth_job_spec_write(&spec, &paths, &err), -1);
	ck_assert_str_eq(err.msg, "job spec value contains a newline");
	ck_assert_int_eq(access(paths.spec, F_OK), -1);
}
END_TEST

START_TEST(test_minimal_spec)
{
	struct berth_job_spec spec = { .version = 1, .uid = 7, .gid = 8, .ccm = true };

	round_trip(&spec);
}
END_TEST

START_TEST(test_no_spec_is_not_an_error)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	struct berth_job_spec out;

	ck_assert_int_eq(berth_job_paths(&config, "n1", 43, &paths, &err), 0);
	ck_assert_int_eq(berth_job_spec_read(&paths, &out, &err), 0);
}
END_TEST

START_TEST(test_bad_node_names)
{
	static const char *const bad[] = { "", ".", "..", "a/b" };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		char want[128];

		ck_assert_int_eq(berth_job_paths(&config, bad[i], 1, &paths, &err), -1);
		snprintf(want, sizeof(want), "node name \"%s\" cannot be used in a path", bad[i]);
		ck_assert_str_eq(err.msg, want);
	}
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("job_spec");
	TCase *tc = tcase_create("spec");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_values_round_trip, 0, ARRAY_LEN(awkward));
	tcase_add_test(tc, test_newline_refused);
	tcase_add_test(tc, test_minimal_spec);
	tcase_add_test(tc, test_no_spec_is_not_an_error);
	tcase_add_test(tc, test_bad_node_names);
	suite_add_tcase(suite, tc);
	return unit_run(suite);
}
