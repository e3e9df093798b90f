/*
 * image_meta.c - see image_meta.h.
 *
 * Two steps: extraction from JSON checks types, counts and NUL bytes (what a
 * struct cannot show), then berth_image_meta_check checks the values; the
 * writer runs the same check, so it never writes what the loader rejects.
 * Field names in messages are those of the document being read ("env[2]",
 * "config.Env[2]").
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "fs_util.h"
#include "image_meta.h"
#include "json_ascii.h"

#define SHOWN_MAX  BERTH_QUOTE_MAX            /* untrusted text quoted in a message */
#define SHOWN_SIZE BERTH_QUOTE_SIZE
#define DIGEST_PREFIX "sha256:"
#define DIGEST_HEX 64

struct field_names {
	const char *env, *entrypoint, *cmd, *workdir, *user, *labels, *created;
};

static const struct field_names meta_names = {
	"env", "entrypoint", "cmd", "workdir", "user", "labels", "created",
};

static const struct field_names oci_names = {
	"config.Env", "config.Entrypoint", "config.Cmd", "config.WorkingDir", "config.User",
	"config.Labels", "created",
};

bool berth_env_name_valid(const char *name, size_t len)
{
	if (len == 0 || len > BERTH_ENV_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' ||
			  (i > 0 && c >= '0' && c <= '9');

		if (!ok)
			return false;
	}
	return true;
}

static bool printable(const char *text)
{
	for (; *text; text++)
		if ((unsigned char)*text < 0x20 || *text == 0x7f)
			return false;
	return true;
}

/* ------------------------------------------------------------ checks */

static int check_digest(const char *digest, struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t len;

	if (!digest)
		return berth_error_set(err, EINVAL, "\"digest\" is missing");
	len = strlen(digest);
	if (len == strlen(DIGEST_PREFIX) + DIGEST_HEX &&
	    strncmp(digest, DIGEST_PREFIX, strlen(DIGEST_PREFIX)) == 0 &&
	    strspn(digest + strlen(DIGEST_PREFIX), "0123456789abcdef") == DIGEST_HEX)
		return 0;
	return berth_error_set(err, EINVAL, "digest \"%s\" is not sha256:<64 lowercase hex digits>",
			       berth_error_quote(s, digest, len));
}

/* Each entry NAME=value with a valid NAME, each NAME once. */
static int check_env(const char *what, char *const *env, size_t count, struct berth_error *err)
{
	char s[SHOWN_SIZE], n[SHOWN_SIZE];

	if (count > BERTH_IMAGE_META_ENV_MAX)
		return berth_error_set(err, EINVAL, "\"%s\" has more than %d entries", what,
				       BERTH_IMAGE_META_ENV_MAX);
	for (size_t i = 0; i < count; i++) {
		const char *eq;
		size_t len;

		if (!env[i])
			return berth_error_set(err, EINVAL, "%s[%zu] is missing", what, i);
		len = strlen(env[i]);
		if (len > BERTH_IMAGE_META_STRING_MAX)
			return berth_error_set(err, EINVAL, "%s[%zu] is longer than %d bytes", what, i,
					       BERTH_IMAGE_META_STRING_MAX);
		berth_error_quote(s, env[i], len);
		if (!(eq = strchr(env[i], '=')))
			return berth_error_set(err, EINVAL, "%s[%zu] \"%s\" is not NAME=value", what, i, s);
		if (!berth_env_name_valid(env[i], (size_t)(eq - env[i])))
			return berth_error_set(err, EINVAL, "%s[%zu] \"%s\": invalid variable name \"%s\"",
					       what, i, s, berth_error_quote(n, env[i], (size_t)(eq - env[i])));
		for (size_t j = 0; j < i; j++) {
			size_t name_len = (size_t)(eq - env[i]) + 1;

			if (strncmp(env[j], env[i], name_len) == 0)
				return berth_error_set(err, EINVAL, "%s[%zu] \"%s\": variable \"%s\" is set twice",
						       what, i, s, berth_error_quote(n, env[i], name_len - 1));
		}
	}
	return 0;
}

static int check_args(const char *what, char *const *args, size_t count, struct berth_error *err)
{
	if (count > BERTH_IMAGE_META_ARGS_MAX)
		return berth_error_set(err, EINVAL, "\"%s\" has more than %d entries", what,
				       BERTH_IMAGE_META_ARGS_MAX);
	for (size_t i = 0; i < count; i++) {
		if (!args[i])
			return berth_error_set(err, EINVAL, "%s[%zu] is missing", what, i);
		if (strlen(args[i]) > BERTH_IMAGE_META_STRING_MAX)
			return berth_error_set(err, EINVAL, "%s[%zu] is longer than %d bytes", what, i,
					       BERTH_IMAGE_META_STRING_MAX);
	}
	return 0;
}

