/*
 * run.c - see run.h.
 *
 * The caller may be a multi-threaded daemon (slurmd, slurmstepd): other
 * threads may hold locks (malloc, stdio, logging) at fork time, so between
 * fork() and execve() the child makes only async-signal-safe system calls.
 * Everything that allocates (capture buffer, fds, messages) happens in the
 * parent.  Child failures travel back as a struct child_report over a
 * CLOEXEC pipe, which execve() closes on success.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/memfd.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define CAPTURE_DEFAULT_MAX (64 * 1024)
#define STATUS_FD 3             /* where the child keeps the report pipe */
#define FALLBACK_POLL_MS 20     /* without pidfd, how often to look for the exit */
#define READS_PER_WAKEUP 16     /* a fast writer cannot starve the deadline */
#define FN_EXIT_MAX 125

enum child_step {
	STEP_NONE,
	STEP_SIGNALS,
	STEP_PGID,
	STEP_PDEATHSIG,
	STEP_STDIO,
	STEP_CLOSE_FDS,
	STEP_CHILD_SETUP,
	STEP_SETGROUPS,
	STEP_SETRESGID,
	STEP_SETRESUID,
	STEP_VERIFY,
	STEP_CHDIR,
	STEP_EXECVE,
	STEP_COUNT
};

static const char *const step_names[STEP_COUNT] = {
	[STEP_NONE] = "child",
	[STEP_SIGNALS] = "reset signals",
	[STEP_PGID] = "setpgid",
	[STEP_PDEATHSIG] = "prctl(PR_SET_PDEATHSIG)",
	[STEP_STDIO] = "redirect stdio",
	[STEP_CLOSE_FDS] = "close fds",
	[STEP_CHILD_SETUP] = "child setup",
	[STEP_SETGROUPS] = "setgroups",
	[STEP_SETRESGID] = "setresgid",
	[STEP_SETRESUID] = "setresuid",
	[STEP_VERIFY] = "verify credentials",
	[STEP_CHDIR] = "chdir",
	[STEP_EXECVE] = "execve",
};

struct child_report {
	int step;
	int error;
};

/* Everything the child needs, prepared before fork(). */
struct child_ctx {
	const struct berth_run_spec *spec;
	char *const *argv;
	char *const *envp;
	int (*fn)(void *arg);
	void *fn_arg;
	pid_t parent;
	int null_fd;
	int stdin_fd;    /* -1: stdin from null_fd */
	int capture_w;   /* -1: no capture */
	int status_w;
};

/* Parent-side state of one run. */
struct run_state {
	pid_t pid;
	int status_r, status_w, capture_r, capture_w, null_fd, stdin_fd, pidfd;
	char *buf;
	size_t len, max;
	struct child_report report;
	bool reported, exited, timed_out;
	int wstatus, wait_errno;
};

static const char *const default_envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };

/* ------------------------------------------------------------ privileges */

/* Returns STEP_NONE, or the step that failed with errno set.  Only system
 * calls: also used in the child after fork(). */
static enum child_step drop_privileges_raw(uid_t uid, gid_t gid, const gid_t *groups,
					   size_t ngroups)
{
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;

	if (setgroups(ngroups, groups) < 0)
		return STEP_SETGROUPS;
	if (setresgid(gid, gid, gid) < 0)
		return STEP_SETRESGID;
	if (setresuid(uid, uid, uid) < 0)
		return STEP_SETRESUID;
	if (getresuid(&ruid, &euid, &suid) < 0 || getresgid(&rgid, &egid, &sgid) < 0)
		return STEP_VERIFY;
	if (ruid != uid || euid != uid || suid != uid ||
	    rgid != gid || egid != gid || sgid != gid) {
		errno = EPERM;
		return STEP_VERIFY;
	}
	/* A process that can become root again has not dropped anything. */
	if (uid != 0 && (setuid(0) == 0 || (gid != 0 && setgid(0) == 0))) {
		errno = EPERM;
		return STEP_VERIFY;
	}
	return STEP_NONE;
}

int berth_drop_privileges(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
			  struct berth_error *err)
{
	enum child_step step;

	if (ngroups && !groups)
		return berth_error_set(err, EINVAL, "%zu supplementary groups but no group list",
				       ngroups);
	step = drop_privileges_raw(uid, gid, groups, ngroups);
	if (step != STEP_NONE)
		return berth_error_errno(err, errno, "drop privileges to uid %u gid %u: %s",
					 (unsigned)uid, (unsigned)gid, step_names[step]);
	return 0;
}

