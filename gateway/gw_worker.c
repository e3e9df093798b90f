/*
 * gw_worker.c - the worker pool: pulls (downloads beside the conversion,
 * gw_layers.c; a layer set converted once, gw_layerset.c), conversion and
 * publishing; imports run in gw_import.c.
 *
 * A pull: manifest, config (its rootfs.diff_ids), then either an image of
 * the same layer set is published and its squashfs is shared (after this pull's
 * own layers are downloaded and verified, or found in the cache), or the
 * layers are flattened while they download, top layer first.  Nothing is
 * published before every download is verified.
 *
 * Publishing: the squashfs is written to ".tmp.*" in image_dir (never
 * matching <digest>.sqfs), then <digest>.json is written (atomically), then
 * the squashfs is renamed to <digest>.sqfs and the directory fsynced; only
 * then do the records become READY.  A failure removes what it wrote.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "flatten.h"
#include "gw_service_internal.h"
#include "image_access.h"
#include "image_meta.h"

void gw_tmp_name(struct gw_service *svc, const char *dir, const char *tag, char *buf, size_t size)
{
	uint64_t n = __atomic_add_fetch(&svc->tmp_seq, 1, __ATOMIC_RELAXED);

	snprintf(buf, size, "%s/.tmp.%.12s.%ld.%llu", dir, tag, (long)getpid(), (unsigned long long)n);
}

static void image_path(const struct gw_service *svc, const char *digest, const char *ext,
		       char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s.%s", svc->cfg->image_dir, digest, ext);
}

bool gw_published(const struct gw_service *svc, const char *digest)
{
	char path[4096];
	struct stat st;

	if (!berth_digest_valid(digest))
		return false;
	image_path(svc, digest, "sqfs", path, sizeof(path));
	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
		return false;
	image_path(svc, digest, "json", path, sizeof(path));
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* ------------------------------------------------------------------ jobs */
void gw_job_enqueue(struct gw_service *svc, struct gw_job *job)
{
	job->next_queued = NULL;
	if (svc->queue_tail)
		svc->queue_tail->next_queued = job;
	else
		svc->queue_head = job;
	svc->queue_tail = job;
	svc->queued++;
	job->next = svc->jobs;
	svc->jobs = job;
	pthread_cond_signal(&svc->work_cond);
}

struct gw_job *gw_job_find_digest(struct gw_service *svc, const char *digest)
{
	if (!digest || !digest[0])
		return NULL;
	for (struct gw_job *j = svc->jobs; j; j = j->next)
		if (!strcmp(j->digest, digest))
			return j;
	return NULL;
}

void gw_job_free(struct gw_job *job)
{
	if (!job)
		return;
	registry_manifest_release(&job->manifest);
	registry_client_destroy(job->client);
	if (job->login) {
		explicit_bzero(job->login, sizeof(*job->login));
		free(job->login);
	}
	if (job->archive_path) {
		unlink(job->archive_path);
		free(job->archive_path);
	}
	free(job);
}

void gw_job_set_phase(struct gw_service *svc, struct gw_job *job, enum gw_status status,
		      const char *phase)
{
	struct berth_error err = BERTH_ERROR_INIT;

	pthread_mutex_lock(&svc->lock);
	job->status = status;
	snprintf(job->progress.phase, sizeof(job->progress.phase), "%s", phase);
	if (job->record_id)
		gw_store_update_id(svc->store, job->record_id, NULL, status, "", 0, 0, &err);
	else
		gw_store_update_digest(svc->store, job->digest, status, "", 0, 0, &err);
	pthread_mutex_unlock(&svc->lock);
	if (err.code)
		berth_err("gateway: %s", err.msg);
}

/* -------------------------------------------------------------- publish */
static int fsync_dir(const char *dir, struct berth_error *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return berth_error_errno(err, errno, "open %s", dir);
	if (fsync(fd) < 0)
		rc = berth_error_errno(err, errno, "fsync %s", dir);
	close(fd);
	return rc;
}

