/*
 * spank_devices.c - CDI devices of a step (node/cdi.h): the GPUs Slurm gave
 * the step (berth.conf cdi_gres) and those the user named with --device
 * (berth.conf cdi_user_kinds), chosen in the step's slurmstepd; the
 * environment tools in the container expect, set in each task.
 *
 * Slurm names a step's GPUs in its environment before SPANK runs
 * (SLURM_STEP_GPUS; the batch script, on the host, needs none).  Slurm's
 * device cgroup (ConstrainDevices) stays the enforcement; berth only makes
 * the step's own devices exist in its container, per step, so two steps
 * of one job on different GPUs each see theirs.
 *
 * Environment, in each task:
 *   NVIDIA_VISIBLE_DEVICES  the step's GPU indexes on the node (as pyxis
 *                           sets it), unless a spec's env sets it (NVIDIA's
 *                           specs set "void": nothing inside acts on it again)
 *   the specs' env          after the image's Env and the site's rules
 *   CUDA_VISIBLE_DEVICES    renumbered to what the container sees: Slurm sets
 *                           it (after berth's privileged hook) to node
 *                           indexes, or to 0..n-1 with ConstrainDevices; in
 *                           task_init a list of the step's node indexes
 *                           becomes their positions among the step's GPUs
 *                           (0..n-1), any other list is left as Slurm set it
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "berth_log.h"
#include "spank_plugin.h"

int berth_spank_step_devices(spank_t sp, struct berth_cdi_names *names, struct berth_error *err)
{
	const struct berth_config *cfg = &berth_spank.config;
	struct berth_spank_step *step = &berth_spank.step;
	char **env = NULL;

	if (spank_get_item(sp, S_JOB_ENV, &env) != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot read the step's environment");
	if (cfg->cdi_gpu_kind[0]) {
		if (berth_cdi_gres_devices(env, cfg->cdi_gpu_kind, names, err) < 0)
			return -1;
		/* the node indexes, in the order of the CDI names */
		step->gpus[0] = '\0';
		for (size_t i = 0; i < names->count; i++) {
			size_t len = strlen(step->gpus);

			snprintf(step->gpus + len, sizeof(step->gpus) - len, "%s%s", i ? "," : "",
				 strchr(names->items[i], '=') + 1);
		}
	}
	if (berth_spank.user_devices.count) {
		if (berth_cdi_user_allowed(cfg->cdi_user_kinds, &berth_spank.user_devices, err) < 0)
			return berth_error_prefix(err, "--device");
		for (size_t i = 0; i < berth_spank.user_devices.count; i++)
			if (berth_cdi_names_add(names, berth_spank.user_devices.items[i], err) < 0)
				return berth_error_prefix(err, "--device");
	}
	return 0;
}

/* In task_init_privileged, after the image's environment. */
int berth_spank_device_env(spank_t sp, struct berth_error *err)
{
	const struct berth_spank_step *step = &berth_spank.step;

	if (!step->cdi.names.count)
		return 0;
	if (step->gpus[0] && spank_setenv(sp, "NVIDIA_VISIBLE_DEVICES", step->gpus, 1) != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot set NVIDIA_VISIBLE_DEVICES");
	for (size_t i = 0; i < step->cdi.env.count; i++) {
		const char *entry = step->cdi.env.items[i];
		char name[256];
		size_t len = strcspn(entry, "=");

		if (len >= sizeof(name))
			return berth_error_set(err, EINVAL, "CDI env: name too long");
		memcpy(name, entry, len);
		name[len] = '\0';
		if (spank_setenv(sp, name, entry + len + 1, 1) != ESPANK_SUCCESS)
			return berth_error_set(err, EINVAL, "cannot set %s (CDI env)", name);
	}
	return 0;
}

/* Position of index in the comma list gpus, or -1. */
static int position(const char *gpus, const char *index, size_t len)
{
	int pos = 0;

	for (const char *p = gpus; *p; pos++) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, index, len) == 0)
			return pos;
		p += n + (p[n] == ',');
	}
	return -1;
}

void berth_spank_device_renumber(spank_t sp)
{
	const struct berth_spank_step *step = &berth_spank.step;
	char value[256], out[256] = "";

	if (!step->gpus[0] || spank_getenv(sp, "CUDA_VISIBLE_DEVICES", value, sizeof(value)) != ESPANK_SUCCESS)
		return;
	for (const char *p = value; *p;) {
		size_t n = strcspn(p, ",");
		int pos = position(step->gpus, p, n);
		size_t len = strlen(out);

		if (pos < 0)
			return;   /* not node indexes of the step: Slurm's local ones */
		snprintf(out + len, sizeof(out) - len, "%s%d", len ? "," : "", pos);
		p += n + (p[n] == ',');
	}
	if (strcmp(out, value) != 0 && spank_setenv(sp, "CUDA_VISIBLE_DEVICES", out, 1) != ESPANK_SUCCESS)
		berth_debug("cannot set CUDA_VISIBLE_DEVICES to %s", out);
}
