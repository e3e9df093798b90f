# testsuite/: Check unit tests (TESTS), the cluster harness and the
# integration suite (check-local, against a real 3-node Slurm cluster).
if HAVE_CHECK
UNIT_TESTS = \
	testsuite/unit/test_error \
	testsuite/unit/test_job_wire \
	testsuite/unit/test_job_spec \
	testsuite/unit/test_image_meta \
	testsuite/unit/test_image_meta_io \
	testsuite/unit/test_task_env \
	testsuite/unit/test_task_entry \
	testsuite/unit/test_image_ref \
	testsuite/unit/test_volume \
	testsuite/unit/test_conf_parser \
	testsuite/unit/test_berth_conf \
	testsuite/unit/test_safe_path \
	testsuite/unit/test_container_tree \
	testsuite/unit/test_run \
	testsuite/unit/test_run_user \
	testsuite/unit/test_cdi
check_PROGRAMS += $(UNIT_TESTS)
TESTS += $(UNIT_TESTS)
UNIT_CFLAGS = $(AM_CFLAGS) $(NODE_CPPFLAGS) $(CHECK_CFLAGS)
UNIT_LDADD = $(NODE_LIBS) $(CHECK_LIBS)
testsuite_unit_test_cdi_SOURCES = testsuite/unit/test_cdi.c testsuite/unit/unit.h
testsuite_unit_test_cdi_CFLAGS = $(UNIT_CFLAGS) $(JSONC_CFLAGS)
testsuite_unit_test_cdi_LDADD = $(UNIT_LDADD) $(JSONC_LIBS)
testsuite_unit_test_error_SOURCES = testsuite/unit/test_error.c testsuite/unit/unit.h
testsuite_unit_test_error_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_error_LDADD = $(UNIT_LDADD)
testsuite_unit_test_job_wire_SOURCES = testsuite/unit/test_job_wire.c testsuite/unit/unit.h
testsuite_unit_test_job_wire_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_job_wire_LDADD = $(UNIT_LDADD)
testsuite_unit_test_image_ref_SOURCES = testsuite/unit/test_image_ref.c testsuite/unit/unit.h
testsuite_unit_test_image_ref_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_image_ref_LDADD = $(UNIT_LDADD)
testsuite_unit_test_volume_SOURCES = testsuite/unit/test_volume.c testsuite/unit/unit.h
testsuite_unit_test_volume_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_volume_LDADD = $(UNIT_LDADD)
testsuite_unit_test_conf_parser_SOURCES = testsuite/unit/test_conf_parser.c testsuite/unit/unit.h \
	testsuite/unit/unit_tmpdir.c testsuite/unit/unit_tmpdir.h
testsuite_unit_test_conf_parser_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_conf_parser_LDADD = $(UNIT_LDADD)
testsuite_unit_test_berth_conf_SOURCES = testsuite/unit/test_berth_conf.c testsuite/unit/unit.h \
	testsuite/unit/unit_tmpdir.c testsuite/unit/unit_tmpdir.h
testsuite_unit_test_berth_conf_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_berth_conf_LDADD = $(UNIT_LDADD)
testsuite_unit_test_job_spec_SOURCES = testsuite/unit/test_job_spec.c testsuite/unit/unit.h
testsuite_unit_test_job_spec_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_job_spec_LDADD = $(UNIT_LDADD)
testsuite_unit_test_run_user_SOURCES = testsuite/unit/test_run_user.c testsuite/unit/unit.h
testsuite_unit_test_run_user_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_run_user_LDADD = $(UNIT_LDADD)
testsuite_unit_test_run_SOURCES = testsuite/unit/test_run.c testsuite/unit/unit.h
testsuite_unit_test_run_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_run_LDADD = $(UNIT_LDADD)
testsuite_unit_test_image_meta_SOURCES = testsuite/unit/test_image_meta.c testsuite/unit/unit.h \
	testsuite/unit/test_image_meta_util.c testsuite/unit/test_image_meta_util.h
testsuite_unit_test_image_meta_io_SOURCES = testsuite/unit/test_image_meta_io.c testsuite/unit/unit.h \
	testsuite/unit/test_image_meta_util.c testsuite/unit/test_image_meta_util.h
testsuite_unit_test_image_meta_io_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_image_meta_io_LDADD = $(UNIT_LDADD)
testsuite_unit_test_image_meta_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_image_meta_LDADD = $(UNIT_LDADD)
testsuite_unit_test_task_env_SOURCES = testsuite/unit/test_task_env.c testsuite/unit/unit.h
testsuite_unit_test_task_env_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_task_env_LDADD = $(UNIT_LDADD)
testsuite_unit_test_task_entry_SOURCES = testsuite/unit/test_task_entry.c testsuite/unit/unit.h
testsuite_unit_test_task_entry_CFLAGS = $(UNIT_CFLAGS) $(LIBCAP_CFLAGS)
testsuite_unit_test_task_entry_LDADD = $(UNIT_LDADD) $(LIBCAP_LIBS)
testsuite_unit_test_safe_path_SOURCES = testsuite/unit/test_safe_path.c testsuite/unit/unit.h
testsuite_unit_test_safe_path_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_safe_path_LDADD = $(UNIT_LDADD)
testsuite_unit_test_container_tree_SOURCES = testsuite/unit/test_container_tree.c \
	testsuite/unit/test_container_tree_util.c testsuite/unit/test_container_tree_util.h \
	testsuite/unit/unit.h
testsuite_unit_test_container_tree_CFLAGS = $(UNIT_CFLAGS)
testsuite_unit_test_container_tree_LDADD = $(UNIT_LDADD)
# A static program copied (setuid) into the test image: prints its euid.
check_PROGRAMS += testsuite/unit/test_container_tree_probe
testsuite_unit_test_container_tree_probe_SOURCES = testsuite/unit/test_container_tree_probe.c
testsuite_unit_test_container_tree_probe_CFLAGS = -std=gnu11 -Wall -Wextra
testsuite_unit_test_container_tree_probe_LDFLAGS = -all-static
endif

# The rooms in the binaries: nothing slurmctld loads carries node/ code or
# libcap; the gateway carries no client/ or node/ code (after `all`).
TESTS += testsuite/unit/check_rooms.sh
EXTRA_DIST += testsuite/unit/check_rooms.sh testsuite/unit/cdi

include testsuite/unit/sshd.mk
include testsuite/unit/submit.mk

EXTRA_DIST += testsuite/harness testsuite/integration
# the benchmarks (the gateway's own are in gateway/core.mk, client/local.mk)
EXTRA_DIST += testsuite/bench/cluster_lib.sh testsuite/bench/container_setup.sh \
	testsuite/bench/image_wait.sh testsuite/bench/mpi.sh testsuite/bench/releases.sh \
	testsuite/bench/sshd_start.sh testsuite/bench/submit_rate.sh

if ENABLE_INTEGRATION
# The integration suite needs root (it starts munged, slurmctld, 3 slurmd and a
# registry, and submits as an ordinary user).  It runs after the unit tests.
check-local: berth-release-guard all
	BERTH_BUILDDIR=$(abs_top_builddir) BERTH_SRCDIR=$(abs_top_srcdir) \
		$(abs_top_srcdir)/testsuite/integration/run.sh
endif
include testsuite/unit/node.mk
include testsuite/fuzz/fuzz.mk