/* ------------------------------------------------------------ child */

static _Noreturn void child_fail(int status_fd, enum child_step step, int error)
{
	struct child_report report = { (int)step, error ? error : EIO };
	ssize_t n;

	do
		n = write(status_fd, &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	_exit(127);
}

/* The kernel's struct sigaction, for the signals glibc keeps for itself
 * (32, 33): an ignored disposition inherited from our parent must not leak
 * into the program either. */
struct kernel_sigaction_dfl {
	void (*handler)(int);
	unsigned long flags;
	void (*restorer)(void);
	unsigned long mask;
};

static int reset_reserved_signal(int sig)
{
	struct kernel_sigaction_dfl ksa;

	memset(&ksa, 0, sizeof(ksa));
	ksa.handler = SIG_DFL;
	return (int)syscall(SYS_rt_sigaction, sig, &ksa, NULL, sizeof(ksa.mask));
}

static int reset_signals(void)
{
	struct sigaction sa;
	sigset_t none;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP)
			continue;
		/* EINVAL: signals reserved by the C library */
		if (sigaction(sig, &sa, NULL) == 0)
			continue;
		if (errno != EINVAL || reset_reserved_signal(sig) < 0)
			return -1;
	}
	sigemptyset(&none);
	return sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Also re-armed after the privilege drop: the kernel clears the parent-death
 * signal when the credentials change. */
