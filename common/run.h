/*
 * run.h - the one audited way berth runs a program (or a function) in a
 * child process, optionally as another user.
 *
 * In the child, in this order:
 *   1. signal dispositions reset to default, signal mask emptied;
 *   2. new process group (so a timeout kills the whole tree);
 *   3. PR_SET_PDEATHSIG(SIGKILL) so the child dies with its parent;
 *   4. stdin from /dev/null (or a memfd holding spec->stdin_data); stdout
 *      and stderr to the capture pipe (when capturing) or /dev/null;
 *   5. every other fd closed (close_range, or a /proc/self/fd sweep);
 *   6. spec->child_setup(spec->child_arg), if set, still privileged (e.g. to
 *      setns into a job container);
 *   7. if spec->as_user: setgroups(ngroups, groups) -> setresgid(gid x3) ->
 *      setresuid(uid x3), each checked, then verified with getresuid/getresgid
 *      and by a failing setuid(0) when uid != 0;
 *   8. chdir(spec->cwd or "/");
 *   9. execve(argv[0], argv, envp) with envp = spec->envp or the scrubbed
 *      default {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL} - never the
 *      caller's environment.  argv[0] must be an absolute path.
 * A failure in steps 1-9 is reported back to the parent over a CLOEXEC pipe as
 * (step, errno) and becomes the error message; the child then _exit(127)s.
 *
 * The parent waits at most spec->timeout_ms (0 = no limit), reading captured
 * output (at most capture_max bytes are kept; more is read and dropped).  On
 * timeout the child's process group gets SIGKILL and berth_run returns -1
 * with "timed out after N ms".
 */
#ifndef BERTH_RUN_H_
#define BERTH_RUN_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

struct berth_run_spec {
	const char *const *argv;      /* argv[0]: absolute path; NULL for run_fn */
	const char *const *envp;      /* NULL: scrubbed default environment */
	bool as_user;                 /* drop to uid/gid/groups */
	uid_t uid;
	gid_t gid;
	const gid_t *groups;          /* supplementary groups (may be NULL if ngroups 0) */
	size_t ngroups;
	const char *cwd;              /* NULL: "/" */
	unsigned timeout_ms;          /* 0: wait forever */
	bool capture;                 /* stdout+stderr into result->output */
	size_t capture_max;           /* 0: 64 KiB */
	int (*child_setup)(void *arg);  /* runs in the child before dropping privileges; -1 + errno = fail */
	const char *stdin_data;       /* NULL: stdin is /dev/null */
	size_t stdin_len;
	void *child_arg;
};

struct berth_run_result {
	int exit_status;      /* exit code, or 128+signal if killed */
	bool signaled;
	bool timed_out;
	char *output;         /* NUL-terminated capture (malloc'd) or NULL */
	size_t output_len;
};

/* Run spec->argv.  Returns 0 when the program ran and finished (whatever its
 * exit status: check result->exit_status), -1 with err set when it could not
 * be started, the setup failed, or it timed out. */
int berth_run(const struct berth_run_spec *spec, struct berth_run_result *result,
	      struct berth_error *err);

/* Same child setup, but instead of execve the child calls fn(arg) and
 * _exit()s with its return value (0..125).  Used to do work as the user
 * (e.g. open a path with the user's rights) without a helper binary.
 * argv/envp are ignored. */
int berth_run_fn(const struct berth_run_spec *spec, int (*fn)(void *arg), void *arg,
		 struct berth_run_result *result, struct berth_error *err);

/* Start spec->argv and return once it has exec'd (or failed to: then -1
 * with the failing step, like berth_run), leaving it running: *pid is the
 * child, which the caller must reap.  Steps 1-9 as above (the parent-death
 * signal included: the child dies with the calling thread); capture is
 * ignored; spec->timeout_ms (0: 10 s) bounds only the start. */
int berth_run_spawn(const struct berth_run_spec *spec, pid_t *pid, struct berth_error *err);

/* Drop to uid/gid/groups in the current process (steps 7 above): the one
 * implementation, shared with tasks entering a container. */
int berth_drop_privileges(uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
			  struct berth_error *err);

/* Call after every berth_run/berth_run_fn, also a failed one: a timed-out
 * or failed child may have left output worth showing. */
void berth_run_result_free(struct berth_run_result *result);

#endif
