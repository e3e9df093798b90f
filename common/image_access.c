/*
 * image_access.c - see image_access.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_parser.h"
#include "fs_util.h"
#include "image_access.h"
#include "image_ref.h"

static const struct berth_conf_key access_schema[] = {
	{ "public", BERTH_CONF_BOOL, offsetof(struct berth_image_access, is_public), "no", 0, 0, NULL },
	{ "uids", BERTH_CONF_STRING, offsetof(struct berth_image_access, uids), NULL, 0, 0, NULL },
	{ "gids", BERTH_CONF_STRING, offsetof(struct berth_image_access, gids), NULL, 0, 0, NULL },
	{ "site", BERTH_CONF_BOOL, offsetof(struct berth_image_access, site), "no", 0, 0, NULL },
	BERTH_CONF_END
};

int berth_image_access_path(const char *image_dir, const char *digest, char *buf, size_t size,
			    struct berth_error *err)
{
	int n;

	if (!berth_digest_valid(digest))
		return berth_error_set(err, EINVAL, "invalid digest \"%.80s\"", digest);
	n = snprintf(buf, size, "%s/%s." BERTH_IMAGE_ACCESS_EXT, image_dir, digest);
	if (n < 0 || (size_t)n >= size)
		return berth_error_set(err, ENAMETOOLONG, "image_dir \"%s\" is too long", image_dir);
	return 0;
}

int berth_image_access_read(const char *path, struct berth_image_access *acc,
			    struct berth_error *err)
{
	int fd, rc;

	memset(acc, 0, sizeof(*acc));
	if ((fd = berth_open_image_file(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "%s", path);
	rc = berth_conf_defaults(access_schema, acc, err);
	if (rc == 0)
		rc = berth_conf_parse_fd(access_schema, acc, fd, path, err);
	close(fd);
	if (rc < 0) {
		berth_image_access_free(acc);
		return -1;
	}
	return 1;
}

static bool id_list_valid(const char *s)
{
	return !s || strspn(s, "0123456789,") == strlen(s);
}

int berth_image_access_write(const char *path, const struct berth_image_access *acc, mode_t mode,
			     struct berth_error *err)
{
	char tmp[4200], text[16384];
	int fd, n, rc = 0;

	if (!id_list_valid(acc->uids) || !id_list_valid(acc->gids))
		return berth_error_set(err, EINVAL, "image access: id list with other than digits and commas");
	n = snprintf(text, sizeof(text), "public = %s\nuids = \"%s\"\ngids = \"%s\"\n%s",
		     acc->is_public ? "yes" : "no", acc->uids ? acc->uids : "",
		     acc->gids ? acc->gids : "", acc->site ? "site = yes\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return berth_error_set(err, E2BIG, "image access: more than %zu bytes", sizeof(text));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return berth_error_set(err, ENAMETOOLONG, "path \"%s\" is too long", path);
	fd = mkostemp(tmp, O_CLOEXEC);   /* 0600, a name of its own */
	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", tmp);
	/* fchmod: the umask must not decide who reads it */
	if (fchmod(fd, mode) < 0 || write(fd, text, (size_t)n) != n || fsync(fd) < 0)
		rc = berth_error_errno(err, errno, "write \"%s\"", tmp);
	close(fd);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = berth_error_errno(err, errno, "rename \"%s\"", tmp);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

bool berth_id_list_contains(const char *list, unsigned long id)
{
	if (!list || !id_list_valid(list))
		return false;
	for (const char *p = list; *p;) {
		char *end;
		unsigned long v;

		if (*p == ',') {
			p++;
			continue;
		}
		v = strtoul(p, &end, 10);
		if (v == id)
			return true;
		p = end;
	}
	return false;
}

bool berth_image_access_allows(const struct berth_image_access *acc, uid_t uid, gid_t gid,
			       const gid_t *groups, size_t ngroups)
{
	if (acc->is_public || uid == 0 || berth_id_list_contains(acc->uids, uid) || berth_id_list_contains(acc->gids, gid))
		return true;
	for (size_t i = 0; i < ngroups; i++)
		if (berth_id_list_contains(acc->gids, groups[i]))
			return true;
	return false;
}

bool berth_image_access_shortcut_ok(const char *image_dir, const char *digest)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_access acc;
	char path[4096];
	int rc;

	if (berth_image_access_path(image_dir, digest, path, sizeof(path), &ignored) < 0)
		return false;
	rc = berth_image_access_read(path, &acc, &ignored);
	if (rc == 0)
		return true;
	rc = rc == 1 && acc.is_public;
	berth_image_access_free(&acc);
	return rc;
}

void berth_image_access_free(struct berth_image_access *acc)
{
	berth_conf_free(access_schema, acc);
}
