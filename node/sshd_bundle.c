/*
 * berth_sshd_bundle.c - the host's OpenSSH server and client, with their own
 * dynamic loader and every library they need, copied once per host into
 * <state_dir>/ssh-bundle/<stamp>/ (root, node-local):
 *
 *   ld.so        the host's loader (PT_INTERP of sshd)
 *   lib/         the libraries the loader resolves for every program here
 *   bin/sshd, bin/ssh
 * and, from OpenSSH 9.8 (sshd execs sshd-session, 10.0 also sshd-auth, by
 * path: SshdSessionPath, SshdAuthPath):
 *   libexec/sshd-session, libexec/sshd-auth   the host's programs
 *   bin/sshd-session, bin/sshd-auth           berth-bundle-exec (static,
 *                                 bundle_exec.c): runs libexec/NAME through
 *                                 ld.so, so the exec never meets the image's
 *                                 loader
 *
 * Every job's container gets that directory read-only at /.berth/ssh and
 * runs the programs as "/.berth/ssh/ld.so --inhibit-cache --library-path
 * /.berth/ssh/lib /.berth/ssh/bin/sshd ...": the image's libc (musl, an old
 * glibc, none at all for a static busybox) never matters.
 *
 * The stamp names the host binaries' identity (inode, size, mtime of sshd,
 * ssh, the split-off programs and the loader): a package upgrade makes a new bundle, running jobs
 * keep the one they mounted.  A copy, not binds of the host files: one
 * mount per job, and the set a job sees cannot change under it.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_log.h"
#include "fs_util.h"
#include "sshd_job.h"
#include "sshd_launch.h"
#include "run.h"

#if defined(__x86_64__)
#define HOST_LOADER "/lib64/ld-linux-x86-64.so.2"
#elif defined(__aarch64__)
#define HOST_LOADER "/lib/ld-linux-aarch64.so.1"
#else
#error "berth's sshd bundle: add this architecture's dynamic loader"
#endif
#define HOST_SSHD "/usr/sbin/sshd"
#define HOST_SSH "/usr/bin/ssh"
#define LIBS_MAX 128

/* Where distributions put sshd's helper programs (Debian, Fedora/RHEL,
 * OpenSSH's own default). */
static const char *const helper_dirs[] = { "/usr/lib/openssh", "/usr/libexec/openssh",
					   "/usr/libexec" };
/* The programs sshd execs by path, and the flag each sets (sshd_job.h). */
static const struct {
	const char *name;
	unsigned flag;
} helpers[] = {
	{ "sshd-session", BERTH_SSHD_SPLIT_SESSION },
	{ "sshd-auth", BERTH_SSHD_SPLIT_AUTH },
};
#define N_HELPERS (sizeof(helpers) / sizeof(helpers[0]))

/* The embedded berth-bundle-exec (bundle_exec_blob.S). */
extern const unsigned char berth_bundle_exec_start[], berth_bundle_exec_end[];

struct host_programs {
	char helper[N_HELPERS][256]; /* host path, "" when this OpenSSH has no such program */
	unsigned split;
};

static void find_helpers(struct host_programs *hp)
{
	memset(hp, 0, sizeof(*hp));
	for (size_t i = 0; i < N_HELPERS; i++)
		for (size_t d = 0; d < sizeof(helper_dirs) / sizeof(helper_dirs[0]); d++) {
			snprintf(hp->helper[i], sizeof(hp->helper[i]), "%s/%s", helper_dirs[d],
				 helpers[i].name);
			if (access(hp->helper[i], X_OK) == 0) {
				hp->split |= helpers[i].flag;
				break;
			}
			hp->helper[i][0] = '\0';
		}
}

