/*
 * test_container_tree.c - unit tests of node/container_tree*.c and
 * loopdev.c: real trees from a real squashfs image, built as root in a
 * forked child with its own (private) mount namespace, then checked from
 * inside (chroot, as root and as nobody) and, after the child is gone,
 * for leftovers (mounts, loop devices).
 *
 * Needs root and Check's fork mode; otherwise every test skips with a
 * message.  The image (busybox rootfs, see test_container_tree_util.c) is
 * made once with mksquashfs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sys/sysmacros.h>

#include "container_tree.h"
#include "loopdev.h"
#include "safe_path.h"
#include "test_container_tree_util.h"
#include "unit.h"

#define PROC_MAGIC 0x9fa0
#define TMPFS_MAGIC 0x01021994
#define SYSFS_MAGIC 0x62656572

#undef REQUIRE_ROOT  /* unit.h's, plus the fixture: the image tools and mksquashfs */
#define REQUIRE_ROOT()                                                                   \
	do {                                                                             \
		const char *fork_mode = getenv("CK_FORK");                               \
		if (!tt.ready || (fork_mode && strcmp(fork_mode, "no") == 0)) {          \
			fprintf(stderr, "%s: skipped: needs root, mksquashfs and CK_FORK=yes\n", \
				__func__);                                               \
			return;                                                          \
		}                                                                        \
	} while (0)

struct job {
	struct tt_job dirs;
	struct berth_tree_spec spec;
	struct berth_tree_volume vols[8];
	const char *expect_error;   /* for refusals */
	char msg[1024];
};

static void job_init(struct job *job, const char *name)
{
	memset(job, 0, sizeof(*job));
	tt_job_init(&job->dirs, name);
	tt_spec_init(&job->spec, &job->dirs);
}

static void add_volume(struct job *job, const char *src, const char *dst, unsigned flags)
{
	struct berth_tree_volume *v;

	ck_assert_uint_lt(job->spec.n_volumes, ARRAY_LEN(job->vols));
	v = &job->vols[job->spec.n_volumes++];
	v->src = src;
	v->dst = dst;
	v->flags = flags;
	v->src_fd = -1;
	job->spec.volumes = job->vols;
}

/* In the namespace child: open the volumes as nobody (here, after the
 * unshare: a bind source must come from the same namespace). */
static void open_volumes(struct job *job)
{
	for (size_t i = 0; i < job->spec.n_volumes; i++)
		job->vols[i].src_fd = tt_open_as_nobody(job->vols[i].src);
}

static char *in_root(const struct job *job, const char *path, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s", job->dirs.root, path);
	return buf;
}

/* ------------------------------------------------------------ image, system */

static char host_pty_name[64];
static dev_t host_pty_rdev;

