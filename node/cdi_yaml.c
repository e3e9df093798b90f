/*
 * cdi_yaml.c - YAML to a json-c tree for the CDI reader (see cdi_spec.h):
 * one walk over libyaml's events, so JSON and YAML specs are checked by the
 * same code afterwards.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <yaml.h>

#include "cdi_spec.h"

struct yaml_walk {
	yaml_parser_t parser;
	struct berth_error *err;
};

static int yaml_fail(struct yaml_walk *w, const char *what)
{
	if (w->parser.error != YAML_NO_ERROR)
		return berth_error_set(w->err, EINVAL, "YAML line %zu: %s",
				       (size_t)w->parser.problem_mark.line + 1,
				       w->parser.problem ? w->parser.problem : "syntax error");
	return berth_error_set(w->err, EINVAL, "YAML: %s", what);
}

static int next_event(struct yaml_walk *w, yaml_event_t *ev)
{
	if (!yaml_parser_parse(&w->parser, ev))
		return yaml_fail(w, "cannot parse");
	return 0;
}

/* Digits of base in s (no sign), into *out; false on overflow or junk. */
static bool parse_digits(const char *s, int base, int64_t *out)
{
	char *end;
	unsigned long long v;

	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (base == 16 && strchr("abcdefABCDEF", *p))) ||
		    (base == 8 && *p > '7'))
			return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > (unsigned long long)INT64_MAX)
		return false;
	*out = (int64_t)v;
	return true;
}

static bool plain_integer(const char *s, int64_t *out)
{
	bool negative = *s == '-';
	const char *p = (*s == '-' || *s == '+') ? s + 1 : s;
	bool ok;

	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		ok = parse_digits(p + 2, 16, out);
	else if (p[0] == '0' && p[1] == 'o')
		ok = parse_digits(p + 2, 8, out);
	else if (p[0] == '0' && p[1])
		ok = parse_digits(p + 1, 8, out);   /* YAML 1.1: 0644 */
	else
		ok = parse_digits(p, 10, out);
	if (ok && negative)
		*out = -*out;
	return ok;
}

static struct json_object *scalar(const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	int64_t n;

	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
			return json_object_new_boolean(1);
		if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
			return json_object_new_boolean(0);
		if (!*s || !strcmp(s, "~") || !strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL"))
			return NULL;   /* JSON null */
		if (plain_integer(s, &n))
			return json_object_new_int64(n);
	}
	return json_object_new_string_len(s, (int)ev->data.scalar.length);
}

static int node(struct yaml_walk *w, yaml_event_t *ev, unsigned depth, struct json_object **out);

static int mapping(struct yaml_walk *w, unsigned depth, struct json_object *obj)
{
	for (;;) {
		yaml_event_t key, val;
		struct json_object *child = NULL;
		char name[256];
		int rc;

		if (next_event(w, &key) < 0)
			return -1;
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			return 0;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&key);
			return berth_error_set(w->err, EINVAL, "YAML line %zu: a key that is not a string",
					       (size_t)key.start_mark.line + 1);
		}
		snprintf(name, sizeof(name), "%s", (const char *)key.data.scalar.value);
		rc = json_object_object_get_ex(obj, name, NULL) || strlen(name) != key.data.scalar.length;
		yaml_event_delete(&key);
		if (rc) {
			berth_error_sanitize(name);
			return berth_error_set(w->err, EINVAL, "YAML: key \"%.64s\" twice (or too long)", name);
		}
		if (next_event(w, &val) < 0)
			return -1;
		rc = node(w, &val, depth + 1, &child);
		if (rc < 0)
			return -1;
		json_object_object_add(obj, name, child);
	}
}

static int sequence(struct yaml_walk *w, unsigned depth, struct json_object *arr)
{
	for (;;) {
		yaml_event_t ev;
		struct json_object *child = NULL;

		if (next_event(w, &ev) < 0)
			return -1;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (node(w, &ev, depth + 1, &child) < 0)
			return -1;
		json_object_array_add(arr, child);
	}
}

/* ev is consumed (deleted) here. */
static int node(struct yaml_walk *w, yaml_event_t *ev, unsigned depth, struct json_object **out)
{
	yaml_event_type_t type = ev->type;
	size_t line = (size_t)ev->start_mark.line + 1;
	int rc = 0;

	*out = NULL;
	if (depth > BERTH_CDI_DEPTH_MAX) {
		yaml_event_delete(ev);
		return berth_error_set(w->err, EINVAL, "YAML line %zu: nested deeper than %d levels", line,
				       BERTH_CDI_DEPTH_MAX);
	}
	switch (type) {
	case YAML_SCALAR_EVENT:
		*out = scalar(ev);
		break;
	case YAML_MAPPING_START_EVENT:
		*out = json_object_new_object();
		break;
	case YAML_SEQUENCE_START_EVENT:
		*out = json_object_new_array();
		break;
	case YAML_ALIAS_EVENT:
		rc = berth_error_set(w->err, EINVAL, "YAML line %zu: aliases are not allowed", line);
		break;
	default:
		rc = berth_error_set(w->err, EINVAL, "YAML line %zu: unexpected event", line);
	}
	yaml_event_delete(ev);
	if (rc < 0)
		return -1;
	if (!*out && type != YAML_SCALAR_EVENT)
		return berth_error_errno(w->err, ENOMEM, "YAML");
	if (type == YAML_MAPPING_START_EVENT)
		rc = mapping(w, depth, *out);
	else if (type == YAML_SEQUENCE_START_EVENT)
		rc = sequence(w, depth, *out);
	if (rc < 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* Expect an event of type (consumed). */
static int expect(struct yaml_walk *w, yaml_event_type_t type, const char *what)
{
	yaml_event_t ev;
	bool ok;

	if (next_event(w, &ev) < 0)
		return -1;
	ok = ev.type == type;
	yaml_event_delete(&ev);
	return ok ? 0 : berth_error_set(w->err, EINVAL, "YAML: %s", what);
}

static int walk(struct yaml_walk *w, struct json_object **out)
{
	yaml_event_t ev;

	if (expect(w, YAML_STREAM_START_EVENT, "no stream") < 0 ||
	    expect(w, YAML_DOCUMENT_START_EVENT, "empty document") < 0 || next_event(w, &ev) < 0)
		return -1;
	if (node(w, &ev, 0, out) < 0)
		return -1;
	if (expect(w, YAML_DOCUMENT_END_EVENT, "document does not end") < 0 ||
	    expect(w, YAML_STREAM_END_EVENT, "more than one document") < 0) {
		json_object_put(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int berth_cdi_yaml_to_json(const char *text, size_t len, struct json_object **out,
			   struct berth_error *err)
{
	struct yaml_walk w = { .err = err };
	int rc;

	*out = NULL;
	if (memchr(text, '\0', len))
		return berth_error_set(err, EINVAL, "YAML: a NUL byte");
	if (!yaml_parser_initialize(&w.parser))
		return berth_error_errno(err, ENOMEM, "YAML parser");
	yaml_parser_set_input_string(&w.parser, (const unsigned char *)text, len);
	yaml_parser_set_encoding(&w.parser, YAML_UTF8_ENCODING);
	rc = walk(&w, out);
	yaml_parser_delete(&w.parser);
	return rc;
}
