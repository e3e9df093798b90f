/*
 * image_meta.h - the image metadata file <image_dir>/<digest>.json.
 *
 * The gateway writes it beside <digest>.sqfs from the image's OCI config
 * (berth_image_meta_from_oci_config + berth_image_meta_write); every task of
 * a job reads it (berth_image_meta_load) to build the environment and pick
 * the working directory.  Its content comes from the image author and is
 * untrusted: everything is checked on load, and the writer refuses what the
 * loader would reject.
 *
 * Format (one JSON object, at most BERTH_IMAGE_META_FILE_MAX bytes):
 *
 *   {
 *     "schema": 1,                              required, the integer 1
 *     "digest": "sha256:<64 lowercase hex>",    required
 *     "env": ["PATH=/usr/bin:/bin", "K=V"],     NAME=value, NAME matching
 *                                               [A-Za-z_][A-Za-z0-9_]*, each
 *                                               NAME at most once
 *     "entrypoint": ["/bin/sh", "-c"],          strings
 *     "cmd": ["echo hi"],                       strings
 *     "workdir": "/",                           an absolute path
 *     "user": "1000:1000",                      printable, as in the image
 *     "labels": {"k": "v"},                     string values, keys not empty
 *     "created": "2024-01-01T00:00:00Z"         printable
 *   }
 *
 * Every key but "schema" and "digest" is optional; null, an empty list and
 * an empty workdir, user or created mean absent.  No string may contain a
 * NUL byte; JSON nested deeper than 32 levels is refused.  Keys this
 * reader does not know are ignored, so a newer gateway may add optional
 * keys; a change an older reader must not ignore increments "schema".  The writer omits absent
 * values and empty lists.
 */
#ifndef BERTH_IMAGE_META_H_
#define BERTH_IMAGE_META_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

#define BERTH_IMAGE_META_SCHEMA     1
#define BERTH_IMAGE_META_FILE_MAX   (1024 * 1024)        /* bytes of the .json file */
#define BERTH_IMAGE_META_CONFIG_MAX (16 * 1024 * 1024)   /* bytes of an OCI config blob */
#define BERTH_IMAGE_META_ENV_MAX    1024                 /* env entries */
#define BERTH_IMAGE_META_ARGS_MAX   1024                 /* entrypoint or cmd entries */
#define BERTH_IMAGE_META_LABELS_MAX 1024
#define BERTH_IMAGE_META_STRING_MAX 65536                /* bytes of any one string */
#define BERTH_IMAGE_META_PATH_MAX   4095                 /* bytes of workdir */
#define BERTH_IMAGE_META_SHORT_MAX  256                  /* bytes of user, created */
#define BERTH_ENV_NAME_MAX          255                  /* bytes of a variable name */

struct berth_image_label {
	char *key;
	char *value;
};

/* String lists are NULL-terminated (list[count] == NULL), so env, entrypoint
 * and cmd can be handed to execve-like calls as they are. */
struct berth_image_meta {
	unsigned schema;
	char *digest;             /* "sha256:<hex>" */
	char **env;               /* "NAME=value" */
	size_t env_count;
	char **entrypoint;
	size_t entrypoint_count;
	char **cmd;
	size_t cmd_count;
	char *workdir;            /* absolute, or NULL: not set */
	char *user;               /* or NULL */
	struct berth_image_label *labels;
	size_t label_count;
	char *created;            /* or NULL */
};

#define BERTH_IMAGE_META_INIT { 0 }

/* Read and check the metadata file at path (a regular file of at most
 * BERTH_IMAGE_META_FILE_MAX bytes).  Messages start with
 * `image metadata "<path>": `.  The caller compares m->digest with the
 * digest it expects. */
int berth_image_meta_load(const char *path, struct berth_image_meta *m, struct berth_error *err);

/* Parse and check a metadata document of len bytes. */
int berth_image_meta_parse(const char *json, size_t len, struct berth_image_meta *m,
			   struct berth_error *err);

/* Build metadata from an OCI image config blob (application/vnd.oci.image.
 * config.v1+json): config.Env, Entrypoint, Cmd, WorkingDir, User, Labels
 * and the top-level "created".  Missing or null fields (and "config" itself)
 * are absent; an empty WorkingDir or User is absent.  digest is the image's
 * digest, checked like "digest" above.  Messages name the field as in the
 * blob ("config.Env[2] ..."). */
int berth_image_meta_from_oci_config(const char *json, size_t len, const char *digest,
				     struct berth_image_meta *m, struct berth_error *err);

/* Check m as berth_image_meta_parse would check its document. */
int berth_image_meta_check(const struct berth_image_meta *m, struct berth_error *err);

/* Serialise m (checked first) as one line of JSON, malloc'd into *out
 * (NUL-terminated, *len bytes without the NUL; len may be NULL). */
int berth_image_meta_to_json(const struct berth_image_meta *m, char **out, size_t *len,
			     struct berth_error *err);

/* Write m to path atomically (path.tmp.XXXXXX, fsync, rename) with mode:
 * the gateway publishes it 0600 and opens it (0644) once the image is known
 * to be public (image_access.h); tasks read it as root. */
int berth_image_meta_write(const struct berth_image_meta *m, const char *path, mode_t mode,
			   struct berth_error *err);

/* Value of NAME in m->env, or NULL. */
const char *berth_image_meta_getenv(const struct berth_image_meta *m, const char *name);

/* true if name is [A-Za-z_][A-Za-z0-9_]* of 1..BERTH_ENV_NAME_MAX bytes
 * (len bytes of name are looked at). */
bool berth_env_name_valid(const char *name, size_t len);

/* Free what m holds and reset it to BERTH_IMAGE_META_INIT; m may be NULL. */
void berth_image_meta_free(struct berth_image_meta *m);

#endif
