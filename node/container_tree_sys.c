/*
 * container_tree_sys.c - the tree's /proc, /dev, /sys, /tmp and /etc (see
 * container_tree.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "container_tree_int.h"
#include "safe_mount.h"
#include "safe_path.h"

static const char *const dev_nodes[] = { "null", "zero", "full", "random", "urandom", "tty", NULL };

static const struct {
	const char *name, *target;
} dev_links[] = {
	{ "fd", "/proc/self/fd" },
	{ "stdin", "/proc/self/fd/0" },
	{ "stdout", "/proc/self/fd/1" },
	{ "stderr", "/proc/self/fd/2" },
};

/* ------------------------------------------------------------ /proc /sys /tmp */

static int host_bind(struct tree_ctx *ctx, const char *host, int dst, unsigned flags,
		     struct berth_error *err)
{
	int src = open(host, O_PATH | O_CLOEXEC), rc;

	if (src < 0)
		return berth_error_errno(err, errno, "\"%s\"", host);
	rc = tree_bind(ctx, src, dst, flags, err);
	close(src);
	return rc;
}

static int mount_proc(struct tree_ctx *ctx, struct berth_error *err)
{
	int fd, rc;

	if (tree_reserved_dir(ctx, "proc", &fd, err) < 0)
		return -1;
	rc = tree_mount_fs(ctx, "proc", fd, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, err);
	if (rc < 0)   /* e.g. a kernel that wants a new pid namespace for it */
		rc = host_bind(ctx, "/proc", fd, BERTH_BIND_REC | BERTH_BIND_NOEXEC, err);
	close(fd);
	return rc < 0 ? berth_error_prefix(err, "/proc") : 0;
}