/* An optional string: length bound, and printable or an absolute path. */
static int check_text(const char *what, const char *text, size_t max, bool path,
		      struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t len;

	if (!text)
		return 0;
	len = strlen(text);
	if (len > max)
		return berth_error_set(err, EINVAL, "\"%s\" is longer than %zu bytes", what, max);
	berth_error_quote(s, text, len);
	if (path && text[0] != '/')
		return berth_error_set(err, EINVAL, "%s \"%s\" is not an absolute path", what, s);
	if (!path && !printable(text))
		return berth_error_set(err, EINVAL, "%s \"%s\" has a control character", what, s);
	return 0;
}

static int check_labels(const char *what, const struct berth_image_label *labels, size_t count,
			struct berth_error *err)
{
	char s[SHOWN_SIZE];

	if (count > BERTH_IMAGE_META_LABELS_MAX)
		return berth_error_set(err, EINVAL, "\"%s\" has more than %d entries", what,
				       BERTH_IMAGE_META_LABELS_MAX);
	for (size_t i = 0; i < count; i++) {
		const char *key = labels[i].key;

		if (!key || !labels[i].value)
			return berth_error_set(err, EINVAL, "%s entry %zu is missing", what, i);
		if (!key[0])
			return berth_error_set(err, EINVAL, "\"%s\" has an empty key", what);
		berth_error_quote(s, key, strlen(key));
		if (strlen(key) > BERTH_IMAGE_META_STRING_MAX)
			return berth_error_set(err, EINVAL, "%s key \"%s\" is longer than %d bytes",
					       what, s, BERTH_IMAGE_META_STRING_MAX);
		if (strlen(labels[i].value) > BERTH_IMAGE_META_STRING_MAX)
			return berth_error_set(err, EINVAL, "%s \"%s\" is longer than %d bytes",
					       what, s, BERTH_IMAGE_META_STRING_MAX);
	}
	return 0;
}

/* JSON text is UTF-8 (RFC 8259); a meta file must parse on every json-c
 * (json_ascii.h), so no string of it may be anything else. */
static int check_utf8_list(const char *what, char *const *list, size_t count, struct berth_error *err)
{
	for (size_t i = 0; i < count; i++)
		if (list[i] && !berth_utf8_valid(list[i], strlen(list[i])))
			return berth_error_set(err, EILSEQ, "%s[%zu] is not UTF-8", what, i);
	return 0;
}

static int check_utf8(const struct berth_image_meta *m, const struct field_names *names,
		      struct berth_error *err)
{
	const char *texts[] = { m->workdir, m->user, m->created };
	const char *what[] = { names->workdir, names->user, names->created };

	if (check_utf8_list(names->env, m->env, m->env_count, err) < 0 ||
	    check_utf8_list(names->entrypoint, m->entrypoint, m->entrypoint_count, err) < 0 ||
	    check_utf8_list(names->cmd, m->cmd, m->cmd_count, err) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (texts[i] && !berth_utf8_valid(texts[i], strlen(texts[i])))
			return berth_error_set(err, EILSEQ, "\"%s\" is not UTF-8", what[i]);
	for (size_t i = 0; i < m->label_count; i++)
		if (!berth_utf8_valid(m->labels[i].key, strlen(m->labels[i].key)) ||
		    !berth_utf8_valid(m->labels[i].value, strlen(m->labels[i].value)))
			return berth_error_set(err, EILSEQ, "%s entry %zu is not UTF-8", names->labels, i);
	return 0;
}

static int check_meta(const struct berth_image_meta *m, const struct field_names *names,
		      struct berth_error *err)
{
	if (m->schema != BERTH_IMAGE_META_SCHEMA)
		return berth_error_set(err, EINVAL, "schema %u is not supported (expected %d)",
				       m->schema, BERTH_IMAGE_META_SCHEMA);
	if (check_digest(m->digest, err) < 0 ||
	    check_env(names->env, m->env, m->env_count, err) < 0 ||
	    check_args(names->entrypoint, m->entrypoint, m->entrypoint_count, err) < 0 ||
	    check_args(names->cmd, m->cmd, m->cmd_count, err) < 0 ||
	    check_text(names->workdir, m->workdir, BERTH_IMAGE_META_PATH_MAX, true, err) < 0 ||
	    check_text(names->user, m->user, BERTH_IMAGE_META_SHORT_MAX, false, err) < 0 ||
	    check_labels(names->labels, m->labels, m->label_count, err) < 0 ||
	    check_text(names->created, m->created, BERTH_IMAGE_META_SHORT_MAX, false, err) < 0 ||
	    check_utf8(m, names, err) < 0)
		return -1;
	return 0;
}

int berth_image_meta_check(const struct berth_image_meta *m, struct berth_error *err)
{
	return check_meta(m, &meta_names, err);
}

/* ------------------------------------------------------------ extraction */

static int parse_json(const char *text, size_t len, size_t max, struct json_object **root,
		      struct berth_error *err)
{
	struct json_tokener *tok;
	enum json_tokener_error jerr;
	char *ascii = NULL;
	size_t end, ascii_len;

