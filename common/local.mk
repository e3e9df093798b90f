# common/: what every berth process may link (slurmctld, slurmd, slurmstepd,
# the gateway, the helper): errors, logging, the config parser and berth.conf,
# image references, volume specs, job requests, image metadata, environment
# rules, the run-as-user helper, filesystem helpers.  No libcurl, no munge,
# no libcap, nothing that needs root.
noinst_LTLIBRARIES += common/libberth_common.la
common_libberth_common_la_SOURCES = \
	common/berth_error.c common/berth_error.h \
	common/berth_log.c common/berth_log.h \
	common/image_ref.c common/image_ref.h \
	common/volume.c common/volume.h \
	common/conf_parser.c common/conf_parser.h \
	common/berth_conf.c common/berth_conf.h \
	common/run.c common/run.h \
	common/job_request.c common/job_request.h \
	common/job_wire.c common/job_wire.h \
	common/argv_wire.c common/argv_wire.h \
	common/fs_util.c common/fs_util.h \
	common/image_meta.c common/image_meta.h \
	common/json_ascii.c common/json_ascii.h \
	common/image_access.c common/image_access.h \
	common/task_env.c common/task_env.h \
	common/env_rules.c common/env_rules.h \
	common/modules.c common/modules.h \
	common/cdi_name.c common/cdi_name.h \
	common/slurm_conf_file.c common/slurm_conf_file.h
common_libberth_common_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(JSONC_CFLAGS)
common_libberth_common_la_LIBADD = $(JSONC_LIBS)
