/*
 * slurm_shim.c - see slurm_shim.h.
 */
#include <stdlib.h>

#include <slurm/spank.h>

#include "slurm_shim.h"

#define DEFAULT_SLURM_CONF "/etc/slurm/slurm.conf"

void berth_slurm_log_sink(enum berth_log_level level, const char *line)
{
	switch (level) {
	case BERTH_LOG_ERROR:
		slurm_error("%s", line);
		break;
	case BERTH_LOG_INFO:
		slurm_info("%s", line);
		break;
	case BERTH_LOG_VERBOSE:
		slurm_verbose("%s", line);
		break;
	default:
		slurm_debug("%s", line);
		break;
	}
}

const char *berth_slurm_conf_path(void)
{
	const char *env = getenv("SLURM_CONF");

	if (env && *env)
		return env;
	if (slurm_conf.slurm_conf && *slurm_conf.slurm_conf)
		return slurm_conf.slurm_conf;
	return DEFAULT_SLURM_CONF;
}

int berth_slurm_load_config(const char *config_path, struct berth_config *cfg,
			    struct berth_error *err)
{
	char path[4096];
	bool missing_ok;

	if (berth_config_find(config_path, berth_slurm_conf_path(), path, sizeof(path), &missing_ok,
			      err) < 0)
		return -1;
	return berth_config_load(path, missing_ok, cfg, err);
}

void berth_config_log(const struct berth_config *cfg)
{
	berth_debug("config: image_dir=%s state_dir=%s gateway_url=%s default_image_type=%s",
		    cfg->image_dir, cfg->state_dir, cfg->gateway_url, cfg->default_image_type);
	berth_debug("config: lookup_timeout=%llums site_fs=%s forbidden_destinations=%s writable_overlay=%s max_volumes=%u",
		    (unsigned long long)cfg->lookup_timeout_ms, cfg->site_fs ? cfg->site_fs : "",
		    cfg->forbidden_destinations, cfg->writable_overlay ? "yes" : "no",
		    cfg->max_volumes);
}
