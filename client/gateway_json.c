/*
 * gateway_json.c - the gateway's JSON replies, read as untrusted input:
 * strict types, bounded strings, known statuses, valid digests.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway_client_int.h"
#include "json_ascii.h"

static const char *const known_status[] = {
	"INIT", "PENDING", "PULLING", "CONVERTING", "READY", "FAILURE", "EXPIRED", NULL,
};

bool berth_gateway_status_in_progress(const char *status)
{
	return status && (!strcmp(status, "INIT") || !strcmp(status, "PENDING") ||
			  !strcmp(status, "PULLING") || !strcmp(status, "CONVERTING"));
}

const char *berth_gw_shown(char *buf, size_t max, const char *text)
{
	size_t i;

	for (i = 0; text && text[i] && i < max; i++)
		buf[i] = (text[i] >= 0x20 && text[i] < 0x7f) ? text[i] : '?';
	buf[i] = '\0';
	if (text && text[i])
		memcpy(buf + i, "...", 4);
	return buf;
}

struct json_object *berth_gw_json_parse(const char *text, size_t len, struct berth_error *err)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	char *ascii = NULL;
	size_t end, ascii_len;

	if (!text || !len)
		return berth_error_set(err, EIO, "bad reply: empty body"), NULL;
	if (memchr(text, '\0', len))
		return berth_error_set(err, EIO, "bad reply: NUL byte in the body"), NULL;
	if (berth_json_ascii(text, len, &ascii, &ascii_len, err) < 0) {
		berth_error_prefix(err, "bad reply");
		err->code = EIO;   /* a bad reply, whatever in it was bad */
		return NULL;
	}
	if (ascii) {
		text = ascii;
		len = ascii_len;
	}
	tok = json_tokener_new_ex(BERTH_GW_JSON_DEPTH);
	if (!tok) {
		free(ascii);
		return berth_error_set(err, ENOMEM, "out of memory"), NULL;
	}
#ifdef JSON_TOKENER_VALIDATE_UTF8
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
#else
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
#endif
	obj = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	while (obj && jerr == json_tokener_success && end < len && strchr(" \t\r\n", text[end]))
		end++;
	free(ascii);
	if (!obj || jerr != json_tokener_success) {
		json_object_put(obj);
		return berth_error_set(err, EIO, "bad reply: %s",
				       jerr == json_tokener_continue ? "JSON cut short"
				       : json_tokener_error_desc(jerr)), NULL;
	}
	if (end != len) {
		json_object_put(obj);
		return berth_error_set(err, EIO, "bad reply: data after the JSON document"), NULL;
	}
	return obj;
}

/* A JSON string value into buf: not a string, too long or (printable)
 * anything outside printable ASCII is an error; otherwise sanitised. */
static int string_value(struct json_object *val, const char *key, bool printable,
			char *buf, size_t size, struct berth_error *err)
{
	const char *text;
	size_t len, i;

	buf[0] = '\0';
	if (!json_object_is_type(val, json_type_string))
		return berth_error_set(err, EIO, "bad reply: \"%s\" is not a string", key);
	text = json_object_get_string(val);
	len = (size_t)json_object_get_string_len(val);
	if (len >= size)
		return berth_error_set(err, EIO, "bad reply: \"%s\" is longer than %zu bytes",
				       key, size - 1);
	if (strlen(text) != len)
		return berth_error_set(err, EIO, "bad reply: \"%s\" holds a NUL byte", key);
	for (i = 0; printable && i < len; i++)
		if (text[i] < 0x20 || text[i] >= 0x7f)
			return berth_error_set(err, EIO,
					       "bad reply: \"%s\" holds a non-printable character", key);
	memcpy(buf, text, len + 1);
	if (!printable)
		berth_error_sanitize(buf);
	return 0;
}

