/*
 * registry_manifest.c - decode manifests and indexes (untrusted JSON), pick
 * a platform from an index, check media types.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "registry_internal.h"

#define MT_SCHEMA1        "application/vnd.docker.distribution.manifest.v1+json"
#define MT_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"

static const struct {
	const char *media_type;
	enum registry_compression compression;
} layer_types[] = {
	{ "application/vnd.oci.image.layer.v1.tar", REGISTRY_COMPRESSION_NONE },
	{ "application/vnd.oci.image.layer.v1.tar+gzip", REGISTRY_COMPRESSION_GZIP },
	{ "application/vnd.oci.image.layer.v1.tar+zstd", REGISTRY_COMPRESSION_ZSTD },
	{ "application/vnd.docker.image.rootfs.diff.tar", REGISTRY_COMPRESSION_NONE },
	{ "application/vnd.docker.image.rootfs.diff.tar.gzip", REGISTRY_COMPRESSION_GZIP },
	{ "application/vnd.docker.image.rootfs.diff.tar.zstd", REGISTRY_COMPRESSION_ZSTD },
};

/* Untrusted text for a message: bounded, one line. */
static const char *shown(const char *text, char *buf, size_t size)
{
	snprintf(buf, size, "%.80s%s", text, strlen(text) > 80 ? "..." : "");
	berth_error_sanitize(buf);
	return buf;
}

/* ---------------------------------------------------------------- platform */

static void normalise_variant(struct reg_platform *p)
{
	if (strcmp(p->arch, "arm64") == 0 && p->variant[0] == '\0')
		strcpy(p->variant, "v8");
	else if (strcmp(p->arch, "arm") == 0 && p->variant[0] == '\0')
		strcpy(p->variant, "v7");
	else if (strcmp(p->arch, "amd64") == 0 && strcmp(p->variant, "v1") == 0)
		p->variant[0] = '\0';
}

static bool platform_part(const char *text, size_t len, char *out)
{
	if (len == 0 || len >= REG_PLATFORM_PART_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = text[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
			return false;
	}
	memcpy(out, text, len);
	out[len] = '\0';
	return true;
}

int reg_platform_parse(const char *text, struct reg_platform *out, struct berth_error *err)
{
	const char *slash1 = strchr(text, '/');
	const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
	char buf[128];

	memset(out, 0, sizeof(*out));
	if (!slash1 || (slash2 && strchr(slash2 + 1, '/')) ||
	    !platform_part(text, slash1 - text, out->os) ||
	    !platform_part(slash1 + 1, slash2 ? (size_t)(slash2 - slash1 - 1) : strlen(slash1 + 1), out->arch) ||
	    (slash2 && !platform_part(slash2 + 1, strlen(slash2 + 1), out->variant)))
		return berth_error_set(err, EINVAL, "platform \"%s\": expected os/architecture[/variant], each 1 to %d lowercase letters, digits, '_', '-' or '.'",
				       shown(text, buf, sizeof(buf)), REG_PLATFORM_PART_MAX - 1);
	normalise_variant(out);
	return 0;
}

void reg_platform_format(const struct reg_platform *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "", p->variant);
}

/* ------------------------------------------------------------- JSON access */

