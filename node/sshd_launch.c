/*
 * sshd_launch.c - see sshd_launch.h.
 *
 * Why the host's OpenSSH through its own loader (and not a static sshd
 * built by berth, nor the image's): Debian's openssh-server is a
 * maintained, security-patched package the site already trusts; a static
 * build would be a second OpenSSH (and OpenSSL, zlib) for berth to patch.
 * Running the host binary through the host's dynamic loader, with
 * --library-path pointing at copies of exactly the libraries ldd names
 * (berth_sshd_bundle.c), makes it independent of the image's libc: a static
 * busybox image and a Debian image work alike.  The sshd runs as the user
 * (never root), with no privilege separation to set up, no PAM, no
 * re-exec (-r: sshd up to OpenSSH 9.7 would re-exec itself by path, past the
 * bundle's loader; 9.8+ always execs sshd-session, which the bundle wraps:
 * berth_sshd_bundle.c; 10.0 warns that -r is deprecated and goes on), in
 * the foreground (-D), logging to stderr (-e) which goes to <job
 * dir>/sshd.log on the node.
 *
 * Per job, in <job dir>/ssh/ (mounted read-only at /.berth/job):
 *   ssh_host_ed25519_key[.pub]  made here on the node for this job (owned
 *                               by the user: the sshd runs as the user)
 *   authorized_keys             the key that came with the job, only
 *   sshd_config, ssh_config, hostsfile, ssh (the client wrapper)
 * plus mounts of ssh_config at /etc/ssh/ssh_config, hostsfile at
 * /var/hostsfile and the wrapper at /usr/bin/ssh.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "cgroup.h"
#include "fs_util.h"
#include "sshd_launch.h"
#include "job_tree.h"
#include "run.h"
#include "sshd_job.h"

#define LISTEN_WAIT_MS 3000

/* What the start needs, re-read from the job's files: stepd_create
 * (job_container plugin) prepares, the extern step's SPANK task_post_fork
 * (berth.so, another dlopen'ed object of the same slurmstepd) starts. */
struct sshd_launch {
	uint32_t job_id;
	uid_t uid;
	gid_t gid;
	gid_t groups[256];
	size_t ngroups;
	unsigned port;
	const char *dir, *ns, *root;
	char log[1200];
};

void berth_sshd_request_path(const struct berth_job_paths *paths, char *buf, size_t size)
{
	snprintf(buf, size, "%s/sshd.request", paths->dir);
}

static int write_text(const char *dir, const char *name, const char *text, mode_t mode,
		      struct berth_error *err)
{
	char path[2048];
	size_t len = strlen(text);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", path);
	if (write(fd, text, len) != (ssize_t)len || fchmod(fd, mode) < 0) {
		int saved = errno;

		close(fd);
		return berth_error_errno(err, saved, "write \"%s\"", path);
	}
	return close(fd) < 0 ? berth_error_errno(err, errno, "write \"%s\"", path) : 0;
}

/* ssh-keygen on the host, as root; the key then belongs to the user. */
static int make_host_key(const char *dir, uint32_t job_id, uid_t uid, gid_t gid,
			 struct berth_error *err)
{
	char key[2048], pub[2100], comment[64];
	const char *argv[] = { BERTH_SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C", comment,
			       "-f", key, NULL };
	struct berth_run_spec spec = { .argv = argv, .timeout_ms = 10000, .capture = true };
	struct berth_run_result res;
	int rc;

	snprintf(key, sizeof(key), "%s/ssh_host_ed25519_key", dir);
	snprintf(pub, sizeof(pub), "%s.pub", key);
	snprintf(comment, sizeof(comment), "berth-job-%u", job_id);
	unlink(key);
	unlink(pub);
	rc = berth_run(&spec, &res, err);
	if (rc == 0 && res.exit_status != 0)
		rc = berth_error_set(err, EIO, "ssh-keygen failed (status %d): %.200s", res.exit_status,
				     res.output ? res.output : "");
	berth_run_result_free(&res);
	if (rc == 0 && (chown(key, uid, gid) < 0 || chmod(key, 0600) < 0))
		rc = berth_error_errno(err, errno, "chown \"%s\"", key);
	return rc < 0 ? berth_error_prefix(err, "host key") : 0;
}

/* The job's ssh files in dir; *etc_hosts (malloc'd): the lines for the
 * container's /etc/hosts. */
