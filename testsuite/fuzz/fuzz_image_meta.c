/*
 * fuzz_image_meta.c - the image metadata file <image_dir>/<digest>.json
 * (common/image_meta.c): the gateway writes it from the image's config,
 * every task of a job reads it as root.  Its content is the image author's.
 *
 * Input: the document.  Checks: an accepted document passes
 * berth_image_meta_check; berth_image_meta_to_json accepts it (the writer
 * refuses only what the loader rejects), and its output parses to the same
 * metadata and serialises to the same text.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "image_meta.h"
#include "fuzz_meta.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_image_meta m;
	struct berth_error err = BERTH_ERROR_INIT;

	if (berth_image_meta_parse((const char *)data, size, &m, &err) < 0) {
		fz_check_error(&err, "berth_image_meta_parse");
		return 0;
	}
	fz_meta_round_trip(&m);
	berth_image_meta_free(&m);
	return 0;
}
