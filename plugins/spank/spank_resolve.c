/*
 * spank_resolve.c - srun --image for a step inside an existing allocation
 * (LOCAL context).  Such a step never passes through job_submit, so srun
 * pins the image itself: berth_image_resolve() as the user (no proxy; the
 * gateway's ACLs apply to the user directly), the same rules and messages
 * as job_submit.  The pinned id:<digest> goes to the step in srun's
 * environment: as the option's variable (which slurmstepd up to 23.11 reads
 * after the launch request's options: the last value wins) and as
 * BERTH_IMAGE_PINNED (24.05+, taken by spank_step.c), with the request as
 * written in BERTH_IMAGE_REQUEST.
 *
 * srun that creates its own allocation is left to job_submit (it pins as the
 * trusted proxy and records the AdminComment); inside a batch job the job's
 * own pinned id:<digest> arrives here through SLURM_SPANK_... and is
 * accepted from the image directory without asking the gateway.  Inside
 * salloc that variable still holds the tag salloc was given (salloc never
 * learns the pin): the job's digest is then taken from its AdminComment
 * (image=<request>@<digest>, written by job_submit, not editable by users),
 * so the tag cannot move under the job between salloc and srun.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "berth_log.h"
#include "image_resolve.h"
#include "slurm_compat.h"
#include "spank_plugin.h"

/* The digest job_submit recorded for request in the job's AdminComment. */
static bool job_pinned_digest(const char *request, char *digest)
{
	const char *id_text = getenv("SLURM_JOB_ID");
	job_info_msg_t *msg = NULL;
	unsigned long job_id;
	char *end = NULL;
	bool found;

	job_id = id_text ? strtoul(id_text, &end, 10) : 0;
	if (!job_id || !end || *end || job_id > UINT32_MAX)
		return false;
	if (berth_slurm_load_job(&msg, (uint32_t)job_id, SHOW_DETAIL) != 0 || !msg)
		return false;
	found = msg->record_count &&
		berth_comment_find(msg->job_array[0].admin_comment, request, digest);
	slurm_free_job_info_msg(msg);
	return found;
}

int berth_spank_resolve_step_image(spank_t sp)
{
	struct berth_job_request *req = &berth_spank.request;
	struct berth_resolve_opts opts = { getuid(), false, NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolved resolved;
	char pinned[BERTH_DIGEST_LEN + 8], *request;
	const char *job_image;
	int rc = -1;

	(void)sp;
	if (spank_context() != S_CTX_LOCAL || !req->image_text ||
	    req->image.type == BERTH_IMAGE_LOCAL || !getenv("SLURM_JOB_ID"))
		return 0;
	memset(&resolved, 0, sizeof(resolved));
	job_image = getenv(BERTH_ENV_JOB_IMAGE);
	if (job_image && strcmp(job_image, req->image_text) == 0 &&
	    job_pinned_digest(req->image_text, resolved.digest)) {
		berth_debug("srun: image %s is the job's, pinned to %s", req->image_text, resolved.digest);
	} else if (berth_image_resolve(&berth_spank.config, req->image_text, &opts, &resolved,
				       &err) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	snprintf(pinned, sizeof(pinned), "id:%s", resolved.digest);
	if (!(request = strdup(req->image_text))) {
		berth_err("--image: out of memory");
		return -1;
	}
	if (setenv(BERTH_ENV_IMAGE, pinned, 1) < 0 || setenv(BERTH_ENV_IMAGE_PINNED, pinned, 1) < 0 ||
	    setenv(BERTH_ENV_IMAGE_REQUEST, request, 1) < 0 ||
	    berth_job_request_set_image(req, pinned, berth_spank.config.default_type, &err) < 0) {
		berth_err("--image: cannot pass the pinned image to the step: %s",
			  err.msg[0] ? err.msg : "setenv failed");
		goto out;
	}
	berth_debug("srun: image %s pinned to %s%s", request, resolved.digest,
		    resolved.from_image_dir ? " (image dir)" : "");
	rc = 0;
out:
	free(request);
	return rc;
}
