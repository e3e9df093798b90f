/*
 * job_request.h - what a job asked berth for (--image, --volume, --module,
 * --ccm), validated.  One implementation for every place that sees the
 * options: the SPANK plugin in sbatch/salloc/srun (client-side checks), the
 * job_submit plugin (the controller never trusts the client), and the node
 * side (job_prolog, tasks).
 *
 * The options travel in the job's SPANK environment (names in job_wire.h).
 */
#ifndef BERTH_JOB_REQUEST_H_
#define BERTH_JOB_REQUEST_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "image_ref.h"
#include "job_wire.h"
#include "volume.h"

#define BERTH_MODULES_MAX     16
#define BERTH_MODULE_NAME_MAX 64

struct berth_job_request {
	char *image_text;                  /* as the user gave it; NULL: no --image */
	struct berth_image_ref image;      /* parsed image_text */
	struct berth_volume_list volumes;  /* every --volume, in order */
	char *modules;                     /* validated comma list; NULL: none given */
	bool ccm;
};

#define BERTH_JOB_REQUEST_INIT { NULL, { 0 }, BERTH_VOLUME_LIST_INIT, NULL, false }

/* Each setter validates its value and leaves req unchanged on error.
 * set_image replaces an earlier image (the last --image wins, as with any
 * Slurm option); add_volumes appends (--volume is repeatable). */
int berth_job_request_set_image(struct berth_job_request *req, const char *text,
				enum berth_image_type default_type, struct berth_error *err);
int berth_job_request_add_volumes(struct berth_job_request *req, const char *spec,
				  struct berth_error *err);
int berth_job_request_set_modules(struct berth_job_request *req, const char *text,
				  struct berth_error *err);

/* Rules across options: --ccm with --image, --volume without --image or
 * --ccm, too many volumes for cfg->max_volumes. */
int berth_job_request_check(const struct berth_job_request *req,
			    const struct berth_config *cfg, struct berth_error *err);

/* Fill req from an environment array (NAME=value strings; n entries, or up to
 * a NULL entry when n is (size_t)-1) and check it.  An absent variable means
 * the option was not given. */
int berth_job_request_from_env(struct berth_job_request *req, char *const *env, size_t n,
			       const struct berth_config *cfg, struct berth_error *err);

/* Value of NAME in env ("NAME=value" entries), or NULL. */
const char *berth_env_lookup(char *const *env, size_t n, const char *name);

bool berth_job_request_empty(const struct berth_job_request *req);

/* Slurm's own OCI containers (--container BUNDLE, or SLURM_CONTAINER) and
 * berth's would both claim the tasks: a non-empty request with a bundle is
 * refused.  bundle may be NULL. */
int berth_job_request_check_oci(const struct berth_job_request *req, const char *bundle,
				struct berth_error *err);

/* Heterogeneous jobs and steps (components separated by ':'): Slurm hands
 * SPANK options to every component alike, so per-component images cannot
 * be told apart; a non-empty request there is refused. */
int berth_job_request_check_het(const struct berth_job_request *req, bool heterogeneous,
				struct berth_error *err);

void berth_job_request_free(struct berth_job_request *req);

#endif
