/*
 * gw_import_internal.h - shared by gw_import.c (archive and file helpers)
 * and gw_import_image.c (choosing the image, the job).
 */
#ifndef BERTH_GW_IMPORT_INTERNAL_H_
#define BERTH_GW_IMPORT_INTERNAL_H_

#include <stddef.h>
#include <stdint.h>

#include "gw_service_internal.h"

/* An image found in an extracted archive. */
struct import_image {
	char digest[BERTH_DIGEST_LEN + 1];
	char *config;                 /* the config blob's bytes */
	size_t config_len;
	char **layers;                /* paths of the layer files, base first */
	size_t nlayers;
};

void gw_import_image_free(struct import_image *img);

/* Extract the regular files of the archive into dir (names checked). */
int gw_imp_extract(const char *archive_path, const char *dir, struct berth_error *err);
int gw_imp_sha256_file(const char *path, char *digest, uint64_t *size, struct berth_error *err);
/* A file of at most 4 MiB, NUL-terminated; free(*out). */
int gw_imp_read_small(const char *path, char **out, size_t *len, struct berth_error *err);
struct json_object *gw_imp_parse_json(const char *text, size_t len, const char *what,
				      struct berth_error *err);
/* String member key of o, or NULL. */
const char *gw_imp_get_str(struct json_object *o, const char *key);

#endif
