/*
 * cdi.h - CDI devices for a step's container: find the requested devices
 * in the spec directories and turn their containerEdits into what berth
 * applies (see cdi_spec.h for the files themselves).
 *
 * Spec directories: berth.conf cdi_spec_dirs, ':'-separated; a device
 * defined in a later directory wins over an earlier one's (CDI: /etc/cdi
 * then /var/run/cdi); the same device in two files of one directory is a
 * conflict (an error when it is requested).  Files: *.json, *.yaml.  A
 * file that does not load is left out; it is named in the error when a
 * requested device is then not found.  "kind=all" is the spec's device
 * "all" if it has one, else every device of the kind.
 *
 * What is applied, and how:
 *   env            set in every task, after the image's Env and the site's
 *                  rules (a spec's value wins), in spec order
 *   deviceNodes    made with mknod in the step's own /dev tmpfs (path must
 *                  be under /dev); type, major, minor and mode taken from
 *                  the host node (hostPath, else path) where the spec has
 *                  none; uid/gid default 0; permissions (cgroup) are left
 *                  to Slurm's device cgroup (ConstrainDevices)
 *   mounts         bind mounts (type "bind"/"none"/absent, or options with
 *                  bind or rbind), like berth.conf site_fs: ro, rbind
 *                  (recursive); nosuid and nodev always; propagation
 *                  options ignored (the tree is private); any other type or
 *                  option is refused
 *   hooks          createContainer: once per step, as root, in the step's
 *                  mount namespace once its tree is built, with the OCI
 *                  state (root = the tree) on stdin; startContainer: once
 *                  per step, as the job's user, chrooted into the tree;
 *                  timeout: the hook's, else berth.conf cdi_hook_timeout;
 *                  a failing hook fails the step.  Other stages are refused
 *   additionalGids Slurm sets the tasks' groups after berth's hook, so
 *                  berth cannot add groups: kept in the step, and a GID the
 *                  job's user lacks is named in a warning
 *   intelRdt, netDevices   refused (the device cannot be given)
 *   annotations    ignored (informational)
 */
#ifndef BERTH_CDI_H_
#define BERTH_CDI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"
#include "cdi_name.h"
#include "cdi_spec.h"
#include "container_tree.h"
#include "volume.h"

enum berth_cdi_stage {
	BERTH_CDI_CREATE_CONTAINER,
	BERTH_CDI_START_CONTAINER,
};

struct berth_cdi_run_hook {
	enum berth_cdi_stage stage;
	char **argv;           /* NULL-terminated; argv[0] the path to exec */
	char **envp;           /* NULL-terminated */
	unsigned timeout_s;    /* 0: the caller's default */
};

/* Everything a step gets from its CDI devices; self-contained (copies). */
struct berth_cdi_step {
	struct berth_cdi_names names;       /* the devices, qualified */
	struct berth_cdi_strings env;
	struct berth_tree_device *devices;
	size_t n_devices;
	struct berth_volume_list mounts;
	struct berth_cdi_run_hook *hooks;
	size_t n_hooks;
	uint32_t *gids;
	size_t n_gids;
};

#define BERTH_CDI_STEP_INIT { BERTH_CDI_NAMES_INIT, { NULL, 0 }, NULL, 0, BERTH_VOLUME_LIST_INIT, NULL, 0, NULL, 0 }

/* Resolve names (qualified) against the spec files of dirs, owned by
 * owner.  out must be BERTH_CDI_STEP_INIT; left so on error. */
int berth_cdi_resolve(const char *dirs, unsigned owner, const struct berth_cdi_names *names,
		      struct berth_cdi_step *out, struct berth_error *err);

void berth_cdi_step_free(struct berth_cdi_step *step);

/* Run the hooks of stage, in order, from the current (the step's) mount
 * namespace; root: the container tree; id: the OCI state's id.  As uid/gid
 * (groups: the job's) for startContainer, chrooted into root. */
int berth_cdi_run_hooks(const struct berth_cdi_step *step, enum berth_cdi_stage stage, const char *root,
			const char *id, unsigned default_timeout_s, uid_t uid, gid_t gid,
			const gid_t *groups, size_t ngroups, struct berth_error *err);

/* The OCI state JSON handed to hooks on stdin (malloc'd). */
char *berth_cdi_state_json(const char *id, const char *status, int pid, const char *root);

#endif