static void image_checks(void *arg)
{
	char buf[256];
	struct stat st;
	bool as_root = arg != NULL;

	TT_CHECK(strcmp(tt_read("/etc/os-release", buf, sizeof(buf)), "ID=berth-test\n") == 0);
	TT_CHECK(strcmp(tt_read("/data/file", buf, sizeof(buf)), "image-data\n") == 0);
	TT_CHECK(strcmp(tt_read("/rel/file", buf, sizeof(buf)), "image-data\n") == 0);
	TT_CHECK(readlink("/evil", buf, sizeof(buf)) == 4 && memcmp(buf, "/etc", 4) == 0);
	TT_CHECK(strcmp(tt_read("/evil/os-release", buf, sizeof(buf)), "ID=berth-test\n") == 0);
	/* Read-only everywhere, root or not: EROFS, not EACCES. */
	if (as_root) {
		TT_CHECK(tt_try_write("/etc/os-release") == EROFS);
		TT_CHECK(tt_try_write("/data/new") == EROFS);
		TT_CHECK(tt_try_write("/new-at-top") == EROFS);
		TT_CHECK(tt_try_write("/bin/new") == EROFS);
		TT_CHECK(tt_try_write("/sys/kernel/new") == EROFS);
	}
	TT_CHECK(stat("/bin/probe", &st) == 0 && (st.st_mode & S_ISUID) && st.st_uid == 0);
	/* /proc fresh, /dev minimal, /dev/shm and /tmp writable. */
	struct statfs fs;
	TT_CHECK(statfs("/proc", &fs) == 0 && fs.f_type == PROC_MAGIC);
	TT_CHECK(access("/proc/self/status", R_OK) == 0);
	TT_CHECK(statfs("/sys", &fs) == 0 && fs.f_type == SYSFS_MAGIC);
	TT_CHECK(tt_try_write("/dev/null") == 0);
	TT_CHECK(strlen(tt_read("/dev/zero", buf, 8)) == 0);
	TT_CHECK(access("/dev/urandom", R_OK) == 0 && access("/dev/pts", F_OK) == 0);
	/* a terminal made on the host (srun --pty: slurmstepd's) is found at
	 * its name, and one made inside is too */
	TT_CHECK_MSG(stat(host_pty_name, &st) == 0 && st.st_rdev == host_pty_rdev, "%s: %s", host_pty_name,
		     strerror(errno));
	int ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	TT_CHECK_MSG(ptmx >= 0, "/dev/ptmx: %s", strerror(errno));
	TT_CHECK(ptmx >= 0 && ptsname_r(ptmx, buf, sizeof(buf)) == 0 && access(buf, F_OK) == 0);
	close(ptmx);
	TT_CHECK(readlink("/dev/fd", buf, sizeof(buf)) == 13);
	TT_CHECK(access("/dev/sda", F_OK) < 0 && access("/dev/loop-control", F_OK) < 0);
	TT_CHECK(statfs("/dev/shm", &fs) == 0 && fs.f_type == TMPFS_MAGIC);
	snprintf(buf, sizeof(buf), "/dev/shm/x-%u", (unsigned)getuid());
	TT_CHECK(tt_try_write(buf) == 0);
	snprintf(buf, sizeof(buf), "/tmp/from-tree-%u", (unsigned)getuid());
	TT_CHECK(tt_try_write(buf) == 0);
	TT_CHECK(access("/tmp/file", F_OK) < 0);   /* the image's /tmp is not used */
}

static void build_and_check_image(void *arg)
{
	struct job *job = arg;
	char p[512], out[128];
	const char *probe[] = { "/bin/probe", NULL };
	struct statvfs vfs;

	int pty = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
	struct stat st;

	TT_CHECK(pty >= 0 && ptsname_r(pty, host_pty_name, sizeof(host_pty_name)) == 0 &&
		 stat(host_pty_name, &st) == 0);
	host_pty_rdev = st.st_rdev;
	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, 0, image_checks, (void *)1);
	tt_in_tree(job->dirs.root, NOBODY, image_checks, NULL);
	/* The setuid probe gains nothing: nosuid. */
	TT_CHECK(tt_tree_exec(job->dirs.root, NOBODY, probe, out, sizeof(out)) == 0);
	TT_CHECK_MSG(strcmp(out, "65534 65534\n") == 0, "probe printed \"%s\"", out);
	TT_CHECK(statvfs(in_root(job, "/bin/probe", p, sizeof(p)), &vfs) == 0);
	TT_CHECK((vfs.f_flag & (ST_NOSUID | ST_NODEV | ST_RDONLY)) == (ST_NOSUID | ST_NODEV | ST_RDONLY));
	/* What the tree wrote to /tmp is in the job's tmp on the host. */
	snprintf(p, sizeof(p), "%s/from-tree-%d", job->dirs.tmp, NOBODY);
	TT_CHECK(access(p, F_OK) == 0);
	close(pty);
}

START_TEST(t_image_and_system)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "image");
	tt_in_namespace(build_and_check_image, &job);
}
END_TEST

START_TEST(t_image_and_system_fallbacks)
{
	struct job job;

	REQUIRE_ROOT();
	berth_safe_path_force_fallback(BERTH_FALLBACK_OPENAT2 | BERTH_FALLBACK_MOUNT_API |
				       BERTH_FALLBACK_PIDFD);
	berth_loop_force_legacy(1);
	job_init(&job, "fallbacks");
	tt_in_namespace(build_and_check_image, &job);
}
END_TEST

/* ------------------------------------------------------------ /etc */

static void etc_checks(void *arg)
{
	char buf[512];
	int fd;

	(void)arg;
	tt_read("/etc/passwd", buf, sizeof(buf));
	TT_CHECK_MSG(strcmp(buf, "root:x:0:0:root:/root:/bin/sh\n"
				 "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n") == 0,
		     "passwd: \"%s\"", buf);
	tt_read("/etc/group", buf, sizeof(buf));
	TT_CHECK_MSG(strcmp(buf, "root:x:0:\nnogroup:x:65534:\n") == 0, "group: \"%s\"", buf);
	TT_CHECK((fd = open("/etc/os-release", O_RDONLY)) >= 0);
	close(fd);
	TT_CHECK(tt_try_write("/etc/passwd") == EROFS);
	TT_CHECK(tt_try_write("/etc/new") == EROFS);
}

