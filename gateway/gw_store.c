/*
 * gw_store.c - image records in SQLite (see gw_store.h).
 *
 * Keying.  A record is keyed by (ref, owner): ref is the canonical reference
 * text (berth_image_ref_format), owner is -1 for the public record of that
 * ref and the puller's uid for a private one (a pull made with registry
 * credentials).  So the public record of "docker:reg/x:1" and alice's
 * private record of the same text are two rows that never overwrite each
 * other: an anonymous pull cannot turn alice's private record public, and
 * alice's private pull cannot change what everybody else resolves the tag
 * to.  Two users pulling the same private ref with their own credentials
 * get one row each.  The image files are shared by digest: a READY row of
 * any owner means <digest>.sqfs is published (whoever can name the digest
 * through a visible record may use it).
 *
 * Visibility (gw_store_acl_allows): a public row is visible to everybody; a
 * private row to its owner, the uids in acl_uids and members of the gids in
 * acl_gids (the caller's gid or supplementary groups), and to admins.  Rows
 * a caller may not see are skipped exactly as missing rows, so the caller
 * gets the same ENOENT as for an unknown image.
 *
 * Lookup of a ref picks the caller's own private row, else the most recently
 * pulled private row shared with the caller, else the public row.
 *
 * Re-pulls.  When a READY row's tag is pulled again and now names another
 * digest that is not READY yet, the row keeps its digest and READY status
 * (jobs keep being pinned to the old image) and the new digest goes to
 * pending_digest; gw_store_finish_pending() switches the row when that pull
 * is READY, or clears pending_digest (with a message) when it failed.
 *
 * Schema version: PRAGMA user_version (GW_STORE_SCHEMA_VERSION); a newer
 * database is refused, an empty one is created.  WAL journal, synchronous=
 * NORMAL (a committed READY survives a gateway crash; only a power loss may
 * lose the last transactions, which recovery treats like an interrupted pull).
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "gw_store.h"
#include "image_access.h"

#define ROW_COLUMNS "id, ref, owner, digest, status, message, private, acl_uids, acl_gids, " \
	"size, download_size, created, last_pull, last_lookup, pending_digest"

enum stmt_id {
	ST_BY_REF, ST_BY_DIGEST, ST_TOUCH, ST_FIND_KEY, ST_INSERT, ST_UPDATE_PULL,
	ST_UPDATE_DIGEST, ST_UPDATE_DIGEST_SIZE, ST_UPDATE_ID, ST_DIGEST_READY, ST_ALL,
	ST_SET_PENDING, ST_PENDING_READY, ST_PENDING_FAILED, ST_AUDIENCE, ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BY_REF] = "SELECT " ROW_COLUMNS " FROM records WHERE ref = ?1",
	[ST_BY_DIGEST] = "SELECT " ROW_COLUMNS " FROM records WHERE digest = ?1",
	[ST_TOUCH] = "UPDATE records SET last_lookup = ?2 WHERE id = ?1 AND last_lookup <> ?2",
	[ST_FIND_KEY] = "SELECT id, status, digest FROM records WHERE ref = ?1 AND owner = ?2",
	[ST_INSERT] = "INSERT INTO records (ref, owner, digest, status, message, private, acl_uids, "
		"acl_gids, size, download_size, created, last_pull, last_lookup) "
		"VALUES (?1, ?2, ?3, ?4, '', ?5, ?6, ?7, ?8, ?9, ?10, ?10, 0)",
	[ST_UPDATE_PULL] = "UPDATE records SET digest = ?3, status = ?4, message = '', private = ?5, "
		"pending_digest = '', "
		"acl_uids = ?6, acl_gids = ?7, size = ?8, download_size = ?9, last_pull = ?10 "
		"WHERE id = ?1",
	[ST_UPDATE_DIGEST] = "UPDATE records SET status = ?2, message = ?3 "
		"WHERE digest = ?1 AND status BETWEEN 0 AND 3",
	[ST_UPDATE_DIGEST_SIZE] = "UPDATE records SET status = ?2, message = ?3, size = ?4, "
		"download_size = ?5 WHERE digest = ?1 AND status BETWEEN 0 AND 3",
	[ST_UPDATE_ID] = "UPDATE records SET digest = coalesce(?2, digest), status = ?3, message = ?4, "
		"size = CASE WHEN ?5 > 0 THEN ?5 ELSE size END, "
		"download_size = CASE WHEN ?6 > 0 THEN ?6 ELSE download_size END WHERE id = ?1",
	[ST_DIGEST_READY] = "SELECT 1 FROM records WHERE digest = ?1 AND status = 4 LIMIT 1",
	[ST_ALL] = "SELECT " ROW_COLUMNS " FROM records ORDER BY ref, owner",
	[ST_AUDIENCE] = "SELECT owner, acl_uids, acl_gids FROM records WHERE digest = ?1 AND status = 4",
	/* a READY record whose tag moved: keeps serving its digest meanwhile */
	[ST_SET_PENDING] = "UPDATE records SET pending_digest = ?3, message = '', private = ?5, "
		"acl_uids = ?6, acl_gids = ?7, last_pull = ?10 WHERE id = ?1",
	[ST_PENDING_READY] = "UPDATE records SET digest = ?1, status = 4, message = '', "
		"pending_digest = '', size = ?2, download_size = ?3 "
		"WHERE pending_digest = ?1 AND status = 4",
	[ST_PENDING_FAILED] = "UPDATE records SET pending_digest = '', "
		"message = CASE WHEN status = 4 THEN coalesce(?2, message) ELSE message END "
		"WHERE pending_digest = ?1",
};

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS records ("
	" id INTEGER PRIMARY KEY,"
	" ref TEXT NOT NULL,"
	" owner INTEGER NOT NULL,"           /* -1 public, else uid of the private puller */
	" digest TEXT NOT NULL DEFAULT '',"
	" status INTEGER NOT NULL,"          /* enum gw_status */
	" message TEXT NOT NULL DEFAULT '',"
	" private INTEGER NOT NULL DEFAULT 0,"
	" acl_uids TEXT NOT NULL DEFAULT '',"  /* ",1001,1002," */
	" acl_gids TEXT NOT NULL DEFAULT '',"
	" size INTEGER NOT NULL DEFAULT 0,"
	" download_size INTEGER NOT NULL DEFAULT 0,"
	" created INTEGER NOT NULL,"
	" last_pull INTEGER NOT NULL DEFAULT 0,"
	" last_lookup INTEGER NOT NULL DEFAULT 0,"
	" pending_digest TEXT NOT NULL DEFAULT '',"  /* READY record: the digest being pulled */
	" UNIQUE (ref, owner));"
	"CREATE INDEX IF NOT EXISTS records_digest ON records (digest);"
	"CREATE INDEX IF NOT EXISTS records_pending ON records (pending_digest);";

/* Version 1 -> 2: the pending digest of a re-pulled tag. */
static const char migrate_v1_sql[] =
	"ALTER TABLE records ADD COLUMN pending_digest TEXT NOT NULL DEFAULT '';"
	"CREATE INDEX IF NOT EXISTS records_pending ON records (pending_digest);";

struct gw_store {
	sqlite3 *db;
	pthread_mutex_t lock;
	sqlite3_stmt *stmt[ST_COUNT];
};

static int db_error(struct gw_store *st, struct berth_error *err, const char *what)
{
	int code = sqlite3_errcode(st->db);

	return berth_error_set(err, code == SQLITE_BUSY || code == SQLITE_LOCKED ? EAGAIN : EIO,
			       "state database: %s: %s", what, sqlite3_errmsg(st->db));
}

static int exec_sql(struct gw_store *st, const char *sql, struct berth_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		berth_error_set(err, EIO, "state database: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int pragma_int(struct gw_store *st, const char *sql, int *out, struct berth_error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
		return db_error(st, err, sql);
	rc = sqlite3_step(s);
	*out = rc == SQLITE_ROW ? sqlite3_column_int(s, 0) : 0;
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, sql);
	return 0;
}

static int setup_schema(struct gw_store *st, struct berth_error *err)
{
	int version = 0;  /* (set by pragma_int; gcc 14 cannot see it) */
	char sql[64];

	if (exec_sql(st, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; "
		     "PRAGMA foreign_keys = ON;", err) < 0 ||
	    pragma_int(st, "PRAGMA user_version", &version, err) < 0)
		return -1;
	if (version > GW_STORE_SCHEMA_VERSION)
		return berth_error_set(err, EPROTO, "state database: schema version %d is newer than "
				       "this gateway's (%d)", version, GW_STORE_SCHEMA_VERSION);
	if (version == GW_STORE_SCHEMA_VERSION)
		return 0;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d;", GW_STORE_SCHEMA_VERSION);
	if (exec_sql(st, "BEGIN IMMEDIATE;", err) < 0)
		return -1;
	if (exec_sql(st, version == 1 ? migrate_v1_sql : schema_sql, err) < 0 ||
	    exec_sql(st, sql, err) < 0) {
		exec_sql(st, "ROLLBACK;", NULL);
		return -1;
	}
	return exec_sql(st, "COMMIT;", err);
}

struct gw_store *gw_store_open(const char *path, struct berth_error *err)
{
	struct gw_store *st = calloc(1, sizeof(*st));

	if (!st) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&st->lock, NULL);
	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		berth_error_set(err, EIO, "state database %s: %s", path,
				st->db ? sqlite3_errmsg(st->db) : "cannot open");
		gw_store_close(st);
		return NULL;
	}
	sqlite3_busy_timeout(st->db, 5000);
	if (setup_schema(st, err) < 0)
		goto fail;
	for (int i = 0; i < ST_COUNT; i++) {
		if (sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &st->stmt[i], NULL) != SQLITE_OK) {
			db_error(st, err, "prepare");
			goto fail;
		}
	}
	return st;
