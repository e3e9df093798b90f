/*
 * berth_conf.h - the keys of berth.conf (site configuration read by the
 * plugins on every node and on the controller).  Documented in
 * doc/berth.conf.5.  Found beside slurm.conf unless a plugin argument
 * config=PATH says otherwise.
 */
#ifndef BERTH_CONF_H_
#define BERTH_CONF_H_

#include <stdbool.h>
#include <stdint.h>

#include "berth_error.h"
#include "conf_parser.h"
#include "image_ref.h"

/* auto_pull: an image the gateway does not have READY at submission is
 * refused (NO), pulled and still refused (YES), or pulled while the job
 * waits held in the queue (WAIT, doc/image-wait.md). */
enum berth_auto_pull {
	BERTH_AUTO_PULL_NO = 0,
	BERTH_AUTO_PULL_YES,
	BERTH_AUTO_PULL_WAIT,
};

/* "no"/"yes"/"wait" (and the boolean words of berth_parse_bool) -> *out;
 * -1 with EINVAL otherwise. */
int berth_auto_pull_from_name(const char *text, enum berth_auto_pull *out);
const char *berth_auto_pull_name(enum berth_auto_pull value);

struct berth_config {
	char *image_dir;              /* shared dir with <digest>.sqfs + .json */
	char *state_dir;              /* node-local, root-only per-job state */
	char *gateway_url;            /* http://host:port of berth-gatewayd */
	char *gateway_socket;         /* its proxy_socket (trusted proxy requests), "" none */
	char *default_image_type;     /* type for refs without a prefix */
	uint64_t lookup_timeout_ms;   /* hard limit for a gateway lookup */
	uint64_t lookup_cache_ttl_ms; /* job_submit: how long a tag's digest is reused */
	char *auto_pull_text;         /* "no", "yes" or "wait" (bool words too) */
	char *site_fs;                /* site mounts, volume syntax */
	char *forbidden_destinations; /* comma-separated, refused as --volume DST */
	bool writable_overlay;        /* tmpfs upper over the image */
	unsigned max_volumes;         /* per job */
	bool allow_local_root;        /* --ccm: containers from the host's / */
	char *env_keep;               /* NAME[*],... the job's value beats the image's */
	char *env_drop;               /* NAME[*],... removed from tasks */
	char *env_set;                /* NAME=value;... set in tasks */
	char *modules_dir;            /* <dir>/<NAME>.conf for --module */
	char *cdi_spec_dirs;          /* CDI spec directories, ':'-separated, later wins */
	char *cdi_gres;               /* "gpu=vendor.com/class": Slurm's GPUs as CDI devices */
	char *cdi_user_kinds;         /* kinds users may name with --device ("*": any) */
	uint64_t cdi_hook_timeout_ms; /* a CDI hook without its own timeout */
	/* derived */
	enum berth_image_type default_type;
	enum berth_auto_pull auto_pull; /* job_submit: what an image that is not READY gets */
	char cdi_gpu_kind[256];       /* from cdi_gres; "" off */
};

extern const struct berth_conf_key berth_config_schema[];

/* Defaults, then path (missing file is an error unless missing_ok). */
int berth_config_load(const char *path, bool missing_ok, struct berth_config *cfg,
		      struct berth_error *err);
void berth_config_free(struct berth_config *cfg);

struct berth_env_rules;

/* The task environment rules of env_keep, env_set, the modules' env
 * (module_env, may be NULL) and env_drop, in that order (see env_rules.h).
 * out NULL: only check them. */
int berth_config_env_rules(const struct berth_config *cfg, const char *module_env,
			   struct berth_env_rules *out, struct berth_error *err);

#define BERTH_DEFAULT_CONF "/etc/slurm/berth.conf"

/* The one place that says which berth.conf a process reads, into buf:
 *   1. explicit_path (plugstack argument, --config, berth.config), if given;
 *   2. clients only (slurm_conf_path NULL): $BERTH_CONF;
 *   3. berth.conf beside slurm_conf_path (the daemon's slurm.conf), or for
 *      clients beside $SLURM_CONF;
 *   4. BERTH_DEFAULT_CONF.
 * *missing_ok: the file may be missing (3 and 4: defaults apply); 1 and 2
 * name a file that must exist. */
int berth_config_find(const char *explicit_path, const char *slurm_conf_path, char *buf,
		      size_t size, bool *missing_ok, struct berth_error *err);

/* "<dir of slurm_conf_path>/berth.conf" into buf. */
int berth_config_path_beside(const char *slurm_conf_path, char *buf, size_t size,
			     struct berth_error *err);

#endif
