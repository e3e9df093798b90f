/*
 * unit.h - shared bits of berth's Check unit tests.
 */
#ifndef BERTH_UNIT_H_
#define BERTH_UNIT_H_

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#define NOBODY 65534

/* Tests that change the test process itself (credentials, chroot, mounts)
 * need root and Check's fork mode; otherwise they skip with a message. */
#define REQUIRE_ROOT()                                                               \
	do {                                                                         \
		const char *fork_mode = getenv("CK_FORK");                           \
		if (geteuid() != 0 || (fork_mode && strcmp(fork_mode, "no") == 0)) { \
			fprintf(stderr, "%s: skipped: needs root and CK_FORK=yes\n", \
				__func__);                                           \
			return;                                                      \
		}                                                                    \
	} while (0)

/* The test process has no child left (every one was reaped). */
static inline void unit_assert_no_children(void)
{
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}

/* Run one suite; exit status for automake's test driver. */
static inline int unit_run(Suite *suite)
{
	SRunner *runner = srunner_create(suite);
	int failed;

	srunner_run_all(runner, CK_NORMAL);
	failed = srunner_ntests_failed(runner);
	srunner_free(runner);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
