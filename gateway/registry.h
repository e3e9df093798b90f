/*
 * registry.h - the OCI distribution (Docker Registry HTTP API v2) client of
 * berth-gatewayd, the only part of berth that talks to registries.
 *
 * What it does:
 *   - manifests by tag or digest (OCI index, Docker manifest list, OCI
 *     manifest, Docker schema2 manifest); from an index it picks the
 *     configured platform and fetches that manifest by digest;
 *   - blobs streamed to an fd or a callback, with sha256 and size checked
 *     while streaming; the image config as a bounded, verified JSON blob;
 *   - auth: anonymous, Basic, and Bearer tokens (WWW-Authenticate challenge,
 *     token from the realm, cached per (registry, scope) until expiry);
 *   - retries with exponential backoff for connection errors, 429 and 5xx
 *     (never for other 4xx); timeouts; proxy from the environment
 *     (http_proxy, https_proxy, no_proxy: libcurl's defaults, not disabled).
 *
 * Trust: everything a registry sends is untrusted.  Every manifest and blob
 * is hashed here; the digest berth pins jobs to is the one computed from the
 * manifest bytes, never the Docker-Content-Digest header.  Redirects (to blob
 * storage) are followed by this code, not by libcurl, so that the registry's
 * Authorization header is sent only to the registry's own origin (scheme,
 * host, port); a redirect from https to http is refused.  Registries are
 * reached over https, except those listed as insecure (plain http).
 *
 * Threads: a client may be shared by any number of threads; each call uses
 * its own curl handle.  Only the token cache is shared (under a mutex).
 *
 * Errors (struct berth_error, see common/berth_error.h) start with
 * `registry HOST: repository "REPO": ` and name what failed, e.g.
 *   registry 127.0.0.1:15000: repository "busybox": manifest "latest" not found (404)
 *   registry r.example: repository "p/x": blob sha256:ab..: digest mismatch (got sha256:cd..)
 * err->code tells the caller (the gateway maps it to an HTTP status):
 *   ENOENT        manifest/blob not found (404), no manifest for the platform
 *   EACCES        unauthorized (401) or denied (403)
 *   EHOSTUNREACH  no HTTP answer (refused, timed out, reset, TLS failure,
 *                 not HTTP...): one message, "registry unreachable (details
 *                 in the gateway's log)", whatever happened, so that errors
 *                 do not tell open from closed ports; the detail is logged
 *   EIO           connection closed in the middle of a body
 *   EAGAIN        429 or 5xx still returned after the retries
 *   EBADMSG       digest or size mismatch, malformed manifest or JSON
 *   ENOTSUP       schema1, unsupported media type (layer, config, digest)
 *   EFBIG         a manifest or config over its bound
 *   EPROTO        protocol violation (bad redirect, bad challenge or token)
 *   EINVAL        bad arguments or options; ENOMEM
 */
#ifndef BERTH_REGISTRY_H_
#define BERTH_REGISTRY_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"
#include "image_ref.h"

struct json_object;

#define REGISTRY_MANIFEST_MAX     (4u << 20)   /* bytes of one manifest or index */
#define REGISTRY_CONFIG_MAX       (16u << 20)  /* bytes of an image config */
#define REGISTRY_LAYERS_MAX       1024
#define REGISTRY_MEDIA_TYPE_MAX   128
#define REGISTRY_PLATFORM_MAX     96           /* "os/architecture/variant" */
#define REGISTRY_USERNAME_MAX     256
#define REGISTRY_PASSWORD_MAX     1024

/* Media types understood (others are rejected with a message). */
#define REGISTRY_MT_OCI_INDEX        "application/vnd.oci.image.index.v1+json"
#define REGISTRY_MT_OCI_MANIFEST     "application/vnd.oci.image.manifest.v1+json"
#define REGISTRY_MT_OCI_CONFIG       "application/vnd.oci.image.config.v1+json"
#define REGISTRY_MT_DOCKER_LIST      "application/vnd.docker.distribution.manifest.list.v2+json"
#define REGISTRY_MT_DOCKER_MANIFEST  "application/vnd.docker.distribution.manifest.v2+json"
#define REGISTRY_MT_DOCKER_CONFIG    "application/vnd.docker.container.image.v1+json"

enum registry_compression {
	REGISTRY_COMPRESSION_NONE = 0,
	REGISTRY_COMPRESSION_GZIP,
	REGISTRY_COMPRESSION_ZSTD,
};

struct registry_descriptor {
	char media_type[REGISTRY_MEDIA_TYPE_MAX];
	char digest[BERTH_DIGEST_LEN + 1];         /* "sha256:<64 hex>" */
	uint64_t size;
	enum registry_compression compression;     /* layers; NONE for the config */
};