static int write_configs(const char *dir, const struct berth_sshd_request *req, const char *user,
			 unsigned split, char **etc_hosts, struct berth_error *err)
{
	struct berth_sshd_host *hosts = NULL;
	struct {
		const char *name;
		mode_t mode;
		char *text;
	} files[] = { { "sshd_config", 0644, NULL }, { "ssh_config", 0644, NULL },
		      { "hostsfile", 0644, NULL },   { "hostsfile.mpich", 0644, NULL },
		      { "ssh", 0755, NULL },         { "authorized_keys", 0644, NULL } };
	char *keys = NULL;
	size_t n = 0, nfiles = sizeof(files) / sizeof(files[0]);
	int rc;

	*etc_hosts = NULL;
	rc = berth_sshd_hosts_parse(req->hosts, &hosts, &n, err);
	if (rc == 0 && berth_ssh_pubkey_check(req->user_key ? req->user_key : "", &keys, err) < 0)
		rc = -1;
	if (rc == 0 && (berth_sshd_config_text(req->port, user, split, &files[0].text, err) < 0 ||
			berth_ssh_client_config_text(req->port, hosts, n, &files[1].text, err) < 0 ||
			berth_sshd_hostsfile_text(hosts, n, BERTH_HOSTSFILE_OPENMPI, &files[2].text, err) < 0 ||
			berth_sshd_hostsfile_text(hosts, n, BERTH_HOSTSFILE_HYDRA, &files[3].text, err) < 0 ||
			berth_ssh_wrapper_text(&files[4].text, err) < 0 ||
			berth_sshd_etc_hosts_text(hosts, n, etc_hosts, err) < 0))
		rc = -1;
	if (rc == 0 && asprintf(&files[5].text, "%s\n", keys) < 0) {
		files[5].text = NULL;
		rc = berth_error_errno(err, ENOMEM, "authorized_keys");
	}
	for (size_t i = 0; rc == 0 && i < nfiles; i++)
		rc = write_text(dir, files[i].name, files[i].text, files[i].mode, err);
	for (size_t i = 0; i < nfiles; i++)
		free(files[i].text);
	berth_sshd_hosts_free(hosts, n);
	free(keys);
	if (rc < 0) {
		free(*etc_hosts);
		*etc_hosts = NULL;
	}
	return rc;
}

/* The bundle, the job's files and four single files into the tree. */
static int add_mounts(struct berth_job_tree_input *tree, const char *bundle, const char *dir,
		      struct berth_error *err)
{
	char *spec = NULL;
	int rc;

	if (asprintf(&spec,
		     "%s:" BERTH_SSH_CTR_BUNDLE ":ro;%s:" BERTH_SSH_CTR_JOB ":ro;"
		     "%s/ssh_config:" BERTH_SSH_CTR_CONFIG ":ro;%s/hostsfile:" BERTH_SSH_CTR_HOSTSFILE ":ro;"
		     "%s/hostsfile.mpich:" BERTH_SSH_CTR_HOSTSFILE_MPICH ":ro;%s/ssh:" BERTH_SSH_CTR_CLIENT ":ro",
		     bundle, dir, dir, dir, dir, dir) < 0)
		return berth_error_errno(err, ENOMEM, "sshd mounts");
	rc = berth_volume_parse(spec, &tree->site_list, err);
	free(spec);
	if (rc < 0)
		return berth_error_prefix(err, "sshd mounts");
	tree->tree.site_mounts = tree->site_list.items;
	tree->tree.n_site_mounts = tree->site_list.count;
	return 0;
}

/* No sshd for this job: `ssh` in the container says why, when the user
 * needs it (not in every job's output). */
static int refused_client(const struct berth_job_paths *paths, const char *reason,
			  struct berth_job_tree_input *tree, struct berth_error *err)
{
	char dir[1200], *script = NULL, *spec = NULL;
	int rc;

