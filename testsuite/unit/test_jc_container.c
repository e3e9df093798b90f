/*
 * test_jc_container.c - unit tests of plugins/job_container/jc_container.c
 * that need no Slurm daemon: the slurm.conf settings the node plugin
 * refuses at init (from Slurm 24.05, where they exist).
 */
#include <stdio.h>

#include "jc_container.h"
#include "slurm_compat.h"
#include "unit.h"

START_TEST(test_flags_accepted)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(jc_check_slurm_flags(0, 0, &err), 0);
	/* PrologFlags=Contain and others are fine */
	ck_assert_int_eq(jc_check_slurm_flags(PROLOG_FLAG_CONTAIN | PROLOG_FLAG_ALLOC, 0, &err), 0);
}
END_TEST

START_TEST(test_run_in_job_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (!BERTH_PROLOG_FLAG_RUN_IN_JOB) {
		fprintf(stderr, "Slurm %s has no PrologFlags=RunInJob: nothing to refuse\n", BERTH_SLURM_VERSION);
		return;
	}
	ck_assert_int_eq(jc_check_slurm_flags(PROLOG_FLAG_CONTAIN | BERTH_PROLOG_FLAG_RUN_IN_JOB, 0, &err), -1);
	ck_assert_str_eq(err.msg, "PrologFlags=RunInJob is not supported: the job's prolog would run after "
				  "its container is built; remove RunInJob from slurm.conf");
}
END_TEST

START_TEST(test_contain_spank_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (!BERTH_CONF_FLAG_CONTAIN_SPANK) {
		fprintf(stderr, "Slurm %s has no SlurmdParameters=contain_spank: nothing to refuse\n",
			BERTH_SLURM_VERSION);
		return;
	}
	ck_assert_int_eq(jc_check_slurm_flags(PROLOG_FLAG_CONTAIN, BERTH_CONF_FLAG_CONTAIN_SPANK, &err), -1);
	ck_assert_str_eq(err.msg, "SlurmdParameters=contain_spank is not supported: berth's SPANK hooks "
				  "must run on the host; remove contain_spank from slurm.conf");
}
END_TEST

static Suite *jc_container_suite(void)
{
	Suite *s = suite_create("jc_container");
	TCase *flags = tcase_create("flags");

	tcase_add_test(flags, test_flags_accepted);
	tcase_add_test(flags, test_run_in_job_refused);
	tcase_add_test(flags, test_contain_spank_refused);
	suite_add_tcase(s, flags);
	return s;
}

int main(void)
{
	return unit_run(jc_container_suite());
}