/* A string member; missing (or null) is "" unless required. */
static int get_string(struct json_object *obj, const char *key, bool required, bool printable,
		      char *buf, size_t size, struct berth_error *err)
{
	struct json_object *val;

	buf[0] = '\0';
	if (!json_object_object_get_ex(obj, key, &val) || !val) {
		if (required)
			return berth_error_set(err, EIO, "bad reply: \"%s\" is missing", key);
		return 0;
	}
	return string_value(val, key, printable, buf, size, err);
}

/* A non-negative integer member (missing = 0) at most max. */
static int get_uint(struct json_object *obj, const char *key, uint64_t max, uint64_t *out,
		    struct berth_error *err)
{
	struct json_object *val;
	int64_t v;

	*out = 0;
	if (!json_object_object_get_ex(obj, key, &val) || !val)
		return 0;
	if (!json_object_is_type(val, json_type_int))
		return berth_error_set(err, EIO, "bad reply: \"%s\" is not an integer", key);
	v = json_object_get_int64(val);
	if (v == INT64_MAX) {
		/* json-c keeps values above INT64_MAX as uint64 */
		uint64_t u = json_object_get_uint64(val);

		if (u > max)
			return berth_error_set(err, EIO, "bad reply: \"%s\" is out of range", key);
		*out = u;
		return 0;
	}
	if (v < 0 || (uint64_t)v > max)
		return berth_error_set(err, EIO, "bad reply: \"%s\" is out of range", key);
	*out = (uint64_t)v;
	return 0;
}

static int get_time(struct json_object *obj, const char *key, int64_t *out,
		    struct berth_error *err)
{
	uint64_t v;

	if (get_uint(obj, key, INT64_MAX, &v, err) < 0)
		return -1;
	*out = (int64_t)v;
	return 0;
}

static int get_progress(struct json_object *obj, struct berth_gateway_image *out,
			struct berth_error *err)
{
	struct json_object *prog;
	uint64_t lt = 0, ld = 0;
	size_t i;

	if (!json_object_object_get_ex(obj, "progress", &prog) || !prog)
		return 0;
	if (!json_object_is_type(prog, json_type_object))
		return berth_error_set(err, EIO, "bad reply: \"progress\" is not an object");
	if (get_string(prog, "phase", false, true, out->phase, sizeof(out->phase), err) < 0)
		return -1;
	for (i = 0; out->phase[i]; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz_", out->phase[i]))
			return berth_error_set(err, EIO, "bad reply: \"phase\" is not a word");
	if (get_uint(prog, "layers_total", UINT32_MAX, &lt, err) < 0 ||
	    get_uint(prog, "layers_done", UINT32_MAX, &ld, err) < 0 ||
	    get_uint(prog, "bytes_total", UINT64_MAX, &out->bytes_total, err) < 0 ||
	    get_uint(prog, "bytes_done", UINT64_MAX, &out->bytes_done, err) < 0)
		return -1;
	out->layers_total = (uint32_t)lt;
	out->layers_done = (uint32_t)ld;
	return 0;
}

static int check_status_digest(struct berth_gateway_image *out, struct berth_error *err)
{
	size_t i;

	for (i = 0; known_status[i]; i++)
		if (!strcmp(out->status, known_status[i]))
			break;
	if (!known_status[i])
		return berth_error_set(err, EIO, "bad reply: unknown status \"%s\"", out->status);
	if (out->digest[0] && !berth_digest_valid(out->digest))
		return berth_error_set(err, EIO, "bad reply: \"digest\" is not a sha256 digest");
	if (out->pending_digest[0] && !berth_digest_valid(out->pending_digest))
		return berth_error_set(err, EIO, "bad reply: \"pending_digest\" is not a sha256 digest");
	if (!strcmp(out->status, "READY") && !out->digest[0])
		return berth_error_set(err, EIO, "bad reply: READY image without a digest");
	if (!out->ref[0])
		return berth_error_set(err, EIO, "bad reply: empty \"ref\"");
	return 0;
}

int berth_gw_record_from_json(struct json_object *obj, struct berth_gateway_image *out,
			      struct berth_error *err)
{
	struct json_object *val;

