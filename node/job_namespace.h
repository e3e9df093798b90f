/*
 * job_namespace.h - the job's mount namespace on one node: created in the
 * extern step, pinned by a bind mount of its nsfs file, joined by every
 * task, torn down at job end.
 */
#ifndef BERTH_JOB_NAMESPACE_H_
#define BERTH_JOB_NAMESPACE_H_

#include <stdbool.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_spec.h"

/* Runs in the forked child, inside the new (private) mount namespace:
 * assemble whatever the job needs there.  Returns 0 or -1 with err. */
typedef int (*berth_ns_populate_fn)(void *arg, struct berth_error *err);

/* Where a new namespace starts from: ns_fd >= 0 is an open nsfs file the
 * child enters before unsharing (a step's container starts from the job's
 * namespace); -1 or no base: the caller's own. */
struct berth_ns_base {
	int ns_fd;
};

/* Create and pin the namespace for paths (idempotent: an existing pinned
 * namespace is kept).  Called from a multi-threaded process: the unshare
 * happens in a forked child.  Kernel >= 6.18 may refuse the pin with
 * EINVAL depending on the CPU the namespace was made on: the child is then
 * re-run pinned to each allowed CPU in turn (see job_namespace.c). */
int berth_ns_create(const struct berth_job_paths *paths, uid_t uid, gid_t gid,
			const struct berth_ns_base *base, berth_ns_populate_fn populate, void *arg,
			struct berth_error *err);

/* Tests only: CPU the first attempt's child is pinned to (-1: none). */
extern int berth_ns_test_first_cpu;

/* Paths of a step's private container under job_dir: job_dir/step.<step>/
 * with ns, root, tmp.  false if too long. */
bool berth_step_paths_from(const char *job_dir, const char *step, struct berth_job_paths *out);

/* setns() into the pinned namespace.  1 joined, 0 none exists, -1 error.
 * Must be called single-threaded (Slurm forks before join). */
int berth_ns_join(const struct berth_job_paths *paths, struct berth_error *err);

/* Open the namespace for pam_slurm_adopt; returns fd, 0 none, -1 error. */
int berth_ns_open(const struct berth_job_paths *paths);

/* Unpin the namespace and remove every file of the job, step containers
 * under it included (idempotent). */
int berth_ns_delete(const struct berth_job_paths *paths, struct berth_error *err);

/* The job's end on this node: stop its sshd if one still runs (it would
 * keep the namespace alive), then berth_ns_delete.  Called by the extern
 * step's stepd_delete and, as backstops, by job_container's delete (up to
 * 23.11), SPANK job_epilog and restore at slurmd start. */
int berth_job_teardown(const struct berth_job_paths *paths, struct berth_error *err);

#endif
