/*
 * job_spec.c - see job_spec.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_parser.h"
#include "fs_util.h"
#include "image_access.h"
#include "job_spec.h"

#define SPEC_VERSION 1
#define SPEC_MAX (64 * 1024)

static const struct berth_conf_key spec_schema[] = {
	{ "version", BERTH_CONF_UINT, offsetof(struct berth_job_spec, version), "0", 0, 0, NULL },
	{ "uid", BERTH_CONF_UINT, offsetof(struct berth_job_spec, uid), "0", 0, 0, NULL },
	{ "gid", BERTH_CONF_UINT, offsetof(struct berth_job_spec, gid), "0", 0, 0, NULL },
	{ "image", BERTH_CONF_STRING, offsetof(struct berth_job_spec, image), NULL, 0, 0, NULL },
	{ "digest", BERTH_CONF_STRING, offsetof(struct berth_job_spec, digest), NULL, 0, 0, NULL },
	{ "request", BERTH_CONF_STRING, offsetof(struct berth_job_spec, request), NULL, 0, 0, NULL },
	{ "volumes", BERTH_CONF_STRING, offsetof(struct berth_job_spec, volumes), NULL, 0, 0, NULL },
	{ "modules", BERTH_CONF_STRING, offsetof(struct berth_job_spec, modules), NULL, 0, 0, NULL },
	{ "ccm", BERTH_CONF_BOOL, offsetof(struct berth_job_spec, ccm), "no", 0, 0, NULL },
	{ "error", BERTH_CONF_STRING, offsetof(struct berth_job_spec, error), NULL, 0, 0, NULL },
	BERTH_CONF_END
};

static int path_join(char *buf, size_t size, const char *a, const char *b, struct berth_error *err)
{
	int n = snprintf(buf, size, "%s/%s", a, b);

	if (n < 0 || (size_t)n >= size)
		return berth_error_set(err, ENAMETOOLONG, "path \"%s/%s\" is too long", a, b);
	return 0;
}

int berth_job_paths(const struct berth_config *cfg, const char *node, uint32_t job_id,
		    struct berth_job_paths *paths, struct berth_error *err)
{
	int n;

	if (!node || !*node || strchr(node, '/') || strcmp(node, ".") == 0 || strcmp(node, "..") == 0)
		return berth_error_set(err, EINVAL, "node name \"%s\" cannot be used in a path",
				       node ? node : "");
	n = snprintf(paths->dir, sizeof(paths->dir), "%s/%s/%u", cfg->state_dir, node, job_id);
	if (n < 0 || (size_t)n >= sizeof(paths->dir))
		return berth_error_set(err, ENAMETOOLONG, "state_dir \"%s\" is too long", cfg->state_dir);
	if (path_join(paths->spec, sizeof(paths->spec), paths->dir, "spec", err) < 0 ||
	    path_join(paths->ns, sizeof(paths->ns), paths->dir, "ns", err) < 0 ||
	    path_join(paths->root, sizeof(paths->root), paths->dir, "root", err) < 0 ||
	    path_join(paths->tmp, sizeof(paths->tmp), paths->dir, "tmp", err) < 0 ||
	    path_join(paths->error, sizeof(paths->error), paths->dir, "error", err) < 0)
		return -1;
	return 0;
}

/* The -N <node> argument of a multiple-slurmd daemon, from /proc/self/cmdline. */
static int node_from_cmdline(char *buf, size_t size)
{
	char cmdline[4096];
	ssize_t len;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	len = read(fd, cmdline, sizeof(cmdline) - 1);
	close(fd);
	if (len <= 0)
		return -1;
	cmdline[len] = '\0';
	for (char *arg = cmdline; arg < cmdline + len; arg += strlen(arg) + 1) {
		char *next = arg + strlen(arg) + 1;
		if (strcmp(arg, "-N") == 0 && next < cmdline + len && *next) {
			snprintf(buf, size, "%s", next);
			return 0;
		}
	}
	return -1;
}

int berth_node_name(char *buf, size_t size, struct berth_error *err)
{
	const char *env = getenv("SLURMD_NODENAME");

	if (env && *env) {
		if (strlen(env) >= size)
			return berth_error_set(err, ENAMETOOLONG, "node name too long");
		snprintf(buf, size, "%s", env);
		return 0;
	}
	if (node_from_cmdline(buf, size) == 0)
		return 0;
	if (gethostname(buf, size) < 0)
		return berth_error_errno(err, errno, "gethostname");
	buf[size - 1] = '\0';
	buf[strcspn(buf, ".")] = '\0';
	return 0;
}

