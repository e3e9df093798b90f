/*
 * spank_plugin.h - state shared by the files of the berth SPANK plugin.
 *
 * The plugin is split by Slurm context behind spank_dispatch.c:
 *   spank_options.c  option table and callbacks (every context)
 *   spank_client.c   sbatch/salloc/srun: validation, export of --volume
 */
#ifndef BERTH_SPANK_PLUGIN_H_
#define BERTH_SPANK_PLUGIN_H_

#include <stdbool.h>

#include <slurm/spank.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_request.h"

/* plugstack.conf arguments: berth.so [enable_ccm=0|1] [enable_sshd=0|1] [config=PATH] */
struct berth_spank_args {
	bool enable_ccm;
	bool enable_sshd;
	char *config;
};

struct berth_spank_state {
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

#endif
