/*
 * cdi_name.c - see cdi_name.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cdi_name.h"
#include "job_request.h"

#define GRES_GPU_NAME "gpu"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* [A-Za-z0-9] then [A-Za-z0-9 + extra]* ending in [A-Za-z0-9]. */
static bool segment_ok(const char *s, size_t len, const char *extra)
{
	if (!len || !is_alnum(s[0]) || !is_alnum(s[len - 1]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_alnum(s[i]) && !strchr(extra, s[i]))
			return false;
	return true;
}

static const char *quoted(char *buf, const char *text)
{
	return berth_error_quote(buf, text, strlen(text));
}

int berth_cdi_kind_check(const char *kind, struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];
	const char *slash = kind ? strchr(kind, '/') : NULL;

	if (!kind || !*kind)
		return berth_error_set(err, EINVAL, "empty CDI kind");
	if (strlen(kind) > BERTH_CDI_NAME_MAX)
		return berth_error_set(err, ENAMETOOLONG, "CDI kind \"%s\" is too long", quoted(q, kind));
	if (!slash)
		return berth_error_set(err, EINVAL, "CDI kind \"%s\" is not vendor/class", quoted(q, kind));
	if (!segment_ok(kind, (size_t)(slash - kind), "_.-"))
		return berth_error_set(err, EINVAL, "CDI kind \"%s\": bad vendor", quoted(q, kind));
	if (!segment_ok(slash + 1, strlen(slash + 1), "_.-"))
		return berth_error_set(err, EINVAL, "CDI kind \"%s\": bad class", quoted(q, kind));
	return 0;
}

int berth_cdi_device_name_check(const char *name, struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];

	if (!name || !*name)
		return berth_error_set(err, EINVAL, "empty CDI device name");
	if (strlen(name) > BERTH_CDI_NAME_MAX || !segment_ok(name, strlen(name), "_.:-"))
		return berth_error_set(err, EINVAL, "bad CDI device name \"%s\"", quoted(q, name));
	return 0;
}

int berth_cdi_qualified_split(const char *qualified, char *kind, char *name, struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];
	const char *eq = qualified ? strchr(qualified, '=') : NULL;
	size_t klen;

	if (!eq)
		return berth_error_set(err, EINVAL, "CDI device \"%s\" is not vendor.com/class=name",
				       qualified ? quoted(q, qualified) : "");
	klen = (size_t)(eq - qualified);
	if (klen > BERTH_CDI_NAME_MAX || strlen(eq + 1) > BERTH_CDI_NAME_MAX)
		return berth_error_set(err, ENAMETOOLONG, "CDI device \"%s\" is too long", quoted(q, qualified));
	memcpy(kind, qualified, klen);
	kind[klen] = '\0';
	snprintf(name, BERTH_CDI_NAME_MAX + 1, "%s", eq + 1);
	if (berth_cdi_kind_check(kind, err) < 0 || berth_cdi_device_name_check(name, err) < 0)
		return -1;
	return 0;
}

bool berth_cdi_names_contains(const struct berth_cdi_names *list, const char *qualified)
{
	for (size_t i = 0; i < list->count; i++)
		if (strcmp(list->items[i], qualified) == 0)
			return true;
	return false;
}

static int append(struct berth_cdi_names *list, const char *kind, const char *name, struct berth_error *err)
{
	char **grown;
	char *item;

	if (asprintf(&item, "%s=%s", kind, name) < 0)
		return berth_error_errno(err, ENOMEM, "CDI device list");
	if (berth_cdi_names_contains(list, item)) {
		free(item);
		return 0;
	}
	if (list->count >= BERTH_CDI_DEVICES_MAX) {
		free(item);
		return berth_error_set(err, E2BIG, "more than %d CDI devices", BERTH_CDI_DEVICES_MAX);
	}
	if (!(grown = realloc(list->items, (list->count + 1) * sizeof(*grown)))) {
		free(item);
		return berth_error_errno(err, ENOMEM, "CDI device list");
	}
	list->items = grown;
	list->items[list->count++] = item;
	return 0;
}

int berth_cdi_names_add_one(struct berth_cdi_names *list, const char *kind, const char *name,
			    struct berth_error *err)
{
	if (berth_cdi_kind_check(kind, err) < 0 || berth_cdi_device_name_check(name, err) < 0)
		return -1;
	return append(list, kind, name, err);
}

static void truncate_to(struct berth_cdi_names *list, size_t count)
{
	while (list->count > count)
		free(list->items[--list->count]);
}

