/*
 * gw_layerset.c - one squashfs per layer set: images whose layers are the
 * same (only their config differs: another User, Env or label) share the
 * file of the first one converted instead of converting again.
 *
 * Key: the sha256 of the conversion settings (this file's version, the
 * compressor, its level, zstd's default level, the block size) and of each
 * layer's blob digest and diff_id, bottom first.  Every download verifies
 * the blob digests, and the conversion that made the file verified that
 * those blobs inflate to those diff_ids: a file is reused only where
 * converting the image again would verify the same bytes and write the
 * same file.  The job downloads its layers first all the same (or finds
 * them in the layer cache), as a conversion would: naming another image's
 * layers is not enough to get its file.
 *
 * Index: <state_dir>/layersets/<key> names the latest image published with
 * that layer set and the inode of its squashfs (a directory only the
 * gateway reads).  An entry whose file is gone (expired) or another one
 * (converted again, copied apart) is not used; the next image of that
 * layer set converts and writes the entry again.  Published means complete
 * and verified: the entry is used before the image's records are READY
 * (the next image of the layer set waits only for the publishing).
 *
 * Sharing and access (common/image_access.h): a digest's files are 0644
 * (public) or 0600 (private), and a hard link shares the mode, so a file
 * is shared only where the modes agree, and every later change of mode
 * copies the file apart first (gw_layerset_unshare, called by gw_access.c
 * for every chmod of a .sqfs):
 *   - the other image is private (0600): a hard link, private as every new
 *     file is until its records are known;
 *   - the other image is public (0644) and so is this pull: a hard link;
 *     its bytes are the ones everybody can read already under the other
 *     name, and its .access (private until the records are READY) still
 *     decides who may run it;
 *   - the other image is public, this pull private: a copy (copy_file_range,
 *     no conversion), 0600.
 * Only regular files owned by the gateway's user are shared (never an
 * admin's image).  Images converted at the same time with the same key
 * convert once: the second waits for the first (gw_layerset_claim).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "berth_log.h"
#include "fs_util.h"
#include "gw_service_internal.h"
#include "image_access.h"

#define LAYERSET_VERSION 1   /* change with anything that changes the bytes flatten writes */

int gw_layerset_key(const struct gw_config *cfg, const struct registry_manifest *m,
		    const char *const *diff_ids, char key[GW_LAYERSET_KEY_SIZE], struct berth_error *err)
{
	static const char hex[] = "0123456789abcdef";
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char line[512];
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;

	snprintf(line, sizeof(line), "berth-layerset %d\n%s %u %d %llu\n", LAYERSET_VERSION,
		 cfg->compressor && *cfg->compressor ? cfg->compressor : "zstd",
		 (unsigned)cfg->compression_level, FLATTEN_ZSTD_LEVEL,
		 (unsigned long long)cfg->block_size);
	ok = ok && EVP_DigestUpdate(ctx, line, strlen(line)) == 1;
	for (size_t i = 0; ok && i < m->nlayers; i++) {
		snprintf(line, sizeof(line), "%s %s\n", m->layers[i].digest, diff_ids[i]);
		ok = EVP_DigestUpdate(ctx, line, strlen(line)) == 1;
	}
	ok = ok && EVP_DigestFinal_ex(ctx, md, &mdlen) == 1 && mdlen == 32;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return berth_error_set(err, ENOMEM, "layer set: cannot hash");
	for (unsigned i = 0; i < 32; i++) {
		key[2 * i] = hex[md[i] >> 4];
		key[2 * i + 1] = hex[md[i] & 15];
	}
	key[64] = '\0';
	return 0;
}

/* ------------------------------------------------------- single flight */
static int converting_index(const struct gw_service *svc, const char *key)
{
	for (unsigned i = 0; i < svc->nconverting; i++)
		if (!strcmp(svc->converting[i], key))
			return (int)i;
	return -1;
}

int gw_layerset_claim(struct gw_service *svc, const char *key, struct berth_error *err)
{
	pthread_mutex_lock(&svc->lock);
	if (converting_index(svc, key) >= 0)
		GW_COUNT(svc, n_layerset_joins);   /* single-flight: another pull converts it */
	while (!svc->stopping && converting_index(svc, key) >= 0)
		pthread_cond_wait(&svc->layerset_cond, &svc->lock);
	if (svc->stopping) {
		pthread_mutex_unlock(&svc->lock);
		return berth_error_set(err, ECANCELED, "the gateway is shutting down");
	}
	snprintf(svc->converting[svc->nconverting++], GW_LAYERSET_KEY_SIZE, "%s", key);
	pthread_mutex_unlock(&svc->lock);
	return 0;
}

void gw_layerset_release(struct gw_service *svc, const char *key)
{
	int i;

	pthread_mutex_lock(&svc->lock);
	i = converting_index(svc, key);
	if (i >= 0) {
		memmove(svc->converting[i], svc->converting[svc->nconverting - 1], GW_LAYERSET_KEY_SIZE);
		svc->nconverting--;
	}
	pthread_cond_broadcast(&svc->layerset_cond);
	pthread_mutex_unlock(&svc->lock);
}

/* ------------------------------------------------------------- index */
static void index_path(const struct gw_service *svc, const char *key, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s", svc->layersets_dir, key);
}

/* The entry: "<digest> <inode of its squashfs>\n".  The inode tells the
 * file that was made for this key from one made again later for the same
 * digest with other settings. */
