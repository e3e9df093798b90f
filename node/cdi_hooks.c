/*
 * cdi_hooks.c - run a step's CDI hooks (see cdi.h) through berth_run, with
 * the OCI state on stdin.  NVIDIA's nvidia-cdi-hook reads the container's
 * root from the state's "root" (it needs no config.json).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "cdi.h"
#include "run.h"

#define HOOK_OUTPUT_SHOWN 200

char *berth_cdi_state_json(const char *id, const char *status, int pid, const char *root)
{
	struct json_object *state = json_object_new_object();
	char *text = NULL;

	if (!state)
		return NULL;
	json_object_object_add(state, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(state, "id", json_object_new_string(id));
	json_object_object_add(state, "status", json_object_new_string(status));
	json_object_object_add(state, "pid", json_object_new_int(pid));
	/* "bundle" is required by OCI; berth has no bundle directory: the
	 * root's parent holds the step's state */
	json_object_object_add(state, "bundle", json_object_new_string(root));
	json_object_object_add(state, "root", json_object_new_string(root));
	json_object_object_add(state, "annotations", json_object_new_object());
	text = strdup(json_object_to_json_string_ext(state, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(state);
	return text;
}

/* startContainer: the path resolves in the container. */
static int enter_root(void *arg)
{
	const char *root = arg;

	if (chdir(root) < 0 || chroot(".") < 0 || chdir("/") < 0)
		return -1;
	return 0;
}

static int run_one(const struct berth_cdi_run_hook *h, const char *root, const char *state,
		   unsigned default_timeout_s, uid_t uid, gid_t gid, const gid_t *groups, size_t ngroups,
		   struct berth_error *err)
{
	bool start = h->stage == BERTH_CDI_START_CONTAINER;
	struct berth_run_spec spec = {
		.argv = (const char *const *)h->argv,
		.envp = (const char *const *)h->envp,
		.as_user = start,
		.uid = uid,
		.gid = gid,
		.groups = groups,
		.ngroups = ngroups,
		.timeout_ms = 1000U * (h->timeout_s ? h->timeout_s : default_timeout_s),
		.capture = true,
		.capture_max = 4096,
		.child_setup = start ? enter_root : NULL,
		.child_arg = (void *)root,
		.stdin_data = state,
		.stdin_len = strlen(state),
	};
	struct berth_run_result result;
	char shown[HOOK_OUTPUT_SHOWN + 1];
	int rc = berth_run(&spec, &result, err);

	if (rc == 0 && result.exit_status != 0) {
		snprintf(shown, sizeof(shown), "%s", result.output ? result.output : "");
		shown[strcspn(shown, "\n")] = '\0';
		berth_error_sanitize(shown);
		rc = berth_error_set(err, EIO, "\"%s\": exit status %d%s%s", h->argv[0], result.exit_status,
				     shown[0] ? ": " : "", shown);
	}
	berth_run_result_free(&result);
	return rc;
}

int berth_cdi_run_hooks(const struct berth_cdi_step *step, enum berth_cdi_stage stage, const char *root,
			const char *id, unsigned default_timeout_s, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups, struct berth_error *err)
{
	const char *name = stage == BERTH_CDI_CREATE_CONTAINER ? "createContainer" : "startContainer";
	char *state = NULL;
	int rc = 0;

	for (size_t i = 0; rc == 0 && i < step->n_hooks; i++) {
		const struct berth_cdi_run_hook *h = &step->hooks[i];

		if (h->stage != stage)
			continue;
		if (!state && !(state = berth_cdi_state_json(id, stage == BERTH_CDI_CREATE_CONTAINER ?
							     "creating" : "created", (int)getpid(), root)))
			return berth_error_errno(err, ENOMEM, "OCI state");
		rc = run_one(h, root, state, default_timeout_s, uid, gid, groups, ngroups, err);
		if (rc < 0)
			berth_error_prefix(err, "CDI %s hook", name);
		else
			berth_debug("CDI %s hook %s done", name, h->argv[0]);
	}
	free(state);
	return rc;
}
