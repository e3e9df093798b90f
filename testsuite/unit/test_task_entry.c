/*
 * test_task_entry.c - unit tests of node/task_entry.c: entering the
 * container (chroot, working directory) and locking the task down.
 *
 * Check runs each test in its own forked process, so the tests that chroot,
 * lock down or change credentials do it to that process.  They need root
 * and skip themselves with a message otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <stddef.h>

#include "run.h"
#include "task_entry.h"
#include "task_env.h"
#include "unit.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define DEF BERTH_TASK_DEFAULT_PATH


/* ================================================================ tree */

static char tree[64];

static void make_file(const char *rel, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode), 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void make_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* The container tree used by the enter and command tests:
 *   /MARKER, /home/alice/, /app/, /opt/app/run (0755), /usr/bin/tool (0755),
 *   /usr/bin/noexec (0644), /usr/bin/adir/, /usr/bin/fifo, /bin -> usr/bin,
 *   /usr/local/bin/escape -> /../../../../bin/sh, /usr/bin/dangling,
 *   /usr/bin/up -> ../../../../../../usr/bin/tool, /noexec/tool (0644),
 *   /link -> /home/alice, /esc -> ../../../../.., /afile, /proc/ */
static void tree_setup(void)
{
	snprintf(tree, sizeof(tree), "/tmp/berth-test-task-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	ck_assert_int_eq(chmod(tree, 0755), 0);
	make_file("MARKER", 0644);
	make_file("afile", 0644);
	make_dir("home");
	make_dir("home/alice");
	make_dir("app");
	make_dir("opt");
	make_dir("opt/app");
	make_file("opt/app/run", 0755);
	make_dir("usr");
	make_dir("usr/bin");
	make_dir("usr/local");
	make_dir("usr/local/bin");
	make_dir("noexec");
	make_dir("proc");
	make_file("usr/bin/tool", 0755);
	make_file("usr/bin/noexec", 0644);
	make_file("noexec/tool", 0644);
	make_dir("usr/bin/adir");
	make_link("usr/bin", "bin");
	make_link("/../../../../bin/sh", "usr/local/bin/escape");
	make_link("/nonexistent", "usr/bin/dangling");
	make_link("../../../../../../usr/bin/tool", "usr/bin/up");
	make_link("/home/alice", "link");
	make_link("../../../../..", "esc");
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/usr/bin/fifo", tree);
		ck_assert_int_eq(mkfifo(path, 0755), 0);
	}
}

