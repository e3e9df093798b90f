/*
 * job_tree.h - inputs of one job's container tree, gathered in slurmstepd
 * before the namespace child is forked.
 */
#ifndef BERTH_JOB_TREE_H_
#define BERTH_JOB_TREE_H_

#include <sys/types.h>

#include "berth_conf.h"
#include "cdi.h"
#include "container_tree.h"
#include "job_spec.h"
#include "volume.h"

#define BERTH_JOB_GROUPS_MAX 256

#define BERTH_JOB_HOST_PATHS_MAX 4

struct berth_job_tree_input {
	char sqfs[4096], json[4096];
	char entrypoint[4200];           /* the node's copy for /.berth/entrypoint */
	char passwd[2048];
	uid_t uid;
	gid_t gid;
	gid_t groups[BERTH_JOB_GROUPS_MAX];
	size_t ngroups;
	char *group_lines[BERTH_JOB_GROUPS_MAX];
	size_t n_group_lines;
	struct berth_volume_list volume_list, site_list;
	struct berth_tree_volume volumes[BERTH_VOLUMES_MAX];
	size_t n_volumes;
	struct berth_tree_host_path host_paths[BERTH_JOB_HOST_PATHS_MAX];
	size_t n_host_paths;
	const char *etc_files[8];
	size_t n_etc_files;
	char *etc_hosts_extra;           /* the job's nodes for /etc/hosts (sshd jobs) */
	char mpi_libs[4096];             /* a module's site MPI (mpi = mpich), or "" */
	char mpi_module[256];
	struct berth_tree_spec tree;
	struct berth_tree_stats stats;   /* filled in the child only */
	/* CDI devices (berth_job_tree_add_cdi): hooks run once the tree is built */
	const struct berth_cdi_step *cdi;
	char cdi_id[64];                 /* the OCI state's id: "<job>.<step>" */
	unsigned cdi_hook_timeout_s;
};

/* Gather (opening the user's volume sources as the user).  host_paths:
 * NULL-terminated directories of the node the tasks need at the same path
 * (Slurm's spool and TmpFS: the MPI plugins' PMIx server and session
 * directories); those that do not exist are left out. */
int berth_job_tree_prepare(struct berth_job_tree_input *in, const struct berth_config *cfg,
		    const struct berth_job_spec *spec, const struct berth_job_paths *paths,
		    const char *const *host_paths, struct berth_error *err);

/* Add a step's CDI devices (after prepare): their mounts after the site's
 * and the modules', their nodes in /dev, their hooks after the build (cdi
 * must outlive the build). */
int berth_job_tree_add_cdi(struct berth_job_tree_input *in, const struct berth_cdi_step *cdi, const char *id,
			   unsigned hook_timeout_s, struct berth_error *err);

/* berth_ns_populate_fn: build the tree inside the new namespace. */
int berth_job_tree_build(void *arg, struct berth_error *err);

void berth_job_tree_release(struct berth_job_tree_input *in);

#endif
