/*
 * safe_mount.h - mounts whose source and destination are file descriptors,
 * never path strings, so nothing is resolved twice.
 *
 * Bind mounts use the new mount API where the kernel has it (open_tree +
 * mount_setattr + move_mount, 5.12+): the copy gets its flags while still
 * detached, so it is never visible writable.  Otherwise mount(2) through
 * /proc/self/fd/N paths, then a remount for the flags.
 */
#ifndef BERTH_SAFE_MOUNT_H_
#define BERTH_SAFE_MOUNT_H_

#include "berth_error.h"

enum berth_bind_flag {
	BERTH_BIND_RO = 1u << 0,         /* read-only */
	BERTH_BIND_REC = 1u << 1,        /* recursive (submounts come along) */
	BERTH_BIND_NOEXEC = 1u << 2,
	BERTH_BIND_DEVICES = 1u << 3,    /* no nodev: only for the /dev nodes of a tree */
	BERTH_BIND_ATTR_TOP = 1u << 4,   /* with REC: flags for the top mount only */
};

/* Bind src_fd (any fd, O_PATH included) onto dst_fd (a directory or file of
 * the same kind).  Always nosuid, and nodev unless BERTH_BIND_DEVICES.
 * With BERTH_BIND_REC and the new API the flags apply to every submount
 * (unless BERTH_BIND_ATTR_TOP); with the mount(2) fallback only to the top
 * mount. */
int berth_bind_fd(int src_fd, int dst_fd, unsigned flags, struct berth_error *err);

/* Mount a new filesystem (tmpfs, proc, devpts, overlay, ...) on dir_fd with
 * mount(2) through /proc/self/fd/N. */
int berth_mount_fs_fd(const char *source, int dir_fd, const char *fstype, unsigned long flags,
		      const char *data, struct berth_error *err);

/* Make the mount whose root dir_fd is read-only (not its submounts). */
int berth_mount_make_ro(int dir_fd, struct berth_error *err);

/* "/proc/self/fd/N" into buf (at least 32 bytes). */
char *berth_fd_path(int fd, char *buf, size_t size);

#endif