static const char *get_string(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool media_type_is(const char *mt, const char *expected)
{
	return mt && strcasecmp(mt, expected) == 0;
}

static bool is_image_manifest_type(const char *mt)
{
	return media_type_is(mt, REGISTRY_MT_OCI_MANIFEST) || media_type_is(mt, REGISTRY_MT_DOCKER_MANIFEST);
}

static bool is_index_type(const char *mt)
{
	return media_type_is(mt, REGISTRY_MT_OCI_INDEX) || media_type_is(mt, REGISTRY_MT_DOCKER_LIST);
}

/* A descriptor {mediaType, digest, size}; what names it in messages. */
static int parse_descriptor(struct json_object *obj, const char *what,
			    struct registry_descriptor *d, struct berth_error *err)
{
	struct json_object *size;
	const char *mt, *digest;
	char buf[128];

	memset(d, 0, sizeof(*d));
	if (!json_object_is_type(obj, json_type_object))
		return berth_error_set(err, EBADMSG, "%s: not a JSON object", what);
	mt = get_string(obj, "mediaType");
	if (!mt)
		return berth_error_set(err, EBADMSG, "%s: no mediaType", what);
	if (strlen(mt) >= sizeof(d->media_type))
		return berth_error_set(err, ENOTSUP, "%s: unsupported media type \"%s\"", what,
				       shown(mt, buf, sizeof(buf)));
	strcpy(d->media_type, mt);
	digest = get_string(obj, "digest");
	if (reg_digest_check(what, digest, err) < 0)
		return -1;
	strcpy(d->digest, digest);
	if (!json_object_object_get_ex(obj, "size", &size) || !json_object_is_type(size, json_type_int) ||
	    json_object_get_int64(size) < 0)
		return berth_error_set(err, EBADMSG, "%s: size must be a non-negative integer", what);
	d->size = (uint64_t)json_object_get_int64(size);
	return 0;
}

/* ---------------------------------------------------------- classification */

static void content_type_base(const char *content_type, char *out, size_t size)
{
	size_t len;

	out[0] = '\0';
	if (!content_type)
		return;
	content_type += strspn(content_type, " \t");
	len = strcspn(content_type, "; \t");
	if (len < size)
		snprintf(out, size, "%.*s", (int)len, content_type);
}

static int parse_json(const char *body, size_t len, struct json_object **root, struct berth_error *err)
{
	struct json_tokener *tok = json_tokener_new();
	enum json_tokener_error jerr;

	if (!tok)
		return berth_error_set(err, ENOMEM, "out of memory");
	*root = json_tokener_parse_ex(tok, body, (int)len);
	jerr = json_tokener_get_error(tok);
	if (*root && jerr == json_tokener_success &&
	    strspn(body + json_tokener_get_parse_end(tok), " \t\r\n") != len - json_tokener_get_parse_end(tok)) {
		jerr = json_tokener_error_parse_unexpected;
	}
	json_tokener_free(tok);
	if (!*root || jerr != json_tokener_success) {
		json_object_put(*root);
		*root = NULL;
		return berth_error_set(err, EBADMSG, "not valid JSON (%s)",
				       jerr == json_tokener_continue ? "unexpected end" :
				       json_tokener_error_desc(jerr));
	}
	return 0;
}

/* The type of a document that declares none: OCI allows leaving it out. */
static const char *guess_type(struct json_object *root)
{
	struct json_object *v;

	if (json_object_object_get_ex(root, "manifests", &v))
		return REGISTRY_MT_OCI_INDEX;
	if (json_object_object_get_ex(root, "config", &v))
		return REGISTRY_MT_OCI_MANIFEST;
	return NULL;
}

static int check_schema_version(struct json_object *root, struct berth_error *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(root, "schemaVersion", &v) || !json_object_is_type(v, json_type_int))
		return berth_error_set(err, EBADMSG, "no schemaVersion");
	if (json_object_get_int64(v) == 1)
		return berth_error_set(err, ENOTSUP, "schema1 manifests are not supported (push the image again with a current client)");
	if (json_object_get_int64(v) != 2)
		return berth_error_set(err, ENOTSUP, "unsupported schemaVersion %lld",
				       (long long)json_object_get_int64(v));
	return 0;
}