	*root = NULL;
	if (len > max)
		return berth_error_set(err, EFBIG, "document is larger than %zu bytes", max);
	if (berth_json_ascii(text, len, &ascii, &ascii_len, err) < 0)
		return berth_error_prefix(err, "not valid JSON");
	if (ascii) {
		text = ascii;
		len = ascii_len;
	}
	if (!(tok = json_tokener_new())) {
		free(ascii);
		return berth_error_errno(err, ENOMEM, "JSON parser");
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	*root = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		/* all len bytes were taken: a NUL tells the tokener the input ends
		 * (it completes a bare literal, or reports the truncation) */
		*root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	/* the buffer need not be NUL-terminated: look at len bytes only */
	while (jerr == json_tokener_success && end < len && text[end] && strchr(" \t\r\n", text[end]))
		end++;
	if (jerr == json_tokener_success && end < len)
		jerr = json_tokener_error_parse_unexpected;
	free(ascii);
	if (jerr != json_tokener_success) {
		json_object_put(*root);
		*root = NULL;
		return berth_error_set(err, EBADMSG, "not valid JSON (%s)", json_tokener_error_desc(jerr));
	}
	if (!*root || !json_object_is_type(*root, json_type_object)) {
		json_object_put(*root);
		*root = NULL;
		return berth_error_set(err, EBADMSG, "not a JSON object");
	}
	return 0;
}

/* 1 and *v when obj has key with a non-null value, else 0. */
static int member(struct json_object *obj, const char *key, struct json_object **v)
{
	*v = NULL;
	return json_object_object_get_ex(obj, key, v) && *v ? 1 : 0;
}

/* A malloc'd copy of the JSON string v; NUL bytes are refused. */
static int copy_string(struct json_object *v, const char *what, char **out, struct berth_error *err)
{
	const char *text = json_object_get_string(v);
	int len = json_object_get_string_len(v);

	if (len < 0 || strlen(text) != (size_t)len)
		return berth_error_set(err, EINVAL, "%s contains a NUL byte", what);
	if (!(*out = strdup(text)))
		return berth_error_errno(err, ENOMEM, "%s", what);
	return 0;
}

/* Optional string member; an empty string is absent. */
static int take_string(struct json_object *obj, const char *key, const char *name, char **out,
		       struct berth_error *err)
{
	struct json_object *v;
	char what[64];

	if (!member(obj, key, &v))
		return 0;
	snprintf(what, sizeof(what), "\"%s\"", name);
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set(err, EINVAL, "%s is not a string", what);
	if (json_object_get_string_len(v) == 0)
		return 0;
	return copy_string(v, what, out, err);
}

static int take_list(struct json_object *obj, const char *key, const char *name, size_t max,
		     char ***items, size_t *count, struct berth_error *err)
{
	struct json_object *v;
	size_t n;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_array))
		return berth_error_set(err, EINVAL, "\"%s\" is not an array", name);
	if ((n = json_object_array_length(v)) > max)
		return berth_error_set(err, EINVAL, "\"%s\" has more than %zu entries", name, max);
	if (!(*items = calloc(n + 1, sizeof(**items))))
		return berth_error_errno(err, ENOMEM, "\"%s\"", name);
	for (size_t i = 0; i < n; i++) {
		struct json_object *item = json_object_array_get_idx(v, i);
		char what[96];

		snprintf(what, sizeof(what), "%s[%zu]", name, i);
		if (!json_object_is_type(item, json_type_string))
			return berth_error_set(err, EINVAL, "%s is not a string", what);
		if (copy_string(item, what, &(*items)[i], err) < 0)
			return -1;
		*count = i + 1;
	}
	return 0;
}

