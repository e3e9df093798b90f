/*
 * gw_service.c - the gateway core: start-up and recovery, lookups, listing,
 * expiry, counters (see gw_service.h).  Pulls: gw_service_pull.c; the
 * workers: gw_worker.c; imports: gw_import.c.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "fs_util.h"
#include "gw_service_internal.h"

static const char *const status_names[] = {
	"INIT", "PENDING", "PULLING", "CONVERTING", "READY", "FAILURE", "EXPIRED",
};

const char *gw_status_name(enum gw_status status)
{
	if ((unsigned)status < sizeof(status_names) / sizeof(status_names[0]))
		return status_names[status];
	return "UNKNOWN";
}

int64_t gw_now(void)
{
	return (int64_t)time(NULL);
}

static char *path_join(const char *dir, const char *name)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

static int make_dir(const char *path, mode_t mode, struct berth_error *err)
{
	char buf[4096];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "mkdir %s", buf);
		*p = '/';
	}
	if (mkdir(buf, mode) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir %s", buf);
	return 0;
}

/* image_dir may be traversed by everyone (nodes and login hosts open
 * <digest>.* by name) but listed by nobody else: the names of private
 * images must not leak their existence.  Only the gateway lists it
 * (autoexpire, stray files).  A listable directory of our own, as older
 * gateways made it, is fixed; someone else's is the admin's to fix. */
static void image_dir_unlistable(const char *dir)
{
	struct stat st;

	if (stat(dir, &st) < 0 || !(st.st_mode & S_IROTH))
		return;
	if (st.st_uid == geteuid() && chmod(dir, st.st_mode & 07777 & ~(mode_t)S_IROTH) == 0) {
		berth_info("gateway: image_dir %s: no longer listable by others (mode %04o)", dir,
			   (unsigned)(st.st_mode & 07777 & ~(mode_t)S_IROTH));
		return;
	}
	berth_err("gateway: image_dir %s is listable by every user: names of private images "
		   "can be seen (chmod o-r %s)", dir, dir);
}

/* Remove temp files a previous run left: ".tmp*" (and the metadata
 * writer's "*.json.tmp.*") in dir; everything when all is set. */
static void remove_stray(const char *dir, bool all)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (all || !strncmp(e->d_name, ".tmp", 4) || strstr(e->d_name, ".json.tmp.") ||
		    strstr(e->d_name, ".access.tmp.")) {
			char *p = path_join(dir, e->d_name);
			struct berth_error err = BERTH_ERROR_INIT;

			if (p && berth_remove_tree(p, &err) < 0)
				berth_err("gateway: %s", err.msg);
			free(p);
		}
	}
	closedir(d);
}

static int load_site_credentials(struct gw_service *svc, struct berth_error *err)
{
	const char *path = svc->cfg->credentials_file;

	if (!path || !*path)
		return 0;
	svc->site_credentials = json_object_from_file(path);
	if (!svc->site_credentials || !json_object_is_type(svc->site_credentials, json_type_object))
		return berth_error_set(err, EINVAL, "credentials_file %s: not a JSON object "
				       "{\"registry\": {\"username\": ..., \"password\": ...}}", path);
	return 0;
}

/* ------------------------------------------------------------- recovery */
static void recover_job(struct gw_service *svc, const struct gw_store_row *row, const char *digest)
{
	struct gw_job *job;
	struct berth_error err = BERTH_ERROR_INIT;

	if (gw_job_find_digest(svc, digest))
		return;
	job = calloc(1, sizeof(*job));
	if (!job)
		return;
	job->kind = GW_JOB_PULL;
	snprintf(job->digest, sizeof(job->digest), "%s", digest);
	snprintf(job->ref_text, sizeof(job->ref_text), "%s", row->rec.ref);
	if (berth_image_ref_parse(row->rec.ref, BERTH_IMAGE_DOCKER, &job->ref, &err) < 0) {
		free(job);
		return;
	}
	snprintf(job->ref.digest, sizeof(job->ref.digest), "%s", digest);
	job->status = GW_STATUS_PENDING;
	snprintf(job->progress.phase, sizeof(job->progress.phase), "resolve");
	gw_job_enqueue(svc, job);
	gw_store_update_digest(svc->store, job->digest, GW_STATUS_PENDING, "", 0, 0, &err);
	berth_info("gateway: resuming the pull of %s (%s)", job->ref_text, job->digest);
}

static bool is_import_ref(const char *ref)
{
	return !strncmp(ref, "docker:localhost/", strlen("docker:localhost/"));
}

/* Public pulls in progress are queued again; what cannot be resumed (imports,
 * private pulls: their archive or credentials are gone) fails; READY records
 * whose files vanished fail. */
