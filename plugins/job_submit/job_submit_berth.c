/*
 * job_submit_berth.c - slurmctld side of berth: sees each job's --image,
 * --volume, --module and --ccm (from the job's SPANK environment), checks
 * them again (the client is not trusted) and admits or rejects the job with
 * a one-line reason.  Pinning the image to a digest through the gateway
 * builds on this (see NEWS).
 *
 * Runs inside slurmctld under its read locks: no blocking work here beyond
 * what is bounded by lookup_timeout, never exit(), errors go to err_msg.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "job_request.h"
#include "slurm_shim.h"

const char plugin_name[] = "berth job_submit plugin";
const char plugin_type[] = "job_submit/berth";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

/* Opaque: the record is internal to slurmctld and berth never looks inside. */
struct job_record;

/* The symbols slurmctld's job_submit loader looks up (22.05). */
int init(void);
int fini(void);
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg);
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid);

static struct berth_config submit_config;
static bool submit_config_loaded;

int init(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_log_set_sink(berth_slurm_log_sink);
	if (berth_slurm_load_config(NULL, &submit_config, &err) < 0) {
		/* Fail the plugin load (slurmctld reports it) rather than run
		 * with a configuration the admin did not write. */
		berth_err("job_submit/berth: %s", err.msg);
		return SLURM_ERROR;
	}
	submit_config_loaded = true;
	berth_debug("job_submit/berth loaded (berth %s, Slurm %s)", PACKAGE_VERSION, BERTH_SLURM_VERSION);
	berth_config_log(&submit_config);
	return SLURM_SUCCESS;
}

int fini(void)
{
	if (submit_config_loaded)
		berth_config_free(&submit_config);
	submit_config_loaded = false;
	return SLURM_SUCCESS;
}

/* err_msg is shown to the user by sbatch/salloc/srun and freed by Slurm
 * with xfree(), so it must come from Slurm's allocator. */
static void set_user_message(char **err_msg, const char *text)
{
	if (!err_msg)
		return;
	if (*err_msg)
		slurm_xfree((void **)err_msg);
	*err_msg = slurm_xstrdup(text);
}

/* The job id is not assigned yet when job_submit runs: messages name the uid. */
static int check_request(char **spank_env, uint32_t spank_env_size, uint32_t uid,
			 char **err_msg)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char line[BERTH_ERROR_MSG_MAX + 16];
	int rc = SLURM_SUCCESS;

	if (berth_job_request_from_env(&req, spank_env, spank_env_size, &submit_config, &err) < 0) {
		berth_info("job_submit: rejected job from uid %u: %s", uid, err.msg);
		snprintf(line, sizeof(line), BERTH_LOG_PREFIX "%s", err.msg);
		set_user_message(err_msg, line);
		rc = SLURM_ERROR;
		goto out;
	}
	if (berth_job_request_empty(&req))
		goto out;
	if (req.image_text) {
		char canonical[BERTH_IMAGE_REF_MAX + 128];

		if (berth_image_ref_format(&req.image, canonical, sizeof(canonical), &err) < 0)
			snprintf(canonical, sizeof(canonical), "?");
		berth_info("job_submit: uid %u requests image '%s' (%s), %zu volume(s)",
			   uid, req.image_text, canonical, req.volumes.count);
	} else {
		berth_info("job_submit: uid %u requests ccm=%d, %zu volume(s)",
			   uid, req.ccm, req.volumes.count);
	}
out:
	berth_job_request_free(&req);
	return rc;
}

int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	if (!submit_config_loaded)
		return SLURM_SUCCESS;
	return check_request(job_desc->spank_job_env, job_desc->spank_job_env_size,
			     submit_uid, err_msg);
}

int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid)
{
	/* scontrol update cannot change SPANK options in 22.05; pinning rules
	 * for modifications arrive with the gateway lookup. */
	(void)job_ptr;
	if (!submit_config_loaded || !job_desc->spank_job_env_size)
		return SLURM_SUCCESS;
	return check_request(job_desc->spank_job_env, job_desc->spank_job_env_size,
			     submit_uid, NULL);
}
