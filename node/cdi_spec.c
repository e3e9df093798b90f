/*
 * cdi_spec.c - see cdi_spec.h: one checked walk over the json-c tree of a
 * spec (JSON as parsed, YAML through cdi_yaml.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cdi_name.h"
#include "cdi_spec.h"
#include "fs_util.h"

/* Where the walk is, for messages: "devices[2].containerEdits.mounts[0]". */
struct walk {
	char where[256];
	struct berth_error *err;
};

typedef int (*field_fn)(struct walk *w, struct json_object *val, void *out);

struct field {
	const char *name;
	field_fn parse;
	size_t offset;        /* into out */
	bool required;
};

static int fail(struct walk *w, const char *what)
{
	return berth_error_set(w->err, EINVAL, "%s: %s", w->where[0] ? w->where : "spec", what);
}

/* Run fn with w->where extended by suffix (".name" or "[i]"). */
static int descend(struct walk *w, const char *suffix, field_fn fn, struct json_object *val, void *out)
{
	size_t len = strlen(w->where);
	int rc;

	snprintf(w->where + len, sizeof(w->where) - len, "%s", suffix);
	rc = fn(w, val, out);
	if (rc == 0)
		w->where[len] = '\0';
	return rc;
}

static int parse_object(struct walk *w, struct json_object *obj, const struct field *fields, void *out)
{
	char sub[80], name[72];

	if (!json_object_is_type(obj, json_type_object))
		return fail(w, "not an object");
	json_object_object_foreach(obj, key, val) {
		const struct field *f = fields;

		while (f->name && strcmp(f->name, key) != 0)
			f++;
		if (!f->name) {
			snprintf(name, sizeof(name), "%s", key);
			berth_error_sanitize(name);
			return berth_error_set(w->err, EINVAL, "%s: unknown field \"%s\"", w->where[0] ? w->where : "spec", name);
		}
		if (!val)   /* null: as if absent */
			continue;
		snprintf(sub, sizeof(sub), "%s%s", w->where[0] ? "." : "", key);
		if (descend(w, sub, f->parse, val, (char *)out + f->offset) < 0)
			return -1;
	}
	for (const struct field *f = fields; f->name; f++) {
		struct json_object *given = NULL;

		if (f->required && (!json_object_object_get_ex(obj, f->name, &given) || !given))
			return berth_error_set(w->err, EINVAL, "%s%s%s: missing", w->where,
					       w->where[0] ? "." : "", f->name);
	}
	return 0;
}

/* ---------------------------------------------------------------- scalars */

static int parse_string(struct walk *w, struct json_object *val, void *out)
{
	const char *s;

	if (!json_object_is_type(val, json_type_string))
		return fail(w, "not a string");
	s = json_object_get_string(val);
	if (strlen(s) != (size_t)json_object_get_string_len(val))
		return fail(w, "a NUL byte");
	if (!(*(char **)out = strdup(s)))
		return berth_error_errno(w->err, ENOMEM, "%s", w->where);
	return 0;
}

static int parse_path(struct walk *w, struct json_object *val, void *out)
{
	if (parse_string(w, val, out) < 0)
		return -1;
	if ((*(char **)out)[0] != '/')
		return fail(w, "not an absolute path");
	if (strlen(*(char **)out) >= 4096)
		return fail(w, "path too long");
	return 0;
}

static int parse_nonempty(struct walk *w, struct json_object *val, void *out)
{
	if (parse_string(w, val, out) < 0)
		return -1;
	return **(char **)out ? 0 : fail(w, "empty");
}

static int get_int(struct walk *w, struct json_object *val, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;

	if (!json_object_is_type(val, json_type_int))
		return fail(w, "not an integer");
	errno = 0;
	v = json_object_get_int64(val);
	if (errno || v < min || v > max)
		return fail(w, "out of range");
	*out = v;
	return 0;
}

static int parse_int64(struct walk *w, struct json_object *val, void *out)
{
	return get_int(w, val, 0, INT64_MAX, out);
}

static int parse_uint32(struct walk *w, struct json_object *val, void *out)
{
	int64_t v;

	if (get_int(w, val, 0, UINT32_MAX, &v) < 0)
		return -1;
	*(uint32_t *)out = (uint32_t)v;
	return 0;
}