bool gw_layerset_find(struct gw_service *svc, const char *key, char digest[BERTH_DIGEST_LEN + 1])
{
	char path[4096], text[160], *sp, *end;
	unsigned long long ino;
	struct stat st;
	ssize_t n;
	int fd;

	index_path(svc, key, path, sizeof(path));
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	sp = strchr(text, ' ');
	if (!sp)
		return false;
	*sp = '\0';
	errno = 0;
	ino = strtoull(sp + 1, &end, 10);
	if (errno || *end != '\n' || !berth_digest_valid(text) || !gw_published(svc, text))
		return false;
	snprintf(path, sizeof(path), "%s/%s.sqfs", svc->cfg->image_dir, text);
	if (stat(path, &st) < 0 || (unsigned long long)st.st_ino != ino)
		return false;
	memcpy(digest, text, BERTH_DIGEST_LEN + 1);   /* valid: exactly that long */
	return true;
}

void gw_layerset_record(struct gw_service *svc, const char *key, const char *digest)
{
	char path[4096], tmp[4096], line[160];
	struct berth_error err = BERTH_ERROR_INIT;
	struct stat st;
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s.sqfs", svc->cfg->image_dir, digest);
	if (stat(path, &st) < 0)
		return;
	index_path(svc, key, path, sizeof(path));
	gw_tmp_name(svc, svc->layersets_dir, "layerset", tmp, sizeof(tmp));
	snprintf(line, sizeof(line), "%s %llu\n", digest, (unsigned long long)st.st_ino);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	rc = fd < 0 ? -1 : berth_write_all(fd, line, strlen(line));
	if (fd >= 0 && close(fd) < 0)
		rc = -1;
	if (rc < 0 || rename(tmp, path) < 0) {
		berth_error_errno(&err, errno, "layer set index %s", path);
		berth_err("gateway: %s", err.msg);
		unlink(tmp);
	}
}

/* ------------------------------------------------------------ files */
/* Copy in to a new file `to` with mode (in the kernel where it can). */
static int copy_file(int in, const char *to, mode_t mode, struct berth_error *err)
{
	char buf[1 << 16];
	int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	ssize_t n;
	int rc = 0;

	if (out < 0)
		return berth_error_errno(err, errno, "create %s", to);
	while ((n = copy_file_range(in, NULL, out, NULL, (size_t)1 << 30, 0)) > 0)
		;
	if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP))
		while ((n = read(in, buf, sizeof(buf))) > 0 && berth_write_all(out, buf, (size_t)n) == 0)
			;
	if (n < 0)
		rc = berth_error_errno(err, errno, "copy to %s", to);
	if (rc == 0 && (fchmod(out, mode) < 0 || fsync(out) < 0))
		rc = berth_error_errno(err, errno, "copy to %s", to);
	if (close(out) < 0 && rc == 0)
		rc = berth_error_errno(err, errno, "copy to %s", to);
	if (rc < 0)
		unlink(to);
	return rc;
}

/* The squashfs of digest, if the gateway made it: fd and its stat. */
static int open_own_image(const struct gw_service *svc, const char *digest, struct stat *st,
			  char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s.sqfs", svc->cfg->image_dir, digest);
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return -1;
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode) || st->st_uid != geteuid()) {
		close(fd);
		return -1;
	}
	return fd;
}

int gw_layerset_share(struct gw_service *svc, const char *from, const char *tmp, bool public_pull,
		      struct berth_error *err)
{
	char path[4096];
	struct stat st, linked;
	mode_t mode;
	int fd = open_own_image(svc, from, &st, path, sizeof(path)), rc;

	if (fd < 0)
		return berth_error_set(err, ENOENT, "layer set: %s is gone", from);
	mode = st.st_mode & 07777;
	if (mode == BERTH_IMAGE_MODE_PRIVATE || (mode == BERTH_IMAGE_MODE_PUBLIC && public_pull)) {
		/* the inode must still be the one checked, and its mode unchanged */
		rc = link(path, tmp);
		if (rc == 0 && (lstat(tmp, &linked) < 0 || linked.st_ino != st.st_ino ||
				linked.st_dev != st.st_dev || (linked.st_mode & 07777) != mode)) {
			unlink(tmp);
			errno = ESTALE;
			rc = -1;
		}
		if (rc < 0)
			rc = berth_error_errno(err, errno, "layer set: link %s", path);
		else
			GW_COUNT(svc, n_layerset_links);
	} else if (mode == BERTH_IMAGE_MODE_PUBLIC) {
		rc = copy_file(fd, tmp, BERTH_IMAGE_MODE_PRIVATE, err);
		if (rc == 0)
			GW_COUNT(svc, n_layerset_copies);
	} else {
		rc = berth_error_set(err, EPERM, "layer set: %s has mode %o", path, (unsigned)mode);
	}
	close(fd);
	return rc;
}

int gw_layerset_unshare(struct gw_service *svc, const char *path, mode_t mode, struct berth_error *err)
{
	char tmp[4096];
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW), rc;

	if (fd < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "open \"%s\"", path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_nlink < 2 ||
	    (st.st_mode & 07777) == mode) {
		close(fd);
		return 0;
	}
	gw_tmp_name(svc, svc->cfg->image_dir, "unshare", tmp, sizeof(tmp));
	rc = copy_file(fd, tmp, mode, err);
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0) {
		rc = berth_error_errno(err, errno, "rename to \"%s\"", path);
		unlink(tmp);
	}
	if (rc == 0)
		berth_verbose("gateway: %s copied apart from its layer set (mode %o)", path, (unsigned)mode);
	return rc;
}
