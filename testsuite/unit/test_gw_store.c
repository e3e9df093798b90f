/*
 * test_gw_store.c - unit tests of gateway/gw_store.c on a temporary
 * database: schema and versioning, (ref, owner) keying, ACL visibility,
 * status updates, listing, and what survives a crashed process.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h>

#include "fs_util.h"
#include "gw_store.h"
#include "unit.h"

#define REF "docker:127.0.0.1:5000/app:v1"
#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static char dir[] = "/tmp/berth-test-gw-store.XXXXXX";
static char db_path[256];

static void setup(void)
{
	strcpy(dir, "/tmp/berth-test-gw-store.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db_path, sizeof(db_path), "%s/gateway.db", dir);
}

static void teardown(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_remove_tree(dir, &err);
}

static struct gw_store *open_store(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store *st = gw_store_open(db_path, &err);

	ck_assert_msg(st != NULL, "%s", err.msg);
	return st;
}

static struct gw_caller who(uid_t uid, gid_t gid)
{
	struct gw_caller c = { .uid = uid, .gid = gid };

	return c;
}

static int64_t put(struct gw_store *st, const char *ref, int64_t owner, const char *digest,
		   enum gw_status status, const struct gw_store_acl *acl)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_pull p = { .ref = ref, .owner = owner, .acl = acl, .digest = digest,
				   .status = status, .now = 1000 };
	struct gw_store_row row;

	ck_assert_msg(gw_store_upsert(st, &p, &row, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(row.rec.ref, ref);
	ck_assert_str_eq(row.rec.digest, digest);
	ck_assert_int_eq(row.rec.status, status);
	ck_assert_int_eq(row.rec.is_private, owner != GW_OWNER_PUBLIC);
	return row.id;
}

START_TEST(schema_versioned)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	sqlite3 *db;
	sqlite3_stmt *s;

	gw_store_close(st);
	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(s, 0), GW_STORE_SCHEMA_VERSION);
	sqlite3_finalize(s);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &s, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(s), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(s, 0), "wal");
	sqlite3_finalize(s);
	/* reopening an existing database keeps it */
	st = open_store();
	put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
	gw_store_close(st);
	st = open_store();
	{
		struct gw_caller c = who(1, 1);
		struct gw_store_row row;

		ck_assert_int_eq(gw_store_find_ref(st, REF, &c, &row, &err), 0);
	}
	gw_store_close(st);
	/* a database from a newer gateway is refused */
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	ck_assert_ptr_null(gw_store_open(db_path, &err));
	ck_assert_int_eq(err.code, EPROTO);
	ck_assert_msg(strstr(err.msg, "schema version 99") != NULL, "%s", err.msg);
}
END_TEST

START_TEST(upsert_same_key_updates)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1);
	struct gw_store_row row;
	int64_t a = put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_PENDING, NULL);
	int64_t b = put(st, REF, GW_OWNER_PUBLIC, D2, GW_STATUS_READY, NULL);

	ck_assert_int_eq(a, b);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &c, &row, &err), 0);
	ck_assert_str_eq(row.rec.digest, D2);
	ck_assert_int_eq(row.rec.created, 1000);
	ck_assert_int_eq(row.rec.last_pull, 1000);
	ck_assert_int_eq(gw_store_touch_lookup(st, row.id, 2000, &err), 0);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.last_lookup, 2000);
	/* unknown ref and digest */
	ck_assert_int_eq(gw_store_find_ref(st, "docker:x/y:z", &c, &row, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_int_eq(gw_store_find_digest(st, D1, &c, &row, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	gw_store_close(st);
}
END_TEST

START_TEST(private_and_public_are_separate)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	uid_t readers[] = { 1001 };
	gid_t groups[] = { 500 };
	struct gw_store_acl acl = { readers, 1, groups, 1 };
	struct gw_caller owner = who(1000, 100), reader = who(1001, 100), member = who(1002, 100);
	struct gw_caller stranger = who(1003, 100), admin = who(0, 0);
	struct gw_store_row row;
	int64_t priv = put(st, REF, 1000, D1, GW_STATUS_READY, &acl);

	member.groups[0] = 500;
	member.ngroups = 1;
	admin.admin = true;
	ck_assert_int_eq(gw_store_find_ref(st, REF, &owner, &row, &err), 0);
	ck_assert_int_eq(row.id, priv);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &reader, &row, &err), 0);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &member, &row, &err), 0);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &admin, &row, &err), 0);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &stranger, &row, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_int_eq(gw_store_find_digest(st, D1, &stranger, &row, &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	/* a public pull of the same ref is another row; the private one stays */
	int64_t pub = put(st, REF, GW_OWNER_PUBLIC, D2, GW_STATUS_PENDING, NULL);
	ck_assert_int_ne(pub, priv);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &stranger, &row, &err), 0);
	ck_assert_int_eq(row.id, pub);
	ck_assert_str_eq(row.rec.digest, D2);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &owner, &row, &err), 0);
	ck_assert_int_eq(row.id, priv);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert(row.rec.is_private);
	/* the stranger never sees the private digest, even by digest */
	ck_assert_int_eq(gw_store_find_digest(st, D1, &stranger, &row, &err), -1);
	ck_assert_int_eq(gw_store_find_digest(st, D2, &stranger, &row, &err), 0);
	/* another user's private pull does not touch the first one */
	ck_assert_int_ne(put(st, REF, 1003, D2, GW_STATUS_READY, NULL), priv);
	ck_assert_int_eq(gw_store_find_ref(st, REF, &reader, &row, &err), 0);
	ck_assert_int_eq(row.id, priv);
	gw_store_close(st);
}
END_TEST