/* Only checked: annotations are informational. */
static int parse_annotations(struct walk *w, struct json_object *val, void *out)
{
	(void)out;
	if (!json_object_is_type(val, json_type_object))
		return fail(w, "not an object");
	json_object_object_foreach(val, key, v) {
		(void)key;
		if (!json_object_is_type(v, json_type_string))
			return fail(w, "a value is not a string");
	}
	return 0;
}

/* ---------------------------------------------------------------- lists */

static int check_array(struct walk *w, struct json_object *val, size_t *n)
{
	if (!json_object_is_type(val, json_type_array))
		return fail(w, "not a list");
	*n = json_object_array_length(val);
	if (*n > BERTH_CDI_ITEMS_MAX)
		return fail(w, "too many entries");
	return 0;
}

/* Each entry with parse into an array of size-byte items (*items, *count). */
static int parse_list(struct walk *w, struct json_object *val, field_fn parse, size_t size, void **items,
		      size_t *count)
{
	char sub[32];
	size_t n = 0;

	if (check_array(w, val, &n) < 0)
		return -1;
	if (n && !(*items = calloc(n, size)))
		return berth_error_errno(w->err, ENOMEM, "%s", w->where);
	for (size_t i = 0; i < n; i++) {
		snprintf(sub, sizeof(sub), "[%zu]", i);
		(*count)++;
		if (descend(w, sub, parse, json_object_array_get_idx(val, i), (char *)*items + i * size) < 0)
			return -1;
	}
	return 0;
}

static int parse_strings(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_strings *s = out;

	return parse_list(w, val, parse_string, sizeof(char *), (void **)&s->items, &s->count);
}

/* "NAME=value" with a non-empty NAME. */
static int parse_env(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_strings *s = out;

	if (parse_strings(w, val, out) < 0)
		return -1;
	for (size_t i = 0; i < s->count; i++)
		if (s->items[i][0] == '=' || !strchr(s->items[i], '='))
			return fail(w, "an entry is not NAME=value");
	return 0;
}

static int parse_gids(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_edits *e = (struct berth_cdi_edits *)((char *)out - offsetof(struct berth_cdi_edits, gids));

	return parse_list(w, val, parse_uint32, sizeof(uint32_t), (void **)&e->gids, &e->n_gids);
}

/* ---------------------------------------------------------------- edits */

static int parse_node_type(struct walk *w, struct json_object *val, void *out)
{
	char *s = NULL;
	int rc = 0;

	if (parse_string(w, val, &s) < 0)
		return -1;
	if (strlen(s) != 1 || !strchr("cbup", s[0]))
		rc = fail(w, "not c, b, u or p");
	else
		*(char *)out = s[0];
	free(s);
	return rc;
}

static int parse_permissions(struct walk *w, struct json_object *val, void *out)
{
	if (parse_string(w, val, out) < 0)
		return -1;
	if (strspn(*(char **)out, "rwm") != strlen(*(char **)out) && strcmp(*(char **)out, "none") != 0)
		return fail(w, "not r, w, m or none");
	return 0;
}

#define NODE(f) offsetof(struct berth_cdi_device_node, f)
#define FLAG_FIELD(name, fn, member)                                                                  \
	static int name(struct walk *w, struct json_object *val, void *out)                           \
	{                                                                                             \
		struct berth_cdi_device_node *n = (void *)((char *)out - NODE(member));               \
		if (fn(w, val, out) < 0)                                                              \
			return -1;                                                                    \
		n->has_##member = true;                                                               \
		return 0;                                                                             \
	}
FLAG_FIELD(parse_major, parse_int64, major)
FLAG_FIELD(parse_minor, parse_int64, minor)
FLAG_FIELD(parse_uid, parse_uint32, uid)
FLAG_FIELD(parse_gid, parse_uint32, gid)

static int parse_mode(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_device_node *n = (void *)((char *)out - NODE(mode));
	int64_t v;

	/* Go's os.FileMode: permission bits (and type bits berth ignores) */
	if (get_int(w, val, 0, UINT32_MAX, &v) < 0)
		return -1;
	n->mode = (uint32_t)v & 07777;
	n->has_mode = true;
	return 0;
}

