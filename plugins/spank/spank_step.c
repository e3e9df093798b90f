/*
 * spank_step.c - per-step overrides: `srun --image=other` or an extra
 * `srun --volume` inside an allocation runs that step in a private
 * container, built at step start (init_post_opt, root, in the step's
 * slurmstepd) in a mount namespace of its own made from the job's, and torn
 * down at step end (exit).  The job's container is not touched; other steps
 * keep using it.
 *
 * A step inherits the job's options through its environment (sbatch and
 * salloc export them for nested sruns), so the step's options are compared
 * with the job's spec: same image digest and no volume beyond the job's
 * (berth_volume_equal) means the job's container.  A step's tag was pinned
 * to a digest by srun (spank_resolve.c) before it got here.
 *
 * The decision and the step's paths live in berth_spank.step: the tasks are
 * forked from this slurmstepd after init_post_opt, so they inherit them.  A
 * step that cannot get its container fails in its tasks with the reason
 * (as a job does), not in slurmstepd, where the user would not see it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "job_namespace.h"
#include "job_tree.h"
#include "berth_log.h"
#include "fs_util.h"
#include "slurm_shim.h"
#include "spank_plugin.h"

/* The job's volumes, then the step's that the job does not have. *extra
 * counts the latter.  *out NULL when there is none at all. */
static int merge_volumes(const char *job_volumes, const struct berth_volume_list *step, char **out,
			 size_t *extra, struct berth_error *err)
{
	struct berth_volume_list merged = BERTH_VOLUME_LIST_INIT, one;
	char *text = NULL, *item = NULL;
	int rc = 0;

	*out = NULL;
	*extra = 0;
	if (job_volumes && *job_volumes && berth_volume_parse(job_volumes, &merged, err) < 0)
		return berth_error_prefix(err, "the job's --volume");
	if (merged.count && berth_volume_list_format(&merged, &text, err) < 0)
		rc = -1;
	for (size_t i = 0; rc == 0 && i < step->count; i++) {
		bool known = false;

		for (size_t j = 0; j < merged.count && !known; j++)
			known = berth_volume_equal(&merged.items[j], &step->items[i]);
		if (known)
			continue;
		one = (struct berth_volume_list){ &step->items[i], 1, 1 };
		if (berth_volume_list_format(&one, &item, err) < 0) {
			rc = -1;
			break;
		}
		char *joined = NULL;
		if (asprintf(&joined, "%s%s%s", text && *text ? text : "", text && *text ? ";" : "", item) < 0)
			rc = berth_error_errno(err, ENOMEM, "--volume");
		free(item);
		item = NULL;
		free(text);
		text = joined;
		(*extra)++;
	}
	berth_volume_list_free(&merged);
	if (rc == 0 && text && *text)
		*out = text;
	else
		free(text);
	return rc;
}

static bool same_text(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* true if the step's image is the job's request as the user wrote it (a tag
 * job_submit pinned; srun that made its own allocation still carries it). */
static bool is_job_request(const struct berth_job_request *req, const struct berth_job_spec *job)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	char canonical[BERTH_IMAGE_REF_MAX + 128];

	if (!req->image_text || !job || !job->request || !job->image || req->image.digest[0] ||
	    berth_image_ref_format(&req->image, canonical, sizeof(canonical), &ignored) < 0)
		return false;
	return strcmp(canonical, job->request) == 0;
}

/* The spec of the step's own container, or 0 when the step uses the job's
 * (job may be NULL: the job has no berth options). */
