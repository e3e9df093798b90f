/*
 * spank_plugin.h - state shared by the files of the berth SPANK plugin.
 *
 * The plugin is split by Slurm context behind spank_dispatch.c:
 *   spank_options.c  option table and callbacks (every context)
 *   spank_client.c   sbatch/salloc/srun: validation, export of --volume
 *   spank_prolog.c   job_prolog on the node: the per-job spec file
 *   spank_remote.c   slurmstepd: tasks enter the container (spank_enter.c),
 *                    the extern step starts the sshd; job_epilog tears down
 *   spank_step.c     slurmstepd: a step's private container (srun --image/--volume)
 */
#ifndef BERTH_SPANK_PLUGIN_H_
#define BERTH_SPANK_PLUGIN_H_

#include <stdbool.h>
#include <stdint.h>

#include <slurm/spank.h>

#include "berth_conf.h"
#include "cdi.h"
#include "berth_error.h"
#include "job_request.h"
#include "job_spec.h"

/* plugstack.conf arguments: berth.so [enable_ccm=0|1] [enable_sshd=0|1]
 * [ssh_port=N] [config=PATH] */
struct berth_spank_args {
	bool enable_ccm;
	bool enable_sshd;
	unsigned ssh_port;
	char *config;
};

/* A step's private container (spank_step.c). */
struct berth_spank_step {
	bool created;                       /* paths exist on the node */
	bool active;                        /* the tasks enter it (through ns_fd) */
	int ns_fd;                          /* its namespace, valid while active:
					     * the pin is in slurmstepd's namespace,
					     * tasks start in the job's */
	char error[BERTH_ERROR_MSG_MAX];    /* the step cannot run: why */
	struct berth_job_paths paths;       /* <job dir>/step.<id> */
	struct berth_job_spec spec;         /* its image and volumes */
	struct berth_cdi_step cdi;          /* its CDI devices (spank_devices.c) */
	char gpus[256];                     /* Slurm's GPUs of the step: node indexes */
};

/* srun --entrypoint (spank_enter.c) */
enum berth_entrypoint_mode {
	BERTH_ENTRYPOINT_NONE = 0,
	BERTH_ENTRYPOINT_ARGS,    /* Entrypoint + the step's command */
	BERTH_ENTRYPOINT_IMAGE,   /* Entrypoint + Cmd, as `docker run IMAGE` */
};

struct berth_spank_state {
	bool setup_done;
	struct berth_spank_args args;
	struct berth_config config;
	bool config_loaded;
	struct berth_error config_error;  /* why config_loaded is false */
	struct berth_job_request request; /* options seen in this process */
	enum berth_entrypoint_mode entrypoint;
	/* sbatch/salloc/srun parse each component of a heterogeneous job or
	 * step (':') in turn, the environment's options again each time, and
	 * call init_post_opt after each (spank_client.c): what each component
	 * was given, as a hash of (option, value) in order, to compare */
	struct berth_spank_given {
		uint64_t hash;              /* of the component being parsed */
		unsigned count;
		uint64_t first_hash;        /* of component 0 */
		unsigned first_count;
		unsigned components;        /* init_post_opt calls so far */
	} given;
	struct berth_spank_step step;     /* slurmstepd of a normal step */
	struct berth_cdi_names user_devices; /* --device */
	/* a task child, between task_init_privileged and task_init: the
	 * working directories chosen in the container (see spank_enter.c) */
	char task_cwd[4096];
	char task_workdir[4096];
	/* slurmstepd's working directory in user_init: the step's cwd as
	 * Slurm set it (or Slurm's /tmp fallback) */
	char step_cwd[4096];
};

extern struct berth_spank_state berth_spank;

/* spank_options.c */
int berth_spank_register_options(spank_t sp, struct berth_error *err);

/* spank_options.c: an option (id, value) given, in local or allocator
 * context (counted per component, spank_client.c) */
void berth_spank_option_given(int id, const char *value);

/* spank_client.c: local (srun) and allocator (sbatch, salloc) contexts */
int berth_spank_client_post_opt(spank_t sp);

/* spank_resolve.c: srun inside an allocation pins --image (LOCAL context) */
int berth_spank_resolve_step_image(spank_t sp);

/* spank_prolog.c: job_prolog (JOB_SCRIPT context) writes the job spec */
int berth_spank_job_prolog(spank_t sp);

/* spank_remote.c: slurmstepd */
int berth_spank_task_init_privileged(spank_t sp);
/* task_post_fork of the extern step: the per-job sshd starts (enable_sshd). */
int berth_spank_extern_post_fork(spank_t sp);
/* job_epilog (JOB_SCRIPT context, root): the backstop teardown. */
int berth_spank_job_epilog(spank_t sp);
/* The job's spec (1), none (0: not a berth job) or -1. */
int berth_spank_read_job_spec(spank_t sp, struct berth_job_spec *spec, struct berth_job_paths *paths,
			      struct berth_error *err);

/* spank_step.c: per-step containers.  start in init_post_opt (remote),
 * task in task_init_privileged (1: the step has its own container and the
 * task entered it or failed; see there), end in exit. */
int berth_spank_step_start(spank_t sp);
int berth_spank_step_user_init(spank_t sp);
int berth_spank_step_task(spank_t sp);
void berth_spank_step_end(void);

/* spank_devices.c: the step's CDI devices (names: Slurm's GPUs, then
 * --device), the task's environment (privileged), CUDA_VISIBLE_DEVICES
 * renumbered (task_init). */
int berth_spank_step_devices(spank_t sp, struct berth_cdi_names *names, struct berth_error *err);
int berth_spank_device_env(spank_t sp, struct berth_error *err);
void berth_spank_device_renumber(spank_t sp);

/* spank_enter.c */
int berth_spank_enter_container(spank_t sp, const struct berth_job_spec *spec,
				const struct berth_job_paths *paths);
/* task_init (the user, after Slurm's own chdir): the chosen directory. */
int berth_spank_task_init(spank_t sp);

/* spank_ssh.c: the per-job sshd (enable_sshd=1) and --ccm */
int berth_spank_ssh_client(spank_t sp);
int berth_spank_ssh_prolog(uint32_t job_id, const struct berth_job_paths *paths,
			   const struct berth_job_spec *spec);
int berth_spank_enter_ccm(spank_t sp, const struct berth_job_paths *paths);

#endif