static int recover(struct gw_service *svc, struct berth_error *err)
{
	struct gw_store_row *rows;
	size_t n;

	if (gw_store_all(svc->store, &rows, &n, err) < 0)
		return -1;
	pthread_mutex_lock(&svc->lock);
	for (size_t i = 0; i < n; i++) {
		const struct gw_store_row *r = &rows[i];

		if (r->owner != GW_OWNER_PUBLIC || is_import_ref(r->rec.ref))
			continue;
		if (gw_status_in_progress(r->rec.status) && r->rec.digest[0])
			recover_job(svc, r, r->rec.digest);
		else if (r->rec.status == GW_STATUS_READY && r->rec.pending_digest[0])
			recover_job(svc, r, r->rec.pending_digest);
	}
	for (size_t i = 0; i < n; i++) {
		const struct gw_store_row *r = &rows[i];
		struct berth_error e = BERTH_ERROR_INIT;

		if (gw_status_in_progress(r->rec.status) &&
		    !(r->rec.digest[0] && gw_job_find_digest(svc, r->rec.digest)))
			gw_store_update_id(svc->store, r->id, NULL, GW_STATUS_FAILURE,
					   "interrupted by a gateway restart", 0, 0, &e);
		else if (r->rec.status == GW_STATUS_READY && !gw_published(svc, r->rec.digest))
			gw_store_update_id(svc->store, r->id, NULL, GW_STATUS_FAILURE,
					   "image files missing from the image directory", 0, 0, &e);
		if (r->rec.pending_digest[0] && !gw_job_find_digest(svc, r->rec.pending_digest))
			gw_store_finish_pending(svc->store, r->rec.pending_digest, false,
						"the pull of a new digest was interrupted by a "
						"gateway restart", 0, 0, &e);
	}
	pthread_mutex_unlock(&svc->lock);
	free(rows);
	return 0;
}

struct gw_service *gw_service_create(const struct gw_config *cfg, struct berth_error *err)
{
	struct gw_service *svc = calloc(1, sizeof(*svc));
	char *db_path = NULL;

	if (!svc) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	svc->cfg = cfg;
	svc->start_time = gw_now();
	pthread_mutex_init(&svc->lock, NULL);
	pthread_cond_init(&svc->work_cond, NULL);
	pthread_cond_init(&svc->fetch_cond, NULL);
	pthread_cond_init(&svc->layerset_cond, NULL);
	{
		pthread_condattr_t attr;

		pthread_condattr_init(&attr);
		pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
		pthread_cond_init(&svc->expire_cond, &attr);
		pthread_condattr_destroy(&attr);
	}
	svc->fetching = calloc((cfg->workers ? cfg->workers : 1) * GW_LAYER_DOWNLOADS,
			       sizeof(*svc->fetching));
	svc->converting = calloc(cfg->workers ? cfg->workers : 1, sizeof(*svc->converting));
	svc->layers_dir = path_join(cfg->state_dir, "layers");
	svc->layersets_dir = path_join(cfg->state_dir, "layersets");
	svc->tmp_dir = path_join(cfg->state_dir, "tmp");
	db_path = path_join(cfg->state_dir, "gateway.db");
	if (!svc->layers_dir || !svc->layersets_dir || !svc->tmp_dir || !db_path || !svc->fetching ||
	    !svc->converting) {
		berth_error_set(err, ENOMEM, "out of memory");
		goto fail;
	}
	if (make_dir(cfg->state_dir, 0700, err) < 0 || make_dir(svc->layers_dir, 0700, err) < 0 ||
	    make_dir(svc->layersets_dir, 0700, err) < 0 || make_dir(svc->tmp_dir, 0700, err) < 0 ||
	    make_dir(cfg->image_dir, 0711, err) < 0 ||
	    load_site_credentials(svc, err) < 0 || gw_registry_create(svc, NULL, &svc->registry, err) < 0)
		goto fail;
	svc->store = gw_store_open(db_path, err);
	if (!svc->store)
		goto fail;
	image_dir_unlistable(cfg->image_dir);
	remove_stray(cfg->image_dir, false);
	remove_stray(svc->layers_dir, false);
	remove_stray(svc->layersets_dir, false);
	remove_stray(svc->tmp_dir, true);
	/* migration too: images published before .access existed (0644) */
	if (recover(svc, err) < 0 || gw_access_sync_all(svc, err) < 0 ||
	    gw_workers_start(svc, err) < 0 ||
	    gw_autoexpire_timer_start(svc, err) < 0)
		goto fail;
	free(db_path);
	return svc;
fail:
	berth_error_prefix(err, "gateway");
	free(db_path);
	gw_service_destroy(svc);
	return NULL;
}

void gw_service_destroy(struct gw_service *svc)
{
	if (!svc)
		return;
	gw_autoexpire_timer_stop(svc);
	gw_workers_stop(svc);
	while (svc->jobs) {
		struct gw_job *job = svc->jobs;

		svc->jobs = job->next;
		gw_job_free(job);
	}
	gw_store_close(svc->store);
	registry_client_destroy(svc->registry);
	if (svc->site_credentials)
		json_object_put(svc->site_credentials);
	pthread_cond_destroy(&svc->work_cond);
	pthread_cond_destroy(&svc->fetch_cond);
	pthread_cond_destroy(&svc->layerset_cond);
	pthread_cond_destroy(&svc->expire_cond);
	free(svc->fetching);
	free(svc->converting);
	pthread_mutex_destroy(&svc->lock);
	free(svc->layers_dir);
	free(svc->layersets_dir);
	free(svc->tmp_dir);
	free(svc);
}

