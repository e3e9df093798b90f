/*
 * preflight_kernel.c - `berth check`: what berth's node runtime needs of the
 * kernel of a compute node.  Each probe only asks (a syscall with arguments
 * that cannot change anything, a file in /proc or /sys): nothing is loaded,
 * mounted or created.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "preflight.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

static void check_loop(struct check_report *r)
{
	struct stat st;

	if (stat("/dev/loop-control", &st) == 0 && S_ISCHR(st.st_mode))
		check_line(r, CHECK_OK, "kernel", "loop devices (/dev/loop-control)");
	else
		check_line(r, CHECK_FAIL, "kernel",
			   "no /dev/loop-control: load the loop module (modprobe loop; berth mounts images on loop devices)");
}

static bool proc_filesystems_has(const char *name)
{
	char line[256];
	bool found = false;
	FILE *f = fopen("/proc/filesystems", "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *fs = strrchr(line, '\t');

		fs = fs ? fs + 1 : line;
		fs[strcspn(fs, "\n")] = '\0';
		found = strcmp(fs, name) == 0;
	}
	fclose(f);
	return found;
}

static void check_squashfs(struct check_report *r)
{
	struct utsname u;
	char dir[512];
	struct stat st;

	if (proc_filesystems_has("squashfs")) {
		check_line(r, CHECK_OK, "kernel", "squashfs");
		return;
	}
	/* a module the first mount loads */
	if (uname(&u) == 0) {
		snprintf(dir, sizeof(dir), "/lib/modules/%s/kernel/fs/squashfs", u.release);
		if (stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			check_line(r, CHECK_OK, "kernel", "squashfs (a module, loaded at the first mount)");
			return;
		}
	}
	check_line(r, CHECK_FAIL, "kernel", "no squashfs: install or load the squashfs module (images are squashfs files)");
}

/* A syscall berth uses, asked with arguments it refuses: ENOSYS means the
 * kernel lacks it. */
static bool syscall_missing(long nr)
{
	long rc;

	errno = 0;
	rc = syscall(nr, -1, NULL, NULL, 0, 0);
	return rc < 0 && errno == ENOSYS;
}

static void check_syscalls(struct check_report *r)
{
#ifdef SYS_openat2
	if (!syscall_missing(SYS_openat2))
		check_line(r, CHECK_OK, "kernel", "openat2 (paths resolved inside the image in one call)");
	else
#endif
		check_line(r, CHECK_WARN, "kernel",
			   "no openat2 (Linux < 5.6): berth walks paths one component at a time instead (slower)");
#if defined(SYS_open_tree) && defined(SYS_mount_setattr)
	if (!syscall_missing(SYS_open_tree) && !syscall_missing(SYS_mount_setattr))
		check_line(r, CHECK_OK, "kernel", "new mount API (open_tree, mount_setattr)");
	else
#endif
		check_line(r, CHECK_WARN, "kernel",
			   "no new mount API (Linux < 5.12): berth binds with mount(2) and checks each bind instead");
}

static void check_cgroup(struct check_report *r)
{
	struct statfs fs;

	if (statfs("/sys/fs/cgroup", &fs) == 0 && (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC)
		check_line(r, CHECK_OK, "kernel", "cgroup v2 at /sys/fs/cgroup");
	else if (statfs("/sys/fs/cgroup/memory", &fs) == 0 && (unsigned long)fs.f_type == CGROUP_SUPER_MAGIC)
		check_line(r, CHECK_OK, "kernel", "cgroup v1 at /sys/fs/cgroup");
	else
		check_line(r, CHECK_FAIL, "kernel",
			   "no cgroup hierarchy at /sys/fs/cgroup: Slurm's cgroup plugins (and berth's per-job sshd) need one");
}

void check_kernel(struct check_report *r)
{
	check_loop(r);
	check_squashfs(r);
	check_syscalls(r);
	check_cgroup(r);
}