static void build_and_check_etc(void *arg)
{
	struct job *job = arg;
	char host[512], tree[512], p[512];
	struct stat st;

	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, 0, etc_checks, NULL);
	/* /etc/hosts is the host's copy, resolv.conf still the image's symlink. */
	tt_read("/etc/hosts", host, sizeof(host));
	tt_read(in_root(job, "/etc/hosts", p, sizeof(p)), tree, sizeof(tree));
	TT_CHECK(strcmp(host, tree) == 0);
	TT_CHECK(lstat(in_root(job, "/etc/resolv.conf", p, sizeof(p)), &st) == 0 && S_ISLNK(st.st_mode));
	TT_CHECK(tt_is_mount(in_root(job, "/etc", p, sizeof(p))));
}

START_TEST(t_etc)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "etc");
	tt_in_namespace(build_and_check_etc, &job);
}
END_TEST

static void build_refused(void *arg)
{
	struct job *job = arg;
	struct berth_error err = BERTH_ERROR_INIT;

	open_volumes(job);
	TT_CHECK_MSG(berth_tree_build(&job->spec, NULL, &err) == -1, "built, expected \"%s\"",
		     job->expect_error);
	TT_CHECK_MSG(strcmp(err.msg, job->expect_error) == 0, "got \"%s\", expected \"%s\"", err.msg,
		     job->expect_error);
	/* Undone: the root is an empty directory again. */
	TT_CHECK_MSG(!tt_is_mount(job->dirs.root), "%s is still a mount point", job->dirs.root);
}

START_TEST(t_etc_bad_entries)
{
	static const char *const bad_files[] = { "/etc/passwd" };
	static const char *const outside[] = { "/var/x" };
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "etc-bad");
	job.spec.passwd_entry = "nobody:x:65534:65534:nobody:/x:/bin/sh\nroot2:x:0:0::/:/bin/sh";
	job.expect_error = "passwd entry has a control character";
	tt_in_namespace(build_refused, &job);
	job.spec.passwd_entry = "nobody:x:abc:65534:nobody:/x:/bin/sh";
	job.expect_error = "passwd entry \"nobody:x:abc:65534:nobody:/x:/bin/sh\" is malformed";
	tt_in_namespace(build_refused, &job);
	tt_spec_init(&job.spec, &job.dirs);
	job.spec.etc_files = bad_files;
	job.expect_error = "site file \"/etc/passwd\": generated, not copied";
	tt_in_namespace(build_refused, &job);
	job.spec.etc_files = outside;
	job.expect_error = "site file \"/var/x\" is not directly in /etc";
	tt_in_namespace(build_refused, &job);
}
END_TEST

/* ------------------------------------------------------------ volumes */

static void volume_checks(void *arg)
{
	char buf[64];

	(void)arg;
	TT_CHECK(tt_try_write("/data/written-in-tree") == 0);   /* via /rel -> data */
	TT_CHECK(strcmp(tt_read("/srv/ro/ro-file", buf, sizeof(buf)), "ro\n") == 0);
	TT_CHECK(tt_try_write("/srv/ro/x") == EROFS);
	TT_CHECK(tt_try_write("/newtop/deeper/x") == 0);   /* rw, created on the tmpfs */
	TT_CHECK(strcmp(tt_read("/opt/x/ro-file", buf, sizeof(buf)), "ro\n") == 0);
	TT_CHECK(tt_try_write("/opt/x/y") == EROFS);
	/* a mount point inside an image directory: the image's entries stay,
	 * read-only, beside it */
	TT_CHECK(strcmp(tt_read("/usr/local/app/data/ro-file", buf, sizeof(buf)), "ro\n") == 0);
	TT_CHECK(strcmp(tt_read("/usr/image-file", buf, sizeof(buf)), "image-usr\n") == 0);
	TT_CHECK(tt_try_write("/usr/new") == EROFS);
}

