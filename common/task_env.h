/*
 * task_env.h - the environment of a task of an --image job (node/task_entry.h
 * has the privileged entry itself).  Pure computation, no privilege: the
 * site rules are parsed with berth.conf in every process.
 *
 * What a task of an --image job does right before Slurm
 * drops it to the user and execs the command: in slurmstepd's task child,
 * as root, in SPANK task_init_privileged, after Slurm has joined it to the
 * job's mount namespace.
 *
 * The plugin calls, in this order:
 *   1. berth_task_env_changes(job env, image metadata, site rules) and
 *      applies each change with spank_setenv(name, value, 1) or
 *      spank_unsetenv(name);
 *   2. berth_task_enter(root, job cwd, image workdir): chroot + chdir
 *      (node/task_entry.h);
 *   3. berth_task_lock_down(): no_new_privs, empty capability bounding,
 *      inheritable and ambient sets.  The effective and permitted sets stay,
 *      so Slurm can still setuid to the user; after that setuid the task has
 *      no capability and can gain none (setuid binaries, file capabilities).
 *
 * Note that Slurm itself chdir()s to the job's cwd as the user after this
 * hook (falling back to /tmp) when a job_container plugin is active; the
 * directory chosen by berth_task_enter holds when Slurm does not.
 */
#ifndef BERTH_TASK_ENV_H_
#define BERTH_TASK_ENV_H_

#include <stddef.h>

#include "berth_error.h"
#include "image_meta.h"

/* ---------------------------------------------------------------- env
 *
 * The task's environment is computed per variable NAME, in this order:
 *   1. the job's value (the first NAME=... in the job environment);
 *   2. LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT are removed: they name host
 *      libraries, which are not in the image;
 *   3. PATH becomes BERTH_TASK_DEFAULT_PATH: the command is looked up in
 *      the container, so the host's PATH is meaningless there;
 *   4. the image's Env entry for NAME, if any, replaces the value - except
 *      for the names the job always keeps: SLURM_*, SLURMD_*, PMI* (PMI_*,
 *      PMIX_*, ...), HOME, USER and LOGNAME (an image entry for them is
 *      ignored).  OMPI_* is not protected: images that ship Open MPI set
 *      OMPI_MCA_* for their own build; a site can add "KEEP=OMPI_*";
 *   5. the site rules, in their order (trusted admin configuration; they
 *      may touch any name, protected ones included):
 *        KEEP=NAME        the job's value, if the job has NAME;
 *                         no effect where the job has none
 *        SET=NAME=value   value
 *        UNSET=NAME       unset
 *      KEEP and UNSET also take NAME* (every name starting with NAME).
 * The result is a list of changes against the job environment, sorted by
 * name (strcmp), each name at most once.  No change is listed for a name
 * whose final value equals the job's.  Job entries without '=' are left
 * alone.
 */
#define BERTH_TASK_DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

enum berth_env_rule_kind {
	BERTH_ENV_RULE_KEEP,
	BERTH_ENV_RULE_SET,
	BERTH_ENV_RULE_UNSET,
};

struct berth_env_rule {
	enum berth_env_rule_kind kind;
	const char *name;    /* NAME; NAME* (prefix) for KEEP and UNSET */
	const char *value;   /* SET only (may be ""); NULL otherwise */
};

enum berth_env_op {
	BERTH_ENV_OP_SET,
	BERTH_ENV_OP_UNSET,
};

/* Why a change is made (the last step that decided the value). */
enum berth_env_reason {
	BERTH_ENV_BY_HOST_ONLY,     /* step 2 */
	BERTH_ENV_BY_DEFAULT_PATH,  /* step 3 */
	BERTH_ENV_BY_IMAGE,         /* step 4 */
	BERTH_ENV_BY_SITE_KEEP,     /* step 5 */
	BERTH_ENV_BY_SITE_SET,
	BERTH_ENV_BY_SITE_UNSET,
};

struct berth_env_change {
	enum berth_env_op op;
	char *name;
	char *value;                 /* NULL for UNSET */
	enum berth_env_reason reason;
};

struct berth_env_changes {
	struct berth_env_change *items;
	size_t count;
};

#define BERTH_ENV_CHANGES_INIT { NULL, 0 }

/* Parse one site rule "KEEP=NAME", "SET=NAME=value" or "UNSET=NAME" into
 * *rule (its strings malloc'd: free with berth_env_rule_free). */
int berth_env_rule_parse(const char *text, struct berth_env_rule *rule, struct berth_error *err);
void berth_env_rule_free(struct berth_env_rule *rule);

/* Check a rule built by hand; index names it in the message ("env rule 2"). */
int berth_env_rule_check(const struct berth_env_rule *rule, size_t index, struct berth_error *err);

/* Compute the changes (see above).  job_env: NULL-terminated "NAME=value"
 * array (may be NULL); meta may be NULL (no image env); rules may be NULL
 * when nrules is 0.  *out is replaced. */
int berth_task_env_changes(const char *const *job_env, const struct berth_image_meta *meta,
			   const struct berth_env_rule *rules, size_t nrules,
			   struct berth_env_changes *out, struct berth_error *err);

/* Apply changes to *envp_io: a NULL-terminated array, the array and its
 * strings malloc'd and owned by the caller.  Every entry of a changed name
 * is removed (and freed); a SET is appended as a new malloc'd string.  On
 * failure *envp_io is unchanged. */
int berth_task_env_apply(char ***envp_io, const struct berth_env_changes *changes,
			 struct berth_error *err);

/* berth_task_env_changes on *envp_io, then berth_task_env_apply. */
int berth_task_env_build(char ***envp_io, const struct berth_image_meta *meta,
			 const struct berth_env_rule *rules, size_t nrules, struct berth_error *err);

/* The value NAME has once changes are applied to job_env, or NULL. */
const char *berth_task_env_value(const char *const *job_env,
				 const struct berth_env_changes *changes, const char *name);

/* "image", "site SET", ... for log lines. */
const char *berth_env_reason_name(enum berth_env_reason reason);

void berth_env_changes_free(struct berth_env_changes *changes);

#endif