int reg_manifest_classify(const char *body, size_t len, const char *content_type,
			  struct json_object **root, char media_type[REGISTRY_MEDIA_TYPE_MAX],
			  bool *is_index, struct berth_error *err)
{
	char ct[REGISTRY_MEDIA_TYPE_MAX];
	char buf[128];
	const char *mt;

	*root = NULL;
	content_type_base(content_type, ct, sizeof(ct));
	if (media_type_is(ct, MT_SCHEMA1) || media_type_is(ct, MT_SCHEMA1_SIGNED))
		return berth_error_set(err, ENOTSUP, "schema1 manifests are not supported (push the image again with a current client)");
	if (parse_json(body, len, root, err) < 0)
		return -1;
	if (!json_object_is_type(*root, json_type_object)) {
		berth_error_set(err, EBADMSG, "not a JSON object");
		goto fail;
	}
	if (check_schema_version(*root, err) < 0)
		goto fail;
	mt = get_string(*root, "mediaType");
	if (!mt && !is_index_type(ct) && !is_image_manifest_type(ct))
		mt = (!ct[0] || media_type_is(ct, "application/json") ||
		      media_type_is(ct, "application/octet-stream")) ? guess_type(*root) : ct;
	if (!mt)
		mt = ct;
	if (!is_index_type(mt) && !is_image_manifest_type(mt)) {
		berth_error_set(err, ENOTSUP, "unsupported manifest media type \"%s\"",
				shown(mt[0] ? mt : "(none)", buf, sizeof(buf)));
		goto fail;
	}
	*is_index = is_index_type(mt);
	snprintf(media_type, REGISTRY_MEDIA_TYPE_MAX, "%s", mt);
	return 0;
fail:
	json_object_put(*root);
	*root = NULL;
	return -1;
}

/* ---------------------------------------------------------------- indexes */

/* The platform of an index entry; false if it has none worth matching. */
static bool entry_platform(struct json_object *entry, struct reg_platform *p)
{
	struct json_object *plat;
	const char *os, *arch, *variant;

	memset(p, 0, sizeof(*p));
	if (!json_object_object_get_ex(entry, "platform", &plat) ||
	    !json_object_is_type(plat, json_type_object))
		return false;
	os = get_string(plat, "os");
	arch = get_string(plat, "architecture");
	variant = get_string(plat, "variant");
	if (!os || !arch || strlen(os) >= sizeof(p->os) || strlen(arch) >= sizeof(p->arch) ||
	    (variant && strlen(variant) >= sizeof(p->variant)))
		return false;
	strcpy(p->os, os);
	strcpy(p->arch, arch);
	if (variant)
		strcpy(p->variant, variant);
	normalise_variant(p);
	return true;
}

static void add_available(char *list, size_t size, const struct reg_platform *p)
{
	char one[REGISTRY_PLATFORM_MAX];
	size_t len = strlen(list);

	reg_platform_format(p, one, sizeof(one));
	berth_error_sanitize(one);
	if (strstr(list, one) || len + strlen(one) + 8 >= size)
		return;
	snprintf(list + len, size - len, "%s%s", len ? ", " : "", one);
}

int reg_index_select(struct json_object *root, const struct reg_platform *want,
		     struct registry_descriptor *chosen, char chosen_platform[REGISTRY_PLATFORM_MAX],
		     struct berth_error *err)
{
	struct json_object *manifests, *exact = NULL, *loose = NULL;
	struct reg_platform p, picked;
	char available[256] = "", wanted[REGISTRY_PLATFORM_MAX];
	size_t n;

	if (!json_object_object_get_ex(root, "manifests", &manifests) ||
	    !json_object_is_type(manifests, json_type_array))
		return berth_error_set(err, EBADMSG, "index has no manifests array");
	n = json_object_array_length(manifests);
	for (size_t i = 0; i < n && !exact; i++) {
		struct json_object *entry = json_object_array_get_idx(manifests, i);

		if (!json_object_is_type(entry, json_type_object) ||
		    !is_image_manifest_type(get_string(entry, "mediaType")) || !entry_platform(entry, &p))
			continue;
		if (strcmp(p.os, "unknown") != 0)   /* attestations, not images */
			add_available(available, sizeof(available), &p);
		if (strcmp(p.os, want->os) != 0 || strcmp(p.arch, want->arch) != 0)
			continue;
		if (strcmp(p.variant, want->variant) == 0) {
			exact = entry;
			picked = p;
		} else if (!want->variant[0] && !loose) {
			loose = entry;
			picked = p;
		}
	}
	if (!exact && !loose) {
		reg_platform_format(want, wanted, sizeof(wanted));
		return berth_error_set(err, ENOENT, "no manifest for platform \"%s\" (available: %s)",
				       wanted, available[0] ? available : "none");
	}
	reg_platform_format(&picked, chosen_platform, REGISTRY_PLATFORM_MAX);
	berth_error_sanitize(chosen_platform);
	if (parse_descriptor(exact ? exact : loose, "index entry", chosen, err) < 0)
		return -1;
	if (chosen->size > REGISTRY_MANIFEST_MAX)
		return berth_error_set(err, EFBIG, "index entry %s: manifest of %llu bytes is over the %u byte limit",
				       chosen->digest, (unsigned long long)chosen->size, REGISTRY_MANIFEST_MAX);
	return 0;
}

