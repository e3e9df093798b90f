/*
 * sshd_launch.h - the per-job sshd inside the job's container (plugstack
 * argument enable_sshd=1 of berth.so; see node/sshd_job.h for the flow).
 *
 * Extern step only, in this order:
 *   stepd_create: berth_sshd_prepare() reads <job dir>/sshd.request (written
 *     by job_prolog), generates <job dir>/ssh/ (host key, configs), and
 *     adds the read-only mounts to the container tree before it is built;
 *   SPANK task_post_fork of the extern step (berth.so, right after Slurm's
 *     proctrack has adopted the step; every release - add_cont is gone from
 *     24.05): berth_sshd_start() re-reads what stepd_create left in the job
 *     directory, starts the sshd in the container as the user and moves it
 *     into the extern step's cgroups (Slurm's proctrack then kills it and
 *     everything started through it when the step ends);
 *   stepd_delete (backstops: job_container's delete up to 23.11, SPANK
 *     job_epilog, restore): berth_sshd_stop() kills whatever is left, before
 *     the namespace goes (berth_job_teardown).
 */
#ifndef BERTH_SSHD_LAUNCH_H_
#define BERTH_SSHD_LAUNCH_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_spec.h"

struct berth_job_tree_input;

/* Request file of a job: <job dir>/sshd.request. */
void berth_sshd_request_path(const struct berth_job_paths *paths, char *buf, size_t size);

/* 0: nothing to do or prepared (mounts added to tree), -1 with err. */
int berth_sshd_prepare(const struct berth_config *cfg, const struct berth_job_paths *paths,
		    const struct berth_job_spec *spec, uint32_t job_id, struct berth_job_tree_input *tree,
		    struct berth_error *err);

/* Start the sshd stepd_create prepared for the job (0 and nothing done when
 * there is none: not asked for, refused, or the container failed). */
int berth_sshd_start(const struct berth_job_paths *paths, uint32_t job_id, struct berth_error *err);

/* Kill the job's sshd if it still runs (pid file in the job dir). */
void berth_sshd_stop(const struct berth_job_paths *paths);

/* berth_sshd_bundle.c: <state_dir>/ssh-bundle/<stamp> into out, made if
 * missing; *split: the BERTH_SSHD_SPLIT_* programs of the host's OpenSSH
 * (sshd_job.h), which the bundle runs through berth-bundle-exec. */
int berth_sshd_bundle(const char *state_dir, char *out, size_t size, unsigned *split,
		      struct berth_error *err);

#endif
