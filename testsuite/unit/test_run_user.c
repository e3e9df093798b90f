/*
 * test_run_user.c - unit tests of common/run.c as another user: the
 * privilege drop (berth_run's as_user, berth_drop_privileges); test_run.c
 * has the rest.
 *
 * Check runs each test in its own forked process, so tests may change their
 * own credentials, signal state and fds.  Tests that need root (privilege
 * drop) skip themselves with a message otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"
#include "unit.h"

/* ------------------------------------------------------------ as_user */

static const gid_t two_groups[] = { 100, 1000 };
static const gid_t nobody_group[] = { NOBODY };

static const struct {
	const gid_t *groups;
	size_t ngroups;
	const char *output;
} user_cases[] = {
	{ nobody_group, 1, "65534\n65534\n65534\n" },
	{ two_groups, 2, "65534\n65534\n65534 100 1000\n" },
	{ NULL, 0, "65534\n65534\n65534\n" },
};

START_TEST(test_as_user)
{
	const char *const argv[] = { "/bin/sh", "-c", "id -u; id -g; id -G", NULL };
	struct berth_run_spec spec = {
		.as_user = true, .uid = NOBODY, .gid = NOBODY,
		.groups = user_cases[_i].groups, .ngroups = user_cases[_i].ngroups,
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	REQUIRE_ROOT();
	spec.argv = argv;
	spec.capture = true;
	ck_assert_msg(berth_run(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(res.output, user_cases[_i].output);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

static int require_root(void *arg)
{
	(void)arg;
	if (geteuid() != 0) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

START_TEST(test_child_setup_is_privileged)
{
	const char *const argv[] = { "/bin/sh", "-c", "id -u", NULL };
	struct berth_run_spec spec = { .as_user = true, .uid = NOBODY, .gid = NOBODY,
				       .child_setup = require_root };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	REQUIRE_ROOT();
	spec.argv = argv;
	spec.capture = true;
	ck_assert_msg(berth_run(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(res.output, "65534\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

static int become_nobody(void *arg)
{
	(void)arg;
	return setresuid(NOBODY, NOBODY, NOBODY);
}

START_TEST(test_as_user_without_privileges)
{
	const char *const argv[] = { "/bin/true", NULL };
	struct berth_run_spec spec = { .argv = argv, .as_user = true, .uid = NOBODY, .gid = NOBODY };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	/* as root, lose the privileges first, in the child */
	if (geteuid() == 0)
		spec.child_setup = become_nobody;
	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, "\"/bin/true\": setgroups: Operation not permitted");
	ck_assert_int_eq(err.code, EPERM);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_drop_privileges)
{
	struct berth_error err = BERTH_ERROR_INIT;
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid, groups[4];

	REQUIRE_ROOT();
	ck_assert_msg(berth_drop_privileges(NOBODY, NOBODY, two_groups, 2, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(getresuid(&ruid, &euid, &suid), 0);
	ck_assert_int_eq(getresgid(&rgid, &egid, &sgid), 0);
	ck_assert(ruid == NOBODY && euid == NOBODY && suid == NOBODY);
	ck_assert(rgid == NOBODY && egid == NOBODY && sgid == NOBODY);
	ck_assert_int_eq(getgroups(4, groups), 2);
	ck_assert_int_eq(groups[0], 100);
	ck_assert_int_eq(groups[1], 1000);
	/* and there is no way back */
	ck_assert_int_eq(berth_drop_privileges(0, 0, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "drop privileges to uid 0 gid 0: setgroups: Operation not permitted");
	ck_assert_int_eq(err.code, EPERM);
}
END_TEST

START_TEST(test_drop_privileges_bad_arguments)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_drop_privileges(NOBODY, NOBODY, NULL, 1, &err), -1);
	ck_assert_str_eq(err.msg, "1 supplementary groups but no group list");
	ck_assert_int_eq(err.code, EINVAL);
	if (geteuid() != 0) {
		ck_assert_int_eq(berth_drop_privileges(0, 0, NULL, 0, &err), -1);
		ck_assert_str_eq(err.msg,
				 "drop privileges to uid 0 gid 0: setgroups: Operation not permitted");
	}
}
END_TEST

static Suite *run_user_suite(void)
{
	Suite *s = suite_create("run_user");
	TCase *users = tcase_create("users");

	tcase_add_loop_test(users, test_as_user, 0, ARRAY_LEN(user_cases));
	tcase_add_test(users, test_child_setup_is_privileged);
	tcase_add_test(users, test_as_user_without_privileges);
	tcase_add_test(users, test_drop_privileges);
	tcase_add_test(users, test_drop_privileges_bad_arguments);
	suite_add_tcase(s, users);

	return s;
}

int main(void)
{
	return unit_run(run_user_suite());
}
