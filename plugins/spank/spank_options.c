/*
 * spank_options.c - the options berth adds to sbatch, salloc and srun.
 *
 * Registered with spank_option_register() in every context (the static
 * option table is ignored in allocator context).  A callback validates its
 * value at once, so a bad value fails the command before anything is
 * submitted, with the reason on one line.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/spank.h>

#include "berth_log.h"
#include "spank_plugin.h"

enum berth_option_id {
	OPT_IMAGE = 1,
	OPT_VOLUME,
	OPT_MODULE,
	OPT_CCM,
	OPT_ENTRYPOINT,
	OPT_DEVICE,
};

static enum berth_image_type default_type(void)
{
	return berth_spank.config_loaded ? berth_spank.config.default_type : BERTH_IMAGE_DOCKER;
}

static int report(const char *option, const struct berth_error *err)
{
	berth_err("--%s: %s", option, err->msg);
	return -1;
}

static int apply_option(int id, const char *value, int remote)
{
	struct berth_job_request *req = &berth_spank.request;
	struct berth_error err = BERTH_ERROR_INIT;

	switch (id) {
	case OPT_IMAGE:
		if (berth_job_request_set_image(req, value, default_type(), &err) < 0)
			return report("image", &err);
		return 0;
	case OPT_VOLUME:
		/* Remote side: the value arrives twice (launch message, then
		 * environment) and is already the joined list: replace. */
		if (remote)
			berth_volume_list_free(&req->volumes);
		if (berth_job_request_add_volumes(req, value, &err) < 0)
			return report("volume", &err);
		return 0;
	case OPT_MODULE:
		if (berth_job_request_set_modules(req, value, &err) < 0)
			return report("module", &err);
		return 0;
	case OPT_CCM:
		req->ccm = true;
		return 0;
	case OPT_ENTRYPOINT:
		if (!value || !*value || !strcmp(value, "args"))
			berth_spank.entrypoint = BERTH_ENTRYPOINT_ARGS;
		else if (!strcmp(value, "image"))
			berth_spank.entrypoint = BERTH_ENTRYPOINT_IMAGE;
		else {
			berth_error_set(&err, EINVAL, "expected no value, \"args\" or \"image\", got \"%.64s\"",
					value);
			return report("entrypoint", &err);
		}
		return 0;
	case OPT_DEVICE: {
		struct berth_cdi_names names = BERTH_CDI_NAMES_INIT;

		/* the remote side sees the value twice: replace */
		if (berth_cdi_names_add(&names, value, &err) < 0)
			return report("device", &err);
		if (berth_spank.config_loaded &&
		    berth_cdi_user_allowed(berth_spank.config.cdi_user_kinds, &names, &err) < 0) {
			berth_cdi_names_free(&names);
			return report("device", &err);
		}
		berth_cdi_names_free(&berth_spank.user_devices);
		berth_spank.user_devices = names;
		return 0;
	}
	default:
		return -1;
	}
}

void berth_spank_option_given(int id, const char *value)
{
	uint64_t h = berth_spank.given.hash ^ (uint64_t)(unsigned)id;

	h *= 1099511628211ULL;
	for (const char *p = value ? value : ""; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	berth_spank.given.hash = (h ^ 0xff) * 1099511628211ULL;   /* end of value */
	berth_spank.given.count++;
}

static int option_callback(int val, const char *optarg, int remote)
{
	if (!remote)
		berth_spank_option_given(val, optarg);
	if (val != OPT_CCM && val != OPT_ENTRYPOINT && (!optarg || !*optarg)) {
		berth_err("an option of berth needs a value");
		return -1;
	}
	return apply_option(val, optarg, remote);
}

static struct spank_option berth_options[] = {
	{ (char *)"image", (char *)"IMAGE",
	  (char *)"run the job in container image IMAGE (docker:repo[:tag], repo@sha256:..., id:<digest>); "
		  "pinned to a digest at submission",
	  1, OPT_IMAGE, option_callback },
	{ (char *)"volume", (char *)"SRC:DST[:ro|rw|rec]",
	  (char *)"bind SRC on the host at DST in the container; repeatable, or several separated by ';'",
	  1, OPT_VOLUME, option_callback },
	{ (char *)"device", (char *)"VENDOR/CLASS=NAME[,...]",
	  (char *)"CDI devices in the container (e.g. nvidia.com/gpu=all), of the kinds the site allows",
	  1, OPT_DEVICE, option_callback },
	{ (char *)"module", (char *)"NAME[,NAME...]",
	  (char *)"site container modules to enable (e.g. mpich, gpu); 'none' for none",
	  1, OPT_MODULE, option_callback },
	{ (char *)"entrypoint", (char *)"[image]",
	  (char *)"run the image's Entrypoint with the step's command as its arguments; =image: "
		  "the image's Entrypoint and Cmd instead of the command (srun steps)",
	  2, OPT_ENTRYPOINT, option_callback },
};

static struct spank_option berth_ccm_option = {
	(char *)"ccm", NULL,
	(char *)"run the job in the node's own system with a per-job sshd (Cray CCM emulation)",
	0, OPT_CCM, option_callback
};

int berth_spank_register_options(spank_t sp, struct berth_error *err)
{
	spank_err_t rc;

	for (size_t i = 0; i < sizeof(berth_options) / sizeof(berth_options[0]); i++) {
		rc = spank_option_register(sp, &berth_options[i]);
		if (rc != ESPANK_SUCCESS)
			return berth_error_set(err, rc, "cannot register --%s: %s", berth_options[i].name,
					       spank_strerror(rc));
	}
	if (berth_spank.args.enable_ccm) {
		rc = spank_option_register(sp, &berth_ccm_option);
		if (rc != ESPANK_SUCCESS)
			return berth_error_set(err, rc, "cannot register --ccm: %s", spank_strerror(rc));
	}
	return 0;
}