static void build_and_check_volumes(void *arg)
{
	struct job *job = arg;
	char p[512];
	struct statvfs vfs;

	open_volumes(job);
	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, NOBODY, volume_checks, NULL);
	snprintf(p, sizeof(p), "%s/written-in-tree", job->dirs.vol_rw);
	TT_CHECK_MSG(access(p, F_OK) == 0, "write through the rw volume not on the host");
	TT_CHECK(statvfs(in_root(job, "/data", p, sizeof(p)), &vfs) == 0);
	TT_CHECK((vfs.f_flag & (ST_NOSUID | ST_NODEV | ST_RDONLY)) == (ST_NOSUID | ST_NODEV));
	for (size_t i = 0; i < job->spec.n_volumes; i++)
		close(job->vols[i].src_fd);
}

START_TEST(t_volumes)
{
	struct job job;

	REQUIRE_ROOT();
	if (_i)
		berth_safe_path_force_fallback(BERTH_FALLBACK_OPENAT2 | BERTH_FALLBACK_MOUNT_API |
					       BERTH_FALLBACK_PIDFD);
	job_init(&job, "volumes");
	add_volume(&job, job.dirs.vol_rw, "/rel", BERTH_VOLUME_RW);   /* image: rel -> data */
	add_volume(&job, job.dirs.vol_ro, "/srv/ro", BERTH_VOLUME_RO);
	add_volume(&job, job.dirs.vol_rw, "/newtop/deeper", 0);
	add_volume(&job, job.dirs.vol_ro, "/data/../opt/x", BERTH_VOLUME_RO | BERTH_VOLUME_REC);
	add_volume(&job, job.dirs.vol_ro, "/usr/local/app/data", BERTH_VOLUME_RO);   /* split /usr/local */
	tt_in_namespace(build_and_check_volumes, &job);
}
END_TEST

START_TEST(t_volume_unreadable_source)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char expect[512];
	gid_t group = NOBODY;
	struct job job;
	int fd;

	REQUIRE_ROOT();
	job_init(&job, "unreadable");
	ck_assert_int_eq(berth_open_as_user(job.dirs.secret, NOBODY, NOBODY, &group, 1, 0, &fd, &err),
			 -1);
	snprintf(expect, sizeof(expect), "volume source \"%s\": Permission denied", job.dirs.secret);
	ck_assert_str_eq(err.msg, expect);
	ck_assert_int_eq(fd, -1);
	ck_assert(!tt_is_mount(job.dirs.root));
}
END_TEST

/* A volume at dst must be refused with "volume \"SRC:DST\": " + reason. */
static void refuse(struct job *job, const char *dst, const char *reason)
{
	char expect[1024];

	job->spec.n_volumes = 0;
	add_volume(job, job->dirs.vol_rw, dst, 0);
	snprintf(expect, sizeof(expect), "volume \"%s:%s\": %s", job->dirs.vol_rw, dst, reason);
	job->expect_error = expect;
	tt_in_namespace(build_refused, job);
}

START_TEST(t_volume_refusals)
{
	struct job job;

	REQUIRE_ROOT();
	if (_i)
		berth_safe_path_force_fallback(BERTH_FALLBACK_OPENAT2 | BERTH_FALLBACK_MOUNT_API |
					       BERTH_FALLBACK_PIDFD);
	job_init(&job, "refusals");
	refuse(&job, "/evil", "destination \"/evil\" resolves into forbidden \"/etc\"");
	refuse(&job, "/evil/sub", "destination \"/evil/sub\" resolves into forbidden \"/etc\"");
	refuse(&job, "/proc", "destination \"/proc\" is forbidden");
	refuse(&job, "/proc/sys", "destination \"/proc/sys\" is under forbidden \"/proc\"");
	refuse(&job, "/data/../etc", "destination \"/data/../etc\" is forbidden");
	refuse(&job, "/data/../../dev/x", "destination \"/data/../../dev/x\" is under forbidden \"/dev\"");
	refuse(&job, "/big/sub", "cannot create destination \"/big/sub\" in the read-only image: "
				  "image directory \"/big\" has over 1024 entries");
	refuse(&job, "/..", "destination \"/..\" is the container root");
	refuse(&job, "/data/file", "destination \"/data/file\" is not a directory, the source is");
}
END_TEST

/* Root makes no mount point on what the host provides: not in a site
 * mount (rw, like /home), not in the job's /tmp, not through a symlink;
 * nothing appears there.  (An image directory or the tmpfs root still
 * works: t_volumes.) */
