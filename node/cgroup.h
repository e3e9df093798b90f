/*
 * cgroup.h - put a process that a job_container plugin started (the per-job
 * sshd) into the cgroups of the job's extern step, so Slurm accounts it to
 * the job, limits it with the job's memory, and kills it (and everything it
 * started) when the extern step ends.
 *
 * The extern slurmstepd learns its own cgroups from /proc/self/cgroup; every
 * Slurm cgroup path contains a "job_<id>" component:
 *
 *   v1 (one hierarchy per controller, /sys/fs/cgroup/<controllers>):
 *     slurmstepd sits in .../job_<id>/step_extern (memory, cpuset, ...) or in
 *     .../job_<id> (freezer: proctrack/cgroup puts the stepd at job level);
 *     the target is .../job_<id>/step_extern in every hierarchy that has it.
 *     The freezer one is proctrack's container: Slurm SIGKILLs every process
 *     in it when the extern step ends, before removing the cgroups.
 *   v2 (unified, /sys/fs/cgroup; Slurm 22.05 cgroup/v2 layout):
 *     slurmstepd sits in .../job_<id>/step_extern/slurm, the extern step's
 *     processes in .../job_<id>/step_extern/user/task_special (the leaf
 *     proctrack adds pids to and kills); the target is that leaf.
 *
 * Functions take the cgroup mount root and the text of /proc/self/cgroup,
 * so unit tests run them against a fake hierarchy (this is how the v2 path
 * is tested on hosts that run v1 only).
 */
#ifndef BERTH_CGROUP_H_
#define BERTH_CGROUP_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_error.h"

#define BERTH_CGROUP_ROOT "/sys/fs/cgroup"

enum berth_cgroup_mode {
	BERTH_CGROUP_NONE,   /* no memory cgroup found */
	BERTH_CGROUP_V1,     /* legacy or hybrid: per-controller hierarchies */
	BERTH_CGROUP_V2,     /* unified */
};

/* Which hierarchy root holds: cgroup2 on root itself -> V2; a v1 memory
 * hierarchy at root/memory -> V1 (hybrid hosts included). */
enum berth_cgroup_mode berth_cgroup_detect(const char *root);

const char *berth_cgroup_mode_name(enum berth_cgroup_mode mode);

/* Move pid into the extern step's cgroups of job_id (see above), given the
 * extern slurmstepd's /proc/self/cgroup text.  mem_dir receives the memory
 * cgroup directory joined (v2: the leaf).  Returns the number of
 * hierarchies joined (0: none found, e.g. proctrack/linuxproc), -1 on a
 * write error. */
int berth_cgroup_adopt_extern(const char *root, enum berth_cgroup_mode mode,
			      const char *self_cgroup, uint32_t job_id, pid_t pid,
			      char *mem_dir, size_t mem_dir_size, struct berth_error *err);

/* The memory cgroup (path relative to its hierarchy) pid is in, from
 * /proc/<pid>/cgroup: "" if none.  For tests and logs. */
int berth_cgroup_of(pid_t pid, enum berth_cgroup_mode mode, char *buf, size_t size);

#endif
