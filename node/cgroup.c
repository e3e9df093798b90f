/*
 * cgroup.c - see cgroup.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "cgroup.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif
#ifndef CGROUP_SUPER_MAGIC
#define CGROUP_SUPER_MAGIC 0x27e0eb
#endif

#define PATH_SIZE 4096

enum berth_cgroup_mode berth_cgroup_detect(const char *root)
{
	char memory[PATH_SIZE];
	struct statfs fs;

	if (statfs(root, &fs) == 0 && (unsigned long)fs.f_type == CGROUP2_SUPER_MAGIC)
		return BERTH_CGROUP_V2;
	snprintf(memory, sizeof(memory), "%s/memory", root);
	if (statfs(memory, &fs) == 0 && (unsigned long)fs.f_type == CGROUP_SUPER_MAGIC)
		return BERTH_CGROUP_V1;
	return BERTH_CGROUP_NONE;
}

const char *berth_cgroup_mode_name(enum berth_cgroup_mode mode)
{
	switch (mode) {
	case BERTH_CGROUP_V1:
		return "v1";
	case BERTH_CGROUP_V2:
		return "v2";
	default:
		return "none";
	}
}

/* Length of path up to and including its "job_<id>" component, 0 if none. */
static size_t job_prefix(const char *path, size_t len, uint32_t job_id)
{
	char comp[32];
	size_t clen = (size_t)snprintf(comp, sizeof(comp), "/job_%u", job_id);

	for (size_t i = 0; i + clen <= len; i++) {
		if (memcmp(path + i, comp, clen) != 0)
			continue;
		if (i + clen == len || path[i + clen] == '/')
			return i + clen;
	}
	return 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int write_pid(const char *dir, pid_t pid, struct berth_error *err)
{
	char file[PATH_SIZE + 16], text[24];
	int fd, len = snprintf(text, sizeof(text), "%d\n", (int)pid);

	snprintf(file, sizeof(file), "%s/cgroup.procs", dir);
	fd = open(file, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return berth_error_errno(err, errno, "open \"%s\"", file);
	if (write(fd, text, (size_t)len) != len) {
		int saved = errno;

		close(fd);
		return berth_error_errno(err, saved, "move pid %d into \"%s\"", (int)pid, dir);
	}
	close(fd);
	return 0;
}

/* One line "id:controllers:path" of /proc/self/cgroup. */
struct cgroup_line {
	const char *controllers, *path;
	size_t controllers_len, path_len;
};

static bool parse_line(const char *line, size_t len, struct cgroup_line *out)
{
	const char *c1 = memchr(line, ':', len), *c2;

	if (!c1 || !(c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line))))
		return false;
	out->controllers = c1 + 1;
	out->controllers_len = (size_t)(c2 - c1 - 1);
	out->path = c2 + 1;
	out->path_len = len - (size_t)(c2 + 1 - line);
	return out->path_len > 0 && out->path[0] == '/';
}

static bool has_controller(const struct cgroup_line *l, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = l->controllers, *end = l->controllers + l->controllers_len; p < end;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));
		size_t len = (size_t)((comma ? comma : end) - p);

		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p += len + 1;
	}
	return false;
}

/* The target directory for one line, or "" if this line is not Slurm's. */
static void target_dir(const char *root, enum berth_cgroup_mode mode, const struct cgroup_line *l,
		       uint32_t job_id, char *dir, size_t size)
{
	size_t prefix = job_prefix(l->path, l->path_len, job_id);

	dir[0] = '\0';
	if (!prefix)
		return;
	if (mode == BERTH_CGROUP_V2)
		snprintf(dir, size, "%s%.*s/step_extern/user/task_special", root, (int)prefix,
			 l->path);
	else
		snprintf(dir, size, "%s/%.*s%.*s/step_extern", root, (int)l->controllers_len,
			 l->controllers, (int)prefix, l->path);
	if (!is_dir(dir))
		dir[0] = '\0';
}

int berth_cgroup_adopt_extern(const char *root, enum berth_cgroup_mode mode,
			      const char *self_cgroup, uint32_t job_id, pid_t pid,
			      char *mem_dir, size_t mem_dir_size, struct berth_error *err)
{
	int joined = 0;

	if (mem_dir_size)
		mem_dir[0] = '\0';
	if (mode == BERTH_CGROUP_NONE)
		return 0;
	for (const char *line = self_cgroup; line && *line;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		struct cgroup_line l;
		char dir[PATH_SIZE];
		bool v2_line;

		if (parse_line(line, len, &l)) {
			v2_line = l.controllers_len == 0;
			/* v1: controller hierarchies only (not name=systemd);
			 * v2: the unified line only. */
			if (v2_line == (mode == BERTH_CGROUP_V2) &&
			    (v2_line || memcmp(l.controllers, "name=", 5) != 0)) {
				target_dir(root, mode, &l, job_id, dir, sizeof(dir));
				if (dir[0]) {
					if (write_pid(dir, pid, err) < 0)
						return -1;
					joined++;
					if (v2_line || has_controller(&l, "memory"))
						snprintf(mem_dir, mem_dir_size, "%s", dir);
				}
			}
		}
		line = nl ? nl + 1 : NULL;
	}
	return joined;
}

int berth_cgroup_of(pid_t pid, enum berth_cgroup_mode mode, char *buf, size_t size)
{
	char file[64], line[PATH_SIZE];
	FILE *f;

	buf[0] = '\0';
	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	if (!(f = fopen(file, "re")))
		return -1;
	while (fgets(line, sizeof(line), f)) {
		struct cgroup_line l;
		size_t len = strcspn(line, "\n");

		if (!parse_line(line, len, &l))
			continue;
		if ((mode == BERTH_CGROUP_V2 && l.controllers_len == 0) ||
		    (mode == BERTH_CGROUP_V1 && has_controller(&l, "memory"))) {
			snprintf(buf, size, "%.*s", (int)l.path_len, l.path);
			break;
		}
	}
	fclose(f);
	return 0;
}
