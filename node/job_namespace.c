/*
 * job_namespace.c - see job_namespace.h.
 *
 * Layout of <state_dir>/<node>/<job>/ (root 0700, created by job_prolog):
 *   spec   what the job asked for
 *   ns     nsfs bind mount pinning the namespace (the directory itself is a
 *          private bind mount: the kernel refuses nsfs mounts that could
 *          propagate)
 *   root   mount point of the container tree (populated inside the namespace)
 *   tmp    the job's private /tmp (owned by the user, 0700)
 *   step.<id>/  a step's private container (srun --image/--volume inside
 *          the job): the same layout, its namespace made from the job's
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "berth_log.h"
#include "fs_util.h"
#include "job_namespace.h"
#include "sshd_launch.h"

static int prepare_job_dir(const struct berth_job_paths *paths, uid_t uid, gid_t gid,
			   struct berth_error *err)
{
	int fd;

	if (mkdir(paths->dir, 0700) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", paths->dir);
	if (!berth_is_mount_point(paths->dir)) {
		if (mount(paths->dir, paths->dir, NULL, MS_BIND, NULL) < 0)
			return berth_error_errno(err, errno, "bind \"%s\"", paths->dir);
		if (mount(NULL, paths->dir, NULL, MS_PRIVATE, NULL) < 0)
			return berth_error_errno(err, errno, "make \"%s\" private", paths->dir);
	}
	fd = open(paths->ns, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", paths->ns);
	close(fd);
	if (mkdir(paths->root, 0755) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", paths->root);
	if (mkdir(paths->tmp, 0700) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", paths->tmp);
	if (chown(paths->tmp, uid, gid) < 0 || chmod(paths->tmp, 0700) < 0)
		return berth_error_errno(err, errno, "chown \"%s\"", paths->tmp);
	return 0;
}

/* Read one NUL-terminated report from the child into msg ("" = success);
 * -1 if the child died first. */
static int read_report(int fd, char *msg, size_t size)
{
	ssize_t n;

	do
		n = read(fd, msg, size - 1);
	while (n < 0 && errno == EINTR);
	msg[n > 0 ? n : 0] = '\0';
	return n > 0 ? 0 : -1;
}

static char wait_go(int go_fd)
{
	char byte = 0;

	while (read(go_fd, &byte, 1) < 0 && errno == EINTR)
		;
	return byte;
}

/* The child, in two reported phases so that the parent pins the new
 * namespace before the tree is built (a refused pin costs no tree):
 *   1. new namespace, private, with the job's /tmp (for every step, the
 *      batch script included): report, wait for the parent's pin;
 *   2. on GO_POPULATE, the container tree: report, exit. */
#define GO_POPULATE 'p'

static void namespace_child(const struct berth_job_paths *paths, const struct berth_ns_base *base,
			    int cpu, berth_ns_populate_fn populate, void *arg, int status_fd, int go_fd)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (cpu >= 0) {
		cpu_set_t set;

		/* the new namespace's id comes from this CPU's batch */
		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0)
			berth_error_errno(&err, errno, "pin to CPU %d", cpu);
	}
	if (err.msg[0])
		;
	else if (base && base->ns_fd >= 0 && setns(base->ns_fd, CLONE_NEWNS) < 0)
		berth_error_errno(&err, errno, "enter the job's namespace");
	else if (unshare(CLONE_NEWNS) < 0)
		berth_error_errno(&err, errno, "unshare(CLONE_NEWNS)");
	else if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		berth_error_errno(&err, errno, "make / private");
	else if (mount(paths->tmp, "/tmp", NULL, MS_BIND | MS_NOSUID | MS_NODEV, NULL) < 0)
		berth_error_errno(&err, errno, "bind the job's /tmp");
	berth_write_all(status_fd, err.msg, strlen(err.msg) + 1);
	if (err.msg[0] || wait_go(go_fd) != GO_POPULATE)
		_exit(1);
	if (populate && populate(arg, &err) == 0)
		berth_error_clear(&err);  /* a callee may leave a recovered error behind */
	berth_write_all(status_fd, err.msg, strlen(err.msg) + 1);
	_exit(err.msg[0] ? 1 : 0);
}

