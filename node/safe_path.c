/*
 * safe_path.c - path helpers and resolution inside a tree (see safe_path.h).
 * berth_open_as_user lives in safe_path_user.c.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safe_path.h"

/* <linux/openat2.h>, copied: older kernel headers lack it. */
struct b_open_how {
	uint64_t flags;
	uint64_t mode;
	uint64_t resolve;
};
#define B_RESOLVE_NO_MAGICLINKS 0x02
#define B_RESOLVE_IN_ROOT 0x10

#define WALK_MAX_DEPTH 255     /* directories below the root */
#define WALK_MAX_LINKS 40      /* like the kernel's MAXSYMLINKS */
#define OPENAT2_RETRIES 16     /* EAGAIN: a rename raced with ".." */

static unsigned forced_fallbacks;

void berth_safe_path_force_fallback(unsigned mask)
{
	forced_fallbacks = mask;
}

unsigned berth_safe_path_fallbacks(void)
{
	return forced_fallbacks;
}

/* ------------------------------------------------------------ lexical */

const char *berth_path_shown(const char *path, char *buf, size_t size)
{
	size_t len = strlen(path), n = len < size - 1 ? len : size - 1;

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)path[i];

		buf[i] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	buf[n] = '\0';
	if (n < len && size > 4)
		memcpy(buf + size - 4, "...", 4);
	return buf;
}

int berth_path_normalize(const char *path, char *buf, size_t size, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	size_t len = 0;

	if (!path || path[0] != '/')
		return berth_error_set(err, EINVAL, "\"%s\" is not an absolute path",
				       path ? berth_path_shown(path, shown, sizeof(shown)) : "");
	for (const char *p = path; *p;) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			while (len > 0 && buf[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
		} else {
			if (len + 1 + n + 1 > size)
				return berth_error_set(err, ENAMETOOLONG, "\"%s\" is too long",
						       berth_path_shown(path, shown, sizeof(shown)));
			buf[len] = '/';
			memcpy(buf + len + 1, p, n);
			len += 1 + n;
		}
		p = end;
	}
	if (size < 2)
		return berth_error_set(err, ENAMETOOLONG, "path buffer too small");
	if (len == 0)
		buf[len++] = '/';
	buf[len] = '\0';
	return 0;
}