static int write_meta(const struct gw_job *job, const char *config, size_t config_len,
		      const char *path, struct berth_error *err)
{
	struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
	int rc;

	rc = berth_image_meta_from_oci_config(config, config_len, job->digest, &meta, err);
	if (rc == 0)
		rc = berth_image_meta_write(&meta, path, BERTH_IMAGE_MODE_PRIVATE, err);
	berth_image_meta_free(&meta);
	return rc < 0 ? berth_error_prefix(err, "image config") : 0;
}

/* The config's rootfs.diff_ids (untrusted): one sha256 digest per layer,
 * as the OCI image spec requires; *ids point into *root (put it after use). */
static int config_diff_ids(const char *config, size_t config_len, size_t nlayers,
			   struct json_object **root, const char ***ids, struct berth_error *err)
{
	struct json_object *rootfs, *list, *item;
	size_t n;

	*ids = NULL;
	*root = json_tokener_parse(config);
	if (!*root || strlen(config) != config_len ||
	    !json_object_object_get_ex(*root, "rootfs", &rootfs) ||
	    !json_object_object_get_ex(rootfs, "diff_ids", &list) ||
	    !json_object_is_type(list, json_type_array))
		return berth_error_set(err, EBADMSG, "image config: no rootfs.diff_ids list");
	n = json_object_array_length(list);
	if (n != nlayers)
		return berth_error_set(err, EBADMSG,
				       "image config: rootfs.diff_ids has %zu entries for %zu layers",
				       n, nlayers);
	*ids = calloc(n ? n : 1, sizeof(**ids));
	if (!*ids)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		item = json_object_array_get_idx(list, i);
		if (!json_object_is_type(item, json_type_string) ||
		    !berth_digest_valid(json_object_get_string(item)))
			return berth_error_set(err, EBADMSG,
					       "image config: rootfs.diff_ids[%zu] is not a sha256 digest", i);
		(*ids)[i] = json_object_get_string(item);
	}
	return 0;
}

/* Flatten src into a new temporary file of image_dir (named in tmp). */
static int convert(struct gw_service *svc, const struct flatten_source *src, size_t nlayers,
		   const char *const *diff_ids, char *tmp, size_t size, struct berth_error *err)
{
	const struct gw_config *cfg = svc->cfg;
	struct flatten_options opts = { cfg->compressor, (int)cfg->compression_level,
					(size_t)cfg->block_size, cfg->compress_workers, diff_ids };
	struct flatten_stats stats;
	struct timespec started;

	memset(&stats, 0, sizeof(stats));
	clock_gettime(CLOCK_MONOTONIC, &started);
	gw_tmp_name(svc, cfg->image_dir, "convert", tmp, size);
	if (flatten_layers_from(src, nlayers, tmp, &opts, &stats, err) < 0)
		return -1;
	GW_COUNT(svc, n_conversions);
	GW_COUNT_ADD(svc, n_squashfs_bytes, stats.bytes_out);
	GW_OBSERVE(svc, conversion_seconds, gw_hist_job_seconds, gw_metrics_elapsed_us(&started));
	return 0;
}

/* tmp (the squashfs) becomes <digest>.sqfs beside its metadata.  Private
 * until a READY record says otherwise (gw_access.c); a file shared with
 * another image keeps the mode gw_layerset_share() gave it. */
static int publish(struct gw_service *svc, struct gw_job *job, const char *tmp, const char *config,
		   size_t config_len, bool shared, struct berth_error *err)
{
	char sqfs[4096], json[4096];

	gw_job_set_phase(svc, job, GW_STATUS_CONVERTING, "publish");
	image_path(svc, job->digest, "sqfs", sqfs, sizeof(sqfs));
	image_path(svc, job->digest, "json", json, sizeof(json));
	if (write_meta(job, config, config_len, json, err) < 0) {
		unlink(tmp);
		return -1;
	}
	if ((!shared && chmod(tmp, BERTH_IMAGE_MODE_PRIVATE) < 0) ||
	    gw_access_publish_private(svc, job->digest, err) < 0) {
		if (!err->code)
			berth_error_errno(err, errno, "publish %s", sqfs);
		unlink(tmp);
		unlink(json);
		return -1;
	}
	if (rename(tmp, sqfs) < 0) {
		berth_error_errno(err, errno, "publish %s", sqfs);
		unlink(tmp);
		unlink(json);
		return -1;
	}
	return fsync_dir(svc->cfg->image_dir, err);
}

