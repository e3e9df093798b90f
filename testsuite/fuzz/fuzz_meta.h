/*
 * fuzz_meta.h - the image metadata round trip shared by fuzz_image_meta.c
 * and fuzz_oci_config.c (fuzz_meta.c).
 */
#ifndef BERTH_FUZZ_META_H_
#define BERTH_FUZZ_META_H_

#include "image_meta.h"

/* m is accepted metadata: it passes berth_image_meta_check, serialises,
 * parses back to equal metadata and serialises to the same text. */
void fz_meta_round_trip(const struct berth_image_meta *m);

#endif