	memset(out, 0, sizeof(*out));
	if (!json_object_is_type(obj, json_type_object))
		return berth_error_set(err, EIO, "bad reply: image record is not an object");
	if (get_string(obj, "ref", true, true, out->ref, sizeof(out->ref), err) < 0 ||
	    get_string(obj, "digest", true, true, out->digest, sizeof(out->digest), err) < 0 ||
	    get_string(obj, "status", true, true, out->status, sizeof(out->status), err) < 0 ||
	    get_string(obj, "message", false, false, out->message, sizeof(out->message), err) < 0 ||
	    get_string(obj, "pending_digest", false, true, out->pending_digest,
		       sizeof(out->pending_digest), err) < 0 ||
	    check_status_digest(out, err) < 0)
		return -1;
	if (json_object_object_get_ex(obj, "private", &val) && val) {
		if (!json_object_is_type(val, json_type_boolean))
			return berth_error_set(err, EIO, "bad reply: \"private\" is not a boolean");
		out->is_private = json_object_get_boolean(val);
	}
	if (get_uint(obj, "size", UINT64_MAX, &out->size, err) < 0 ||
	    get_uint(obj, "download_size", UINT64_MAX, &out->download_size, err) < 0 ||
	    get_time(obj, "created", &out->created, err) < 0 ||
	    get_time(obj, "last_pull", &out->last_pull, err) < 0 ||
	    get_time(obj, "last_lookup", &out->last_lookup, err) < 0 ||
	    get_progress(obj, out, err) < 0)
		return -1;
	return 0;
}

int berth_gw_parse_record(const char *text, size_t len, struct berth_gateway_image *out,
			  struct berth_error *err)
{
	struct json_object *obj = berth_gw_json_parse(text, len, err);
	int rc;

	if (!obj)
		return -1;
	rc = berth_gw_record_from_json(obj, out, err);
	json_object_put(obj);
	return rc;
}

/* The array member key of a top-level object, at most max elements. */
static struct json_object *top_array(struct json_object *obj, const char *key, size_t max,
				     struct berth_error *err)
{
	struct json_object *arr;

