/*
 * job_request.c - see job_request.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "job_request.h"
#include "modules.h"

#define MODULE_NAME_SHOWN 32  /* bytes of a too long name quoted in the message */

int berth_job_request_set_image(struct berth_job_request *req, const char *text,
				enum berth_image_type default_type, struct berth_error *err)
{
	struct berth_image_ref ref;
	char *copy;

	if (berth_image_ref_parse(text, default_type, &ref, err) < 0)
		return -1;
	if (!(copy = strdup(text)))
		return berth_error_errno(err, ENOMEM, "--image");
	free(req->image_text);
	req->image_text = copy;
	req->image = ref;
	return 0;
}

int berth_job_request_add_volumes(struct berth_job_request *req, const char *spec,
				  struct berth_error *err)
{
	return berth_volume_parse(spec, &req->volumes, err);
}

static int module_name_check(const char *name, size_t len, struct berth_error *err)
{
	if (len == 0)
		return berth_error_set(err, EINVAL, "module list has an empty name");
	if (len > BERTH_MODULE_NAME_MAX) {
		char shown[MODULE_NAME_SHOWN + 1];

		memcpy(shown, name, MODULE_NAME_SHOWN);
		shown[MODULE_NAME_SHOWN] = '\0';
		berth_error_sanitize(shown);
		return berth_error_set(err, EINVAL, "module name \"%s...\": longer than %d characters",
				       shown, BERTH_MODULE_NAME_MAX);
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			  (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-' || c == '.'));
		if (!ok) {
			char shown[BERTH_MODULE_NAME_MAX + 1];
			memcpy(shown, name, len);
			shown[len] = '\0';
			berth_error_sanitize(shown);
			return berth_error_set(err, EINVAL, "module name \"%s\": invalid character at position %zu",
					       shown, i + 1);
		}
	}
	return 0;
}

int berth_job_request_set_modules(struct berth_job_request *req, const char *text,
				  struct berth_error *err)
{
	size_t count = 0;
	const char *p = text;
	char *copy;

	for (;;) {
		size_t len = strcspn(p, ",");
		if (module_name_check(p, len, err) < 0)
			return berth_error_prefix(err, "--module");
		if (++count > BERTH_MODULES_MAX)
			return berth_error_set(err, EINVAL, "--module: more than %d modules",
					       BERTH_MODULES_MAX);
		if (!p[len])
			break;
		p += len + 1;
	}
	if (!(copy = strdup(text)))
		return berth_error_errno(err, ENOMEM, "--module");
	free(req->modules);
	req->modules = copy;
	return 0;
}

int berth_job_request_check(const struct berth_job_request *req,
			    const struct berth_config *cfg, struct berth_error *err)
{
	if (req->ccm && req->image_text)
		return berth_error_set(err, EINVAL,
				       "--ccm and --image cannot be used together: --ccm runs the host's own system");
	if (req->volumes.count && !req->image_text && !req->ccm)
		return berth_error_set(err, EINVAL, "--volume needs --image (or --ccm)");
	if (req->modules && !req->image_text && !req->ccm)
		return berth_error_set(err, EINVAL, "--module needs --image (or --ccm)");
	if (cfg && req->volumes.count > cfg->max_volumes)
		return berth_error_set(err, EINVAL, "--volume: %zu volumes requested, this site allows %u",
				       req->volumes.count, cfg->max_volumes);
	if (cfg && req->modules) {
		struct berth_modules modules;

		if (berth_modules_load(cfg, req->modules, &modules, err) < 0)
			return -1;
		berth_modules_free(&modules);
	}
	return 0;
}

const char *berth_env_lookup(char *const *env, size_t n, const char *name)
{
	size_t len = strlen(name);

	if (!env)
		return NULL;
	for (size_t i = 0; i < n && env[i]; i++)
		if (strncmp(env[i], name, len) == 0 && env[i][len] == '=')
			return env[i] + len + 1;
	return NULL;
}

int berth_job_request_from_env(struct berth_job_request *req, char *const *env, size_t n,
			       const struct berth_config *cfg, struct berth_error *err)
{
	enum berth_image_type type = cfg ? cfg->default_type : BERTH_IMAGE_DOCKER;
	const char *value;

	if ((value = berth_env_lookup(env, n, BERTH_ENV_IMAGE)) && *value &&
	    berth_job_request_set_image(req, value, type, err) < 0)
		return berth_error_prefix(err, "--image");
	if ((value = berth_env_lookup(env, n, BERTH_ENV_VOLUME)) && *value &&
	    berth_job_request_add_volumes(req, value, err) < 0)
		return berth_error_prefix(err, "--volume");
	if ((value = berth_env_lookup(env, n, BERTH_ENV_MODULE)) && *value &&
	    berth_job_request_set_modules(req, value, err) < 0)
		return -1;
	/* A flag option travels with an empty value ("(null)" from some
	 * clients): presence is what counts. */
	if (berth_env_lookup(env, n, BERTH_ENV_CCM))
		req->ccm = true;
	return berth_job_request_check(req, cfg, err);
}

bool berth_job_request_empty(const struct berth_job_request *req)
{
	return !req->image_text && !req->volumes.count && !req->modules && !req->ccm;
}

int berth_job_request_check_oci(const struct berth_job_request *req, const char *bundle,
				struct berth_error *err)
{
	if (berth_job_request_empty(req) || !bundle || !bundle[0])
		return 0;
	return berth_error_set(err, EINVAL,
			       "--image, --volume, --module and --ccm cannot be combined with --container "
			       "(Slurm's own OCI containers): use one or the other");
}

int berth_job_request_check_het(const struct berth_job_request *req, bool heterogeneous,
				struct berth_error *err)
{
	if (!heterogeneous || berth_job_request_empty(req))
		return 0;
	return berth_error_set(err, EINVAL,
			       "--image, --volume, --module and --ccm are not supported in heterogeneous "
			       "jobs or steps (components separated by ':'): submit the components as "
			       "separate jobs");
}

void berth_job_request_free(struct berth_job_request *req)
{
	free(req->image_text);
	free(req->modules);
	berth_volume_list_free(&req->volumes);
	memset(req, 0, sizeof(*req));
}