fail:
	berth_error_prefix(err, "%s", path);
	gw_store_close(st);
	return NULL;
}

void gw_store_close(struct gw_store *st)
{
	if (!st)
		return;
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(st->stmt[i]);
	if (st->db)
		sqlite3_close(st->db);
	pthread_mutex_destroy(&st->lock);
	free(st);
}

/* ------------------------------------------------------------------ ACLs */
bool gw_store_acl_allows(int64_t owner, const char *acl_uids, const char *acl_gids,
			 const struct gw_caller *caller)
{
	if (owner == GW_OWNER_PUBLIC || caller->admin || owner == (int64_t)caller->uid)
		return true;
	if (berth_id_list_contains(acl_uids, caller->uid) || berth_id_list_contains(acl_gids, caller->gid))
		return true;
	for (size_t i = 0; i < caller->ngroups && i < GW_GROUPS_MAX; i++)
		if (berth_id_list_contains(acl_gids, caller->groups[i]))
			return true;
	return false;
}

static void format_ids(char *buf, size_t size, const unsigned *ids, size_t n)
{
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && len + 12 < size; i++)
		len += (size_t)snprintf(buf + len, size - len, "%s%u,", i ? "" : ",", ids[i]);
}

/* --------------------------------------------------------------- reading */
static void copy_text(char *dst, size_t size, sqlite3_stmt *s, int col)
{
	const unsigned char *t = sqlite3_column_text(s, col);

	snprintf(dst, size, "%s", t ? (const char *)t : "");
}