static int step_spec(const struct berth_job_request *req, const struct berth_job_spec *job, uid_t uid,
		     gid_t gid, struct berth_job_spec *out, struct berth_error *err)
{
	struct berth_job_request image_only = BERTH_JOB_REQUEST_INIT;
	const char *image_text = req->image_text;
	size_t extra = 0;
	char *volumes = NULL;

	memset(out, 0, sizeof(*out));
	if (berth_job_request_check(req, &berth_spank.config, err) < 0)
		return -1;
	if (is_job_request(req, job))
		image_text = NULL;  /* the job's pinned image */
	if (!image_text && !req->volumes.count)
		return 0;
	if (merge_volumes(job ? job->volumes : NULL, &req->volumes, &volumes, &extra, err) < 0)
		return -1;
	if (image_text) {
		image_only.image_text = req->image_text;
		image_only.image = req->image;
		if (berth_job_spec_from_request(&image_only, &berth_spank.config, uid, gid, out, err) < 0) {
			free(volumes);
			return -1;
		}
	} else if (job && job->image) {
		out->version = job->version;
		out->uid = uid;
		out->gid = gid;
		if (!(out->image = strdup(job->image)) || !(out->digest = strdup(job->digest))) {
			free(volumes);
			berth_job_spec_free(out);
			return berth_error_errno(err, ENOMEM, "step spec");
		}
	}
	out->volumes = volumes;
	if (req->modules || (job && job->modules)) {
		free(out->modules);
		if (!(out->modules = strdup(req->modules ? req->modules : job->modules))) {
			berth_job_spec_free(out);
			return berth_error_errno(err, ENOMEM, "step spec");
		}
	}
	if (job && job->digest && out->digest && strcmp(job->digest, out->digest) == 0 && extra == 0 &&
	    same_text(job->modules, out->modules)) {
		berth_job_spec_free(out);
		return 0;
	}
	if (!out->image) {
		berth_job_spec_free(out);
		return berth_error_set(err, EINVAL, "--volume needs --image (or --ccm)");
	}
	return 1;
}

static int build_step_container(const struct berth_job_paths *job_paths, bool job_pinned, const char *id,
				struct berth_error *err)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_ns_base base = { -1 };
	struct berth_job_tree_input *tree;
	char node[BERTH_NODE_NAME_MAX], host_buf[2][BERTH_SLURM_PATH_MAX];
	const char *host_paths[3] = { NULL };
	struct berth_error node_err = BERTH_ERROR_INIT;
	int rc;

	if (berth_node_name(node, sizeof(node), &node_err) == 0)
		berth_slurm_task_host_paths(node, host_buf, host_paths, 3);
	if (!(tree = calloc(1, sizeof(*tree))))
		return berth_error_errno(err, ENOMEM, "step container");
	if (job_pinned && (base.ns_fd = berth_ns_open(job_paths)) <= 0) {
		base.ns_fd = -1;
		free(tree);
		return berth_error_set(err, EIO, "cannot open the job's namespace %s", job_paths->ns);
	}
	rc = berth_job_tree_prepare(tree, &berth_spank.config, &step->spec, &step->paths, host_paths, err);
	if (rc == 0 && step->cdi.names.count)
		rc = berth_job_tree_add_cdi(tree, &step->cdi, id,
					    (unsigned)(berth_spank.config.cdi_hook_timeout_ms / 1000), err);
	if (rc == 0)
		rc = berth_ns_create(&step->paths, step->spec.uid, step->spec.gid, &base, berth_job_tree_build,
					 tree, err);
	berth_job_tree_release(tree);
	free(tree);
	if (base.ns_fd >= 0)
		close(base.ns_fd);
	return rc;
}

static int step_paths(const struct berth_job_paths *job_paths, uint32_t step_id, bool job_has_tmp,
		      struct berth_error *err)
{
	struct berth_spank_step *step = &berth_spank.step;
	char id[16];

	snprintf(id, sizeof(id), "%u", step_id);
	if (!berth_step_paths_from(job_paths->dir, id, &step->paths))
		return berth_error_set(err, ENAMETOOLONG, "state path of step %u is too long", step_id);
	/* the step shares the job's private /tmp */
	if (job_has_tmp)
		snprintf(step->paths.tmp, sizeof(step->paths.tmp), "%s", job_paths->tmp);
	return berth_mkdir_parents(job_paths->dir, 0700, err);
}

/* The job's spec for a step that runs the job's image in a container of
 * its own (its CDI devices). */
