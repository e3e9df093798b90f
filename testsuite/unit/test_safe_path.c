/*
 * test_safe_path.c - unit tests of node/safe_path*.c and safe_mount.c.
 *
 * Resolution tests run against a small tree in a temporary directory, once
 * with openat2 and once with the forced component walk (loop tests: _i is
 * the fallback mask).  Tests that open as another user or mount need root
 * and Check's fork mode (each test then runs in its own process and may
 * unshare its own mount namespace); otherwise they skip with a message.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "safe_mount.h"
#include "safe_path.h"
#include "unit.h"


static char base[64];        /* the temporary directory */
static char tree[128];       /* base/tree: the root for resolution tests */
static int saved_ns = -1;    /* the original mount namespace, see private_ns() */

#define ALL_FALLBACKS (BERTH_FALLBACK_OPENAT2 | BERTH_FALLBACK_MOUNT_API | BERTH_FALLBACK_PIDFD)

/* Loop tests: _i 0 uses openat2, the new mount API and pidfd_getfd; 1
 * forces every fallback. */
static void set_mode(int i)
{
	berth_safe_path_force_fallback(i ? ALL_FALLBACKS : 0);
}


/* ------------------------------------------------------------ fixture */

static void put_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void at(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", base, rel);
}

static void setup(void)
{
	static const char *const links[][2] = {
		{ "/etc", "tree/evil" },
		{ "etc", "tree/rel" },
		{ "../../../../../etc", "tree/up" },
		{ "loop2", "tree/loop1" },
		{ "loop1", "tree/loop2" },
		{ "/nonexistent-berth/x", "tree/dangling" },
		{ "/proc/self/root", "tree/magic" },
	};
	char p[256];

	snprintf(base, sizeof(base), "/tmp/berth-sp-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	ck_assert_int_eq(chmod(base, 0755), 0);
	snprintf(tree, sizeof(tree), "%s/tree", base);
	ck_assert_int_eq(mkdir(tree, 0755), 0);
	at(p, sizeof(p), "tree/etc");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	at(p, sizeof(p), "tree/data");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	at(p, sizeof(p), "tree/etc/passwd");
	put_file(p, "tree-passwd\n", 0644);
	at(p, sizeof(p), "tree/file");
	put_file(p, "file\n", 0644);
	for (size_t i = 0; i < ARRAY_LEN(links); i++) {
		at(p, sizeof(p), links[i][1]);
		ck_assert_int_eq(symlink(links[i][0], p), 0);
	}
}

/* A private mount namespace for this test process; teardown goes back to
 * the original one, and the private one dies with its mounts. */
static void private_ns(void)
{
	ck_assert_int_ge(saved_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC), 0);
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
}

static void teardown(void)
{
	char cmd[128];

	if (saved_ns >= 0) {
		ck_assert_int_eq(setns(saved_ns, CLONE_NEWNS), 0);
		close(saved_ns);
		saved_ns = -1;
	}

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	ck_assert_int_eq(system(cmd), 0);
	berth_safe_path_force_fallback(0);
}

