/*
 * spank_client.c - sbatch, salloc and srun (allocator and local contexts):
 * check the options together and hand every --volume to the job.
 *
 * Slurm forwards only the last value of an option; spank_init_post_opt has
 * already exported it when our hook runs, so overwriting the same variable
 * (process environment and the job's SPANK environment) with the joined list
 * makes every occurrence reach job_submit, the batch step and nested sruns.
 */
#include <errno.h>
#include <stdlib.h>

#include <slurm/spank.h>

#include "berth_log.h"
#include "spank_plugin.h"

static int export_volumes(spank_t sp, struct berth_error *err)
{
	char *joined = NULL;
	spank_err_t rc;

	if (berth_volume_list_format(&berth_spank.request.volumes, &joined, err) < 0)
		return -1;
	if (setenv(BERTH_ENV_VOLUME, joined, 1) < 0) {
		free(joined);
		return berth_error_errno(err, errno, "cannot export --volume");
	}
	rc = spank_job_control_setenv(sp, BERTH_ENV_VOLUME, joined, 1);
	free(joined);
	if (rc != ESPANK_SUCCESS)
		return berth_error_set(err, rc, "cannot export --volume: %s", spank_strerror(rc));
	return 0;
}

/* Slurm gives a job's or step's SPANK options to every component alike
 * (the last value wins), so components given different berth options
 * would silently run with one component's.  A heterogeneous job with berth
 * options is refused here as job_submit would; a heterogeneous step (srun
 * A : B) is refused when its components were given different options,
 * while the same options on every component (the job's inherited ones
 * included) mean the same container for all. */
static int same_options_per_component(void)
{
	struct berth_spank_given *g = &berth_spank.given;
	struct berth_error err = BERTH_ERROR_INIT;
	bool mismatch = g->hash != g->first_hash || g->count != g->first_count;

	if (g->components++ == 0) {
		g->first_hash = g->hash;
		g->first_count = g->count;
	} else if (spank_context() == S_CTX_ALLOCATOR) {
		if (berth_job_request_check_het(&berth_spank.request, g->first_count || g->count, &err) < 0) {
			berth_err("%s", err.msg);
			return -1;
		}
	} else if (mismatch) {
		berth_err("the components of a heterogeneous step (':') were given different berth options "
			  "(--image, --volume, --module, --entrypoint, --device, --ccm): Slurm gives every component the "
			  "same ones; give each component the same options, or run them as separate steps");
		return -1;
	}
	g->hash = 0;
	g->count = 0;
	return 0;
}

int berth_spank_client_post_opt(spank_t sp)
{
	struct berth_job_request *req = &berth_spank.request;
	struct berth_error err = BERTH_ERROR_INIT;

	if (same_options_per_component() < 0)
		return -1;
	if (berth_job_request_empty(req))
		return 0;
	if (!berth_spank.config_loaded) {
		berth_err("%s", berth_spank.config_error.msg);
		return -1;
	}
	if (berth_job_request_check(req, &berth_spank.config, &err) < 0 ||
	    berth_job_request_check_oci(req, getenv("SLURM_CONTAINER"), &err) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	if (req->volumes.count > 1 && export_volumes(sp, &err) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	if (berth_spank_resolve_step_image(sp) < 0)
		return -1;
	return berth_spank_ssh_client(sp);
}
