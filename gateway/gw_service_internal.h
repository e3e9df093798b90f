/*
 * gw_service_internal.h - what gw_service.c, gw_service_pull.c, gw_worker.c
 * and gw_import.c share.
 *
 * Locking: svc->lock guards the job queue, the list of jobs (single-flight
 * by digest), the progress of each job and the stopping flag.  The store has
 * its own lock; when both are held, svc->lock is taken first.  A job's
 * completion (rows of its digest -> READY/FAILURE) and its removal from the
 * job list happen under svc->lock, so gw_pull() either joins the job or sees
 * the READY row, never neither.
 */
#ifndef BERTH_GW_SERVICE_INTERNAL_H_
#define BERTH_GW_SERVICE_INTERNAL_H_

/* Layers of one pull downloaded at the same time (each hashed on its own
 * thread: with several layers both cores verify while the network works). */
#define GW_LAYER_DOWNLOADS 3

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "flatten.h"
#include "gw_config.h"
#include "gw_metrics.h"
#include "gw_service.h"
#include "gw_store.h"
#include "registry.h"

struct json_object;

#define GW_LAYERSET_KEY_SIZE 65   /* 64 hex + NUL */

enum gw_job_kind { GW_JOB_PULL, GW_JOB_IMPORT };

struct gw_job {
	struct gw_job *next_queued;    /* FIFO of waiting jobs */
	struct gw_job *next;           /* every job not finished (svc->jobs) */
	enum gw_job_kind kind;
	char digest[BERTH_DIGEST_LEN + 1];  /* "" for an import until its archive is read */
	char ref_text[GW_REF_MAX];
	struct berth_image_ref ref;    /* where the blobs are fetched (pull) */
	struct registry_manifest manifest;
	bool have_manifest;            /* false: fetch it by digest first (recovered pull) */
	struct registry_client *client;  /* private pull: its own client (owned); NULL: shared */
	struct gw_registry_login *login; /* the credentials client uses (owned, wiped) */
	char *archive_path;            /* import: the uploaded archive (owned, removed) */
	int64_t record_id;             /* import: its record */
	char layerset[GW_LAYERSET_KEY_SIZE];  /* pull: the layer set it claimed, "" none */
	enum gw_status status;
	struct gw_progress progress;
	struct timespec started;       /* CLOCK_MONOTONIC: a worker took it */
};

struct gw_service {
	const struct gw_config *cfg;
	struct gw_store *store;
	struct registry_client *registry;   /* anonymous + site credentials */
	struct json_object *site_credentials;
	char *layers_dir, *tmp_dir, *layersets_dir;

	pthread_mutex_t lock;
	pthread_cond_t work_cond;
	struct gw_job *queue_head, *queue_tail;
	struct gw_job *jobs;
	unsigned queued, active;
	bool stopping;
	pthread_t *threads;
	unsigned nthreads;
	/* blobs being downloaded right now (single-flight per layer) */
	char (*fetching)[BERTH_DIGEST_LEN + 1];  /* workers * GW_LAYER_DOWNLOADS slots */
	unsigned nfetching;
	pthread_cond_t fetch_cond;
	/* layer sets being converted (single-flight per layer set, gw_layerset.c) */
	char (*converting)[GW_LAYERSET_KEY_SIZE];  /* workers slots */
	unsigned nconverting;
	pthread_cond_t layerset_cond;
	uint64_t tmp_seq;
	/* the autoexpire timer (gw_service_expire.c) */
	pthread_t expire_thread;
	bool expire_running, expire_stop;
	pthread_cond_t expire_cond;         /* CLOCK_MONOTONIC */

	/* every counter (atomic builtins, gw_metrics.h); the start time */
	struct gw_metrics metrics;
	int64_t start_time;
};

#define GW_COUNT(svc, field) GW_METRIC_ADD(&(svc)->metrics, field, 1)
#define GW_COUNT_ADD(svc, field, n) GW_METRIC_ADD(&(svc)->metrics, field, n)
#define GW_OBSERVE(svc, hist, spec, value) \
	gw_histogram_observe(&(svc)->metrics.hist, &(spec), (value))

int64_t gw_now(void);

/* gw_worker.c */
int gw_workers_start(struct gw_service *svc, struct berth_error *err);
void gw_workers_stop(struct gw_service *svc);
/* Queue job (svc->lock held); it is added to svc->jobs too. */
void gw_job_enqueue(struct gw_service *svc, struct gw_job *job);
struct gw_job *gw_job_find_digest(struct gw_service *svc, const char *digest);
void gw_job_free(struct gw_job *job);
/* Both files of digest exist in image_dir. */
bool gw_published(const struct gw_service *svc, const char *digest);
/* Flatten layers (complete files) into image_dir, write the metadata,
 * publish (imports). */
