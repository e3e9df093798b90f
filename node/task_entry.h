/*
 * task_entry.h - the privileged entry of a task of an --image job (see
 * common/task_env.h for the order of the whole entry and the environment):
 * in slurmstepd's task child, as root, in SPANK task_init_privileged, after
 * Slurm has joined it to the job's mount namespace.
 */
#ifndef BERTH_TASK_ENTRY_H_
#define BERTH_TASK_ENTRY_H_

#include "berth_error.h"

/* ---------------------------------------------------------------- enter */

enum berth_task_cwd {
	BERTH_TASK_CWD_JOB,     /* the job's working directory */
	BERTH_TASK_CWD_IMAGE,   /* the image's workdir */
	BERTH_TASK_CWD_ROOT,    /* "/" */
};

/* chdir(root) + chroot("."), then chdir to the first of job_cwd,
 * image_workdir, "/" that is a directory in the new root (NULL, empty or
 * relative candidates are skipped).  The candidates are resolved inside the
 * new root without following /proc magic links (openat2 RESOLVE_IN_ROOT |
 * RESOLVE_NO_MAGICLINKS; a kernel without openat2 (< 5.6) falls back to a
 * plain chdir, confined by the chroot but following magic links).  *used
 * (may be NULL) says which one was taken.  root must be an absolute path. */
int berth_task_enter(const char *root, const char *job_cwd, const char *image_workdir,
		     enum berth_task_cwd *used, struct berth_error *err);

const char *berth_task_cwd_name(enum berth_task_cwd cwd);

/* ---------------------------------------------------------------- lock down */

/* PR_SET_NO_NEW_PRIVS; clear the securebits that would keep capabilities
 * across setuid (keep-caps, no-setuid-fixup); drop every capability from the
 * bounding set; clear the ambient and inheritable sets; then verify.  Needs
 * CAP_SETPCAP (root).  Effective and permitted sets are left alone. */
int berth_task_lock_down(struct berth_error *err);

#endif