static int pin_namespace(pid_t child, const char *holder, struct berth_error *err)
{
	char nsfile[64];

	snprintf(nsfile, sizeof(nsfile), "/proc/%d/ns/mnt", (int)child);
	if (mount(nsfile, holder, NULL, MS_BIND, NULL) < 0) {
		int saved = errno;

		berth_error_errno(err, saved, "pin namespace %s on \"%s\"", nsfile, holder);
		/* EINVAL here on kernels >= 6.18 when slurmstepd itself is not
		 * in the initial mount namespace (see create_with_cpu_retry):
		 * the caller retries from another CPU. */
		if (saved == EINVAL && err)
			err->code = BERTH_ENSPIN;
		return -1;
	}
	return 0;
}

/* The parent's side of namespace_child: pin after phase 1, then let the
 * child build the tree; a failed build unpins again (nothing half-built
 * stays joinable). */
static int drive_namespace_child(pid_t pid, const char *holder, int status_fd, int go_fd,
				 struct berth_error *err)
{
	char msg[BERTH_ERROR_MSG_MAX] = "";
	const char go = GO_POPULATE;

	if (read_report(status_fd, msg, sizeof(msg)) < 0)
		return berth_error_set(err, EIO, "namespace child died before reporting");
	if (msg[0])
		return berth_error_set(err, EINVAL, "%s", msg);
	if (pin_namespace(pid, holder, err) < 0)
		return -1;
	if (berth_write_all(go_fd, &go, 1) < 0)
		berth_error_errno(err, errno, "namespace child");
	else if (read_report(status_fd, msg, sizeof(msg)) < 0)
		berth_error_set(err, EIO, "namespace child died while building the container");
	else if (msg[0])
		berth_error_set(err, EINVAL, "%s", msg);
	else
		return 0;
	if (umount2(holder, MNT_DETACH) < 0)
		berth_err("unpin \"%s\": %s", holder, strerror(errno));
	return -1;
}

static int run_namespace_child(const struct berth_job_paths *paths, const struct berth_ns_base *base,
			       int cpu, berth_ns_populate_fn populate, void *arg, struct berth_error *err)
{
	int status_pipe[2], go_pipe[2], status, rc = -1;
	pid_t pid;

	if (pipe2(status_pipe, O_CLOEXEC) < 0)
		return berth_error_errno(err, errno, "pipe");
	if (pipe2(go_pipe, O_CLOEXEC) < 0) {
		close(status_pipe[0]);
		close(status_pipe[1]);
		return berth_error_errno(err, errno, "pipe");
	}
	if ((pid = fork()) < 0) {
		berth_error_errno(err, errno, "fork");
		goto out;
	}
	if (pid == 0) {
		close(status_pipe[0]);
		close(go_pipe[1]);
		namespace_child(paths, base, cpu, populate, arg, status_pipe[1], go_pipe[0]);
	}
	close(status_pipe[1]);
	status_pipe[1] = -1;
	close(go_pipe[0]);
	go_pipe[0] = -1;
	rc = drive_namespace_child(pid, paths->ns, status_pipe[0], go_pipe[1], err);
	close(go_pipe[1]);   /* a child still waiting for GO exits */
	go_pipe[1] = -1;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
out:
	for (int i = 0; i < 2; i++) {
		if (status_pipe[i] >= 0)
			close(status_pipe[i]);
		if (go_pipe[i] >= 0)
			close(go_pipe[i]);
	}
	return rc;
}

static bool namespace_pinned(const char *holder)
{
	return berth_is_mount_point(holder);
}

/* Kernel 6.18: when the binder is not in the initial mount namespace, the
 * nsfs bind mount is refused with EINVAL if the new namespace's id is below
 * the binder's; namespace ids are handed out in per-CPU batches, so the
 * outcome depends on the CPU the namespace was made on.  Retry the child pinned to each
 * CPU this process may use, in turn; the error names every attempt. */