static int take_labels(struct json_object *obj, const char *key, const char *name,
		       struct berth_image_meta *m, struct berth_error *err)
{
	struct json_object *v;
	size_t n;

	if (!member(obj, key, &v))
		return 0;
	if (!json_object_is_type(v, json_type_object))
		return berth_error_set(err, EINVAL, "\"%s\" is not an object", name);
	if ((n = (size_t)json_object_object_length(v)) > BERTH_IMAGE_META_LABELS_MAX)
		return berth_error_set(err, EINVAL, "\"%s\" has more than %d entries", name,
				       BERTH_IMAGE_META_LABELS_MAX);
	if (!(m->labels = calloc(n ? n : 1, sizeof(*m->labels))))
		return berth_error_errno(err, ENOMEM, "\"%s\"", name);
	json_object_object_foreach(v, k, val) {
		struct berth_image_label *label = &m->labels[m->label_count];
		char s[SHOWN_SIZE], what[SHOWN_SIZE + 96];

		snprintf(what, sizeof(what), "%s \"%s\"", name, berth_error_quote(s, k, strlen(k)));
		if (!json_object_is_type(val, json_type_string))
			return berth_error_set(err, EINVAL, "%s is not a string", what);
		if (!(label->key = strdup(k)))
			return berth_error_errno(err, ENOMEM, "%s", what);
		m->label_count++;
		if (copy_string(val, what, &label->value, err) < 0)
			return -1;
	}
	return 0;
}

static int take_fields(struct json_object *obj, const char *const keys[6],
		       const struct field_names *names, struct berth_image_meta *m,
		       struct berth_error *err)
{
	if (take_list(obj, keys[0], names->env, BERTH_IMAGE_META_ENV_MAX, &m->env, &m->env_count,
		      err) < 0 ||
	    take_list(obj, keys[1], names->entrypoint, BERTH_IMAGE_META_ARGS_MAX, &m->entrypoint,
		      &m->entrypoint_count, err) < 0 ||
	    take_list(obj, keys[2], names->cmd, BERTH_IMAGE_META_ARGS_MAX, &m->cmd, &m->cmd_count,
		      err) < 0 ||
	    take_string(obj, keys[3], names->workdir, &m->workdir, err) < 0 ||
	    take_string(obj, keys[4], names->user, &m->user, err) < 0 ||
	    take_labels(obj, keys[5], names->labels, m, err) < 0)
		return -1;
	return 0;
}

static int take_schema(struct json_object *root, unsigned *schema, struct berth_error *err)
{
	struct json_object *v;
	int64_t value;

	if (!member(root, "schema", &v))
		return berth_error_set(err, EINVAL, "\"schema\" is missing");
	if (!json_object_is_type(v, json_type_int))
		return berth_error_set(err, EINVAL, "\"schema\" is not an integer");
	value = json_object_get_int64(v);
	if (value != BERTH_IMAGE_META_SCHEMA)
		return berth_error_set(err, EINVAL, "schema %lld is not supported (expected %d)",
				       (long long)value, BERTH_IMAGE_META_SCHEMA);
	*schema = (unsigned)value;
	return 0;
}

static int meta_from_root(struct json_object *root, struct berth_image_meta *m,
			  struct berth_error *err)
{
	static const char *const keys[6] = { "env", "entrypoint", "cmd", "workdir", "user", "labels" };
	struct json_object *v;

	if (take_schema(root, &m->schema, err) < 0)
		return -1;
	if (!member(root, "digest", &v))
		return berth_error_set(err, EINVAL, "\"digest\" is missing");
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set(err, EINVAL, "\"digest\" is not a string");
	if (copy_string(v, "\"digest\"", &m->digest, err) < 0 ||
	    take_fields(root, keys, &meta_names, m, err) < 0 ||
	    take_string(root, "created", meta_names.created, &m->created, err) < 0)
		return -1;
	return check_meta(m, &meta_names, err);
}

int berth_image_meta_parse(const char *json, size_t len, struct berth_image_meta *m,
			   struct berth_error *err)
{
	struct json_object *root;
	int rc;

	memset(m, 0, sizeof(*m));
	if (parse_json(json, len, BERTH_IMAGE_META_FILE_MAX, &root, err) < 0)
		return -1;
	rc = meta_from_root(root, m, err);
	json_object_put(root);
	if (rc < 0)
		berth_image_meta_free(m);
	return rc;
}

