/*
 * gw_http_routes.c - the endpoints of doc/gateway-api.md: parse the request,
 * call the core (gw_service.h), build the reply.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "berth_log.h"
#include "gw_http_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif

static void handle_health(struct gw_http_ctx *ctx, struct gw_request *req)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *c = json_object_new_object();
	struct gw_counters n;

	memset(&n, 0, sizeof(n));
	gw_get_counters(ctx->svc, &n);
	if (!obj || !c) {
		json_object_put(obj);
		json_object_put(c);
		gw_reply_error(&req->reply, 500, "out of memory");
		return;
	}
	json_object_object_add(obj, "status", json_object_new_string("ok"));
	json_object_object_add(obj, "version", json_object_new_string(PACKAGE_VERSION));
	json_object_object_add(obj, "workers", json_object_new_int64(n.workers));
	json_object_object_add(obj, "queued", json_object_new_int64(n.queued));
	json_object_object_add(obj, "active", json_object_new_int64(n.active));
	json_object_object_add(c, "lookups", json_object_new_int64((int64_t)n.lookups));
	json_object_object_add(c, "pulls", json_object_new_int64((int64_t)n.pulls));
	json_object_object_add(c, "manifest_fetches", json_object_new_int64((int64_t)n.manifest_fetches));
	json_object_object_add(c, "blob_downloads", json_object_new_int64((int64_t)n.blob_downloads));
	json_object_object_add(c, "layer_cache_hits", json_object_new_int64((int64_t)n.layer_cache_hits));
	json_object_object_add(c, "conversions", json_object_new_int64((int64_t)n.conversions));
	json_object_object_add(c, "failures", json_object_new_int64((int64_t)n.failures));
	json_object_object_add(c, "layerset_links", json_object_new_int64((int64_t)n.layerset_links));
	json_object_object_add(c, "layerset_copies", json_object_new_int64((int64_t)n.layerset_copies));
	json_object_object_add(obj, "counters", c);
	gw_reply_json(&req->reply, 200, obj);
}

/* The body {"ref": ...} (plus extra allowed keys) -> obj and ref. */
static int ref_body(struct gw_request *req, const char *const *allowed, struct json_object **obj,
		    struct berth_image_ref *ref, struct berth_error *err)
{
	if (gw_json_parse_object(req->body, req->body_len, allowed, obj, err) < 0)
		return -1;
	if (gw_json_ref(*obj, ref, err) < 0) {
		json_object_put(*obj);
		*obj = NULL;
		return -1;
	}
	return 0;
}

