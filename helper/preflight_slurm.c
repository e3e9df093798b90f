/*
 * preflight_slurm.c - `berth check`: the slurm.conf and plugstack.conf lines berth
 * needs.  The files are read as slurmd and the clients read them (the admin's
 * own files, Include lines followed), not asked of slurmctld: the check also
 * runs where the controller is down or the node not yet in the cluster.
 * Only the few keys berth depends on are looked at; slurm.conf's other
 * syntax (NodeName lines and the like) is skipped.
 */
#include <errno.h>
#include <glob.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "preflight.h"

#define INCLUDE_DEPTH_MAX 8

static const struct {
	const char *key;
	size_t offset;
} slurm_keys[] = {
	{ "PrologFlags", offsetof(struct check_slurm_conf, prolog_flags) },
	{ "JobContainerType", offsetof(struct check_slurm_conf, job_container_type) },
	{ "NamespaceType", offsetof(struct check_slurm_conf, namespace_type) },
	{ "JobSubmitPlugins", offsetof(struct check_slurm_conf, job_submit_plugins) },
	{ "PlugStackConfig", offsetof(struct check_slurm_conf, plugstack_config) },
	{ "SlurmdParameters", offsetof(struct check_slurm_conf, slurmd_parameters) },
};

/* The directory part of path ("." for a bare name) into buf. */
static void dir_of(const char *path, char *buf, size_t size)
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

/* What a file's lines mean to its reader: every line's words but an
 * include's go to on_words (the first word, strtok_r's state for the rest). */
struct conf_reader {
	void *ctx;
	void (*on_words)(void *ctx, char *first, char **save);
};

static int read_conf_file(const char *path, const struct conf_reader *reader, int depth, char **why);

/* Each file matching pattern (relative: to base_dir), read by reader. */
static int read_matches(const char *pattern, const char *base_dir, int depth,
			const struct conf_reader *reader, char **why)
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
		rc = read_conf_file(g.gl_pathv[i], reader, depth + 1, why);
	globfree(&g);
	return rc;
}

/* slurm.conf and plugstack.conf alike: '#' comments, words split at blanks,
 * "include PATTERN" lines (any case) followed. */
static int read_conf_file(const char *path, const struct conf_reader *reader, int depth, char **why)
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
	dir_of(path, dir, sizeof(dir));
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

static void set_key(struct check_slurm_conf *conf, const char *word)
{
	const char *eq = strchr(word, '=');
	size_t vlen;

	if (!eq)
		return;
	for (size_t i = 0; i < sizeof(slurm_keys) / sizeof(slurm_keys[0]); i++) {
		char **slot = (char **)((char *)conf + slurm_keys[i].offset);
		const char *value = eq + 1;

		if (strlen(slurm_keys[i].key) != (size_t)(eq - word) ||
		    strncasecmp(word, slurm_keys[i].key, (size_t)(eq - word)) != 0)
			continue;
		vlen = strlen(value);
		if (vlen >= 2 && value[0] == '"' && value[vlen - 1] == '"') {
			value++;
			vlen -= 2;
		}
		free(*slot);
		*slot = strndup(value, vlen);
		return;
	}
}

static void slurm_words(void *ctx, char *word, char **save)
{
	for (; word; word = strtok_r(NULL, " \t", save))
		set_key(ctx, word);
}

int check_slurm_conf_read(const char *path, struct check_slurm_conf *conf, char **why)
{
	const struct conf_reader reader = { conf, slurm_words };

	memset(conf, 0, sizeof(*conf));
	*why = NULL;
	return read_conf_file(path, &reader, 0, why);
}

void check_slurm_conf_free(struct check_slurm_conf *conf)
{
	for (size_t i = 0; i < sizeof(slurm_keys) / sizeof(slurm_keys[0]); i++)
		free(*(char **)((char *)conf + slurm_keys[i].offset));
	memset(conf, 0, sizeof(*conf));
}

/* item is one of the comma-separated words of list (case-insensitive);
 * "job_submit/berth" counts as "berth" where prefix is "job_submit/". */
static bool list_has(const char *list, const char *item, const char *prefix)
{
	size_t ilen = strlen(item), plen = prefix ? strlen(prefix) : 0;

	while (list && *list) {
		size_t len = strcspn(list, ",");
		const char *w = list;

		while (len && (*w == ' ' || *w == '\t'))
			w++, len--;
		if (plen && len > plen && strncasecmp(w, prefix, plen) == 0)
			w += plen, len -= plen;
		if (len == ilen && strncasecmp(w, item, ilen) == 0)
			return true;
		list += strcspn(list, ",");
		if (*list == ',')
			list++;
	}
	return false;
}