static void read_row(sqlite3_stmt *s, struct gw_store_row *row)
{
	struct gw_image_record *r = &row->rec;
	int status = sqlite3_column_int(s, 4);

	memset(row, 0, sizeof(*row));
	row->id = sqlite3_column_int64(s, 0);
	copy_text(r->ref, sizeof(r->ref), s, 1);
	row->owner = sqlite3_column_int64(s, 2);
	copy_text(r->digest, sizeof(r->digest), s, 3);
	r->status = status >= GW_STATUS_INIT && status <= GW_STATUS_EXPIRED ? (enum gw_status)status
									    : GW_STATUS_FAILURE;
	copy_text(r->message, sizeof(r->message), s, 5);
	r->is_private = sqlite3_column_int(s, 6) != 0;
	r->size = (uint64_t)sqlite3_column_int64(s, 9);
	r->download_size = (uint64_t)sqlite3_column_int64(s, 10);
	r->created = sqlite3_column_int64(s, 11);
	r->last_pull = sqlite3_column_int64(s, 12);
	r->last_lookup = sqlite3_column_int64(s, 13);
	copy_text(r->pending_digest, sizeof(r->pending_digest), s, 14);
}

static bool row_visible(sqlite3_stmt *s, const struct gw_caller *caller)
{
	return gw_store_acl_allows(sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 7),
				   (const char *)sqlite3_column_text(s, 8), caller);
}

