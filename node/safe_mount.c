/*
 * safe_mount.c - see safe_mount.h.
 *
 * The new mount API is called through syscall(2) with our own copies of
 * its constants: older C libraries lack the wrappers, and glibc 2.36's
 * <sys/mount.h> clashes with <linux/mount.h>.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safe_mount.h"
#include "safe_path.h"

#define B_OPEN_TREE_CLONE 1u
#define B_OPEN_TREE_CLOEXEC O_CLOEXEC
#define B_MOVE_MOUNT_F_EMPTY_PATH 0x00000004u
#define B_MOVE_MOUNT_T_EMPTY_PATH 0x00000040u
#define B_MOUNT_ATTR_RDONLY 0x00000001u
#define B_MOUNT_ATTR_NOSUID 0x00000002u
#define B_MOUNT_ATTR_NODEV 0x00000004u
#define B_MOUNT_ATTR_NOEXEC 0x00000008u
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

#if defined(SYS_open_tree) && defined(SYS_move_mount) && defined(SYS_mount_setattr)
#define HAVE_NEW_MOUNT_API 1
#endif

struct b_mount_attr {   /* struct mount_attr of <linux/mount.h> */
	uint64_t attr_set;
	uint64_t attr_clr;
	uint64_t propagation;
	uint64_t userns_fd;
};

char *berth_fd_path(int fd, char *buf, size_t size)
{
	snprintf(buf, size, "/proc/self/fd/%d", fd);
	return buf;
}

static uint64_t mount_attrs(unsigned flags)
{
	uint64_t attrs = B_MOUNT_ATTR_NOSUID;

	if (!(flags & BERTH_BIND_DEVICES))
		attrs |= B_MOUNT_ATTR_NODEV;
	if (flags & BERTH_BIND_RO)
		attrs |= B_MOUNT_ATTR_RDONLY;
	if (flags & BERTH_BIND_NOEXEC)
		attrs |= B_MOUNT_ATTR_NOEXEC;
	return attrs;
}

static unsigned long ms_flags(unsigned flags)
{
	unsigned long ms = MS_NOSUID;

	if (!(flags & BERTH_BIND_DEVICES))
		ms |= MS_NODEV;
	if (flags & BERTH_BIND_RO)
		ms |= MS_RDONLY;
	if (flags & BERTH_BIND_NOEXEC)
		ms |= MS_NOEXEC;
	return ms;
}

#ifdef HAVE_NEW_MOUNT_API
/* 0 done, 1 the kernel lacks the API (use the fallback), -1 error. */
static int bind_new_api(int src_fd, int dst_fd, unsigned flags, struct berth_error *err)
{
	struct b_mount_attr attr = { .attr_set = mount_attrs(flags) };
	unsigned rec = (flags & BERTH_BIND_REC) ? AT_RECURSIVE : 0;
	int tree;

	tree = (int)syscall(SYS_open_tree, src_fd, "",
			    B_OPEN_TREE_CLONE | B_OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | rec);
	if (tree < 0)
		return errno == ENOSYS ? 1 : berth_error_errno(err, errno, "open_tree");
	unsigned attr_rec = (flags & BERTH_BIND_ATTR_TOP) ? 0 : rec;

	if (syscall(SYS_mount_setattr, tree, "", AT_EMPTY_PATH | attr_rec, &attr, sizeof(attr)) < 0) {
		int saved = errno;

		close(tree);
		return saved == ENOSYS ? 1 : berth_error_errno(err, saved, "mount_setattr");
	}
	if (syscall(SYS_move_mount, tree, "", dst_fd, "",
		    B_MOVE_MOUNT_F_EMPTY_PATH | B_MOVE_MOUNT_T_EMPTY_PATH) < 0) {
		int saved = errno;

		close(tree);
		return berth_error_errno(err, saved, "move_mount");
	}
	close(tree);
	return 0;
}
#endif

/* mount(2) on /proc/self/fd/D mounts on what D refers to, but the same
 * path still names the dentry underneath afterwards: the remount goes
 * through the real path, once it is known to show the new mount. */