static int open_tree_root(void)
{
	int fd = open(tree, O_PATH | O_DIRECTORY | O_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	return fd;
}

static void read_fd(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
}

/* ------------------------------------------------------------ lexical */

START_TEST(t_normalize)
{
	static const char *const cases[][2] = {
		{ "/", "/" },           { "//", "/" },           { "/a/./b//c/", "/a/b/c" },
		{ "/a/../..", "/" },    { "/..", "/" },          { "/data/../etc", "/etc" },
		{ "/a/b/../c", "/a/c" }, { "/a/.../b", "/a/.../b" },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[64];

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		ck_assert_int_eq(berth_path_normalize(cases[i][0], buf, sizeof(buf), &err), 0);
		ck_assert_str_eq(buf, cases[i][1]);
	}
	ck_assert_int_eq(berth_path_normalize("rel/x", buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, "\"rel/x\" is not an absolute path");
	ck_assert_int_eq(berth_path_normalize("/aaaa/bbbb", buf, 8, &err), -1);
	ck_assert_int_eq(err.code, ENAMETOOLONG);
	ck_assert_str_eq(err.msg, "\"/aaaa/bbbb\" is too long");
}
END_TEST

START_TEST(t_is_under_and_shown)
{
	char buf[12];

	ck_assert(berth_path_is_under("/etc", "/etc"));
	ck_assert(berth_path_is_under("/etc/x", "/etc"));
	ck_assert(!berth_path_is_under("/etcx", "/etc"));
	ck_assert(!berth_path_is_under("/et", "/etc"));
	ck_assert(berth_path_is_under("/anything", "/"));
	ck_assert_str_eq(berth_path_shown("/a\nb\x80", buf, sizeof(buf)), "/a?b?");
	ck_assert_str_eq(berth_path_shown("/0123456789abc", buf, sizeof(buf)), "/0123456...");
}
END_TEST

/* ------------------------------------------------------------ in root */

/* Open path in the tree and return the first line read from it. */
static int open_in_tree(const char *path, int flags, bool create, char *text, size_t size,
			struct berth_error *err)
{
	int root = open_tree_root(), fd, rc;

	rc = berth_open_in_root(root, path, flags, 0644, create, &fd, err);
	close(root);
	if (rc == 0) {
		ck_assert_int_ge(fd, 0);
		if (text) {
			read_fd(fd, text, size);
		}
		close(fd);
	} else {
		ck_assert_int_eq(fd, -1);
	}
	return rc;
}

START_TEST(t_symlinks_stay_inside)
{
	static const char *const paths[] = {
		"/evil/passwd", "/rel/passwd", "/up/passwd", "/../../etc/passwd",
		"/data/../etc/passwd", "evil/passwd", "/data/../../evil/../etc/passwd",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char text[64];

	set_mode(_i);
	for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
		ck_assert_msg(open_in_tree(paths[i], O_RDONLY, false, text, sizeof(text), &err) == 0,
			      "%s: %s", paths[i], err.msg);
		ck_assert_str_eq(text, "tree-passwd\n");
	}
}
END_TEST

START_TEST(t_resolution_errors)
{
	struct berth_error err = BERTH_ERROR_INIT;

	set_mode(_i);
	ck_assert_int_eq(open_in_tree("/loop1", O_RDONLY, false, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "\"/loop1\": Too many levels of symbolic links");
	ck_assert_int_eq(open_in_tree("/dangling", O_RDONLY, false, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "\"/dangling\": No such file or directory");
	ck_assert_int_eq(open_in_tree("/file/x", O_RDONLY, false, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "\"/file/x\": Not a directory");
	ck_assert_int_eq(open_in_tree("/file", O_PATH | O_DIRECTORY, false, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "\"/file\": Not a directory");
	ck_assert_int_eq(open_in_tree("", O_RDONLY, false, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "empty path");
}
END_TEST

START_TEST(t_root_and_dot)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct stat st, want;
	int root = open_tree_root(), fd;

	set_mode(_i);
	ck_assert_int_eq(stat(tree, &want), 0);
	for (const char *const *p = (const char *const[]){ "/", "/..", "/data/..", ".", "/evil/..",
							 NULL }; *p; p++) {
		ck_assert_msg(berth_open_in_root(root, *p, O_PATH | O_DIRECTORY, 0, false, &fd, &err) == 0,
			      "%s: %s", *p, err.msg);
		ck_assert_int_eq(fstat(fd, &st), 0);
		ck_assert(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
		close(fd);
	}
	close(root);
}
END_TEST

/* A magic link (/proc/self/root) must not lead out: openat2 refuses it,
 * the walk reads it as text and stays inside. */
START_TEST(t_magic_link)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char text[64];
	int host = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC), fd, rc;

	set_mode(_i);
	rc = berth_open_in_root(host, "/proc/self/root/etc/hostname", O_RDONLY, 0, false, &fd, &err);
	if (_i == 0) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg,
				 "\"/proc/self/root/etc/hostname\": Too many levels of symbolic links");
	} else if (rc == 0) {
		close(fd);
	}
	close(host);
	/* In the tree: "/magic" -> "/proc/self/root" stays inside (no /proc). */
	ck_assert_int_eq(open_in_tree("/magic/etc/passwd", O_RDONLY, false, text, sizeof(text), &err),
			 -1);
	ck_assert_str_eq(err.msg, "\"/magic/etc/passwd\": No such file or directory");
}
END_TEST

START_TEST(t_create_dirs)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char p[256];
	struct stat st;

	set_mode(_i);
	ck_assert_msg(open_in_tree("/data/a/b", O_PATH | O_DIRECTORY, true, NULL, 0, &err) == 0, "%s",
		      err.msg);
	at(p, sizeof(p), "tree/data/a/b");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	/* Through the image's absolute symlink: inside the tree, not /etc. */
	ck_assert_msg(open_in_tree("/evil/berth-new", O_PATH | O_DIRECTORY, true, NULL, 0, &err) == 0,
		      "%s", err.msg);
	at(p, sizeof(p), "tree/etc/berth-new");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert_int_eq(stat("/etc/berth-new", &st), -1);
	/* A file with its parents. */
	ck_assert_msg(open_in_tree("/evil/x/y/file", O_WRONLY | O_CREAT, true, NULL, 0, &err) == 0,
		      "%s", err.msg);
	at(p, sizeof(p), "tree/etc/x/y/file");
	ck_assert_int_eq(stat(p, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	/* Not through a dangling symlink. */
	ck_assert_int_eq(open_in_tree("/dangling/z", O_PATH | O_DIRECTORY, true, NULL, 0, &err), -1);
	ck_assert_int_eq(stat("/nonexistent-berth", &st), -1);
	/* Not under a file. */
	ck_assert_int_eq(open_in_tree("/file/z", O_PATH | O_DIRECTORY, true, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "\"/file/z\": Not a directory");
}
END_TEST

/* Mount points only on the filesystems the caller names: the tree's own
 * (here: the test directory's) yes, elsewhere EPERM and nothing made. */
START_TEST(t_make_only_on_own_layers)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct stat st, own;
	dev_t other = 0;
	char p[256];
	int root = open_tree_root(), fd;

	set_mode(_i);
	ck_assert_int_eq(fstat(root, &own), 0);
	ck_assert_msg(berth_make_in_root(root, "/data/m/n", true, &own.st_dev, 1, &fd, &err) == 0,
		      "%s", err.msg);
	close(fd);
	ck_assert_msg(berth_make_in_root(root, "/evil/m/file", false, &own.st_dev, 1, &fd, &err) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert(S_ISREG(st.st_mode));
	close(fd);
	at(p, sizeof(p), "tree/etc/m/file");
	ck_assert_int_eq(stat(p, &st), 0);
	/* Another filesystem (none of the caller's): refused, nothing made. */
	other = own.st_dev + 1;
	ck_assert_int_eq(berth_make_in_root(root, "/data/q/r", true, &other, 1, &fd, &err), -1);
	ck_assert_int_eq(err.code, EPERM);
	ck_assert_str_eq(err.msg, "cannot create \"/data/q\" on a host filesystem");
	ck_assert_int_eq(berth_make_in_root(root, "/data/file2", false, &other, 1, &fd, &err), -1);
	ck_assert_str_eq(err.msg, "cannot create \"/data/file2\" on a host filesystem");
	at(p, sizeof(p), "tree/data/q");
	ck_assert_int_eq(stat(p, &st), -1);
	at(p, sizeof(p), "tree/data/file2");
	ck_assert_int_eq(stat(p, &st), -1);
	/* What exists is opened whatever the filesystem. */
	ck_assert_int_eq(berth_make_in_root(root, "/data/m", true, &other, 1, &fd, &err), 0);
	close(fd);
	close(root);
}
END_TEST

START_TEST(t_create_read_only)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char p[256];

	REQUIRE_ROOT();
	set_mode(_i);
	private_ns();
	at(p, sizeof(p), "tree/data");
	ck_assert_int_eq(mount("t", p, "tmpfs", MS_RDONLY, NULL), 0);
	ck_assert_int_eq(open_in_tree("/data/sub", O_PATH | O_DIRECTORY, true, NULL, 0, &err), -1);
	ck_assert_int_eq(err.code, EROFS);
	ck_assert_str_eq(err.msg, "cannot create directory \"/data/sub\": Read-only file system");
}
END_TEST

/* ------------------------------------------------------------ as user */

static int fd_count(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static int open_as_nobody(const char *path, int hint, int *fd, struct berth_error *err)
{
	gid_t groups[] = { NOBODY };

	return berth_open_as_user(path, NOBODY, NOBODY, groups, 1, hint, fd, err);
}

START_TEST(t_as_user_ok)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct stat st, want;
	char p[256], text[64];
	int fd, before;

	REQUIRE_ROOT();
	set_mode(_i);
	before = fd_count();
	ck_assert_msg(open_as_nobody(tree, O_DIRECTORY, &fd, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(fstat(fd, &st), 0);
	ck_assert_int_eq(stat(tree, &want), 0);
	ck_assert(st.st_ino == want.st_ino);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(fd);
	/* A file through the user's symlink. */
	at(p, sizeof(p), "tree/rel/passwd");
	ck_assert_msg(open_as_nobody(p, 0, &fd, &err) == 0, "%s", err.msg);
	read_fd(fd, text, sizeof(text));
	ck_assert_str_eq(text, "tree-passwd\n");
	close(fd);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

START_TEST(t_as_user_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char secret[256], inner[256], msg[512], p[256];
	int fd, before;

	REQUIRE_ROOT();
	set_mode(_i);
	before = fd_count();
	at(secret, sizeof(secret), "secret");
	ck_assert_int_eq(mkdir(secret, 0700), 0);
	ck_assert_int_eq(open_as_nobody(secret, 0, &fd, &err), -1);
	ck_assert_int_eq(fd, -1);
	snprintf(msg, sizeof(msg), "volume source \"%s\": Permission denied", secret);
	ck_assert_str_eq(err.msg, msg);
	/* Readable itself, but below a directory nobody cannot search. */
	at(inner, sizeof(inner), "secret/open");
	ck_assert_int_eq(mkdir(inner, 0755), 0);
	ck_assert_int_eq(open_as_nobody(inner, 0, &fd, &err), -1);
	snprintf(msg, sizeof(msg), "volume source \"%s\": Permission denied", inner);
	ck_assert_str_eq(err.msg, msg);
	/* Missing, not a file, wrong kind, relative. */
	at(p, sizeof(p), "missing");
	ck_assert_int_eq(open_as_nobody(p, 0, &fd, &err), -1);
	snprintf(msg, sizeof(msg), "volume source \"%s\": No such file or directory", p);
	ck_assert_str_eq(err.msg, msg);
	at(p, sizeof(p), "fifo");
	ck_assert_int_eq(mkfifo(p, 0666), 0);
	ck_assert_int_eq(open_as_nobody(p, 0, &fd, &err), -1);
	snprintf(msg, sizeof(msg), "volume source \"%s\": not a directory or regular file", p);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(open_as_nobody("/dev/null", 0, &fd, &err), -1);
	ck_assert_str_eq(err.msg, "volume source \"/dev/null\": not a directory or regular file");
	at(p, sizeof(p), "tree/file");
	ck_assert_int_eq(open_as_nobody(p, O_DIRECTORY, &fd, &err), -1);
	snprintf(msg, sizeof(msg), "volume source \"%s\": Not a directory", p);
	ck_assert_str_eq(err.msg, msg);
	ck_assert_int_eq(open_as_nobody("rel", 0, &fd, &err), -1);
	ck_assert_str_eq(err.msg, "volume source \"rel\": not an absolute path");
	ck_assert_int_eq(open_as_nobody(p, O_RDWR, &fd, &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_int_eq(fd_count(), before);
}
END_TEST

/* ------------------------------------------------------------ mounts */

static int dir_fd(const char *rel)
{
	char p[256];
	int fd;

	at(p, sizeof(p), rel);
	fd = open(p, O_PATH | O_CLOEXEC);
	ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
	return fd;
}

static void bind(const char *src, const char *dst, unsigned flags)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int s = dir_fd(src), d = dir_fd(dst);

	ck_assert_msg(berth_bind_fd(s, d, flags, &err) == 0, "%s", err.msg);
	close(s);
	close(d);
}

static unsigned long vfs_flags(const char *rel)
{
	struct statvfs vfs;
	char p[256];

	at(p, sizeof(p), rel);
	ck_assert_int_eq(statvfs(p, &vfs), 0);
	return vfs.f_flag;
}

static int try_write(const char *rel)
{
	char p[256];
	int fd;

	at(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

START_TEST(t_bind_flags)
{
	char p[256];

	REQUIRE_ROOT();
	set_mode(_i);
	private_ns();
	for (const char *const *d = (const char *const[]){ "src", "src/sub", "ro", "rw", "rec",
							 "dev", NULL }; *d; d++) {
		at(p, sizeof(p), *d);
		ck_assert_int_eq(mkdir(p, 0755), 0);
	}
	at(p, sizeof(p), "src/sub");
	ck_assert_int_eq(mount("sub", p, "tmpfs", 0, NULL), 0);
	at(p, sizeof(p), "src/sub/inner");
	put_file(p, "inner\n", 0644);
	bind("src", "ro", BERTH_BIND_RO);
	bind("src", "rw", 0);
	bind("src", "rec", BERTH_BIND_REC | BERTH_BIND_RO);
	bind("src", "dev", BERTH_BIND_DEVICES | BERTH_BIND_NOEXEC);
	ck_assert_int_eq(try_write("ro/x"), EROFS);
	ck_assert_int_eq(try_write("rw/x"), 0);
	ck_assert_uint_eq(vfs_flags("ro") & (ST_RDONLY | ST_NOSUID | ST_NODEV),
			  ST_RDONLY | ST_NOSUID | ST_NODEV);
	ck_assert_uint_eq(vfs_flags("rw") & (ST_RDONLY | ST_NOSUID | ST_NODEV), ST_NOSUID | ST_NODEV);
	ck_assert_uint_eq(vfs_flags("dev") & (ST_NOSUID | ST_NODEV | ST_NOEXEC),
			  ST_NOSUID | ST_NOEXEC);
	/* Submounts come along only with REC. */
	at(p, sizeof(p), "ro/sub/inner");
	ck_assert_int_eq(access(p, F_OK), -1);
	at(p, sizeof(p), "rec/sub/inner");
	ck_assert_int_eq(access(p, F_OK), 0);
	if (_i == 0)   /* the new API makes the whole copy read-only */
		ck_assert_int_eq(try_write("rec/sub/y"), EROFS);
	/* A file onto a file; the source stays writable. */
	at(p, sizeof(p), "file-dst");
	put_file(p, "", 0644);
	bind("tree/file", "file-dst", BERTH_BIND_RO);
	ck_assert_int_eq(try_write("file-dst"), EROFS);
	ck_assert_int_eq(try_write("tree/file"), 0);
}
END_TEST

START_TEST(t_mount_fs_and_ro)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int fd;

	REQUIRE_ROOT();
	set_mode(_i);
	private_ns();
	fd = dir_fd("tree/data");
	ck_assert_msg(berth_mount_fs_fd("t", fd, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
					"mode=0755", &err) == 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(try_write("tree/data/x"), 0);
	fd = dir_fd("tree/data");   /* now the tmpfs */
	ck_assert_msg(berth_mount_make_ro(fd, &err) == 0, "%s", err.msg);
	close(fd);
	ck_assert_int_eq(try_write("tree/data/y"), EROFS);
	ck_assert_uint_eq(vfs_flags("tree/data") & (ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC),
			  ST_RDONLY | ST_NOSUID | ST_NODEV | ST_NOEXEC);
	ck_assert_int_eq(berth_mount_fs_fd("t", -5, "tmpfs", 0, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "mount tmpfs: No such file or directory");
}
END_TEST

static Suite *safe_path_suite(void)
{
	Suite *s = suite_create("safe_path");
	TCase *lex = tcase_create("lexical"), *res = tcase_create("in_root");
	TCase *user = tcase_create("as_user"), *mnt = tcase_create("mount");
	const int modes = 2;   /* see set_mode() */

	tcase_add_test(lex, t_normalize);
	tcase_add_test(lex, t_is_under_and_shown);
	suite_add_tcase(s, lex);
	tcase_add_checked_fixture(res, setup, teardown);
	tcase_add_checked_fixture(user, setup, teardown);
	tcase_add_checked_fixture(mnt, setup, teardown);
	tcase_set_timeout(user, 30);
	tcase_add_loop_test(res, t_symlinks_stay_inside, 0, modes);
	tcase_add_loop_test(res, t_resolution_errors, 0, modes);
	tcase_add_loop_test(res, t_root_and_dot, 0, modes);
	tcase_add_loop_test(res, t_magic_link, 0, modes);
	tcase_add_loop_test(res, t_create_dirs, 0, modes);
	tcase_add_loop_test(res, t_make_only_on_own_layers, 0, modes);
	tcase_add_loop_test(res, t_create_read_only, 0, modes);
	tcase_add_loop_test(user, t_as_user_ok, 0, modes);
	tcase_add_loop_test(user, t_as_user_refused, 0, modes);
	tcase_add_loop_test(mnt, t_bind_flags, 0, modes);
	tcase_add_loop_test(mnt, t_mount_fs_and_ro, 0, modes);
	suite_add_tcase(s, res);
	suite_add_tcase(s, user);
	suite_add_tcase(s, mnt);
	return s;
}

int main(void)
{
	return unit_run(safe_path_suite());
}