START_TEST(t_volume_host_fs_refused)
{
	static const char reason[] =
		"destination \"%s\" does not exist and lies on a host filesystem: berth does not create it there, create it first";
	struct berth_volume site = { 0 };
	char why[512], path[PATH_MAX];
	const char *dsts[] = { "/site/made", "/site/made/deeper", "/tmp/made", "/site/link/made" };
	struct job job;

	REQUIRE_ROOT();
	if (_i)
		berth_safe_path_force_fallback(BERTH_FALLBACK_OPENAT2 | BERTH_FALLBACK_MOUNT_API |
					       BERTH_FALLBACK_PIDFD);
	job_init(&job, "hostfs");
	site.src = job.dirs.site;
	site.dst = "/site";
	site.flags = BERTH_VOLUME_RW;
	job.spec.site_mounts = &site;
	job.spec.n_site_mounts = 1;
	snprintf(path, sizeof(path), "%s/link", job.dirs.site);
	unlink(path);
	ck_assert_int_eq(symlink("/tmp", path), 0);
	for (size_t i = 0; i < ARRAY_LEN(dsts); i++) {
		snprintf(why, sizeof(why), reason, dsts[i]);
		refuse(&job, dsts[i], why);
	}
	snprintf(path, sizeof(path), "%s/made", job.dirs.site);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/made", job.dirs.tmp);
	ck_assert_int_eq(access(path, F_OK), -1);
	snprintf(path, sizeof(path), "%s/link", job.dirs.site);
	unlink(path);
}
END_TEST

/* ------------------------------------------------------------ two trees */

static void shm_tmp_write(void *arg)
{
	(void)arg;
	TT_CHECK(tt_try_write("/tmp/only-a") == 0);
	TT_CHECK(tt_try_write("/dev/shm/only-a") == 0);
}

static void shm_tmp_absent(void *arg)
{
	(void)arg;
	TT_CHECK(access("/tmp/only-a", F_OK) < 0);
	TT_CHECK(access("/dev/shm/only-a", F_OK) < 0);
}

static void build_two(void *arg)
{
	struct job *jobs = arg;

	tt_build(&jobs[0].spec, NULL);
	tt_build(&jobs[1].spec, NULL);
	tt_in_tree(jobs[0].dirs.root, NOBODY, shm_tmp_write, NULL);
	tt_in_tree(jobs[1].dirs.root, NOBODY, shm_tmp_absent, NULL);
}

START_TEST(t_two_trees)
{
	struct job jobs[2];

	REQUIRE_ROOT();
	job_init(&jobs[0], "tree-a");
	job_init(&jobs[1], "tree-b");
	tt_in_namespace(build_two, jobs);
}
END_TEST

/* ------------------------------------------------------------ overlay, ccm, site */

static void overlay_checks(void *arg)
{
	char buf[64];

	(void)arg;
	TT_CHECK(tt_try_write("/etc/os-release") == 0);
	TT_CHECK(tt_try_write("/new-at-top") == 0);
	TT_CHECK(strcmp(tt_read("/data/file", buf, sizeof(buf)), "image-data\n") == 0);
	struct statfs fs;
	TT_CHECK(statfs("/sys", &fs) == 0 && fs.f_type == SYSFS_MAGIC);   /* not the image's symlink */
	TT_CHECK(tt_try_write("/sys/kernel/x") == EROFS);
}

static void build_overlay(void *arg)
{
	struct job *job = arg;
	char out[64];
	const char *probe[] = { "/bin/probe", NULL };

	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, 0, overlay_checks, NULL);
	TT_CHECK_MSG(tt_tree_exec(job->dirs.root, NOBODY, probe, out, sizeof(out)) == 0,
		     "probe: %s", out);
	TT_CHECK_MSG(strcmp(out, "65534 65534\n") == 0, "probe printed \"%s\"", out);
}

START_TEST(t_writable_overlay)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "overlay");
	job.spec.writable_overlay = true;
	tt_in_namespace(build_overlay, &job);
	/* The image is unchanged for the next job. */
	job.spec.writable_overlay = false;
	tt_in_namespace(build_and_check_etc, &job);
}
END_TEST