int berth_image_files(const struct berth_config *cfg, const char *digest, char *sqfs, size_t sqfs_size,
		      char *json, size_t json_size, struct berth_error *err)
{
	int n;

	if (!berth_digest_valid(digest))
		return berth_error_set(err, EINVAL, "invalid digest \"%.80s\"", digest);
	n = snprintf(sqfs, sqfs_size, "%s/%s.sqfs", cfg->image_dir, digest);
	if (n < 0 || (size_t)n >= sqfs_size)
		return berth_error_set(err, ENAMETOOLONG, "image_dir \"%s\" is too long", cfg->image_dir);
	n = snprintf(json, json_size, "%s/%s.json", cfg->image_dir, digest);
	if (n < 0 || (size_t)n >= json_size)
		return berth_error_set(err, ENAMETOOLONG, "image_dir \"%s\" is too long", cfg->image_dir);
	return 0;
}

/* The gateway's ACL as it left it beside the image (image_access.h), read
 * as root: a private image runs only for its audience; anyone else gets the
 * message of an unknown image (existence is not confirmed).  No .access: an
 * admin's image.  Unreadable or malformed: nobody. */
static bool image_allowed(const struct berth_config *cfg, const char *digest, uid_t uid, gid_t gid)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_access acc;
	struct passwd pw, *pwp = NULL;
	gid_t groups[256];
	int n = 256, rc;
	char path[4096], buf[16384];
	bool ok;

	if (berth_image_access_path(cfg->image_dir, digest, path, sizeof(path), &ignored) < 0 ||
	    (rc = berth_image_access_read(path, &acc, &ignored)) < 0)
		return false;
	if (rc == 0)
		return true;
	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &pwp) != 0 || !pwp ||
	    getgrouplist(pw.pw_name, gid, groups, &n) < 0)
		n = 0;
	ok = berth_image_access_allows(&acc, uid, gid, groups, (size_t)n);
	berth_image_access_free(&acc);
	return ok;
}

static int spec_set_image(const struct berth_job_request *req, const struct berth_config *cfg,
			  uid_t uid, gid_t gid, struct berth_job_spec *spec, struct berth_error *err)
{
	char canonical[BERTH_IMAGE_REF_MAX + 128], sqfs[4096], json[4096];
	struct stat st;

	if (!req->image.digest[0])
		return berth_error_set(err, EINVAL,
				       "image \"%s\" is not pinned to a digest (submit through job_submit/berth, or use id:<digest>)",
				       req->image_text);
	if (berth_image_files(cfg, req->image.digest, sqfs, sizeof(sqfs), json, sizeof(json), err) < 0)
		return -1;
	if (stat(sqfs, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !image_allowed(cfg, req->image.digest, uid, gid))
		return berth_error_set(err, ENOENT, "image %s is not in the image directory %s",
				       req->image.digest, cfg->image_dir);
	if (berth_image_ref_format(&req->image, canonical, sizeof(canonical), err) < 0)
		return -1;
	if (!(spec->image = strdup(canonical)) || !(spec->digest = strdup(req->image.digest)))
		return berth_error_errno(err, ENOMEM, "job spec");
	return 0;
}

int berth_job_spec_from_request(const struct berth_job_request *req, const struct berth_config *cfg,
				uid_t uid, gid_t gid, struct berth_job_spec *spec,
				struct berth_error *err)
{
	memset(spec, 0, sizeof(*spec));
	spec->version = SPEC_VERSION;
	spec->uid = uid;
	spec->gid = gid;
	spec->ccm = req->ccm;
	if (req->image_text && spec_set_image(req, cfg, uid, gid, spec, err) < 0)
		goto fail;
	if (req->volumes.count && berth_volume_list_format(&req->volumes, &spec->volumes, err) < 0)
		goto fail;
	if (req->modules && !(spec->modules = strdup(req->modules))) {
		berth_error_errno(err, ENOMEM, "job spec");
		goto fail;
	}
	return 0;
fail:
	berth_job_spec_free(spec);
	return -1;
}


static int spec_format(const struct berth_job_spec *spec, char *buf, size_t size)
{
	int n = snprintf(buf, size, "version=%u\nuid=%u\ngid=%u\nccm=%s\n", spec->version, spec->uid,
			 spec->gid, spec->ccm ? "yes" : "no");
	const char *keys[] = { "image", "digest", "request", "volumes", "modules", "error" };
	const char *values[] = { spec->image, spec->digest, spec->request, spec->volumes,
				 spec->modules, spec->error };

	/* Quoted: the parser removes the outer quotes, keeps blanks, and a line
	 * ending in '"' is never a continuation, whatever the user's value. */
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n >= 0 && (size_t)n < size; i++)
		if (values[i])
			n += snprintf(buf + n, size - n, "%s=\"%s\"\n", keys[i], values[i]);
	return (n < 0 || (size_t)n >= size) ? -1 : n;
}

