/*
 * test_container_tree_util.c - see test_container_tree_util.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"
#include "safe_path.h"
#include "test_container_tree_util.h"

struct tt_env tt;

static int report_fd = -1;   /* where tt_fail writes, in children */

static const char *const forbidden = "/etc,/proc,/sys,/dev";
static const char *const passwd_nobody = "nobody:x:65534:65534:nobody:/nonexistent:/bin/sh";
static const char *const group_nobody = "nogroup:x:65534:";
static const char *const etc_hosts = "/etc/hosts";

/* ------------------------------------------------------------ image */

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "test_container_tree: \"%s\" failed (%d)\n", cmd, rc);
	return rc == 0 ? 0 : -1;
}

static int probe_path(char *buf, size_t size)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n < 0)
		return -1;
	exe[n] = '\0';
	snprintf(buf, size, "%s/test_container_tree_probe", dirname(exe));
	return access(buf, X_OK);
}

/* A busybox rootfs with what the tests look for. */
static const char *const rootfs_script =
	"set -e; r=%s/rootfs; mkdir -p $r/bin $r/etc $r/data $r/usr/local $r/tmp $r/proc $r/root $r/run; "
	"cp /bin/busybox $r/bin/busybox; "
	"for a in sh cat ls id touch echo mkdir; do ln -s busybox $r/bin/$a; done; "
	"cp %s $r/bin/probe; chown 0:0 $r/bin/probe; chmod 4755 $r/bin/probe; "
	"echo ID=berth-test > $r/etc/os-release; "
	"printf 'root:x:0:0:root:/root:/bin/sh\\nold:x:65534:65534:old:/:/bin/sh\\n' > $r/etc/passwd; "
	"printf 'root:x:0:\\nnogroup:x:65534:\\n' > $r/etc/group; "
	"echo image-hosts > $r/etc/hosts; ln -s ../run/resolv.conf $r/etc/resolv.conf; "
	"echo image-data > $r/data/file; echo image-tmp > $r/tmp/file; echo image-usr > $r/usr/image-file; "
	"mkdir $r/big; for i in $(seq 1025); do : > $r/big/f$i; done; "
	"ln -s /etc $r/evil; ln -s data $r/rel; ln -s etc $r/sys; "
	"mksquashfs $r %s -noappend -quiet -no-progress -all-root >/dev/null";

int tt_setup(void)
{
	char probe[PATH_MAX];

	snprintf(tt.dir, sizeof(tt.dir), "/var/tmp/berth-ct-XXXXXX");
	if (!mkdtemp(tt.dir) || chmod(tt.dir, 0755) < 0) {
		perror("test_container_tree: work dir");
		return -1;
	}
	snprintf(tt.image, sizeof(tt.image), "%s/img.sqfs", tt.dir);
	if (probe_path(probe, sizeof(probe)) < 0) {
		fprintf(stderr, "test_container_tree: no probe beside the test program\n");
		return -1;
	}
	if (sh(rootfs_script, tt.dir, probe, tt.image) < 0)
		return -1;
	tt.ready = true;
	return 0;
}

void tt_cleanup(void)
{
	if (tt.dir[0])
		sh("rm -rf '%s'", tt.dir);
}

/* ------------------------------------------------------------ jobs */

static void make_dir(const char *path, mode_t mode, uid_t uid)
{
	ck_assert_msg(mkdir(path, mode) == 0 || errno == EEXIST, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(chmod(path, mode), 0);
	ck_assert_int_eq(chown(path, uid, uid), 0);
}

static void put(const char *dir, const char *name, const char *text)
{
	char p[512];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

void tt_job_init(struct tt_job *job, const char *name)
{
	snprintf(job->dir, sizeof(job->dir), "%s/%s", tt.dir, name);
	make_dir(job->dir, 0755, 0);
	snprintf(job->root, sizeof(job->root), "%s/root", job->dir);
	snprintf(job->tmp, sizeof(job->tmp), "%s/tmp", job->dir);
	snprintf(job->vol_rw, sizeof(job->vol_rw), "%s/vol-rw", job->dir);
	snprintf(job->vol_ro, sizeof(job->vol_ro), "%s/vol-ro", job->dir);
	snprintf(job->secret, sizeof(job->secret), "%s/secret", job->dir);
	snprintf(job->site, sizeof(job->site), "%s/site", job->dir);
	make_dir(job->root, 0755, 0);
	make_dir(job->tmp, 0700, NOBODY);
	make_dir(job->vol_rw, 0755, NOBODY);
	make_dir(job->vol_ro, 0755, 0);
	make_dir(job->secret, 0700, 0);
	make_dir(job->site, 0755, 0);
	put(job->vol_ro, "ro-file", "ro\n");
	put(job->site, "site-file", "site\n");
}

void tt_spec_init(struct berth_tree_spec *spec, const struct tt_job *job)
{
	memset(spec, 0, sizeof(*spec));
	spec->root = job->root;
	spec->image_sqfs = tt.image;
	spec->tmp_dir = job->tmp;
	spec->forbidden = forbidden;
	spec->passwd_entry = passwd_nobody;
	spec->group_entries = &group_nobody;
	spec->n_group_entries = 1;
	spec->etc_files = &etc_hosts;
	spec->n_etc_files = 1;
	spec->shm_size = 1 << 20;
}

/* ------------------------------------------------------------ children */

void tt_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof(msg) - 2)
		n = (int)sizeof(msg) - 2;
	msg[n++] = '\n';
	if (write(report_fd >= 0 ? report_fd : STDERR_FILENO, msg, (size_t)n) < 0)
		_exit(2);
	_exit(1);
}

