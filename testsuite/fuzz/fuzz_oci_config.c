/*
 * fuzz_oci_config.c - berth_image_meta_from_oci_config (common/image_meta.c):
 * the gateway turns a registry's (or an import's) image config blob into
 * the metadata file every task reads.
 *
 * Input: the config blob.  Checks: a converted config passes
 * berth_image_meta_check, and the metadata file written from it loads
 * back to the same metadata (the gateway never publishes a file the nodes
 * reject).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "image_meta.h"
#include "fuzz_meta.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_image_meta m;
	struct berth_error err = BERTH_ERROR_INIT;

	if (berth_image_meta_from_oci_config((const char *)data, size, DIGEST, &m, &err) < 0) {
		fz_check_error(&err, "berth_image_meta_from_oci_config");
		return 0;
	}
	FZ_CHECK(!strcmp(m.digest, DIGEST), "digest \"%s\"", m.digest);
	fz_meta_round_trip(&m);
	berth_image_meta_free(&m);
	return 0;
}
