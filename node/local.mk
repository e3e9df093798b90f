# node/: the root-only node runtime - the job's namespace and container tree,
# safe paths and mounts, loop devices, cgroups, the job spec, the per-job
# sshd.  Linked only by berth.so (SPANK) and the job_container plugin; never
# by anything slurmctld loads, the gateway or the helper.
noinst_LTLIBRARIES += node/libberth_node.la
node_libberth_node_la_SOURCES = \
	node/job_spec.c node/job_spec.h \
	node/task_entry.c node/task_entry.h \
	node/safe_path.c node/safe_path_user.c node/safe_path.h \
	node/safe_mount.c node/safe_mount.h \
	node/loopdev.c node/loopdev.h \
	node/container_tree.c node/container_tree_sys.c node/container_tree_vol.c \
	node/container_tree.h node/container_tree_int.h \
	node/cgroup.c node/cgroup.h \
	node/sshd_job.c node/sshd_job.h \
	node/job_namespace.c node/job_namespace.h \
	node/job_tree.c node/job_tree.h \
	node/sshd_launch.c node/sshd_bundle.c node/sshd_launch.h
node_libberth_node_la_CPPFLAGS = $(AM_CPPFLAGS) $(NODE_CPPFLAGS)
node_libberth_node_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCAP_CFLAGS)
node_libberth_node_la_LIBADD = $(LIBCAP_LIBS)
# Link node/libberth_node.la before common/libberth_common.la.
NODE_LIBS = node/libberth_node.la common/libberth_common.la