int gw_convert_publish(struct gw_service *svc, struct gw_job *job, const char *const *layers,
		       size_t nlayers, const char *config, size_t config_len,
		       struct berth_error *err)
{
	struct flatten_source src;
	struct json_object *root = NULL;
	const char **diff_ids = NULL;
	char tmp[4096];
	int rc;

	gw_job_set_phase(svc, job, GW_STATUS_CONVERTING, "convert");
	flatten_source_files(layers, &src);
	rc = config_diff_ids(config, config_len, nlayers, &root, &diff_ids, err);
	if (rc == 0)
		rc = convert(svc, &src, nlayers, diff_ids, tmp, sizeof(tmp), err);
	free(diff_ids);
	json_object_put(root);
	return rc < 0 ? -1 : publish(svc, job, tmp, config, config_len, false, err);
}
/* ----------------------------------------------------------------- pulls */
static int resolve_again(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
			 struct berth_error *err)
{
	GW_COUNT(svc, n_manifest_fetches);
	if (registry_get_manifest(client, &job->ref, &job->manifest, err) < 0)
		return -1;
	if (strcmp(job->manifest.digest, job->digest))
		return berth_error_set(err, EBADMSG, "manifest %s: the registry now serves %s",
				       job->digest, job->manifest.digest);
	pthread_mutex_lock(&svc->lock);
	job->have_manifest = true;
	job->progress.layers_total = (uint32_t)job->manifest.nlayers;
	for (size_t i = 0; i < job->manifest.nlayers; i++)
		job->progress.bytes_total += job->manifest.layers[i].size;
	pthread_mutex_unlock(&svc->lock);
	return 0;
}

/* What one pull needs once its config is known. */
struct pull_plan {
	const char *config;
	size_t config_len;
	const char *const *diff_ids;
	char key[GW_LAYERSET_KEY_SIZE];
};

/* Share the squashfs of `from` (same layer set): this pull's layers are
 * downloaded and verified first, as for a conversion.  1 published, 0 not
 * possible after all (the caller converts), -1 failed. */
static int pull_shared(struct gw_service *svc, struct gw_job *job, struct gw_layer_fetch *f,
		       const struct pull_plan *plan, const char *from, struct berth_error *err)
{
	struct berth_error why = BERTH_ERROR_INIT;
	char tmp[4096];
	bool restarted;

	if (gw_layers_finish(f, &restarted, err) < 0)
		return -1;
	gw_job_set_phase(svc, job, GW_STATUS_CONVERTING, "convert");
	gw_tmp_name(svc, svc->cfg->image_dir, "share", tmp, sizeof(tmp));
	if (gw_layerset_share(svc, from, tmp, job->login == NULL, &why) < 0) {
		berth_info("gateway: %s: converting after all: %s", job->ref_text, why.msg);
		return 0;
	}
	berth_info("gateway: %s (%s) shares the squashfs of %s (same layers)", job->ref_text,
		   job->digest, from);
	return publish(svc, job, tmp, plan->config, plan->config_len, true, err) < 0 ? -1 : 1;
}

/* Flatten while the layers download; publish once all are verified. */
static int pull_converted(struct gw_service *svc, struct gw_job *job, struct gw_layer_fetch *f,
			  const struct pull_plan *plan, struct berth_error *err)
{
	struct berth_error fetch_err = BERTH_ERROR_INIT;
	struct flatten_source src;
	char tmp[4096];
	size_t n = job->manifest.nlayers;
	bool restarted;
	int rc;

	gw_layers_source(f, &src);
	rc = convert(svc, &src, n, plan->diff_ids, tmp, sizeof(tmp), err);
	if (gw_layers_finish(f, &restarted, &fetch_err) < 0) {
		*err = fetch_err;   /* the download's reason, not the reader's */
		if (rc == 0)
			unlink(tmp);
		return -1;
	}
	if (rc == 0 && restarted) {
		berth_info("gateway: %s: a layer download started over under the conversion: "
			   "converting again", job->ref_text);
		unlink(tmp);
		rc = convert(svc, &src, n, plan->diff_ids, tmp, sizeof(tmp), err);
	}
	return rc < 0 ? -1 : publish(svc, job, tmp, plan->config, plan->config_len, false, err);
}