static int copy_job_spec(const struct berth_job_spec *job, uid_t uid, gid_t gid, struct berth_job_spec *out,
			 struct berth_error *err)
{
	memset(out, 0, sizeof(*out));
	out->version = job->version;
	out->uid = uid;
	out->gid = gid;
	out->ccm = job->ccm;
	if ((job->image && !(out->image = strdup(job->image))) || (job->digest && !(out->digest = strdup(job->digest))) ||
	    (job->request && !(out->request = strdup(job->request))) ||
	    (job->volumes && !(out->volumes = strdup(job->volumes))) ||
	    (job->modules && !(out->modules = strdup(job->modules)))) {
		berth_job_spec_free(out);
		return berth_error_errno(err, ENOMEM, "step spec");
	}
	return 0;
}

/* additionalGids: Slurm sets the tasks' groups after berth's hook, so berth
 * cannot add any; a GID the job's user lacks is named (cdi.h). */
static void warn_gids(spank_t sp, gid_t gid)
{
	const struct berth_cdi_step *cdi = &berth_spank.step.cdi;
	gid_t *groups = NULL;
	int ngroups = 0;

	if (spank_get_item(sp, S_JOB_SUPPLEMENTARY_GIDS, &groups, &ngroups) != ESPANK_SUCCESS)
		ngroups = 0;
	for (size_t i = 0; i < cdi->n_gids; i++) {
		bool member = cdi->gids[i] == gid;

		for (int j = 0; j < ngroups && !member; j++)
			member = groups[j] == cdi->gids[i];
		if (!member)
			berth_info("CDI additionalGids: the job's user is not in group %u; berth cannot add it "
				   "(Slurm sets the tasks' groups)", (unsigned)cdi->gids[i]);
	}
}

/* rc of step_spec (0: the job's container, 1: the step's own); the step's
 * CDI devices make it 1 (a container of its own: its /dev, its mounts). */
static int add_devices(spank_t sp, int rc, const struct berth_job_spec *job, uid_t uid, gid_t gid,
		       struct berth_error *err)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_cdi_names names = BERTH_CDI_NAMES_INIT;

	if (berth_spank_step_devices(sp, &names, err) < 0)
		return -1;
	if (!names.count)
		return rc;
	if (rc == 0 && (!job || !job->image || job->ccm)) {
		berth_cdi_names_free(&names);
		if (berth_spank.user_devices.count)
			return berth_error_set(err, EINVAL, "--device needs --image");
		step->gpus[0] = '\0';
		return 0;   /* Slurm's GPUs of a job without a container: the host's /dev */
	}
	if (rc == 0 && copy_job_spec(job, uid, gid, &step->spec, err) < 0) {
		berth_cdi_names_free(&names);
		return -1;
	}
	rc = berth_cdi_resolve(berth_spank.config.cdi_spec_dirs, 0, &names, &step->cdi, err);
	berth_cdi_names_free(&names);
	if (rc < 0)
		return -1;
	berth_info("CDI devices: %s%s", step->cdi.names.items[0], step->cdi.names.count > 1 ? ", ..." : "");
	warn_gids(sp, gid);
	return 1;
}

static int start(spank_t sp, uint32_t step_id, struct berth_error *err)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_job_paths job_paths;
	struct berth_job_spec job;
	uid_t uid;
	gid_t gid;
	int found, rc;

	if ((found = berth_spank_read_job_spec(sp, &job, &job_paths, err)) < 0)
		return -1;
	if (found && (job.error || berth_job_error_read(&job_paths, err->msg, sizeof(err->msg)))) {
		/* the job's own failure is reported by every task */
		berth_error_clear(err);
		berth_job_spec_free(&job);
		return 0;
	}
	if (spank_get_item(sp, S_JOB_UID, &uid) != ESPANK_SUCCESS ||
	    spank_get_item(sp, S_JOB_GID, &gid) != ESPANK_SUCCESS)
		rc = berth_error_set(err, EINVAL, "cannot get the job's user");
	else
		rc = step_spec(&berth_spank.request, found ? &job : NULL, uid, gid, &step->spec, err);
	if (rc >= 0)
		rc = add_devices(sp, rc, found ? &job : NULL, uid, gid, err);
	if (rc > 0 && step_paths(&job_paths, step_id, found && job.image, err) < 0)
		rc = -1;
	if (rc > 0) {
		step->created = true;
		char id[32];
		uint32_t job_id = 0;

		spank_get_item(sp, S_JOB_ID, &job_id);
		snprintf(id, sizeof(id), "%u.%u", job_id, step_id);
		rc = build_step_container(&job_paths, found && job.image, id, err);
		if (rc == 0 && (step->ns_fd = open(step->paths.ns, O_RDONLY | O_CLOEXEC)) < 0)
			rc = berth_error_errno(err, errno, "open \"%s\"", step->paths.ns);
		if (rc == 0)
			step->active = true;
	}
	if (found)
		berth_job_spec_free(&job);
	return rc < 0 ? -1 : 0;
}

