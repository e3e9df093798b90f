/*
 * spank_dispatch.c - entry points of the berth SPANK plugin (berth.so).
 * Every hook is a thin dispatcher on spank_context(); the work lives in the
 * per-context files (see spank_plugin.h).
 */
#include <stddef.h>
#include <string.h>

#include <slurm/spank.h>

#include "conf_parser.h"
#include "slurm_shim.h"
#include "spank_plugin.h"

SPANK_PLUGIN(berth, 1);

struct berth_spank_state berth_spank;

static const struct berth_conf_key spank_args_schema[] = {
	{ "enable_ccm", BERTH_CONF_BOOL, offsetof(struct berth_spank_args, enable_ccm), "no", 0, 0,
	  "register --ccm (Cray CCM emulation)" },
	{ "enable_sshd", BERTH_CONF_BOOL, offsetof(struct berth_spank_args, enable_sshd), "no", 0, 0,
	  "start a per-job sshd in the extern step" },
	{ "ssh_port", BERTH_CONF_UINT, offsetof(struct berth_spank_args, ssh_port), "1204", 1, 65535,
	  "port of the per-job sshd on every node" },
	{ "config", BERTH_CONF_PATH, offsetof(struct berth_spank_args, config), NULL, 0, 0,
	  "berth.conf path (default: beside slurm.conf)" },
	BERTH_CONF_END
};

static int parse_args(int ac, char **av, struct berth_error *err)
{
	if (berth_conf_defaults(spank_args_schema, &berth_spank.args, err) < 0)
		return -1;
	if (berth_conf_parse_args(spank_args_schema, &berth_spank.args, ac, av, err) < 0)
		return berth_error_prefix(err, "plugstack.conf arguments of berth.so");
	return 0;
}

/* Arguments and berth.conf, once per process.  Not every context calls
 * slurm_spank_init first (job_prolog runs alone), so every hook that needs
 * them calls this. */
static int setup(int ac, char **av)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (berth_spank.setup_done)
		return 0;
	berth_log_set_sink(berth_slurm_log_sink);
	memset(&berth_spank, 0, sizeof(berth_spank));
	/* Admin configuration errors stop every job: better than silently
	 * running without the options the site configured. */
	if (parse_args(ac, av, &err) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	if (berth_slurm_load_config(berth_spank.args.config, &berth_spank.config,
				    &berth_spank.config_error) == 0)
		berth_spank.config_loaded = true;
	/* --ccm runs jobs in the node's own system: only with the sshd it
	 * emulates CCM for, and only where the site allows local roots. */
	if (berth_spank.args.enable_ccm && !berth_spank.args.enable_sshd) {
		berth_err("plugstack.conf arguments of berth.so: enable_ccm=1 needs enable_sshd=1");
		return -1;
	}
	if (berth_spank.args.enable_ccm && berth_spank.config_loaded &&
	    !berth_spank.config.allow_local_root) {
		berth_err("plugstack.conf arguments of berth.so: enable_ccm=1 needs allow_local_root = yes in berth.conf");
		return -1;
	}
	berth_spank.setup_done = true;
	return 0;
}

int slurm_spank_init(spank_t sp, int ac, char **av)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (setup(ac, av) < 0)
		return -1;
	if (berth_spank_register_options(sp, &err) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	return 0;
}

int slurm_spank_init_post_opt(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	switch (spank_context()) {
	case S_CTX_LOCAL:
	case S_CTX_ALLOCATOR:
		return berth_spank_client_post_opt(sp);
	case S_CTX_REMOTE:
		return berth_spank_step_start(sp);
	default:
		return 0;
	}
}

int slurm_spank_job_prolog(spank_t sp, int ac, char **av)
{
	if (setup(ac, av) < 0)
		return -1;
	return berth_spank_job_prolog(sp);
}

int slurm_spank_job_epilog(spank_t sp, int ac, char **av)
{
	if (setup(ac, av) < 0)
		return -1;
	return berth_spank_job_epilog(sp);
}

int slurm_spank_task_post_fork(spank_t sp, int ac, char **av)
{
	if (spank_context() != S_CTX_REMOTE || setup(ac, av) < 0)
		return 0;
	return berth_spank_extern_post_fork(sp);
}

int slurm_spank_task_init_privileged(spank_t sp, int ac, char **av)
{
	if (setup(ac, av) < 0)
		return -1;
	return berth_spank_task_init_privileged(sp);
}

int slurm_spank_user_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	return berth_spank_step_user_init(sp);
}

int slurm_spank_task_init(spank_t sp, int ac, char **av)
{
	(void)ac;
	(void)av;
	return berth_spank_task_init(sp);
}

int slurm_spank_exit(spank_t sp, int ac, char **av)
{
	(void)sp;
	(void)ac;
	(void)av;
	berth_spank_step_end();
	berth_job_request_free(&berth_spank.request);
	if (berth_spank.config_loaded)
		berth_config_free(&berth_spank.config);
	berth_conf_free(spank_args_schema, &berth_spank.args);
	memset(&berth_spank, 0, sizeof(berth_spank));
	return 0;
}