static int mount_sys_tmp(struct tree_ctx *ctx, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	int fd, src, rc;

	if (tree_reserved_dir(ctx, "sys", &fd, err) < 0)
		return -1;
	rc = host_bind(ctx, "/sys", fd, BERTH_BIND_RO | BERTH_BIND_REC | BERTH_BIND_NOEXEC, err);
	close(fd);
	if (rc < 0)
		return berth_error_prefix(err, "/sys");
	if (tree_reserved_dir(ctx, "tmp", &fd, err) < 0)
		return -1;
	src = open(ctx->spec->tmp_dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0)
		rc = berth_error_errno(err, errno, "job tmp \"%s\"",
				       berth_path_shown(ctx->spec->tmp_dir, shown, sizeof(shown)));
	else if ((rc = tree_bind(ctx, src, fd, 0, err)) < 0)
		berth_error_prefix(err, "/tmp");
	if (src >= 0)
		close(src);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ /dev */

static int dev_node(struct tree_ctx *ctx, int dev, const char *name, struct berth_error *err)
{
	char host[32];
	struct stat st;
	int src, dst, rc;

	snprintf(host, sizeof(host), "/dev/%s", name);
	src = open(host, O_PATH | O_CLOEXEC);
	if (src < 0 || fstat(src, &st) < 0 || !S_ISCHR(st.st_mode)) {
		if (src >= 0)
			close(src);
		return 0;   /* the host has none (tty without a terminal): none either */
	}
	if (mknodat(dev, name, S_IFREG | 0666, 0) < 0 ||
	    (dst = openat(dev, name, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rc = berth_error_errno(err, errno, "\"%s\"", host);
		close(src);
		return rc;
	}
	rc = tree_bind(ctx, src, dst, BERTH_BIND_DEVICES | BERTH_BIND_NOEXEC, err);
	close(src);
	close(dst);
	return rc < 0 ? berth_error_prefix(err, "\"%s\"", host) : 0;
}

static int dev_subdirs(struct tree_ctx *ctx, int dev, struct berth_error *err)
{
	char data[64];
	int pts = -1, shm = -1, rc = 0;

	if (mkdirat(dev, "pts", 0755) < 0 || mkdirat(dev, "shm", 01777) < 0 ||
	    (pts = openat(dev, "pts", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    (shm = openat(dev, "shm", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		rc = berth_error_errno(err, errno, "/dev/pts, /dev/shm");
	/* The host's devpts: a step's terminal (srun --pty) is one of its
	 * nodes, and `tty`, job control and editors need to find it at its
	 * name; the job sees the names it would see on the node anyway.  A
	 * private instance only where the host has none to bind. */
	if (rc == 0 && host_bind(ctx, "/dev/pts", pts, BERTH_BIND_DEVICES | BERTH_BIND_NOEXEC, err) < 0 &&
	    (rc = tree_mount_fs(ctx, "devpts", pts, "devpts", MS_NOSUID | MS_NOEXEC,
				"newinstance,ptmxmode=0666,mode=0620", err)) < 0)
		berth_error_prefix(err, "/dev/pts");
	/* /dev/ptmx: a node of its own (not a bind: the kernel allocates from
	 * the devpts at "pts" next to the node opened, and a bound node's
	 * neighbours are the host's); pts/ptmx is mode 000 on most hosts. */
	if (rc == 0 && (mknodat(dev, "ptmx", S_IFCHR | 0666, makedev(5, 2)) < 0 ||
			fchmodat(dev, "ptmx", 0666, 0) < 0))   /* past the umask */
		rc = berth_error_errno(err, errno, "/dev/ptmx");
	if (ctx->spec->shm_size)
		snprintf(data, sizeof(data), "mode=1777,size=%llu",
			 (unsigned long long)ctx->spec->shm_size);
	else
		snprintf(data, sizeof(data), "mode=1777");
	if (rc == 0 && (rc = tree_mount_fs(ctx, "shm", shm, "tmpfs", MS_NOSUID | MS_NODEV, data,
					   err)) < 0)
		berth_error_prefix(err, "/dev/shm");
	tree_close(&pts);
	tree_close(&shm);
	return rc;
}

/* One CDI device node in the tree's /dev tmpfs (dev): parents made 0755,
 * the node with mknod, then mode and owner set (past the umask). */
static int cdi_node(int dev, const struct berth_tree_device *d, struct berth_error *err)
{
	const char *rel = d->path + strlen("/dev/");
	char parent[PATH_MAX];

	for (const char *slash = strchr(rel, '/'); slash; slash = strchr(slash + 1, '/')) {
		snprintf(parent, sizeof(parent), "%.*s", (int)(slash - rel), rel);
		if (mkdirat(dev, parent, 0755) < 0 && errno != EEXIST)
			return berth_error_errno(err, errno, "CDI device node \"%s\": mkdir", d->path);
	}
	if (mknodat(dev, rel, d->type | (d->mode & 0777), makedev(d->major, d->minor)) < 0)
		return berth_error_errno(err, errno, "CDI device node \"%s\"", d->path);
	/* the node was just made in a root-only tmpfs: no symlink race */
	if (fchmodat(dev, rel, d->mode & 07777, 0) < 0)
		return berth_error_errno(err, errno, "CDI device node \"%s\": chmod", d->path);
	if (fchownat(dev, rel, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return berth_error_errno(err, errno, "CDI device node \"%s\": chown", d->path);
	return 0;
}

static int mount_dev(struct tree_ctx *ctx, struct berth_error *err)
{
	int dev = -1, rc;

	if (tree_reserved_dir(ctx, "dev", &dev, err) < 0)
		return -1;
	/* not nodev: /dev/ptmx is a node made here (root-owned 0755: the job
	 * cannot add any; the other nodes are binds of the host's) */
	rc = tree_mount_fs(ctx, "berth-dev", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=64k",
			   err);
	tree_close(&dev);
	if (rc < 0 || tree_reserved_dir(ctx, "dev", &dev, err) < 0)
		return berth_error_prefix(err, "/dev");
	for (size_t i = 0; rc == 0 && dev_nodes[i]; i++)
		rc = dev_node(ctx, dev, dev_nodes[i], err);
	for (size_t i = 0; rc == 0 && i < sizeof(dev_links) / sizeof(dev_links[0]); i++)
		if (symlinkat(dev_links[i].target, dev, dev_links[i].name) < 0)
			rc = berth_error_errno(err, errno, "/dev/%s", dev_links[i].name);
	if (rc == 0)
		rc = dev_subdirs(ctx, dev, err);
	for (size_t i = 0; rc == 0 && i < ctx->spec->n_devices; i++)
		rc = cdi_node(dev, &ctx->spec->devices[i], err);
	tree_close(&dev);
	return rc;
}

int tree_system(struct tree_ctx *ctx, struct berth_error *err)
{
	if (mount_proc(ctx, err) < 0 || mount_dev(ctx, err) < 0 || mount_sys_tmp(ctx, err) < 0)
		return -1;
	return 0;
}

/* ------------------------------------------------------------ /etc */

/* Read a regular file of at most max bytes; a missing file reads as "". */
static int read_small(int dir_fd, const char *path, bool in_root, size_t max, char **out,
		      size_t *len, mode_t *mode, struct berth_error *err)
{
	struct stat st;
	ssize_t n;
	int fd;

	*out = NULL;
	*len = 0;
	if (in_root) {
		struct berth_error open_err = BERTH_ERROR_INIT;

		if (berth_open_in_root(dir_fd, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, false, &fd,
				       &open_err) < 0) {
			if (open_err.code == ENOENT)
				return 0;
			if (err)
				*err = open_err;
			return -1;
		}
	} else if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0) {
		return berth_error_errno(err, errno, "\"%s\"", path);
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return berth_error_set(err, EINVAL, "\"%s\": not a regular file of at most %zu bytes",
				       path, max);
	}
	if (mode)
		*mode = st.st_mode & 0777;
	if (!(*out = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return berth_error_errno(err, ENOMEM, "\"%s\"", path);
	}
	while (*len < (size_t)st.st_size &&
	       ((n = read(fd, *out + *len, (size_t)st.st_size - *len)) > 0 ||
		(n < 0 && errno == EINTR)))
		*len += n > 0 ? (size_t)n : 0;
	(*out)[*len] = '\0';
	close(fd);
	return 0;
}

/* Replace name in etc_fd (file, symlink or absent) by a new file. */
static int write_etc(int etc_fd, const char *name, const char *const *parts, const size_t *lens,
		     size_t nparts, mode_t mode, struct berth_error *err)
{
	int fd;

	if (unlinkat(etc_fd, name, 0) < 0 && errno != ENOENT)
		return berth_error_errno(err, errno, "/etc/%s", name);
	fd = openat(etc_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		return berth_error_errno(err, errno, "/etc/%s", name);
	for (size_t i = 0; i < nparts; i++) {
		for (size_t off = 0; off < lens[i];) {
			ssize_t n = write(fd, parts[i] + off, lens[i] - off);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				int saved = n < 0 ? errno : EIO;

				close(fd);
				return berth_error_errno(err, saved, "/etc/%s", name);
			}
			off += (size_t)n;
		}
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		return berth_error_errno(err, errno, "/etc/%s", name);
	return 0;
}

/* Field i (0-based) of an account line, as pointer and length. */
static bool field(const char *line, size_t len, int i, const char **f, size_t *flen)
{
	const char *p = line, *end = line + len;

	for (; i > 0; i--) {
		const char *c = memchr(p, ':', (size_t)(end - p));

		if (!c)
			return false;
		p = c + 1;
	}
	*f = p;
	*flen = (size_t)((const char *)(memchr(p, ':', (size_t)(end - p)) ?: end) - p);
	return true;
}

static bool same_field(const char *a, size_t alen, const char *b, int i)
{
	const char *fa, *fb;
	size_t la, lb;

	return field(a, alen, i, &fa, &la) && field(b, strlen(b), i, &fb, &lb) && la == lb &&
	       memcmp(fa, fb, la) == 0;
}

/* A caller's line: nfields fields, printable, numeric id in field 2. */
static int check_entry(const char *what, const char *line, int nfields, struct berth_error *err)
{
	const char *f;
	size_t flen;
	int colons = 0;

	for (const char *p = line; *p; p++) {
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return berth_error_set(err, EINVAL, "%s entry has a control character", what);
		colons += *p == ':';
	}
	if (colons != nfields - 1 || !field(line, strlen(line), 2, &f, &flen) || flen == 0 ||
	    strspn(f, "0123456789") != flen || line[0] == ':')
		return berth_error_set(err, EINVAL, "%s entry \"%.64s\" is malformed", what, line);
	return 0;
}

/* Image lines minus those sharing a name or id with an entry, then the
 * entries. */
static int write_accounts(struct tree_ctx *ctx, int etc_fd, const char *name,
			  const char *const *entries, size_t n, struct berth_error *err)
{
	char path[32], *image, *out, *o;
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "/etc/%s", name);
	if (read_small(ctx->image_fd, path, true, BERTH_TREE_ACCOUNTS_MAX, &image, &len, NULL,
		       err) < 0)
		return berth_error_prefix(err, "image");
	size_t total = len + 2;
	for (size_t i = 0; i < n; i++)
		total += strlen(entries[i]) + 1;
	if (!(out = malloc(total))) {
		free(image);
		return berth_error_errno(err, ENOMEM, "%s", path);
	}
	o = out;
	for (char *line = image; line && *line;) {
		char *nl = strchr(line, '\n');
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		bool drop = false;

		for (size_t i = 0; i < n && !drop; i++)
			drop = same_field(line, l, entries[i], 0) || same_field(line, l, entries[i], 2);
		if (!drop && l > 0) {
			memcpy(o, line, l);
			o += l;
			*o++ = '\n';
		}
		line = nl ? nl + 1 : NULL;
	}
	for (size_t i = 0; i < n; i++) {
		o = stpcpy(o, entries[i]);
		*o++ = '\n';
	}
	len = (size_t)(o - out);
	rc = write_etc(etc_fd, name, (const char *const *)&out, &len, 1, 0644, err);
	free(out);
	free(image);
	return rc;
}

/* extra: lines written after the host's copy of /etc/hosts (the job's
 * nodes), NULL for none. */
static int copy_site_file(int etc_fd, const char *host, const char *extra, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE], *data;
	const char *name, *parts[3];
	mode_t mode = 0644;
	size_t len, lens[3], nparts = 1;
	int rc;

	berth_path_shown(host, shown, sizeof(shown));
	if (strncmp(host, "/etc/", 5) != 0)
		return berth_error_set(err, EINVAL, "site file \"%s\" is not directly in /etc", shown);
	name = host + 5;
	if (!*name || strchr(name, '/') ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return berth_error_set(err, EINVAL, "site file \"%s\" is not directly in /etc", shown);
	if (strcmp(name, "passwd") == 0 || strcmp(name, "group") == 0)
		return berth_error_set(err, EINVAL, "site file \"%s\": generated, not copied", shown);
	if (read_small(-1, host, false, BERTH_TREE_ETC_FILE_MAX, &data, &len, &mode, err) < 0)
		return berth_error_prefix(err, "site file");
	parts[0] = data;
	lens[0] = len;
	if (extra && strcmp(name, "hosts") == 0) {
		if (len && data[len - 1] != '\n')
			parts[nparts] = "\n", lens[nparts++] = 1;
		parts[nparts] = extra, lens[nparts++] = strlen(extra);
	}
	/* Root-owned like the host's, with the host's mode (0600 stays 0600). */
	rc = write_etc(etc_fd, name, parts, lens, nparts, mode, err);
	free(data);
	return rc;
}

/* The /etc to write into: an overlay over the image's (bind mode), or the
 * tree's own (writable overlay). */
static int etc_dir(struct tree_ctx *ctx, int *etc_fd, struct berth_error *err)
{
	char data[160], l[32], u[32], w[32];
	int lower = -1, upper = -1, work = -1, rc;

	if (ctx->overlay)
		return berth_open_in_root(ctx->tree_fd, "/etc", O_PATH | O_DIRECTORY, 0, true,
					  etc_fd, err);
	if (berth_open_in_root(ctx->image_fd, "/etc", O_PATH | O_DIRECTORY, 0, false, &lower,
			       NULL) < 0)
		lower = openat(ctx->stage_fd, "etc-empty", O_PATH | O_DIRECTORY | O_CLOEXEC);
	upper = openat(ctx->stage_fd, "etc-upper", O_PATH | O_DIRECTORY | O_CLOEXEC);
	work = openat(ctx->stage_fd, "etc-work", O_PATH | O_DIRECTORY | O_CLOEXEC);
	rc = tree_reserved_dir(ctx, "etc", etc_fd, err);
	if (rc == 0 && (lower < 0 || upper < 0 || work < 0))
		rc = berth_error_errno(err, errno, "/etc overlay");
	if (rc == 0)
		rc = tree_upper_like(lower, ctx->stage_fd, "etc-upper", err);
	if (rc == 0) {
		snprintf(data, sizeof(data), "lowerdir=%s,upperdir=%s,workdir=%s",
			 berth_fd_path(lower, l, sizeof(l)), berth_fd_path(upper, u, sizeof(u)),
			 berth_fd_path(work, w, sizeof(w)));
		rc = tree_mount_fs(ctx, "berth-etc", *etc_fd, "overlay", MS_NOSUID | MS_NODEV, data,
				   err);
	}
	tree_close(etc_fd);
	tree_close(&lower);
	tree_close(&upper);
	tree_close(&work);
	if (rc == 0)
		rc = tree_reserved_dir(ctx, "etc", etc_fd, err);
	return rc;
}

/* The user's login shell must exist in the image, or sshd refuses logins
 * ("shell does not exist"): a host /bin/bash becomes /bin/sh in an image
 * without bash.  *fixed is a malloc'd replacement entry, or NULL. */
static int usable_shell(struct tree_ctx *ctx, const char *entry, char **fixed,
			struct berth_error *err)
{
	const char *shell = strrchr(entry, ':') + 1;
	int fd;

	*fixed = NULL;
	if (!*shell || berth_open_in_root(ctx->image_fd, shell, O_PATH, 0, false, &fd, NULL) == 0) {
		if (*shell)
			close(fd);
		return 0;
	}
	if (asprintf(fixed, "%.*s/bin/sh", (int)(shell - entry), entry) < 0) {
		*fixed = NULL;
		return berth_error_errno(err, ENOMEM, "passwd");
	}
	return 0;
}

int tree_etc(struct tree_ctx *ctx, struct berth_error *err)
{
	const struct berth_tree_spec *spec = ctx->spec;
	int etc_fd = -1, rc;

	if (spec->passwd_entry && check_entry("passwd", spec->passwd_entry, 7, err) < 0)
		return -1;
	for (size_t i = 0; i < spec->n_group_entries; i++)
		if (check_entry("group", spec->group_entries[i], 4, err) < 0)
			return -1;
	if ((rc = etc_dir(ctx, &etc_fd, err)) < 0)
		return berth_error_prefix(err, "/etc");
	for (size_t i = 0; rc == 0 && i < spec->n_etc_files; i++)
		rc = copy_site_file(etc_fd, spec->etc_files[i], spec->etc_hosts_extra, err);
	if (rc == 0 && spec->passwd_entry) {
		char *fixed = NULL;
		const char *entry = spec->passwd_entry;

		if ((rc = usable_shell(ctx, entry, &fixed, err)) == 0)
			rc = write_accounts(ctx, etc_fd, "passwd", fixed ? (const char *const *)&fixed : &entry,
					    1, err);
		free(fixed);
	}
	if (rc == 0 && spec->n_group_entries)
		rc = write_accounts(ctx, etc_fd, "group", spec->group_entries,
				    spec->n_group_entries, err);
	if (rc == 0 && !ctx->overlay && (rc = berth_mount_make_ro(etc_fd, err)) < 0)
		berth_error_prefix(err, "/etc");
	tree_close(&etc_fd);
	return rc;
}
