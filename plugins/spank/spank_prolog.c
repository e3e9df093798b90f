/*
 * spank_prolog.c - job_prolog (JOB_SCRIPT context: root, in slurmd's prolog
 * child, before the extern step exists).  The only place on the node that
 * sees the job's options (as job_submit left them), so it re-validates the
 * request and writes the per-job spec for job_container and the tasks.
 *
 * A user error (say, an image that vanished from the image directory) must
 * not fail the prolog: Slurm would drain the node for a user's mistake.  It
 * is written into the spec as error=..., and every step of the job fails
 * with it instead.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <slurm/spank.h>

#include "berth_log.h"
#include "job_spec.h"
#include "spank_plugin.h"

static const char *const option_names[] = { "image", "volume", "module", "ccm" };
static const char *const option_env[] = { BERTH_ENV_IMAGE, BERTH_ENV_VOLUME, BERTH_ENV_MODULE,
					  BERTH_ENV_CCM };

/* The job's options as "NAME=value" entries, read through Slurm's own
 * accessor (it sees job_submit's rewritten values). */
static size_t job_options_env(spank_t sp, char **env, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]) && n < max; i++) {
		struct spank_option opt = { (char *)option_names[i], NULL, NULL,
					    strcmp(option_names[i], "ccm") != 0, 0, NULL };
		char *value = NULL;

		if (spank_option_getopt(sp, &opt, &value) != ESPANK_SUCCESS)
			continue;
		if (asprintf(&env[n], "%s=%s", option_env[i], value ? value : "") < 0)
			break;
		n++;
	}
	return n;
}

/* The image as the user asked for it (job_submit keeps it in the job's SPANK
 * environment as BERTH_IMAGE_REQUEST; the prolog sees SPANK_<name>), in
 * canonical form, so that a step repeating that request (srun creating its
 * own allocation still carries the tag) uses the job's pinned image. */
static void spec_set_request(struct berth_job_spec *spec)
{
	const char *text = getenv(BERTH_ENV_CONTROL_PREFIX BERTH_ENV_IMAGE_REQUEST);
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	char canonical[BERTH_IMAGE_REF_MAX + 128];

	if (!text || !spec->image ||
	    berth_image_ref_parse(text, berth_spank.config.default_type, &ref, &ignored) < 0 ||
	    berth_image_ref_format(&ref, canonical, sizeof(canonical), &ignored) < 0)
		return;
	spec->request = strdup(canonical);
}

static int job_identity(spank_t sp, uint32_t *job_id, uid_t *uid, gid_t *gid)
{
	if (spank_get_item(sp, S_JOB_ID, job_id) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_UID, uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, gid) != ESPANK_SUCCESS)
		return -1;
	return 0;
}

int berth_spank_job_prolog(spank_t sp)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_job_spec spec = { 0 };
	struct berth_job_paths paths;
	struct berth_error err = BERTH_ERROR_INIT, user_err = BERTH_ERROR_INIT;
	char node[BERTH_NODE_NAME_MAX], *env[8] = { 0 };
	size_t nenv = job_options_env(sp, env, 8);
	uint32_t job_id;
	uid_t uid;
	gid_t gid;
	int rc = -1;
	struct timespec t0;

	if (nenv == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!berth_spank.config_loaded) {
		berth_err("job_prolog: %s", berth_spank.config_error.msg);
		goto out;
	}
	if (job_identity(sp, &job_id, &uid, &gid) < 0) {
		berth_err("job_prolog: cannot get the job's id and user");
		goto out;
	}
	if (berth_node_name(node, sizeof(node), &err) < 0 ||
	    berth_job_paths(&berth_spank.config, node, job_id, &paths, &err) < 0) {
		berth_err("job_prolog: job %u: %s", job_id, err.msg);
		goto out;
	}
	if (berth_job_request_from_env(&req, env, nenv, &berth_spank.config, &user_err) < 0 ||
	    berth_job_spec_from_request(&req, &berth_spank.config, uid, gid, &spec, &user_err) < 0) {
		memset(&spec, 0, sizeof(spec));
		spec.version = 1;
		spec.uid = uid;
		spec.gid = gid;
		spec.error = strdup(user_err.msg);
		berth_info("job_prolog: job %u on %s: %s", job_id, node, user_err.msg);
	} else {
		spec_set_request(&spec);
	}
	if (berth_job_spec_write_or_fail_job(&spec, &paths, &err) < 0) {
		berth_err("job_prolog: job %u: %s", job_id, err.msg);
		goto out;
	}
	rc = berth_spank_ssh_prolog(job_id, &paths, &spec);
	/* its time delays the job's start: srun polls for the prolog's end */
	berth_debug("job_prolog: job %u on %s: spec written (%s) in %.1f ms", job_id, node,
		    spec.image ? spec.image : spec.error ? "error" : "ccm", berth_elapsed_ms(&t0));
out:
	berth_job_spec_free(&spec);
	berth_job_request_free(&req);
	for (size_t i = 0; i < nenv; i++)
		free(env[i]);
	return rc;
}
