/*
 * modules.c - see modules.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_rules.h"
#include "modules.h"
#include "volume.h"

struct module_conf {
	char *description;
	char *mounts;
	char *env;
};

static const struct berth_conf_key module_schema[] = {
	{ "description", BERTH_CONF_STRING, offsetof(struct module_conf, description), "", 0, 0,
	  "one line for users" },
	{ "mounts", BERTH_CONF_STRING, offsetof(struct module_conf, mounts), "", 0, 0,
	  "extra mounts, site_fs syntax (SRC:DST[:flags];...)" },
	{ "env", BERTH_CONF_STRING, offsetof(struct module_conf, env), "", 0, 0,
	  "NAME=value;... set in every task" },
	BERTH_CONF_END
};

/* "a, b, c" from the *.conf files of dir (bounded), for messages. */
static void offered(const char *dir, char *buf, size_t size)
{
	struct dirent *entry;
	size_t used = 0;
	DIR *d = opendir(dir);

	snprintf(buf, size, "none");
	if (!d)
		return;
	buf[0] = '\0';
	while ((entry = readdir(d)) && used + 4 < size) {
		size_t len = strlen(entry->d_name);

		if (len <= 5 || entry->d_name[0] == '.' || strcmp(entry->d_name + len - 5, ".conf") != 0)
			continue;
		used += snprintf(buf + used, size - used, "%s%.*s", used ? ", " : "", (int)(len - 5), entry->d_name);
	}
	closedir(d);
	if (used >= size)
		snprintf(buf + size - 4, 4, "...");
	if (!buf[0])
		snprintf(buf, size, "none");
	berth_error_sanitize(buf);
}

static int join(char **acc, const char *more, struct berth_error *err)
{
	char *joined;

	if (!more || !*more)
		return 0;
	if (asprintf(&joined, "%s%s%s", *acc ? *acc : "", *acc ? ";" : "", more) < 0)
		return berth_error_errno(err, ENOMEM, "--module");
	free(*acc);
	*acc = joined;
	return 0;
}

static int load_one(const struct berth_config *cfg, const char *name, struct berth_modules *out,
		    struct berth_error *err)
{
	struct module_conf mod = { 0 };
	struct berth_volume_list mounts = BERTH_VOLUME_LIST_INIT;
	struct berth_env_rules env = BERTH_ENV_RULES_INIT;
	char path[4096], list[512];
	int rc = -1;

	if (snprintf(path, sizeof(path), "%s/%s.conf", cfg->modules_dir, name) >= (int)sizeof(path))
		return berth_error_set(err, ENAMETOOLONG, "--module %s: modules_dir is too long", name);
	if (berth_conf_defaults(module_schema, &mod, err) < 0)
		goto out;
	if (berth_conf_parse_file(module_schema, &mod, path, err) < 0) {
		if (err->code == ENOENT) {
			offered(cfg->modules_dir, list, sizeof(list));
			berth_error_set(err, ENOENT, "--module: unknown module \"%s\" (this site offers: %s)", name,
					list);
		} else {
			berth_error_prefix(err, "--module %s", name);
		}
		goto out;
	}
	if (mod.mounts[0] && berth_volume_parse(mod.mounts, &mounts, err) < 0) {
		berth_error_prefix(err, "--module %s: %s: mounts", name, path);
		goto out;
	}
	if (berth_env_rules_add_sets(&env, mod.env, "env", err) < 0) {
		berth_error_prefix(err, "--module %s: %s", name, path);
		goto out;
	}
	if (join(&out->mounts, mod.mounts, err) < 0 || join(&out->env, mod.env, err) < 0)
		goto out;
	rc = 0;
out:
	berth_volume_list_free(&mounts);
	berth_env_rules_free(&env);
	berth_conf_free(module_schema, &mod);
	return rc;
}

int berth_modules_load(const struct berth_config *cfg, const char *names, struct berth_modules *out,
		       struct berth_error *err)
{
	char *copy, *save = NULL;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!names || !*names || strcmp(names, "none") == 0)
		return 0;
	if (!(copy = strdup(names)))
		return berth_error_errno(err, ENOMEM, "--module");
	for (char *name = strtok_r(copy, ",", &save); name && rc == 0; name = strtok_r(NULL, ",", &save))
		if (strcmp(name, "none") != 0)
			rc = load_one(cfg, name, out, err);
	free(copy);
	if (rc < 0)
		berth_modules_free(out);
	return rc;
}

void berth_modules_free(struct berth_modules *modules)
{
	free(modules->mounts);
	free(modules->env);
	modules->mounts = NULL;
	modules->env = NULL;
}