	if (!json_object_is_type(obj, json_type_object) ||
	    !json_object_object_get_ex(obj, key, &arr) || !json_object_is_type(arr, json_type_array))
		return berth_error_set(err, EIO, "bad reply: no \"%s\" array", key), NULL;
	if (json_object_array_length(arr) > max)
		return berth_error_set(err, EIO, "bad reply: more than %zu \"%s\"", max, key), NULL;
	return arr;
}

int berth_gw_parse_list(const char *text, size_t len, struct berth_gateway_image **out,
			size_t *count, struct berth_error *err)
{
	struct json_object *obj, *arr;
	size_t i, n;
	int rc = -1;

	*out = NULL;
	*count = 0;
	obj = berth_gw_json_parse(text, len, err);
	if (!obj)
		return -1;
	arr = top_array(obj, "images", BERTH_GW_LIST_MAX, err);
	if (!arr)
		goto out;
	n = json_object_array_length(arr);
	if (n) {
		*out = calloc(n, sizeof(**out));
		if (!*out) {
			berth_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < n; i++)
		if (berth_gw_record_from_json(json_object_array_get_idx(arr, i), &(*out)[i], err) < 0) {
			berth_error_prefix(err, "image %zu", i + 1);
			free(*out);
			*out = NULL;
			goto out;
		}
	*count = n;
	rc = 0;
out:
	json_object_put(obj);
	return rc;
}

void berth_gateway_strings_free(char **list, size_t count)
{
	size_t i;

	for (i = 0; list && i < count; i++)
		free(list[i]);
	free(list);
}

int berth_gw_parse_expired(const char *text, size_t len, char ***out, size_t *count,
			   struct berth_error *err)
{
	struct json_object *obj, *arr;
	char ref[BERTH_IMAGE_REF_MAX + 128];
	size_t i, n;
	int rc = -1;

	*out = NULL;
	*count = 0;
	obj = berth_gw_json_parse(text, len, err);
	if (!obj)
		return -1;
	arr = top_array(obj, "expired", BERTH_GW_LIST_MAX, err);
	if (!arr)
		goto out;
	n = json_object_array_length(arr);
	*out = calloc(n + 1, sizeof(char *));
	if (!*out) {
		berth_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (string_value(json_object_array_get_idx(arr, i), "expired", true, ref,
				 sizeof(ref), err) < 0)
			break;
		if (!((*out)[i] = strdup(ref))) {
			berth_error_set(err, ENOMEM, "out of memory");
			break;
		}
		*count = i + 1;
	}
	if (i < n) {
		berth_gateway_strings_free(*out, *count);
		*out = NULL;
		*count = 0;
		rc = -1;
		goto out;
	}
	rc = 0;
out:
	json_object_put(obj);
	return rc;
}

void berth_gw_error_text(const char *text, size_t len, char *buf, size_t size)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct json_object *obj, *val;
	const char *msg;

	buf[0] = '\0';
	if (!size || !text || len > BERTH_GW_REPLY_MAX)
		return;
	obj = berth_gw_json_parse(text, len, &ignored);
	if (!obj)
		return;
	if (json_object_is_type(obj, json_type_object) &&
	    json_object_object_get_ex(obj, "error", &val) &&
	    json_object_is_type(val, json_type_string)) {
		msg = json_object_get_string(val);
		snprintf(buf, size, "%s", msg);
		berth_error_sanitize(buf);
	}
	json_object_put(obj);
}

/* Append text as a JSON string to buf at *pos; control characters are
 * refused (-1), bytes >= 0x80 pass as they are (UTF-8). */
static int append_json_string(char *buf, size_t size, size_t *pos, const char *text)
{
	const unsigned char *p;

	if (*pos + 2 >= size)
		return -1;
	buf[(*pos)++] = '"';
	for (p = (const unsigned char *)text; *p; p++) {
		if (*pos + 4 >= size || *p < 0x20 || *p == 0x7f)
			return -1;
		if (*p == '"' || *p == '\\')
			buf[(*pos)++] = '\\';
		buf[(*pos)++] = (char)*p;
	}
	buf[(*pos)++] = '"';
	buf[*pos] = '\0';
	return 0;
}

static int append_raw(char *buf, size_t size, size_t *pos, const char *text)
{
	size_t len = strlen(text);

	if (*pos + len >= size)
		return -1;
	memcpy(buf + *pos, text, len + 1);
	*pos += len;
	return 0;
}

char *berth_gw_login_payload(const struct berth_gateway_login *login, size_t *len,
			     struct berth_error *err)
{
	size_t size, pos = 0;
	char *buf;

	if (!login->username || !*login->username || !login->password)
		return berth_error_set(err, EINVAL, "registry login needs a username and a password"),
		       NULL;
	if (strlen(login->username) > 1024 || strlen(login->password) > 8192)
		return berth_error_set(err, EINVAL, "registry username or password too long"), NULL;
	/* every byte escapes to at most two */
	size = 2 * (strlen(login->username) + strlen(login->password)) + 64;
	buf = malloc(size);
	if (!buf)
		return berth_error_set(err, ENOMEM, "out of memory"), NULL;
	if (append_raw(buf, size, &pos, "{\"username\":") < 0 ||
	    append_json_string(buf, size, &pos, login->username) < 0 ||
	    append_raw(buf, size, &pos, ",\"password\":") < 0 ||
	    append_json_string(buf, size, &pos, login->password) < 0 ||
	    append_raw(buf, size, &pos, "}") < 0) {
		explicit_bzero(buf, size);
		free(buf);
		return berth_error_set(err, EINVAL,
				       "registry username or password holds a control character"),
		       NULL;
	}
	*len = pos;
	return buf;
}
