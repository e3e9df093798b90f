/*
 * fuzz_image_ref.c - berth_image_ref_parse (common/image_ref.c): every
 * --image value, and every ref a gateway request carries, goes through it.
 *
 * Input: byte 0 picks the default type, the rest is the reference text.
 * Checks: an accepted reference is printable ASCII without blanks; its
 * fields are within their bounds; berth_image_ref_format gives a text that
 * parses (under any default type) to the same ref and formats to the same
 * text; a buffer one byte short is ENOSPC, not an overflow.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "image_ref.h"

static void check_fields(const struct berth_image_ref *ref)
{
	FZ_CHECK(ref->type == BERTH_IMAGE_DOCKER || ref->type == BERTH_IMAGE_ID ||
		 ref->type == BERTH_IMAGE_LOCAL, "type %d", (int)ref->type);
	FZ_CHECK(strnlen(ref->registry, sizeof(ref->registry)) < sizeof(ref->registry), "registry");
	FZ_CHECK(strnlen(ref->repository, sizeof(ref->repository)) < sizeof(ref->repository), "repository");
	FZ_CHECK(strnlen(ref->tag, sizeof(ref->tag)) < sizeof(ref->tag), "tag");
	FZ_CHECK(strnlen(ref->path, sizeof(ref->path)) < sizeof(ref->path), "path");
	FZ_CHECK(!ref->digest[0] || berth_digest_valid(ref->digest), "digest \"%s\"", ref->digest);
	switch (ref->type) {
	case BERTH_IMAGE_DOCKER:
		FZ_CHECK(ref->registry[0] && ref->repository[0], "empty name");
		FZ_CHECK(strlen(ref->registry) + 1 + strlen(ref->repository) <= 255,
			 "name longer than 255: %s/%s", ref->registry, ref->repository);
		FZ_CHECK(ref->tag[0] || ref->digest[0], "neither tag nor digest");
		break;
	case BERTH_IMAGE_ID:
		FZ_CHECK(ref->digest[0], "id without digest");
		break;
	case BERTH_IMAGE_LOCAL:
		FZ_CHECK(ref->path[0] == '/' && ref->path[1], "local path \"%s\"", ref->path);
		FZ_CHECK(!strstr(ref->path, "//") && !strstr(ref->path, "/../") &&
			 !strstr(ref->path, "/./"), "local path not normalised: \"%s\"", ref->path);
		break;
	}
}

static bool same_ref(const struct berth_image_ref *a, const struct berth_image_ref *b)
{
	return a->type == b->type && !strcmp(a->registry, b->registry) &&
	       !strcmp(a->repository, b->repository) && !strcmp(a->tag, b->tag) &&
	       !strcmp(a->digest, b->digest) && !strcmp(a->path, b->path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_ref *ref, *again;
	char canonical[8192], twice[8192];
	enum berth_image_type type;
	char *text;
	size_t len;

	if (size < 1)
		return 0;
	type = (enum berth_image_type)(data[0] % 3);
	text = fz_strndup(data + 1, size - 1);
	ref = malloc(sizeof(*ref));
	again = malloc(sizeof(*again));
	FZ_CHECK(ref && again, "out of memory");
	if (berth_image_ref_parse(text, type, ref, &err) < 0) {
		fz_check_error(&err, "berth_image_ref_parse");
		goto out;
	}
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		FZ_CHECK(*p > 0x20 && *p < 0x7f, "accepted byte 0x%02x", *p);
	check_fields(ref);
	FZ_CHECK(berth_image_ref_format(ref, canonical, sizeof(canonical), &err) == 0,
		 "format: %s", err.msg);
	len = strlen(canonical);
	/* a known TYPE prefix wins over the default type */
	FZ_CHECK(berth_image_ref_parse(canonical, (enum berth_image_type)((type + 1) % 3), again, &err) == 0,
		 "canonical \"%s\" (from \"%s\") does not parse: %s", canonical, text, err.msg);
	FZ_CHECK(same_ref(ref, again), "\"%s\" -> \"%s\" parses to another ref", text, canonical);
	FZ_CHECK(berth_image_ref_format(again, twice, sizeof(twice), &err) == 0, "format: %s", err.msg);
	FZ_CHECK(!strcmp(canonical, twice), "format not stable: \"%s\" vs \"%s\"", canonical, twice);
	berth_error_clear(&err);
	FZ_CHECK(berth_image_ref_format(ref, twice, len, &err) < 0 && err.code == ENOSPC,
		 "a %zu byte buffer for \"%s\" did not fail with ENOSPC", len, canonical);
	fz_check_error(&err, "berth_image_ref_format");
out:
	free(again);
	free(ref);
	free(text);
	return 0;
}
