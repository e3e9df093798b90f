/*
 * safe_path_user.c - berth_open_as_user (see safe_path.h).
 *
 * The open happens in a berth_run_fn child after the privilege drop.  That
 * child starts with every fd above stderr closed, so it cannot inherit a
 * socket: while still root (child_setup) it copies its end of our
 * socketpair out of this process with pidfd_getfd(), then, as the user,
 * opens the path and sends the fd back with SCM_RIGHTS.  Where the kernel
 * has no pidfd_getfd (or refuses it), the child writes what it opened
 * (device, inode) to its stdout and this process opens the same path
 * itself, keeping the fd only if it is the very same inode.
 *
 * Between fork and exit the child makes only async-signal-safe calls.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "run.h"
#include "safe_path.h"

#define REPORT_MAGIC 0x62657274686f7065ULL   /* "berthope" */

enum report_status {
	REPORT_OK,
	REPORT_ERRNO,        /* error holds the errno of the open */
	REPORT_NOT_FILE,     /* neither a directory nor a regular file */
	REPORT_CHANGED,      /* the path changed between the two opens */
};

struct user_report {
	uint64_t magic;
	int32_t status;
	int32_t error;
	uint64_t dev;
	uint64_t ino;
};

struct user_open {
	const char *path;
	int flags_hint;
	pid_t parent;
	int parent_sock;     /* the child's end, as numbered in the parent */
	int sock;            /* the same end in the child, after child_setup */
	bool pass_fd;        /* pidfd_getfd + SCM_RIGHTS, else report only */
};

/* Once pidfd_getfd turned out not to work, do not try it again. */
static bool pidfd_broken;

/* ------------------------------------------------------------ child */

/* child_setup, still root: fetch our end of the socketpair. */
static int fetch_socket(void *arg)
{
	struct user_open *u = arg;
	int pidfd = -1;

#if defined(SYS_pidfd_open) && defined(SYS_pidfd_getfd)
	pidfd = (int)syscall(SYS_pidfd_open, u->parent, 0);
	if (pidfd < 0) {
		errno = ENOSYS;
		return -1;
	}
	u->sock = (int)syscall(SYS_pidfd_getfd, pidfd, u->parent_sock, 0);
	close(pidfd);
	if (u->sock >= 0)
		return 0;
	/* Whatever the reason (ENOSYS, EPERM from ptrace rules): the parent
	 * falls back on ENOSYS. */
	errno = ENOSYS;
	return -1;
#else
	(void)u;
	(void)pidfd;
	errno = ENOSYS;
	return -1;
#endif
}

/* Open path: O_PATH first, so a device or FIFO is never really opened;
 * then O_RDONLY, which is what proves the user may read it. */
static int open_checked(const struct user_open *u, struct user_report *rep)
{
	struct stat st1, st2;
	int pfd, fd;

	pfd = open(u->path, O_PATH | O_CLOEXEC | u->flags_hint);
	if (pfd < 0 || fstat(pfd, &st1) < 0) {
		rep->status = REPORT_ERRNO;
		rep->error = errno;
		if (pfd >= 0)
			close(pfd);
		return -1;
	}
	close(pfd);
	if (!S_ISDIR(st1.st_mode) && !S_ISREG(st1.st_mode)) {
		rep->status = REPORT_NOT_FILE;
		return -1;
	}
	fd = open(u->path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | u->flags_hint);
	if (fd < 0 || fstat(fd, &st2) < 0) {
		rep->status = REPORT_ERRNO;
		rep->error = errno;
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st1.st_dev != st2.st_dev || st1.st_ino != st2.st_ino) {
		rep->status = REPORT_CHANGED;
		close(fd);
		return -1;
	}
	rep->status = REPORT_OK;
	rep->dev = st2.st_dev;
	rep->ino = st2.st_ino;
	return fd;
}

static int send_report(int sock, const struct user_report *rep, int fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)rep, .iov_len = sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	if (fd >= 0) {
		struct cmsghdr *cmsg;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	}
	do
		n = sendmsg(sock, &msg, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof(*rep) ? 0 : -1;
}

/* berth_run_fn body, as the user.  Exit 0 when the report went out. */
static int child_open(void *arg)
{
	struct user_open *u = arg;
	struct user_report rep = { .magic = REPORT_MAGIC };
	int fd = open_checked(u, &rep);
	int rc;

	if (u->pass_fd) {
		rc = send_report(u->sock, &rep, fd);
	} else {
		ssize_t n;

		do
			n = write(STDOUT_FILENO, &rep, sizeof(rep));
		while (n < 0 && errno == EINTR);
		rc = n == (ssize_t)sizeof(rep) ? 0 : -1;
	}
	return rc == 0 ? 0 : 1;
}

/* ------------------------------------------------------------ parent */

