/*
 * slurm_shim.c - see slurm_shim.h.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/spank.h>

#include "slurm_shim.h"

#define DEFAULT_SLURM_CONF "/etc/slurm/slurm.conf"
#define DEFAULT_SPOOL_DIR "/var/spool/slurmd"   /* slurm.conf(5) */
#define DEFAULT_TMP_FS "/tmp"

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

/* slurm.conf's %n (node name) and %h (host name) in a slurmd path. */
static void expand_node_path(const char *value, const char *node, char *out, size_t size)
{
	char host[256] = "";
	size_t n = 0;

	if (gethostname(host, sizeof(host) - 1) < 0)
		host[0] = '\0';
	for (const char *p = value; *p && n + 1 < size; p++) {
		const char *with = p[0] == '%' && p[1] == 'n' ? node : p[0] == '%' && p[1] == 'h' ? host : NULL;

		if (!with) {
			out[n++] = *p;
			continue;
		}
		n += (size_t)snprintf(out + n, size - n, "%s", with);
		if (n >= size)
			n = size - 1;
		p++;
	}
	out[n] = '\0';
}

void berth_slurm_task_host_paths(const char *node, char (*buf)[BERTH_SLURM_PATH_MAX], const char **paths,
				 size_t max)
{
	const char *spool = slurm_conf.slurmd_spooldir ? slurm_conf.slurmd_spooldir : DEFAULT_SPOOL_DIR;
	const char *tmp_fs = slurm_conf.tmp_fs ? slurm_conf.tmp_fs : DEFAULT_TMP_FS;
	size_t n = 0;

	if (max < 3) {
		if (max)
			paths[0] = NULL;
		return;
	}
	expand_node_path(spool, node, buf[n], BERTH_SLURM_PATH_MAX);
	paths[n] = buf[n];
	n++;
	expand_node_path(tmp_fs, node, buf[n], BERTH_SLURM_PATH_MAX);
	if (strcmp(buf[n], "/tmp") != 0 && strncmp(buf[n], "/tmp/", 5) != 0) {
		paths[n] = buf[n];
		n++;
	}
	paths[n] = NULL;
}
