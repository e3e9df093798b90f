/*
 * gw_http_json.c - JSON bodies of the gateway API: image records, error
 * replies, request objects (doc/gateway-api.md).
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_http_internal.h"

#define NAME_BUF_SIZE 16384
#define JSON_FLAGS (JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)

/* ---- replies ---------------------------------------------------------- */
void gw_reply_json(struct gw_reply *reply, unsigned status, struct json_object *obj)
{
	const char *text = obj ? json_object_to_json_string_ext(obj, JSON_FLAGS) : NULL;

	free(reply->body);
	reply->body = text ? strdup(text) : NULL;
	reply->status = reply->body ? status : 500;
	json_object_put(obj);
}

void gw_reply_error(struct gw_reply *reply, unsigned status, const char *message)
{
	struct json_object *obj = json_object_new_object();

	snprintf(reply->message, sizeof(reply->message), "%s", message);
	berth_error_sanitize(reply->message);
	reply->code = 0;
	if (obj)
		json_object_object_add(obj, "error", json_object_new_string(reply->message));
	gw_reply_json(reply, status, obj);
}

void gw_reply_service_error(struct gw_reply *reply, const struct berth_error *err)
{
	gw_reply_error(reply, gw_http_status_for_error(err->code),
		       err->msg[0] ? err->msg : "internal error");
	reply->code = err->code;
}

unsigned gw_http_status_for_error(int code)
{
	switch (code) {
	case EINVAL:
		return 400;
	case ENOENT:
		return 404;
	case EPERM:
		return 403;
	case EBUSY:
		return 409;
	case EAGAIN:
	case ESHUTDOWN:
		return 503;
	case EHOSTUNREACH:
	case ECONNREFUSED:
	case ETIMEDOUT:
	case EPROTO:
	case EBADMSG:
		return 502;
	default:
		return 500;
	}
}

/* ---- records ---------------------------------------------------------- */
static void add_string(struct json_object *obj, const char *key, const char *val)
{
	json_object_object_add(obj, key, json_object_new_string(val));
}

static void add_int(struct json_object *obj, const char *key, int64_t val)
{
	json_object_object_add(obj, key, json_object_new_int64(val));
}

static bool in_progress(enum gw_status status)
{
	return status != GW_STATUS_READY && status != GW_STATUS_FAILURE &&
	       status != GW_STATUS_EXPIRED;
}

static struct json_object *progress_json(const struct gw_progress *p)
{
	struct json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	add_string(obj, "phase", p->phase);
	add_int(obj, "layers_total", p->layers_total);
	add_int(obj, "layers_done", p->layers_done);
	add_int(obj, "bytes_total", (int64_t)p->bytes_total);
	add_int(obj, "bytes_done", (int64_t)p->bytes_done);
	return obj;
}

struct json_object *gw_json_record(const struct gw_image_record *rec)
{
	struct json_object *obj = json_object_new_object();

	if (!obj)
		return NULL;
	add_string(obj, "ref", rec->ref);
	add_string(obj, "digest", rec->digest);
	add_string(obj, "status", gw_status_name(rec->status));
	add_string(obj, "message", rec->message);
	json_object_object_add(obj, "private", json_object_new_boolean(rec->is_private));
	add_int(obj, "size", (int64_t)rec->size);
	add_int(obj, "download_size", (int64_t)rec->download_size);
	add_int(obj, "created", rec->created);
	add_int(obj, "last_pull", rec->last_pull);
	add_int(obj, "last_lookup", rec->last_lookup);
	if (rec->pending_digest[0])
		add_string(obj, "pending_digest", rec->pending_digest);
	if (in_progress(rec->status) || rec->pending_digest[0])
		json_object_object_add(obj, "progress", progress_json(&rec->progress));
	return obj;
}

struct json_object *gw_json_records(const struct gw_image_record *recs, size_t count)
{
	struct json_object *obj = json_object_new_object();
	struct json_object *arr = json_object_new_array();
	size_t i;

	if (!obj || !arr) {
		json_object_put(obj);
		json_object_put(arr);
		return NULL;
	}
	for (i = 0; i < count; i++)
		json_object_array_add(arr, gw_json_record(&recs[i]));
	json_object_object_add(obj, "images", arr);
	return obj;
}

struct json_object *gw_json_strings(char **items, size_t count)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; arr && i < count; i++)
		json_object_array_add(arr, json_object_new_string(items[i]));
	return arr;
}

/* ---- requests --------------------------------------------------------- */
static bool key_allowed(const char *key, const char *const *allowed)
{
	for (; *allowed; allowed++)
		if (!strcmp(key, *allowed))
			return true;
	return false;
}

int gw_json_parse_object(const char *body, size_t len, const char *const *allowed,
			 struct json_object **out, struct berth_error *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	char quoted[BERTH_QUOTE_SIZE];
	size_t end;

	*out = NULL;
	if (!body || len == 0)
		return berth_error_set(err, EINVAL, "empty body: expected a JSON object");
	if (memchr(body, '\0', len))
		return berth_error_set(err, EINVAL, "body is not JSON: NUL byte");
	tok = json_tokener_new();
	if (!tok)
		return berth_error_set(err, ENOMEM, "out of memory");
	obj = json_tokener_parse_ex(tok, body, (int)len);
	end = json_tokener_get_parse_end(tok);
	while (obj && end < len && strchr(" \t\r\n", body[end]))
		end++;
	if (!obj || end != len) {
		enum json_tokener_error e = json_tokener_get_error(tok);

		json_tokener_free(tok);
		json_object_put(obj);
		return berth_error_set(err, EINVAL, "body is not JSON: %s",
				       obj ? "text after the value" :
				       e == json_tokener_continue ? "unexpected end" :
				       json_tokener_error_desc(e));
	}
	json_tokener_free(tok);
	if (!json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		return berth_error_set(err, EINVAL, "body is not a JSON object");
	}
	json_object_object_foreach(obj, key, val) {
		(void)val;
		if (!key_allowed(key, allowed)) {
			berth_error_set(err, EINVAL, "unknown field \"%s\"",
					berth_error_quote(quoted, key, strlen(key)));
			json_object_put(obj);
			return -1;
		}
	}
	*out = obj;
	return 0;
}