START_TEST(acl_rules)
{
	struct gw_caller c = who(7, 70);

	ck_assert(gw_store_acl_allows(GW_OWNER_PUBLIC, "", "", &c));
	ck_assert(gw_store_acl_allows(7, "", "", &c));
	ck_assert(!gw_store_acl_allows(8, "", "", &c));
	ck_assert(!gw_store_acl_allows(8, ",77,", ",700,", &c));
	ck_assert(gw_store_acl_allows(8, ",77,7,", "", &c));
	ck_assert(gw_store_acl_allows(8, "", ",70,", &c));     /* primary gid */
	c.groups[0] = 700;
	c.ngroups = 1;
	ck_assert(gw_store_acl_allows(8, "", ",1,700,", &c));   /* supplementary group */
	ck_assert(!gw_store_acl_allows(8, ",17,", ",7000,", &c));  /* no prefix matches */
	c.admin = true;
	ck_assert(gw_store_acl_allows(8, "", "", &c));
}
END_TEST

START_TEST(digest_updates_only_in_progress)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1);
	struct gw_store_row row;

	put(st, "docker:r/a:1", GW_OWNER_PUBLIC, D1, GW_STATUS_PULLING, NULL);
	put(st, "docker:r/b:1", GW_OWNER_PUBLIC, D1, GW_STATUS_EXPIRED, NULL);
	put(st, "docker:r/c:1", 5, D1, GW_STATUS_PENDING, NULL);
	ck_assert_int_eq(gw_store_digest_ready(st, D1, &err), 0);
	ck_assert_int_eq(gw_store_update_digest(st, D1, GW_STATUS_READY, "", 4096, 100, &err), 2);
	ck_assert_int_eq(gw_store_digest_ready(st, D1, &err), 1);
	ck_assert_int_eq(gw_store_find_ref(st, "docker:r/a:1", &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_int_eq(row.rec.size, 4096);
	ck_assert_int_eq(row.rec.download_size, 100);
	ck_assert_int_eq(gw_store_find_ref(st, "docker:r/b:1", &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.status, GW_STATUS_EXPIRED);
	ck_assert_int_eq(gw_store_update_id(st, row.id, NULL, GW_STATUS_FAILURE, "layer 1: bad", 0, 0,
					    &err), 0);
	ck_assert_int_eq(gw_store_find_ref(st, "docker:r/b:1", &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.status, GW_STATUS_FAILURE);
	ck_assert_str_eq(row.rec.message, "layer 1: bad");
	ck_assert_str_eq(row.rec.digest, D1);
	gw_store_close(st);
}
END_TEST

START_TEST(list_visible_sorted)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1), admin = who(0, 0);
	struct gw_store_row *rows;
	size_t n;

	admin.admin = true;
	put(st, "docker:r/z:1", GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
	put(st, "docker:r/a:1", GW_OWNER_PUBLIC, D2, GW_STATUS_PULLING, NULL);
	put(st, "docker:r/m:1", 42, D2, GW_STATUS_READY, NULL);
	ck_assert_int_eq(gw_store_list(st, &c, false, &rows, &n, &err), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_str_eq(rows[0].rec.ref, "docker:r/a:1");
	ck_assert_str_eq(rows[1].rec.ref, "docker:r/z:1");
	free(rows);
	ck_assert_int_eq(gw_store_list(st, &c, true, &rows, &n, &err), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(rows[0].rec.ref, "docker:r/a:1");
	free(rows);
	ck_assert_int_eq(gw_store_list(st, &admin, false, &rows, &n, &err), 0);
	ck_assert_int_eq(n, 3);
	free(rows);
	gw_store_close(st);
}
END_TEST

/* A process that dies without closing (committed rows stay, an open
 * transaction is rolled back by the next open). */
START_TEST(survives_crash)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1);
	struct gw_store_row row;
	struct gw_store *st;
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct gw_store *child = gw_store_open(db_path, &err);
		sqlite3 *db;

		if (!child)
			_exit(2);
		put(child, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
		put(child, "docker:r/b:1", GW_OWNER_PUBLIC, D2, GW_STATUS_PULLING, NULL);
		if (sqlite3_open(db_path, &db) != SQLITE_OK ||
		    sqlite3_exec(db, "BEGIN IMMEDIATE; UPDATE records SET status = 5;", NULL, NULL,
				 NULL) != SQLITE_OK)
			_exit(3);
		_exit(0);   /* no close, no commit */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	st = open_store();
	ck_assert_int_eq(gw_store_find_ref(st, REF, &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_int_eq(gw_store_find_ref(st, "docker:r/b:1", &c, &row, &err), 0);
	ck_assert_int_eq(row.rec.status, GW_STATUS_PULLING);
	gw_store_close(st);
}
END_TEST

#define D3 "sha256:3333333333333333333333333333333333333333333333333333333333333333"

static struct gw_store_row repull(struct gw_store *st, const char *digest, enum gw_status status)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_pull p = { .ref = REF, .owner = GW_OWNER_PUBLIC, .digest = digest,
				   .status = status, .now = 2000, .keep_ready = true };
	struct gw_store_row row;

	ck_assert_msg(gw_store_upsert(st, &p, &row, &err) == 0, "%s", err.msg);
	return row;
}

static struct gw_store_row lookup_ref(struct gw_store *st)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1);
	struct gw_store_row row;

	ck_assert_msg(gw_store_find_ref(st, REF, &c, &row, &err) == 0, "%s", err.msg);
	return row;
}

/* A READY tag pulled again to a new digest keeps answering the old one. */
START_TEST(repull_keeps_ready_until_new_ready)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_caller c = who(1, 1);
	struct gw_store_row row, *rows;
	size_t n;

	put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
	row = repull(st, D2, GW_STATUS_PENDING);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_str_eq(row.rec.pending_digest, D2);
	ck_assert_int_eq(row.rec.last_pull, 2000);
	row = lookup_ref(st);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	/* the pull in progress is listed */
	ck_assert_int_eq(gw_store_list(st, &c, true, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(rows[0].rec.pending_digest, D2);
	free(rows);
	/* status updates of D2's job do not touch the record */
	ck_assert_int_eq(gw_store_update_digest(st, D2, GW_STATUS_PULLING, "", 0, 0, &err), 0);
	ck_assert_int_eq(lookup_ref(st).rec.status, GW_STATUS_READY);
	/* another digest's pull finishing changes nothing */
	ck_assert_int_eq(gw_store_finish_pending(st, D3, true, "", 5, 6, &err), 0);
	ck_assert_int_eq(gw_store_finish_pending(st, D2, true, "", 4096, 1234, &err), 1);
	row = lookup_ref(st);
	ck_assert_str_eq(row.rec.digest, D2);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_str_eq(row.rec.pending_digest, "");
	ck_assert_uint_eq(row.rec.size, 4096);
	ck_assert_uint_eq(row.rec.download_size, 1234);
	ck_assert_int_eq(gw_store_list(st, &c, true, &rows, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	free(rows);
	gw_store_close(st);
}
END_TEST

START_TEST(repull_failure_keeps_old_digest)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_row row;

	put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
	repull(st, D2, GW_STATUS_PENDING);
	ck_assert_int_eq(gw_store_finish_pending(st, D2, false, "layer x: 500", 0, 0, &err), 1);
	row = lookup_ref(st);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_str_eq(row.rec.pending_digest, "");
	ck_assert_str_eq(row.rec.message, "layer x: 500");
	/* the next pull clears the message; a pull back to the READY digest
	 * clears the pending one */
	row = repull(st, D3, GW_STATUS_PENDING);
	ck_assert_str_eq(row.rec.message, "");
	ck_assert_str_eq(row.rec.pending_digest, D3);
	row = repull(st, D1, GW_STATUS_READY);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_str_eq(row.rec.pending_digest, "");
	/* an expired record forgets a pending pull instead of coming back */
	repull(st, D2, GW_STATUS_PENDING);
	ck_assert_int_eq(gw_store_update_id(st, row.id, NULL, GW_STATUS_EXPIRED, "expired", 0, 0, &err), 0);
	ck_assert_int_eq(gw_store_finish_pending(st, D2, true, "", 1, 1, &err), 1);
	row = lookup_ref(st);
	ck_assert_int_eq(row.rec.status, GW_STATUS_EXPIRED);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_str_eq(row.rec.pending_digest, "");
	ck_assert_str_eq(row.rec.message, "expired");
	gw_store_close(st);
}
END_TEST

/* Only READY records keep their digest; a new digest already READY is
 * taken at once; keep_ready off (imports) replaces. */
START_TEST(repull_switches_when_nothing_to_keep)
{
	struct gw_store *st = open_store();
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_pull p = { .ref = REF, .owner = GW_OWNER_PUBLIC, .digest = D3,
				   .status = GW_STATUS_PENDING, .now = 3000 };
	struct gw_store_row row;

	put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_FAILURE, NULL);
	row = repull(st, D2, GW_STATUS_PENDING);
	ck_assert_str_eq(row.rec.digest, D2);
	ck_assert_int_eq(row.rec.status, GW_STATUS_PENDING);
	ck_assert_str_eq(row.rec.pending_digest, "");
	put(st, REF, GW_OWNER_PUBLIC, D1, GW_STATUS_READY, NULL);
	row = repull(st, D2, GW_STATUS_READY);
	ck_assert_str_eq(row.rec.digest, D2);
	ck_assert_int_eq(row.rec.status, GW_STATUS_READY);
	ck_assert_int_eq(gw_store_upsert(st, &p, &row, &err), 0);
	ck_assert_str_eq(row.rec.digest, D3);
	ck_assert_int_eq(row.rec.status, GW_STATUS_PENDING);
	gw_store_close(st);
}
END_TEST

/* A version 1 database gets the pending_digest column, rows kept. */
START_TEST(schema_v1_migrated)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store *st;
	struct gw_store_row row;
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"CREATE TABLE records (id INTEGER PRIMARY KEY, ref TEXT NOT NULL, owner INTEGER NOT NULL,"
		" digest TEXT NOT NULL DEFAULT '', status INTEGER NOT NULL, message TEXT NOT NULL DEFAULT '',"
		" private INTEGER NOT NULL DEFAULT 0, acl_uids TEXT NOT NULL DEFAULT '',"
		" acl_gids TEXT NOT NULL DEFAULT '', size INTEGER NOT NULL DEFAULT 0,"
		" download_size INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL,"
		" last_pull INTEGER NOT NULL DEFAULT 0, last_lookup INTEGER NOT NULL DEFAULT 0,"
		" UNIQUE (ref, owner));"
		"INSERT INTO records (ref, owner, digest, status, created) VALUES ('" REF "', -1, '" D1 "', 4, 1);"
		"PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = gw_store_open(db_path, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	row = lookup_ref(st);
	ck_assert_str_eq(row.rec.digest, D1);
	ck_assert_str_eq(row.rec.pending_digest, "");
	row = repull(st, D2, GW_STATUS_PENDING);
	ck_assert_str_eq(row.rec.pending_digest, D2);
	gw_store_close(st);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gw_store");
	TCase *tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, schema_versioned);
	tcase_add_test(tc, upsert_same_key_updates);
	tcase_add_test(tc, private_and_public_are_separate);
	tcase_add_test(tc, acl_rules);
	tcase_add_test(tc, digest_updates_only_in_progress);
	tcase_add_test(tc, list_visible_sorted);
	tcase_add_test(tc, survives_crash);
	tcase_add_test(tc, repull_keeps_ready_until_new_ready);
	tcase_add_test(tc, repull_failure_keeps_old_digest);
	tcase_add_test(tc, repull_switches_when_nothing_to_keep);
	tcase_add_test(tc, schema_v1_migrated);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