static const struct field node_fields[] = {
	{ "path", parse_path, NODE(path), true },
	{ "hostPath", parse_path, NODE(host_path), false },
	{ "type", parse_node_type, NODE(type), false },
	{ "major", parse_major, NODE(major), false },
	{ "minor", parse_minor, NODE(minor), false },
	{ "fileMode", parse_mode, NODE(mode), false },
	{ "permissions", parse_permissions, NODE(permissions), false },
	{ "uid", parse_uid, NODE(uid), false },
	{ "gid", parse_gid, NODE(gid), false },
	{ NULL, NULL, 0, false },
};

static int parse_node(struct walk *w, struct json_object *val, void *out)
{
	return parse_object(w, val, node_fields, out);
}

#define MOUNT(f) offsetof(struct berth_cdi_mount, f)
static const struct field mount_fields[] = {
	{ "hostPath", parse_nonempty, MOUNT(host_path), true },  /* "tmpfs" for a tmpfs */
	{ "containerPath", parse_path, MOUNT(container_path), true },
	{ "type", parse_string, MOUNT(type), false },
	{ "options", parse_strings, MOUNT(options), false },
	{ NULL, NULL, 0, false },
};

static int parse_mount(struct walk *w, struct json_object *val, void *out)
{
	return parse_object(w, val, mount_fields, out);
}

static int parse_timeout(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_hook *h = (void *)((char *)out - offsetof(struct berth_cdi_hook, timeout));
	int64_t v;

	if (get_int(w, val, 1, 86400, &v) < 0)
		return -1;
	h->timeout = (int)v;
	h->has_timeout = true;
	return 0;
}

#define HOOK(f) offsetof(struct berth_cdi_hook, f)
static const struct field hook_fields[] = {
	{ "hookName", parse_string, HOOK(name), true },
	{ "path", parse_path, HOOK(path), true },
	{ "args", parse_strings, HOOK(args), false },
	{ "env", parse_env, HOOK(env), false },
	{ "timeout", parse_timeout, HOOK(timeout), false },
	{ NULL, NULL, 0, false },
};

static int parse_hook(struct walk *w, struct json_object *val, void *out)
{
	return parse_object(w, val, hook_fields, out);
}

static int parse_bool_field(struct walk *w, struct json_object *val, void *out)
{
	(void)out;
	return json_object_is_type(val, json_type_boolean) ? 0 : fail(w, "not true or false");
}

static int parse_string_checked(struct walk *w, struct json_object *val, void *out)
{
	char *s = NULL;

	(void)out;
	if (parse_string(w, val, &s) < 0)
		return -1;
	free(s);
	return 0;
}

static int parse_strings_checked(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_strings s = { NULL, 0 };
	int rc = parse_strings(w, val, &s);

	for (size_t i = 0; i < s.count; i++)
		free(s.items[i]);
	free(s.items);
	(void)out;
	return rc;
}

/* intelRdt: checked, kept only as "present" (berth cannot apply it). */

static const struct field rdt_fields[] = {
	{ "closID", parse_string_checked, 0, false },
	{ "l3CacheSchema", parse_string_checked, 0, false },
	{ "memBwSchema", parse_string_checked, 0, false },
	{ "schemata", parse_strings_checked, 0, false },
	{ "enableMonitoring", parse_bool_field, 0, false },
	{ NULL, NULL, 0, false },
};

static const struct field net_fields[] = {
	{ "hostInterfaceName", parse_string_checked, 0, true },
	{ "name", parse_string_checked, 0, true },
	{ NULL, NULL, 0, false },
};

static int parse_net_device(struct walk *w, struct json_object *val, void *out)
{
	char ignored[2];

	(void)out;
	return parse_object(w, val, net_fields, ignored);
}

