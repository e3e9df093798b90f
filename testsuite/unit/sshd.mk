# testsuite/unit/sshd.mk: unit tests of the per-job sshd (node/sshd_job,
# node/cgroup), included from testsuite/local.mk.
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_sshd
TESTS += testsuite/unit/test_sshd
testsuite_unit_test_sshd_SOURCES = testsuite/unit/test_sshd.c testsuite/unit/unit.h
testsuite_unit_test_sshd_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_sshd_LDADD = $(UNIT_LDADD)
endif
if HAVE_CHECK
check_PROGRAMS += testsuite/unit/test_run_spawn
TESTS += testsuite/unit/test_run_spawn
testsuite_unit_test_run_spawn_SOURCES = testsuite/unit/test_run_spawn.c testsuite/unit/unit.h
testsuite_unit_test_run_spawn_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_run_spawn_LDADD = $(UNIT_LDADD)
endif