static bool pin_refused(const struct berth_error *err)
{
	return err->code == BERTH_ENSPIN;
}

int berth_ns_test_first_cpu = -1;

static int create_with_cpu_retry(const struct berth_job_paths *paths, const struct berth_ns_base *base,
				 berth_ns_populate_fn populate, void *arg, struct berth_error *err)
{
	cpu_set_t allowed;
	int tries = 0;

	if (run_namespace_child(paths, base, berth_ns_test_first_cpu, populate, arg, err) == 0)
		return 0;
	if (!pin_refused(err))
		return -1;
	berth_info("%s; retrying from each CPU", err->msg);
	if (sched_getaffinity(0, sizeof(allowed), &allowed) < 0)
		return -1;
	for (int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &allowed))
			continue;
		tries++;
		berth_error_clear(err);
		if (run_namespace_child(paths, base, cpu, populate, arg, err) == 0) {
			berth_info("namespace pinned on \"%s\" from CPU %d", paths->ns, cpu);
			return 0;
		}
		if (!pin_refused(err))
			return -1;
	}
	return berth_error_prefix(err, "after %d tries, one per CPU", tries);
}

int berth_ns_create(const struct berth_job_paths *paths, uid_t uid, gid_t gid,
			const struct berth_ns_base *base, berth_ns_populate_fn populate, void *arg,
			struct berth_error *err)
{
	if (namespace_pinned(paths->ns))
		return 0;
	if (prepare_job_dir(paths, uid, gid, err) < 0)
		return -1;
	return create_with_cpu_retry(paths, base, populate, arg, err);
}

int berth_ns_join(const struct berth_job_paths *paths, struct berth_error *err)
{
	int fd = open(paths->ns, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return berth_error_errno(err, errno, "open \"%s\"", paths->ns);
	}
	if (setns(fd, CLONE_NEWNS) < 0) {
		int saved = errno;
		close(fd);
		/* An empty holder (namespace not pinned): nothing to join. */
		if (saved == EINVAL && !namespace_pinned(paths->ns))
			return 0;
		return berth_error_errno(err, saved, "setns \"%s\"", paths->ns);
	}
	close(fd);
	return 1;
}

int berth_ns_open(const struct berth_job_paths *paths)
{
	int fd;

	if (!namespace_pinned(paths->ns))
		return 0;
	fd = open(paths->ns, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -1 : fd;
}

/* Private step containers left behind (a step whose slurmstepd died). */
static void delete_step_dirs(const char *dir)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct dirent *entry;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((entry = readdir(d))) {
		struct berth_job_paths step;

		if (strncmp(entry->d_name, "step.", 5) != 0 || !berth_step_paths_from(dir, entry->d_name + 5, &step))
			continue;
		if (berth_ns_delete(&step, &err) < 0)
			berth_err("%s", err.msg);
	}
	closedir(d);
}

bool berth_step_paths_from(const char *job_dir, const char *step, struct berth_job_paths *out)
{
	int n;

	memset(out, 0, sizeof(*out));
	n = snprintf(out->dir, sizeof(out->dir), "%s/step.%s", job_dir, step);
	if (n < 0 || (size_t)n >= sizeof(out->dir))
		return false;
	snprintf(out->ns, sizeof(out->ns), "%s/ns", out->dir);
	snprintf(out->root, sizeof(out->root), "%s/root", out->dir);
	snprintf(out->tmp, sizeof(out->tmp), "%s/tmp", out->dir);
	snprintf(out->spec, sizeof(out->spec), "%s/spec", out->dir);
	snprintf(out->error, sizeof(out->error), "%s/error", out->dir);
	return true;
}

int berth_ns_delete(const struct berth_job_paths *paths, struct berth_error *err)
{
	delete_step_dirs(paths->dir);
	berth_umount_all(paths->ns);
	berth_umount_all(paths->dir);
	return berth_remove_tree(paths->dir, err);
}

int berth_job_teardown(const struct berth_job_paths *paths, struct berth_error *err)
{
	berth_sshd_stop(paths);
	return berth_ns_delete(paths, err);
}
