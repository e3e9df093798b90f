/*
 * gw_http_internal.h - shared by gw_http.c (MHD glue), gw_http_routes.c
 * (one handler per endpoint) and gw_http_json.c (bodies).
 */
#ifndef BERTH_GW_HTTP_INTERNAL_H_
#define BERTH_GW_HTTP_INTERNAL_H_

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <json-c/json.h>

#include "gw_auth.h"
#include "gw_http.h"
#include "gw_metrics.h"

#define GW_JSON_BODY_MAX  (64 * 1024)   /* larger JSON requests: 413 */
#define GW_LIST_NAMES_MAX 256           /* users/groups of one pull */

struct gw_request;
struct gw_http_ctx;

/* A handler fills req->reply; called once the body is complete. */
typedef void (*gw_handler_fn)(struct gw_http_ctx *ctx, struct gw_request *req);

enum gw_body_kind {
	GW_BODY_NONE,    /* GET */
	GW_BODY_JSON,    /* kept in memory, at most GW_JSON_BODY_MAX */
	GW_BODY_UPLOAD,  /* streamed into a file (import) */
};

struct gw_route {
	const char *path;
	const char *method;
	bool auth;                 /* munge credential required */
	enum gw_body_kind body;
	gw_handler_fn handler;
};

struct gw_reply {
	unsigned status;           /* 0: none yet */
	char *body;                /* malloc'd JSON text */
	char message[BERTH_ERROR_MSG_MAX];  /* error replies: for the log */
	int code;                  /* gw_service.h error code of the reply, 0 none */
};

/* One request (MHD's per-connection pointer). */
struct gw_request {
	const struct gw_route *route;
	struct MHD_Connection *conn;
	struct timespec started;
	char what[2 * BERTH_QUOTE_SIZE + 1];  /* "METHOD URL" for the log */
	bool decoded;              /* the credential was good (cred_uid known) */
	bool authenticated;        /* ... and caller is set */
	struct gw_caller caller;
	uid_t cred_uid;            /* whose credential it was (proxy or caller) */
	struct gw_registry_login login;
	bool has_login;
	char *body;                /* GW_BODY_JSON */
	size_t body_len;
	uint64_t received;         /* body bytes seen */
	uint64_t body_limit;
	bool too_large;
	int upload_fd;             /* GW_BODY_UPLOAD: -1 when closed */
	char upload_path[PATH_MAX];  /* "" once handed to gw_import */
	struct berth_image_ref ref;  /* import: from the query */
	struct gw_reply reply;
	struct gw_metrics *metrics;  /* the service's counters */
	bool counted;              /* its reply is in them */
	enum gw_lookup_result lookup_result;  /* a lookup answered 200 */
};

struct gw_http_ctx {
	const struct gw_config *cfg;
	struct gw_service *svc;
};

/* MHD's logger (cls: a struct gw_log_ctx, or NULL): logged at verbose
 * level; a connection closed on a connection limit is counted. */
struct gw_log_ctx {
	struct gw_metrics *metrics;
	enum gw_listener listener;
};
__attribute__((format(printf, 2, 0)))
void gw_http_mhd_log(void *cls, const char *fmt, va_list ap);
/* A listening TCP socket on addr (*port: the port bound); listen_text names
 * it in errors. */
int gw_http_open_listener(const struct sockaddr_storage *addr, socklen_t len, const char *listen_text,
			  unsigned *port, struct berth_error *err);

/* routes (gw_http_routes.c) */
const struct gw_route *gw_http_find_route(const char *url);
/* "GET", "POST": the methods of url's endpoint, for 405's Allow header. */
const char *gw_http_allowed(const char *url);
/* Checks before an upload is read (ref, role, temp file): fills req->reply
 * on failure. */
void gw_http_import_begin(struct gw_http_ctx *ctx, struct gw_request *req);

/* replies and bodies (gw_http_json.c) */
void gw_reply_json(struct gw_reply *reply, unsigned status, struct json_object *obj);
void gw_reply_error(struct gw_reply *reply, unsigned status, const char *message);
/* The error of a gw_service call, with its mapped status. */
void gw_reply_service_error(struct gw_reply *reply, const struct berth_error *err);
struct json_object *gw_json_record(const struct gw_image_record *rec);
struct json_object *gw_json_records(const struct gw_image_record *recs, size_t count);
struct json_object *gw_json_strings(char **items, size_t count);
/* The body as a JSON object whose keys are all in allowed (NULL-terminated). */
int gw_json_parse_object(const char *body, size_t len, const char *const *allowed,
			 struct json_object **out, struct berth_error *err);
/* A reference as the gateway serves it (docker: or id:). */
int gw_parse_ref(const char *text, struct berth_image_ref *ref, struct berth_error *err);
/* obj["ref"] parsed. */
int gw_json_ref(struct json_object *obj, struct berth_image_ref *ref, struct berth_error *err);
/* obj[key] (optional array of names or ids) -> malloc'd ids. */
int gw_json_uids(struct json_object *obj, const char *key, uid_t **out, size_t *count,
		 struct berth_error *err);
int gw_json_gids(struct json_object *obj, const char *key, gid_t **out, size_t *count,
		 struct berth_error *err);

#endif
