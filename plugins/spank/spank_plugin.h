/*
 * spank_plugin.h - state shared by the files of the berth SPANK plugin.
 *
 * The plugin is split by Slurm context behind spank_dispatch.c:
 *   spank_options.c  option table and callbacks (every context)
 *   spank_client.c   sbatch/salloc/srun: validation, export of --volume
 *   spank_prolog.c   job_prolog on the node: the per-job spec file
 *   spank_remote.c   slurmstepd: tasks enter the container (spank_enter.c)
 */
#ifndef BERTH_SPANK_PLUGIN_H_
#define BERTH_SPANK_PLUGIN_H_

#include <stdbool.h>

#include <slurm/spank.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_request.h"
#include "job_spec.h"

/* plugstack.conf arguments: berth.so [enable_ccm=0|1] [enable_sshd=0|1] [config=PATH] */
struct berth_spank_args {
	bool enable_ccm;
	bool enable_sshd;
	char *config;
};

struct berth_spank_state {
	bool setup_done;
	struct berth_spank_args args;
	struct berth_config config;
	bool config_loaded;
	struct berth_error config_error;  /* why config_loaded is false */
	struct berth_job_request request; /* options seen in this process */
};

extern struct berth_spank_state berth_spank;

/* spank_options.c */
int berth_spank_register_options(spank_t sp, struct berth_error *err);

/* spank_client.c: local (srun) and allocator (sbatch, salloc) contexts */
int berth_spank_client_post_opt(spank_t sp);

/* spank_resolve.c: srun inside an allocation pins --image (LOCAL context) */
int berth_spank_resolve_step_image(spank_t sp);

/* spank_prolog.c: job_prolog (JOB_SCRIPT context) writes the job spec */
int berth_spank_job_prolog(spank_t sp);

/* spank_remote.c: slurmstepd */
int berth_spank_task_init_privileged(spank_t sp);

/* spank_enter.c */
int berth_spank_enter_container(spank_t sp, const struct berth_job_spec *spec,
				const struct berth_job_paths *paths);

#endif