/* -------------------------------------------------------------- manifests */

static int layer_compression(const struct registry_descriptor *d, size_t i, struct berth_error *err)
{
	char buf[128];

	for (size_t t = 0; t < sizeof(layer_types) / sizeof(layer_types[0]); t++)
		if (strcmp(d->media_type, layer_types[t].media_type) == 0)
			return (int)layer_types[t].compression;
	if (strstr(d->media_type, "nondistributable") || strstr(d->media_type, "foreign"))
		return berth_error_set(err, ENOTSUP, "layer %zu: non-distributable layer type \"%s\" is not supported",
				       i + 1, shown(d->media_type, buf, sizeof(buf)));
	return berth_error_set(err, ENOTSUP, "layer %zu: unsupported media type \"%s\"", i + 1,
			       shown(d->media_type, buf, sizeof(buf)));
}

static int parse_layers(struct json_object *layers, struct registry_manifest *out,
			struct berth_error *err)
{
	size_t n;

	if (!json_object_is_type(layers, json_type_array))
		return berth_error_set(err, EBADMSG, "layers is not an array");
	n = json_object_array_length(layers);
	if (n > REGISTRY_LAYERS_MAX)
		return berth_error_set(err, EFBIG, "%zu layers (at most %d)", n, REGISTRY_LAYERS_MAX);
	out->layers = calloc(n ? n : 1, sizeof(*out->layers));
	if (!out->layers)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct registry_descriptor *d = &out->layers[i];
		char what[32];
		int compression;

		snprintf(what, sizeof(what), "layer %zu", i + 1);
		if (parse_descriptor(json_object_array_get_idx(layers, i), what, d, err) < 0)
			return -1;
		compression = layer_compression(d, i, err);
		if (compression < 0)
			return -1;
		d->compression = (enum registry_compression)compression;
		out->nlayers = i + 1;
	}
	return 0;
}

int reg_manifest_parse(struct json_object *root, const char *media_type,
		       struct registry_manifest *out, struct berth_error *err)
{
	struct json_object *config, *layers;
	char buf[128];

	snprintf(out->media_type, sizeof(out->media_type), "%s", media_type);
	if (!json_object_object_get_ex(root, "config", &config))
		return berth_error_set(err, EBADMSG, "manifest has no config");
	if (parse_descriptor(config, "config", &out->config, err) < 0)
		return -1;
	if (strcmp(out->config.media_type, REGISTRY_MT_OCI_CONFIG) != 0 &&
	    strcmp(out->config.media_type, REGISTRY_MT_DOCKER_CONFIG) != 0)
		return berth_error_set(err, ENOTSUP, "config media type \"%s\" is not a container image config",
				       shown(out->config.media_type, buf, sizeof(buf)));
	if (out->config.size > REGISTRY_CONFIG_MAX)
		return berth_error_set(err, EFBIG, "config of %llu bytes is over the %u byte limit",
				       (unsigned long long)out->config.size, REGISTRY_CONFIG_MAX);
	if (!json_object_object_get_ex(root, "layers", &layers))
		return berth_error_set(err, EBADMSG, "manifest has no layers");
	return parse_layers(layers, out, err);
}
