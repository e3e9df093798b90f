/*
 * preflight_slurm.c - `berth check`: the slurm.conf and plugstack.conf lines berth
 * needs.  The files are read as slurmd and the clients read them (the admin's
 * own files, Include lines followed), not asked of slurmctld: the check also
 * runs where the controller is down or the node not yet in the cluster.
 * Only the few keys berth depends on are looked at; slurm.conf's other
 * syntax (NodeName lines and the like) is skipped.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "preflight.h"
#include "slurm_conf_file.h"

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
	const struct berth_slurm_conf_reader reader = { conf, slurm_words };

	memset(conf, 0, sizeof(*conf));
	*why = NULL;
	return berth_slurm_conf_file_read(path, &reader, why);
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
	const struct berth_slurm_conf_reader reader = { &scan, plugstack_words };
	char path[4200], *why = NULL;

	if (conf->plugstack_config && *conf->plugstack_config) {
		snprintf(path, sizeof(path), "%s", conf->plugstack_config);
	} else {
		char dir[4096];

		berth_slurm_conf_dir(slurm_conf_path, dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/plugstack.conf", dir);
	}
	if (berth_slurm_conf_file_read(path, &reader, &why) < 0)
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