int berth_cdi_names_add(struct berth_cdi_names *list, const char *text, struct berth_error *err)
{
	char kind[BERTH_CDI_NAME_MAX + 1], name[BERTH_CDI_NAME_MAX + 1], item[2 * BERTH_CDI_NAME_MAX + 2];
	size_t before = list->count;

	if (!text || !*text)
		return berth_error_set(err, EINVAL, "empty CDI device list");
	for (const char *p = text; *p;) {
		size_t len = strcspn(p, ",");

		if (len == 0 || len >= sizeof(item)) {
			truncate_to(list, before);
			return len ? berth_error_set(err, ENAMETOOLONG, "CDI device name too long")
				   : berth_error_set(err, EINVAL, "empty entry in CDI device list");
		}
		memcpy(item, p, len);
		item[len] = '\0';
		if (berth_cdi_qualified_split(item, kind, name, err) < 0 || append(list, kind, name, err) < 0) {
			truncate_to(list, before);
			return -1;
		}
		p += len;
		if (*p == ',' && !*++p) {
			truncate_to(list, before);
			return berth_error_set(err, EINVAL, "empty entry in CDI device list");
		}
	}
	return 0;
}

void berth_cdi_names_free(struct berth_cdi_names *list)
{
	truncate_to(list, 0);
	free(list->items);
	list->items = NULL;
}

int berth_cdi_gres_parse(const char *value, char *kind, struct berth_error *err)
{
	const char *eq;
	char q[BERTH_QUOTE_SIZE];

	kind[0] = '\0';
	if (!value || !*value)
		return 0;
	if (!(eq = strchr(value, '=')))
		return berth_error_set(err, EINVAL, "cdi_gres \"%s\" is not GRES=vendor.com/class",
				       quoted(q, value));
	if ((size_t)(eq - value) != strlen(GRES_GPU_NAME) || strncmp(value, GRES_GPU_NAME, 3) != 0)
		return berth_error_set(err, EINVAL, "cdi_gres \"%s\": only the GRES \"gpu\" is supported "
				       "(Slurm names no other GRES devices in a step's environment)",
				       quoted(q, value));
	if (berth_cdi_kind_check(eq + 1, err) < 0)
		return berth_error_prefix(err, "cdi_gres");
	snprintf(kind, BERTH_CDI_NAME_MAX + 1, "%s", eq + 1);
	return 0;
}

int berth_cdi_user_kinds_check(const char *value, struct berth_error *err)
{
	char item[BERTH_CDI_NAME_MAX + 2];

	for (const char *p = value ? value : ""; *p;) {
		size_t len = strcspn(p, ",");

		if (len >= sizeof(item))
			return berth_error_set(err, ENAMETOOLONG, "cdi_user_kinds: entry too long");
		memcpy(item, p, len);
		item[len] = '\0';
		if (strcmp(item, "*") != 0 && berth_cdi_kind_check(item, err) < 0)
			return berth_error_prefix(err, "cdi_user_kinds");
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static bool kind_listed(const char *user_kinds, const char *kind, size_t klen)
{
	for (const char *p = user_kinds ? user_kinds : ""; *p;) {
		size_t len = strcspn(p, ",");

		if ((len == 1 && *p == '*') || (len == klen && strncmp(p, kind, len) == 0))
			return true;
		p += len;
		if (*p == ',')
			p++;
	}
	return false;
}

int berth_cdi_user_allowed(const char *user_kinds, const struct berth_cdi_names *list,
			   struct berth_error *err)
{
	char q[BERTH_QUOTE_SIZE];

	for (size_t i = 0; i < list->count; i++) {
		const char *eq = strchr(list->items[i], '=');

		if (!eq || !kind_listed(user_kinds, list->items[i], (size_t)(eq - list->items[i])))
			return berth_error_set(err, EPERM, "CDI device \"%s\": this site lets users name "
					       "no devices of that kind (berth.conf cdi_user_kinds)",
					       quoted(q, list->items[i]));
	}
	return 0;
}

int berth_cdi_gres_devices(char *const *env, const char *kind, struct berth_cdi_names *out,
			   struct berth_error *err)
{
	const char *var = "SLURM_STEP_GPUS";
	const char *value = berth_env_lookup(env, (size_t)-1, var);
	char index[24], q[BERTH_QUOTE_SIZE];
	size_t before = out->count;

	if (!value || !*value || !kind || !*kind)
		return 0;
	for (const char *p = value; *p;) {
		size_t len = strspn(p, "0123456789");

		if (len == 0 || len >= 10 || (p[len] && p[len] != ',') || (p[len] == ',' && !p[len + 1])) {
			truncate_to(out, before);
			return berth_error_set(err, EINVAL, "%s \"%s\" is not a list of GPU indexes", var,
					       quoted(q, value));
		}
		snprintf(index, sizeof(index), "%.*s", (int)len, p);
		if (append(out, kind, index, err) < 0) {
			truncate_to(out, before);
			return -1;
		}
		p += len + (p[len] == ',');
	}
	return 0;
}