static int wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static bool mounts_mention(const char *dir)
{
	char line[8192];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, dir) != NULL;
	if (f)
		fclose(f);
	return found;
}

/* Is a loop device still backed by the test image?  (What losetup -a reads.) */
static bool loop_uses_image(void)
{
	glob_t g;
	bool found = false;

	if (glob("/sys/block/loop*/loop/backing_file", 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc && !found; i++) {
		char buf[PATH_MAX];
		FILE *f = fopen(g.gl_pathv[i], "re");

		if (f && fgets(buf, sizeof(buf), f))
			found = strncmp(buf, tt.image, strlen(tt.image)) == 0;
		if (f)
			fclose(f);
	}
	globfree(&g);
	return found;
}

void tt_in_namespace(void (*fn)(void *arg), void *arg)
{
	char msg[4096] = "";
	int pipefd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	ck_assert_int_eq(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		close(pipefd[0]);
		report_fd = pipefd[1];
		TT_CHECK_MSG(unshare(CLONE_NEWNS) == 0, "unshare: %s", strerror(errno));
		TT_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
		fn(arg);
		_exit(0);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], msg + len, sizeof(msg) - 1 - (size_t)len)) > 0)
		len += n;
	msg[len] = '\0';
	close(pipefd[0]);
	status = wait_status(pid);
	ck_assert_msg(status == 0, "namespace child (status %d): %s", status, msg);
	ck_assert_msg(!mounts_mention(tt.dir), "a mount under %s is left", tt.dir);
	for (int i = 0; i < 300 && loop_uses_image(); i++)
		usleep(10000);
	ck_assert_msg(!loop_uses_image(), "a loop device still uses %s", tt.image);
}

void tt_build(const struct berth_tree_spec *spec, struct berth_tree_stats *stats)
{
	struct berth_error err = BERTH_ERROR_INIT;

	TT_CHECK_MSG(berth_tree_build(spec, stats, &err) == 0, "build: %s", err.msg);
}

static void enter_tree(const char *root, uid_t uid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	gid_t group = NOBODY;

	TT_CHECK_MSG(chroot(root) == 0 && chdir("/") == 0, "chroot %s: %s", root, strerror(errno));
	if (uid != 0)
		TT_CHECK_MSG(berth_drop_privileges(uid, NOBODY, &group, 1, &err) == 0, "%s", err.msg);
}

void tt_in_tree(const char *root, uid_t uid, void (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();

	TT_CHECK(pid >= 0);
	if (pid == 0) {
		enter_tree(root, uid);
		fn(arg);
		_exit(0);
	}
	TT_CHECK_MSG(wait_status(pid) == 0, "in-tree checks as uid %u failed", (unsigned)uid);
}

int tt_tree_exec(const char *root, uid_t uid, const char *const *argv, char *out, size_t size)
{
	int pipefd[2];
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	TT_CHECK(pipe2(pipefd, O_CLOEXEC) == 0);
	pid = fork();
	TT_CHECK(pid >= 0);
	if (pid == 0) {
		enter_tree(root, uid);
		if (dup2(pipefd[1], 1) < 0 || dup2(pipefd[1], 2) < 0)
			_exit(126);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(pipefd[1]);
	while (len < size - 1 && (n = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	return wait_status(pid);
}

/* ------------------------------------------------------------ small things */

int tt_try_write(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

const char *tt_read(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, size - 1);

	buf[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return buf;
}

int tt_open_as_nobody(const char *path)
{
	struct berth_error err = BERTH_ERROR_INIT;
	gid_t group = NOBODY;
	int fd;

	TT_CHECK_MSG(berth_open_as_user(path, NOBODY, NOBODY, &group, 1, 0, &fd, &err) == 0, "%s",
		     err.msg);
	return fd;
}

bool tt_is_mount(const char *path)
{
	char line[8192], mp[PATH_MAX];
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && fgets(line, sizeof(line), f))
		found = sscanf(line, "%*s %*s %*s %*s %4095s", mp) == 1 && strcmp(mp, path) == 0;
	if (f)
		fclose(f);
	return found;
}
