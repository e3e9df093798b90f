/*
 * fuzz_manifest.c - registry manifests, indexes and Docker manifest lists
 * (gateway/registry_manifest.c): reg_manifest_classify, reg_index_select,
 * reg_manifest_parse, as registry.c calls them on a registry's answer.
 *
 * Input: the Content-Type header up to the first '\n' ("-" for none), then
 * the body (NUL-terminated, as reg_body keeps it).  Checks: a classified
 * document is an index or an image manifest type; a selected index entry
 * is an image manifest with a valid digest and a size within the manifest
 * bound, for the platform asked for; a parsed manifest has a container
 * config descriptor within bounds and at most REGISTRY_LAYERS_MAX layers,
 * each with a valid digest and a known compression.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "fuzz_util.h"
#include "registry_internal.h"

static const char *const platforms[] = { "linux/amd64", "linux/arm64", "linux/arm/v6", "windows/amd64" };

static void check_descriptor(const char *what, const struct registry_descriptor *d)
{
	FZ_CHECK(strnlen(d->media_type, sizeof(d->media_type)) < sizeof(d->media_type), "%s media type", what);
	FZ_CHECK(berth_digest_valid(d->digest), "%s digest \"%s\"", what, d->digest);
}

static void select_entry(struct json_object *root, unsigned which)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_descriptor chosen;
	struct reg_platform want;
	char platform[REGISTRY_PLATFORM_MAX], want_text[REGISTRY_PLATFORM_MAX];

	FZ_CHECK(reg_platform_parse(platforms[which % 4], &want, &err) == 0, "platform: %s", err.msg);
	if (reg_index_select(root, &want, &chosen, platform, &err) < 0) {
		fz_check_error(&err, "reg_index_select");
		return;
	}
	check_descriptor("index entry", &chosen);
	FZ_CHECK(chosen.size <= REGISTRY_MANIFEST_MAX, "entry of %llu bytes", (unsigned long long)chosen.size);
	FZ_CHECK(!strcasecmp(chosen.media_type, REGISTRY_MT_OCI_MANIFEST) ||
		 !strcasecmp(chosen.media_type, REGISTRY_MT_DOCKER_MANIFEST), "entry type \"%s\"",
		 chosen.media_type);
	FZ_CHECK(!fz_has_control(platform), "platform \"%s\"", platform);
	reg_platform_format(&want, want_text, sizeof(want_text));
	/* same os/arch; the variant may be looser when none was asked for */
	FZ_CHECK(!strncmp(platform, want_text, strlen(want_text)), "asked %s, chose %s", want_text, platform);
}

static void parse_manifest(struct json_object *root, const char *media_type)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct registry_manifest out;

	memset(&out, 0, sizeof(out));
	if (reg_manifest_parse(root, media_type, &out, &err) < 0) {
		fz_check_error(&err, "reg_manifest_parse");
	} else {
		check_descriptor("config", &out.config);
		FZ_CHECK(!strcmp(out.config.media_type, REGISTRY_MT_OCI_CONFIG) ||
			 !strcmp(out.config.media_type, REGISTRY_MT_DOCKER_CONFIG), "config type");
		FZ_CHECK(out.config.size <= REGISTRY_CONFIG_MAX, "config size");
		FZ_CHECK(out.nlayers <= REGISTRY_LAYERS_MAX, "%zu layers", out.nlayers);
		for (size_t i = 0; i < out.nlayers; i++) {
			check_descriptor("layer", &out.layers[i]);
			FZ_CHECK(out.layers[i].compression <= REGISTRY_COMPRESSION_ZSTD, "compression");
		}
	}
	registry_manifest_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char media_type[REGISTRY_MEDIA_TYPE_MAX];
	const uint8_t *nl = memchr(data, '\n', size);
	struct json_object *root = NULL;
	char *content_type, *body;
	size_t ct_len = nl ? (size_t)(nl - data) : 0, body_len;
	bool is_index = false;

	content_type = fz_strndup(data, ct_len);
	body_len = nl ? size - ct_len - 1 : size;
	body = fz_strndup(nl ? nl + 1 : data, body_len);
	if (reg_manifest_classify(body, body_len, strcmp(content_type, "-") ? content_type : NULL, &root,
				  media_type, &is_index, &err) < 0) {
		fz_check_error(&err, "reg_manifest_classify");
		FZ_CHECK(root == NULL, "root left after a failure");
		goto out;
	}
	FZ_CHECK(root != NULL, "no document");
	if (is_index) {
		FZ_CHECK(!strcasecmp(media_type, REGISTRY_MT_OCI_INDEX) ||
			 !strcasecmp(media_type, REGISTRY_MT_DOCKER_LIST), "index type \"%s\"", media_type);
		select_entry(root, (unsigned)size);
	} else {
		FZ_CHECK(!strcasecmp(media_type, REGISTRY_MT_OCI_MANIFEST) ||
			 !strcasecmp(media_type, REGISTRY_MT_DOCKER_MANIFEST), "manifest type \"%s\"",
			 media_type);
		parse_manifest(root, media_type);
	}
	json_object_put(root);
out:
	free(content_type);
	free(body);
	return 0;
}
