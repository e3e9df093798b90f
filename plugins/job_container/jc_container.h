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
 * A spec carrying a user error: nothing is built (the steps report it). */
int jc_container_create(const struct berth_config *cfg, const struct berth_job_paths *paths,
			uint32_t job_id, uid_t uid, struct berth_error *err);

/* slurmd start: remove what belongs to jobs that no longer run here. */
void jc_restore(const struct berth_config *cfg, const char *spool_dir);

#endif
