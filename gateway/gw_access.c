/*
 * gw_access.c - publish who may run an image beside it (common/
 * image_access.h): <digest>.access, and the modes of <digest>.sqfs, .json
 * and .access (0644 public, 0600 private).
 *
 * A digest is public when one READY public record uses it; then anyone who
 * names it may run it, as the gateway's lookup by digest already allows.
 * Otherwise its audience is the union of its READY private records' owners
 * and readers.  Files are published private (gw_access_publish_private,
 * before the squashfs gets its name) and opened only by gw_access_sync
 * once a record made the image public: a new image is never readable, nor
 * runnable from the image_dir shortcut, before the ACL is known.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_log.h"
#include "gw_service_internal.h"
#include "image_access.h"

#define AUDIENCE_MAX 8192

static int image_file(const struct gw_service *svc, const char *digest, const char *ext, char *buf,
		      size_t size, struct berth_error *err)
{
	int n = snprintf(buf, size, "%s/%s.%s", svc->cfg->image_dir, digest, ext);

	if (n < 0 || (size_t)n >= size)
		return berth_error_set(err, ENAMETOOLONG, "image_dir \"%s\" is too long",
				       svc->cfg->image_dir);
	return 0;
}

/* An .access with site = yes stays public, whatever the records say. */
static bool site_image(const char *path)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_access now;
	bool site;

	if (berth_image_access_read(path, &now, &ignored) != 1)
		return false;
	site = now.site;
	berth_image_access_free(&now);
	return site;
}

/* The admin's image: in image_dir, without .access, not owned by the
 * gateway's user (what a gateway published is its own, whatever version:
 * leftovers of an older one stay private) and no READY record (an older
 * gateway's images have one: they are migrated, not adopted).  Readable
 * by all already, and the admin's choice: a private pull of the same
 * digest must not take it away from everybody. */
static bool admin_image(struct gw_service *svc, const char *digest, const char *access_path)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	char sqfs[4096];
	struct stat st;

	if (image_file(svc, digest, "sqfs", sqfs, sizeof(sqfs), &ignored) < 0 ||
	    stat(sqfs, &st) < 0 || st.st_uid == geteuid() || access(access_path, F_OK) == 0 ||
	    errno != ENOENT)
		return false;
	return gw_store_digest_ready(svc->store, digest, &ignored) == 0;
}

int gw_access_publish_private(struct gw_service *svc, const char *digest, struct berth_error *err)
{
	struct berth_image_access acc = { .is_public = false };
	char path[4096];

	if (berth_image_access_path(svc->cfg->image_dir, digest, path, sizeof(path), err) < 0)
		return -1;
	if (site_image(path))
		return 0;
	if (admin_image(svc, digest, path)) {
		acc.is_public = acc.site = true;
		return berth_image_access_write(path, &acc, BERTH_IMAGE_MODE_PUBLIC, err);
	}
	return berth_image_access_write(path, &acc, BERTH_IMAGE_MODE_PRIVATE, err);
}

/* chmod the image's files (an absent one is fine: not published yet). */
static int set_modes(struct gw_service *svc, const char *digest, mode_t mode,
		     struct berth_error *err)
{
	static const char *const exts[] = { "sqfs", "json" };
	char path[4096];

	for (size_t i = 0; i < sizeof(exts) / sizeof(exts[0]); i++) {
		if (image_file(svc, digest, exts[i], path, sizeof(path), err) < 0)
			return -1;
		/* a squashfs shared with another image (gw_layerset.c) whose
		 * mode must not change: a copy of its own first */
		if (i == 0 && gw_layerset_unshare(svc, path, mode, err) < 0)
			return -1;
		if (chmod(path, mode) < 0 && errno != ENOENT)
			return berth_error_errno(err, errno, "chmod \"%s\"", path);
	}
	return 0;
}

static bool same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* The .access says acc already and every file has mode: nothing to write
 * (every record change re-checks every image). */
static bool unchanged(const struct gw_service *svc, const char *path,
		      const struct berth_image_access *acc, mode_t mode)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_access now;
	const char *digest = strrchr(path, '/') + 1;
	char file[4096];
	struct stat st;
	bool same;

	if (berth_image_access_read(path, &now, &ignored) != 1)
		return false;
	same = now.is_public == acc->is_public && now.site == acc->site && same_text(now.uids, acc->uids) &&
	       same_text(now.gids, acc->gids) && stat(path, &st) == 0 && (st.st_mode & 07777) == mode;
	berth_image_access_free(&now);
	for (const char *ext = "sqfs"; same && ext; ext = strcmp(ext, "sqfs") == 0 ? "json" : NULL) {
		snprintf(file, sizeof(file), "%s/%.*s.%s", svc->cfg->image_dir, BERTH_DIGEST_LEN, digest,
			 ext);
		same = stat(file, &st) == 0 && (st.st_mode & 07777) == mode;
	}
	return same;
}

int gw_access_sync(struct gw_service *svc, const char *digest, struct berth_error *err)
{
	struct berth_image_access acc = { 0 };
	char path[4096], *uids = malloc(AUDIENCE_MAX), *gids = malloc(AUDIENCE_MAX);
	mode_t mode;
	int rc = -1;

	if (!uids || !gids) {
		berth_error_errno(err, ENOMEM, "image access");
		goto out;
	}
	if (!gw_published(svc, digest)) {
		rc = 0;
		goto out;
	}
	if (berth_image_access_path(svc->cfg->image_dir, digest, path, sizeof(path), err) < 0 ||
	    gw_store_digest_audience(svc->store, digest, &acc.is_public, uids, gids, AUDIENCE_MAX,
				     err) < 0)
		goto out;
	acc.uids = uids;
	acc.gids = gids;
	if (site_image(path) || admin_image(svc, digest, path))
		acc.is_public = acc.site = true;
	mode = acc.is_public ? BERTH_IMAGE_MODE_PUBLIC : BERTH_IMAGE_MODE_PRIVATE;
	if (unchanged(svc, path, &acc, mode)) {
		rc = 0;
		goto out;
	}
	/* Closing comes first, opening last: never readable by more than the
	 * records allow, even between the two steps. */
	if (!acc.is_public && set_modes(svc, digest, mode, err) < 0)
		goto out;
	if (berth_image_access_write(path, &acc, mode, err) < 0)
		goto out;
	rc = acc.is_public ? set_modes(svc, digest, mode, err) : 0;
out:
	free(uids);
	free(gids);
	return rc < 0 ? berth_error_prefix(err, "image %s", digest) : 0;
}

void gw_access_sync_logged(struct gw_service *svc, const char *digest)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (digest && berth_digest_valid(digest) && gw_access_sync(svc, digest, &err) < 0)
		berth_err("gateway: %s", err.msg);
}

int gw_access_sync_all(struct gw_service *svc, struct berth_error *err)
{
	/* Workers and request threads both sync: one at a time, so the modes
	 * of one image are never set by two of them in crossed order. */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct gw_store_row *rows;
	size_t n, synced = 0;

	pthread_mutex_lock(&lock);
	if (gw_store_all(svc->store, &rows, &n, err) < 0) {
		pthread_mutex_unlock(&lock);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(rows[j].rec.digest, rows[i].rec.digest) == 0;
		if (seen || !berth_digest_valid(rows[i].rec.digest))
			continue;
		gw_access_sync_logged(svc, rows[i].rec.digest);
		synced++;
	}
	free(rows);
	pthread_mutex_unlock(&lock);
	berth_debug("gateway: access of %zu published image(s) checked", synced);
	return 0;
}
