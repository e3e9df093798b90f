/*
 * slurm_conf_file.c - Slurm's configuration files read as Slurm reads them
 * (slurm_conf_file.h).
 */
#include <errno.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "slurm_conf_file.h"

#define INCLUDE_DEPTH_MAX 8

void berth_slurm_conf_dir(const char *path, char *buf, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(buf, size, ".");
	else if (slash == path)
		snprintf(buf, size, "/");
	else
		snprintf(buf, size, "%.*s", (int)(slash - path), path);
}

/* Cut a '#' comment (not "\#") and the line end. */
static void strip_comment(char *line)
{
	for (char *p = line; *p; p++) {
		if (*p == '#' && (p == line || p[-1] != '\\')) {
			*p = '\0';
			break;
		}
	}
	line[strcspn(line, "\r\n")] = '\0';
}

static int read_file(const char *path, const struct berth_slurm_conf_reader *reader, int depth, char **why);

/* Each file matching pattern (relative: to base_dir), read by reader. */
static int read_matches(const char *pattern, const char *base_dir, int depth,
			const struct berth_slurm_conf_reader *reader, char **why)
{
	char full[8200];
	glob_t g;
	int rc = 0;

	snprintf(full, sizeof(full), "%s%s%s", pattern[0] == '/' ? "" : base_dir,
		 pattern[0] == '/' ? "" : "/", pattern);
	if (glob(full, 0, NULL, &g) != 0) {
		if (asprintf(why, "Include %s: no such file", full) < 0)
			*why = NULL;
		return -1;
	}
	for (size_t i = 0; rc == 0 && i < g.gl_pathc; i++)
		rc = read_file(g.gl_pathv[i], reader, depth + 1, why);
	globfree(&g);
	return rc;
}

static int read_file(const char *path, const struct berth_slurm_conf_reader *reader, int depth, char **why)
{
	char *line = NULL, dir[4096];
	size_t cap = 0;
	FILE *f;
	int rc = 0;

	if (depth > INCLUDE_DEPTH_MAX || !(f = fopen(path, "re"))) {
		if (asprintf(why, "%s: %s", path, depth > INCLUDE_DEPTH_MAX ? "Include nested too deep" :
			     strerror(errno)) < 0)
			*why = NULL;
		return -1;
	}
	berth_slurm_conf_dir(path, dir, sizeof(dir));
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		char *save = NULL, *first, *pattern;

		strip_comment(line);
		if (!(first = strtok_r(line, " \t", &save)))
			continue;
		if (strcasecmp(first, "include") == 0) {
			if ((pattern = strtok_r(NULL, " \t", &save)))
				rc = read_matches(pattern, dir, depth, reader, why);
			continue;
		}
		reader->on_words(reader->ctx, first, &save);
	}
	free(line);
	fclose(f);
	return rc;
}

int berth_slurm_conf_file_read(const char *path, const struct berth_slurm_conf_reader *reader, char **why)
{
	*why = NULL;
	return read_file(path, reader, 0, why);
}