/* Rank of a candidate row for a lookup: higher wins. */
static int ref_rank(const struct gw_store_row *row, const struct gw_caller *caller)
{
	if (row->owner == (int64_t)caller->uid)
		return 3;
	return row->owner == GW_OWNER_PUBLIC ? 1 : 2;
}

static int digest_rank(const struct gw_store_row *row, const struct gw_caller *caller)
{
	return (row->rec.status == GW_STATUS_READY ? 10 : 0) + ref_rank(row, caller);
}

static int find_best(struct gw_store *st, enum stmt_id id, const char *key,
		     const struct gw_caller *caller, struct gw_store_row *out,
		     struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[id];
	struct gw_store_row cand;
	int best = -1, rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int rank;

		if (!row_visible(s, caller))
			continue;
		read_row(s, &cand);
		rank = id == ST_BY_REF ? ref_rank(&cand, caller) : digest_rank(&cand, caller);
		if (rank > best || (rank == best && cand.rec.last_pull > out->rec.last_pull)) {
			best = rank;
			*out = cand;
		}
	}
	if (rc != SQLITE_DONE)
		db_error(st, err, "lookup");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	if (rc != SQLITE_DONE)
		return -1;
	if (best < 0)
		return berth_error_set(err, ENOENT, "not found");
	return 0;
}

int gw_store_find_ref(struct gw_store *st, const char *ref, const struct gw_caller *caller,
		      struct gw_store_row *out, struct berth_error *err)
{
	return find_best(st, ST_BY_REF, ref, caller, out, err);
}

int gw_store_find_digest(struct gw_store *st, const char *digest, const struct gw_caller *caller,
			 struct gw_store_row *out, struct berth_error *err)
{
	return find_best(st, ST_BY_DIGEST, digest, caller, out, err);
}

/* Step a bound write statement to completion (lock held). */
static int step_done(struct gw_store *st, sqlite3_stmt *s, const char *what, struct berth_error *err)
{
	int rc = sqlite3_step(s);

	if (rc != SQLITE_DONE)
		db_error(st, err, what);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : -1;
}