static int stamp_of(const struct host_programs *hp, char *buf, size_t size, struct berth_error *err)
{
	const char *files[3 + N_HELPERS] = { HOST_SSHD, HOST_SSH, HOST_LOADER };
	unsigned long long h = 1469598103934665603ULL;
	size_t n = 3;

	for (size_t i = 0; i < N_HELPERS; i++)
		if (hp->helper[i][0])
			files[n++] = hp->helper[i];
	for (size_t i = 0; i < n; i++) {
		struct stat st;
		unsigned long long v[3];

		if (stat(files[i], &st) < 0)
			return berth_error_errno(err, errno, "\"%s\" (install openssh-server and openssh-client)",
						 files[i]);
		v[0] = (unsigned long long)st.st_ino;
		v[1] = (unsigned long long)st.st_size;
		v[2] = (unsigned long long)st.st_mtime;
		for (size_t j = 0; j < 3; j++)
			h = (h ^ v[j]) * 1099511628211ULL;
	}
	/* a new berth-bundle-exec makes a new bundle too */
	h = (h ^ (unsigned long long)(berth_bundle_exec_end - berth_bundle_exec_start)) * 1099511628211ULL;
	snprintf(buf, size, "%016llx", h);
	return 0;
}

static int write_bytes(const char *dst, const unsigned char *bytes, size_t len, mode_t mode,
		       struct berth_error *err)
{
	int fd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);

	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", dst);
	if (berth_write_all(fd, bytes, len) < 0) {
		int saved = errno;

		close(fd);
		return berth_error_errno(err, saved, "write \"%s\"", dst);
	}
	if (fchmod(fd, mode) < 0 || close(fd) < 0)
		return berth_error_errno(err, errno, "\"%s\"", dst);
	return 0;
}