static void handle_lookup(struct gw_http_ctx *ctx, struct gw_request *req)
{
	static const char *const allowed[] = { "ref", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_image_record rec;
	struct json_object *obj;

	if (ref_body(req, allowed, &obj, &req->ref, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	json_object_put(obj);
	if (gw_lookup(ctx->svc, &req->caller, &req->ref, &rec, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	req->lookup_result = rec.status == GW_STATUS_READY ? GW_LOOKUP_READY :
			     rec.status == GW_STATUS_FAILURE || rec.status == GW_STATUS_EXPIRED ?
			     GW_LOOKUP_FAILED : GW_LOOKUP_IN_PROGRESS;
	gw_reply_json(&req->reply, 200, gw_json_record(&rec));
}

static void handle_pull(struct gw_http_ctx *ctx, struct gw_request *req)
{
	static const char *const allowed[] = { "ref", "users", "groups", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_pull_request preq;
	struct gw_image_record rec;
	struct json_object *obj;
	uid_t *users = NULL;
	gid_t *groups = NULL;
	bool accepted = false;
	int rc;

	memset(&preq, 0, sizeof(preq));
	if (ref_body(req, allowed, &obj, &req->ref, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	if (req->ref.type != BERTH_IMAGE_DOCKER) {
		json_object_put(obj);
		gw_reply_error(&req->reply, 400, "ref: only docker: images can be pulled");
		return;
	}
	if (gw_json_uids(obj, "users", &users, &preq.nusers, &err) < 0 ||
	    gw_json_gids(obj, "groups", &groups, &preq.ngroups, &err) < 0) {
		json_object_put(obj);
		free(users);
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	json_object_put(obj);
	preq.users = users;
	preq.groups = groups;
	preq.login = req->has_login ? &req->login : NULL;
	rc = gw_pull(ctx->svc, &req->caller, &req->ref, &preq, &rec, &accepted, &err);
	gw_auth_wipe(&req->login, sizeof(req->login));
	req->has_login = false;
	free(users);
	free(groups);
	if (rc < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	gw_reply_json(&req->reply, accepted ? 202 : 200, gw_json_record(&rec));
}

/* The ?ref= query argument: NULL when absent; "" is an error. */
static int query_ref(struct gw_request *req, bool *present, struct berth_error *err)
{
	const char *text = MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, "ref");

	*present = text != NULL;
	if (!text)
		return 0;
	if (!*text)
		return berth_error_set(err, EINVAL, "query parameter \"ref\" is empty");
	return gw_parse_ref(text, &req->ref, err);
}

static void reply_list(struct gw_http_ctx *ctx, struct gw_request *req, bool in_progress_only)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_image_record *recs = NULL;
	size_t count = 0;

	if (gw_list(ctx->svc, &req->caller, in_progress_only, &recs, &count, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	gw_reply_json(&req->reply, 200, gw_json_records(recs, count));
	free(recs);
}

static void handle_status(struct gw_http_ctx *ctx, struct gw_request *req)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_image_record rec;
	bool present;

	if (query_ref(req, &present, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	if (!present) {
		reply_list(ctx, req, true);
		return;
	}
	if (gw_status(ctx->svc, &req->caller, &req->ref, &rec, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	gw_reply_json(&req->reply, 200, gw_json_record(&rec));
}

static void handle_list(struct gw_http_ctx *ctx, struct gw_request *req)
{
	reply_list(ctx, req, false);
}

static void reply_expired(struct gw_request *req, int rc, char **expired, size_t count,
			  const struct berth_error *err)
{
	struct json_object *obj;
	size_t i;

	if (rc < 0) {
		gw_reply_service_error(&req->reply, err);
	} else {
		obj = json_object_new_object();
		if (obj)
			json_object_object_add(obj, "expired", gw_json_strings(expired, count));
		gw_reply_json(&req->reply, 200, obj);
	}
	for (i = 0; expired && i < count; i++)
		free(expired[i]);
	free(expired);
}

static void handle_expire(struct gw_http_ctx *ctx, struct gw_request *req)
{
	static const char *const allowed[] = { "ref", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj;
	char **expired = NULL;
	size_t count = 0;
	int rc;

	if (ref_body(req, allowed, &obj, &req->ref, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	json_object_put(obj);
	rc = gw_expire(ctx->svc, &req->caller, &req->ref, &expired, &count, &err);
	reply_expired(req, rc, expired, count, &err);
}

static void handle_autoexpire(struct gw_http_ctx *ctx, struct gw_request *req)
{
	static const char *const allowed[] = { NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct json_object *obj = NULL;
	char **expired = NULL;
	size_t count = 0;
	int rc;

	/* an empty body is taken as {} */
	if (req->body_len && gw_json_parse_object(req->body, req->body_len, allowed, &obj, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	json_object_put(obj);
	rc = gw_autoexpire(ctx->svc, &req->caller, &expired, &count, &err);
	reply_expired(req, rc, expired, count, &err);
}

void gw_http_import_begin(struct gw_http_ctx *ctx, struct gw_request *req)
{
	struct berth_error err = BERTH_ERROR_INIT;
	bool present;
	int fd;

	if (!req->caller.importer) {
		snprintf(err.msg, sizeof(err.msg), "uid %u may not import images (not in import_uids)",
			 (unsigned)req->caller.uid);
		gw_reply_error(&req->reply, 403, err.msg);
		return;
	}
	if (query_ref(req, &present, &err) < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	if (!present) {
		gw_reply_error(&req->reply, 400, "query parameter \"ref\" missing");
		return;
	}
	if (req->ref.type != BERTH_IMAGE_DOCKER || strcmp(req->ref.registry, "localhost") ||
	    req->ref.digest[0]) {
		gw_reply_error(&req->reply, 400,
			       "ref: imported images are named docker:localhost/NAME[:TAG]");
		return;
	}
	snprintf(req->upload_path, sizeof(req->upload_path), "%s/upload.XXXXXX",
		 gw_service_tmp_dir(ctx->svc));
	fd = mkostemp(req->upload_path, O_CLOEXEC);   /* O_EXCL, mode 0600 */
	if (fd < 0) {
		berth_err("import: cannot create a file in %s: %s", gw_service_tmp_dir(ctx->svc),
			  strerror(errno));
		req->upload_path[0] = '\0';
		gw_reply_error(&req->reply, 500, "cannot store the upload");
		return;
	}
	req->upload_fd = fd;
}

static void handle_import(struct gw_http_ctx *ctx, struct gw_request *req)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_image_record rec;
	int rc;

	rc = close(req->upload_fd);
	req->upload_fd = -1;
	if (rc < 0) {
		berth_err("import: writing %s: %s", req->upload_path, strerror(errno));
		gw_reply_error(&req->reply, 500, "cannot store the upload");
		return;
	}
	if (req->received == 0) {
		gw_reply_error(&req->reply, 400, "empty body: expected a tar archive");
		return;
	}
	/* the service owns (and removes) the file from here on */
	rc = gw_import(ctx->svc, &req->caller, &req->ref, req->upload_path, &rec, &err);
	req->upload_path[0] = '\0';
	if (rc < 0) {
		gw_reply_service_error(&req->reply, &err);
		return;
	}
	gw_reply_json(&req->reply, 202, gw_json_record(&rec));
}

#define API "/api/v1/"
static const struct gw_route routes[] = {
	{ API "health", "GET", false, GW_BODY_NONE, handle_health },
	{ API "lookup", "POST", true, GW_BODY_JSON, handle_lookup },
	{ API "pull", "POST", true, GW_BODY_JSON, handle_pull },
	{ API "status", "GET", true, GW_BODY_NONE, handle_status },
	{ API "list", "GET", true, GW_BODY_NONE, handle_list },
	{ API "import", "POST", true, GW_BODY_UPLOAD, handle_import },
	{ API "expire", "POST", true, GW_BODY_JSON, handle_expire },
	{ API "autoexpire", "POST", true, GW_BODY_JSON, handle_autoexpire },
};

const struct gw_route *gw_http_find_route(const char *url)
{
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (!strcmp(url, routes[i].path))
			return &routes[i];
	return NULL;
}

const char *gw_http_allowed(const char *url)
{
	const struct gw_route *route = gw_http_find_route(url);

	return route ? route->method : "";
}