static void tree_teardown(void)
{
	char cmd[256];

	if (!tree[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tree);
	tree[0] = '\0';
}

/* Run fn in a child that leaves with _exit(): after a chroot, LeakSanitizer
 * cannot read /proc at exit.  fn reports a failure as a message (empty:
 * success), sent back over a pipe and asserted empty here; a message
 * starting with "skipped: " is printed and makes this return false. */
typedef void (*child_fn)(const void *arg, char *msg, size_t size);

static bool in_child(child_fn fn, const void *arg)
{
	char msg[1024] = "";
	size_t len = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(fds[0]);
		fn(arg, msg, sizeof(msg));
		n = write(fds[1], msg, strlen(msg));
		_exit(n == (ssize_t)strlen(msg) ? 0 : 1);
	}
	close(fds[1]);
	while (len < sizeof(msg) - 1 && (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	if (strncmp(msg, "skipped: ", 9) == 0) {
		fprintf(stderr, "%s\n", msg);
		return false;
	}
	ck_assert_msg(msg[0] == '\0', "%s", msg);
	return true;
}

#define CHILD_FAIL(...)                                 \
	do {                                            \
		snprintf(msg, size, __VA_ARGS__);       \
		return;                                 \
	} while (0)

/* ================================================================ enter */

struct enter_case {
	const char *job_cwd, *image_workdir;
	enum berth_task_cwd used;
	const char *cwd;      /* getcwd() after entering */
};

static const struct enter_case enter_cases[] = {
	{ "/home/alice", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/home/bob", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
	{ "/home/bob", "/nope", BERTH_TASK_CWD_ROOT, "/" },
	{ NULL, NULL, BERTH_TASK_CWD_ROOT, "/" },
	{ "", "", BERTH_TASK_CWD_ROOT, "/" },
	{ "home/alice", "app", BERTH_TASK_CWD_ROOT, "/" },
	{ "/afile", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
	{ "/home/alice/", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/link", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/esc", "/app", BERTH_TASK_CWD_JOB, "/" },
	{ "/esc/home/alice", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/../../../home/alice", NULL, BERTH_TASK_CWD_JOB, "/home/alice" },
	{ NULL, "/usr/bin/../../opt/app", BERTH_TASK_CWD_IMAGE, "/opt/app" },
	{ "/", "/app", BERTH_TASK_CWD_JOB, "/" },
	/* host paths do not exist in the tree */
	{ "/etc", "/usr/share", BERTH_TASK_CWD_ROOT, "/" },
};

static void enter_child(const void *arg, char *msg, size_t size)
{
	const struct enter_case *c = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used = (enum berth_task_cwd)-1;
	char cwd[256];

	if (berth_task_enter(tree, c->job_cwd, c->image_workdir, &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != c->used)
		CHILD_FAIL("used %d, expected %d", (int)used, (int)c->used);
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, c->cwd) != 0)
		CHILD_FAIL("cwd \"%s\", expected \"%s\"", cwd, c->cwd);
	/* inside the tree, and "/" is its root */
	if (access("/MARKER", F_OK) < 0 || access("/../../MARKER", F_OK) < 0)
		CHILD_FAIL("not inside the tree");
	if (access("/etc/passwd", F_OK) == 0)
		CHILD_FAIL("the host's /etc/passwd is visible");
}

START_TEST(test_enter)
{
	REQUIRE_ROOT();
	in_child(enter_child, &enter_cases[_i]);
}
END_TEST

START_TEST(test_enter_errors)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char expected[512];

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_task_enter("rel/root", NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "container root \"rel/root\" is not an absolute path");
	ck_assert_int_eq(berth_task_enter(NULL, NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "container root \"\" is not an absolute path");
	ck_assert_int_eq(berth_task_enter("/nonexistent/berth", NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg,
			 "enter container root \"/nonexistent/berth\": chdir: No such file or directory");
	/* not root: chroot is refused */
	ck_assert_int_eq(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err), 0);
	snprintf(expected, sizeof(expected),
		 "enter container root \"%s\": chroot: Operation not permitted", tree);
	ck_assert_int_eq(berth_task_enter(tree, NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, EPERM);
}
END_TEST

/* A private mount namespace with /proc mounted in the tree; a message
 * when that is not possible here. */
static int mount_proc_in_tree(char *msg, size_t size)
{
	char proc[128];

	snprintf(proc, sizeof(proc), "%s/proc", tree);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", proc, "proc", 0, NULL) < 0) {
		snprintf(msg, size, "skipped: cannot mount /proc in a mount namespace: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* /proc/<pid>/root of the (unchrooted) test process is the host's root. */
struct magic_case {
	char job_cwd[64], image_workdir[64];
	enum berth_task_cwd used;
	const char *cwd;      /* NULL: not checked */
};

/* The control: a plain chroot + chdir does escape through the magic link. */
static void magic_control_child(const void *arg, char *msg, size_t size)
{
	const struct magic_case *c = arg;

	if (mount_proc_in_tree(msg, size) < 0)
		return;
	if (chdir(tree) < 0 || chroot(".") < 0)
		CHILD_FAIL("chroot: %s", strerror(errno));
	if (chdir(c->job_cwd) < 0 || access("etc/passwd", F_OK) < 0)
		CHILD_FAIL("skipped: %s does not lead out of the chroot here", c->job_cwd);
}

static void magic_enter_child(const void *arg, char *msg, size_t size)
{
	const struct magic_case *c = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used;
	char cwd[256];

	if (mount_proc_in_tree(msg, size) < 0)
		return;
	if (berth_task_enter(tree, c->job_cwd[0] ? c->job_cwd : NULL,
			     c->image_workdir[0] ? c->image_workdir : NULL, &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != c->used)
		CHILD_FAIL("%s: used %d, expected %d", c->job_cwd, (int)used, (int)c->used);
	if (access("/MARKER", F_OK) < 0 || access("passwd", F_OK) == 0 ||
	    access("etc/passwd", F_OK) == 0 || access("/etc/passwd", F_OK) == 0)
		CHILD_FAIL("%s: outside the tree", c->job_cwd);
	if (c->cwd && (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, c->cwd) != 0))
		CHILD_FAIL("%s: cwd \"%s\"", c->job_cwd, cwd);
}

/* With /proc mounted in the tree, a /proc/<pid>/root magic link (to the
 * host's root) is not followed, neither given directly nor through a
 * symlink in the image. */
START_TEST(test_enter_magic_links)
{
	struct magic_case cases[] = {
		{ "", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
		{ "", "", BERTH_TASK_CWD_ROOT, "/" },
		{ "/home/bob", "/hostroot", BERTH_TASK_CWD_ROOT, "/" },
		{ "/proc/self", "", BERTH_TASK_CWD_JOB, NULL },
	};
	char target[64];

	REQUIRE_ROOT();
	snprintf(cases[0].job_cwd, sizeof(cases[0].job_cwd), "/proc/%d/root", (int)getpid());
	snprintf(cases[1].job_cwd, sizeof(cases[1].job_cwd), "/proc/%d/root/etc", (int)getpid());
	snprintf(target, sizeof(target), "/proc/%d/root/etc", (int)getpid());
	make_link(target, "hostroot");
	if (!in_child(magic_control_child, &cases[0]))
		return;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (!in_child(magic_enter_child, &cases[i]))
			return;
}
END_TEST

/* A kernel without openat2 (Linux < 5.6), played with a seccomp filter:
 * entering falls back to chdir; lookups work once root is "/" and are
 * refused with a clear message before. */
static int without_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)ARRAY_LEN(filter), filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void no_openat2_child(const void *arg, char *msg, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used;
	char out[256];

	(void)arg;
	if (without_openat2() < 0)
		CHILD_FAIL("skipped: cannot install a seccomp filter: %s", strerror(errno));
	if (berth_task_enter(tree, "/home/bob", "/link", &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != BERTH_TASK_CWD_IMAGE || access("/MARKER", F_OK) < 0)
		CHILD_FAIL("used %d", (int)used);
	if (!getcwd(out, sizeof(out)) || strcmp(out, "/home/alice") != 0)
		CHILD_FAIL("cwd %s", out);
}

START_TEST(test_without_openat2)
{
	REQUIRE_ROOT();
	in_child(no_openat2_child, NULL);
}
END_TEST

/* ================================================================ lock down */

static int lock_down_setup(void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;

	(void)arg;
	if (berth_task_lock_down(&err) < 0) {
		errno = err.code ? err.code : EPERM;
		return -1;
	}
	return 0;
}

/* Run argv as nobody (berth_run), locked down or not; the output. */
static char *run_as_nobody(const char *const *argv, bool lock_down)
{
	struct berth_run_spec spec;
	struct berth_run_result res;
	struct berth_error err = BERTH_ERROR_INIT;
	char *out;

	memset(&spec, 0, sizeof(spec));
	memset(&res, 0, sizeof(res));
	spec.argv = argv;
	spec.as_user = true;
	spec.uid = NOBODY;
	spec.gid = NOBODY;
	spec.capture = true;
	spec.timeout_ms = 10000;
	spec.child_setup = lock_down ? lock_down_setup : NULL;
	ck_assert_msg(berth_run(&spec, &res, &err) == 0, "%s", err.msg);
	out = res.output ? strdup(res.output) : strdup("");
	berth_run_result_free(&res);
	return out;
}

static const char *const grep_status[] = {
	"/bin/grep", "-E", "^(NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)):", "/proc/self/status", NULL,
};

#define LOCKED_DOWN_STATUS                 \
	"CapInh:\t0000000000000000\n"      \
	"CapPrm:\t0000000000000000\n"      \
	"CapEff:\t0000000000000000\n"      \
	"CapBnd:\t0000000000000000\n"      \
	"CapAmb:\t0000000000000000\n"      \
	"NoNewPrivs:\t1\n"

START_TEST(test_lock_down_status)
{
	char *out;

	REQUIRE_ROOT();
	out = run_as_nobody(grep_status, true);
	ck_assert_str_eq(out, LOCKED_DOWN_STATUS);
	free(out);
	/* the control: without it, the bounding set is full and nnp off */
	out = run_as_nobody(grep_status, false);
	ck_assert_ptr_null(strstr(out, "CapBnd:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(out, "NoNewPrivs:\t0"));
	free(out);
}
END_TEST

static void read_status(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Slurm's own sequence after the hook: seteuid(user) for the chdir, back
 * to root, then setgroups/setgid/setuid - all still possible. */
START_TEST(test_lock_down_then_slurm_setuid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char status[8192];

	REQUIRE_ROOT();
	ck_assert_msg(berth_task_lock_down(&err) == 0, "%s", err.msg);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	ck_assert_int_eq(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0), 0);
	/* still root with its effective capabilities */
	read_status(status, sizeof(status));
	ck_assert_ptr_null(strstr(status, "CapEff:\t0000000000000000"));
	ck_assert_int_eq(setegid(NOBODY), 0);
	ck_assert_int_eq(seteuid(NOBODY), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(setegid(0), 0);
	ck_assert_msg(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err) == 0, "%s", err.msg);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapPrm:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapEff:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapBnd:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "NoNewPrivs:\t1"));
	ck_assert_int_eq(setuid(0), -1);
	ck_assert_int_eq(errno, EPERM);
}
END_TEST

/* Capabilities put in the inheritable and ambient sets, and the keep-caps
 * securebit, do not survive. */
START_TEST(test_lock_down_clears_inherited)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cap_value_t cap = CAP_NET_BIND_SERVICE;
	char status[8192];
	cap_t caps;

	REQUIRE_ROOT();
	ck_assert_ptr_nonnull(caps = cap_get_proc());
	ck_assert_int_eq(cap_set_flag(caps, CAP_INHERITABLE, 1, &cap, CAP_SET), 0);
	ck_assert_int_eq(cap_set_proc(caps), 0);
	cap_free(caps);
	ck_assert_int_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	ck_assert_msg(berth_task_lock_down(&err) == 0, "%s", err.msg);
	ck_assert_int_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapInh:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapAmb:\t0000000000000000"));
	ck_assert_msg(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err) == 0, "%s", err.msg);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapPrm:\t0000000000000000"));
	/* twice is fine for root; for nobody the bounding set is already empty */
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
}
END_TEST

START_TEST(test_lock_down_twice)
{
	struct berth_error err = BERTH_ERROR_INIT;

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
}
END_TEST

START_TEST(test_lock_down_unprivileged)
{
	struct berth_error err = BERTH_ERROR_INIT;

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err), 0);
	ck_assert_int_eq(berth_task_lock_down(&err), -1);
	ck_assert_str_eq(err.msg, "drop capability 0 from the bounding set: Operation not permitted");
	ck_assert_int_eq(err.code, EPERM);
}
END_TEST

/* A directory for setuid copies that nobody can reach, on a filesystem
 * that honours setuid; NULL if there is none. */
static char *suid_dir(void)
{
	static const char *const bases[] = { "/var/tmp", "/tmp" };

	for (size_t i = 0; i < ARRAY_LEN(bases); i++) {
		struct statvfs sv;
		char *dir;

		if (statvfs(bases[i], &sv) < 0 || (sv.f_flag & ST_NOSUID))
			continue;
		if (asprintf(&dir, "%s/berth-test-suid-XXXXXX", bases[i]) < 0)
			return NULL;
		if (mkdtemp(dir) && chmod(dir, 0755) == 0)
			return dir;
		free(dir);
	}
	return NULL;
}

static void copy_program(const char *from, const char *to, mode_t mode)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chown(to, 0, 0), 0);
	ck_assert_int_eq(chmod(to, mode), 0);
}

static void remove_suid_dir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* A setuid-root program does not make a locked-down task root. */
START_TEST(test_lock_down_setuid_binary)
{
	char *dir, id[256], *out;
	const char *argv[] = { id, NULL };

	REQUIRE_ROOT();
	if (!(dir = suid_dir())) {
		fprintf(stderr, "%s: skipped: no filesystem without nosuid\n", __func__);
		return;
	}
	snprintf(id, sizeof(id), "%s/id", dir);
	copy_program("/usr/bin/id", id, 04755);
	out = run_as_nobody(argv, false);
	if (!strstr(out, "euid=0(root)")) {
		fprintf(stderr, "%s: skipped: setuid is not honoured here (%s)\n", __func__, out);
		free(out);
		remove_suid_dir(dir);
		return;
	}
	free(out);
	out = run_as_nobody(argv, true);
	ck_assert_ptr_null(strstr(out, "euid"));
	ck_assert_int_eq(strncmp(out, "uid=65534(nobody) gid=65534(nogroup)", 36), 0);
	free(out);
	remove_suid_dir(dir);
}
END_TEST

/* Run argv as nobody, locked down; the error of berth_run (it fails). */
static void run_locked_fails(const char *const *argv, const char *message)
{
	struct berth_run_spec spec;
	struct berth_run_result res;
	struct berth_error err = BERTH_ERROR_INIT;

	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.as_user = true;
	spec.uid = NOBODY;
	spec.gid = NOBODY;
	spec.capture = true;
	spec.timeout_ms = 10000;
	spec.child_setup = lock_down_setup;
	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, message);
	/* berth_run keeps the capture buffer in res even when it fails */
	berth_run_result_free(&res);
}

/* Nor does a program with file capabilities: a permitted-only one runs
 * without them; a capability-dumb one (effective bit) cannot be executed
 * at all, since the bounding set no longer holds its capability. */
START_TEST(test_lock_down_file_caps)
{
	char *dir, grep[256], *out, message[512];
	const char *argv[] = { grep, "-E", "^Cap(Prm|Eff):", "/proc/self/status", NULL };
	cap_t caps;

	REQUIRE_ROOT();
	if (!(dir = suid_dir())) {
		fprintf(stderr, "%s: skipped: no filesystem without nosuid\n", __func__);
		return;
	}
	snprintf(grep, sizeof(grep), "%s/grep", dir);
	copy_program("/bin/grep", grep, 0755);
	caps = cap_from_text("cap_dac_read_search=p");
	ck_assert_ptr_nonnull(caps);
	if (cap_set_file(grep, caps) < 0) {
		fprintf(stderr, "%s: skipped: cannot set file capabilities: %s\n", __func__,
			strerror(errno));
		cap_free(caps);
		remove_suid_dir(dir);
		return;
	}
	cap_free(caps);
	out = run_as_nobody(argv, false);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000004\nCapEff:\t0000000000000000\n");
	free(out);
	out = run_as_nobody(argv, true);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
	free(out);

	caps = cap_from_text("cap_dac_read_search=ep");
	ck_assert_int_eq(cap_set_file(grep, caps), 0);
	cap_free(caps);
	out = run_as_nobody(argv, false);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000004\nCapEff:\t0000000000000004\n");
	free(out);
	snprintf(message, sizeof(message), "\"%s\": execve: Operation not permitted", grep);
	run_locked_fails(argv, message);
	remove_suid_dir(dir);
}
END_TEST

/* ================================================================ suite */

START_TEST(test_cwd_names)
{
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_JOB), "the job's working directory");
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_IMAGE), "the image's workdir");
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_ROOT), "/");
	ck_assert_str_eq(berth_task_cwd_name((enum berth_task_cwd)99), "?");
}
END_TEST

static Suite *task_entry_suite(void)
{
	Suite *suite = suite_create("task_entry");
	TCase *enter = tcase_create("enter");
	TCase *lock = tcase_create("lock_down");

	tcase_add_unchecked_fixture(enter, tree_setup, tree_teardown);
	tcase_add_test(enter, test_cwd_names);
	tcase_add_loop_test(enter, test_enter, 0, (int)ARRAY_LEN(enter_cases));
	tcase_add_test(enter, test_enter_errors);
	tcase_add_test(enter, test_enter_magic_links);
	tcase_add_test(enter, test_without_openat2);
	suite_add_tcase(suite, enter);

	tcase_add_test(lock, test_lock_down_status);
	tcase_add_test(lock, test_lock_down_then_slurm_setuid);
	tcase_add_test(lock, test_lock_down_clears_inherited);
	tcase_add_test(lock, test_lock_down_twice);
	tcase_add_test(lock, test_lock_down_unprivileged);
	tcase_add_test(lock, test_lock_down_setuid_binary);
	tcase_add_test(lock, test_lock_down_file_caps);
	tcase_set_timeout(lock, 30);
	suite_add_tcase(suite, lock);
	return suite;
}

int main(void)
{
	return unit_run(task_entry_suite());
}
