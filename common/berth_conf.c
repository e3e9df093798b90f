/*
 * berth_conf.c - see berth_conf.h.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "berth_conf.h"
#include "cdi_name.h"
#include "env_rules.h"

#define CFG(field) offsetof(struct berth_config, field)

const struct berth_conf_key berth_config_schema[] = {
	{ "image_dir", BERTH_CONF_PATH, CFG(image_dir), "/var/lib/berth/images", 0, 0,
	  "shared directory where berth-gatewayd publishes <digest>.sqfs and .json" },
	{ "state_dir", BERTH_CONF_PATH, CFG(state_dir), "/run/berth", 0, 0,
	  "node-local directory for per-job state (root only)" },
	{ "gateway_url", BERTH_CONF_STRING, CFG(gateway_url), "http://127.0.0.1:7050", 0, 0,
	  "URL of berth-gatewayd" },
	{ "gateway_socket", BERTH_CONF_STRING, CFG(gateway_socket), "", 0, 0,
	  "berth-gatewayd's proxy_socket: job_submit's lookups go there (empty: gateway_url)" },
	{ "default_image_type", BERTH_CONF_STRING, CFG(default_image_type), "docker", 0, 0,
	  "type of --image values without a prefix: docker, id or local" },
	{ "lookup_timeout", BERTH_CONF_DURATION, CFG(lookup_timeout_ms), "2s", 0, 0,
	  "hard limit for one gateway lookup at submission" },
	{ "lookup_cache_ttl", BERTH_CONF_DURATION, CFG(lookup_cache_ttl_ms), "10s", 0, 0,
	  "how long job_submit reuses a tag's digest before asking the gateway again (0: never)" },
	{ "auto_pull", BERTH_CONF_STRING, CFG(auto_pull_text), "no", 0, 0,
	  "an image that is not READY at submission: no (refused), yes (pulled, still refused), "
	  "wait (pulled, the job waits held until READY)" },
	{ "site_fs", BERTH_CONF_STRING, CFG(site_fs), "", 0, 0,
	  "site mounts in every container, volume syntax (SRC:DST[:flags];...)" },
	{ "forbidden_destinations", BERTH_CONF_STRING, CFG(forbidden_destinations),
	  "/etc,/proc,/sys,/dev", 0, 0, "comma-separated --volume destinations users may not use" },
	{ "writable_overlay", BERTH_CONF_BOOL, CFG(writable_overlay), "no", 0, 0,
	  "give each job a writable tmpfs layer over its image" },
	{ "max_volumes", BERTH_CONF_UINT, CFG(max_volumes), "16", 1, 64,
	  "most --volume mounts per job (1..64)" },
	{ "allow_local_root", BERTH_CONF_BOOL, CFG(allow_local_root), "no", 0, 0,
	  "allow containers built from the node's own / (--ccm; plugstack enable_ccm=1)" },
	{ "env_keep", BERTH_CONF_STRING, CFG(env_keep), "", 0, 0,
	  "comma-separated NAME or NAME* whose job value wins over the image's Env" },
	{ "env_drop", BERTH_CONF_STRING, CFG(env_drop), "", 0, 0,
	  "comma-separated NAME or NAME* removed from every task (never SLURM_*, PMI*)" },
	{ "env_set", BERTH_CONF_STRING, CFG(env_set), "", 0, 0,
	  "NAME=value;... set in every task, after the image's Env" },
	{ "modules_dir", BERTH_CONF_PATH, CFG(modules_dir), "/etc/berth/modules", 0, 0,
	  "directory of NAME.conf files, one per --module NAME" },
	{ "cdi_spec_dirs", BERTH_CONF_STRING, CFG(cdi_spec_dirs), "/etc/cdi:/var/run/cdi", 0, 0,
	  "CDI spec directories, ':'-separated; a device in a later one wins" },
	{ "cdi_gres", BERTH_CONF_STRING, CFG(cdi_gres), "", 0, 0,
	  "gpu=vendor.com/class: the GPUs Slurm gives a step are that CDI kind's devices (empty: off)" },
	{ "cdi_user_kinds", BERTH_CONF_STRING, CFG(cdi_user_kinds), "", 0, 0,
	  "comma-separated CDI kinds users may ask for with --device ('*': any; empty: none)" },
	{ "cdi_hook_timeout", BERTH_CONF_DURATION, CFG(cdi_hook_timeout_ms), "30s", 0, 0,
	  "time limit of a CDI hook that sets none itself" },
	BERTH_CONF_END
};

static int config_load(const char *path, bool missing_ok, struct berth_config *cfg,
		       struct berth_error *err)
{
	if (berth_conf_defaults(berth_config_schema, cfg, err) < 0)
		return -1;
	if (berth_conf_parse_file(berth_config_schema, cfg, path, err) < 0 &&
	    !(missing_ok && err->code == ENOENT))
		return -1;
	if (berth_image_type_from_name(cfg->default_image_type, &cfg->default_type) < 0) {
		char type[64];

		snprintf(type, sizeof(type), "%s", cfg->default_image_type);
		berth_error_sanitize(type);
		return berth_error_set(err, EINVAL,
				       "%s: default_image_type: unknown image type \"%s\" (use docker, id or local)",
				       path, type);
	}
	if (berth_auto_pull_from_name(cfg->auto_pull_text, &cfg->auto_pull) < 0) {
		char value[64];

		snprintf(value, sizeof(value), "%s", cfg->auto_pull_text);
		berth_error_sanitize(value);
		return berth_error_set(err, EINVAL, "%s: auto_pull: invalid value \"%s\" (use no, yes or wait)",
				       path, value);
	}
	if (berth_config_env_rules(cfg, NULL, NULL, err) < 0 ||
	    berth_cdi_gres_parse(cfg->cdi_gres, cfg->cdi_gpu_kind, err) < 0 ||
	    berth_cdi_user_kinds_check(cfg->cdi_user_kinds, err) < 0)
		return berth_error_prefix(err, "%s", path);
	return 0;
}

int berth_auto_pull_from_name(const char *text, enum berth_auto_pull *out)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	bool on;

	if (text && strcmp(text, "wait") == 0) {
		*out = BERTH_AUTO_PULL_WAIT;
		return 0;
	}
	if (!text || berth_parse_bool(text, &on, &ignored) < 0) {
		errno = EINVAL;
		return -1;
	}
	*out = on ? BERTH_AUTO_PULL_YES : BERTH_AUTO_PULL_NO;
	return 0;
}

const char *berth_auto_pull_name(enum berth_auto_pull value)
{
	switch (value) {
	case BERTH_AUTO_PULL_YES: return "yes";
	case BERTH_AUTO_PULL_WAIT: return "wait";
	default: return "no";
	}
}

int berth_config_env_rules(const struct berth_config *cfg, const char *module_env,
			   struct berth_env_rules *out, struct berth_error *err)
{
	struct berth_env_rules rules = BERTH_ENV_RULES_INIT;

	if (berth_env_rules_add_names(&rules, BERTH_ENV_RULE_KEEP, cfg->env_keep, "env_keep", err) < 0 ||
	    berth_env_rules_add_sets(&rules, cfg->env_set, "env_set", err) < 0 ||
	    berth_env_rules_add_sets(&rules, module_env, "--module env", err) < 0 ||
	    berth_env_rules_add_names(&rules, BERTH_ENV_RULE_UNSET, cfg->env_drop, "env_drop", err) < 0) {
		berth_env_rules_free(&rules);
		return -1;
	}
	if (out)
		*out = rules;
	else
		berth_env_rules_free(&rules);
	return 0;
}

int berth_config_load(const char *path, bool missing_ok, struct berth_config *cfg,
		      struct berth_error *err)
{
	struct berth_error local = BERTH_ERROR_INIT;

	memset(cfg, 0, sizeof(*cfg));
	/* local, so that the ENOENT test works when the caller passes no err */
	if (config_load(path, missing_ok, cfg, &local) < 0) {
		berth_config_free(cfg);
		if (err)
			*err = local;
		return -1;
	}
	return 0;
}