static void ccm_checks(void *arg)
{
	char buf[4096];

	(void)arg;
	TT_CHECK(access("/usr/bin/busybox", X_OK) == 0);
	TT_CHECK(tt_try_write("/usr/berth-x") == EROFS);
	TT_CHECK(strstr(tt_read("/etc/passwd", buf, sizeof(buf)), "root:x:0:0:") == buf);
	TT_CHECK(strstr(buf, "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n") != NULL);
}

static void build_ccm(void *arg)
{
	struct job *job = arg;
	char self[600], line[8192];
	FILE *f;

	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, 0, ccm_checks, NULL);
	/* No copy of the tree inside itself, no namespace pins. */
	snprintf(self, sizeof(self), "%s%s", job->dirs.root, job->dirs.root);
	TT_CHECK_MSG(!tt_is_mount(self), "%s is a mount point", self);
	TT_CHECK((f = fopen("/proc/self/mountinfo", "re")) != NULL);
	while (fgets(line, sizeof(line), f))
		TT_CHECK_MSG(!strstr(line, " - nsfs ") || !strstr(line, job->dirs.root), "%s", line);
	fclose(f);
}

START_TEST(t_ccm)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "ccm");
	job.spec.image_sqfs = NULL;
	job.spec.host_root = true;
	tt_in_namespace(build_ccm, &job);
}
END_TEST

static void site_checks(void *arg)
{
	char buf[64];

	(void)arg;
	TT_CHECK(strcmp(tt_read("/site/site-file", buf, sizeof(buf)), "site\n") == 0);
	TT_CHECK(tt_try_write("/site/new") == EROFS);
	/* /usr was split for the host path: its image entries are still there. */
	TT_CHECK(strcmp(tt_read("/usr/image-file", buf, sizeof(buf)), "image-usr\n") == 0);
	TT_CHECK(access("/usr/lib/os-release", R_OK) == 0);
	TT_CHECK(tt_try_write("/usr/new") == EROFS);
	TT_CHECK(tt_try_write("/usr/lib/new") == EROFS);
	TT_CHECK(tt_try_write("/usr/local/new") == EROFS);
	TT_CHECK(tt_try_write("/usr/local/lib/new") == EROFS);
}

/* /usr/local/lib (split /usr/local first) survives the later split of /usr. */
static void nested_split_checks(void *arg)
{
	struct stat in_tree, host;

	TT_CHECK(stat((const char *)arg, &in_tree) == 0 && stat("/usr/local/lib", &host) == 0);
	TT_CHECK(in_tree.st_dev == host.st_dev && in_tree.st_ino == host.st_ino);
}

static void build_site(void *arg)
{
	struct job *job = arg;
	char pin[600], target[600];

	/* A namespace pin inside the site source: copied by the recursive
	 * bind, scrubbed by the build. */
	snprintf(pin, sizeof(pin), "%s/pin", job->dirs.site);
	TT_CHECK(close(open(pin, O_WRONLY | O_CREAT, 0644)) == 0);
	TT_CHECK(mount("/proc/self/ns/uts", pin, NULL, MS_BIND, NULL) == 0);
	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, NOBODY, site_checks, NULL);
	snprintf(target, sizeof(target), "%s/usr/local/lib", job->dirs.root);
	if (getenv("TT_DEBUG_MOUNTS") && system("grep /usr /proc/self/mountinfo >&2") != 0)
		fprintf(stderr, "grep failed\n");
	nested_split_checks(target);
	snprintf(target, sizeof(target), "%s/site/pin", job->dirs.root);
	TT_CHECK_MSG(!tt_is_mount(target), "the nsfs pin was copied into the tree");
}

START_TEST(t_site_and_host_paths)
{
	struct berth_volume site = { 0 };
	struct berth_tree_host_path host[2] = { { 0 } };
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "site");
	site.src = job.dirs.site;
	site.dst = "/site";
	site.flags = BERTH_VOLUME_RO | BERTH_VOLUME_REC;
	job.spec.site_mounts = &site;
	job.spec.n_site_mounts = 1;
	/* Trusted paths whose mount points must be made inside the image's
	 * read-only /usr/local, then /usr. */
	host[0].path = "/usr/local/lib";
	host[1].path = "/usr/lib";
	for (int i = 0; i < 2; i++) {
		host[i].fd = -1;
		host[i].read_only = true;
	}
	job.spec.host_paths = host;
	job.spec.n_host_paths = 2;
	tt_in_namespace(build_site, &job);
}
END_TEST

/* CDI device nodes: made in the tree's own /dev tmpfs, with their numbers,
 * mode and owner, parents included; the host's /dev gains nothing. */
