/*
 * image_ref.h - parse and format image references given with --image.
 *
 * Accepted forms (TYPE is "docker", "id" or "local"):
 *   docker:ubuntu                       -> docker.io/library/ubuntu:latest
 *   docker:repo:tag
 *   docker:registry.example:5000/ns/repo:tag
 *   repo@sha256:<64 hex>                (no tag; default type applies)
 *   repo:tag@sha256:<64 hex>            (tag kept for display, digest wins)
 *   id:sha256:<64 hex>  or  id:<64 hex> (an image already in the image dir)
 *   local:/abs/path                     (a squashfs or directory on the node)
 * A reference without a known TYPE prefix gets the configured default type.
 *
 * Docker normalisation: a first path component containing '.' or ':' or
 * equal to "localhost" is a registry; otherwise the registry is docker.io and
 * a single-component repository gets "library/".  A missing tag and digest
 * means tag "latest".
 *
 * Everything else is rejected with a message that names the bad part, e.g.
 *   repository "Ubuntu": must be lowercase
 * Also rejected: whitespace, control and non-ASCII characters anywhere;
 * registry/repository longer than 255 characters after normalisation (as
 * docker); a docker name of 64 hex digits (an image id: use "id:"); a digest
 * other than sha256 or with uppercase hex; "local:" with a relative path, a
 * ".." component, naming "/", or longer than 1018 characters (so that
 * "local:<path>" stays within BERTH_IMAGE_REF_MAX).  A known TYPE prefix
 * always wins, so a registry host called "docker", "id" or "local" needs an
 * explicit "docker:" prefix.
 */
#ifndef BERTH_IMAGE_REF_H_
#define BERTH_IMAGE_REF_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_error.h"

#define BERTH_IMAGE_REF_MAX      1024  /* longest accepted input */
#define BERTH_REGISTRY_MAX       256
#define BERTH_REPOSITORY_MAX     256
#define BERTH_TAG_MAX            128
#define BERTH_DIGEST_LEN         71    /* "sha256:" + 64 hex */
#define BERTH_LOCAL_PATH_MAX     4096

enum berth_image_type {
	BERTH_IMAGE_DOCKER = 0,
	BERTH_IMAGE_ID,
	BERTH_IMAGE_LOCAL,
};

struct berth_image_ref {
	enum berth_image_type type;
	char registry[BERTH_REGISTRY_MAX + 1];     /* docker: "docker.io", "reg.example:5000" */
	char repository[BERTH_REPOSITORY_MAX + 1]; /* docker: "library/ubuntu" */
	char tag[BERTH_TAG_MAX + 1];               /* docker: "" when only a digest was given */
	char digest[BERTH_DIGEST_LEN + 1];         /* "sha256:<hex>" or "" (docker, id) */
	char path[BERTH_LOCAL_PATH_MAX];           /* local: normalised absolute path */
};

/* Name of a type ("docker", ...) and the reverse; the reverse returns -1 for
 * an unknown name. */
const char *berth_image_type_name(enum berth_image_type type);
int berth_image_type_from_name(const char *name, enum berth_image_type *type);

/* Parse text.  On failure *ref is unspecified and err names the bad part. */
int berth_image_ref_parse(const char *text, enum berth_image_type default_type,
			  struct berth_image_ref *ref, struct berth_error *err);

/* Canonical text: "docker:docker.io/library/ubuntu:latest",
 * "docker:reg:5000/ns/r:tag@sha256:...", "docker:docker.io/library/r@sha256:...",
 * "id:sha256:...", "local:/path".  Returns -1 (and sets err, code ENOSPC) if
 * buf is too small.  Parsing the result gives the same ref. */
int berth_image_ref_format(const struct berth_image_ref *ref, char *buf, size_t size,
			   struct berth_error *err);

/* true if text is "sha256:" followed by exactly 64 lowercase hex digits. */
bool berth_digest_valid(const char *text);

#define BERTH_SHA256_SIZE 32

/* "sha256:<64 lowercase hex>" of a raw SHA-256 value (the one encoder of
 * digests: registry blobs, imports, manifests). */
void berth_digest_format(const unsigned char md[BERTH_SHA256_SIZE], char out[BERTH_DIGEST_LEN + 1]);

#endif
