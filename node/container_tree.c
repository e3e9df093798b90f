/*
 * container_tree.c - see container_tree.h.  This file: the build's steps,
 * the staging area, the image and the tree's root.  container_tree_sys.c
 * has /proc, /dev, /sys, /tmp and /etc; container_tree_vol.c the site
 * mounts, host paths and user volumes.
 *
 * Layout while building (all under spec->root, in the caller's private
 * mount namespace):
 *
 *   <root>            staging tmpfs (0700): hidden working area
 *   <root>/image      the squashfs, detached once the tree holds it
 *   <root>/upper,work writable overlay's upper (overlay mode)
 *   <root>/etc-*      /etc overlay's upper and work
 *   <root>/tree       the tree (tmpfs or overlay), moved onto <root> last
 *
 * After the move the staging tmpfs lies under the tree: out of reach.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "container_tree_int.h"
#include "fs_util.h"
#include "loopdev.h"
#include "safe_mount.h"
#include "safe_path.h"

#define SPLIT_MAX 16   /* read-only directories split for one mount point */
/* A user's volume may split an image directory of at most this many
 * entries (each becomes a bind in the job's namespace); larger ones are
 * refused, so an image cannot make a job's namespace huge. */
#define SPLIT_USER_ENTRIES_MAX 1024

/* The tree's own mount points: never taken from the image. */
static const char *const reserved_names[] = { "proc", "sys", "dev", "tmp", "etc", NULL };

/* Not taken from the host with --ccm (besides the reserved ones). */
static const char *const ccm_skip[] = { "proc", "sys", "dev", "tmp", "etc", NULL };

void tree_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* ------------------------------------------------------------ mounts */

int tree_bind(struct tree_ctx *ctx, int src_fd, int dst_fd, unsigned flags,
	      struct berth_error *err)
{
	ctx->mounts++;
	return berth_bind_fd(src_fd, dst_fd, flags, err);
}

int tree_mount_fs(struct tree_ctx *ctx, const char *source, int dir_fd, const char *fstype,
		  unsigned long flags, const char *data, struct berth_error *err)
{
	ctx->mounts++;
	return berth_mount_fs_fd(source, dir_fd, fstype, flags, data, err);
}

static bool in_list(const char *name, const char *const *list)
{
	for (; list && *list; list++)
		if (strcmp(name, *list) == 0)
			return true;
	return false;
}

/* One entry of tree_shadow_dir. */
static int shadow_entry(struct tree_ctx *ctx, int src_dir, int dst_dir, const char *name,
			unsigned bind_flags, struct berth_error *err)
{
	char target[PATH_MAX];
	struct stat st;
	int src = -1, dst = -1, rc = 0;
	ssize_t n;

	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "stat");
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(src_dir, name, target, sizeof(target) - 1);
		if (n < 0)
			return berth_error_errno(err, errno, "readlink");
		target[n] = '\0';
		if (symlinkat(target, dst_dir, name) < 0)
			return berth_error_errno(err, errno, "symlink");
		return 0;
	}
	if (S_ISDIR(st.st_mode))
		rc = mkdirat(dst_dir, name, 0755);
	else if (S_ISREG(st.st_mode))
		rc = mknodat(dst_dir, name, S_IFREG | 0644, 0);
	else
		return 0;   /* devices, FIFOs, sockets of an image: left out */
	if (rc < 0)
		return berth_error_errno(err, errno, "create mount point");
	src = openat(src_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	dst = openat(dst_dir, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0 || dst < 0)
		rc = berth_error_errno(err, errno, "open");
	else
		rc = tree_bind(ctx, src, dst, bind_flags, err);
	tree_close(&src);
	tree_close(&dst);
	return rc;
}

