/*
 * container_tree_vol.c - site mounts, host paths and user volumes in the
 * tree (see container_tree.h).
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

#include "container_tree_int.h"
#include "mpi_inject.h"
#include "safe_mount.h"
#include "safe_path.h"
#include "volume.h"

static unsigned volume_bind_flags(unsigned long volume_flags)
{
	return ((volume_flags & BERTH_VOLUME_RO) ? BERTH_BIND_RO : 0) |
	       ((volume_flags & BERTH_VOLUME_REC) ? BERTH_BIND_REC : 0);
}

/* Bind src_fd at path (admin-trusted) in the tree. */
static int trusted_bind(struct tree_ctx *ctx, int src_fd, const char *path, unsigned flags,
			struct berth_error *err)
{
	char norm[PATH_MAX];
	struct stat st;
	int dst = -1, rc;

	if (berth_path_normalize(path, norm, sizeof(norm), err) < 0)
		return -1;
	if (fstat(src_fd, &st) < 0)
		return berth_error_errno(err, errno, "source");
	if (tree_mount_point(ctx, norm, S_ISDIR(st.st_mode), true, &dst, err) < 0)
		return berth_error_prefix(err, "mount point");
	rc = tree_bind(ctx, src_fd, dst, flags, err);
	close(dst);
	return rc;
}

/* The site's MPI libraries over the image's (mpi_inject.h); mpi_libs
 * itself is one of the site mounts already. */
static int tree_mpi(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;
	struct berth_mpi_plan *plan = malloc(sizeof(*plan));
	int rc;

	if (!plan)
		return berth_error_errno(err, ENOMEM, "MPI plan");
	rc = berth_mpi_plan(ctx->tree_fd, spec->mpi_libs, spec->mpi_module ? spec->mpi_module : "?", plan, err);
	for (size_t i = 0; rc == 0 && i < plan->n_binds; i++) {
		const struct berth_mpi_bind *b = &plan->binds[i];
		int src = open(b->site_path, O_PATH | O_CLOEXEC);

		if (src < 0) {
			rc = berth_error_errno(err, errno, "--module %s: \"%s\"", spec->mpi_module, b->site_path);
			break;
		}
		if ((rc = trusted_bind(ctx, src, b->image_path, BERTH_BIND_RO, err)) < 0)
			berth_error_prefix(err, "--module %s: \"%s\" over the image's \"%s\"", spec->mpi_module,
					   b->site_path, b->image_path);
		close(src);
	}
	free(plan);
	return rc;
}

int tree_site(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;
	char shown[BERTH_PATH_SHOWN_SIZE];
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < spec->n_site_mounts; i++) {
		const struct berth_volume *m = &spec->site_mounts[i];
		int src = open(m->src, O_PATH | O_CLOEXEC);

		berth_path_shown(m->src, shown, sizeof(shown));
		if (src < 0)
			return berth_error_errno(err, errno, "site mount \"%s\"", shown);
		rc = trusted_bind(ctx, src, m->dst, volume_bind_flags(m->flags), err);
		close(src);
		if (rc < 0)
			berth_error_prefix(err, "site mount \"%s\"", shown);
	}
	if (rc == 0 && spec->mpi_libs && !spec->host_root)
		rc = tree_mpi(ctx, err);
	for (size_t i = 0; rc == 0 && i < spec->n_host_paths; i++) {
		const struct berth_tree_host_path *h = &spec->host_paths[i];
		int src = h->fd >= 0 ? h->fd : open(h->path, O_PATH | O_CLOEXEC);

		berth_path_shown(h->path, shown, sizeof(shown));
		if (src < 0)
			return berth_error_errno(err, errno, "host path \"%s\"", shown);
		rc = trusted_bind(ctx, src, h->path, h->read_only ? BERTH_BIND_RO : 0, err);
		if (src != h->fd)
			close(src);
		if (rc < 0)
			berth_error_prefix(err, "host path \"%s\"", shown);
	}
	return rc;
}

/* ------------------------------------------------------------ volumes */

/* path (lexical or canonical) equal to or under a forbidden destination,
 * itself taken lexically or as resolved in the tree.  Returns the
 * forbidden entry, or NULL. */
static const char *forbidden_match(struct tree_ctx *ctx, const char *path, bool resolved)
{
	for (size_t i = 0; i < ctx->n_forbidden; i++) {
		char canon[PATH_MAX];
		int fd;

		if (berth_path_is_under(path, ctx->forbidden[i]))
			return ctx->forbidden[i];
		if (!resolved || berth_open_in_root(ctx->tree_fd, ctx->forbidden[i], O_PATH, 0,
						    false, &fd, NULL) < 0)
			continue;
		if (tree_canonical(ctx, fd, canon, sizeof(canon), NULL) == 0 &&
		    berth_path_is_under(path, canon)) {
			close(fd);
			return ctx->forbidden[i];
		}
		close(fd);
	}
	return NULL;
}