static void device_checks(void *arg)
{
	struct stat st;

	(void)arg;
	TT_CHECK(stat("/dev/fakegpu0", &st) == 0);
	TT_CHECK_MSG(S_ISCHR(st.st_mode) && major(st.st_rdev) == 1 && minor(st.st_rdev) == 3,
		     "/dev/fakegpu0 is not c 1:3");
	TT_CHECK_MSG((st.st_mode & 07777) == 0660 && st.st_gid == 44, "/dev/fakegpu0: mode %o gid %u",
		     (unsigned)(st.st_mode & 07777), (unsigned)st.st_gid);
	TT_CHECK(stat("/dev/dri/renderD128", &st) == 0 && S_ISCHR(st.st_mode) && minor(st.st_rdev) == 5);
	TT_CHECK(stat("/dev/dri", &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0755);
	/* the nobody user may not add nodes (root-owned 0755 tmpfs) */
	TT_CHECK(mknod("/dev/x", S_IFCHR | 0666, makedev(1, 3)) < 0 && errno == EACCES);
}

static void build_devices(void *arg)
{
	struct job *job = arg;
	struct stat st;

	tt_build(&job->spec, NULL);
	tt_in_tree(job->dirs.root, NOBODY, device_checks, NULL);
	TT_CHECK_MSG(stat("/dev/fakegpu0", &st) < 0 && stat("/dev/dri/renderD128", &st) < 0,
		     "a CDI node appeared in the host's /dev");
}

START_TEST(t_cdi_devices)
{
	struct berth_tree_device devices[2] = {
		{ (char *)"/dev/fakegpu0", S_IFCHR, 1, 3, 0660, 0, 44 },
		{ (char *)"/dev/dri/renderD128", S_IFCHR, 1, 5, 0666, 0, 0 },
	};
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "devices");
	job.spec.devices = devices;
	job.spec.n_devices = 2;
	tt_in_namespace(build_devices, &job);
}
END_TEST

/* ------------------------------------------------------------ spec, loop, time */

START_TEST(t_bad_spec)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "bad");
	job.spec.host_root = true;
	job.expect_error = "tree spec needs exactly one of image and host root";
	tt_in_namespace(build_refused, &job);
	tt_spec_init(&job.spec, &job.dirs);
	job.spec.image_sqfs = "/nonexistent/x.sqfs";
	job.expect_error = "image \"/nonexistent/x.sqfs\": No such file or directory";
	tt_in_namespace(build_refused, &job);
	tt_spec_init(&job.spec, &job.dirs);
	job.spec.forbidden = "/etc, relative";
	job.expect_error = "forbidden destination: \"relative\" is not an absolute path";
	tt_in_namespace(build_refused, &job);
}
END_TEST

static void loop_mount(void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct job *job = arg;
	char p[512], buf[64];

	TT_CHECK_MSG(berth_squashfs_mount(tt.image, job->dirs.root, &err) == 0, "%s", err.msg);
	snprintf(p, sizeof(p), "%s/etc/os-release", job->dirs.root);
	TT_CHECK(strcmp(tt_read(p, buf, sizeof(buf)), "ID=berth-test\n") == 0);
	TT_CHECK(tt_try_write(p) == EROFS);
	/* The last umount frees the device (autoclear). */
	TT_CHECK(umount2(job->dirs.root, 0) == 0);
}

/* Control for the nosuid checks: the same probe from the same image, on a
 * mount without nosuid, does become root. */
static void probe_control(void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const struct job *job = arg;
	const char *probe[] = { "/bin/probe", NULL };
	struct berth_loop loop;
	char out[64];
	int fd = open(tt.image, O_RDONLY | O_CLOEXEC);

	TT_CHECK_MSG(berth_loop_attach(fd, tt.image, &loop, &err) == 0, "%s", err.msg);
	close(fd);
	TT_CHECK(mount(loop.path, job->dirs.root, "squashfs", MS_RDONLY, NULL) == 0);
	berth_loop_close(&loop);
	TT_CHECK(tt_tree_exec(job->dirs.root, NOBODY, probe, out, sizeof(out)) == 0);
	TT_CHECK_MSG(strcmp(out, "65534 0\n") == 0, "probe printed \"%s\"", out);
}

