/*
 * task_entry.c - see task_entry.h: the privileged part of a task's entry
 * (chroot into the container, lock down); root-only, node/.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/openat2.h>
#include <linux/securebits.h>
#include <sys/capability.h>

#include "task_entry.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))
#define CAP_PROBE_MAX 64                   /* capability numbers tried */

/* ================================================================ enter */

/* openat2 under dirfd with resolve flags; EAGAIN (a concurrent rename seen
 * by RESOLVE_IN_ROOT) is retried a few times.  -1 + errno (ENOSYS: the
 * kernel has no openat2). */
static int open_resolved(int dirfd, const char *path, int flags, uint64_t resolve)
{
	struct open_how how;
	int fd = -1;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_CLOEXEC);
	how.resolve = resolve;
	for (int tries = 0; tries < 16; tries++) {
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
		if (fd >= 0 || errno != EAGAIN)
			break;
	}
	return fd;
}

/* chdir to an absolute path inside the (new) root rootfd, never through a
 * /proc magic link. */
static int chdir_in_root(int rootfd, const char *path)
{
	int fd, rc, saved;

	if (!path || path[0] != '/')
		return -1;
	fd = open_resolved(rootfd, path, O_PATH | O_DIRECTORY,
			   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
	if (fd < 0 && errno == ENOSYS)
		return chdir(path);
	if (fd < 0)
		return -1;
	rc = fchdir(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

const char *berth_task_cwd_name(enum berth_task_cwd cwd)
{
	static const char *const names[] = { "the job's working directory", "the image's workdir", "/" };

	return (unsigned)cwd < COUNT(names) ? names[cwd] : "?";
}

int berth_task_enter(const char *root, const char *job_cwd, const char *image_workdir,
		     enum berth_task_cwd *used, struct berth_error *err)
{
	enum berth_task_cwd choice = BERTH_TASK_CWD_JOB;
	int rootfd;

	if (!root || root[0] != '/')
		return berth_error_set(err, EINVAL, "container root \"%s\" is not an absolute path",
				       root ? root : "");
	if (chdir(root) < 0)
		return berth_error_errno(err, errno, "enter container root \"%s\": chdir", root);
	if (chroot(".") < 0)
		return berth_error_errno(err, errno, "enter container root \"%s\": chroot", root);
	if ((rootfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return berth_error_errno(err, errno, "open the container root");
	if (chdir_in_root(rootfd, job_cwd) == 0)
		choice = BERTH_TASK_CWD_JOB;
	else if (chdir_in_root(rootfd, image_workdir) == 0)
		choice = BERTH_TASK_CWD_IMAGE;
	else if (fchdir(rootfd) == 0)
		choice = BERTH_TASK_CWD_ROOT;
	else {
		berth_error_errno(err, errno, "chdir to the container root");
		close(rootfd);
		return -1;
	}
	close(rootfd);
	if (used)
		*used = choice;
	return 0;
}

/* ================================================================ lock down */

/* Securebits that would let the task keep capabilities across Slurm's
 * setuid to the user. */
static int clear_keep_caps_bits(struct berth_error *err)
{
	const int keep = SECBIT_KEEP_CAPS | SECBIT_NO_SETUID_FIXUP;
	int bits = prctl(PR_GET_SECUREBITS, 0, 0, 0, 0);

	if (bits < 0)
		return berth_error_errno(err, errno, "read securebits");
	if (!(bits & keep))
		return 0;
	if (prctl(PR_SET_SECUREBITS, (unsigned long)(bits & ~keep), 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "clear securebits 0x%x", (unsigned)(bits & keep));
	return 0;
}

/* Every capability the kernel knows: PR_CAPBSET_READ fails with EINVAL past
 * the last one (so this needs neither cap_max_bits nor a recompile for new
 * capabilities). */
static int drop_bounding_set(struct berth_error *err)
{
	for (unsigned long cap = 0; cap < CAP_PROBE_MAX; cap++) {
		int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_set < 0 && errno == EINVAL)
			return 0;
		if (in_set < 0)
			return berth_error_errno(err, errno, "read capability %lu of the bounding set", cap);
		if (in_set && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return berth_error_errno(err, errno, "drop capability %lu from the bounding set", cap);
	}
	return 0;
}

static int clear_inheritable(struct berth_error *err)
{
	cap_t caps = cap_get_proc();
	int rc = 0;

	if (!caps)
		return berth_error_errno(err, errno, "read capabilities");
	if (cap_clear_flag(caps, CAP_INHERITABLE) < 0 || cap_set_proc(caps) < 0)
		rc = berth_error_errno(err, errno, "clear the inheritable capabilities");
	cap_free(caps);
	return rc;
}

/* Read back what the kernel now has (the inheritable set was checked by
 * cap_set_proc). */
static int verify_locked_down(struct berth_error *err)
{
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return berth_error_set(err, EPERM, "no_new_privs is not set after setting it");
	for (unsigned long cap = 0; cap < CAP_PROBE_MAX; cap++) {
		int in_set = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in_set < 0)
			break;
		if (in_set || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, cap, 0, 0) > 0)
			return berth_error_set(err, EPERM, "capability %lu is still in the bounding or "
					       "ambient set", cap);
	}
	return 0;
}

int berth_task_lock_down(struct berth_error *err)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return berth_error_errno(err, errno, "set no_new_privs");
	if (clear_keep_caps_bits(err) < 0 || drop_bounding_set(err) < 0)
		return -1;
	/* EINVAL: a kernel before 4.3 has no ambient set */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return berth_error_errno(err, errno, "clear the ambient capabilities");
	if (clear_inheritable(err) < 0)
		return -1;
	return verify_locked_down(err);
}
