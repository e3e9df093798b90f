/*
 * gw_slurm.h - the few Slurm calls of the gateway's job releaser
 * (gw_waiting.c): list the jobs that wait for an image, update their
 * AdminComment and hold, cancel them.  libslurm (the public library, as
 * any Slurm client): the gateway's uid must be a Slurm administrator
 * (AdminLevel=Admin, or SlurmUser): releasing an admin hold and setting an
 * AdminComment are refused to anyone else.  See doc/image-wait.md.
 *
 * Behind a table of functions so that gw_waiting.c is unit-tested without
 * a cluster.  Not thread-safe: the releaser thread is the only caller.
 */
#ifndef BERTH_GW_SLURM_H_
#define BERTH_GW_SLURM_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

/* A pending job whose AdminComment carries a wait marker (job_wire.h). */
struct gw_slurm_job {
	uint32_t job_id;
	bool held;                /* priority 0 */
	bool user_hold;           /* ... held by the user (JobHeldUser) */
	char *admin_comment;      /* malloc'd */
};

enum gw_slurm_hold {
	GW_SLURM_HOLD_KEEP = 0,   /* priority not changed */
	GW_SLURM_HOLD_ADMIN,      /* held by an admin: the user cannot release it */
	GW_SLURM_HOLD_USER,       /* held as if by the user (their own --hold) */
	GW_SLURM_RELEASE,         /* released: scheduled like any job */
};

struct gw_slurm_ops {
	/* Every pending job with a wait marker in its AdminComment (*jobs
	 * malloc'd, gw_slurm_jobs_free). */
	int (*list_waiting)(void *arg, struct gw_slurm_job **jobs, size_t *count,
			    struct berth_error *err);
	/* admin_comment NULL: unchanged.  ENOENT: the job is gone or over. */
	int (*update)(void *arg, uint32_t job_id, const char *admin_comment, enum gw_slurm_hold hold,
		      struct berth_error *err);
	/* ENOENT: the job is gone or over. */
	int (*cancel)(void *arg, uint32_t job_id, struct berth_error *err);
	void *arg;
};

void gw_slurm_jobs_free(struct gw_slurm_job *jobs, size_t count);

/* libslurm's ops, reading slurm_conf ("" or NULL: libslurm's default and
 * $SLURM_CONF).  -1 (ENOTSUP) when the gateway was built without libslurm. */
int gw_slurm_real_ops(const char *slurm_conf, struct gw_slurm_ops *ops, struct berth_error *err);
void gw_slurm_real_fini(void);

#endif
