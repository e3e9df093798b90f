/*
 * cmd_check.c - `berth check [--role=node|login]`: the admin's pre-flight
 * check of a compute node or login host (doc/berth.1).  One line per check;
 * exit 0 only when nothing failed (warnings do not count).
 *   both:  berth.conf parses; slurm.conf has berth's lines for the Slurm
 *          berth was built against; plugstack.conf loads berth.so;
 *          image_dir is there at its configured path; munge works;
 *   node:  the kernel features the node runtime uses;
 *   login: the gateway answers (compute nodes never talk to it).
 */
#include <getopt.h>
#include <munge.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"
#include "helper.h"

#define DEFAULT_SLURM_CONF "/etc/slurm/slurm.conf"
#define CONFIGLESS_SLURM_CONF "/run/slurm/conf/slurm.conf"   /* slurmd's cache */
#define CHECK_GATEWAY_TIMEOUT_MS 5000L

enum { ROLE_NODE = 1, ROLE_LOGIN = 2 };

static bool check_berth_conf(struct check_report *r, struct helper *h)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[4096];
	bool missing_ok;

	if (berth_config_find(h->config_arg, NULL, path, sizeof(path), &missing_ok, &err) < 0 ||
	    helper_config(h, &err) < 0) {
		check_line(r, CHECK_FAIL, "berth.conf", "%s", err.msg);
		return false;
	}
	if (access(path, F_OK) != 0)
		check_line(r, CHECK_WARN, "berth.conf", "%s does not exist: every key has its default", path);
	else
		check_line(r, CHECK_OK, "berth.conf", "%s parses", path);
	return true;
}

static void check_slurm(struct check_report *r)
{
	const char *path = getenv("SLURM_CONF");
	struct check_slurm_conf conf;
	char *why = NULL;

	if (!path || !*path)
		path = access(DEFAULT_SLURM_CONF, F_OK) != 0 && access(CONFIGLESS_SLURM_CONF, F_OK) == 0
		       ? CONFIGLESS_SLURM_CONF : DEFAULT_SLURM_CONF;
	if (check_slurm_conf_read(path, &conf, &why) < 0) {
		check_line(r, CHECK_FAIL, "slurm.conf", "%s (set SLURM_CONF to the cluster's slurm.conf)",
			   why ? why : path);
		free(why);
		check_slurm_conf_free(&conf);
		return;
	}
	check_slurm_settings(r, &conf, BERTH_SLURM_CONTAINER_CONF);
	check_plugstack(r, &conf, path);
	check_slurm_conf_free(&conf);
}

static void check_image_dir(struct check_report *r, const struct berth_config *cfg)
{
	struct stat st;

	if (stat(cfg->image_dir, &st) != 0 || !S_ISDIR(st.st_mode))
		check_line(r, CHECK_FAIL, "image_dir",
			   "%s is not a directory here: mount the gateway's image directory at the same path on every node and login host",
			   cfg->image_dir);
	else if (access(cfg->image_dir, X_OK) != 0)
		check_line(r, CHECK_FAIL, "image_dir", "%s cannot be searched: it must be mode 0711 (or 0755)",
			   cfg->image_dir);
	else if (st.st_mode & S_IROTH)
		check_line(r, CHECK_WARN, "image_dir",
			   "%s can be listed by everyone (the names of private images): chmod o-r (berth-gatewayd does it for its own)",
			   cfg->image_dir);
	else
		check_line(r, CHECK_OK, "image_dir", "%s", cfg->image_dir);
}

static void check_munge(struct check_report *r)
{
	munge_ctx_t ctx = munge_ctx_create();
	const char *socket = getenv("BERTH_MUNGE_SOCKET");
	char *cred = NULL;
	munge_err_t merr = EMUNGE_NO_MEMORY;

	if (ctx && (!socket || !*socket || munge_ctx_set(ctx, MUNGE_OPT_SOCKET, socket) == EMUNGE_SUCCESS)) {
		merr = munge_encode(&cred, ctx, NULL, 0);
		if (merr == EMUNGE_SUCCESS)
			merr = munge_decode(cred, ctx, NULL, NULL, NULL, NULL);
	}
	if (merr == EMUNGE_SUCCESS)
		check_line(r, CHECK_OK, "munge", "a credential encodes and decodes");
	else
		check_line(r, CHECK_FAIL, "munge", "%s: start munged with the cluster's key",
			   ctx && munge_ctx_strerror(ctx) ? munge_ctx_strerror(ctx) : munge_strerror(merr));
	free(cred);
	if (ctx)
		munge_ctx_destroy(ctx);
}

static void check_gateway(struct check_report *r, struct helper *h)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_opts gw;
	char *json = NULL;

	if (helper_gateway(h, CHECK_GATEWAY_TIMEOUT_MS, &gw, &err) < 0 ||
	    berth_gateway_health(&gw, &json, &err) < 0)
		check_line(r, CHECK_FAIL, "gateway", "%s: check gateway_url in berth.conf and that berth-gatewayd runs",
			   err.msg);
	else
		check_line(r, CHECK_OK, "gateway", "%s answers", gw.url);
	free(json);
}

static int parse_role(int argc, char **argv, int *role)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	*role = ROLE_NODE | ROLE_LOGIN;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		if (c != 'r')
			return helper_usage_error("check", "usage: berth check [--role=node|login]");
		if (!strcmp(optarg, "node"))
			*role = ROLE_NODE;
		else if (!strcmp(optarg, "login"))
			*role = ROLE_LOGIN;
		else
			return helper_usage_error("check", "--role: \"node\" or \"login\"");
	}
	if (optind != argc)
		return helper_usage_error("check", "usage: berth check [--role=node|login]");
	return 0;
}

int cmd_check(struct helper *h, int argc, char **argv)
{
	struct check_report r = { .out = stdout };
	int role;
	bool conf_ok;

	if (parse_role(argc, argv, &role) != 0)
		return EXIT_USAGE;
	conf_ok = check_berth_conf(&r, h);
	check_slurm(&r);
	if (conf_ok)
		check_image_dir(&r, &h->cfg);
	check_munge(&r);
	if (role & ROLE_NODE)
		check_kernel(&r);
	if ((role & ROLE_LOGIN) && conf_ok)
		check_gateway(&r, h);
	printf("%u ok, %u warnings, %u failed\n", r.n_ok, r.n_warn, r.n_fail);
	return r.n_fail ? EXIT_ERROR : EXIT_OK;
}