static int pull_layers(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
		       struct pull_plan *plan, struct berth_error *err)
{
	struct gw_layer_fetch *f = NULL;
	char from[BERTH_DIGEST_LEN + 1];
	bool share;
	int rc;

	if (gw_layerset_key(svc->cfg, &job->manifest, plan->diff_ids, plan->key, err) < 0 ||
	    gw_layerset_claim(svc, plan->key, err) < 0)
		return -1;
	snprintf(job->layerset, sizeof(job->layerset), "%s", plan->key);   /* finish_job releases it */
	share = gw_layerset_find(svc, plan->key, from);
	rc = gw_layers_start(svc, job, client, true, &f, err);
	if (rc == 0 && share)
		rc = pull_shared(svc, job, f, plan, from, err);
	if (rc == 0)
		rc = pull_converted(svc, job, f, plan, err);
	else if (rc > 0)
		rc = 0;
	if (rc == 0)
		gw_layerset_record(svc, plan->key, job->digest);
	gw_layers_free(f);
	return rc;
}

static int run_pull(struct gw_service *svc, struct gw_job *job, struct berth_error *err)
{
	struct registry_client *client = job->client ? job->client : svc->registry;
	struct json_object *config_json = NULL, *root = NULL;
	struct pull_plan plan = { .config = NULL };
	const char **diff_ids = NULL;
	char *config = NULL;
	size_t config_len = 0;
	int rc = -1;

	if (!job->have_manifest && resolve_again(svc, job, client, err) < 0)
		return -1;
	gw_job_set_phase(svc, job, GW_STATUS_PULLING, "download");
	if (registry_get_blob_json(client, &job->ref, job->manifest.config.digest,
				   (int64_t)job->manifest.config.size, &config_json, &config,
				   &config_len, err) < 0 ||
	    config_diff_ids(config, config_len, job->manifest.nlayers, &root, &diff_ids, err) < 0)
		goto out;
	plan.config = config;
	plan.config_len = config_len;
	plan.diff_ids = diff_ids;
	rc = pull_layers(svc, job, client, &plan, err);
out:
	if (config_json)
		json_object_put(config_json);
	json_object_put(root);
	free(diff_ids);
	free(config);
	return rc;
}

/* --------------------------------------------------------------- workers */
static uint64_t published_size(const struct gw_service *svc, const char *digest)
{
	char path[4096];
	struct stat st;

	image_path(svc, digest, "sqfs", path, sizeof(path));
	return stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
}

/* Records that kept serving their READY digest while job pulled the new
 * one of their tag switch to it, or learn why it failed (svc->lock held). */
static void finish_pending(struct gw_service *svc, const struct gw_job *job, bool ready,
			   const char *msg, uint64_t size, struct berth_error *err)
{
	struct berth_error text = BERTH_ERROR_INIT;

	if (!ready) {
		berth_error_set(&text, EIO, "%s", msg);
		berth_error_prefix(&text, "the pull of %.19s... failed, still serving the previous "
				   "digest", job->digest);
	}
	gw_store_finish_pending(svc->store, job->digest, ready, text.msg, size,
				job->progress.bytes_total, err);
}

/* A job's end, ready or failed (not one cancelled by a stop). */
static void count_job(struct gw_service *svc, const struct gw_job *job, bool ready)
{
	enum gw_job_result result = ready ? GW_RESULT_READY : GW_RESULT_FAILED;

	if (job->kind == GW_JOB_IMPORT) {
		GW_COUNT(svc, n_import_results[result]);
		return;
	}
	GW_COUNT(svc, n_pull_results[result]);
	GW_OBSERVE(svc, pull_seconds, gw_hist_job_seconds, gw_metrics_elapsed_us(&job->started));
}

