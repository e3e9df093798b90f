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
	node/sshd_job.c node/sshd_job.h node/prolog_job.c node/prolog_job.h \
	node/job_namespace.c node/job_namespace.h \
	node/job_tree.c node/job_tree.h \
	node/entrypoint_file.c node/entrypoint_file.h node/entrypoint_exec.h \
	node/cdi.c node/cdi.h node/cdi_hooks.c \
	node/cdi_spec.c node/cdi_yaml.c node/cdi_spec.h \
	node/elf_deps.c node/elf_deps.h node/mpi_inject.c node/mpi_inject.h \
	node/sshd_launch.c node/sshd_bundle.c node/sshd_launch.h \
	node/bundle_exec_blob.S
node_libberth_node_la_CPPFLAGS = $(AM_CPPFLAGS) $(NODE_CPPFLAGS)
node_libberth_node_la_CFLAGS = $(AM_CFLAGS) -fvisibility=hidden $(LIBCAP_CFLAGS) $(JSONC_CFLAGS) \
	$(YAML_CFLAGS)
node_libberth_node_la_LIBADD = $(LIBCAP_LIBS) $(JSONC_LIBS) $(YAML_LIBS)
# Link node/libberth_node.la before common/libberth_common.la.
NODE_LIBS = node/libberth_node.la common/libberth_common.la

# berth-bundle-exec (bundle_exec.c): static, run inside containers from the
# sshd bundle; embedded into the runtime by bundle_exec_blob.S (.incbin), not
# installed.  No sanitizer and no hardening flags: a static program of its own.
noinst_PROGRAMS += node/berth-bundle-exec
node_berth_bundle_exec_SOURCES = node/bundle_exec.c node/entrypoint_exec.c \
	node/entrypoint_exec.h common/argv_wire.c
node_berth_bundle_exec_CPPFLAGS = $(AM_CPPFLAGS) $(NODE_CPPFLAGS)
node_berth_bundle_exec_CFLAGS = -std=gnu11 -Os -Wall -Wextra
node_berth_bundle_exec_LDFLAGS = -all-static -s
node_libberth_node_la_CCASFLAGS = -DBERTH_BUNDLE_EXEC_PATH='"node/berth-bundle-exec"'
# (.incbin reads the program: every object of the library waits for it)
$(node_libberth_node_la_OBJECTS): node/berth-bundle-exec
