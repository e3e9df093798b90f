/*
 * gw_worker.c - the worker pool: download (through the layer cache),
 * conversion and publishing of queued pulls; imports run in gw_import.c.
 *
 * Layer cache: <state_dir>/layers/<blob digest>, shared by every image.  A
 * blob is downloaded to ".tmp.*" in the same directory (the registry client
 * verifies its digest and size while streaming), fsynced and renamed into
 * place, so a cached file is always complete and verified.  Its mtime is
 * the last use; after each job the least recently used blobs go until the
 * cache is under layer_cache_max (blobs of jobs not finished are kept; 0
 * keeps nothing).
 *
 * Publishing: the squashfs is written to ".tmp.*" in image_dir (never
 * matching <digest>.sqfs), then <digest>.json is written (atomically), then
 * the squashfs is renamed to <digest>.sqfs and the directory fsynced; only
 * then do the records become READY.  A failure removes what it wrote.
 */
#include <dirent.h>
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

/* ----------------------------------------------------------- layer cache */
struct blob_sink {
	struct gw_service *svc;
	struct gw_job *job;
	int fd;
	uint64_t written;
};

static int sink_write(void *arg, const void *data, size_t len)
{
	struct blob_sink *s = arg;
	const char *p = data;
	bool stop;

	pthread_mutex_lock(&s->svc->lock);
	stop = s->svc->stopping;
	s->job->progress.bytes_done += len;
	pthread_mutex_unlock(&s->svc->lock);
	if (stop) {
		errno = ECANCELED;
		return -1;
	}
	while (len) {
		ssize_t n = write(s->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
		s->written += (uint64_t)n;
	}
	return 0;
}

static int sink_rewind(void *arg)
{
	struct blob_sink *s = arg;

	if (ftruncate(s->fd, 0) < 0 || lseek(s->fd, 0, SEEK_SET) < 0)
		return -1;
	pthread_mutex_lock(&s->svc->lock);
	s->job->progress.bytes_done -= s->written < s->job->progress.bytes_done ? s->written
										   : s->job->progress.bytes_done;
	pthread_mutex_unlock(&s->svc->lock);
	s->written = 0;
	return 0;
}

static int download_blob(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
			 const struct registry_descriptor *d, const char *path, struct berth_error *err)
{
	char tmp[4096];
	struct blob_sink sink = { svc, job, -1, 0 };
	struct registry_sink rs = { sink_write, sink_rewind, &sink };
	int rc;

	gw_tmp_name(svc, svc->layers_dir, d->digest + 7, tmp, sizeof(tmp));
	sink.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (sink.fd < 0)
		return berth_error_errno(err, errno, "layer cache: create %s", tmp);
	GW_COUNT(svc, n_blob_downloads);
	rc = registry_fetch_blob(client, &job->ref, d->digest, (int64_t)d->size, &rs, err);
	if (rc == 0 && fdatasync(sink.fd) < 0)
		rc = berth_error_errno(err, errno, "layer cache: fsync %s", tmp);
	if (close(sink.fd) < 0 && rc == 0)
		rc = berth_error_errno(err, errno, "layer cache: close %s", tmp);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = berth_error_errno(err, errno, "layer cache: rename to %s", path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

static int fetching_index(const struct gw_service *svc, const char *digest)
{
	for (unsigned i = 0; i < svc->nfetching; i++)
		if (!strcmp(svc->fetching[i], digest))
			return (int)i;
	return -1;
}

/* Is the blob cached?  Counts a hit and touches it (svc->lock held). */
static bool cache_hit(struct gw_service *svc, struct gw_job *job, const struct registry_descriptor *d,
		      const char *path)
{
	struct stat st;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size != d->size)
		return false;
	utimensat(AT_FDCWD, path, NULL, 0);
	GW_COUNT(svc, n_cache_hits);
	job->progress.bytes_done += d->size;
	return true;
}

/* The cached blob of d at path, downloaded if missing.  One download per
 * blob at a time: a job that needs a blob another job is fetching waits
 * for it (at most GW_LAYER_DOWNLOADS blobs per worker are in svc->fetching). */
static int cache_layer(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
		       const struct registry_descriptor *d, char *path, size_t size,
		       struct berth_error *err)
{
	int rc, i;

	snprintf(path, size, "%s/%s", svc->layers_dir, d->digest);
	pthread_mutex_lock(&svc->lock);
	while (fetching_index(svc, d->digest) >= 0)
		pthread_cond_wait(&svc->fetch_cond, &svc->lock);
	if (cache_hit(svc, job, d, path)) {
		pthread_mutex_unlock(&svc->lock);
		return 0;
	}
	snprintf(svc->fetching[svc->nfetching++], sizeof(*svc->fetching), "%s", d->digest);
	pthread_mutex_unlock(&svc->lock);

	rc = download_blob(svc, job, client, d, path, err);

	pthread_mutex_lock(&svc->lock);
	i = fetching_index(svc, d->digest);
	svc->fetching[i][0] = '\0';
	memmove(svc->fetching[i], svc->fetching[svc->nfetching - 1], sizeof(*svc->fetching));
	svc->nfetching--;
	pthread_cond_broadcast(&svc->fetch_cond);
	pthread_mutex_unlock(&svc->lock);
	return rc < 0 ? berth_error_prefix(err, "layer %s", d->digest) : 0;
}

struct cached_blob {
	char name[BERTH_DIGEST_LEN + 1];
	off_t size;
	time_t mtime;
};

static int by_mtime(const void *a, const void *b)
{
	const struct cached_blob *x = a, *y = b;

	return (x->mtime > y->mtime) - (x->mtime < y->mtime);
}

static bool blob_pinned(struct gw_service *svc, const char *digest)
{
	for (struct gw_job *j = svc->jobs; j; j = j->next)
		for (size_t i = 0; i < j->manifest.nlayers; i++)
			if (!strcmp(j->manifest.layers[i].digest, digest))
				return true;
	return false;
}

/* Drop least recently used blobs until the cache fits (svc->lock held). */
static void prune_cache(struct gw_service *svc)
{
	struct cached_blob *blobs = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	DIR *d = opendir(svc->layers_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		struct stat st;

		if (strncmp(e->d_name, "sha256:", 7) || strlen(e->d_name) > BERTH_DIGEST_LEN ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (n == cap) {
			struct cached_blob *grown = realloc(blobs, (cap ? cap * 2 : 64) * sizeof(*blobs));

			if (!grown)
				break;
			blobs = grown;
			cap = cap ? cap * 2 : 64;
		}
		snprintf(blobs[n].name, sizeof(blobs[n].name), "%s", e->d_name);
		blobs[n].size = st.st_size;
		blobs[n].mtime = st.st_mtime;
		total += (uint64_t)st.st_size;
		n++;
	}
	if (blobs && total > svc->cfg->layer_cache_max) {
		qsort(blobs, n, sizeof(*blobs), by_mtime);
		for (size_t i = 0; i < n && total > svc->cfg->layer_cache_max; i++) {
			if (blob_pinned(svc, blobs[i].name) || unlinkat(dirfd(d), blobs[i].name, 0) < 0)
				continue;
			total -= (uint64_t)blobs[i].size;
		}
	}
	closedir(d);
	free(blobs);
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

int gw_convert_publish(struct gw_service *svc, struct gw_job *job, const char *const *layers,
		       size_t nlayers, const char *config, size_t config_len,
		       struct berth_error *err)
{
	const struct gw_config *cfg = svc->cfg;
	struct flatten_options opts = { cfg->compressor, (int)cfg->compression_level,
					(size_t)cfg->block_size, cfg->compress_workers, NULL };
	char tmp[4096], sqfs[4096], json[4096];
	struct json_object *root = NULL;
	const char **diff_ids = NULL;
	int rc;

	gw_job_set_phase(svc, job, GW_STATUS_CONVERTING, "convert");
	gw_tmp_name(svc, cfg->image_dir, job->digest + 7, tmp, sizeof(tmp));
	image_path(svc, job->digest, "sqfs", sqfs, sizeof(sqfs));
	image_path(svc, job->digest, "json", json, sizeof(json));
	rc = config_diff_ids(config, config_len, nlayers, &root, &diff_ids, err);
	opts.diff_ids = diff_ids;
	if (rc == 0)
		rc = flatten_layers(layers, nlayers, tmp, &opts, NULL, err);
	free(diff_ids);
	json_object_put(root);
	if (rc < 0)
		return -1;
	gw_job_set_phase(svc, job, GW_STATUS_CONVERTING, "publish");
	if (write_meta(job, config, config_len, json, err) < 0) {
		unlink(tmp);
		return -1;
	}
	/* Private until a READY record says otherwise (gw_access.c). */
	if (chmod(tmp, BERTH_IMAGE_MODE_PRIVATE) < 0 ||
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
	GW_COUNT(svc, n_conversions);
	return fsync_dir(cfg->image_dir, err);
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

/* The layers of one pull, shared by its download threads. */
struct layer_fetch {
	struct gw_service *svc;
	struct gw_job *job;
	struct registry_client *client;
	char **paths;
	pthread_mutex_t lock;
	size_t next;               /* next layer to take */
	bool failed;
	struct berth_error err;    /* the first failure */
};

static void *fetch_layer_thread(void *arg)
{
	struct layer_fetch *f = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[4096];
	size_t i;

	for (;;) {
		pthread_mutex_lock(&f->lock);
		i = f->next++;
		if (f->failed || i >= f->job->manifest.nlayers) {
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		pthread_mutex_unlock(&f->lock);
		if (cache_layer(f->svc, f->job, f->client, &f->job->manifest.layers[i], path, sizeof(path),
				&err) < 0 || !(f->paths[i] = strdup(path))) {
			if (!err.msg[0])
				berth_error_set(&err, ENOMEM, "out of memory");
			pthread_mutex_lock(&f->lock);
			if (!f->failed)
				f->err = err;
			f->failed = true;
			pthread_mutex_unlock(&f->lock);
			return NULL;
		}
		pthread_mutex_lock(&f->svc->lock);
		f->job->progress.layers_done++;
		pthread_mutex_unlock(&f->svc->lock);
	}
}

/* Up to GW_LAYER_DOWNLOADS layers at a time (the calling worker is one of
 * the downloaders; threads that cannot be made just leave more to it). */
static int fetch_layers(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
			char **paths, struct berth_error *err)
{
	struct layer_fetch f = { .svc = svc, .job = job, .client = client, .paths = paths };
	pthread_t threads[GW_LAYER_DOWNLOADS - 1];
	size_t started = 0, want = job->manifest.nlayers;

	pthread_mutex_init(&f.lock, NULL);
	if (want > GW_LAYER_DOWNLOADS)
		want = GW_LAYER_DOWNLOADS;
	while (started + 1 < want && pthread_create(&threads[started], NULL, fetch_layer_thread, &f) == 0)
		started++;
	fetch_layer_thread(&f);
	for (size_t t = 0; t < started; t++)
		pthread_join(threads[t], NULL);
	pthread_mutex_destroy(&f.lock);
	if (f.failed) {
		*err = f.err;
		return -1;
	}
	return 0;
}

static int run_pull(struct gw_service *svc, struct gw_job *job, struct berth_error *err)
{
	struct registry_client *client = job->client ? job->client : svc->registry;
	struct json_object *config_json = NULL;
	char *config = NULL, **paths = NULL;
	size_t config_len = 0, n;
	int rc = -1;

	if (!job->have_manifest && resolve_again(svc, job, client, err) < 0)
		return -1;
	gw_job_set_phase(svc, job, GW_STATUS_PULLING, "download");
	n = job->manifest.nlayers;
	paths = calloc(n ? n : 1, sizeof(*paths));
	if (!paths)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (registry_get_blob_json(client, &job->ref, job->manifest.config.digest,
				   (int64_t)job->manifest.config.size, &config_json, &config,
				   &config_len, err) < 0 ||
	    fetch_layers(svc, job, client, paths, err) < 0)
		goto out;
	rc = gw_convert_publish(svc, job, (const char *const *)paths, n, config, config_len, err);
out:
	if (config_json)
		json_object_put(config_json);
	free(config);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
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
		berth_err("gateway: %s: %s", job->ref_text, err->msg);
	} else if (rc == 0) {
		berth_info("gateway: %s (%s) is ready", job->ref_text, job->digest);
	}
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
	prune_cache(svc);   /* layer_cache_max 0: keep no blob after its jobs */
	pthread_mutex_unlock(&svc->lock);
	/* records changed digest or became READY: who may run what changed */
	if (!cancelled && gw_access_sync_all(svc, &e) < 0)
		berth_err("gateway: %s", e.msg);
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