static void check_container_plugin(struct check_report *r, const struct check_slurm_conf *conf,
				   const char *container_conf)
{
	const char *eq = strchr(container_conf, '='), *want = eq ? eq + 1 : "";
	bool is_ns = strncasecmp(container_conf, "NamespaceType=", 14) == 0;
	const char *have = is_ns ? conf->namespace_type : conf->job_container_type;
	const char *other = is_ns ? conf->job_container_type : conf->namespace_type;

	if (have && strcasecmp(have, want) == 0)
		check_line(r, CHECK_OK, "slurm.conf", "%s", container_conf);
	else if (other && strstr(other, "berth"))
		check_line(r, CHECK_FAIL, "slurm.conf",
			   "%s=%s is not this Slurm's: set %s (berth was built for this release's plugin type)",
			   is_ns ? "JobContainerType" : "NamespaceType", other, container_conf);
	else
		check_line(r, CHECK_FAIL, "slurm.conf", "%.*s is %s%s%s: set %s (berth builds each job's container)",
			   (int)(eq ? eq - container_conf : 0), container_conf, have ? "\"" : "not set",
			   have ? have : "", have ? "\"" : "", container_conf);
}

void check_slurm_settings(struct check_report *r, const struct check_slurm_conf *conf,
			  const char *container_conf)
{
	check_container_plugin(r, conf, container_conf);
	if (list_has(conf->prolog_flags, "Contain", NULL))
		check_line(r, CHECK_OK, "slurm.conf", "PrologFlags has Contain");
	else
		check_line(r, CHECK_FAIL, "slurm.conf",
			   "PrologFlags lacks Contain: add PrologFlags=Contain (the container is built when the allocation starts)");
	if (list_has(conf->prolog_flags, "RunInJob", NULL))
		check_line(r, CHECK_FAIL, "slurm.conf",
			   "PrologFlags has RunInJob: remove it (the job's prolog would run after its container is built; berth refuses it)");
	if (list_has(conf->job_submit_plugins, "berth", "job_submit/"))
		check_line(r, CHECK_OK, "slurm.conf", "JobSubmitPlugins has berth");
	else
		check_line(r, CHECK_FAIL, "slurm.conf",
			   "JobSubmitPlugins lacks berth: add berth to JobSubmitPlugins (images are pinned to digests at submission)");
	if (list_has(conf->slurmd_parameters, "contain_spank", NULL))
		check_line(r, CHECK_FAIL, "slurm.conf",
			   "SlurmdParameters has contain_spank: remove it (berth's SPANK hooks must run on the host; berth refuses it)");
}

struct plugstack_scan {
	bool found;
	bool optional;
};

/* "required|optional PLUGIN [ARGS]": is PLUGIN berth.so? */
static void plugstack_words(void *ctx, char *kind, char **save)
{
	struct plugstack_scan *scan = ctx;
	char *plugin = strtok_r(NULL, " \t", save), *base;

	if (!plugin)
		return;
	base = strrchr(plugin, '/');
	if (strcmp(base ? base + 1 : plugin, "berth.so") == 0) {
		scan->found = true;
		scan->optional = strcasecmp(kind, "optional") == 0;
	}
}

void check_plugstack(struct check_report *r, const struct check_slurm_conf *conf,
		     const char *slurm_conf_path)
{
	struct plugstack_scan scan = { false, false };
	const struct conf_reader reader = { &scan, plugstack_words };
	char path[4200], *why = NULL;

	if (conf->plugstack_config && *conf->plugstack_config) {
		snprintf(path, sizeof(path), "%s", conf->plugstack_config);
	} else {
		char dir[4096];

		dir_of(slurm_conf_path, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/plugstack.conf", dir);
	}
	if (read_conf_file(path, &reader, 0, &why) < 0)
		check_line(r, CHECK_FAIL, "plugstack.conf", "%s: add `required <PluginDir>/berth.so` there",
			   why ? why : path);
	else if (!scan.found)
		check_line(r, CHECK_FAIL, "plugstack.conf",
			   "%s has no berth.so line: add `required <PluginDir>/berth.so` (README: Installing)", path);
	else if (scan.optional)
		check_line(r, CHECK_WARN, "plugstack.conf",
			   "%s loads berth.so as optional: use required (a node that cannot load it would run jobs outside their image)",
			   path);
	else
		check_line(r, CHECK_OK, "plugstack.conf", "%s loads berth.so", path);
	free(why);
}
