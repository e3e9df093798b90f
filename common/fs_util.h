/*
 * fs_util.h - small filesystem and file descriptor helpers.
 */
#ifndef BERTH_FS_UTIL_H_
#define BERTH_FS_UTIL_H_

#include <stdbool.h>
#include <sys/types.h>

#include "berth_error.h"

/* Remove path and everything below it without following symlinks and
 * without crossing into other filesystems (mount points are left and
 * reported).  A missing path is success. */
int berth_remove_tree(const char *path, struct berth_error *err);

/* true if path is a mount point (its own entry in /proc/self/mountinfo). */
bool berth_is_mount_point(const char *path);

/* Detach every mount at path (stacked bind mounts included). */
void berth_umount_all(const char *path);

/* All len bytes to fd, across short writes and EINTR; -1 with errno (EIO
 * when write makes no progress). */
int berth_write_all(int fd, const void *buf, size_t len);

/* mkdir -p: missing parents 0755, dir itself with mode (chmod'ed even if
 * it existed). */
int berth_mkdir_parents(const char *dir, mode_t mode, struct berth_error *err);

/* open(path, flags) for a file of the shared image directory.  Where root
 * is squashed there (NFS root_squash maps uid 0 to nobody), root cannot
 * open a private image's 0600 files, owned by the gateway's user: on
 * EACCES, as root, it tries once more with the file's owner as this
 * thread's filesystem uid and gid (setfsuid is per thread), never for a
 * root-owned file.  The open file keeps those credentials (a loop device
 * reads through them).  Else as open(2).  Afterwards the thread has root's
 * permitted file capabilities effective again (setfsuid(0) does that): for
 * root's own code, not for a thread that dropped them. */
int berth_open_image_file(const char *path, int flags);

#endif
