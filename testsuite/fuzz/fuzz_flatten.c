/*
 * fuzz_flatten.c - layer tars through the flattener (gateway/flatten*.c):
 * flatten_layers() on a layer blob made from the input, into a squashfs in
 * the target's scratch directory.
 *
 * Input: byte 0 is a set of mode bits, the rest is the layer:
 *   bit 0  gzip the layer first (the gateway's usual tar+gzip; isa-l's
 *          inflate when built with it, libarchive's otherwise);
 *   bit 1  pass rootfs.diff_ids with the sha256 of the uncompressed layer
 *          (the flattener hashes while it inflates: it must agree);
 *   bit 2  two layers: the input split at the first "\n--\n" (upper layer
 *          after it), so whiteouts and replacements meet a lower layer.
 * Checks: no crash, leak or sanitizer report (libarchive, libsquashfs and
 * isa-l are not instrumented: what they do is trusted, what berth does
 * with them is checked); with the right diff_id no "does not match" error;
 * on failure nothing is left at the output path, on success the image is
 * there; nothing else appears in the scratch directory or in the working
 * directory (the flattener writes only the file it is asked to).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <zlib.h>

#include "flatten.h"
#include "fuzz_util.h"
#include "image_ref.h"

#define SEPARATOR "\n--\n"

static char layer_path[2][4096], out_path[4096];
static size_t cwd_entries;

static size_t count_entries(const char *dir)
{
	char *names[256];
	size_t n = fz_list_dir(dir, names, 255);

	for (size_t i = 0; i < n && i < 255; i++)
		free(names[i]);
	return n;
}

static void setup(void)
{
	if (out_path[0])
		return;
	fz_path(layer_path[0], sizeof(layer_path[0]), "layer0");
	fz_path(layer_path[1], sizeof(layer_path[1]), "layer1");
	fz_path(out_path, sizeof(out_path), "out.sqfs");
	/* a relative path the flattener made up would land in the working
	 * directory (libFuzzer writes into corpus directories, not there) */
	cwd_entries = count_entries(".");
}

static void diff_id(const uint8_t *data, size_t size, char out[BERTH_DIGEST_LEN + 1])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int len = 0;

	FZ_CHECK(EVP_Digest(data, size, md, &len, EVP_sha256(), NULL) == 1 && len == 32, "sha256");
	berth_digest_format(md, out);
}

/* Write one layer; with gzip, compress it as one member. */
static void write_layer(const char *path, const uint8_t *data, size_t size, bool gzip)
{
	z_stream z;
	uLong bound;
	unsigned char *buf;

	if (!gzip) {
		fz_write_file(path, data, size);
		return;
	}
	memset(&z, 0, sizeof(z));
	FZ_CHECK(deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
	bound = deflateBound(&z, (uLong)size);
	buf = malloc(bound);
	FZ_CHECK(buf != NULL, "out of memory");
	z.next_in = (Bytef *)data;
	z.avail_in = (uInt)size;
	z.next_out = buf;
	z.avail_out = (uInt)bound;
	FZ_CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
	fz_write_file(path, buf, bound - z.avail_out);
	deflateEnd(&z);
	free(buf);
}

/* A blob the flattener may itself inflate: then its diff_id is not the
 * sha256 of our bytes. */
static bool compressed_magic(const uint8_t *data, size_t size)
{
	return (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) ||
	       (size >= 4 && data[0] == 0x28 && data[1] == 0xb5 && data[2] == 0x2f && data[3] == 0xfd);
}

static void check_scratch(bool image_expected)
{
	char *names[8];
	size_t n = fz_list_dir(fz_tmpdir(), names, 7);

	for (size_t i = 0; i < n && i < 7; i++) {
		FZ_CHECK(!strcmp(names[i], "layer0") || !strcmp(names[i], "layer1") ||
			 (image_expected && !strcmp(names[i], "out.sqfs")),
			 "the flattener left \"%s\" in its directory", names[i]);
		free(names[i]);
	}
	FZ_CHECK(n <= 3, "%zu entries in the scratch directory", n);
	FZ_CHECK(count_entries(".") == cwd_entries, "the flattener wrote into the working directory");
	FZ_CHECK(image_expected == (access(out_path, F_OK) == 0), "output %s", image_expected ? "missing" : "left");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct flatten_options opts;
	struct flatten_stats stats;
	struct berth_error err = BERTH_ERROR_INIT;
	char ids[2][BERTH_DIGEST_LEN + 1];
	const char *diff_ids[2] = { ids[0], ids[1] }, *layers[2] = { layer_path[0], layer_path[1] };
	const uint8_t *part[2];
	size_t part_len[2], nlayers = 1;
	bool gzip, hash, exact = true;
	unsigned mode;
	int rc;

	if (size < 1)
		return 0;
	setup();
	mode = data[0];
	gzip = mode & 1;
	hash = mode & 2;
	part[0] = data + 1;
	part_len[0] = size - 1;
	if (mode & 4) {
		const uint8_t *sep = memmem(part[0], part_len[0], SEPARATOR, strlen(SEPARATOR));

		if (sep) {
			part[1] = sep + strlen(SEPARATOR);
			part_len[1] = part_len[0] - (size_t)(part[1] - part[0]);
			part_len[0] = (size_t)(sep - part[0]);
			nlayers = 2;
		}
	}
	for (size_t i = 0; i < nlayers; i++) {
		write_layer(layer_path[i], part[i], part_len[i], gzip);
		diff_id(part[i], part_len[i], ids[i]);
		exact &= gzip || !compressed_magic(part[i], part_len[i]);
	}
	memset(&opts, 0, sizeof(opts));
	opts.compressor = "lz4";   /* the cheapest to set up: the work is elsewhere */
	opts.block_size = 4096;
	opts.workers = 1;
	opts.diff_ids = hash ? diff_ids : NULL;
	rc = flatten_layers(layers, nlayers, out_path, &opts, &stats, &err);
	if (rc < 0) {
		fz_check_error(&err, "flatten_layers");
		FZ_CHECK(!(hash && exact && strstr(err.msg, "does not match rootfs.diff_ids")),
			 "the right diff_id was refused: %s", err.msg);
	} else {
		FZ_CHECK(stats.dirs >= 1 && stats.bytes_out > 0, "stats");
	}
	check_scratch(rc == 0);
	unlink(out_path);
	for (size_t i = 0; i < nlayers; i++)
		unlink(layer_path[i]);
	return 0;
}
