/*
 * fuzz_conf.c - the one config parser (common/conf_parser.c) with the
 * berth.conf schema (common/berth_conf.c): file text and plugstack
 * key=value arguments.  berth.conf is admin-written (trusted), but the same
 * parser reads the per-node job spec and module files, and a parser bug
 * must not become a daemon crash.
 *
 * Input: the file text (up to the first NUL byte, as the file reader refuses
 * NUL); its lines are also handed to berth_conf_parse_args as words.
 * Checks: errors carry "berth.conf:<line>: " and one printable line; after
 * success every path is absolute and normalised, max_volumes is in 1..64,
 * strings are set; the env rules and site_fs derived from the values are
 * parsed as the plugins do.
 */
#include <stdlib.h>
#include <string.h>

#include "berth_conf.h"
#include "env_rules.h"
#include "fuzz_util.h"
#include "volume.h"

static void check_path(const char *what, const char *path)
{
	size_t len;

	FZ_CHECK(path != NULL, "%s is NULL", what);
	len = strlen(path);
	FZ_CHECK(path[0] == '/', "%s \"%s\" is relative", what, path);
	FZ_CHECK(len == 1 || path[len - 1] != '/', "%s \"%s\" ends in '/'", what, path);
	FZ_CHECK(!strstr(path, "//"), "%s \"%s\" has \"//\"", what, path);
	for (const char *p = path; (p = strchr(p, '/')); p++) {
		size_t n = strcspn(p + 1, "/");

		FZ_CHECK(!(n == 1 && p[1] == '.') && !(n == 2 && p[1] == '.' && p[2] == '.'),
			 "%s \"%s\" has a \".\" or \"..\" component", what, path);
	}
}

static void check_config(const struct berth_config *cfg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_env_rules rules = BERTH_ENV_RULES_INIT;
	struct berth_volume_list site = BERTH_VOLUME_LIST_INIT;
	enum berth_image_type type;

	check_path("image_dir", cfg->image_dir);
	check_path("state_dir", cfg->state_dir);
	check_path("modules_dir", cfg->modules_dir);
	FZ_CHECK(cfg->max_volumes >= 1 && cfg->max_volumes <= 64, "max_volumes %u", cfg->max_volumes);
	FZ_CHECK(cfg->gateway_url && cfg->gateway_socket && cfg->default_image_type && cfg->site_fs &&
		 cfg->forbidden_destinations && cfg->env_keep && cfg->env_drop && cfg->env_set,
		 "a string key is NULL");
	berth_image_type_from_name(cfg->default_image_type, &type);
	if (berth_config_env_rules(cfg, NULL, &rules, &err) < 0)
		fz_check_error(&err, "berth_config_env_rules");
	else
		berth_env_rules_free(&rules);
	if (cfg->site_fs[0] && berth_volume_parse(cfg->site_fs, &site, &err) < 0)
		fz_check_error(&err, "site_fs");
	berth_volume_list_free(&site);
}

static void parse_args(const uint8_t *data, size_t size)
{
	struct berth_config cfg;
	struct berth_error err = BERTH_ERROR_INIT;
	struct fz_fields f;

	memset(&cfg, 0, sizeof(cfg));
	FZ_CHECK(berth_conf_defaults(berth_config_schema, &cfg, &err) == 0, "defaults: %s", err.msg);
	fz_split(data, size, '\n', &f);
	if (berth_conf_parse_args(berth_config_schema, &cfg, (int)f.count, f.field, &err) < 0)
		fz_check_error(&err, "berth_conf_parse_args");
	else
		check_config(&cfg);
	berth_conf_free(berth_config_schema, &cfg);
	fz_fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;
	char *text = fz_strndup(data, size);

	memset(&cfg, 0, sizeof(cfg));
	FZ_CHECK(berth_conf_defaults(berth_config_schema, &cfg, &err) == 0, "defaults: %s", err.msg);
	if (berth_conf_parse_buffer(berth_config_schema, &cfg, text, "berth.conf", &err) < 0) {
		fz_check_error(&err, "berth_conf_parse_buffer");
		FZ_CHECK(!strncmp(err.msg, "berth.conf:", 11), "message without place: \"%s\"", err.msg);
	} else {
		check_config(&cfg);
	}
	berth_conf_free(berth_config_schema, &cfg);
	FZ_CHECK(cfg.image_dir == NULL && cfg.env_set == NULL, "berth_conf_free left a string");
	free(text);
	parse_args(data, size);
	return 0;
}