static int parse_net_devices(struct walk *w, struct json_object *val, void *out)
{
	size_t n = 0;

	if (check_array(w, val, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char sub[32];

		snprintf(sub, sizeof(sub), "[%zu]", i);
		if (descend(w, sub, parse_net_device, json_object_array_get_idx(val, i), NULL) < 0)
			return -1;
	}
	*(size_t *)out = n;
	return 0;
}

static int parse_rdt(struct walk *w, struct json_object *val, void *out)
{
	char ignored[2];

	if (parse_object(w, val, rdt_fields, ignored) < 0)
		return -1;
	*(bool *)out = true;
	return 0;
}

#define EDITS(f) offsetof(struct berth_cdi_edits, f)
static int parse_nodes(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_edits *e = (void *)((char *)out - EDITS(nodes));

	return parse_list(w, val, parse_node, sizeof(*e->nodes), (void **)&e->nodes, &e->n_nodes);
}

static int parse_mounts(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_edits *e = (void *)((char *)out - EDITS(mounts));

	return parse_list(w, val, parse_mount, sizeof(*e->mounts), (void **)&e->mounts, &e->n_mounts);
}

static int parse_hooks(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_edits *e = (void *)((char *)out - EDITS(hooks));

	return parse_list(w, val, parse_hook, sizeof(*e->hooks), (void **)&e->hooks, &e->n_hooks);
}

static const struct field edits_fields[] = {
	{ "env", parse_env, EDITS(env), false },
	{ "deviceNodes", parse_nodes, EDITS(nodes), false },
	{ "mounts", parse_mounts, EDITS(mounts), false },
	{ "hooks", parse_hooks, EDITS(hooks), false },
	{ "additionalGids", parse_gids, EDITS(gids), false },
	{ "additionalGIDs", parse_gids, EDITS(gids), false },
	{ "intelRdt", parse_rdt, EDITS(intel_rdt), false },
	{ "netDevices", parse_net_devices, EDITS(n_net_devices), false },
	{ NULL, NULL, 0, false },
};

static int parse_edits(struct walk *w, struct json_object *val, void *out)
{
	return parse_object(w, val, edits_fields, out);
}

/* ---------------------------------------------------------------- spec */

static int parse_device(struct walk *w, struct json_object *val, void *out)
{
	static const struct field fields[] = {
		{ "name", parse_string, offsetof(struct berth_cdi_device, name), true },
		{ "annotations", parse_annotations, 0, false },
		{ "containerEdits", parse_edits, offsetof(struct berth_cdi_device, edits), false },
		{ NULL, NULL, 0, false },
	};
	struct berth_cdi_device *dev = out;

	if (parse_object(w, val, fields, dev) < 0)
		return -1;
	if (berth_cdi_device_name_check(dev->name, w->err) < 0)
		return berth_error_prefix(w->err, "%s", w->where);
	return 0;
}

#define SPEC(f) offsetof(struct berth_cdi_spec, f)
static int parse_devices(struct walk *w, struct json_object *val, void *out)
{
	struct berth_cdi_spec *s = (void *)((char *)out - SPEC(devices));

	if (parse_list(w, val, parse_device, sizeof(*s->devices), (void **)&s->devices, &s->n_devices) < 0)
		return -1;
	if (!s->n_devices)
		return fail(w, "no device");
	for (size_t i = 0; i < s->n_devices; i++)
		for (size_t j = 0; j < i; j++)
			if (!strcmp(s->devices[i].name, s->devices[j].name))
				return berth_error_set(w->err, EINVAL, "devices: device \"%s\" twice", s->devices[i].name);
	return 0;
}

static const struct field spec_fields[] = {
	{ "cdiVersion", parse_string, SPEC(version), true },
	{ "kind", parse_string, SPEC(kind), true },
	{ "annotations", parse_annotations, 0, false },
	{ "devices", parse_devices, SPEC(devices), true },
	{ "containerEdits", parse_edits, SPEC(edits), false },
	{ NULL, NULL, 0, false },
};

/* ---------------------------------------------------------------- versions */

/* CDI's spec versions, oldest first; a spec states one of them. */
static const char *const versions[] = { "0.1.0", "0.2.0", "0.3.0", "0.4.0", "0.5.0", "0.6.0",
					"0.7.0", "0.8.0", "1.0.0", "1.1.0" };

static int version_index(const char *v)
{
	if (v[0] == 'v')
		v++;
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(versions[i], v))
			return (int)i;
	return -1;
}

static bool has_entries(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, key, &v) || !v)
		return false;
	if (json_object_is_type(v, json_type_array))
		return json_object_array_length(v) > 0;
	if (json_object_is_type(v, json_type_object))
		return json_object_object_length(v) > 0;
	return true;
}

static int max_int(int a, int b)
{
	return a > b ? a : b;
}

