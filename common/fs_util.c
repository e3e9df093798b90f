/*
 * fs_util.c - see fs_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"

#define REMOVE_DEPTH_MAX 256

static int remove_entries(int dirfd, dev_t dev, int depth, struct berth_error *err);

static int remove_entry(int dirfd, const char *name, dev_t dev, int depth, struct berth_error *err)
{
	struct stat st;
	int sub, rc;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "stat \"%s\"", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return berth_error_errno(err, errno, "unlink \"%s\"", name);
		return 0;
	}
	if (st.st_dev != dev)
		return berth_error_set(err, EBUSY, "\"%s\" is a mount point, not removed", name);
	sub = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (sub < 0)
		return berth_error_errno(err, errno, "open \"%s\"", name);
	rc = remove_entries(sub, dev, depth + 1, err);
	close(sub);
	if (rc < 0)
		return berth_error_prefix(err, "%s", name);
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "rmdir \"%s\"", name);
	return 0;
}

static int remove_entries(int dirfd, dev_t dev, int depth, struct berth_error *err)
{
	struct dirent *entry;
	int fd, rc = 0;
	DIR *dir;

	if (depth > REMOVE_DEPTH_MAX)
		return berth_error_set(err, ELOOP, "directory tree deeper than %d", REMOVE_DEPTH_MAX);
	if ((fd = dup(dirfd)) < 0)
		return berth_error_errno(err, errno, "dup");
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return berth_error_errno(err, errno, "opendir");
	}
	while (rc == 0 && (entry = readdir(dir))) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		rc = remove_entry(dirfd, entry->d_name, dev, depth, err);
	}
	closedir(dir);
	return rc;
}

int berth_remove_tree(const char *path, struct berth_error *err)
{
	char parent[4096], *slash;
	int fd, rc;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "stat \"%s\"", path);
	if (snprintf(parent, sizeof(parent), "%s", path) >= (int)sizeof(parent) ||
	    !(slash = strrchr(parent, '/')) || slash == parent)
		return berth_error_set(err, EINVAL, "cannot remove \"%s\"", path);
	*slash = '\0';
	if ((fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return berth_error_errno(err, errno, "open \"%s\"", parent);
	rc = remove_entry(fd, slash + 1, st.st_dev, 0, err);
	close(fd);
	return rc < 0 ? berth_error_prefix(err, "remove \"%s\"", path) : 0;
}

bool berth_is_mount_point(const char *path)
{
	char line[8192], mnt[4096];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) == 1 && strcmp(mnt, path) == 0)
			found = true;
	fclose(f);
	return found;
}

void berth_umount_all(const char *path)
{
	for (int i = 0; i < 16 && umount2(path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
		;
}

int berth_mkdir_parents(const char *dir, mode_t mode, struct berth_error *err)
{
	char path[1024];

	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return berth_error_set(err, ENAMETOOLONG, "path \"%s\" is too long", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "mkdir \"%s\"", path);
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", path);
	if (chmod(path, mode) < 0)
		return berth_error_errno(err, errno, "chmod \"%s\"", path);
	return 0;
}

int berth_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int berth_open_image_file(const char *path, int flags)
{
	struct stat st;
	int fd = open(path, flags), saved, old_uid, old_gid;

	if (fd >= 0 || errno != EACCES || geteuid() != 0)
		return fd;
	if (stat(path, &st) < 0 || st.st_uid == 0) {
		errno = EACCES;
		return -1;
	}
	old_gid = setfsgid(st.st_gid);
	old_uid = setfsuid(st.st_uid);
	fd = open(path, flags);
	saved = errno;
	setfsuid((uid_t)old_uid);
	setfsgid((gid_t)old_gid);
	errno = saved;
	return fd;
}