const char *gw_service_tmp_dir(const struct gw_service *svc)
{
	return svc->tmp_dir;
}

void gw_get_counters(struct gw_service *svc, struct gw_counters *out)
{
	struct gw_metrics m;

	gw_metrics_snapshot(&svc->metrics, &m);
	memset(out, 0, sizeof(*out));
	out->lookups = m.n_lookups;
	out->pulls = m.n_pulls;
	out->manifest_fetches = m.n_manifest_fetches;
	out->blob_downloads = m.n_blob_downloads;
	out->layer_cache_hits = m.n_cache_hits;
	out->conversions = m.n_conversions;
	out->failures = m.n_failures;
	out->layerset_links = m.n_layerset_links;
	out->layerset_copies = m.n_layerset_copies;
	pthread_mutex_lock(&svc->lock);
	out->workers = svc->nthreads;
	out->queued = svc->queued;
	out->active = svc->active;
	pthread_mutex_unlock(&svc->lock);
}

struct gw_metrics *gw_service_metrics(struct gw_service *svc)
{
	return svc ? &svc->metrics : NULL;
}

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

void gw_metrics_collect(struct gw_service *svc, struct gw_metrics_view *out)
{
	memset(out, 0, sizeof(*out));
	gw_metrics_snapshot(&svc->metrics, &out->m);
	out->digest_mismatches = registry_verify_failures();
	out->start_time = svc->start_time;
	out->version = PACKAGE_VERSION;
	pthread_mutex_lock(&svc->lock);
	out->workers = svc->nthreads;
	out->queued = svc->queued;
	out->active = svc->active;
	pthread_mutex_unlock(&svc->lock);
}

/* -------------------------------------------------------------- lookups */
/* The record ref names, visible to caller; the same ENOENT for unknown and
 * invisible. */
static int find_record(struct gw_service *svc, const struct gw_caller *caller,
		       const struct berth_image_ref *ref, struct gw_store_row *row,
		       struct berth_error *err)
{
	char text[GW_REF_MAX];
	int rc;

	if (ref->type == BERTH_IMAGE_LOCAL)
		return berth_error_set(err, EINVAL, "local images are not known to the gateway");
	if (berth_image_ref_format(ref, text, sizeof(text), err) < 0)
		return -1;
	if (ref->digest[0])
		rc = gw_store_find_digest(svc->store, ref->digest, caller, row, err);
	else
		rc = gw_store_find_ref(svc->store, text, caller, row, err);
	if (rc < 0 && err->code == ENOENT)
		berth_error_set(err, ENOENT, "image \"%s\" not found", text);
	return rc;
}

/* The progress of the record's pull: its own, or that of its pending digest. */
static void add_progress(struct gw_service *svc, struct gw_image_record *rec)
{
	struct gw_job *job;
	bool pending = rec->pending_digest[0] != '\0';

	if (!pending && (!gw_status_in_progress(rec->status) || !rec->digest[0]))
		return;
	pthread_mutex_lock(&svc->lock);
	job = gw_job_find_digest(svc, pending ? rec->pending_digest : rec->digest);
	if (job) {
		rec->progress = job->progress;
		if (!pending)
			rec->status = job->status;
	}
	pthread_mutex_unlock(&svc->lock);
}

int gw_lookup(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, struct gw_image_record *out,
	      struct berth_error *err)
{
	struct gw_store_row row;
	int64_t now = gw_now();
	/* A lookup pins an image for a job, so it applies the nodes' rule
	 * (berth_image_access_allows: the audience, and root), not the admin
	 * role's view: an admin_uids user sees every private image in lists
	 * and status, but a job of theirs would be refused on the node. */
	struct gw_caller runner = *caller;

	runner.admin = caller->uid == 0;
	GW_COUNT(svc, n_lookups);
	if (find_record(svc, &runner, ref, &row, err) < 0)
		return -1;
	if (row.rec.last_lookup != now && gw_store_touch_lookup(svc->store, row.id, now, err) < 0)
		return -1;
	row.rec.last_lookup = now;
	add_progress(svc, &row.rec);
	*out = row.rec;
	return 0;
}

int gw_status(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, struct gw_image_record *out,
	      struct berth_error *err)
{
	struct gw_store_row row;

	if (find_record(svc, caller, ref, &row, err) < 0)
		return -1;
	add_progress(svc, &row.rec);
	*out = row.rec;
	return 0;
}

int gw_list(struct gw_service *svc, const struct gw_caller *caller, bool in_progress_only,
	    struct gw_image_record **out, size_t *count, struct berth_error *err)
{
	struct gw_store_row *rows;
	struct gw_image_record *recs;
	size_t n;

	if (gw_store_list(svc->store, caller, in_progress_only, &rows, &n, err) < 0)
		return -1;
	recs = calloc(n ? n : 1, sizeof(*recs));
	if (!recs) {
		free(rows);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		recs[i] = rows[i].rec;
		add_progress(svc, &recs[i]);
	}
	free(rows);
	*out = recs;
	*count = n;
	return 0;
}
