/*
 * container_tree_int.h - what the container_tree*.c files share.
 */
#ifndef BERTH_CONTAINER_TREE_INT_H_
#define BERTH_CONTAINER_TREE_INT_H_

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container_tree.h"

#define TREE_DIR "tree"   /* under the staging tmpfs until the final move */
#define TREE_SPLIT_MAX 32 /* read-only image directories split for mount points */

struct tree_ctx {
	const struct berth_tree_spec *spec;
	char root[PATH_MAX];        /* spec->root, canonical */
	char tree_path[PATH_MAX];   /* where the tree is while it is built */
	int stage_fd;               /* staging tmpfs (hidden, covered at the end) */
	int image_fd;               /* image root (squashfs or host /); kept after detach */
	int tree_fd;                /* the tree's root */
	bool overlay;               /* writable overlay as the tree */
	unsigned mounts;            /* mount operations done */
	struct {                    /* split directories, made read-only last */
		char path[PATH_MAX];
		dev_t dev;          /* of the split's tmpfs (and of its copies) */
	} split[TREE_SPLIT_MAX];
	size_t n_split;
	char **forbidden;           /* normalised spec->forbidden */
	size_t n_forbidden;
};

/* Mounts that count in the stats. */
int tree_bind(struct tree_ctx *ctx, int src_fd, int dst_fd, unsigned flags,
	      struct berth_error *err);
int tree_mount_fs(struct tree_ctx *ctx, const char *source, int dir_fd, const char *fstype,
		  unsigned long flags, const char *data, struct berth_error *err);

/* Fill the empty writable directory dst_fd with src_fd's entries:
 * directories and regular files bound with bind_flags, symlinks copied,
 * anything else left out; names in skip (NULL-terminated, may be NULL)
 * become empty directories instead. */
int tree_shadow_dir(struct tree_ctx *ctx, int src_fd, int dst_fd, unsigned bind_flags,
		    const char *const *skip, struct berth_error *err);

/* An empty directory (or file) to mount on at path in the tree; dir_fd_out
 * is an O_PATH fd.  A read-only directory in the way is split (see
 * container_tree.h); unless trusted, only a small one of the image's. */
int tree_mount_point(struct tree_ctx *ctx, const char *path, bool dir, bool trusted,
		     int *fd_out, struct berth_error *err);

/* The top-level directory name in the tree, a real directory (replacing a
 * symlink or file of the image in overlay mode). */
int tree_reserved_dir(struct tree_ctx *ctx, const char *name, int *fd_out,
		      struct berth_error *err);

/* The path of fd inside the tree ("/etc"), from /proc/self/fd. */
int tree_canonical(const struct tree_ctx *ctx, int fd, char *buf, size_t size,
		   struct berth_error *err);

/* Give the staging directory upper the owner and mode of lower_fd. */
int tree_upper_like(int lower_fd, int stage_fd, const char *upper, struct berth_error *err);

int tree_system(struct tree_ctx *ctx, struct berth_error *err);
int tree_etc(struct tree_ctx *ctx, struct berth_error *err);
int tree_site(struct tree_ctx *ctx, struct berth_error *err);
int tree_volumes(struct tree_ctx *ctx, struct berth_error *err);

void tree_close(int *fd);

#endif