bool berth_path_is_under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return true;
	return strncmp(path, dir, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

/* ------------------------------------------------------------ openat2 */

/* 0 and *fd, -1 with errno; ENOSYS means "walk instead". */
static int resolve_openat2(int root_fd, const char *path, int flags, mode_t mode, int *fd)
{
	struct b_open_how how = {
		.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC),
		/* O_TMPFILE includes O_DIRECTORY: test all of its bits */
		.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0,
		.resolve = B_RESOLVE_IN_ROOT | B_RESOLVE_NO_MAGICLINKS,
	};

#ifdef SYS_openat2
	for (int i = 0; i < OPENAT2_RETRIES; i++) {
		*fd = (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
		if (*fd >= 0)
			return 0;
		if (errno != EAGAIN)
			return -1;
	}
	return -1;
#else
	(void)root_fd;
	(void)path;
	(void)how;
	(void)fd;
	errno = ENOSYS;
	return -1;
#endif
}

/* ------------------------------------------------------------ the walk */

struct walk {
	int root;
	int stack[WALK_MAX_DEPTH + 1];   /* stack[0] is root (not ours) */
	int depth;
	int links;
	char rest[PATH_MAX + 1];         /* what is left to resolve */
};

static int walk_top(const struct walk *w)
{
	return w->stack[w->depth];
}

static void walk_pop_to(struct walk *w, int depth)
{
	while (w->depth > depth)
		close(w->stack[w->depth--]);
}

/* Take the next component off w->rest into name; false when none is left. */
static bool walk_next(struct walk *w, char *name, size_t size, bool *last)
{
	char *p = w->rest, *end;
	size_t n;

	while (*p == '/')
		p++;
	if (!*p)
		return false;
	end = strchrnul(p, '/');
	n = (size_t)(end - p);
	if (n >= size)
		n = size - 1;   /* longer than NAME_MAX: the kernel says so below */
	memcpy(name, p, n);
	name[n] = '\0';
	while (*end == '/')
		end++;
	*last = *end == '\0';
	memmove(w->rest, end, strlen(end) + 1);
	return true;
}

/* Replace the current component by the symlink's target. */
static int walk_follow(struct walk *w, const char *name)
{
	char target[PATH_MAX + 1];
	size_t tlen, rlen = strlen(w->rest);
	ssize_t n;

	if (++w->links > WALK_MAX_LINKS) {
		errno = ELOOP;
		return -1;
	}
	n = readlinkat(walk_top(w), name, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	if (n == 0) {
		errno = ENOENT;
		return -1;
	}
	tlen = (size_t)n;
	target[tlen] = '\0';
	if (tlen + 1 + rlen + 1 > sizeof(w->rest)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(w->rest + tlen + 1, w->rest, rlen + 1);
	memcpy(w->rest, target, tlen);
	w->rest[tlen] = '/';
	if (target[0] == '/')
		walk_pop_to(w, 0);
	return 0;
}

static int walk_push(struct walk *w, const char *name)
{
	int fd;

	if (w->depth >= WALK_MAX_DEPTH) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = openat(walk_top(w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	w->stack[++w->depth] = fd;
	return 0;
}

/* One component.  1: resolved the final object into *fd; 0: go on; -1. */
static int walk_step(struct walk *w, const char *name, bool last, int flags, mode_t mode,
		     bool want_dir, int *fd)
{
	struct stat st;

	if (strcmp(name, ".") == 0)
		return 0;
	if (strcmp(name, "..") == 0) {
		walk_pop_to(w, w->depth > 0 ? w->depth - 1 : 0);
		return 0;
	}
	if (fstatat(walk_top(w), name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno != ENOENT || !last || !(flags & O_CREAT) || want_dir)
			return -1;
		*fd = openat(walk_top(w), name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
		return *fd < 0 ? -1 : 1;
	}
	if (S_ISLNK(st.st_mode) && (!last || !(flags & O_NOFOLLOW)))
		return walk_follow(w, name);
	if (!last) {
		if (!S_ISDIR(st.st_mode)) {
			errno = ENOTDIR;
			return -1;
		}
		return walk_push(w, name);
	}
	if (want_dir && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	*fd = openat(walk_top(w), name, flags | O_NOFOLLOW | O_CLOEXEC, mode);
	return *fd < 0 ? -1 : 1;
}

static int resolve_walk(int root_fd, const char *path, int flags, mode_t mode, int *fd)
{
	struct walk *w = malloc(sizeof(*w));
	size_t len = strlen(path);
	bool want_dir = len > 0 && path[len - 1] == '/', last = false;
	char name[NAME_MAX + 2];
	int rc = 0, saved;

	if (!w) {
		errno = ENOMEM;
		return -1;
	}
	if (len >= sizeof(w->rest)) {
		free(w);
		errno = ENAMETOOLONG;
		return -1;
	}
	w->root = root_fd;
	w->stack[0] = root_fd;
	w->depth = 0;
	w->links = 0;
	memcpy(w->rest, path, len + 1);
	while (rc == 0 && walk_next(w, name, sizeof(name), &last))
		rc = walk_step(w, name, last, flags, mode, want_dir, fd);
	if (rc == 0) {
		/* The path ended on a directory ("/", "a/..", a symlink to a dir). */
		*fd = openat(walk_top(w), ".", (flags & ~(O_CREAT | O_EXCL)) | O_CLOEXEC);
		rc = *fd < 0 ? -1 : 1;
	}
	saved = errno;
	walk_pop_to(w, 0);
	free(w);
	errno = saved;
	return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------ in root */

static int resolve(int root_fd, const char *path, int flags, mode_t mode, int *fd)
{
	if (!(forced_fallbacks & BERTH_FALLBACK_OPENAT2)) {
		if (resolve_openat2(root_fd, path, flags, mode, fd) == 0)
			return 0;
		if (errno != ENOSYS)
			return -1;
	}
	return resolve_walk(root_fd, path, flags, mode, fd);
}

/* Where create_parents may create: the filesystems (st_dev) of the caller's
 * own layers.  NULL: anywhere the caller may write. */
struct create_guard {
	const dev_t *devs;
	size_t n_devs;
};

/* dir_fd is where a directory or file named prefix is about to be made: on
 * one of the guard's filesystems, or refused (EROFS on a read-only mount,
 * as a plain mkdirat would say, so callers that split read-only image
 * directories still do). */
static int guard_check(int dir_fd, const struct create_guard *guard, const char *prefix,
		       struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	struct statvfs vfs;
	struct stat st;

	if (!guard)
		return 0;
	berth_path_shown(prefix, shown, sizeof(shown));
	if (fstat(dir_fd, &st) < 0)
		return berth_error_errno(err, errno, "\"%s\"", shown);
	for (size_t i = 0; i < guard->n_devs; i++)
		if (st.st_dev == guard->devs[i])
			return 0;
	if (fstatvfs(dir_fd, &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
		return berth_error_errno(err, EROFS, "cannot create directory \"%s\"", shown);
	return berth_error_set(err, EPERM, "cannot create \"%s\" on a host filesystem", shown);
}

/* Create the missing directories of path, each resolved afresh from the
 * root (so symlinks and ".." mean what they mean for the final open); each
 * made with mkdirat in the fd of its parent, checked against guard. */
static int create_parents(int root_fd, const char *path, bool include_last,
			  const struct create_guard *guard, struct berth_error *err)
{
	char prefix[PATH_MAX], shown[BERTH_PATH_SHOWN_SIZE];
	size_t len = strlen(path);

	if (len >= sizeof(prefix))
		return berth_error_set(err, ENAMETOOLONG, "\"%s\" is too long",
				       berth_path_shown(path, shown, sizeof(shown)));
	for (size_t i = 1; i <= len; i++) {
		int fd, parent;
		const char *name;
		bool bad;
		char *slash;

		if (i < len && path[i] != '/')
			continue;
		if (i == len && !include_last)
			break;
		memcpy(prefix, path, i);
		prefix[i] = '\0';
		if (resolve(root_fd, prefix, O_PATH, 0, &fd) == 0) {
			close(fd);
			continue;
		}
		if (errno != ENOENT)
			return berth_error_errno(err, errno, "\"%s\"",
						 berth_path_shown(prefix, shown, sizeof(shown)));
		/* prefix's parent exists (checked one round earlier). */
		slash = strrchr(prefix, '/');
		name = slash + 1;
		if (slash == prefix) {
			parent = fcntl(root_fd, F_DUPFD_CLOEXEC, 0);
		} else {
			*slash = '\0';
			if (resolve(root_fd, prefix, O_PATH | O_DIRECTORY, 0, &parent) < 0)
				parent = -1;
			*slash = '/';
		}
		if (parent < 0)
			return berth_error_errno(err, errno, "\"%s\"",
						 berth_path_shown(prefix, shown, sizeof(shown)));
		if (guard_check(parent, guard, prefix, err) < 0) {
			close(parent);
			return -1;
		}
		bad = !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
		if (bad || (mkdirat(parent, name, 0755) < 0 && errno != EEXIST)) {
			int saved = bad ? ENOENT : errno;

			close(parent);
			return berth_error_errno(err, saved, "cannot create directory \"%s\"",
						 berth_path_shown(prefix, shown, sizeof(shown)));
		}
		close(parent);
	}
	return 0;
}

int berth_open_in_root(int root_fd, const char *path, int flags, mode_t mode_for_create,
		       bool create_dirs, int *fd_out, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	bool is_dir = (flags & O_DIRECTORY) && !(flags & O_CREAT);

	*fd_out = -1;
	if (!path || !*path)
		return berth_error_set(err, EINVAL, "empty path");
	if (create_dirs && create_parents(root_fd, path, is_dir, NULL, err) < 0)
		return -1;
	if (resolve(root_fd, path, flags, mode_for_create, fd_out) < 0) {
		*fd_out = -1;
		return berth_error_errno(err, errno, "\"%s\"",
					 berth_path_shown(path, shown, sizeof(shown)));
	}
	return 0;
}

/* The file at the end of path, made in the fd of its (checked) parent. */
static int make_file(int root_fd, const char *path, const struct create_guard *guard, int *fd_out,
		     struct berth_error *err)
{
	char parent_path[PATH_MAX], shown[BERTH_PATH_SHOWN_SIZE];
	const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
	int parent;

	berth_path_shown(path, shown, sizeof(shown));
	if (!slash || !*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0 ||
	    (size_t)(slash - path) >= sizeof(parent_path))
		return berth_error_set(err, EINVAL, "\"%s\" does not name a file", shown);
	snprintf(parent_path, sizeof(parent_path), "%.*s", slash == path ? 1 : (int)(slash - path),
		 path);
	if (resolve(root_fd, parent_path, O_PATH | O_DIRECTORY, 0, &parent) < 0)
		return berth_error_errno(err, errno, "\"%s\"", shown);
	if (guard_check(parent, guard, path, err) < 0) {
		close(parent);
		return -1;
	}
	*fd_out = openat(parent, name, O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	close(parent);
	if (*fd_out < 0)
		return berth_error_errno(err, errno, "\"%s\"", shown);
	return 0;
}

int berth_make_in_root(int root_fd, const char *path, bool dir, const dev_t *devs, size_t n_devs,
		       int *fd_out, struct berth_error *err)
{
	const struct create_guard guard = { devs, n_devs };
	char shown[BERTH_PATH_SHOWN_SIZE];

	*fd_out = -1;
	if (!path || path[0] != '/')
		return berth_error_set(err, EINVAL, "\"%s\" is not an absolute path",
				       path ? berth_path_shown(path, shown, sizeof(shown)) : "");
	if (create_parents(root_fd, path, dir, &guard, err) < 0)
		return -1;
	if (!dir)
		return make_file(root_fd, path, &guard, fd_out, err);
	if (resolve(root_fd, path, O_PATH | O_DIRECTORY, 0, fd_out) < 0) {
		*fd_out = -1;
		return berth_error_errno(err, errno, "\"%s\"",
					 berth_path_shown(path, shown, sizeof(shown)));
	}
	return 0;
}