	snprintf(dir, sizeof(dir), "%s/ssh", paths->dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", dir);
	if (berth_ssh_refused_text(reason, &script, err) < 0)
		return -1;
	rc = write_text(dir, "ssh", script, 0755, err);
	free(script);
	if (rc == 0 && asprintf(&spec, "%s/ssh:" BERTH_SSH_CTR_CLIENT ":ro", dir) < 0)
		rc = berth_error_errno(err, ENOMEM, "sshd mounts");
	if (rc == 0 && (rc = berth_volume_parse(spec, &tree->site_list, err)) == 0) {
		tree->tree.site_mounts = tree->site_list.items;
		tree->tree.n_site_mounts = tree->site_list.count;
	}
	free(spec);
	return rc;
}

/* The user's groups (the sshd runs with them), from the passwd entry. */
static int user_groups(struct sshd_launch *l, struct berth_error *err)
{
	struct passwd pw, *pwp = NULL;
	char pwbuf[4096];
	int n = (int)(sizeof(l->groups) / sizeof(l->groups[0]));

	if (getpwuid_r(l->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp)
		return berth_error_set(err, ENOENT, "user %u has no passwd entry", (unsigned)l->uid);
	if (getgrouplist(pw.pw_name, l->gid, l->groups, &n) < 0 || n < 1) {
		l->groups[0] = l->gid;
		n = 1;
	}
	l->ngroups = (size_t)n;
	return 0;
}

int berth_sshd_prepare(const struct berth_config *cfg, const struct berth_job_paths *paths,
		    const struct berth_job_spec *spec, uint32_t job_id, struct berth_job_tree_input *tree,
		    struct berth_error *err)
{
	struct berth_sshd_request req;
	char request[1200], dir[1200], bundle[2200], pwbuf[4096];
	struct passwd pw, *pwp = NULL;
	struct timespec t0;
	unsigned split = 0;
	int found, rc = -1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	berth_sshd_request_path(paths, request, sizeof(request));
	if ((found = berth_sshd_request_read(request, &req, err)) <= 0)
		return found < 0 ? berth_error_prefix(err, "sshd") : 0;
	if (req.refused) {
		berth_info("job %u: %s", job_id, req.refused);
		rc = refused_client(paths, req.refused, tree, err);
		berth_sshd_request_free(&req);
		return rc < 0 ? berth_error_prefix(err, "sshd") : 0;
	}
	if (getpwuid_r(spec->uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0 || !pwp) {
		berth_sshd_request_free(&req);
		return berth_error_set(err, ENOENT, "sshd: user %u has no passwd entry", spec->uid);
	}
	snprintf(dir, sizeof(dir), "%s/ssh", paths->dir);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		berth_error_errno(err, errno, "mkdir \"%s\"", dir);
	else if (berth_sshd_bundle(cfg->state_dir, bundle, sizeof(bundle), &split, err) == 0 &&
		 make_host_key(dir, job_id, spec->uid, spec->gid, err) == 0 &&
		 write_configs(dir, &req, pw.pw_name, split, &tree->etc_hosts_extra, err) == 0 &&
		 add_mounts(tree, bundle, dir, err) == 0) {
		tree->tree.etc_hosts_extra = tree->etc_hosts_extra;
		rc = 0;
	}
	if (rc == 0)
		berth_info("job %u: sshd prepared in %.1f ms", job_id, berth_elapsed_ms(&t0));
	berth_sshd_request_free(&req);
	return rc < 0 ? berth_error_prefix(err, "sshd") : 0;
}

/* ------------------------------------------------------------ start */

/* In the forked child, still root: log to the node, enter the job's
 * namespace and tree, no way back to privileges.  System calls only. */
static int enter_container(void *arg)
{
	const struct sshd_launch *l = arg;
	int fd, saved;

	if ((fd = open(l->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return -1;
	if (dup2(fd, STDOUT_FILENO) < 0 || dup2(fd, STDERR_FILENO) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if ((fd = open(l->ns, O_RDONLY | O_CLOEXEC)) < 0)
		return -1;
	if (setns(fd, CLONE_NEWNS) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	if (chdir(l->root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -1;
	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -1;
	return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

static bool port_open(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return false;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

/* Until the sshd accepts connections: a job's first `ssh` must not race it. */
static int wait_listening(const struct sshd_launch *l, pid_t pid, struct berth_error *err)
{
	unsigned port = l->port;

	for (int waited = 0; waited < LISTEN_WAIT_MS; waited += 5) {
		int status;

		if (port_open(port))
			return 0;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return berth_error_set(err, EIO, "sshd exited at start (status %d; see %s)",
					       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
					       l->log);
		nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
	}
	return berth_error_set(err, ETIMEDOUT, "sshd not listening on port %u after %d ms (see %s)",
			       port, LISTEN_WAIT_MS, l->log);
}

static void join_cgroups(uint32_t job_id, pid_t pid)
{
	enum berth_cgroup_mode mode = berth_cgroup_detect(BERTH_CGROUP_ROOT);
	struct berth_error err = BERTH_ERROR_INIT;
	char self[8192], mem[4096];
	ssize_t n;
	int fd = open("/proc/self/cgroup", O_RDONLY | O_CLOEXEC), joined;

	n = fd >= 0 ? read(fd, self, sizeof(self) - 1) : -1;
	if (fd >= 0)
		close(fd);
	self[n > 0 ? n : 0] = '\0';
	joined = berth_cgroup_adopt_extern(BERTH_CGROUP_ROOT, mode, self, job_id, pid, mem,
					   sizeof(mem), &err);
	if (joined < 0)
		berth_err("job %u: sshd: %s", job_id, err.msg);
	else if (!mem[0])
		berth_info("job %u: sshd (pid %d) is in no memory cgroup of the job (cgroup %s, %d joined)",
			   job_id, (int)pid, berth_cgroup_mode_name(mode), joined);
	else
		berth_debug("job %u: sshd (pid %d) in %s (%d hierarchies, cgroup %s)", job_id,
			    (int)pid, mem, joined, berth_cgroup_mode_name(mode));
}

/* Field 22 of /proc/<pid>/stat (start time), 0 if gone; *zombie if it
 * has exited but not been reaped. */
static unsigned long long start_time_state(pid_t pid, bool *zombie)
{
	char file[64], buf[1024], *p, state = '?';
	unsigned long long t = 0;
	ssize_t n;
	int fd;

	*zombie = false;
	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	if (!(p = strrchr(buf, ')')))
		return 0;
	/* after ") ": state is field 3, start time field 22 */
	if (sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		   &state, &t) != 2)
		return 0;
	*zombie = state == 'Z';
	return t;
}

static unsigned long long start_time(pid_t pid)
{
	bool zombie;

	return start_time_state(pid, &zombie);
}

/* Fill l from the job's files: 1 when a prepared sshd is to start, 0 when
 * the job has none (not asked, refused, not prepared, container failed). */
static int launch_from_files(const struct berth_job_paths *paths, uint32_t job_id,
			     struct sshd_launch *l, struct berth_error *err)
{
	struct berth_sshd_request req;
	struct berth_job_spec spec;
	char request[1200], config[1300], reason[BERTH_ERROR_MSG_MAX];
	struct stat st;
	int found;

	berth_sshd_request_path(paths, request, sizeof(request));
	if ((found = berth_sshd_request_read(request, &req, err)) <= 0)
		return found;
	l->port = req.port;
	found = !req.refused;
	berth_sshd_request_free(&req);
	snprintf(config, sizeof(config), "%s/ssh/sshd_config", paths->dir);
	if (!found || lstat(config, &st) < 0 || !S_ISREG(st.st_mode) ||
	    berth_job_error_read(paths, reason, sizeof(reason)) > 0)
		return 0;
	if ((found = berth_job_spec_read(paths, &spec, err)) <= 0)
		return found;
	l->job_id = job_id;
	l->uid = spec.uid;
	l->gid = spec.gid;
	berth_job_spec_free(&spec);
	l->dir = paths->dir;
	l->ns = paths->ns;
	l->root = paths->root;
	snprintf(l->log, sizeof(l->log), "%s/sshd.log", paths->dir);
	return user_groups(l, err) < 0 ? -1 : 1;
}

int berth_sshd_start(const struct berth_job_paths *paths, uint32_t job_id, struct berth_error *err)
{
	const char *argv[] = { BERTH_SSH_CTR_BUNDLE "/ld.so", "--inhibit-cache", "--library-path",
			       BERTH_SSH_CTR_BUNDLE "/lib", BERTH_SSH_CTR_BUNDLE "/bin/sshd", "-D", "-e",
			       "-r", "-f", BERTH_SSH_CTR_JOB "/sshd_config", NULL };
	const char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C", NULL };
	struct berth_run_spec spec = { .argv = argv, .envp = envp, .as_user = true,
				       .child_setup = enter_container, .timeout_ms = 10000 };
	struct sshd_launch l;
	struct timespec t0;
	char text[64];
	pid_t pid;
	int found;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&l, 0, sizeof(l));
	if ((found = launch_from_files(paths, job_id, &l, err)) <= 0)
		return found < 0 ? berth_error_prefix(err, "sshd") : 0;
	spec.uid = l.uid;
	spec.gid = l.gid;
	spec.groups = l.groups;
	spec.ngroups = l.ngroups;
	spec.child_arg = &l;
	if (berth_run_spawn(&spec, &pid, err) < 0)
		return berth_error_prefix(err, "sshd");
	join_cgroups(job_id, pid);
	/* pid and start time: the backstop in slurmd must never hit a
	 * recycled pid */
	snprintf(text, sizeof(text), "%d %llu\n", (int)pid, start_time(pid));
	if (write_text(l.dir, "sshd.pid", text, 0600, err) < 0)
		berth_err("job %u: %s", job_id, err->msg);
	if (wait_listening(&l, pid, err) < 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return berth_error_prefix(err, "sshd");
	}
	berth_info("job %u: sshd (pid %d) listening on port %u after %.1f ms", job_id, (int)pid,
		   l.port, berth_elapsed_ms(&t0));
	return 0;
}

/* A process whose real and effective uid are root.  Slurm up to 23.11
 * puts its own children into the job's namespace (container_g_join before
 * exec): the SPANK job_prolog/job_epilog (slurmstepd spank) and the
 * Prolog/Epilog scripts, as root, also while the extern step tears the job
 * down; SIGKILLing the epilog fails it and drains the node.  What this
 * backstop is for runs as the job's user (no_new_privs: it cannot become
 * root).  Unreadable (gone): not root, nothing to spare. */
static bool process_is_root(int pid)
{
	char file[64], line[256];
	unsigned ruid, euid;
	bool root = false;
	FILE *f;

	snprintf(file, sizeof(file), "/proc/%d/status", pid);
	if (!(f = fopen(file, "re")))
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Uid: %u %u", &ruid, &euid) == 2) {
			root = ruid == 0 && euid == 0;
			break;
		}
	fclose(f);
	return root;
}

/* Every process of the job's user still in the job's mount namespace (what
 * was started through the sshd included): the backstop for nodes where
 * Slurm does not track the extern step in cgroups (proctrack/linuxproc).
 * Root's processes are Slurm's own (process_is_root).  Returns the number
 * killed. */
static int kill_namespace(const char *holder)
{
	struct stat ns;
	int killed = 0;

	if (!berth_is_mount_point(holder) || stat(holder, &ns) < 0)
		return 0;
	for (int round = 0; round < 50; round++) {
		DIR *proc = opendir("/proc");
		struct dirent *e;
		int found = 0;

		if (!proc)
			break;
		while ((e = readdir(proc))) {
			char file[64];
			struct stat st;
			int pid = atoi(e->d_name);

			if (pid <= 1 || pid == (int)getpid())
				continue;
			snprintf(file, sizeof(file), "/proc/%d/ns/mnt", pid);
			if (stat(file, &st) == 0 && st.st_ino == ns.st_ino && st.st_dev == ns.st_dev &&
			    !process_is_root(pid) && kill(pid, SIGKILL) == 0)
				found++;
		}
		closedir(proc);
		killed += found;
		if (!found)
			break;
		nanosleep(&(struct timespec){ 0, 20 * 1000 * 1000 }, NULL);
	}
	return killed;
}

void berth_sshd_stop(const struct berth_job_paths *paths)
{
	char file[1200], text[64] = "";
	unsigned long long started = 0;
	bool zombie = false;
	ssize_t n;
	int fd, pid = 0;

	snprintf(file, sizeof(file), "%s/sshd.pid", paths->dir);
	if ((fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	text[n > 0 ? n : 0] = '\0';
	if (sscanf(text, "%d %llu", &pid, &started) == 2 && pid > 1 && started &&
	    start_time_state(pid, &zombie) == started && !zombie && kill(pid, SIGKILL) == 0) {
		berth_info("sshd (pid %d) was still running at job end: killed", pid);
		/* our child in the extern slurmstepd (elsewhere: ECHILD) */
		for (int i = 0; i < 200 && waitpid(pid, NULL, WNOHANG) == 0; i++)
			nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	} else if (pid > 1) {
		waitpid(pid, NULL, WNOHANG);   /* reap the zombie Slurm's proctrack left */
	}
	if ((n = kill_namespace(paths->ns)) > 0)
		berth_info("killed %d process(es) left in the job's container", (int)n);
	unlink(file);
}
