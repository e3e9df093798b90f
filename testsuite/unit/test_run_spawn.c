/*
 * test_run_spawn.c - berth_run_spawn (common/run.c): start a daemon (the
 * per-job sshd) and return once it has exec'd, leaving it running.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "unit.h"

static char *cmdline_of(pid_t pid)
{
	static char buf[256];
	char path[64];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	ck_assert_ptr_nonnull(f = fopen(path, "r"));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

START_TEST(spawned_program_keeps_running)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct berth_run_spec spec = { .argv = argv };
	struct berth_error err = BERTH_ERROR_INIT;
	int status;
	pid_t pid;

	ck_assert_msg(berth_run_spawn(&spec, &pid, &err) == 0, "%s", err.msg);
	ck_assert_int_gt(pid, 0);
	/* it has exec'd: /proc shows the program, not a copy of this test */
	ck_assert_str_eq(cmdline_of(pid), "/bin/sleep");
	ck_assert_int_eq(waitpid(pid, &status, WNOHANG), 0);
	ck_assert_int_eq(kill(pid, SIGKILL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status));
}
END_TEST

START_TEST(missing_program_is_an_error)
{
	const char *argv[] = { "/nonexistent/berth-daemon", NULL };
	struct berth_run_spec spec = { .argv = argv };
	struct berth_error err = BERTH_ERROR_INIT;
	pid_t pid;

	ck_assert_int_eq(berth_run_spawn(&spec, &pid, &err), -1);
	ck_assert_int_eq(pid, -1);
	ck_assert_msg(strstr(err.msg, "execve") && strstr(err.msg, "No such file"), "%s", err.msg);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);   /* the failed child was reaped */
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

static int failing_setup(void *arg)
{
	(void)arg;
	errno = EACCES;
	return -1;
}

START_TEST(failing_setup_is_an_error)
{
	const char *argv[] = { "/bin/sleep", "30", NULL };
	struct berth_run_spec spec = { .argv = argv, .child_setup = failing_setup };
	struct berth_error err = BERTH_ERROR_INIT;
	pid_t pid;

	ck_assert_int_eq(berth_run_spawn(&spec, &pid, &err), -1);
	ck_assert_msg(strstr(err.msg, "child setup") && strstr(err.msg, "Permission denied"), "%s",
		      err.msg);
}
END_TEST

START_TEST(relative_program_is_refused)
{
	const char *argv[] = { "sleep", "1", NULL };
	struct berth_run_spec spec = { .argv = argv };
	struct berth_error err = BERTH_ERROR_INIT;
	pid_t pid;

	ck_assert_int_eq(berth_run_spawn(&spec, &pid, &err), -1);
	ck_assert_msg(strstr(err.msg, "not an absolute path"), "%s", err.msg);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("run_spawn");
	TCase *tc = tcase_create("spawn");

	tcase_add_test(tc, spawned_program_keeps_running);
	tcase_add_test(tc, missing_program_is_an_error);
	tcase_add_test(tc, failing_setup_is_an_error);
	tcase_add_test(tc, relative_program_is_refused);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