int gw_store_touch_lookup(struct gw_store *st, int64_t id, int64_t now, struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_TOUCH];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = step_done(st, s, "update last_lookup", err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

/* ---------------------------------------------------------------- writing */
static int read_id(struct gw_store *st, int64_t id, struct gw_store_row *out, struct berth_error *err)
{
	sqlite3_stmt *s;
	int rc;

	if (sqlite3_prepare_v2(st->db, "SELECT " ROW_COLUMNS " FROM records WHERE id = ?1", -1, &s,
			       NULL) != SQLITE_OK)
		return db_error(st, err, "prepare");
	sqlite3_bind_int64(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		read_row(s, out);
	else
		db_error(st, err, "read back");
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : -1;
}

static int upsert_locked(struct gw_store *st, const struct gw_store_pull *p, int64_t *id,
			 struct berth_error *err)
{
	sqlite3_stmt *find = st->stmt[ST_FIND_KEY], *s;
	char uids[GW_GROUPS_MAX * 12 + 2] = "", gids[GW_GROUPS_MAX * 12 + 2] = "";
	bool priv = p->owner != GW_OWNER_PUBLIC, keep;
	int rc;

	sqlite3_bind_text(find, 1, p->ref, -1, SQLITE_STATIC);
	sqlite3_bind_int64(find, 2, p->owner);
	rc = sqlite3_step(find);
	*id = rc == SQLITE_ROW ? sqlite3_column_int64(find, 0) : 0;
	keep = rc == SQLITE_ROW && p->keep_ready && p->status != GW_STATUS_READY && p->digest &&
	       sqlite3_column_int(find, 1) == GW_STATUS_READY && sqlite3_column_text(find, 2) &&
	       strcmp((const char *)sqlite3_column_text(find, 2), p->digest) != 0;
	sqlite3_reset(find);
	sqlite3_clear_bindings(find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return db_error(st, err, "find record");
	if (priv && p->acl) {
		format_ids(uids, sizeof(uids), (const unsigned *)p->acl->uids,
			   p->acl->nuids < GW_GROUPS_MAX ? p->acl->nuids : GW_GROUPS_MAX);
		format_ids(gids, sizeof(gids), (const unsigned *)p->acl->gids,
			   p->acl->ngids < GW_GROUPS_MAX ? p->acl->ngids : GW_GROUPS_MAX);
	}
	s = st->stmt[keep ? ST_SET_PENDING : *id ? ST_UPDATE_PULL : ST_INSERT];
	if (*id)
		sqlite3_bind_int64(s, 1, *id);
	else
		sqlite3_bind_text(s, 1, p->ref, -1, SQLITE_STATIC);
	if (!keep) {
		sqlite3_bind_int64(s, 2, p->owner);
		sqlite3_bind_int(s, 4, (int)p->status);
		sqlite3_bind_int64(s, 8, (int64_t)p->size);
		sqlite3_bind_int64(s, 9, (int64_t)p->download_size);
	}
	sqlite3_bind_text(s, 3, p->digest ? p->digest : "", -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, priv);
	sqlite3_bind_text(s, 6, uids, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(s, 7, gids, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(s, 10, p->now);
	if (step_done(st, s, *id ? "update record" : "insert record", err) < 0)
		return -1;
	if (!*id)
		*id = sqlite3_last_insert_rowid(st->db);
	return 0;
}

int gw_store_upsert(struct gw_store *st, const struct gw_store_pull *p, struct gw_store_row *out,
		    struct berth_error *err)
{
	int64_t id;
	int rc;

	pthread_mutex_lock(&st->lock);
	rc = exec_sql(st, "BEGIN IMMEDIATE;", err);
	if (rc == 0) {
		rc = upsert_locked(st, p, &id, err);
		if (rc == 0)
			rc = exec_sql(st, "COMMIT;", err);
		if (rc < 0)
			exec_sql(st, "ROLLBACK;", NULL);
	}
	if (rc == 0 && out)
		rc = read_id(st, id, out, err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int gw_store_update_digest(struct gw_store *st, const char *digest, enum gw_status status,
			   const char *message, uint64_t size, uint64_t download_size,
			   struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[size ? ST_UPDATE_DIGEST_SIZE : ST_UPDATE_DIGEST];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, (int)status);
	sqlite3_bind_text(s, 3, message ? message : "", -1, SQLITE_STATIC);
	if (size) {
		sqlite3_bind_int64(s, 4, (int64_t)size);
		sqlite3_bind_int64(s, 5, (int64_t)download_size);
	}
	rc = step_done(st, s, "update status", err);
	if (rc == 0)
		rc = sqlite3_changes(st->db);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int gw_store_update_id(struct gw_store *st, int64_t id, const char *digest, enum gw_status status,
		       const char *message, uint64_t size, uint64_t download_size,
		       struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_UPDATE_ID];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_int64(s, 1, id);
	if (digest)
		sqlite3_bind_text(s, 2, digest, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(s, 2);
	sqlite3_bind_int(s, 3, (int)status);
	sqlite3_bind_text(s, 4, message ? message : "", -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (int64_t)size);
	sqlite3_bind_int64(s, 6, (int64_t)download_size);
	rc = step_done(st, s, "update record", err);
	pthread_mutex_unlock(&st->lock);
	return rc;
}

int gw_store_finish_pending(struct gw_store *st, const char *digest, bool ready,
			    const char *message, uint64_t size, uint64_t download_size,
			    struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_PENDING_READY], *clear = st->stmt[ST_PENDING_FAILED];
	int rc = 0, changed = 0;

	pthread_mutex_lock(&st->lock);
	if (ready) {
		sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 2, (int64_t)size);
		sqlite3_bind_int64(s, 3, (int64_t)download_size);
		rc = step_done(st, s, "update pending pull", err);
		changed = rc == 0 ? sqlite3_changes(st->db) : 0;
	}
	/* failed: READY records keep their digest and say why; records no longer
	 * READY (expired meanwhile) just forget the pull */
	sqlite3_bind_text(clear, 1, digest, -1, SQLITE_STATIC);
	if (ready)
		sqlite3_bind_null(clear, 2);
	else
		sqlite3_bind_text(clear, 2, message ? message : "", -1, SQLITE_STATIC);
	if (rc == 0)
		rc = step_done(st, clear, "update pending pull", err);
	else
		sqlite3_clear_bindings(clear);
	if (rc == 0)
		changed += sqlite3_changes(st->db);
	pthread_mutex_unlock(&st->lock);
	return rc < 0 ? -1 : changed;
}

int gw_store_digest_ready(struct gw_store *st, const char *digest, struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_DIGEST_READY];
	int rc;

	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
	rc = sqlite3_step(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		db_error(st, err, "lookup digest");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

/* ",a,b," + ",c," -> ",a,b,c,": append list (the store's id text) to buf,
 * whole or not at all (a cut number would name another id). */
static void append_ids(char *buf, size_t size, const char *list)
{
	size_t len = strlen(buf), n;

	if (!list)
		return;
	list += strspn(list, ",");
	n = strlen(list);
	if (n == 0 || (len ? len : 1) + n + 2 > size)
		return;
	if (len == 0)
		buf[len++] = ',';
	memcpy(buf + len, list, n);
	len += n;
	if (buf[len - 1] != ',')
		buf[len++] = ',';
	buf[len] = '\0';
}

int gw_store_digest_audience(struct gw_store *st, const char *digest, bool *is_public, char *uids,
			     char *gids, size_t size, struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_AUDIENCE];
	int rc;

	*is_public = false;
	uids[0] = gids[0] = '\0';
	pthread_mutex_lock(&st->lock);
	sqlite3_bind_text(s, 1, digest, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t owner = sqlite3_column_int64(s, 0);
		char id[24];

		if (owner == GW_OWNER_PUBLIC) {
			*is_public = true;
			continue;
		}
		snprintf(id, sizeof(id), "%" PRId64, owner);
		append_ids(uids, size, id);
		append_ids(uids, size, (const char *)sqlite3_column_text(s, 1));
		append_ids(gids, size, (const char *)sqlite3_column_text(s, 2));
	}
	if (rc != SQLITE_DONE)
		db_error(st, err, "audience of digest");
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	pthread_mutex_unlock(&st->lock);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int collect(struct gw_store *st, const struct gw_caller *caller, bool in_progress_only,
		   struct gw_store_row **out, size_t *count, struct berth_error *err)
{
	sqlite3_stmt *s = st->stmt[ST_ALL];
	struct gw_store_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	pthread_mutex_lock(&st->lock);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (caller && !row_visible(s, caller))
			continue;
		if (in_progress_only && !gw_status_in_progress((enum gw_status)sqlite3_column_int(s, 4)) &&
		    sqlite3_column_bytes(s, 14) == 0)
			continue;
		if (n == cap) {
			struct gw_store_row *grown = realloc(rows, (cap ? cap * 2 : 16) * sizeof(*rows));

			if (!grown) {
				rc = SQLITE_NOMEM;
				break;
			}
			rows = grown;
			cap = cap ? cap * 2 : 16;
		}
		read_row(s, &rows[n++]);
	}
	if (rc != SQLITE_DONE)
		db_error(st, err, "list");
	sqlite3_reset(s);
	pthread_mutex_unlock(&st->lock);
	if (rc != SQLITE_DONE) {
		free(rows);
		return -1;
	}
	*out = rows;
	*count = n;
	return 0;
}

int gw_store_list(struct gw_store *st, const struct gw_caller *caller, bool in_progress_only,
		  struct gw_store_row **out, size_t *count, struct berth_error *err)
{
	return collect(st, caller, in_progress_only, out, count, err);
}

int gw_store_all(struct gw_store *st, struct gw_store_row **out, size_t *count,
		 struct berth_error *err)
{
	return collect(st, NULL, false, out, count, err);
}