/* What registry_get_manifest() returns; free with registry_manifest_release(). */
struct registry_manifest {
	char digest[BERTH_DIGEST_LEN + 1];         /* sha256 of the manifest used: the image's identity */
	char index_digest[BERTH_DIGEST_LEN + 1];   /* the index/list it was chosen from, "" if none */
	char media_type[REGISTRY_MEDIA_TYPE_MAX];  /* OCI manifest or Docker schema2 */
	char platform[REGISTRY_PLATFORM_MAX];      /* chosen from the index ("linux/arm64/v8"), "" if none */
	struct registry_descriptor config;
	size_t nlayers;
	struct registry_descriptor *layers;        /* base layer first */
	char *raw;                                 /* the manifest bytes (NUL-terminated) */
	size_t raw_len;
};

struct registry_credentials {
	char username[REGISTRY_USERNAME_MAX];
	char password[REGISTRY_PASSWORD_MAX];
};

/* Look up credentials for a registry name as written in image references
 * ("docker.io", "reg.example:5000").  Fill *out and return 1, or return 0 for
 * anonymous access.  Called from any worker thread; the client wipes *out
 * after use. */
typedef int (*registry_credentials_fn)(void *arg, const char *registry,
				       struct registry_credentials *out);

struct registry_options {
	const char *platform;             /* "os/arch[/variant]"; default "linux/amd64" */
	const char *const *insecure;      /* NULL-terminated "host[:port]" reached over plain http */
	/* NULL-terminated "host[:port]" registries that may be used, "*": any
	 * registry at a public address (default: { "*" }).  A listed host may
	 * be at any address; others must be at public ones (checked at
	 * connect time).  Redirects and token realms off the registry's origin
	 * may go to hosts of allow or redirect_allow (or anywhere public with
	 * "*").  Refusals: EACCES, "not an allowed registry (registry_allow)". */
	const char *const *allow;
	const char *const *redirect_allow;  /* default NULL: none */
	const char *ca_file;              /* CA bundle for https; NULL: the system's */
	const char *user_agent;           /* default "berth-gatewayd/<version>" */
	long connect_timeout_ms;          /* per connection; default 10000 */
	long timeout_ms;                  /* whole request for manifests, configs, tokens; default 60000 */
	long blob_timeout_ms;             /* whole blob download; 0 (default): no limit */
	long low_speed_time_s;            /* abort a transfer under 1 KiB/s for this long; default 60 */
	unsigned int retries;             /* extra attempts after the first; default 3, at most 10 */
	long backoff_initial_ms;          /* first delay, doubled each retry; default 500 */
	long backoff_max_ms;              /* cap (also for Retry-After); default 10000 */
	registry_credentials_fn credentials;  /* NULL: always anonymous */
	void *credentials_arg;
};

struct registry_client;

/* Defaults into *opts; set what you need afterwards. */
void registry_options_init(struct registry_options *opts);

/* The options are copied; the client does not keep pointers into them
 * (except credentials_arg).  Initialises libcurl once per process. */
struct registry_client *registry_client_create(const struct registry_options *opts,
					       struct berth_error *err);
void registry_client_destroy(struct registry_client *client);

/* The manifest of ref (type docker) for the client's platform.  By digest
 * when ref->digest is set (the tag is then ignored), by tag otherwise. */
int registry_get_manifest(struct registry_client *client, const struct berth_image_ref *ref,
			  struct registry_manifest *out, struct berth_error *err);
void registry_manifest_release(struct registry_manifest *manifest);

/* Where a blob goes.  write() returns 0, or -1 with errno set (the download
 * then stops).  rewind() (optional) drops everything written so far so that a
 * download interrupted by a network error can start again; without it such a
 * download is retried only if nothing had been written yet. */
struct registry_sink {
	int (*write)(void *arg, const void *data, size_t len);
	int (*rewind)(void *arg);
	void *arg;
};

/* Stream blob `digest` of ref's repository into sink.  expected_size: the
 * size from the manifest, or -1 if unknown.  Fails (after the sink got some
 * data, possibly all of it) if the bytes do not hash to digest or are not
 * expected_size long: the caller discards what the sink holds. */
int registry_fetch_blob(struct registry_client *client, const struct berth_image_ref *ref,
			const char *digest, int64_t expected_size,
			const struct registry_sink *sink, struct berth_error *err);

/* registry_fetch_blob() into fd, written from its current offset; if fd is
 * seekable, a retry truncates it back to that offset. */
int registry_fetch_blob_fd(struct registry_client *client, const struct berth_image_ref *ref,
			   const char *digest, int64_t expected_size, int fd,
			   struct berth_error *err);

/* A small JSON blob (the image config, at most REGISTRY_CONFIG_MAX bytes),
 * verified like any blob, parsed into *json (json_object_put() it).  raw
 * (optional, may be NULL) receives the bytes, NUL-terminated (free() it). */
int registry_get_blob_json(struct registry_client *client, const struct berth_image_ref *ref,
			   const char *digest, int64_t expected_size, struct json_object **json,
			   char **raw, size_t *raw_len, struct berth_error *err);

/* Manifests and blobs refused by this process because their sha256 digest
 * or their size did not match (every client; the gateway's metrics). */
uint64_t registry_verify_failures(void);

#endif
