/*
 * prolog_job.h - what slurmd tells a node's prolog about the job's
 * allocation, read from the prolog's environment instead of asked of
 * slurmctld.
 *
 * From Slurm 23.02 slurmd builds the prolog's environment (the SPANK
 * job_prolog's too) from the job's credential, which slurmctld signed:
 *   SLURM_JOB_OVERSUBSCRIBE  up to 25.11: the job's sharing, as `scontrol
 *                            show job` prints it ("NO": exclusive nodes);
 *                            26.05: CPU oversubscription only ("NO" for
 *                            jobs that share their nodes too)
 *   SLURM_JOB_EXCLUSIVE      26.05: whose the nodes are ("NODE": the job's
 *                            alone; "NO", "USER", "MCS", "TOPO")
 *   SLURM_JOB_NODELIST       the allocation's nodes (a hostlist expression)
 *   SLURM_JOB_NUM_NODES      their number
 *   SLURM_JOB_NTASKS         the job's task count, also when it comes from
 *                            --ntasks-per-node (absent or NO_VAL: none)
 * A job cannot set these names: its own SPANK environment reaches the
 * prolog with every name prefixed SPANK_ (valid_spank_job_env), and slurmd
 * sets these after merging it.  Slurm 22.05 sets none of them: `present`
 * is false there and the caller asks slurmctld as before.
 */
#ifndef BERTH_PROLOG_JOB_H_
#define BERTH_PROLOG_JOB_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

struct berth_prolog_job {
	bool present;            /* SLURM_JOB_OVERSUBSCRIBE or _EXCLUSIVE set: slurmd 23.02 or later */
	bool exclusive;          /* the nodes are the job's alone (EXCLUSIVE=NODE, else OVERSUBSCRIBE=NO) */
	const char *node_list;   /* SLURM_JOB_NODELIST (the environment's string), or NULL */
	uint32_t num_nodes;      /* SLURM_JOB_NUM_NODES, 0 if absent */
	uint32_t num_tasks;      /* SLURM_JOB_NTASKS, 0 if absent or unset (NO_VAL) */
};

/* Reads the variables through getenv_fn (getenv in the prolog; tests pass
 * their own).  A variable that is set but does not parse is an error (the
 * caller then asks slurmctld); absent ones leave their field empty. */
int berth_prolog_job_read(const char *(*getenv_fn)(const char *name), struct berth_prolog_job *job,
			  struct berth_error *err);

/* Tasks on the index-th of the allocation's nodes, as slurmctld's answer
 * gave them to berth: the job's task count spread over its nodes, the first
 * nodes taking the remainder.  A job without a task count (Slurm's
 * num_tasks 0, so no SLURM_JOB_NTASKS) has one task a node: slurmctld then
 * reports the job's node count as its task count, and srun starts one task
 * a node there.  0 when the environment cannot tell: no node count, fewer
 * tasks than nodes, index out of range. */
unsigned berth_prolog_job_tasks_on(const struct berth_prolog_job *job, size_t index);

#endif