int gw_convert_publish(struct gw_service *svc, struct gw_job *job, const char *const *layers,
		       size_t nlayers, const char *config, size_t config_len,
		       struct berth_error *err);
void gw_job_set_phase(struct gw_service *svc, struct gw_job *job, enum gw_status status,
		      const char *phase);
/* A unique temp name "<dir>/.tmp.<tag>.<pid>.<n>". */
void gw_tmp_name(struct gw_service *svc, const char *dir, const char *tag, char *buf, size_t size);

/* gw_layers.c: the layer cache and the downloads of one pull.  start:
 * downloads (top layer first) in background threads, or all of them now
 * if !background or no thread can be made; source: the flattener reads the
 * layers through it while they arrive; finish: waits for all of them
 * (also after the flattener failed: a download's failure is the reason to
 * report), -1 with the first download's error, *restarted if a download
 * started over under the flattener (what it read may mix two attempts:
 * convert again); path: layer i's cached blob once finished; free stops
 * what still runs. */
struct gw_layer_fetch;
int gw_layers_start(struct gw_service *svc, struct gw_job *job, struct registry_client *client,
		    bool background, struct gw_layer_fetch **out, struct berth_error *err);
void gw_layers_source(struct gw_layer_fetch *f, struct flatten_source *src);
int gw_layers_finish(struct gw_layer_fetch *f, bool *restarted, struct berth_error *err);
const char *gw_layers_path(const struct gw_layer_fetch *f, size_t i);
void gw_layers_free(struct gw_layer_fetch *f);
/* Drop least recently used blobs until the cache fits (svc->lock held). */
void gw_layer_cache_prune(struct gw_service *svc);

/* gw_layerset.c: one squashfs per layer set (see there).  key: of the
 * settings and the layers' (blob digest, diff_id); claim/release: one
 * conversion per key at a time (claim waits; fails only when stopping);
 * find: a READY published image of that key; share: tmp becomes a hard
 * link to (or a copy of) its squashfs; record: key -> digest; unshare:
 * path, if hard-linked and not of mode, becomes a copy of its own. */
int gw_layerset_key(const struct gw_config *cfg, const struct registry_manifest *m,
		    const char *const *diff_ids, char key[GW_LAYERSET_KEY_SIZE], struct berth_error *err);
int gw_layerset_claim(struct gw_service *svc, const char *key, struct berth_error *err);
void gw_layerset_release(struct gw_service *svc, const char *key);
bool gw_layerset_find(struct gw_service *svc, const char *key, char digest[BERTH_DIGEST_LEN + 1]);
int gw_layerset_share(struct gw_service *svc, const char *from, const char *tmp, bool public_pull,
		      struct berth_error *err);
void gw_layerset_record(struct gw_service *svc, const char *key, const char *digest);
int gw_layerset_unshare(struct gw_service *svc, const char *path, mode_t mode, struct berth_error *err);

/* gw_access.c: <digest>.access and the image files' modes from the records
 * (common/image_access.h).  publish_private: before the squashfs is named,
 * an .access that lets nobody in; sync: after every change of the digest's
 * READY records; sync_all: at start (migrates images published before). */
int gw_access_publish_private(struct gw_service *svc, const char *digest, struct berth_error *err);
int gw_access_sync(struct gw_service *svc, const char *digest, struct berth_error *err);
void gw_access_sync_logged(struct gw_service *svc, const char *digest);
int gw_access_sync_all(struct gw_service *svc, struct berth_error *err);

/* gw_service_expire.c: the thread running autoexpire every
 * cfg->autoexpire_interval_ms (none if 0); stop wakes and joins it. */
int gw_autoexpire_timer_start(struct gw_service *svc, struct berth_error *err);
void gw_autoexpire_timer_stop(struct gw_service *svc);

/* gw_import.c */
int gw_import_run(struct gw_service *svc, struct gw_job *job, struct berth_error *err);
/* Check an archive's entry names and that it looks like an image (EINVAL). */
int gw_import_scan(const char *archive_path, struct berth_error *err);

/* gw_service_pull.c: a registry client with login (which must outlive it),
 * or with the site credentials when login is NULL. */
int gw_registry_create(struct gw_service *svc, const struct gw_registry_login *login,
		       struct registry_client **out, struct berth_error *err);
/* registry_*() error codes -> the codes of gw_service.h */
int gw_registry_error(struct berth_error *err);

#endif
