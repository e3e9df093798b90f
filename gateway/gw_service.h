/*
 * gw_service.h - the gateway's core: image records in SQLite, the pull and
 * import workers, publishing, ACLs, expiry.  The HTTP layer (gw_http*.c)
 * authenticates the caller, parses requests and calls these functions; it
 * holds no image state of its own.  The HTTP contract: doc/gateway-api.md.
 *
 * All functions are thread-safe (the HTTP layer calls them from its thread
 * pool).  Errors follow common/berth_error.h; err->code says how the HTTP
 * layer answers:
 *   EINVAL  400      ENOENT  404 (unknown or not visible to the caller)
 *   EPERM   403      EBUSY   409      EAGAIN/ESHUTDOWN 503
 *   EHOSTUNREACH/ECONNREFUSED/ETIMEDOUT/EPROTO/EBADMSG (registry) 502
 *   anything else 500
 * Messages are one line and safe to show to the caller: they never reveal
 * a private image to someone outside its ACL.
 */
#ifndef BERTH_GW_SERVICE_H_
#define BERTH_GW_SERVICE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_error.h"
#include "gw_config.h"
#include "image_ref.h"

enum gw_status {
	GW_STATUS_INIT = 0,
	GW_STATUS_PENDING,
	GW_STATUS_PULLING,
	GW_STATUS_CONVERTING,
	GW_STATUS_READY,
	GW_STATUS_FAILURE,
	GW_STATUS_EXPIRED,
};

const char *gw_status_name(enum gw_status status);   /* "READY", ... */

#define GW_REF_MAX      (BERTH_IMAGE_REF_MAX + 128)
#define GW_MESSAGE_MAX  BERTH_ERROR_MSG_MAX
#define GW_GROUPS_MAX   256

/* Who asks: after munge (and on-behalf-of) resolution by the HTTP layer. */
struct gw_caller {
	uid_t uid;
	gid_t gid;
	gid_t groups[GW_GROUPS_MAX];  /* supplementary groups (gid included) */
	size_t ngroups;
	bool admin;
	bool importer;
};

struct gw_progress {
	char phase[16];               /* "resolve" "download" "convert" "publish" "" */
	uint32_t layers_total, layers_done;
	uint64_t bytes_total, bytes_done;
};

struct gw_image_record {
	char ref[GW_REF_MAX];         /* canonical, berth_image_ref_format() */
	char digest[BERTH_DIGEST_LEN + 1];  /* "" until known */
	enum gw_status status;
	char message[GW_MESSAGE_MAX];
	bool is_private;
	uint64_t size;                /* bytes of the squashfs */
	uint64_t download_size;       /* compressed layer bytes */
	int64_t created, last_pull, last_lookup;  /* unix seconds, 0 = never */
	/* READY record whose tag was re-pulled to another digest: that digest,
	 * until its pull is over ("" otherwise); progress is that pull's */
	char pending_digest[BERTH_DIGEST_LEN + 1];
	struct gw_progress progress;
};

/* Registry credentials a caller sent (munge-encrypted payload). */
struct gw_registry_login {
	char username[256];
	char password[1024];
};

struct gw_pull_request {
	const struct gw_registry_login *login;  /* NULL: anonymous -> public image */
	const uid_t *users;  size_t nusers;     /* extra readers (private only) */
	const gid_t *groups; size_t ngroups;
};

struct gw_counters {
	uint64_t lookups, pulls, manifest_fetches, blob_downloads;
	uint64_t layer_cache_hits, conversions, failures;
	uint64_t layerset_links, layerset_copies;  /* images that shared a squashfs */
	unsigned workers, queued, active;
};

struct gw_service;

/* Open (create) <state_dir>/gateway.db in WAL mode, make the directories,
 * recover: records left INIT/PENDING/PULLING/CONVERTING by a previous run
 * are re-queued (or FAILED with "interrupted by a gateway restart" when
 * they cannot be), stray temp files are removed, READY records whose files
 * are missing become FAILURE; then start the workers. */
struct gw_service *gw_service_create(const struct gw_config *cfg, struct berth_error *err);

/* Stop accepting work, let running workers finish or abort cleanly (their
 * records are re-queued at the next start), close the database. */
void gw_service_destroy(struct gw_service *svc);

/* Tag or digest -> record (no registry round trip).  ENOENT if unknown or
 * not visible.  Updates last_lookup. */
int gw_lookup(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, struct gw_image_record *out,
	      struct berth_error *err);

/* Resolve the manifest now (registry errors -> 404/502 codes above), then
 * queue the download+conversion (single-flight per digest).  *accepted is
 * true when work is in progress (HTTP 202), false when the digest was
 * already READY (HTTP 200). */
int gw_pull(struct gw_service *svc, const struct gw_caller *caller,
	    const struct berth_image_ref *ref, const struct gw_pull_request *req,
	    struct gw_image_record *out, bool *accepted, struct berth_error *err);

/* One record with its progress (ENOENT if not visible). */
int gw_status(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, struct gw_image_record *out,
	      struct berth_error *err);

/* Records visible to caller (in_progress_only: not READY/FAILURE/EXPIRED),
 * sorted by ref; free *out with free(). */
int gw_list(struct gw_service *svc, const struct gw_caller *caller, bool in_progress_only,
	    struct gw_image_record **out, size_t *count, struct berth_error *err);

/* Import an image from an archive already stored by the HTTP layer at
 * archive_path (inside <state_dir>/tmp; the service takes ownership and
 * removes it).  ref must be docker:localhost/NAME[:TAG].  EPERM unless
 * caller->importer. */
int gw_import(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, const char *archive_path,
	      struct gw_image_record *out, struct berth_error *err);

/* Admins only (EPERM).  Expired refs are returned as a malloc'd array of
 * malloc'd strings (free both); ENOENT if ref is unknown. */
int gw_expire(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, char ***expired, size_t *count,
	      struct berth_error *err);
int gw_autoexpire(struct gw_service *svc, const struct gw_caller *caller,
		  char ***expired, size_t *count, struct berth_error *err);

void gw_get_counters(struct gw_service *svc, struct gw_counters *out);

/* The service's counters, which the HTTP layer adds to (gw_metrics.h);
 * NULL for a NULL svc. */
struct gw_metrics *gw_service_metrics(struct gw_service *svc);
/* Everything GET /metrics shows, copied now. */
struct gw_metrics_view;
void gw_metrics_collect(struct gw_service *svc, struct gw_metrics_view *out);

/* The directory the HTTP layer stores import uploads in. */
const char *gw_service_tmp_dir(const struct gw_service *svc);

#endif
