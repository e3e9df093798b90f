/*
 * test_run.c - unit tests of common/run.c.
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



static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* Run argv with capture on; ck_assert the call succeeded. */
static void run_ok(const char *const *argv, struct berth_run_spec *spec,
		   struct berth_run_result *res)
{
	struct berth_error err = BERTH_ERROR_INIT;

	spec->argv = argv;
	spec->capture = true;
	ck_assert_msg(berth_run(spec, res, &err) == 0, "%s", err.msg);
}

/* Wait up to 2 s for pid (a child or, with a subreaper, a grandchild). */
static int reap_within(pid_t pid, int *status)
{
	for (int i = 0; i < 200; i++) {
		pid_t r = waitpid(pid, status, WNOHANG);

		if (r != 0)
			return r;
		usleep(10000);
	}
	return 0;
}

/* ------------------------------------------------------------ exit, output */

static const int exit_codes[] = { 0, 1, 3, 125, 255 };

START_TEST(test_exit_status)
{
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;
	char code[16];

	snprintf(code, sizeof(code), "%d", exit_codes[_i]);
	{
		/* in sh -c 'script' arg, the arg is $0 */
		const char *const argv[] = { "/bin/sh", "-c", "exit $0", code, NULL };

		run_ok(argv, &spec, &res);
	}
	ck_assert_int_eq(res.exit_status, exit_codes[_i]);
	ck_assert(!res.signaled);
	ck_assert(!res.timed_out);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_killed_by_signal)
{
	const char *const argv[] = { "/bin/sh", "-c", "kill -9 $$", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	ck_assert(res.signaled);
	ck_assert_int_eq(res.exit_status, 128 + SIGKILL);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_capture_stdout_and_stderr)
{
	const char *const argv[] = { "/bin/sh", "-c", "echo out; echo err >&2; echo out2", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	ck_assert_str_eq(res.output, "out\nerr\nout2\n");
	ck_assert_uint_eq(res.output_len, 13);
	berth_run_result_free(&res);
	ck_assert_ptr_null(res.output);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_capture_max_truncates)
{
	const char *const argv[] = { "/bin/sh", "-c",
				     "head -c 200000 /dev/zero | tr '\\0' a; echo done >&2", NULL };
	struct berth_run_spec spec = { .capture_max = 10 };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	/* the rest was read and dropped: the writer never blocked */
	ck_assert_int_eq(res.exit_status, 0);
	ck_assert_str_eq(res.output, "aaaaaaaaaa");
	ck_assert_uint_eq(res.output_len, 10);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_capture_large_output)
{
	const char *const argv[] = { "/bin/sh", "-c", "head -c 1000000 /dev/zero", NULL };
	struct berth_run_spec spec = { .capture_max = 2000000 };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	ck_assert_uint_eq(res.output_len, 1000000);
	ck_assert_int_eq(res.output[res.output_len], '\0');
	berth_run_result_free(&res);

	/* default limit: 64 KiB */
	spec.capture_max = 0;
	run_ok(argv, &spec, &res);
	ck_assert_uint_eq(res.output_len, 64 * 1024);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_no_capture)
{
	const char *const argv[] = { "/bin/sh", "-c", "echo lost; echo lost >&2; exit 4", NULL };
	struct berth_run_spec spec = { .argv = argv };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_msg(berth_run(&spec, &res, &err) == 0, "%s", err.msg);
	ck_assert_ptr_null(res.output);
	ck_assert_uint_eq(res.output_len, 0);
	ck_assert_int_eq(res.exit_status, 4);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_stdin_is_dev_null)
{
	const char *const cat[] = { "/bin/cat", NULL };
	const char *const link[] = { "/bin/readlink", "/proc/self/fd/0", NULL };
	struct berth_run_spec spec = { .timeout_ms = 2000 };
	struct berth_run_result res;

	run_ok(cat, &spec, &res);
	ck_assert_str_eq(res.output, "");
	ck_assert_int_eq(res.exit_status, 0);
	berth_run_result_free(&res);
	run_ok(link, &spec, &res);
	ck_assert_str_eq(res.output, "/dev/null\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_caller_without_stdio)
{
	const char *const argv[] = { "/bin/sh", "-c", "readlink /proc/self/fd/0; echo err >&2", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;
	int saved = dup(STDERR_FILENO);

	/* a daemon may run with 0-2 closed: the pipes then get those numbers */
	close(STDIN_FILENO);
	close(STDOUT_FILENO);
	close(STDERR_FILENO);
	run_ok(argv, &spec, &res);
	dup2(saved, STDERR_FILENO);
	ck_assert_str_eq(res.output, "/dev/null\nerr\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* ------------------------------------------------------------ timeouts */

START_TEST(test_timeout_kills_process_group)
{
	const char *const argv[] = { "/bin/sh", "-c", "sleep 30 & echo $!; wait", NULL };
	struct berth_run_spec spec = { .argv = argv, .capture = true, .timeout_ms = 300 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;
	uint64_t start, elapsed;
	pid_t grandchild;
	int status;

	/* the orphaned grandchild comes to us, so we can see how it died */
	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	start = now_ms();
	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	elapsed = now_ms() - start;
	ck_assert_str_eq(err.msg, "\"/bin/sh\": timed out after 300 ms");
	ck_assert_int_eq(err.code, ETIMEDOUT);
	ck_assert(res.timed_out);
	ck_assert(res.signaled);
	ck_assert_int_eq(res.exit_status, 128 + SIGKILL);
	ck_assert_uint_ge(elapsed, 300);
	ck_assert_uint_lt(elapsed, 1300);
	ck_assert_ptr_nonnull(res.output);
	grandchild = (pid_t)atoi(res.output);
	ck_assert_int_gt(grandchild, 1);
	ck_assert_int_eq(reap_within(grandchild, &status), grandchild);
	ck_assert(WIFSIGNALED(status));
	ck_assert_int_eq(WTERMSIG(status), SIGKILL);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_exit_with_grandchild_holding_output)
{
	const char *const argv[] = { "/bin/sh", "-c", "sleep 3 & echo $!", NULL };
	struct berth_run_spec spec = { .timeout_ms = 2500 };
	struct berth_run_result res;
	uint64_t start = now_ms();
	pid_t grandchild;
	int status;

	ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0), 0);
	/* the end of the child, not EOF on the pipe, ends the wait */
	run_ok(argv, &spec, &res);
	ck_assert_uint_lt(now_ms() - start, 1000);
	ck_assert(!res.timed_out);
	ck_assert_int_eq(res.exit_status, 0);
	grandchild = (pid_t)atoi(res.output);
	ck_assert_int_gt(grandchild, 1);
	ck_assert_int_eq(kill(grandchild, SIGKILL), 0);
	ck_assert_int_eq(reap_within(grandchild, &status), grandchild);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_timeout_not_reached)
{
	const char *const argv[] = { "/bin/true", NULL };
	struct berth_run_spec spec = { .timeout_ms = 5000 };
	struct berth_run_result res;
	uint64_t start = now_ms();

	run_ok(argv, &spec, &res);
	ck_assert_uint_lt(now_ms() - start, 1000);
	ck_assert(!res.timed_out);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* ------------------------------------------------------------ errors */

static const char *const relative_argv[] = { "sh", "-c", "true", NULL };
static const char *const empty_argv0[] = { "", NULL };
static const char *const no_argv0[] = { NULL };
static const char *const true_argv[] = { "/bin/true", NULL };
static const char *const newline_argv[] = { "bin/\nx", NULL };

static const struct {
	struct berth_run_spec spec;
	const char *error;
} spec_cases[] = {
	{ { .argv = relative_argv }, "program \"sh\" is not an absolute path" },
	{ { .argv = empty_argv0 }, "program \"\" is not an absolute path" },
	{ { .argv = newline_argv }, "program \"bin/?x\" is not an absolute path" },
	{ { .argv = NULL }, "no program to run" },
	{ { .argv = no_argv0 }, "no program to run" },
	{ { .argv = true_argv, .as_user = true, .ngroups = 2 },
	  "2 supplementary groups but no group list" },
};

START_TEST(test_bad_spec)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	memset(&res, 0xff, sizeof(res));
	ck_assert_int_eq(berth_run(&spec_cases[_i].spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, spec_cases[_i].error);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_ptr_null(res.output);
	ck_assert_int_eq(res.exit_status, 0);
	unit_assert_no_children();
}
END_TEST

static const struct {
	const char *program;
	int code;
	const char *error;
} exec_cases[] = {
	{ "/nonexistent/program", ENOENT,
	  "\"/nonexistent/program\": execve: No such file or directory" },
	{ "/etc/passwd", EACCES, "\"/etc/passwd\": execve: Permission denied" },
	{ "/", EACCES, "\"/\": execve: Permission denied" },
};

START_TEST(test_exec_failure)
{
	const char *const argv[] = { exec_cases[_i].program, NULL };
	struct berth_run_spec spec = { .argv = argv, .capture = true };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, exec_cases[_i].error);
	ck_assert_int_eq(err.code, exec_cases[_i].code);
	ck_assert_int_eq(res.exit_status, 127);
	ck_assert_str_eq(res.output, "");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* ------------------------------------------------------------ environment */

START_TEST(test_environment_is_scrubbed)
{
	const char *const argv[] = { "/usr/bin/env", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;

	setenv("BERTH_TEST_SECRET", "leaked", 1);
	setenv("LD_PRELOAD", "/nonexistent.so", 1);
	run_ok(argv, &spec, &res);
	unsetenv("LD_PRELOAD");
	ck_assert_str_eq(res.output, "PATH=/usr/sbin:/usr/bin:/sbin:/bin\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_custom_environment)
{
	const char *const argv[] = { "/usr/bin/env", NULL };
	const char *const envp[] = { "A=1", "B=two words", NULL };
	const char *const empty[] = { NULL };
	struct berth_run_spec spec = { .envp = envp };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	ck_assert_str_eq(res.output, "A=1\nB=two words\n");
	berth_run_result_free(&res);
	spec.envp = empty;
	run_ok(argv, &spec, &res);
	ck_assert_str_eq(res.output, "");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

static const struct {
	const char *cwd;
	const char *output;
	const char *error;
} cwd_cases[] = {
	{ NULL, "/\n", NULL },
	{ "/tmp", "/tmp\n", NULL },
	{ "/nonexistent", NULL, "\"/bin/pwd\": chdir: No such file or directory" },
};

START_TEST(test_cwd)
{
	const char *const argv[] = { "/bin/pwd", NULL };
	struct berth_run_spec spec = { .argv = argv, .capture = true, .cwd = cwd_cases[_i].cwd };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;
	int rc;

	ck_assert_int_eq(chdir("/usr"), 0);
	rc = berth_run(&spec, &res, &err);
	if (cwd_cases[_i].output) {
		ck_assert_msg(rc == 0, "%s", err.msg);
		ck_assert_str_eq(res.output, cwd_cases[_i].output);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, cwd_cases[_i].error);
		ck_assert_int_eq(err.code, ENOENT);
	}
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_fds_are_closed)
{
	const char *const argv[] = { "/bin/ls", "/proc/self/fd", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;
	int fd = open("/dev/null", O_RDONLY);  /* deliberately without O_CLOEXEC */

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(dup2(fd, 100), 100);
	ck_assert_int_eq(dup2(fd, 1000), 1000);
	run_ok(argv, &spec, &res);
	/* 0-2, and 3: the directory ls itself is reading */
	ck_assert_str_eq(res.output, "0\n1\n2\n3\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_signals_are_reset)
{
	const char *const argv[] = { "/bin/grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;
	sigset_t block;

	signal(SIGTERM, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigaddset(&block, SIGINT);
	ck_assert_int_eq(sigprocmask(SIG_BLOCK, &block, NULL), 0);
	run_ok(argv, &spec, &res);
	ck_assert_str_eq(res.output, "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_own_process_group)
{
	const char *const argv[] = { "/usr/bin/cut", "-d", " ", "-f", "1,5", "/proc/self/stat", NULL };
	struct berth_run_spec spec = { 0 };
	struct berth_run_result res;
	long pid = 0, pgrp = -1;

	run_ok(argv, &spec, &res);
	ck_assert_int_eq(sscanf(res.output, "%ld %ld", &pid, &pgrp), 2);
	ck_assert_int_eq(pid, pgrp);
	ck_assert_int_ne(pgrp, getpgrp());
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* ------------------------------------------------------------ child_setup */

static int fail_not_connected(void *arg)
{
	(void)arg;
	errno = ENOTCONN;
	return -1;
}

static int fail_without_errno(void *arg)
{
	(void)arg;
	errno = 0;
	return -1;
}

START_TEST(test_child_setup_failure)
{
	const char *const argv[] = { "/bin/true", NULL };
	struct berth_run_spec spec = { .argv = argv, .child_setup = fail_not_connected };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, "\"/bin/true\": child setup: Transport endpoint is not connected");
	ck_assert_int_eq(err.code, ENOTCONN);
	ck_assert_int_eq(res.exit_status, 127);
	spec.child_setup = fail_without_errno;
	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, "\"/bin/true\": child setup: Input/output error");
	unit_assert_no_children();
}
END_TEST

static int write_marker(void *arg)
{
	const char *text = arg;

	return write(STDOUT_FILENO, text, strlen(text)) < 0 ? -1 : 0;
}

START_TEST(test_child_setup_runs_before_exec)
{
	const char *const argv[] = { "/bin/echo", "program", NULL };
	struct berth_run_spec spec = { .child_setup = write_marker, .child_arg = "setup\n" };
	struct berth_run_result res;

	run_ok(argv, &spec, &res);
	ck_assert_str_eq(res.output, "setup\nprogram\n");
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* ------------------------------------------------------------ berth_run_fn */

static int return_value(void *arg)
{
	return *(const int *)arg;
}

static const struct {
	int returned;
	int exit_status;
} fn_cases[] = {
	{ 0, 0 }, { 42, 42 }, { 125, 125 }, { 126, 125 }, { 255, 125 }, { -1, 125 },
};

START_TEST(test_run_fn_exit_status)
{
	struct berth_run_spec spec = { 0 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_msg(berth_run_fn(&spec, return_value, (void *)&fn_cases[_i].returned, &res,
				   &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.exit_status, fn_cases[_i].exit_status);
	ck_assert(!res.signaled);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_run_fn_output)
{
	struct berth_run_spec spec = { .capture = true };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_msg(berth_run_fn(&spec, write_marker, "from fn\n", &res, &err) == 0, "%s",
		      err.msg);
	ck_assert_str_eq(res.output, "from fn\n");
	ck_assert_int_eq(res.exit_status, 0);
	berth_run_result_free(&res);
	unit_assert_no_children();
}
END_TEST

/* Exit 0 only if the parent-death signal is armed (and, when arg says so,
 * the credentials are nobody's). */
static int check_child_state(void *arg)
{
	int sig = 0;

	if (prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0) < 0 || sig != SIGKILL)
		return 1;
	if (arg && (getuid() != NOBODY || geteuid() != NOBODY || getegid() != NOBODY))
		return 2;
	if (arg && getgroups(0, NULL) != 0)
		return 3;
	return 0;
}

START_TEST(test_run_fn_pdeathsig)
{
	struct berth_run_spec spec = { 0 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_msg(berth_run_fn(&spec, check_child_state, NULL, &res, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(res.exit_status, 0);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_run_fn_as_user)
{
	struct berth_run_spec spec = { .as_user = true, .uid = NOBODY, .gid = NOBODY };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	REQUIRE_ROOT();
	/* also checks the parent-death signal survives the credential change */
	ck_assert_msg(berth_run_fn(&spec, check_child_state, "as user", &res, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(res.exit_status, 0);
	unit_assert_no_children();
}
END_TEST

static int wait_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

START_TEST(test_run_fn_timeout)
{
	struct berth_run_spec spec = { .timeout_ms = 100 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;

	ck_assert_int_eq(berth_run_fn(&spec, wait_forever, NULL, &res, &err), -1);
	ck_assert_str_eq(err.msg, "child function: timed out after 100 ms");
	ck_assert(res.timed_out);
	unit_assert_no_children();
}
END_TEST

START_TEST(test_run_fn_errors)
{
	struct berth_run_spec spec = { .cwd = "/nonexistent" };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_run_result res;
	int zero = 0;

	ck_assert_int_eq(berth_run_fn(&spec, NULL, NULL, &res, &err), -1);
	ck_assert_str_eq(err.msg, "no function to run");
	ck_assert_int_eq(berth_run_fn(&spec, return_value, &zero, &res, &err), -1);
	ck_assert_str_eq(err.msg, "child function: chdir: No such file or directory");
	ck_assert_int_eq(berth_run_fn(NULL, return_value, &zero, &res, &err), -1);
	ck_assert_str_eq(err.msg, "no run spec");
	unit_assert_no_children();
}
END_TEST

static Suite *run_suite(void)
{
	Suite *s = suite_create("run");
	TCase *basics = tcase_create("basics");
	TCase *isolation = tcase_create("isolation");
	TCase *functions = tcase_create("functions");

	tcase_add_loop_test(basics, test_exit_status, 0, ARRAY_LEN(exit_codes));
	tcase_add_test(basics, test_killed_by_signal);
	tcase_add_test(basics, test_capture_stdout_and_stderr);
	tcase_add_test(basics, test_capture_max_truncates);
	tcase_add_test(basics, test_capture_large_output);
	tcase_add_test(basics, test_no_capture);
	tcase_add_test(basics, test_timeout_kills_process_group);
	tcase_add_test(basics, test_exit_with_grandchild_holding_output);
	tcase_add_test(basics, test_timeout_not_reached);
	tcase_add_loop_test(basics, test_bad_spec, 0, ARRAY_LEN(spec_cases));
	tcase_add_loop_test(basics, test_exec_failure, 0, ARRAY_LEN(exec_cases));
	suite_add_tcase(s, basics);

	tcase_add_test(isolation, test_stdin_is_dev_null);
	tcase_add_test(isolation, test_caller_without_stdio);
	tcase_add_test(isolation, test_environment_is_scrubbed);
	tcase_add_test(isolation, test_custom_environment);
	tcase_add_loop_test(isolation, test_cwd, 0, ARRAY_LEN(cwd_cases));
	tcase_add_test(isolation, test_fds_are_closed);
	tcase_add_test(isolation, test_signals_are_reset);
	tcase_add_test(isolation, test_own_process_group);
	tcase_add_test(isolation, test_child_setup_failure);
	tcase_add_test(isolation, test_child_setup_runs_before_exec);
	suite_add_tcase(s, isolation);

	tcase_add_loop_test(functions, test_run_fn_exit_status, 0, ARRAY_LEN(fn_cases));
	tcase_add_test(functions, test_run_fn_output);
	tcase_add_test(functions, test_run_fn_pdeathsig);
	tcase_add_test(functions, test_run_fn_as_user);
	tcase_add_test(functions, test_run_fn_timeout);
	tcase_add_test(functions, test_run_fn_errors);
	suite_add_tcase(s, functions);

	return s;
}

int main(void)
{
	return unit_run(run_suite());
}
