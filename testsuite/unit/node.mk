# testsuite/unit/node.mk: unit tests of the node runtime's site rules,
# modules and namespace pinning (included from testsuite/local.mk).
if HAVE_CHECK
NODE_UNIT_TESTS = testsuite/unit/test_site_rules testsuite/unit/test_job_namespace \
	testsuite/unit/test_jc_container testsuite/unit/test_hostile_job \
	testsuite/unit/test_image_access testsuite/unit/test_mpi_inject
check_PROGRAMS += $(NODE_UNIT_TESTS)
TESTS += $(NODE_UNIT_TESTS)
testsuite_unit_test_site_rules_SOURCES = testsuite/unit/test_site_rules.c testsuite/unit/unit.h
testsuite_unit_test_site_rules_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_site_rules_LDADD = $(UNIT_LDADD)
testsuite_unit_test_job_namespace_SOURCES = testsuite/unit/test_job_namespace.c testsuite/unit/unit.h
testsuite_unit_test_job_namespace_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_job_namespace_LDADD = $(UNIT_LDADD)
testsuite_unit_test_hostile_job_SOURCES = testsuite/unit/test_hostile_job.c testsuite/unit/unit.h
testsuite_unit_test_hostile_job_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_hostile_job_LDADD = $(UNIT_LDADD)
testsuite_unit_test_image_access_SOURCES = testsuite/unit/test_image_access.c testsuite/unit/unit.h
testsuite_unit_test_image_access_CFLAGS = $(UNIT_CFLAGS) $(LIBCAP_CFLAGS)
testsuite_unit_test_image_access_LDADD = $(UNIT_LDADD) $(LIBCAP_LIBS)
testsuite_unit_test_mpi_inject_SOURCES = testsuite/unit/test_mpi_inject.c testsuite/unit/test_mpi_elf.c \
	testsuite/unit/test_mpi_elf.h testsuite/unit/unit.h
testsuite_unit_test_mpi_inject_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_mpi_inject_LDADD = $(UNIT_LDADD)
# jc_container.c, built from the plugin's own source (no Slurm symbol used)
testsuite_unit_test_jc_container_SOURCES = testsuite/unit/test_jc_container.c testsuite/unit/unit.h \
	plugins/job_container/jc_container.c plugins/job_container/jc_container.h
testsuite_unit_test_jc_container_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/plugins/job_container
testsuite_unit_test_jc_container_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_jc_container_LDADD = $(UNIT_LDADD)
endif