static int arm_pdeathsig(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return -1;
	if (getppid() != parent) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

static int redirect_stdio(const struct child_ctx *c)
{
	int out = c->capture_w >= 0 ? c->capture_w : c->null_fd;

	if (dup2(c->stdin_fd >= 0 ? c->stdin_fd : c->null_fd, STDIN_FILENO) < 0 ||
	    dup2(out, STDOUT_FILENO) < 0 ||
	    dup2(out, STDERR_FILENO) < 0)
		return -1;
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* /proc/self/fd with getdents64 on a stack buffer: opendir() allocates. */
static int close_fds_proc(int first)
{
	char buf[1024] __attribute__((aligned(8)));
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	long n;

	if (dir < 0)
		return -1;
	while ((n = syscall(SYS_getdents64, dir, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			int fd = 0;

			for (const char *p = d->d_name; *p >= '0' && *p <= '9'; p++)
				fd = fd * 10 + (*p - '0');
			if (d->d_name[0] != '.' && fd >= first && fd != dir)
				close(fd);
			off += d->d_reclen;
		}
	}
	close(dir);
	return n < 0 ? -1 : 0;
}

/* Keep only stdio and the report pipe (moved to STATUS_FD). */
static int close_other_fds(int *status_fd)
{
	if (*status_fd != STATUS_FD) {
		if (dup3(*status_fd, STATUS_FD, O_CLOEXEC) < 0)
			return -1;
		*status_fd = STATUS_FD;
	}
#ifdef SYS_close_range
	if (syscall(SYS_close_range, STATUS_FD + 1, ~0U, 0) == 0)
		return 0;
#endif
	return close_fds_proc(STATUS_FD + 1);
}

static _Noreturn void child_main(const struct child_ctx *c)
{
	const struct berth_run_spec *spec = c->spec;
	int status_fd = c->status_w;
	enum child_step step;
	int rc;

	if (reset_signals() < 0)
		child_fail(status_fd, STEP_SIGNALS, errno);
	if (setpgid(0, 0) < 0)
		child_fail(status_fd, STEP_PGID, errno);
	if (arm_pdeathsig(c->parent) < 0)
		child_fail(status_fd, STEP_PDEATHSIG, errno);
	if (redirect_stdio(c) < 0)
		child_fail(status_fd, STEP_STDIO, errno);
	if (close_other_fds(&status_fd) < 0)
		child_fail(status_fd, STEP_CLOSE_FDS, errno);
	if (spec->child_setup && spec->child_setup(spec->child_arg) < 0)
		child_fail(status_fd, STEP_CHILD_SETUP, errno);
	if (spec->as_user) {
		step = drop_privileges_raw(spec->uid, spec->gid, spec->groups, spec->ngroups);
		if (step != STEP_NONE)
			child_fail(status_fd, step, errno);
		if (arm_pdeathsig(c->parent) < 0)
			child_fail(status_fd, STEP_PDEATHSIG, errno);
	}
	if (chdir(spec->cwd ? spec->cwd : "/") < 0)
		child_fail(status_fd, STEP_CHDIR, errno);
	if (c->fn) {
		close(status_fd);
		rc = c->fn(c->fn_arg);
		_exit(rc >= 0 && rc <= FN_EXIT_MAX ? rc : FN_EXIT_MAX);
	}
	execve(c->argv[0], c->argv, c->envp);
	child_fail(status_fd, STEP_EXECVE, errno);
}

/* ------------------------------------------------------------ parent */

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void run_state_close(struct run_state *st)
{
	close_fd(&st->status_r);
	close_fd(&st->status_w);
	close_fd(&st->capture_r);
	close_fd(&st->capture_w);
	close_fd(&st->null_fd);
	close_fd(&st->stdin_fd);
	close_fd(&st->pidfd);
}

/* The child's stdio is set up with dup2() onto 0-2: none of its source fds
 * may be one of those (a daemon may run with stdin closed). */
static int move_above_stdio(int *fd)
{
	int moved;

	if (*fd > STDERR_FILENO)
		return 0;
	if ((moved = fcntl(*fd, F_DUPFD_CLOEXEC, STDERR_FILENO + 1)) < 0)
		return -1;
	close(*fd);
	*fd = moved;
	return 0;
}

static int open_pipe(int *r, int *w)
{
	int fds[2];

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	*r = fds[0];
	*w = fds[1];
	if (move_above_stdio(r) < 0 || move_above_stdio(w) < 0 ||
	    fcntl(*r, F_SETFL, O_NONBLOCK) < 0)
		return -1;
	return 0;
}

/* The child's stdin: a memfd holding spec->stdin_data, read from its start
 * (a file, not a pipe: the child may read it whenever it likes and the
 * parent never blocks writing). */
static int stdin_file(const struct berth_run_spec *spec, struct run_state *st, struct berth_error *err)
{
	size_t done = 0;

	if ((st->stdin_fd = (int)syscall(SYS_memfd_create, "berth-stdin", MFD_CLOEXEC)) < 0 ||
	    move_above_stdio(&st->stdin_fd) < 0)
		return berth_error_errno(err, errno, "stdin memfd");
	while (done < spec->stdin_len) {
		ssize_t n = write(st->stdin_fd, spec->stdin_data + done, spec->stdin_len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(err, errno, "stdin memfd");
		done += (size_t)n;
	}
	if (lseek(st->stdin_fd, 0, SEEK_SET) < 0)
		return berth_error_errno(err, errno, "stdin memfd");
	return 0;
}

static int prepare(const struct berth_run_spec *spec, struct run_state *st,
		   struct berth_error *err)
{
	if (open_pipe(&st->status_r, &st->status_w) < 0)
		return berth_error_errno(err, errno, "pipe");
	if (spec->capture) {
		st->max = spec->capture_max ? spec->capture_max : CAPTURE_DEFAULT_MAX;
		if (st->max == SIZE_MAX || !(st->buf = malloc(st->max + 1)))
			return berth_error_errno(err, ENOMEM, "capture buffer of %zu bytes", st->max);
		if (open_pipe(&st->capture_r, &st->capture_w) < 0)
			return berth_error_errno(err, errno, "pipe");
	}
	if ((st->null_fd = open("/dev/null", O_RDWR | O_CLOEXEC)) < 0 ||
	    move_above_stdio(&st->null_fd) < 0)
		return berth_error_errno(err, errno, "/dev/null");
	if (spec->stdin_data)
		return stdin_file(spec, st, err);
	return 0;
}

static int start_child(const struct child_ctx *ctx, struct run_state *st,
		       struct berth_error *err)
{
	sigset_t all, old;
	int saved;

	/* No handler of the caller may run in the child before step 1. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	st->pid = fork();
	if (st->pid == 0)
		child_main(ctx);
	saved = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (st->pid < 0)
		return berth_error_errno(err, saved, "fork");
	/* Also from the parent, so a timeout kill never misses the group;
	 * EACCES once the child has already run execve() is fine. */
	setpgid(st->pid, st->pid);
	close_fd(&st->status_w);
	close_fd(&st->capture_w);
	close_fd(&st->null_fd);
#ifdef SYS_pidfd_open
	st->pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (st->pidfd < 0)
		st->pidfd = -1;
#endif
	return 0;
}

static void read_status(struct run_state *st)
{
	struct child_report report;
	ssize_t n;

	do
		n = read(st->status_r, &report, sizeof(report));
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n == (ssize_t)sizeof(report)) {
		st->report = report;
		st->reported = true;
	}
	close_fd(&st->status_r);
}

static void read_capture(struct run_state *st)
{
	char scratch[4096];

	for (int i = 0; i < READS_PER_WAKEUP && st->capture_r >= 0; i++) {
		bool keep = st->len < st->max;
		char *dst = keep ? st->buf + st->len : scratch;
		size_t room = keep ? st->max - st->len : sizeof(scratch);
		ssize_t n = read(st->capture_r, dst, room);

		if (n > 0) {
			if (keep)
				st->len += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else if (n < 0 && errno == EAGAIN) {
			return;
		} else {
			close_fd(&st->capture_r);
		}
	}
}

static void reap(struct run_state *st, int flags)
{
	pid_t r;

	do
		r = waitpid(st->pid, &st->wstatus, flags);
	while (r < 0 && errno == EINTR);
	if (r == st->pid) {
		st->exited = true;
	} else if (r < 0) {
		/* ECHILD: reaped behind our back (SIGCHLD ignored) */
		st->wait_errno = errno;
		st->exited = true;
	}
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int poll_timeout(uint64_t deadline, bool have_pidfd)
{
	uint64_t now, left;

	if (!deadline)
		return have_pidfd ? -1 : FALLBACK_POLL_MS;
	now = now_ms();
	left = deadline > now ? deadline - now : 0;
	if (!have_pidfd && left > FALLBACK_POLL_MS)
		left = FALLBACK_POLL_MS;
	return (int)left;
}

/* Read the pipes until the child exits or the deadline passes.  The end of
 * the child, not EOF on the capture pipe, ends the wait: a grandchild may
 * keep the pipe open. */
static void wait_child(struct run_state *st, unsigned timeout_ms)
{
	uint64_t deadline = timeout_ms ? now_ms() + timeout_ms : 0;

	while (!st->exited) {
		struct pollfd fds[3];
		nfds_t n = 0;
		int timeout = poll_timeout(deadline, st->pidfd >= 0), ready;

		if (deadline && now_ms() >= deadline) {
			st->timed_out = true;
			break;
		}
		if (st->status_r >= 0)
			fds[n++] = (struct pollfd){ .fd = st->status_r, .events = POLLIN };
		if (st->capture_r >= 0)
			fds[n++] = (struct pollfd){ .fd = st->capture_r, .events = POLLIN };
		if (st->pidfd >= 0)
			fds[n++] = (struct pollfd){ .fd = st->pidfd, .events = POLLIN };
		ready = poll(fds, n, timeout);
		if (ready < 0 && errno != EINTR) {
			st->wait_errno = errno;
			break;
		}
		if (st->status_r >= 0)
			read_status(st);
		if (st->capture_r >= 0)
			read_capture(st);
		reap(st, WNOHANG);
	}
	if (!st->exited) {
		kill(-st->pid, SIGKILL);
		kill(st->pid, SIGKILL);
		reap(st, 0);
	}
	if (st->status_r >= 0)
		read_status(st);
	if (st->capture_r >= 0)
		read_capture(st);
}

static void fill_result(struct run_state *st, struct berth_run_result *result)
{
	if (st->exited && !st->wait_errno) {
		if (WIFEXITED(st->wstatus)) {
			result->exit_status = WEXITSTATUS(st->wstatus);
		} else if (WIFSIGNALED(st->wstatus)) {
			result->signaled = true;
			result->exit_status = 128 + WTERMSIG(st->wstatus);
		}
	}
	result->timed_out = st->timed_out;
	if (st->buf) {
		st->buf[st->len] = '\0';
		result->output = st->buf;
		result->output_len = st->len;
		st->buf = NULL;
	}
}

static int run_error(const struct run_state *st, unsigned timeout_ms, const char *label,
		     struct berth_error *err)
{
	int step = st->report.step;

	if (st->timed_out)
		return berth_error_set(err, ETIMEDOUT, "%s: timed out after %u ms", label, timeout_ms);
	if (st->reported)
		return berth_error_errno(err, st->report.error, "%s: %s", label,
					 step > STEP_NONE && step < STEP_COUNT ? step_names[step] : "child");
	if (st->wait_errno)
		return berth_error_errno(err, st->wait_errno, "%s: waiting for the child", label);
	return 0;
}

static int check_spec(const struct berth_run_spec *spec, bool need_argv, char *label,
		      size_t size, struct berth_error *err)
{
	if (!spec)
		return berth_error_set(err, EINVAL, "no run spec");
	if (spec->ngroups && !spec->groups)
		return berth_error_set(err, EINVAL, "%zu supplementary groups but no group list",
				       spec->ngroups);
	if (!need_argv) {
		snprintf(label, size, "child function");
		return 0;
	}
	if (!spec->argv || !spec->argv[0])
		return berth_error_set(err, EINVAL, "no program to run");
	snprintf(label, size, "\"%s\"", spec->argv[0]);
	berth_error_sanitize(label);
	if (spec->argv[0][0] != '/')
		return berth_error_set(err, EINVAL, "program %s is not an absolute path", label);
	return 0;
}

static int run_common(const struct berth_run_spec *spec, int (*fn)(void *arg), void *arg,
		      struct berth_run_result *result, struct berth_error *err)
{
	struct run_state st = { .status_r = -1, .status_w = -1, .capture_r = -1,
				.capture_w = -1, .null_fd = -1, .stdin_fd = -1, .pidfd = -1 };
	struct child_ctx ctx;
	char label[160];
	int rc = -1;

	memset(result, 0, sizeof(*result));
	if (check_spec(spec, !fn, label, sizeof(label), err) < 0)
		return -1;
	if (prepare(spec, &st, err) < 0)
		goto out;
	ctx = (struct child_ctx){
		.spec = spec,
		.argv = (char *const *)spec->argv,
		.envp = (char *const *)(spec->envp ? spec->envp : default_envp),
		.fn = fn,
		.fn_arg = arg,
		.parent = getpid(),
		.null_fd = st.null_fd,
		.stdin_fd = st.stdin_fd,
		.capture_w = st.capture_w,
		.status_w = st.status_w,
	};
	if (start_child(&ctx, &st, err) < 0)
		goto out;
	wait_child(&st, spec->timeout_ms);
	fill_result(&st, result);
	rc = run_error(&st, spec->timeout_ms, label, err);
out:
	run_state_close(&st);
	free(st.buf);
	return rc;
}

int berth_run(const struct berth_run_spec *spec, struct berth_run_result *result,
	      struct berth_error *err)
{
	return run_common(spec, NULL, NULL, result, err);
}

int berth_run_fn(const struct berth_run_spec *spec, int (*fn)(void *arg), void *arg,
		 struct berth_run_result *result, struct berth_error *err)
{
	if (!fn) {
		memset(result, 0, sizeof(*result));
		return berth_error_set(err, EINVAL, "no function to run");
	}
	return run_common(spec, fn, arg, result, err);
}

/* Wait for the report pipe only: EOF means execve() succeeded. */
static void wait_started(struct run_state *st, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + (timeout_ms ? timeout_ms : 10000);

	while (st->status_r >= 0 && now_ms() < deadline) {
		struct pollfd fd = { .fd = st->status_r, .events = POLLIN };

		if (poll(&fd, 1, (int)(deadline - now_ms())) < 0 && errno != EINTR)
			break;
		read_status(st);
	}
	if (st->status_r >= 0)
		st->timed_out = true;
}

int berth_run_spawn(const struct berth_run_spec *spec, pid_t *pid, struct berth_error *err)
{
	struct run_state st = { .status_r = -1, .status_w = -1, .capture_r = -1,
				.capture_w = -1, .null_fd = -1, .stdin_fd = -1, .pidfd = -1 };
	struct berth_run_spec plain;
	struct child_ctx ctx;
	char label[160];
	int rc = -1;

	*pid = -1;
	if (check_spec(spec, true, label, sizeof(label), err) < 0)
		return -1;
	plain = *spec;
	plain.capture = false;   /* nobody would read the pipe */
	if (prepare(&plain, &st, err) < 0)
		goto out;
	ctx = (struct child_ctx){
		.spec = &plain,
		.argv = (char *const *)spec->argv,
		.envp = (char *const *)(spec->envp ? spec->envp : default_envp),
		.parent = getpid(),
		.null_fd = st.null_fd,
		.stdin_fd = st.stdin_fd,
		.capture_w = -1,
		.status_w = st.status_w,
	};
	if (start_child(&ctx, &st, err) < 0)
		goto out;
	wait_started(&st, spec->timeout_ms);
	if (st.reported || st.timed_out) {
		kill(-st.pid, SIGKILL);
		kill(st.pid, SIGKILL);
		reap(&st, 0);
		st.timed_out = !st.reported;
		rc = run_error(&st, spec->timeout_ms ? spec->timeout_ms : 10000, label, err);
		goto out;
	}
	*pid = st.pid;
	rc = 0;
out:
	run_state_close(&st);
	return rc;
}

void berth_run_result_free(struct berth_run_result *result)
{
	if (!result)
		return;
	free(result->output);
	memset(result, 0, sizeof(*result));
}