static int bind_legacy(int src_fd, int dst_fd, unsigned flags, struct berth_error *err)
{
	char src[32], dst[32], real[4096];
	struct stat want, got;
	ssize_t n;

	berth_fd_path(src_fd, src, sizeof(src));
	berth_fd_path(dst_fd, dst, sizeof(dst));
	if (fstat(src_fd, &want) < 0)
		return berth_error_errno(err, errno, "fstat");
	if (mount(src, dst, NULL, MS_BIND | ((flags & BERTH_BIND_REC) ? MS_REC : 0), NULL) < 0)
		return berth_error_errno(err, errno, "bind mount");
	n = readlink(dst, real, sizeof(real) - 1);
	if (n <= 0 || (size_t)n >= sizeof(real) - 1 || real[0] != '/') {
		umount2(dst, MNT_DETACH);
		return berth_error_set(err, EIO, "bind mount: cannot name the destination");
	}
	real[n] = '\0';
	if (stat(real, &got) < 0 || got.st_dev != want.st_dev || got.st_ino != want.st_ino) {
		umount2(dst, MNT_DETACH);
		return berth_error_set(err, EIO, "bind mount: destination changed");
	}
	if (mount(NULL, real, NULL, MS_REMOUNT | MS_BIND | ms_flags(flags), NULL) < 0) {
		int saved = errno;

		umount2(real, MNT_DETACH);
		return berth_error_errno(err, saved, "remount bind");
	}
	return 0;
}

int berth_bind_fd(int src_fd, int dst_fd, unsigned flags, struct berth_error *err)
{
#ifdef HAVE_NEW_MOUNT_API
	if (!(berth_safe_path_fallbacks() & BERTH_FALLBACK_MOUNT_API)) {
		int rc = bind_new_api(src_fd, dst_fd, flags, err);

		if (rc <= 0)
			return rc;
	}
#endif
	return bind_legacy(src_fd, dst_fd, flags, err);
}

int berth_mount_fs_fd(const char *source, int dir_fd, const char *fstype, unsigned long flags,
		      const char *data, struct berth_error *err)
{
	char dst[32];

	if (mount(source, berth_fd_path(dir_fd, dst, sizeof(dst)), fstype, flags, data) < 0)
		return berth_error_errno(err, errno, "mount %s", fstype);
	return 0;
}

int berth_mount_make_ro(int dir_fd, struct berth_error *err)
{
	static const struct {
		unsigned long st, ms;
	} keep[] = {
		{ ST_NOSUID, MS_NOSUID }, { ST_NODEV, MS_NODEV }, { ST_NOEXEC, MS_NOEXEC },
		{ ST_NOATIME, MS_NOATIME }, { ST_NODIRATIME, MS_NODIRATIME },
		{ ST_RELATIME, MS_RELATIME },
	};
	unsigned long ms = MS_REMOUNT | MS_BIND | MS_RDONLY;
	struct statvfs vfs;
	char path[32];

#ifdef HAVE_NEW_MOUNT_API
	if (!(berth_safe_path_fallbacks() & BERTH_FALLBACK_MOUNT_API)) {
		struct b_mount_attr attr = { .attr_set = B_MOUNT_ATTR_RDONLY };

		if (syscall(SYS_mount_setattr, dir_fd, "", AT_EMPTY_PATH, &attr, sizeof(attr)) == 0)
			return 0;
		if (errno != ENOSYS)
			return berth_error_errno(err, errno, "mount_setattr read-only");
	}
#endif
	/* MS_REMOUNT|MS_BIND replaces the per-mount flags: keep the others. */
	if (fstatvfs(dir_fd, &vfs) < 0)
		return berth_error_errno(err, errno, "fstatvfs");
	for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		if (vfs.f_flag & keep[i].st)
			ms |= keep[i].ms;
	if (mount(NULL, berth_fd_path(dir_fd, path, sizeof(path)), NULL, ms, NULL) < 0)
		return berth_error_errno(err, errno, "remount read-only");
	return 0;
}