/* The step's --image as srun pinned it (BERTH_ENV_IMAGE_PINNED): a tag
 * here means the launch request's option won over the pinned variable. */
static void adopt_pinned_image(spank_t sp, struct berth_job_request *req)
{
	char request[BERTH_IMAGE_REF_MAX + 1], pinned[BERTH_DIGEST_LEN + 8];
	struct berth_error err = BERTH_ERROR_INIT;

	if (!req->image_text || req->image.type != BERTH_IMAGE_DOCKER)
		return;
	if (spank_getenv(sp, BERTH_ENV_IMAGE_REQUEST, request, sizeof(request)) != ESPANK_SUCCESS ||
	    strcmp(request, req->image_text) != 0 ||
	    spank_getenv(sp, BERTH_ENV_IMAGE_PINNED, pinned, sizeof(pinned)) != ESPANK_SUCCESS ||
	    strncmp(pinned, "id:", 3) != 0)
		return;
	if (berth_job_request_set_image(req, pinned, berth_spank.config.default_type, &err) < 0)
		berth_info("step: ignoring %s=%s: %s", BERTH_ENV_IMAGE_PINNED, pinned, err.msg);
}

int berth_spank_step_start(spank_t sp)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t step_id;

	if (spank_get_item(sp, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS || step_id >= SLURM_MAX_NORMAL_STEP_ID)
		return 0;
	if (berth_job_request_empty(&berth_spank.request)) {
		if (berth_spank.user_devices.count)
			snprintf(step->error, sizeof(step->error), "--device needs --image");
		return 0;
	}
	adopt_pinned_image(sp, &berth_spank.request);
	spank_unsetenv(sp, BERTH_ENV_IMAGE_PINNED);
	if (!berth_spank.config_loaded) {
		snprintf(step->error, sizeof(step->error), "%s", berth_spank.config_error.msg);
		return 0;
	}
	if (start(sp, step_id, &err) < 0) {
		berth_error_prefix(&err, "step %u", step_id);
		memcpy(step->error, err.msg, sizeof(step->error));
		berth_info("%s", step->error);
		berth_spank_step_end();
	} else if (step->active) {
		berth_info("step %u: private container ready (%s)", step_id, step->spec.image);
	}
	return 0;
}

int berth_spank_step_task(spank_t sp)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_error err = BERTH_ERROR_INIT;

	if (step->error[0]) {
		berth_err("%s", step->error);
		return -1;
	}
	if (!step->active)
		return 0;
	if (setns(step->ns_fd, CLONE_NEWNS) < 0) {
		berth_error_errno(&err, errno, "setns");
		berth_err("cannot enter the step's container: %s", err.msg);
		return -1;
	}
	close(step->ns_fd);
	step->active = false;
	return berth_spank_enter_container(sp, &step->spec, &step->paths);
}

void berth_spank_step_end(void)
{
	struct berth_spank_step *step = &berth_spank.step;
	struct berth_error err = BERTH_ERROR_INIT;

	if (step->active)
		close(step->ns_fd);
	if (step->created && berth_ns_delete(&step->paths, &err) < 0)
		berth_err("step container %s: %s", step->paths.dir, err.msg);
	step->created = false;
	step->active = false;
	berth_job_spec_free(&step->spec);
	berth_cdi_step_free(&step->cdi);
}

int berth_spank_step_user_init(spank_t sp)
{
	(void)sp;
	/* Slurm has just chdir()ed to the step's cwd (or /tmp if that is
	 * missing on the host); setns() in the tasks resets it */
	if (!getcwd(berth_spank.step_cwd, sizeof(berth_spank.step_cwd)))
		berth_spank.step_cwd[0] = '\0';
	return 0;
}