int tree_shadow_dir(struct tree_ctx *ctx, int src_fd, int dst_fd, unsigned bind_flags,
		    const char *const *skip, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	struct dirent *e;
	int fd, rc = 0;
	DIR *dir;

	fd = openat(src_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || !(dir = fdopendir(fd))) {
		rc = berth_error_errno(err, errno, "list directory");
		if (fd >= 0)
			close(fd);
		return rc;
	}
	while (rc == 0 && (errno = 0, e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (in_list(e->d_name, skip)) {
			if (mkdirat(dst_fd, e->d_name, 0755) < 0 && errno != EEXIST)
				rc = berth_error_errno(err, errno, "mkdir");
		} else {
			rc = shadow_entry(ctx, dirfd(dir), dst_fd, e->d_name, bind_flags, err);
		}
		if (rc < 0)
			berth_error_prefix(err, "\"%s\"",
					   berth_path_shown(e->d_name, shown, sizeof(shown)));
	}
	if (rc == 0 && errno)
		rc = berth_error_errno(err, errno, "list directory");
	closedir(dir);
	return rc;
}

/* ------------------------------------------------------------ mount points */

/* Turn the read-only directory path (in the tree) into a tmpfs holding
 * read-only binds of its entries, so mount points can be made in it. */
static int split_dir(struct tree_ctx *ctx, const char *path, struct berth_error *err)
{
	char data[128];
	struct stat st;
	int old = -1, now = -1, rc;

	if (ctx->n_split >= TREE_SPLIT_MAX)
		return berth_error_set(err, ENOSPC, "more than %d directories to split", TREE_SPLIT_MAX);
	if (berth_open_in_root(ctx->tree_fd, path, O_PATH | O_DIRECTORY, 0, false, &old, err) < 0)
		return -1;
	if (fstat(old, &st) < 0) {
		tree_close(&old);
		return berth_error_errno(err, errno, "stat");
	}
	snprintf(data, sizeof(data), "mode=%o,uid=%u,gid=%u,size=1m", st.st_mode & 07777,
		 (unsigned)st.st_uid, (unsigned)st.st_gid);
	rc = tree_mount_fs(ctx, "berth", old, "tmpfs", MS_NOSUID | MS_NODEV, data, err);
	if (rc == 0)
		rc = berth_open_in_root(ctx->tree_fd, path, O_PATH | O_DIRECTORY, 0, false, &now, err);
	/* Recursive: a split below this one (and what is mounted there) comes
	 * along; read-only only for the image's own entries. */
	if (rc == 0)
		rc = tree_shadow_dir(ctx, old, now,
				     BERTH_BIND_RO | BERTH_BIND_REC | BERTH_BIND_ATTR_TOP, NULL, err);
	if (rc == 0 && fstat(now, &st) == 0) {
		snprintf(ctx->split[ctx->n_split].path, PATH_MAX, "%s", path);
		ctx->split[ctx->n_split++].dev = st.st_dev;
	}
	tree_close(&old);
	tree_close(&now);
	return rc;
}

/* For a user's volume, only a directory of the image itself is split (root
 * lists it: never a host directory, which the user may not be allowed to
 * list), and only a small one. */
static int user_may_split(struct tree_ctx *ctx, const char *path, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	struct stat image, st;
	struct dirent *e;
	size_t n = 0;
	DIR *dir;
	int fd;

	berth_path_shown(path, shown, sizeof(shown));
	if (ctx->spec->host_root || fstat(ctx->image_fd, &image) < 0 ||
	    berth_open_in_root(ctx->tree_fd, path, O_RDONLY | O_DIRECTORY, 0, false, &fd, NULL) < 0)
		return berth_error_set(err, EROFS, "\"%s\" is read-only", shown);
	if (fstat(fd, &st) < 0 || st.st_dev != image.st_dev || !(dir = fdopendir(fd))) {
		close(fd);
		return berth_error_set(err, EROFS, "\"%s\" is read-only and not the image's", shown);
	}
	while (n <= SPLIT_USER_ENTRIES_MAX && (e = readdir(dir)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(dir);
	if (n > SPLIT_USER_ENTRIES_MAX)
		return berth_error_set(err, EROFS, "image directory \"%s\" has over %d entries", shown,
				       SPLIT_USER_ENTRIES_MAX);
	return 0;
}

/* The deepest directory of path that exists in the tree, into buf. */
static void deepest_existing(const struct tree_ctx *ctx, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s", path);
	for (;;) {
		char *slash = strrchr(buf, '/');
		int fd;

		if (!slash || slash == buf) {
			snprintf(buf, size, "/");
			return;
		}
		*slash = '\0';
		if (berth_open_in_root(ctx->tree_fd, buf, O_PATH | O_DIRECTORY, 0, false, &fd,
				       NULL) == 0) {
			close(fd);
			return;
		}
	}
}

/* A missing mount point is made only on the tree's own layers: the root
 * tmpfs (or overlay, whose upper is the staging tmpfs) and the split
 * tmpfs; never on what is bound from the host. */
static int make_point(struct tree_ctx *ctx, const char *path, bool dir, int *fd_out,
		      struct berth_error *err)
{
	dev_t devs[TREE_SPLIT_MAX + 1];
	size_t n = 0;
	struct stat st;

	if (fstat(ctx->tree_fd, &st) < 0)
		return berth_error_errno(err, errno, "tree root");
	devs[n++] = st.st_dev;
	for (size_t i = 0; i < ctx->n_split; i++)
		devs[n++] = ctx->split[i].dev;
	return berth_make_in_root(ctx->tree_fd, path, dir, devs, n, fd_out, err);
}

int tree_mount_point(struct tree_ctx *ctx, const char *path, bool dir, bool trusted,
		     int *fd_out, struct berth_error *err)
{
	char blocker[PATH_MAX];
	struct stat st;

	*fd_out = -1;
	for (int i = 0;; i++) {
		if (berth_open_in_root(ctx->tree_fd, path, O_PATH, 0, false, fd_out, NULL) == 0 ||
		    make_point(ctx, path, dir, fd_out, err) == 0)
			break;
		if (err->code != EROFS || i >= SPLIT_MAX)
			return -1;
		deepest_existing(ctx, path, blocker, sizeof(blocker));
		if ((!trusted && user_may_split(ctx, blocker, err) < 0) || split_dir(ctx, blocker, err) < 0)
			return -1;
	}
	if (fstat(*fd_out, &st) < 0 || (S_ISDIR(st.st_mode) != dir)) {
		tree_close(fd_out);
		return berth_error_set(err, ENOTDIR, "mount point is not a %s",
				       dir ? "directory" : "file");
	}
	return 0;
}

int tree_reserved_dir(struct tree_ctx *ctx, const char *name, int *fd_out,
		      struct berth_error *err)
{
	struct stat st;

	*fd_out = -1;
	if (fstatat(ctx->tree_fd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    unlinkat(ctx->tree_fd, name, 0) < 0)
		return berth_error_errno(err, errno, "replace \"/%s\"", name);
	if (mkdirat(ctx->tree_fd, name, 0755) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "create \"/%s\"", name);
	*fd_out = openat(ctx->tree_fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (*fd_out < 0)
		return berth_error_errno(err, errno, "open \"/%s\"", name);
	return 0;
}

int tree_canonical(const struct tree_ctx *ctx, int fd, char *buf, size_t size,
		   struct berth_error *err)
{
	char proc[32], real[PATH_MAX];
	size_t n = strlen(ctx->tree_path);
	ssize_t len = readlink(berth_fd_path(fd, proc, sizeof(proc)), real, sizeof(real) - 1);

	if (len < 0)
		return berth_error_errno(err, errno, "cannot name the resolved path");
	real[len] = '\0';
	if (strncmp(real, ctx->tree_path, n) != 0 || (real[n] != '/' && real[n] != '\0'))
		return berth_error_set(err, EXDEV, "resolved path lies outside the tree");
	snprintf(buf, size, "%s", real[n] ? real + n : "/");
	return 0;
}

/* ------------------------------------------------------------ phases */

int tree_upper_like(int lower_fd, int stage_fd, const char *upper, struct berth_error *err)
{
	struct stat st;

	/* An overlay's root shows its upper directory's owner and mode. */
	if (fstat(lower_fd, &st) < 0 ||
	    fchownat(stage_fd, upper, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 ||
	    fchmodat(stage_fd, upper, st.st_mode & 07777, 0) < 0)
		return berth_error_errno(err, errno, "overlay upper \"%s\"", upper);
	return 0;
}

static int stage_path(const struct tree_ctx *ctx, const char *name, char *buf, size_t size)
{
	return snprintf(buf, size, "%s/%s", ctx->root, name) < (int)size ? 0 : -1;
}

static int phase_root(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;
	uint64_t size = spec->tmpfs_size ? spec->tmpfs_size : BERTH_TREE_TMPFS_SIZE;
	char data[96];

	if (ctx->overlay)
		size = spec->overlay_size ? spec->overlay_size : BERTH_TREE_OVERLAY_SIZE;
	snprintf(data, sizeof(data), "mode=0700,size=%llu", (unsigned long long)size);
	ctx->mounts++;
	if (mount("berth-stage", ctx->root, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		return berth_error_errno(err, errno, "staging tmpfs");
	ctx->stage_fd = open(ctx->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->stage_fd < 0)
		return berth_error_errno(err, errno, "staging tmpfs");
	for (const char *const *d = (const char *const[]){ "image", TREE_DIR, "upper", "work",
							  "etc-upper", "etc-work", "etc-empty", NULL };
	     *d; d++)
		if (mkdirat(ctx->stage_fd, *d, 0700) < 0)
			return berth_error_errno(err, errno, "staging \"%s\"", *d);
	if (stage_path(ctx, TREE_DIR, ctx->tree_path, sizeof(ctx->tree_path)) < 0)
		return berth_error_set(err, ENAMETOOLONG, "root path too long");
	if (ctx->overlay)
		return 0;
	snprintf(data, sizeof(data), "mode=0755,size=%llu",
		 (unsigned long long)(spec->tmpfs_size ? spec->tmpfs_size : BERTH_TREE_TMPFS_SIZE));
	ctx->mounts++;
	if (mount("berth", ctx->tree_path, "tmpfs", MS_NOSUID | MS_NODEV, data) < 0)
		return berth_error_errno(err, errno, "root tmpfs");
	ctx->tree_fd = open(ctx->tree_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->tree_fd < 0)
		return berth_error_errno(err, errno, "root tmpfs");
	return 0;
}

static int mount_overlay_tree(struct tree_ctx *ctx, const char *image, struct berth_error *err)
{
	char data[3 * PATH_MAX + 64], upper[PATH_MAX], work[PATH_MAX];

	if (stage_path(ctx, "upper", upper, sizeof(upper)) < 0 ||
	    stage_path(ctx, "work", work, sizeof(work)) < 0 ||
	    snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s", image, upper,
		     work) >= (int)sizeof(data))
		return berth_error_set(err, ENAMETOOLONG, "root path too long");
	if (tree_upper_like(ctx->image_fd, ctx->stage_fd, "upper", err) < 0)
		return -1;
	ctx->mounts++;
	if (mount("berth", ctx->tree_path, "overlay", MS_NOSUID | MS_NODEV, data) < 0)
		return berth_error_errno(err, errno, "writable overlay");
	ctx->tree_fd = open(ctx->tree_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (ctx->tree_fd < 0)
		return berth_error_errno(err, errno, "writable overlay");
	return 0;
}

static int phase_image(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;
	char image[PATH_MAX];
	int rc;

	if (spec->host_root) {
		if ((ctx->image_fd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
			return berth_error_errno(err, errno, "host root");
		return tree_shadow_dir(ctx, ctx->image_fd, ctx->tree_fd,
				       BERTH_BIND_RO | BERTH_BIND_REC, ccm_skip, err) < 0 ?
			       berth_error_prefix(err, "host root") : 0;
	}
	if (stage_path(ctx, "image", image, sizeof(image)) < 0)
		return berth_error_set(err, ENAMETOOLONG, "root path too long");
	ctx->mounts++;
	if (berth_squashfs_mount(spec->image_sqfs, image, err) < 0)
		return -1;
	if ((ctx->image_fd = open(image, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return berth_error_errno(err, errno, "image root");
	if (ctx->overlay)
		rc = mount_overlay_tree(ctx, image, err);
	else if ((rc = tree_shadow_dir(ctx, ctx->image_fd, ctx->tree_fd, BERTH_BIND_RO,
				       reserved_names, err)) < 0)
		berth_error_prefix(err, "image");
	/* Detached only at the end: the /etc overlay still needs it attached
	 * (overlayfs refuses layers on detached mounts). */
	return rc;
}

/* Namespace pins (nsfs) copied by recursive binds, and with --ccm the
 * copy of spec->root: detached, or they keep other namespaces alive. */
static int scrub(struct tree_ctx *ctx, struct berth_error *err)
{
	char line[8192], mp[PATH_MAX], fstype[64], self[2 * PATH_MAX];
	FILE *f = fopen("/proc/self/mountinfo", "re");
	size_t n = strlen(ctx->tree_path);

	if (!f)
		return berth_error_errno(err, errno, "/proc/self/mountinfo");
	snprintf(self, sizeof(self), "%s%s", ctx->tree_path, ctx->root);
	while (fgets(line, sizeof(line), f)) {
		const char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%63s", fstype) != 1)
			continue;
		/* Paths with spaces are escaped (\040): no match below, and
		 * none of ours has one. */
		if (strncmp(mp, ctx->tree_path, n) != 0 || mp[n] != '/')
			continue;
		if (strcmp(fstype, "nsfs") == 0)
			umount2(mp, MNT_DETACH | UMOUNT_NOFOLLOW);
		else if (strcmp(mp, self) == 0)
			berth_umount_all(mp);
	}
	fclose(f);
	return 0;
}

/* The split directories, as now visible (a later split of a directory
 * above shows a copy): read-only once every mount point is made. */
static int splits_read_only(struct tree_ctx *ctx, struct berth_error *err)
{
	for (size_t i = 0; i < ctx->n_split; i++) {
		struct stat st;
		int fd, rc = 0;

		if (berth_open_in_root(ctx->tree_fd, ctx->split[i].path, O_PATH | O_DIRECTORY, 0,
				       false, &fd, err) < 0)
			return berth_error_prefix(err, "split directory");
		if (fstat(fd, &st) == 0 && st.st_dev == ctx->split[i].dev)
			rc = berth_mount_make_ro(fd, err);
		close(fd);
		if (rc < 0)
			return berth_error_prefix(err, "read-only split directory");
	}
	return 0;
}

static int phase_finish(struct tree_ctx *ctx, struct berth_error *err)
{
	char image[PATH_MAX];

	if (scrub(ctx, err) < 0)
		return -1;
	/* The binds and overlays hold the squashfs now. */
	if (!ctx->spec->host_root && (stage_path(ctx, "image", image, sizeof(image)) < 0 ||
				      umount2(image, MNT_DETACH) < 0))
		return berth_error_errno(err, errno, "detach the image");
	if (!ctx->overlay && berth_mount_make_ro(ctx->tree_fd, err) < 0)
		return berth_error_prefix(err, "read-only root");
	if (splits_read_only(ctx, err) < 0)
		return -1;
	ctx->mounts++;
	if (mount(ctx->tree_path, ctx->root, NULL, MS_MOVE, NULL) < 0)
		return berth_error_errno(err, errno, "move the tree to its place");
	snprintf(ctx->tree_path, sizeof(ctx->tree_path), "%s", ctx->root);
	return 0;
}

/* ------------------------------------------------------------ build */

static int parse_forbidden(struct tree_ctx *ctx, struct berth_error *err)
{
	const char *list = ctx->spec->forbidden ? ctx->spec->forbidden : "";
	size_t count = 1;

	for (const char *p = list; *p; p++)
		count += *p == ',';
	if (!(ctx->forbidden = calloc(count, sizeof(char *))))
		return berth_error_errno(err, ENOMEM, "forbidden destinations");
	for (const char *p = list; *p;) {
		const char *end = strchrnul(p, ',');
		char item[PATH_MAX], norm[PATH_MAX];
		size_t len;

		while (p < end && *p == ' ')
			p++;
		len = (size_t)(end - p);
		while (len > 0 && p[len - 1] == ' ')
			len--;
		if (len > 0) {
			snprintf(item, sizeof(item), "%.*s", (int)len, p);
			if (berth_path_normalize(item, norm, sizeof(norm), err) < 0)
				return berth_error_prefix(err, "forbidden destination");
			if (!(ctx->forbidden[ctx->n_forbidden++] = strdup(norm)))
				return berth_error_errno(err, ENOMEM, "forbidden destinations");
		}
		p = *end ? end + 1 : end;
	}
	return 0;
}

static int check_spec(const struct berth_tree_spec *spec, struct tree_ctx *ctx,
		      struct berth_error *err)
{
	struct stat st;

	if (!spec || !spec->root || !spec->tmp_dir)
		return berth_error_set(err, EINVAL, "tree spec without root or tmp_dir");
	if (!spec->image_sqfs == !spec->host_root)
		return berth_error_set(err, EINVAL, "tree spec needs exactly one of image and host root");
	if (!realpath(spec->root, ctx->root) || stat(ctx->root, &st) < 0)
		return berth_error_errno(err, errno, "tree root \"%s\"", spec->root);
	if (!S_ISDIR(st.st_mode) || strcmp(ctx->root, "/") == 0)
		return berth_error_set(err, ENOTDIR, "tree root \"%s\" is not a directory", spec->root);
	ctx->overlay = spec->writable_overlay && !spec->host_root;
	return parse_forbidden(ctx, err);
}

static void ctx_free(struct tree_ctx *ctx)
{
	tree_close(&ctx->stage_fd);
	tree_close(&ctx->image_fd);
	tree_close(&ctx->tree_fd);
	for (size_t i = 0; i < ctx->n_forbidden; i++)
		free(ctx->forbidden[i]);
	free(ctx->forbidden);
}

int berth_tree_build(const struct berth_tree_spec *spec, struct berth_tree_stats *stats,
		     struct berth_error *err)
{
	static int (*const phases[])(struct tree_ctx *, struct berth_error *) = {
		phase_root, phase_image, tree_system, tree_etc, tree_site, tree_volumes,
		phase_finish,
	};
	struct tree_ctx *ctx = calloc(1, sizeof(*ctx));
	struct berth_error dropped = BERTH_ERROR_INIT;
	struct berth_tree_stats local = { 0 };
	uint64_t *times[] = { &local.root_us, &local.image_us, &local.system_us, &local.etc_us,
			      &local.site_us, &local.volumes_us, &local.finish_us };
	uint64_t start = now_us(), t = start;
	bool mounted = false;
	int rc = 0;

	if (!err)
		err = &dropped;
	if (!ctx)
		return berth_error_errno(err, ENOMEM, "tree");
	ctx->spec = spec;
	ctx->stage_fd = ctx->image_fd = ctx->tree_fd = -1;
	rc = check_spec(spec, ctx, err);
	for (size_t i = 0; rc == 0 && i < sizeof(phases) / sizeof(phases[0]); i++) {
		mounted = true;
		rc = phases[i](ctx, err);
		*times[i] = now_us() - t;
		t = now_us();
	}
	local.total_us = now_us() - start;
	local.mounts = ctx->mounts;
	ctx_free(ctx);
	if (rc < 0 && mounted)
		berth_umount_all(ctx->root);
	free(ctx);
	if (stats)
		*stats = local;
	return rc;
}