int gw_parse_ref(const char *text, struct berth_image_ref *ref, struct berth_error *err)
{
	if (berth_image_ref_parse(text, BERTH_IMAGE_DOCKER, ref, err) < 0)
		return berth_error_prefix(err, "ref");
	if (ref->type == BERTH_IMAGE_LOCAL)
		return berth_error_set(err, EINVAL,
				       "ref: local: images are on the nodes, not in the gateway");
	return 0;
}

int gw_json_ref(struct json_object *obj, struct berth_image_ref *ref, struct berth_error *err)
{
	struct json_object *val;

	if (!json_object_object_get_ex(obj, "ref", &val))
		return berth_error_set(err, EINVAL, "field \"ref\" missing");
	if (!json_object_is_type(val, json_type_string))
		return berth_error_set(err, EINVAL, "field \"ref\" must be a string");
	if (strlen(json_object_get_string(val)) != (size_t)json_object_get_string_len(val))
		return berth_error_set(err, EINVAL, "ref: NUL byte");
	return gw_parse_ref(json_object_get_string(val), ref, err);
}

/* A numeric id ("2002" or 2002) or a name, for users (is_user) or groups. */
static int id_from_json(struct json_object *val, bool is_user, unsigned *id, char *buf,
			struct berth_error *err)
{
	const char *what = is_user ? "user" : "group";
	char quoted[BERTH_QUOTE_SIZE];
	const char *text;
	char *end;
	unsigned long v;

	if (json_object_is_type(val, json_type_int)) {
		int64_t n = json_object_get_int64(val);

		if (n < 0 || n >= (int64_t)(uid_t)-1)
			return berth_error_set(err, EINVAL, "%s id %lld out of range", what, (long long)n);
		*id = (unsigned)n;
		return 0;
	}
	if (!json_object_is_type(val, json_type_string))
		return berth_error_set(err, EINVAL, "%s: expected a name or a number", what);
	text = json_object_get_string(val);
	if (*text >= '0' && *text <= '9') {
		errno = 0;
		v = strtoul(text, &end, 10);
		if (errno || *end || v >= (unsigned long)(uid_t)-1)
			return berth_error_set(err, EINVAL, "bad %s id \"%s\"", what,
					       berth_error_quote(quoted, text, strlen(text)));
		*id = (unsigned)v;
		return 0;
	}
	if (is_user) {
		struct passwd pw, *res = NULL;

		if (getpwnam_r(text, &pw, buf, NAME_BUF_SIZE, &res) == 0 && res) {
			*id = res->pw_uid;
			return 0;
		}
	} else {
		struct group gr, *res = NULL;

		if (getgrnam_r(text, &gr, buf, NAME_BUF_SIZE, &res) == 0 && res) {
			*id = res->gr_gid;
			return 0;
		}
	}
	return berth_error_set(err, EINVAL, "unknown %s \"%s\"", what,
			       berth_error_quote(quoted, text, strlen(text)));
}

static int json_ids(struct json_object *obj, const char *key, bool is_user, unsigned **out,
		    size_t *count, struct berth_error *err)
{
	struct json_object *arr;
	char *buf;
	size_t i, n;

	*out = NULL;
	*count = 0;
	if (!json_object_object_get_ex(obj, key, &arr) || json_object_is_type(arr, json_type_null))
		return 0;
	if (!json_object_is_type(arr, json_type_array))
		return berth_error_set(err, EINVAL, "field \"%s\" must be an array", key);
	n = json_object_array_length(arr);
	if (n > GW_LIST_NAMES_MAX)
		return berth_error_set(err, EINVAL, "field \"%s\": more than %d entries", key,
				       GW_LIST_NAMES_MAX);
	if (n == 0)
		return 0;
	buf = malloc(NAME_BUF_SIZE);
	*out = calloc(n, sizeof(**out));
	if (!buf || !*out) {
		free(buf);
		free(*out);
		*out = NULL;
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		if (id_from_json(json_object_array_get_idx(arr, i), is_user, &(*out)[i], buf, err) < 0) {
			free(buf);
			free(*out);
			*out = NULL;
			return berth_error_prefix(err, "%s", key);
		}
	}
	free(buf);
	*count = n;
	return 0;
}

_Static_assert(sizeof(uid_t) == sizeof(unsigned) && sizeof(gid_t) == sizeof(unsigned),
	       "uid_t and gid_t are unsigned int");

int gw_json_uids(struct json_object *obj, const char *key, uid_t **out, size_t *count,
		 struct berth_error *err)
{
	return json_ids(obj, key, true, (unsigned **)out, count, err);
}

int gw_json_gids(struct json_object *obj, const char *key, gid_t **out, size_t *count,
		 struct berth_error *err)
{
	return json_ids(obj, key, false, (unsigned **)out, count, err);
}
