/*
 * gw_store.h - the gateway's image records in SQLite (<state_dir>/gateway.db).
 *
 * One connection, guarded by a mutex, with prepared statements: every call
 * is one short statement or transaction, so lookups stay cheap.  Keying and
 * visibility rules: see the comment at the top of gw_store.c.
 */
#ifndef BERTH_GW_STORE_H_
#define BERTH_GW_STORE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gw_service.h"

#define GW_STORE_SCHEMA_VERSION 2
#define GW_OWNER_PUBLIC ((int64_t)-1)

struct gw_store;

/* A record as stored: the public part plus its key and ACL. */
struct gw_store_row {
	int64_t id;
	int64_t owner;                 /* GW_OWNER_PUBLIC or the private puller's uid */
	struct gw_image_record rec;    /* progress is not stored: zeroed */
};

/* Readers of a private record besides its owner. */
struct gw_store_acl {
	const uid_t *uids; size_t nuids;
	const gid_t *gids; size_t ngids;
};

static inline bool gw_status_in_progress(enum gw_status s)
{
	return s == GW_STATUS_INIT || s == GW_STATUS_PENDING ||
	       s == GW_STATUS_PULLING || s == GW_STATUS_CONVERTING;
}

/* Open or create the database at path (WAL, busy_timeout, schema). */
struct gw_store *gw_store_open(const char *path, struct berth_error *err);
void gw_store_close(struct gw_store *st);

/* The best record of canonical ref text visible to caller: the caller's own
 * private record, else another private record shared with the caller (the
 * most recently pulled), else the public one.  ENOENT if none. */
int gw_store_find_ref(struct gw_store *st, const char *ref, const struct gw_caller *caller,
		      struct gw_store_row *out, struct berth_error *err);

/* The best record with this digest visible to caller (READY first, then the
 * most recently pulled).  ENOENT if none. */
int gw_store_find_digest(struct gw_store *st, const char *digest, const struct gw_caller *caller,
			 struct gw_store_row *out, struct berth_error *err);

/* Set last_lookup of record id to now (skipped if already now). */
int gw_store_touch_lookup(struct gw_store *st, int64_t id, int64_t now, struct berth_error *err);

/* Insert or update the record (ref, owner) for a pull or import: digest,
 * status, empty message, last_pull = now, the ACL replaced (private only),
 * size/download_size as given.  The resulting row is read back into out. */
struct gw_store_pull {
	const char *ref;
	int64_t owner;
	const struct gw_store_acl *acl;   /* NULL or empty for public */
	const char *digest;
	enum gw_status status;
	uint64_t size, download_size;
	int64_t now;
	/* A READY record whose digest differs from this pull's (a moved tag)
	 * stays READY with its digest; the new digest goes to pending_digest
	 * until gw_store_finish_pending(). */
	bool keep_ready;
};
int gw_store_upsert(struct gw_store *st, const struct gw_store_pull *p, struct gw_store_row *out,
		    struct berth_error *err);

/* Every record with this digest that is in progress gets status/message
 * (and, when size is not 0, size and download_size).  Returns the number of
 * rows changed, or -1. */
int gw_store_update_digest(struct gw_store *st, const char *digest, enum gw_status status,
			   const char *message, uint64_t size, uint64_t download_size,
			   struct berth_error *err);

/* The pull of digest is over: records waiting for it (pending_digest) switch
 * to it when ready (size, download_size), else keep their READY digest and
 * get message.  Returns the number of rows changed, or -1. */
int gw_store_finish_pending(struct gw_store *st, const char *digest, bool ready,
			    const char *message, uint64_t size, uint64_t download_size,
			    struct berth_error *err);

/* Record id: set digest (if not NULL), status and message. */
int gw_store_update_id(struct gw_store *st, int64_t id, const char *digest, enum gw_status status,
		       const char *message, uint64_t size, uint64_t download_size,
		       struct berth_error *err);

/* Is some record with this digest READY?  (1 yes, 0 no, -1 error) */
int gw_store_digest_ready(struct gw_store *st, const char *digest, struct berth_error *err);

/* Who may run digest, over its READY records: *is_public if one is public;
 * else uids (owners and shared-with users) and gids as ",a,b," lists of at
 * most size bytes (longer lists are cut at a comma: fewer readers, never
 * more). */
int gw_store_digest_audience(struct gw_store *st, const char *digest, bool *is_public, char *uids,
			     char *gids, size_t size, struct berth_error *err);

/* Records visible to caller (admins see all), sorted by ref then owner;
 * in_progress_only keeps INIT..CONVERTING and records with a pending digest.  free(*out). */
int gw_store_list(struct gw_store *st, const struct gw_caller *caller, bool in_progress_only,
		  struct gw_store_row **out, size_t *count, struct berth_error *err);

/* Every record (for recovery and expiry); free(*out). */
int gw_store_all(struct gw_store *st, struct gw_store_row **out, size_t *count,
		 struct berth_error *err);

/* Caller may see a record with this owner and ACL text? (exposed for tests) */
bool gw_store_acl_allows(int64_t owner, const char *acl_uids, const char *acl_gids,
			 const struct gw_caller *caller);

#endif
