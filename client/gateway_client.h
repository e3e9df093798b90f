/*
 * gateway_client.h - the client side of berth-gatewayd's HTTP API
 * (doc/gateway-api.md), shared by job_submit_berth.so (slurmctld), the SPANK
 * plugin (srun, for steps inside an allocation), the Lua module and the
 * `berth` helper.  libcurl + libmunge; built into client/libberth_client.la.
 *
 * Every call makes one HTTP request with a fresh munge credential and is
 * bounded by opts->timeout_ms in total (connect included): it never hangs.
 * The credential is made first and counts against that budget; the one
 * wait outside curl's control is libmunge's own retrying of a munged
 * socket that refuses connections (a crashed munged: about 2 s).
 * Thread-safe (CURLOPT_NOSIGNAL); no global state beyond curl_global_init
 * (done once, under a pthread_once).  No proxy is used for the gateway
 * (slurmctld's environment may carry an http_proxy meant for something
 * else) unless BERTH_GATEWAY_PROXY names one.  Replies are bounded (1 MiB,
 * 16 MiB for lists) and parsed strictly: a field of the wrong type, a string
 * too long for its buffer, an unknown status or a bad digest make the reply
 * "not what the API says" (EIO); messages from the gateway are sanitised.
 * Link client/libberth_client.la before common/libberth_common.la.
 *
 * Errors (struct berth_error): one line, meant for the user, e.g.
 *   image gateway http://10.77.0.1:7050 unreachable: Connection refused
 *   image gateway http://10.77.0.1:7050 did not answer within 2000 ms
 *   image "docker:docker.io/library/nope:latest" not found
 *   image gateway: <the gateway's {"error"} text>
 * and err->code:
 *   ENOENT 404, EINVAL 400, EACCES 401, EPERM 403, EBUSY 409, EFBIG 413,
 *   EAGAIN 503, EREMOTEIO 502, EIO 500 or a reply that is not what the API
 *   says, ETIMEDOUT timeout, ECONNREFUSED/EHOSTUNREACH not reachable,
 *   ENOTCONN no munge credential (munged not running), EINVAL also for a
 *   bad opts->url, ENOMEM.
 */
#ifndef BERTH_GATEWAY_CLIENT_H_
#define BERTH_GATEWAY_CLIENT_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_error.h"
#include "image_ref.h"

#define BERTH_GW_STATUS_MAX 16

struct berth_gateway_opts {
	const char *url;           /* "http://host:port" (berth.conf gateway_url) */
	long timeout_ms;           /* whole request; 0 = 2000 */
	const char *munge_socket;  /* NULL = libmunge default */
	bool on_behalf;            /* send x-berth-on-behalf-of: uid (trusted proxy) */
	uid_t uid;                 /* the uid asked for when on_behalf */
	const char *socket;        /* NULL or "": TCP to url; else this UNIX socket
				      (the gateway's proxy_socket; url still names the host) */
};

struct berth_gateway_image {
	char ref[BERTH_IMAGE_REF_MAX + 128];
	char digest[BERTH_DIGEST_LEN + 1];
	char status[BERTH_GW_STATUS_MAX];     /* "READY", ... as sent */
	char message[BERTH_ERROR_MSG_MAX];
	bool is_private;
	uint64_t size, download_size;
	int64_t created, last_pull, last_lookup;
	/* optional: a READY image whose tag is being re-pulled to this digest
	 * (it stays READY with the old digest until that pull is READY) */
	char pending_digest[BERTH_DIGEST_LEN + 1];
	char phase[16];
	uint32_t layers_total, layers_done;
	uint64_t bytes_total, bytes_done;
};

struct berth_gateway_login {
	const char *username;
	const char *password;
};

/* In-progress statuses: INIT PENDING PULLING CONVERTING. */
bool berth_gateway_status_in_progress(const char *status);

/* ref_text is sent as given (the gateway parses it again). */
int berth_gateway_lookup(const struct berth_gateway_opts *opts, const char *ref_text,
			 struct berth_gateway_image *out, struct berth_error *err);

/* *accepted: 202 (work in progress) vs 200 (already READY).  users/groups:
 * NULL-terminated name lists or NULL; login NULL for anonymous. */
int berth_gateway_pull(const struct berth_gateway_opts *opts, const char *ref_text,
		       const char *const *users, const char *const *groups,
		       const struct berth_gateway_login *login,
		       struct berth_gateway_image *out, bool *accepted, struct berth_error *err);

int berth_gateway_status(const struct berth_gateway_opts *opts, const char *ref_text,
			 struct berth_gateway_image *out, struct berth_error *err);

/* in_progress_only: GET /status without ref; else GET /list.  free(*out). */
int berth_gateway_list(const struct berth_gateway_opts *opts, bool in_progress_only,
		       struct berth_gateway_image **out, size_t *count, struct berth_error *err);

/* Upload the tar at archive_path for docker:localhost/NAME[:TAG] (the
 * upload counts against opts->timeout_ms: give it a generous one). */
int berth_gateway_import(const struct berth_gateway_opts *opts, const char *ref_text,
			 const char *archive_path, struct berth_gateway_image *out,
			 struct berth_error *err);

/* *expired: malloc'd array of malloc'd strings (berth_gateway_strings_free). */
int berth_gateway_expire(const struct berth_gateway_opts *opts, const char *ref_text,
			 char ***expired, size_t *count, struct berth_error *err);
int berth_gateway_autoexpire(const struct berth_gateway_opts *opts, char ***expired,
			     size_t *count, struct berth_error *err);

void berth_gateway_strings_free(char **list, size_t count);

/* GET /api/v1/health, the raw JSON body into *json (free()). */
int berth_gateway_health(const struct berth_gateway_opts *opts, char **json,
			 struct berth_error *err);

#endif