/* The destination after resolution, checked; dst is what the user gave. */
static int check_resolved(struct tree_ctx *ctx, int fd, const char *dst, struct berth_error *err)
{
	char canon[PATH_MAX];
	const char *bad;

	if (tree_canonical(ctx, fd, canon, sizeof(canon), err) < 0)
		return berth_error_prefix(err, "destination \"%s\"", dst);
	if (strcmp(canon, "/") == 0)
		return berth_error_set(err, EINVAL, "destination \"%s\" resolves to the container root",
				       dst);
	if ((bad = forbidden_match(ctx, canon, true)))
		return berth_error_set(err, EPERM, "destination \"%s\" resolves into forbidden \"%s\"",
				       dst, bad);
	return 0;
}

/* A directory above a destination that does not exist yet. */
static int check_ancestor(struct tree_ctx *ctx, int fd, const char *dst, struct berth_error *err)
{
	char canon[PATH_MAX];
	const char *bad;

	if (tree_canonical(ctx, fd, canon, sizeof(canon), err) < 0)
		return berth_error_prefix(err, "destination \"%s\"", dst);
	if ((bad = forbidden_match(ctx, canon, true)))
		return berth_error_set(err, EPERM, "destination \"%s\" resolves into forbidden \"%s\"",
				       dst, bad);
	return 0;
}

/* Resolve (creating it if missing) the destination; nothing is created
 * unless the deepest existing directory on the way is allowed. */
static int resolve_destination(struct tree_ctx *ctx, const char *norm, const char *dst,
			       bool dir, int *fd, struct berth_error *err)
{
	char above[PATH_MAX];
	int up;

	if (berth_open_in_root(ctx->tree_fd, norm, O_PATH, 0, false, fd, err) == 0)
		return 0;
	if (err->code != ENOENT)
		return berth_error_prefix(err, "destination");
	snprintf(above, sizeof(above), "%s", norm);
	for (;;) {
		char *slash = strrchr(above, '/');

		slash == above ? (void)(above[1] = '\0') : (void)(*slash = '\0');
		if (berth_open_in_root(ctx->tree_fd, above, O_PATH | O_DIRECTORY, 0, false, &up,
				       NULL) == 0)
			break;
		if (strcmp(above, "/") == 0)
			return berth_error_errno(err, ENOENT, "destination");
	}
	if (check_ancestor(ctx, up, dst, err) < 0) {
		close(up);
		return -1;
	}
	close(up);
	if (tree_mount_point(ctx, norm, dir, false, fd, err) < 0) {
		if (err->code == EROFS)
			return berth_error_prefix(err, "cannot create destination \"%s\" in the read-only image",
						  dst);
		if (err->code == EPERM)
			return berth_error_set(err, EPERM,
					       "destination \"%s\" does not exist and lies on a host filesystem: berth does not create it there, create it first",
					       dst);
		return berth_error_prefix(err, "destination");
	}
	return 0;
}

static int mount_volume(struct tree_ctx *ctx, const struct berth_tree_volume *vol,
			const char *dst, struct berth_error *err)
{
	char norm[PATH_MAX];
	const char *bad;
	struct stat src_st, dst_st;
	int fd = -1, rc;

	if (vol->src_fd < 0 || fstat(vol->src_fd, &src_st) < 0)
		return berth_error_set(err, EBADF, "source not opened");
	if (berth_path_normalize(vol->dst, norm, sizeof(norm), err) < 0)
		return -1;
	if (strcmp(norm, "/") == 0)
		return berth_error_set(err, EINVAL, "destination \"%s\" is the container root", dst);
	if ((bad = forbidden_match(ctx, norm, false)))
		return strcmp(norm, bad) == 0 ?
			berth_error_set(err, EPERM, "destination \"%s\" is forbidden", dst) :
			berth_error_set(err, EPERM, "destination \"%s\" is under forbidden \"%s\"",
					dst, bad);
	if (resolve_destination(ctx, norm, dst, S_ISDIR(src_st.st_mode), &fd, err) < 0)
		return -1;
	rc = check_resolved(ctx, fd, dst, err);
	if (rc == 0 && (fstat(fd, &dst_st) < 0 || S_ISDIR(dst_st.st_mode) != S_ISDIR(src_st.st_mode)))
		rc = berth_error_set(err, ENOTDIR, S_ISDIR(src_st.st_mode) ?
				     "destination \"%s\" is not a directory, the source is" :
				     "destination \"%s\" is a directory, the source is not", dst);
	if (rc == 0 && (rc = tree_bind(ctx, vol->src_fd, fd, volume_bind_flags(vol->flags), err)) < 0 &&
	    err->code == EINVAL)
		berth_error_prefix(err, "bind (source opened in another mount namespace?)");
	close(fd);
	return rc;
}

int tree_volumes(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;

	for (size_t i = 0; i < spec->n_volumes; i++) {
		const struct berth_tree_volume *vol = &spec->volumes[i];
		char src[BERTH_PATH_SHOWN_SIZE], dst[BERTH_PATH_SHOWN_SIZE];

		berth_path_shown(vol->src ? vol->src : "?", src, sizeof(src));
		berth_path_shown(vol->dst ? vol->dst : "", dst, sizeof(dst));
		if (mount_volume(ctx, vol, dst, err) < 0)
			return berth_error_prefix(err, "volume \"%s:%s\"", src, dst);
	}
	return 0;
}
