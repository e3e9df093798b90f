/*
 * jc_container.h - build the job's container on this node from its spec.
 */
#ifndef BERTH_JC_CONTAINER_H_
#define BERTH_JC_CONTAINER_H_

#include <stdint.h>
#include <sys/types.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_spec.h"

/* Called in the extern step's slurmstepd.  No spec: not a berth job (0).
 * A spec carrying a user error: nothing is built (the steps report it).
 * uid: the job's as Slurm passed it, or (uid_t)-1 where Slurm no longer
 * does (23.02+); the spec, written by root in job_prolog, is then the
 * authority.  host_paths: berth_job_tree_prepare's. */
int jc_container_create(const struct berth_config *cfg, const struct berth_job_paths *paths,
			uint32_t job_id, uid_t uid, const char *const *host_paths, struct berth_error *err);

/* slurmd start: remove what belongs to jobs that no longer run here. */
void jc_restore(const struct berth_config *cfg, const char *spool_dir);

/* slurm.conf settings berth cannot work with (from 24.05): 0, or -1 with
 * the one-line reason.  The flags are slurm_conf's prolog_flags and
 * conf_flags. */
int jc_check_slurm_flags(uint64_t prolog_flags, uint64_t conf_flags, struct berth_error *err);

#endif
