/*
 * job_submit_berth.c - slurmctld side of berth: sees each job's --image,
 * --volume, --module and --ccm (from the job's SPANK environment), checks
 * them again (the client is not trusted), pins the image to a digest through
 * the image gateway and admits or rejects the job with a one-line reason.
 *
 *   js_pin.c      tag -> digest (cache, berth_image_resolve, auto_pull)
 *   js_env.c      rewrite of spank_job_env and the batch environment
 *   js_cache.c    the in-memory cache (thread-safe)
 * The AdminComment record image=<request>@<digest> is common/job_wire.h.
 *
 * Runs inside slurmctld under its read locks: no blocking work here beyond
 * what is bounded by lookup_timeout, never exit(), errors go to err_msg.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "job_request.h"
#include "js_env.h"
#include "js_pin.h"
#include "slurm_compat.h"
#include "slurm_shim.h"

const char plugin_name[] = "berth job_submit plugin";
const char plugin_type[] = "job_submit/berth";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

#define JS_CACHE_ENTRIES 4096

/* The wait tail of a held job's AdminComment (common/job_wire.h). */
struct js_wait {
	enum berth_wait_kind kind;
	char text[256];
};

/* Opaque: the record is internal to slurmctld and berth never looks inside. */
struct job_record;

/* The symbols slurmctld's job_submit loader looks up (22.05 - 26.05;
 * job_modify has a message for the user from 23.02). */
int init(void);
int fini(void);
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg);
#if BERTH_SLURM_AT_LEAST(23, 2)
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid,
	       char **err_msg);
#else
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid);
#endif

static struct berth_config submit_config;
static bool submit_config_loaded;
static struct js_cache *submit_cache;

/* ---- Slurm's allocator for the job's arrays (Slurm xfree()s them) -------- */
static char *slurm_dup(const char *text)
{
	return slurm_xstrdup(text);
}

static void slurm_release(char *text)
{
	slurm_xfree((void **)&text);
}

static char **slurm_resize(char **array, size_t count)
{
	void *p = array;

	slurm_xrecalloc(&p, count, sizeof(char *), false, false, __FILE__, __LINE__, __func__);
	return p;
}

static const struct js_env_alloc slurm_alloc = { slurm_dup, slurm_release, slurm_resize };

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
	if (!(submit_cache = js_cache_new(JS_CACHE_ENTRIES, submit_config.lookup_cache_ttl_ms))) {
		berth_err("job_submit/berth: out of memory for the image cache");
		berth_config_free(&submit_config);
		return SLURM_ERROR;
	}
	submit_config_loaded = true;
	berth_debug("job_submit/berth loaded (berth %s, Slurm %s)", PACKAGE_VERSION, BERTH_SLURM_VERSION);
	berth_config_log(&submit_config);
	return SLURM_SUCCESS;
}

int fini(void)
{
	if (submit_cache) {
		struct js_cache_stats st;

		js_cache_get_stats(submit_cache, &st);
		berth_debug("job_submit/berth: image cache %lu hits, %lu misses, %zu entries",
			    (unsigned long)st.hits, (unsigned long)st.misses, st.entries);
		js_cache_free(submit_cache);
		submit_cache = NULL;
	}
	if (submit_config_loaded)
		berth_config_free(&submit_config);
	submit_config_loaded = false;
	return SLURM_SUCCESS;
}

/* err_msg is shown to the user by sbatch/salloc/srun and freed by Slurm
 * with xfree(), so it must come from Slurm's allocator. */
static void set_user_message(char **err_msg, const char *text)
{
	char line[BERTH_ERROR_MSG_MAX + 16];

	if (!err_msg)
		return;
	snprintf(line, sizeof(line), BERTH_LOG_PREFIX "%s", text);
	if (*err_msg)
		slurm_xfree((void **)err_msg);
	*err_msg = slurm_xstrdup(line);
}

/* wait: NULL, or the wait tail for a job held until its image is READY
 * (common/job_wire.h). */
static int set_admin_comment(job_desc_msg_t *job_desc, const char *request, const char *digest,
			     const struct js_wait *wait, struct berth_error *err)
{
	char comment[BERTH_COMMENT_MAX], merged[BERTH_COMMENT_MAX];

	if (berth_comment_merge(job_desc->admin_comment, request, digest, merged, sizeof(merged),
			     err) < 0)
		return -1;
	if (berth_comment_wait_set(merged, wait ? wait->kind : BERTH_WAIT_NONE, wait ? wait->text : NULL,
				   comment, sizeof(comment), err) < 0)
		return -1;
	if (job_desc->admin_comment)
		slurm_xfree((void **)&job_desc->admin_comment);
	job_desc->admin_comment = slurm_xstrdup(comment);
	return 0;
}

static void log_request(const struct berth_job_request *req, uint32_t uid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char canonical[BERTH_IMAGE_REF_MAX + 128];

	if (berth_image_ref_format(&req->image, canonical, sizeof(canonical), &err) < 0)
		snprintf(canonical, sizeof(canonical), "?");
	berth_info("job_submit: uid %u requests image '%s' (%s), %zu volume(s)", uid,
		   req->image_text, canonical, req->volumes.count);
}

/* auto_pull = wait: the job is admitted held (priority 0, which Slurm
 * records as a user hold since job_submit runs before the job is made; the
 * gateway turns it into an admin hold) and berth-gatewayd releases it when
 * the digest is READY.  A job the user submitted held (--hold) goes back
 * to the user's hold instead. */