static int copy_file(const char *src, const char *dst, mode_t mode, struct berth_error *err)
{
	char buf[65536];
	int in = open(src, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	ssize_t n;

	if (in < 0)
		return berth_error_errno(err, errno, "open \"%s\"", src);
	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
	if (out < 0) {
		close(in);
		return berth_error_errno(err, errno, "create \"%s\"", dst);
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (berth_write_all(out, buf, (size_t)n) < 0) {
			rc = berth_error_errno(err, errno, "write \"%s\"", dst);
			break;
		}
	if (n < 0)
		rc = berth_error_errno(err, errno, "read \"%s\"", src);
	if (rc == 0 && (fchmod(out, mode) < 0 || close(out) < 0))
		rc = berth_error_errno(err, errno, "\"%s\"", dst);
	else if (rc < 0)
		close(out);
	close(in);
	return rc;
}

/* The libraries the loader resolves for program ("name => /path (addr)"). */
static int list_libraries(const char *program, char **libs, size_t *n, struct berth_error *err)
{
	const char *argv[] = { HOST_LOADER, "--list", program, NULL };
	struct berth_run_spec spec = { .argv = argv, .timeout_ms = 10000, .capture = true };
	struct berth_run_result res;
	int rc = 0;

	if (berth_run(&spec, &res, err) < 0) {
		berth_run_result_free(&res);
		return -1;
	}
	if (res.exit_status != 0)
		rc = berth_error_set(err, EIO, "%s --list %s failed (status %d)", HOST_LOADER, program,
				     res.exit_status);
	for (char *line = res.output; rc == 0 && line && *line;) {
		char *nl = strchr(line, '\n'), *arrow, *end;

		if (nl)
			*nl = '\0';
		if ((arrow = strstr(line, "=> /")) && (end = strchr(arrow + 3, ' '))) {
			bool seen = false;

			*end = '\0';
			for (size_t i = 0; i < *n && !seen; i++)
				seen = strcmp(libs[i], arrow + 3) == 0;
			if (!seen && *n >= LIBS_MAX)
				rc = berth_error_set(err, E2BIG, "%s needs more than %d libraries", program,
						     LIBS_MAX);
			else if (!seen && !(libs[(*n)++] = strdup(arrow + 3)))
				rc = berth_error_errno(err, ENOMEM, "library list");
		}
		line = nl ? nl + 1 : NULL;
	}
	berth_run_result_free(&res);
	return rc;
}

/* libexec/NAME (the host's program) and bin/NAME (berth-bundle-exec). */
static int add_helper(const char *dir, const char *host_path, const char *name, struct berth_error *err)
{
	char path[4096];
	int rc;

	snprintf(path, sizeof(path), "%s/libexec/%s", dir, name);
	rc = copy_file(host_path, path, 0755, err);
	snprintf(path, sizeof(path), "%s/bin/%s", dir, name);
	if (rc == 0)
		rc = write_bytes(path, berth_bundle_exec_start,
				 (size_t)(berth_bundle_exec_end - berth_bundle_exec_start), 0755, err);
	return rc;
}

static int make_dirs(const char *dir, struct berth_error *err)
{
	const char *subdirs[] = { "lib", "bin", "libexec" };
	char path[4096];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		if (mkdir(path, 0755) < 0)
			return berth_error_errno(err, errno, "mkdir \"%s\"", path);
	}
	return 0;
}

static int fill_bundle(const char *dir, const struct host_programs *hp, struct berth_error *err)
{
	char *libs[LIBS_MAX], path[4096];
	size_t n = 0;
	int rc;

	rc = list_libraries(HOST_SSHD, libs, &n, err);
	if (rc == 0)
		rc = list_libraries(HOST_SSH, libs, &n, err);
	for (size_t i = 0; rc == 0 && i < N_HELPERS; i++)
		if (hp->helper[i][0])
			rc = list_libraries(hp->helper[i], libs, &n, err);
	if (rc == 0)
		rc = make_dirs(dir, err);
	for (size_t i = 0; rc == 0 && i < n; i++) {
		const char *base = strrchr(libs[i], '/') + 1;

		snprintf(path, sizeof(path), "%s/lib/%s", dir, base);
		rc = copy_file(libs[i], path, 0644, err);
	}
	snprintf(path, sizeof(path), "%s/ld.so", dir);
	if (rc == 0)
		rc = copy_file(HOST_LOADER, path, 0755, err);
	snprintf(path, sizeof(path), "%s/bin/sshd", dir);
	if (rc == 0)
		rc = copy_file(HOST_SSHD, path, 0755, err);
	snprintf(path, sizeof(path), "%s/bin/ssh", dir);
	if (rc == 0)
		rc = copy_file(HOST_SSH, path, 0755, err);
	for (size_t i = 0; rc == 0 && i < N_HELPERS; i++)
		if (hp->helper[i][0])
			rc = add_helper(dir, hp->helper[i], helpers[i].name, err);
	for (size_t i = 0; i < n; i++)
		free(libs[i]);
	if (rc == 0 && chmod(dir, 0755) < 0)
		rc = berth_error_errno(err, errno, "chmod \"%s\"", dir);
	return rc;
}

int berth_sshd_bundle(const char *state_dir, char *out, size_t size, unsigned *split,
		      struct berth_error *err)
{
	char stamp[32], parent[2048], tmp[2100];
	struct host_programs hp;
	struct stat st;
	int rc;

	find_helpers(&hp);
	*split = hp.split;
	if (stamp_of(&hp, stamp, sizeof(stamp), err) < 0)
		return berth_error_prefix(err, "sshd bundle");
	snprintf(parent, sizeof(parent), "%s/ssh-bundle", state_dir);
	snprintf(out, size, "%s/%s", parent, stamp);
	if (stat(out, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	if (mkdir(parent, 0700) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", parent);
	snprintf(tmp, sizeof(tmp), "%s/.new-XXXXXX", parent);
	if (!mkdtemp(tmp))
		return berth_error_errno(err, errno, "mkdtemp \"%s\"", tmp);
	rc = fill_bundle(tmp, &hp, err);
	/* Another node of this host may have won the race: theirs is as good. */
	if (rc == 0 && rename(tmp, out) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		rc = berth_error_errno(err, errno, "rename to \"%s\"", out);
	if (access(tmp, F_OK) == 0) {
		struct berth_error ignored = BERTH_ERROR_INIT;

		berth_remove_tree(tmp, &ignored);
	}
	if (rc == 0)
		berth_info("sshd bundle %s ready", out);
	return rc < 0 ? berth_error_prefix(err, "sshd bundle") : 0;
}
