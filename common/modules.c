/*
 * modules.c - see modules.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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
	char *mpi;
	char *mpi_libs;
};

static const struct berth_conf_key module_schema[] = {
	{ "description", BERTH_CONF_STRING, offsetof(struct module_conf, description), "", 0, 0,
	  "one line for users" },
	{ "mounts", BERTH_CONF_STRING, offsetof(struct module_conf, mounts), "", 0, 0,
	  "extra mounts, site_fs syntax (SRC:DST[:flags];...)" },
	{ "env", BERTH_CONF_STRING, offsetof(struct module_conf, env), "", 0, 0,
	  "NAME=value;... set in every task" },
	{ "mpi", BERTH_CONF_STRING, offsetof(struct module_conf, mpi), "", 0, 0,
	  "the MPI ABI replaced in the image by the site's library: mpich (empty: none)" },
	{ "mpi_libs", BERTH_CONF_PATH, offsetof(struct module_conf, mpi_libs), NULL, 0, 0,
	  "the site's MPI library directory (with mpi)" },
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

/* The image's own system directories: mpi_libs there would hide the
 * image's files (it is bound at its own path). */
static bool system_dir(const char *path)
{
	static const char *const dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
					    "/etc", "/proc", "/sys", "/dev", "/tmp", "/run", NULL };

	if (strcmp(path, "/") == 0)
		return true;
	for (const char *const *d = dirs; *d; d++) {
		size_t n = strlen(*d);

		if (strncmp(path, *d, n) == 0 && (path[n] == '\0' || path[n] == '/'))
			return true;
	}
	return false;
}

/* mpi and mpi_libs (admin-trusted, but a typo fails here, at load). */
static int check_mpi(const struct module_conf *mod, enum berth_mpi_abi *abi, struct berth_error *err)
{
	char quoted[BERTH_QUOTE_SIZE];

	*abi = BERTH_MPI_NONE;
	if (!mod->mpi[0])
		return mod->mpi_libs ? berth_error_set(err, EINVAL, "mpi_libs without mpi (set mpi = mpich)") : 0;
	if (strcmp(mod->mpi, "mpich") != 0)
		return berth_error_set(err, EINVAL, "mpi \"%s\": unknown MPI ABI (known: mpich)",
				       berth_error_quote(quoted, mod->mpi, strlen(mod->mpi)));
	if (!mod->mpi_libs)
		return berth_error_set(err, EINVAL, "mpi = %s needs mpi_libs (the site's MPI library directory)",
				       mod->mpi);
	berth_error_quote(quoted, mod->mpi_libs, strlen(mod->mpi_libs));
	if (system_dir(mod->mpi_libs))
		return berth_error_set(err, EINVAL,
				       "mpi_libs \"%s\" is a system directory (bound there it would hide the image's own files): use the site MPI's own directory, such as /opt/site-mpich/lib",
				       quoted);
	if (strpbrk(mod->mpi_libs, ":;,"))
		return berth_error_set(err, EINVAL, "mpi_libs \"%s\": ':', ';' and ',' are not allowed", quoted);
	*abi = BERTH_MPI_MPICH;
	return 0;
}

/* The module's mounts, with mpi_libs's read-only bind at its own path. */
static int module_mounts(const struct module_conf *mod, char **out, struct berth_error *err)
{
	int n;

	if (mod->mpi_libs && mod->mpi[0])
		n = asprintf(out, "%s%s%s:%s:ro", mod->mounts, mod->mounts[0] ? ";" : "", mod->mpi_libs,
			     mod->mpi_libs);
	else
		n = asprintf(out, "%s", mod->mounts);
	if (n < 0) {
		*out = NULL;
		return berth_error_errno(err, ENOMEM, "--module");
	}
	return 0;
}

static int take_mpi(const char *name, const struct module_conf *mod, enum berth_mpi_abi abi,
		    struct berth_modules *out, struct berth_error *err)
{
	if (abi == BERTH_MPI_NONE)
		return 0;
	if (out->mpi != BERTH_MPI_NONE)
		return berth_error_set(err, EINVAL,
				       "--module %s,%s: both replace the image's MPI library (ask for one of them)",
				       out->mpi_module, name);
	out->mpi = abi;
	if (!(out->mpi_libs = strdup(mod->mpi_libs)) || !(out->mpi_module = strdup(name)))
		return berth_error_errno(err, ENOMEM, "--module");
	return 0;
}

static int load_one(const struct berth_config *cfg, const char *name, struct berth_modules *out,
		    struct berth_error *err)
{
	struct module_conf mod = { 0 };
	enum berth_mpi_abi abi;
	char *all_mounts = NULL;
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
	if (check_mpi(&mod, &abi, err) < 0 || module_mounts(&mod, &all_mounts, err) < 0) {
		berth_error_prefix(err, "--module %s: %s", name, path);
		goto out;
	}
	if (all_mounts[0] && berth_volume_parse(all_mounts, &mounts, err) < 0) {
		berth_error_prefix(err, "--module %s: %s: mounts", name, path);
		goto out;
	}
	if (berth_env_rules_add_sets(&env, mod.env, "env", err) < 0) {
		berth_error_prefix(err, "--module %s: %s", name, path);
		goto out;
	}
	if (take_mpi(name, &mod, abi, out, err) < 0 || join(&out->mounts, all_mounts, err) < 0 ||
	    join(&out->env, mod.env, err) < 0)
		goto out;
	rc = 0;
out:
	free(all_mounts);
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
	free(modules->mpi_libs);
	free(modules->mpi_module);
	*modules = (struct berth_modules)BERTH_MODULES_INIT;
}

int berth_modules_ld_library_path(const struct berth_modules *modules, const char *current, char **out,
				  struct berth_error *err)
{
	size_t n;

	*out = NULL;
	if (modules->mpi == BERTH_MPI_NONE || !modules->mpi_libs)
		return 0;
	n = strlen(modules->mpi_libs);
	/* already first (a step of a job that has it, a launcher passing it on) */
	if (current && strncmp(current, modules->mpi_libs, n) == 0 && (current[n] == ':' || current[n] == '\0'))
		current = current[n] ? current + n + 1 : NULL;
	if (asprintf(out, "%s%s%s", modules->mpi_libs, current && *current ? ":" : "",
		     current && *current ? current : "") < 0) {
		*out = NULL;
		return berth_error_errno(err, ENOMEM, "LD_LIBRARY_PATH");
	}
	return 0;
}
