/*
 * js_env.c - see js_env.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "job_request.h"
#include "js_env.h"

static bool entry_is(const char *entry, const char *name, size_t len)
{
	return entry && strncmp(entry, name, len) == 0 && entry[len] == '=';
}

size_t js_env_count(char *const *env, uint32_t size, const char *name)
{
	size_t len = strlen(name), n = 0;

	for (uint32_t i = 0; env && i < size; i++)
		if (entry_is(env[i], name, len))
			n++;
	return n;
}

const char *js_env_get(char *const *env, uint32_t size, const char *name)
{
	size_t len = strlen(name);

	for (uint32_t i = 0; env && i < size; i++)
		if (entry_is(env[i], name, len))
			return env[i] + len + 1;
	return NULL;
}

/* Remove NAME= entries at index >= from, keeping the order of the rest. */
static void remove_from(char **env, uint32_t *size, const char *name, uint32_t from,
			const struct js_env_alloc *alloc)
{
	size_t len = strlen(name);
	uint32_t out = from;

	for (uint32_t i = from; i < *size; i++) {
		if (entry_is(env[i], name, len)) {
			alloc->release(env[i]);
			env[i] = NULL;
			continue;
		}
		env[out++] = env[i];
	}
	for (uint32_t i = out; i < *size; i++)
		env[i] = NULL;
	*size = out;
}

void js_env_unset(char **env, uint32_t *size, const char *name, const struct js_env_alloc *alloc)
{
	if (env)
		remove_from(env, size, name, 0, alloc);
}

static char *make_entry(const char *name, const char *value, const struct js_env_alloc *alloc,
			struct berth_error *err)
{
	size_t nlen = strlen(name), vlen = strlen(value);
	char buf[4096], *entry;

	if (nlen + vlen + 2 > sizeof(buf)) {
		berth_error_set(err, E2BIG, "%s: value too long (%zu bytes)", name, vlen);
		return NULL;
	}
	memcpy(buf, name, nlen);
	buf[nlen] = '=';
	memcpy(buf + nlen + 1, value, vlen + 1);
	if (!(entry = alloc->dup(buf)))
		berth_error_errno(err, ENOMEM, "%s", name);
	return entry;
}

int js_env_set(char ***env, uint32_t *size, const char *name, const char *value,
	       const struct js_env_alloc *alloc, struct berth_error *err)
{
	size_t len = strlen(name);
	char *entry = make_entry(name, value, alloc, err);
	char **grown;

	if (!entry)
		return -1;
	for (uint32_t i = 0; *env && i < *size; i++) {
		if (!entry_is((*env)[i], name, len))
			continue;
		alloc->release((*env)[i]);
		(*env)[i] = entry;
		remove_from(*env, size, name, i + 1, alloc);
		return 0;
	}
	/* one spare NULL slot: Slurm's env arrays are also NULL-terminated */
	if (!(grown = alloc->resize(*env, (size_t)*size + 2))) {
		alloc->release(entry);
		return berth_error_errno(err, ENOMEM, "%s", name);
	}
	grown[*size] = entry;
	grown[*size + 1] = NULL;
	*env = grown;
	(*size)++;
	return 0;
}

static const char *const image_vars[] = { BERTH_ENV_IMAGE, BERTH_ENV_IMAGE_REQUEST,
					  BERTH_ENV_JOB_IMAGE };

int js_env_pin(const struct js_job_env *job, const char *request, const char *digest,
	       const struct js_env_alloc *alloc, struct berth_error *err)
{
	char pinned[BERTH_DIGEST_LEN + 8];
	bool has_env = *job->env && *job->env_size;

	if (!request) {
		for (size_t i = 0; i < sizeof(image_vars) / sizeof(image_vars[0]); i++) {
			js_env_unset(*job->spank_env, job->spank_size, image_vars[i], alloc);
			if (has_env)
				js_env_unset(*job->env, job->env_size, image_vars[i], alloc);
		}
		return 0;
	}
	snprintf(pinned, sizeof(pinned), "id:%s", digest);
	if (js_env_set(job->spank_env, job->spank_size, BERTH_ENV_IMAGE, pinned, alloc, err) < 0 ||
	    js_env_set(job->spank_env, job->spank_size, BERTH_ENV_IMAGE_REQUEST, request, alloc, err) < 0)
		return -1;
	if (!has_env)
		return 0;
	if (js_env_set(job->env, job->env_size, BERTH_ENV_IMAGE, pinned, alloc, err) < 0 ||
	    js_env_set(job->env, job->env_size, BERTH_ENV_JOB_IMAGE, pinned, alloc,
		       err) < 0 ||
	    js_env_set(job->env, job->env_size, BERTH_ENV_IMAGE_REQUEST, request, alloc, err) < 0)
		return -1;
	return 0;
}