/* Receive the report and the fd (if any) the child sent. */
static int receive_report(int sock, struct user_report *rep, int *fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = rep, .iov_len = sizeof(*rep) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = control.buf, .msg_controllen = sizeof(control.buf) };
	struct cmsghdr *cmsg;
	ssize_t n;

	*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (cmsg = CMSG_FIRSTHDR(&msg); n >= 0 && cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg))
		if (cmsg->cmsg_level == SOL_SOCKET && cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(fd, CMSG_DATA(cmsg), sizeof(int));
	if (n != (ssize_t)sizeof(*rep) || rep->magic != REPORT_MAGIC ||
	    (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		return -1;
	}
	return 0;
}

static int report_error(const struct user_report *rep, const char *shown,
			struct berth_error *err)
{
	switch (rep->status) {
	case REPORT_ERRNO:
		return berth_error_errno(err, rep->error, "volume source \"%s\"", shown);
	case REPORT_NOT_FILE:
		return berth_error_set(err, EINVAL,
				       "volume source \"%s\": not a directory or regular file", shown);
	case REPORT_CHANGED:
		return berth_error_set(err, EAGAIN, "volume source \"%s\": changed while opened",
				       shown);
	default:
		return berth_error_set(err, EIO, "volume source \"%s\": bad report", shown);
	}
}

/* Fallback: open the path here and keep it only if it is what the user
 * opened.  O_PATH first, so root never opens a device swapped in. */
static int reopen_same(const char *path, int flags_hint, const struct user_report *rep,
		       const char *shown, int *fd_out, struct berth_error *err)
{
	char proc[32];
	struct stat st;
	int pfd, fd;

	pfd = open(path, O_PATH | O_CLOEXEC | flags_hint);
	if (pfd < 0)
		return berth_error_errno(err, errno, "volume source \"%s\"", shown);
	if (fstat(pfd, &st) < 0 || st.st_dev != rep->dev || st.st_ino != rep->ino) {
		close(pfd);
		return berth_error_set(err, EAGAIN, "volume source \"%s\": changed while opened",
				       shown);
	}
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
	fd = open(proc, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	close(pfd);
	if (fd < 0)
		return berth_error_errno(err, errno, "volume source \"%s\": reopen", shown);
	*fd_out = fd;
	return 0;
}

static int run_opener(struct user_open *u, const struct berth_run_spec *base,
		      struct berth_run_result *res, struct berth_error *err)
{
	struct berth_run_spec spec = *base;

	spec.capture = !u->pass_fd;
	spec.capture_max = sizeof(struct user_report);
	spec.child_setup = u->pass_fd ? fetch_socket : NULL;
	spec.child_arg = u;
	return berth_run_fn(&spec, child_open, u, res, err);
}

/* Returns 0 with *fd_out, -1 with err, 1 when pidfd_getfd did not work. */
static int open_passing_fd(struct user_open *u, const struct berth_run_spec *base,
			   const char *shown, int *fd_out, struct berth_error *err)
{
	struct berth_run_result res;
	struct berth_error run_err = BERTH_ERROR_INIT;
	struct user_report rep = { 0 };
	int sv[2], fd = -1, rc;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return berth_error_errno(err, errno, "volume source \"%s\": socketpair", shown);
	u->pass_fd = true;
	u->parent_sock = sv[1];
	rc = run_opener(u, base, &res, &run_err);
	close(sv[1]);
	if (rc < 0 && run_err.code == ENOSYS) {   /* from fetch_socket */
		close(sv[0]);
		pidfd_broken = true;
		return 1;
	}
	if (rc < 0 && err) {
		*err = run_err;
		berth_error_prefix(err, "volume source \"%s\"", shown);
	}
	if (rc == 0 && receive_report(sv[0], &rep, &fd) < 0)
		rc = berth_error_set(err, EIO, "volume source \"%s\": opener exited with %d and sent nothing",
				     shown, res.exit_status);
	close(sv[0]);
	berth_run_result_free(&res);
	if (rc < 0)
		return -1;
	if (rep.status != REPORT_OK || fd < 0) {
		if (fd >= 0)
			close(fd);
		return report_error(&rep, shown, err);
	}
	*fd_out = fd;
	return 0;
}

static int open_checking_inode(struct user_open *u, const struct berth_run_spec *base,
			       const char *shown, int *fd_out, struct berth_error *err)
{
	struct berth_run_result res;
	struct user_report rep;
	int rc;

	u->pass_fd = false;
	if (run_opener(u, base, &res, err) < 0)
		return berth_error_prefix(err, "volume source \"%s\"", shown);
	rc = res.output_len == sizeof(rep) ? 0 : -1;
	if (rc == 0)
		memcpy(&rep, res.output, sizeof(rep));
	berth_run_result_free(&res);
	if (rc < 0 || rep.magic != REPORT_MAGIC)
		return berth_error_set(err, EIO, "volume source \"%s\": opener sent nothing", shown);
	if (rep.status != REPORT_OK)
		return report_error(&rep, shown, err);
	return reopen_same(u->path, u->flags_hint, &rep, shown, fd_out, err);
}

int berth_open_as_user(const char *path, uid_t uid, gid_t gid, const gid_t *groups,
		       size_t ngroups, int flags_hint, int *fd_out, struct berth_error *err)
{
	char shown[BERTH_PATH_SHOWN_SIZE];
	struct berth_run_spec spec = {
		.as_user = true, .uid = uid, .gid = gid, .groups = groups, .ngroups = ngroups,
		.timeout_ms = BERTH_OPEN_AS_USER_TIMEOUT_MS,
	};
	struct user_open u = { .path = path, .flags_hint = flags_hint, .parent = getpid(),
			       .sock = -1, .parent_sock = -1 };
	int rc = 1;

	*fd_out = -1;
	if (!path || path[0] != '/')
		return berth_error_set(err, EINVAL, "volume source \"%s\": not an absolute path",
				       path ? berth_path_shown(path, shown, sizeof(shown)) : "");
	berth_path_shown(path, shown, sizeof(shown));
	if (flags_hint & ~O_DIRECTORY)
		return berth_error_set(err, EINVAL, "volume source \"%s\": bad open flags 0x%x",
				       shown, (unsigned)flags_hint);
	if (!pidfd_broken && !(berth_safe_path_fallbacks() & BERTH_FALLBACK_PIDFD))
		rc = open_passing_fd(&u, &spec, shown, fd_out, err);
	if (rc == 1)
		rc = open_checking_inode(&u, &spec, shown, fd_out, err);
	return rc;
}