static int oci_from_root(struct json_object *root, const char *digest, struct berth_image_meta *m,
			 struct berth_error *err)
{
	static const char *const keys[6] = { "Env", "Entrypoint", "Cmd", "WorkingDir", "User", "Labels" };
	struct json_object *config;

	m->schema = BERTH_IMAGE_META_SCHEMA;
	if (check_digest(digest, err) < 0)
		return -1;
	if (!(m->digest = strdup(digest)))
		return berth_error_errno(err, ENOMEM, "digest");
	if (take_string(root, "created", oci_names.created, &m->created, err) < 0)
		return -1;
	if (member(root, "config", &config)) {
		if (!json_object_is_type(config, json_type_object))
			return berth_error_set(err, EINVAL, "\"config\" is not an object");
		if (take_fields(config, keys, &oci_names, m, err) < 0)
			return -1;
	}
	return check_meta(m, &oci_names, err);
}

int berth_image_meta_from_oci_config(const char *json, size_t len, const char *digest,
				     struct berth_image_meta *m, struct berth_error *err)
{
	struct json_object *root;
	int rc;

	memset(m, 0, sizeof(*m));
	if (parse_json(json, len, BERTH_IMAGE_META_CONFIG_MAX, &root, err) < 0)
		return -1;
	rc = oci_from_root(root, digest, m, err);
	json_object_put(root);
	if (rc < 0)
		berth_image_meta_free(m);
	return rc;
}

/* ------------------------------------------------------------ load */

static int read_bounded(int fd, char **out, size_t *len, struct berth_error *err)
{
	size_t cap = BERTH_IMAGE_META_FILE_MAX + 1, n = 0;
	char *buf = malloc(cap);

	if (!buf)
		return berth_error_errno(err, ENOMEM, "read");
	while (n < cap) {
		ssize_t got = read(fd, buf + n, cap - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return berth_error_errno(err, errno, "read");
		}
		if (got == 0)
			break;
		n += (size_t)got;
	}
	if (n > BERTH_IMAGE_META_FILE_MAX) {
		free(buf);
		return berth_error_set(err, EFBIG, "larger than %d bytes", BERTH_IMAGE_META_FILE_MAX);
	}
	*out = buf;
	*len = n;
	return 0;
}