void berth_config_free(struct berth_config *cfg)
{
	if (!cfg)
		return;
	berth_conf_free(berth_config_schema, cfg);
	memset(cfg, 0, sizeof(*cfg));
}

int berth_config_path_beside(const char *slurm_conf_path, char *buf, size_t size,
			     struct berth_error *err)
{
	static const char name[] = "berth.conf";
	size_t len;
	int n;

	if (size)
		buf[0] = '\0';
	if (!slurm_conf_path || !*slurm_conf_path)
		return berth_error_set(err, EINVAL, "empty slurm.conf path");
	/* dirname(3) without modifying the argument */
	len = strlen(slurm_conf_path);
	while (len > 1 && slurm_conf_path[len - 1] == '/')
		len--;
	while (len && slurm_conf_path[len - 1] != '/')
		len--;
	while (len > 1 && slurm_conf_path[len - 1] == '/')
		len--;
	if (!len)
		n = snprintf(buf, size, "./%s", name);
	else if (len == 1)
		n = snprintf(buf, size, "/%s", name);
	else
		n = snprintf(buf, size, "%.*s/%s", (int)len, slurm_conf_path, name);
	if (n < 0 || (size_t)n >= size) {
		char shown[128];

		if (size)
			buf[0] = '\0';  /* no half path */
		snprintf(shown, sizeof(shown), "%s", slurm_conf_path);
		berth_error_sanitize(shown);
		return berth_error_set(err, ENAMETOOLONG, "berth.conf path beside \"%s\" is too long",
				       shown);
	}
	return 0;
}

int berth_config_find(const char *explicit_path, const char *slurm_conf_path, char *buf,
		      size_t size, bool *missing_ok, struct berth_error *err)
{
	const char *env = slurm_conf_path ? NULL : getenv("BERTH_CONF");
	const char *path = NULL;
	int n;

	if (!slurm_conf_path)
		slurm_conf_path = getenv("SLURM_CONF");
	*missing_ok = false;
	if (explicit_path && *explicit_path)
		path = explicit_path;
	else if (env && *env)
		path = env;
	else if (slurm_conf_path && *slurm_conf_path) {
		*missing_ok = true;
		return berth_config_path_beside(slurm_conf_path, buf, size, err);
	} else {
		*missing_ok = true;
		path = BERTH_DEFAULT_CONF;
	}
	n = snprintf(buf, size, "%s", path);
	if (n < 0 || (size_t)n >= size)
		return berth_error_set(err, ENAMETOOLONG, "berth.conf path is too long");
	return 0;
}
