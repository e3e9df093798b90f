/*
 * js_env.h - edits of a job's environment arrays (spank_job_env and, for
 * sbatch, environment): "NAME=value" strings, a count, memory owned by the
 * caller's allocator (Slurm's xmalloc in slurmctld, libc in the unit tests).
 * No Slurm here, so the rules are unit-tested without a controller.
 */
#ifndef BERTH_JS_ENV_H_
#define BERTH_JS_ENV_H_

#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

struct js_env_alloc {
	char *(*dup)(const char *text);                /* NULL on failure */
	void (*release)(char *text);
	/* The array resized to count entries (existing entries kept, new ones
	 * NULL); NULL on failure, the old array then untouched. */
	char **(*resize)(char **array, size_t count);
};

/* The user's --image as given, beside the pinned id:<digest>. */
/* What sbatch exports for nested sruns (sbatch.c: SLURM_SPANK_ + option). */

/* A job's arrays as job_desc_msg_t holds them; env/env_size point at a
 * NULL array for salloc and srun (only sbatch sends an environment). */
struct js_job_env {
	char ***spank_env;
	uint32_t *spank_size;
	char ***env;
	uint32_t *env_size;
};

/* Rewrite every place the --image option travels to id:<digest>:
 *   spank_job_env: _SLURM_SPANK_OPTION_berth_image, BERTH_IMAGE_REQUEST
 *   environment (sbatch): the same two and SLURM_SPANK__SLURM_SPANK_OPTION_berth_image
 * request NULL (the job asked for no image): every one of those variables is
 * removed instead, so nothing on the node can mistake one for a request. */
int js_env_pin(const struct js_job_env *job, const char *request, const char *digest,
	       const struct js_env_alloc *alloc, struct berth_error *err);

/* Number of "NAME=" entries in env (NULL entries are skipped). */
size_t js_env_count(char *const *env, uint32_t size, const char *name);

/* Value of the first "NAME=" entry, or NULL. */
const char *js_env_get(char *const *env, uint32_t size, const char *name);

/* NAME=value: the first NAME= entry is replaced, every later one removed
 * (a crafted client may send duplicates; Slurm and the node side must all
 * see the one value), appended when absent.  On failure nothing changed. */
int js_env_set(char ***env, uint32_t *size, const char *name, const char *value,
	       const struct js_env_alloc *alloc, struct berth_error *err);

/* Remove every NAME= entry. */
void js_env_unset(char **env, uint32_t *size, const char *name, const struct js_env_alloc *alloc);

#endif