static void hold_for_image(job_desc_msg_t *job_desc, const char *request, const struct js_pinned *pinned,
			   struct js_wait *wait, char *note, size_t note_size)
{
	wait->kind = job_desc->priority == 0 ? BERTH_WAIT_HOLD : BERTH_WAIT_RELEASE;
	snprintf(wait->text, sizeof(wait->text), "waiting for the image gateway to pull %s: %s",
		 request, pinned->wait_status);
	job_desc->priority = 0;
	snprintf(note, note_size,
		 "image %s is not READY yet (%s): the job is held until the image gateway has pulled "
		 "it; `scontrol show job` shows the pull (AdminComment)", request, pinned->wait_status);
}

/* The job's environments say what the pinned request says, and nothing
 * else: no image variables in a job that asked for none (a nested sbatch
 * inherits them from its parent job's environment).  note: a line for the
 * user of an admitted job ("" none). */
static int pin_job(job_desc_msg_t *job_desc, const struct berth_job_request *req, uint32_t uid,
		   char *note, size_t note_size, struct berth_error *err)
{
	struct js_wait wait;
	struct js_pin_ctx ctx = { &submit_config, submit_cache, NULL };
	struct js_job_env job = { &job_desc->spank_job_env, &job_desc->spank_job_env_size,
				  &job_desc->environment, &job_desc->env_size };
	struct js_pinned pinned;
	uint64_t t0 = js_now_us();

	if (!req->image_text) {
		if (!berth_job_request_empty(req))
			berth_info("job_submit: uid %u requests ccm=%d, %zu volume(s)", uid, req->ccm,
				   req->volumes.count);
		js_env_pin(&job, NULL, NULL, &slurm_alloc, err);
		return 0;
	}
	log_request(req, uid);
	if (req->image.type == BERTH_IMAGE_LOCAL)
		return 0;  /* node-local: nothing to pin (the node decides) */
	if (js_pin_image(&ctx, req->image_text, &req->image, uid, &pinned, err) < 0)
		return -1;
	if (pinned.waiting)
		hold_for_image(job_desc, req->image_text, &pinned, &wait, note, note_size);
	if (js_env_pin(&job, req->image_text, pinned.digest, &slurm_alloc, err) < 0 ||
	    set_admin_comment(job_desc, req->image_text, pinned.digest, pinned.waiting ? &wait : NULL,
			      err) < 0)
		return -1;
	berth_info("job_submit: uid %u: image %s pinned to %s%s in %lu us", uid, req->image_text,
		   pinned.digest, pinned.cached ? " (cached)" : pinned.from_image_dir ? " (image dir)" :
		   pinned.waiting ? " (held until READY)" : "", (unsigned long)(js_now_us() - t0));
	return 0;
}

/* The job id is not assigned yet when job_submit runs: messages name the uid. */
int job_submit(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char note[BERTH_ERROR_MSG_MAX] = "";
	int rc = SLURM_SUCCESS;

	if (!submit_config_loaded)
		return SLURM_SUCCESS;
	if (berth_job_request_from_env(&req, job_desc->spank_job_env, job_desc->spank_job_env_size,
				       &submit_config, &err) < 0 ||
	    berth_job_request_check_oci(&req, job_desc->container, &err) < 0 ||
	    berth_job_request_check_het(&req, job_desc->het_job_offset != NO_VAL, &err) < 0 ||
	    pin_job(job_desc, &req, submit_uid, note, sizeof(note), &err) < 0) {
		berth_info("job_submit: rejected job from uid %u: %s", submit_uid, err.msg);
		set_user_message(err_msg, err.msg);
		rc = SLURM_ERROR;
	} else if (note[0]) {
		/* sbatch, salloc and srun print it for an admitted job too */
		set_user_message(err_msg, note);
	}
	berth_job_request_free(&req);
	return rc;
}

/* scontrol update cannot change a job's SPANK environment (the controller
 * ignores it), so a pinned image can never be changed after submission; a
 * request that carries one anyway is refused, not half applied: with
 * ESLURM_NOT_SUPPORTED, a line in slurmctld's log and, from 23.02, the
 * reason for the user. */
static int modify(job_desc_msg_t *job_desc, uint32_t submit_uid, char **err_msg)
{
	static const char refusal[] = "the image of a submitted job cannot be changed; submit a new job";

	if (!submit_config_loaded || !job_desc->spank_job_env_size)
		return SLURM_SUCCESS;
	if (js_env_count(job_desc->spank_job_env, job_desc->spank_job_env_size, BERTH_ENV_IMAGE)) {
		berth_info("job_modify: uid %u: %s", submit_uid, refusal);
		set_user_message(err_msg, refusal);
		return ESLURM_NOT_SUPPORTED;
	}
	return SLURM_SUCCESS;
}

#if BERTH_SLURM_AT_LEAST(23, 2)
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid,
	       char **err_msg)
{
	(void)job_ptr;
	return modify(job_desc, submit_uid, err_msg);
}
#else
int job_modify(job_desc_msg_t *job_desc, struct job_record *job_ptr, uint32_t submit_uid)
{
	(void)job_ptr;
	return modify(job_desc, submit_uid, NULL);
}
#endif
