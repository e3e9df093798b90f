/*
 * jc_namespace.h - the job's mount namespace on one node: created in the
 * extern step, pinned by a bind mount of its nsfs file, joined by every
 * task, torn down at job end.
 */
#ifndef BERTH_JC_NAMESPACE_H_
#define BERTH_JC_NAMESPACE_H_

#include "berth_conf.h"
#include "berth_error.h"
#include "job_spec.h"

/* Runs in the forked child, inside the new (private) mount namespace:
 * assemble whatever the job needs there.  Returns 0 or -1 with err. */
typedef int (*jc_populate_fn)(void *arg, struct berth_error *err);

/* Create and pin the namespace for paths (idempotent: an existing pinned
 * namespace is kept).  Called from a multi-threaded process: the unshare
 * happens in a forked child. */
int jc_namespace_create(const struct berth_job_paths *paths, uid_t uid, gid_t gid,
			jc_populate_fn populate, void *arg, struct berth_error *err);

/* setns() into the pinned namespace.  1 joined, 0 none exists, -1 error.
 * Must be called single-threaded (Slurm forks before join). */
int jc_namespace_join(const struct berth_job_paths *paths, struct berth_error *err);

/* Open the namespace for pam_slurm_adopt; returns fd, 0 none, -1 error. */
int jc_namespace_open(const struct berth_job_paths *paths);

/* Unpin the namespace and remove every file of the job (idempotent). */
int jc_namespace_delete(const struct berth_job_paths *paths, struct berth_error *err);

#endif