static bool spec_has_newline(const struct berth_job_spec *spec)
{
	const char *values[] = { spec->image, spec->digest, spec->request, spec->volumes,
				 spec->modules, spec->error };

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++)
		if (values[i] && strpbrk(values[i], "\r\n"))
			return true;
	return false;
}

int berth_job_spec_write(const struct berth_job_spec *spec, const struct berth_job_paths *paths,
			 struct berth_error *err)
{
	char tmp[1200], *buf = malloc(SPEC_MAX);
	int fd = -1, len, rc = -1;

	if (!buf)
		return berth_error_errno(err, ENOMEM, "job spec");
	if (spec_has_newline(spec)) {
		berth_error_set(err, EINVAL, "job spec value contains a newline");
		goto out;
	}
	if ((len = spec_format(spec, buf, SPEC_MAX)) < 0) {
		berth_error_set(err, E2BIG, "job spec larger than %d bytes", SPEC_MAX);
		goto out;
	}
	if (berth_mkdir_parents(paths->dir, 0700, err) < 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", paths->spec);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		berth_error_errno(err, errno, "create \"%s\"", tmp);
		goto out;
	}
	if (write(fd, buf, len) != len || fsync(fd) < 0) {
		berth_error_errno(err, errno, "write \"%s\"", tmp);
		goto out;
	}
	if (rename(tmp, paths->spec) < 0) {
		berth_error_errno(err, errno, "rename \"%s\"", tmp);
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0)
		unlink(tmp);
	free(buf);
	return rc;
}

int berth_job_spec_write_or_fail_job(const struct berth_job_spec *spec,
				     const struct berth_job_paths *paths, struct berth_error *err)
{
	struct berth_job_spec copy = *spec, failed = { .version = SPEC_VERSION };
	char reason[BERTH_ERROR_MSG_MAX + 64];
	int rc;

	if (spec->error) {
		if (!(copy.error = strdup(spec->error)))
			return berth_error_errno(err, ENOMEM, "job spec");
		berth_error_sanitize(copy.error);
	}
	rc = berth_job_spec_write(&copy, paths, err);
	free(copy.error);
	if (rc == 0 || (err->code != EINVAL && err->code != E2BIG))
		return rc;
	snprintf(reason, sizeof(reason), "the job's request cannot be written to the node: %s",
		 err->msg);
	berth_error_sanitize(reason);
	failed.uid = spec->uid;
	failed.gid = spec->gid;
	failed.error = reason;
	*err = (struct berth_error)BERTH_ERROR_INIT;
	return berth_job_spec_write(&failed, paths, err);
}

int berth_job_spec_read(const struct berth_job_paths *paths, struct berth_job_spec *spec,
			struct berth_error *err)
{
	memset(spec, 0, sizeof(*spec));
	if (access(paths->spec, F_OK) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return berth_error_errno(err, errno, "job spec \"%s\"", paths->spec);
	}
	if (berth_conf_defaults(spec_schema, spec, err) < 0 ||
	    berth_conf_parse_file(spec_schema, spec, paths->spec, err) < 0) {
		berth_job_spec_free(spec);
		return -1;
	}
	if (spec->version != SPEC_VERSION) {
		berth_error_set(err, EINVAL, "job spec \"%s\": version %u, expected %d",
				paths->spec, spec->version, SPEC_VERSION);
		berth_job_spec_free(spec);
		return -1;
	}
	return 1;
}

void berth_job_spec_free(struct berth_job_spec *spec)
{
	berth_conf_free(spec_schema, spec);
	memset(spec, 0, sizeof(*spec));
}

int berth_job_error_write(const struct berth_job_paths *paths, const char *message,
			  struct berth_error *err)
{
	size_t len = strlen(message);
	int fd = open(paths->error, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", paths->error);
	if (write(fd, message, len) != (ssize_t)len) {
		close(fd);
		return berth_error_errno(err, errno, "write \"%s\"", paths->error);
	}
	close(fd);
	return 0;
}

int berth_job_error_read(const struct berth_job_paths *paths, char *buf, size_t size)
{
	int fd = open(paths->error, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, size - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	berth_error_sanitize(buf);
	return 1;
}