static void finish_job(struct gw_service *svc, struct gw_job *job, int rc, struct berth_error *err)
{
	struct berth_error e = BERTH_ERROR_INIT;
	bool cancelled;
	enum gw_status status = rc == 0 ? GW_STATUS_READY : GW_STATUS_FAILURE;
	const char *msg = rc == 0 ? "" : err->msg;
	uint64_t size = rc == 0 ? published_size(svc, job->digest) : 0;

	pthread_mutex_lock(&svc->lock);
	cancelled = rc < 0 && svc->stopping;
	pthread_mutex_unlock(&svc->lock);
	if (rc < 0 && !cancelled) {
		GW_COUNT(svc, n_failures);
		GW_COUNT(svc, n_errors[gw_error_kind_job(err->code)]);
		berth_err("gateway: %s: %s", job->ref_text, err->msg);
	} else if (rc == 0) {
		berth_info("gateway: %s (%s) is ready", job->ref_text, job->digest);
	}
	if (!cancelled)
		count_job(svc, job, rc == 0);
	pthread_mutex_lock(&svc->lock);
	for (struct gw_job **p = &svc->jobs; *p; p = &(*p)->next) {
		if (*p == job) {
			*p = job->next;
			break;
		}
	}
	svc->active--;
	if (!cancelled) {   /* cancelled: the records stay in progress, resumed at the next start */
		if (job->record_id)
			gw_store_update_id(svc->store, job->record_id, job->digest[0] ? job->digest : NULL,
					   status, msg, size, 0, &e);
		if (job->digest[0]) {
			gw_store_update_digest(svc->store, job->digest, status, msg, size,
					       job->progress.bytes_total, &e);
			finish_pending(svc, job, rc == 0, msg, size, &e);
		}
	}
	gw_layer_cache_prune(svc);   /* layer_cache_max 0: keep no blob after its jobs */
	pthread_mutex_unlock(&svc->lock);
	/* records changed digest or became READY: who may run what changed */
	if (!cancelled && gw_access_sync_all(svc, &e) < 0)
		berth_err("gateway: %s", e.msg);
	/* the next image of the layer set shares the file with its final mode */
	if (job->layerset[0])
		gw_layerset_release(svc, job->layerset);
	if (e.code)
		berth_err("gateway: %s: %s", job->ref_text, e.msg);
	gw_job_free(job);
}

static void *worker_main(void *arg)
{
	struct gw_service *svc = arg;

	for (;;) {
		struct gw_job *job;
		struct berth_error err = BERTH_ERROR_INIT;
		int rc;

		pthread_mutex_lock(&svc->lock);
		while (!svc->stopping && !svc->queue_head)
			pthread_cond_wait(&svc->work_cond, &svc->lock);
		if (svc->stopping) {
			pthread_mutex_unlock(&svc->lock);
			return NULL;
		}
		job = svc->queue_head;
		svc->queue_head = job->next_queued;
		if (!svc->queue_head)
			svc->queue_tail = NULL;
		svc->queued--;
		svc->active++;
		pthread_mutex_unlock(&svc->lock);
		clock_gettime(CLOCK_MONOTONIC, &job->started);
		rc = job->kind == GW_JOB_IMPORT ? gw_import_run(svc, job, &err) : run_pull(svc, job, &err);
		if (rc < 0 && err.code == 0)
			berth_error_set(&err, EIO, "failed");
		finish_job(svc, job, rc, &err);
	}
}

int gw_workers_start(struct gw_service *svc, struct berth_error *err)
{
	sigset_t all, old;
	unsigned n = svc->cfg->workers ? svc->cfg->workers : 1;
	int rc = 0;

	svc->threads = calloc(n, sizeof(*svc->threads));
	if (!svc->threads)
		return berth_error_set(err, ENOMEM, "out of memory");
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);   /* workers inherit: no signals there */
	for (unsigned i = 0; i < n; i++) {
		int e = pthread_create(&svc->threads[i], NULL, worker_main, svc);

		if (e) {
			rc = berth_error_errno(err, e, "start worker thread");
			break;
		}
		svc->nthreads++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return rc;
}

void gw_workers_stop(struct gw_service *svc)
{
	pthread_mutex_lock(&svc->lock);
	svc->stopping = true;
	pthread_cond_broadcast(&svc->work_cond);
	pthread_mutex_unlock(&svc->lock);
	for (unsigned i = 0; i < svc->nthreads; i++)
		pthread_join(svc->threads[i], NULL);
	svc->nthreads = 0;
	free(svc->threads);
	svc->threads = NULL;
}
