/*
 * entrypoint_file.c - the node-local copy of the embedded berth-bundle-exec
 * that every container gets read-only at /.berth/entrypoint (srun
 * --entrypoint, entrypoint_exec.c):
 *
 *   <state_dir>/entrypoint/<stamp>   root, 0755; <stamp> names the bytes
 *
 * Written once per node and runtime version (a new berth writes a new
 * file; running jobs keep the one they mounted), atomically: a temporary
 * name, then link(2), so concurrent steps never see a partial file.  One
 * file bind per job, rather than a copy into every container.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "entrypoint_file.h"
#include "fs_util.h"

extern const unsigned char berth_bundle_exec_start[], berth_bundle_exec_end[];

static unsigned long long stamp(const unsigned char *bytes, size_t len)
{
	unsigned long long h = 1469598103934665603ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ bytes[i]) * 1099511628211ULL;
	return h;
}

static int write_new(const char *tmp, const unsigned char *bytes, size_t len, struct berth_error *err)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0700);

	if (fd < 0)
		return berth_error_errno(err, errno, "create \"%s\"", tmp);
	if (berth_write_all(fd, bytes, len) < 0 || fchmod(fd, 0755) < 0 || fsync(fd) < 0) {
		int saved = errno;

		close(fd);
		unlink(tmp);
		return berth_error_errno(err, saved, "write \"%s\"", tmp);
	}
	if (close(fd) < 0) {
		unlink(tmp);
		return berth_error_errno(err, errno, "write \"%s\"", tmp);
	}
	return 0;
}

int berth_entrypoint_file(const char *state_dir, char *out, size_t size, struct berth_error *err)
{
	const unsigned char *bytes = berth_bundle_exec_start;
	size_t len = (size_t)(berth_bundle_exec_end - berth_bundle_exec_start);
	char dir[4096], tmp[4200];
	struct stat st;
	int n;

	n = snprintf(dir, sizeof(dir), "%s/entrypoint", state_dir);
	if (n < 0 || (size_t)n >= sizeof(dir) ||
	    (size_t)snprintf(out, size, "%s/%016llx", dir, stamp(bytes, len)) >= size)
		return berth_error_set(err, ENAMETOOLONG, "state_dir \"%s\" is too long", state_dir);
	if (lstat(out, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == 0 && (size_t)st.st_size == len)
		return 0;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", dir);
	snprintf(tmp, sizeof(tmp), "%s/.tmp.%ld", dir, (long)getpid());
	unlink(tmp);
	if (write_new(tmp, bytes, len, err) < 0)
		return -1;
	if (link(tmp, out) < 0 && errno != EEXIST) {
		int saved = errno;

		unlink(tmp);
		return berth_error_errno(err, saved, "link \"%s\"", out);
	}
	unlink(tmp);
	return 0;
}
