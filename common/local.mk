# common/: the convenience library linked into every berth component.
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
	common/job_spec.c common/job_spec.h \
	common/fs_util.c common/fs_util.h \
	common/safe_path.c common/safe_path_user.c common/safe_path.h \
	common/safe_mount.c common/safe_mount.h \
	common/loopdev.c common/loopdev.h \
	common/container_tree.c common/container_tree_sys.c common/container_tree_vol.c \
	common/container_tree.h common/container_tree_int.h \
	common/image_meta.c common/image_meta.h \
	common/task_entry.c common/task_entry.h \
	common/cgroup.c common/cgroup.h \
	common/sshd_job.c common/sshd_job.h \
	common/env_rules.c common/env_rules.h \
	common/modules.c common/modules.h
common_libberth_common_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(JSONC_CFLAGS) $(LIBCAP_CFLAGS)
common_libberth_common_la_LIBADD = $(JSONC_LIBS) $(LIBCAP_LIBS)
include common/client.mk
