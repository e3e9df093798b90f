# testsuite/unit/node.mk: unit tests of the node runtime's site rules,
# modules and namespace pinning (included from testsuite/local.mk).
if HAVE_CHECK
NODE_UNIT_TESTS = testsuite/unit/test_site_rules testsuite/unit/test_job_namespace
check_PROGRAMS += $(NODE_UNIT_TESTS)
TESTS += $(NODE_UNIT_TESTS)
testsuite_unit_test_site_rules_SOURCES = testsuite/unit/test_site_rules.c testsuite/unit/unit.h
testsuite_unit_test_site_rules_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_site_rules_LDADD = $(UNIT_LDADD)
testsuite_unit_test_job_namespace_SOURCES = testsuite/unit/test_job_namespace.c testsuite/unit/unit.h
testsuite_unit_test_job_namespace_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_job_namespace_LDADD = $(UNIT_LDADD)
endif