START_TEST(t_probe_control)
{
	struct job job;

	REQUIRE_ROOT();
	job_init(&job, "control");
	tt_in_namespace(probe_control, &job);
}
END_TEST

START_TEST(t_loopdev)
{
	struct job job;

	REQUIRE_ROOT();
	berth_loop_force_legacy(_i);
	job_init(&job, "loop");
	tt_in_namespace(loop_mount, &job);
}
END_TEST

#define TIMING_RUNS 20

static void timed_build(void *arg)
{
	struct berth_tree_stats *stats = arg;
	struct job job;

	memset(&job, 0, sizeof(job));
	tt_spec_init(&job.spec, &job.dirs);
	/* tt_job_init ran in the parent; only the paths are needed here. */
	snprintf(job.dirs.root, sizeof(job.dirs.root), "%s/timing/root", tt.dir);
	snprintf(job.dirs.tmp, sizeof(job.dirs.tmp), "%s/timing/tmp", tt.dir);
	job.spec.root = job.dirs.root;
	job.spec.tmp_dir = job.dirs.tmp;
	tt_build(&job.spec, stats);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

START_TEST(t_build_time)
{
	struct berth_tree_stats *stats;
	uint64_t total[TIMING_RUNS];
	struct tt_job dirs;

	REQUIRE_ROOT();
	tt_job_init(&dirs, "timing");
	stats = mmap(NULL, sizeof(*stats) * (TIMING_RUNS + 1), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(stats, MAP_FAILED);
	tt_in_namespace(timed_build, &stats[TIMING_RUNS]);   /* warm-up */
	for (int i = 0; i < TIMING_RUNS; i++) {
		tt_in_namespace(timed_build, &stats[i]);
		total[i] = stats[i].total_us;
	}
	qsort(total, TIMING_RUNS, sizeof(total[0]), cmp_u64);
	fprintf(stderr, "test_container_tree: build median %llu us (min %llu, max %llu) over %d; "
		"last: root %llu image %llu system %llu etc %llu site %llu volumes %llu finish %llu us, %u mounts\n",
		(unsigned long long)total[TIMING_RUNS / 2], (unsigned long long)total[0],
		(unsigned long long)total[TIMING_RUNS - 1], TIMING_RUNS,
		(unsigned long long)stats[0].root_us, (unsigned long long)stats[0].image_us,
		(unsigned long long)stats[0].system_us, (unsigned long long)stats[0].etc_us,
		(unsigned long long)stats[0].site_us, (unsigned long long)stats[0].volumes_us,
		(unsigned long long)stats[0].finish_us, stats[0].mounts);
	ck_assert_uint_gt(stats[0].mounts, 10);
	/* Target 50 ms; a loaded CI machine gets slack. */
	ck_assert_msg(total[TIMING_RUNS / 2] < 250000, "median build %llu us",
		      (unsigned long long)total[TIMING_RUNS / 2]);
	munmap(stats, sizeof(*stats) * (TIMING_RUNS + 1));
}
END_TEST

static Suite *tree_suite(void)
{
	Suite *s = suite_create("container_tree");
	TCase *tc = tcase_create("tree");

	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, t_image_and_system);
	tcase_add_test(tc, t_image_and_system_fallbacks);
	tcase_add_test(tc, t_etc);
	tcase_add_test(tc, t_etc_bad_entries);
	tcase_add_loop_test(tc, t_volumes, 0, 2);
	tcase_add_test(tc, t_volume_unreadable_source);
	tcase_add_loop_test(tc, t_volume_refusals, 0, 2);
	tcase_add_loop_test(tc, t_volume_host_fs_refused, 0, 2);
	tcase_add_test(tc, t_two_trees);
	tcase_add_test(tc, t_writable_overlay);
	tcase_add_test(tc, t_ccm);
	tcase_add_test(tc, t_site_and_host_paths);
	tcase_add_test(tc, t_cdi_devices);
	tcase_add_test(tc, t_bad_spec);
	tcase_add_loop_test(tc, t_loopdev, 0, 2);
	tcase_add_test(tc, t_probe_control);
	tcase_add_test(tc, t_build_time);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int rc;

	if (geteuid() != 0)
		fprintf(stderr, "test_container_tree: not root: every test skips\n");
	else if (tt_setup() < 0)
		fprintf(stderr, "test_container_tree: no test image: every test skips\n");
	rc = unit_run(tree_suite());
	tt_cleanup();
	return rc;
}