/* The minimum version the fields of one containerEdits need. */
static int edits_need(struct json_object *edits)
{
	struct json_object *v = NULL, *rdt = NULL;
	int need = 0;

	if (!edits)
		return 0;
	if (json_object_object_get_ex(edits, "intelRdt", &rdt) && rdt) {
		need = version_index("0.7.0");
		if (has_entries(rdt, "schemata") || has_entries(rdt, "enableMonitoring"))
			return version_index("1.1.0");
	}
	if (has_entries(edits, "netDevices"))
		return version_index("1.1.0");
	if (has_entries(edits, "additionalGids") || has_entries(edits, "additionalGIDs"))
		need = max_int(need, version_index("0.7.0"));
	/* (a null list passed the walk as absent; json-c asserts an array) */
	if (json_object_object_get_ex(edits, "deviceNodes", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (has_entries(json_object_array_get_idx(v, i), "hostPath"))
				need = max_int(need, version_index("0.5.0"));
	if (json_object_object_get_ex(edits, "mounts", &v) && json_object_is_type(v, json_type_array))
		for (size_t i = 0; i < json_object_array_length(v); i++)
			if (has_entries(json_object_array_get_idx(v, i), "type"))
				need = max_int(need, version_index("0.4.0"));
	return need;
}

/* After a successful walk, so every type is known to be right. */
static int check_version(struct walk *w, struct json_object *root, const struct berth_cdi_spec *spec)
{
	struct json_object *devices = NULL, *edits = NULL;
	const char *class = strchr(spec->kind, '/');
	int stated = version_index(spec->version), need = 0;
	char q[BERTH_QUOTE_SIZE];

	if (stated < 0)
		return berth_error_set(w->err, EINVAL, "cdiVersion \"%s\" is not one berth knows (0.1.0 - 1.1.0)",
				       berth_error_quote(q, spec->version, strlen(spec->version)));
	if (has_entries(root, "annotations") || (class && strchr(class, '.')))
		need = version_index("0.6.0");
	if (json_object_object_get_ex(root, "containerEdits", &edits))
		need = max_int(need, edits_need(edits));
	json_object_object_get_ex(root, "devices", &devices);
	for (size_t i = 0; i < spec->n_devices; i++) {
		struct json_object *dev = json_object_array_get_idx(devices, i);

		if (spec->devices[i].name[0] >= '0' && spec->devices[i].name[0] <= '9')
			need = max_int(need, version_index("0.5.0"));
		if (has_entries(dev, "annotations"))
			need = max_int(need, version_index("0.6.0"));
		edits = NULL;
		if (json_object_object_get_ex(dev, "containerEdits", &edits))
			need = max_int(need, edits_need(edits));
	}
	if (stated < need)
		return berth_error_set(w->err, EINVAL, "cdiVersion %s is too old for the fields used (needs %s)",
				       versions[stated], versions[need]);
	return 0;
}

/* ---------------------------------------------------------------- entry points */

static int parse_json_text(const char *text, size_t len, struct json_object **out, struct berth_error *err)
{
	struct json_tokener *tok = json_tokener_new_ex(BERTH_CDI_DEPTH_MAX);
	enum json_tokener_error jerr;

	*out = NULL;
	if (!tok)
		return berth_error_errno(err, ENOMEM, "JSON parser");
	if (len > (size_t)INT32_MAX || memchr(text, '\0', len)) {
		json_tokener_free(tok);
		return berth_error_set(err, EINVAL, "JSON: a NUL byte");
	}
	*out = json_tokener_parse_ex(tok, text, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr == json_tokener_success) {
		size_t used = json_tokener_get_parse_end(tok);

		while (used < len && strchr(" \t\r\n", text[used]))
			used++;
		if (used != len)
			jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success || !*out) {
		json_object_put(*out);
		*out = NULL;
		return berth_error_set(err, EINVAL, "JSON: %s",
				       jerr == json_tokener_continue ? "unexpected end" : json_tokener_error_desc(jerr));
	}
	return 0;
}

int berth_cdi_spec_parse(const char *text, size_t len, bool is_yaml, const char *file,
			 struct berth_cdi_spec *spec, struct berth_error *err)
{
	struct walk w = { .err = err };
	struct json_object *root = NULL;
	char shown[128];
	int rc;

	memset(spec, 0, sizeof(*spec));
	snprintf(shown, sizeof(shown), "%s", file ? file : "spec");
	berth_error_sanitize(shown);
	rc = is_yaml ? berth_cdi_yaml_to_json(text, len, &root, err) : parse_json_text(text, len, &root, err);
	if (rc == 0)
		rc = parse_object(&w, root, spec_fields, spec);
	if (rc == 0 && berth_cdi_kind_check(spec->kind, err) < 0)
		rc = berth_error_prefix(err, "kind");
	if (rc == 0)
		rc = check_version(&w, root, spec);
	if (rc == 0 && file && !(spec->file = strdup(file)))
		rc = berth_error_errno(err, ENOMEM, "CDI spec");
	json_object_put(root);
	if (rc < 0) {
		berth_cdi_spec_free(spec);
		return berth_error_prefix(err, "CDI spec \"%s\"", shown);
	}
	return 0;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

static int read_spec_file(const char *path, unsigned owner, char **text, size_t *len, struct berth_error *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	ssize_t n;

	*text = NULL;
	if (fd < 0)
		return berth_error_errno(err, errno, "open");
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != owner || (st.st_mode & 022)) {
		close(fd);
		return berth_error_set(err, EPERM, "not a regular file owned by uid %u and writable only by it",
				       owner);
	}
	if (st.st_size > (off_t)BERTH_CDI_FILE_MAX) {
		close(fd);
		return berth_error_set(err, EFBIG, "larger than %u bytes", BERTH_CDI_FILE_MAX);
	}
	if (!(*text = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return berth_error_errno(err, ENOMEM, "read");
	}
	*len = 0;
	while (*len <= (size_t)st.st_size &&
	       (n = read(fd, *text + *len, (size_t)st.st_size + 1 - *len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(fd);
			free(*text);
			*text = NULL;
			return berth_error_errno(err, errno, "read");
		}
		*len += (size_t)n;
	}
	close(fd);
	if (*len > (size_t)st.st_size) {
		free(*text);
		*text = NULL;
		return berth_error_set(err, EAGAIN, "grew while being read");
	}
	return 0;
}

int berth_cdi_spec_load(const char *path, unsigned owner, struct berth_cdi_spec *spec,
			struct berth_error *err)
{
	char *text = NULL, shown[128];
	size_t len = 0;
	int rc;

	memset(spec, 0, sizeof(*spec));
	if (read_spec_file(path, owner, &text, &len, err) < 0) {
		snprintf(shown, sizeof(shown), "%s", path);
		berth_error_sanitize(shown);
		return berth_error_prefix(err, "CDI spec \"%s\"", shown);
	}
	rc = berth_cdi_spec_parse(text, len, !ends_with(path, ".json"), path, spec, err);
	free(text);
	return rc;
}

static void strings_free(struct berth_cdi_strings *s)
{
	for (size_t i = 0; i < s->count; i++)
		free(s->items[i]);
	free(s->items);
}

static void edits_free(struct berth_cdi_edits *e)
{
	strings_free(&e->env);
	for (size_t i = 0; i < e->n_nodes; i++) {
		free(e->nodes[i].path);
		free(e->nodes[i].host_path);
		free(e->nodes[i].permissions);
	}
	free(e->nodes);
	for (size_t i = 0; i < e->n_mounts; i++) {
		free(e->mounts[i].host_path);
		free(e->mounts[i].container_path);
		free(e->mounts[i].type);
		strings_free(&e->mounts[i].options);
	}
	free(e->mounts);
	for (size_t i = 0; i < e->n_hooks; i++) {
		free(e->hooks[i].name);
		free(e->hooks[i].path);
		strings_free(&e->hooks[i].args);
		strings_free(&e->hooks[i].env);
	}
	free(e->hooks);
	free(e->gids);
}

void berth_cdi_spec_free(struct berth_cdi_spec *spec)
{
	if (!spec)
		return;
	for (size_t i = 0; i < spec->n_devices; i++) {
		free(spec->devices[i].name);
		edits_free(&spec->devices[i].edits);
	}
	free(spec->devices);
	edits_free(&spec->edits);
	free(spec->file);
	free(spec->version);
	free(spec->kind);
	memset(spec, 0, sizeof(*spec));
}
