/*
 * cdi_spec.h - read CDI (Container Device Interface, spec 0.3.0 - 1.1.0)
 * spec files: JSON (json-c) or YAML (libyaml, one document, no aliases),
 * by the file name's extension (.json, .yaml).
 *
 * Every field of the specification is parsed and type-checked; an unknown
 * field, a wrong type, a cdiVersion berth does not know or one below what
 * the fields used need (CDI's minimum-version rules), a relative path, a
 * bad kind or device name or a duplicate device name is an error naming the
 * file and the field.  Whether berth can apply what was parsed (intelRdt,
 * netDevices, non-bind mounts, other hook stages are not) is decided when
 * devices are resolved (cdi.h), so one unusable device of a spec does not
 * hide the others.  Spec files are admin-written, but parsed as untrusted:
 * sizes and counts are bounded, a failure changes nothing.
 */
#ifndef BERTH_CDI_SPEC_H_
#define BERTH_CDI_SPEC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

#define BERTH_CDI_FILE_MAX   (4U << 20)  /* a spec file */
#define BERTH_CDI_ITEMS_MAX  4096        /* entries of any one list */
#define BERTH_CDI_DEPTH_MAX  16          /* nesting of a spec file */

struct berth_cdi_strings {
	char **items;
	size_t count;
};

struct berth_cdi_device_node {
	char *path;            /* in the container */
	char *host_path;       /* or NULL: path */
	char type;             /* 'c', 'b', 'u', 'p', or 0: the host node's */
	bool has_major, has_minor, has_mode, has_uid, has_gid;
	int64_t major, minor;
	uint32_t mode;         /* fileMode: permission bits */
	char *permissions;     /* cgroup permissions (r, w, m) or NULL */
	uint32_t uid, gid;
};

struct berth_cdi_mount {
	char *host_path;
	char *container_path;
	char *type;            /* or NULL */
	struct berth_cdi_strings options;
};

struct berth_cdi_hook {
	char *name;            /* OCI stage: createContainer, ... */
	char *path;
	struct berth_cdi_strings args, env;
	bool has_timeout;
	int timeout;           /* seconds, > 0 */
};

struct berth_cdi_edits {
	struct berth_cdi_strings env;
	struct berth_cdi_device_node *nodes;
	size_t n_nodes;
	struct berth_cdi_mount *mounts;
	size_t n_mounts;
	struct berth_cdi_hook *hooks;
	size_t n_hooks;
	uint32_t *gids;
	size_t n_gids;
	bool intel_rdt;        /* present (berth cannot apply it) */
	size_t n_net_devices;  /* present (berth cannot apply them) */
};

struct berth_cdi_device {
	char *name;
	struct berth_cdi_edits edits;
};

struct berth_cdi_spec {
	char *file;            /* where it was read */
	char *version;
	char *kind;
	struct berth_cdi_device *devices;
	size_t n_devices;
	struct berth_cdi_edits edits;   /* spec level */
};

/* Parse text (len bytes; is_yaml: YAML, else JSON) read from file (for
 * messages).  On error spec is left zeroed. */
int berth_cdi_spec_parse(const char *text, size_t len, bool is_yaml, const char *file,
			 struct berth_cdi_spec *spec, struct berth_error *err);

/* Read and parse path: a regular file of at most BERTH_CDI_FILE_MAX bytes,
 * owned by owner (root: spec files name programs root runs) and writable
 * by nobody else; YAML unless the name ends in ".json". */
int berth_cdi_spec_load(const char *path, unsigned owner, struct berth_cdi_spec *spec,
			struct berth_error *err);

void berth_cdi_spec_free(struct berth_cdi_spec *spec);

/* YAML (one document) to the json-c tree of the same shape: plain scalars
 * true/false, null/~ and integers (decimal, 0x, 0o, YAML 1.1's leading-0
 * octal) typed, everything else a string; aliases, several documents,
 * non-scalar or duplicate keys and more than BERTH_CDI_DEPTH_MAX levels are
 * errors.  *out: a new json_object (json_object_put it). */
struct json_object;
int berth_cdi_yaml_to_json(const char *text, size_t len, struct json_object **out,
			   struct berth_error *err);

#endif