int berth_image_meta_load(const char *path, struct berth_image_meta *m, struct berth_error *err)
{
	char *text = NULL;
	struct stat st;
	size_t len = 0;
	int fd, rc = -1;

	memset(m, 0, sizeof(*m));
	/* O_NONBLOCK: a FIFO planted in place of the file must not hang the task */
	fd = berth_open_image_file(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return berth_error_errno(err, errno, "image metadata \"%s\"", path);
	if (fstat(fd, &st) < 0)
		berth_error_errno(err, errno, "stat");
	else if (!S_ISREG(st.st_mode))
		berth_error_set(err, EINVAL, "not a regular file");
	else if (st.st_size > BERTH_IMAGE_META_FILE_MAX)
		berth_error_set(err, EFBIG, "larger than %d bytes", BERTH_IMAGE_META_FILE_MAX);
	else if (read_bounded(fd, &text, &len, err) == 0)
		rc = berth_image_meta_parse(text, len, m, err);
	close(fd);
	free(text);
	if (rc < 0)
		return berth_error_prefix(err, "image metadata \"%s\"", path);
	return 0;
}

/* ------------------------------------------------------------ write */

static int add_string(struct json_object *obj, const char *key, const char *value)
{
	struct json_object *v;

	if (!value)
		return 0;
	if (!(v = json_object_new_string(value)))
		return -1;
	return json_object_object_add(obj, key, v);
}

static int add_list(struct json_object *obj, const char *key, char *const *items, size_t count)
{
	struct json_object *array;

	if (count == 0)
		return 0;
	if (!(array = json_object_new_array()))
		return -1;
	for (size_t i = 0; i < count; i++) {
		struct json_object *v = json_object_new_string(items[i]);

		if (!v || json_object_array_add(array, v) < 0) {
			json_object_put(v);
			json_object_put(array);
			return -1;
		}
	}
	return json_object_object_add(obj, key, array);
}

static int add_labels(struct json_object *obj, const struct berth_image_meta *m)
{
	struct json_object *labels;

	if (m->label_count == 0)
		return 0;
	if (!(labels = json_object_new_object()))
		return -1;
	for (size_t i = 0; i < m->label_count; i++) {
		struct json_object *v = json_object_new_string(m->labels[i].value);

		if (!v || json_object_object_add(labels, m->labels[i].key, v) < 0) {
			json_object_put(v);
			json_object_put(labels);
			return -1;
		}
	}
	return json_object_object_add(obj, "labels", labels);
}

static struct json_object *meta_to_object(const struct berth_image_meta *m)
{
	struct json_object *root = json_object_new_object(), *schema;

	if (!root)
		return NULL;
	schema = json_object_new_int(BERTH_IMAGE_META_SCHEMA);
	if (!schema || json_object_object_add(root, "schema", schema) < 0) {
		json_object_put(schema);
		goto fail;
	}
	if (add_string(root, "digest", m->digest) < 0 ||
	    add_list(root, "env", m->env, m->env_count) < 0 ||
	    add_list(root, "entrypoint", m->entrypoint, m->entrypoint_count) < 0 ||
	    add_list(root, "cmd", m->cmd, m->cmd_count) < 0 ||
	    add_string(root, "workdir", m->workdir) < 0 ||
	    add_string(root, "user", m->user) < 0 ||
	    add_labels(root, m) < 0 ||
	    add_string(root, "created", m->created) < 0)
		goto fail;
	return root;
fail:
	json_object_put(root);
	return NULL;
}

int berth_image_meta_to_json(const struct berth_image_meta *m, char **out, size_t *len,
			     struct berth_error *err)
{
	struct json_object *root;
	const char *text;
	size_t n;

	*out = NULL;
	if (berth_image_meta_check(m, err) < 0)
		return -1;
	if (!(root = meta_to_object(m)))
		return berth_error_errno(err, ENOMEM, "image metadata");
	text = json_object_to_json_string_length(root, JSON_C_TO_STRING_PLAIN |
						 JSON_C_TO_STRING_NOSLASHESCAPE, &n);
	if (!text) {
		json_object_put(root);
		return berth_error_errno(err, ENOMEM, "image metadata");
	}
	if (n > BERTH_IMAGE_META_FILE_MAX) {
		json_object_put(root);
		return berth_error_set(err, EFBIG, "image metadata would be %zu bytes, more than %d",
				       n, BERTH_IMAGE_META_FILE_MAX);
	}
	*out = strdup(text);
	json_object_put(root);
	if (!*out)
		return berth_error_errno(err, ENOMEM, "image metadata");
	if (len)
		*len = n;
	return 0;
}

int berth_image_meta_write(const struct berth_image_meta *m, const char *path, mode_t mode,
			   struct berth_error *err)
{
	char tmp[4200], *text;
	size_t len;
	int fd, rc = -1;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return berth_error_set(err, ENAMETOOLONG, "path \"%s\" is too long", path);
	if (berth_image_meta_to_json(m, &text, &len, err) < 0)
		return -1;
	if ((fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
		berth_error_errno(err, errno, "create a temporary file beside \"%s\"", path);
		free(text);
		return -1;
	}
	if (fchmod(fd, mode) < 0 || berth_write_all(fd, text, len) < 0 || berth_write_all(fd, "\n", 1) < 0 ||
	    fsync(fd) < 0)
		berth_error_errno(err, errno, "write \"%s\"", tmp);
	else if (rename(tmp, path) < 0)
		berth_error_errno(err, errno, "rename \"%s\"", tmp);
	else
		rc = 0;
	close(fd);
	if (rc < 0)
		unlink(tmp);
	free(text);
	return rc;
}

/* ------------------------------------------------------------ misc */

const char *berth_image_meta_getenv(const struct berth_image_meta *m, const char *name)
{
	size_t len = strlen(name);

	for (size_t i = 0; m && i < m->env_count; i++)
		if (m->env[i] && strncmp(m->env[i], name, len) == 0 && m->env[i][len] == '=')
			return m->env[i] + len + 1;
	return NULL;
}

static void free_list(char **items, size_t count)
{
	for (size_t i = 0; items && i < count; i++)
		free(items[i]);
	free(items);
}

void berth_image_meta_free(struct berth_image_meta *m)
{
	if (!m)
		return;
	free(m->digest);
	free_list(m->env, m->env_count);
	free_list(m->entrypoint, m->entrypoint_count);
	free_list(m->cmd, m->cmd_count);
	free(m->workdir);
	free(m->user);
	for (size_t i = 0; i < m->label_count; i++) {
		free(m->labels[i].key);
		free(m->labels[i].value);
	}
	free(m->labels);
	free(m->created);
	memset(m, 0, sizeof(*m));
}
