/*
 * test_flatten.c - unit tests of gateway/flatten*.c: layer tarballs are
 * generated with libarchive, flattened, and the image is read back with
 * libsquashfs and compared with the expected listing (format in
 * test_flatten_util.h).  Heavier cases (big file, many files, mount) are in
 * test_flatten_image.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "flatten.h"
#include "test_flatten_util.h"
#include "test_flatten_cases.h"
#include "unit.h"

/* Write the layers of a case into dir as l1, l2, ...; returns the count. */
size_t tc_write_layers(const char *dir, const struct tl_layer *layers, const char **paths)
{
	size_t n = 0;

	for (; layers[n].entries; n++) {
		char name[32];

		snprintf(name, sizeof(name), "l%zu", n + 1);
		paths[n] = strdup(tl_path(dir, name));
		ck_assert_int_eq(tl_write_layer(paths[n], layers[n].comp, layers[n].entries), 0);
	}
	return n;
}

void tc_free_paths(const char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)paths[i]);
}

/* ------------------------------------------------------------ semantics */

START_TEST(test_case_listing)
{
	const struct flat_case *c = &flat_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	struct flatten_options opts = { .compressor = "zstd", .level = 3, .workers = 2 };
	const char *paths[8];
	char *dir = tl_tmpdir(), *listing;
	const char *out;
	size_t n;
	int rc;

	ck_assert_ptr_nonnull(dir);
	n = tc_write_layers(dir, c->layers, paths);
	out = tl_path(dir, "out.sqfs");
	rc = flatten_layers(paths, n, out, &opts, NULL, &err);
	if (c->error) {
		ck_assert_msg(rc == -1, "%s: flatten succeeded", c->name);
		ck_assert_str_eq(err.msg, c->error);
		ck_assert_int_eq(err.code, c->code);
		ck_assert_msg(access(out, F_OK) == -1 && errno == ENOENT,
			      "%s: output left behind", c->name);
	} else {
		ck_assert_msg(rc == 0, "%s: %s", c->name, err.msg);
		listing = tl_list_image(out);
		ck_assert_ptr_nonnull(listing);
		ck_assert_msg(strcmp(listing, c->expected) == 0, "%s:\n--- got\n%s--- expected\n%s",
			      c->name, listing, c->expected);
		free(listing);
	}
	tc_free_paths(paths, n);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ stats, metadata */

static const struct tl_entry stats_layer1[] = {
	{ .type = 'd', .path = "bin" },
	{ .type = 'f', .path = "bin/tool", .mode = 04755, .data = "T" },
	{ .type = 'h', .path = "bin/tool2", .link = "bin/tool" },
	{ .type = 'f', .path = "bin/gone", .data = "G" },
	{ .type = 'l', .path = "bin/sh", .link = "tool" },
	{ .type = 'f', .path = "bin/ping", .mode = 0755, .data = "P", .xattr = "security.capability=\x01\x02" },
	{ .type = 'c', .path = "dev/null" },
	{ .type = 'b', .path = "dev/sda" },
	{ 0 },
};

static const struct tl_entry stats_layer2[] = {
	{ .type = 'f', .path = "bin/.wh.gone" },
	{ .type = 'f', .path = "etc/conf", .mode = 02644, .data = "C", .xattr = "user.a=1", .mtime = 1800000000 },
	{ .type = 'f', .path = ".wh.nothing" },
	{ 0 },
};

START_TEST(test_stats_and_superblock)
{
	const struct tl_layer layers[] = {
		{ TL_PLAIN, stats_layer1 }, { TL_GZIP, stats_layer2 }, { 0, NULL },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct flatten_stats st;
	struct tl_super sb;
	struct tl_stat conf, tool, tool2;
	const char *paths[4];
	char *dir = tl_tmpdir();
	const char *out = tl_path(dir, "out.sqfs");
	size_t n = tc_write_layers(dir, layers, paths);

	memset(&st, 0xff, sizeof(st));
	ck_assert_msg(flatten_layers(paths, n, out, NULL, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.files, 3);          /* tool (2 names), ping, conf */
	ck_assert_uint_eq(st.dirs, 4);           /* /, bin, dev, etc */
	ck_assert_uint_eq(st.symlinks, 1);
	ck_assert_uint_eq(st.hardlinks, 1);
	ck_assert_uint_eq(st.bytes_in, 3);
	ck_assert_uint_eq(st.skipped_devices, 2);
	ck_assert_uint_eq(st.stripped_setuid, 2);
	ck_assert_uint_eq(st.dropped_xattrs, 2);
	ck_assert_uint_eq(st.whiteouts_applied, 2);
	ck_assert_uint_eq(st.bytes_out % 4096, 0);

	ck_assert_int_eq(tl_read_super(out, &sb), 0);
	ck_assert_uint_eq(st.bytes_out, (sb.bytes_used + 4095) & ~4095ull);
	ck_assert_uint_eq(sb.mtime, 1800000000);  /* newest mtime, not "now" */
	ck_assert_uint_eq(sb.compression_id, 6);  /* zstd is the default */
	ck_assert_uint_eq(sb.zstd_level, FLATTEN_ZSTD_LEVEL);  /* not zstd's own (15) */
	ck_assert_uint_eq(sb.block_size, 128 * 1024);
	ck_assert(sb.flags & 0x0200);             /* no xattrs */
	ck_assert_uint_eq(sb.xattr_table, UINT64_MAX);

	ck_assert_int_eq(tl_stat_image(out, "etc/conf", &conf), 0);
	ck_assert_uint_eq(conf.mtime, 1800000000);
	ck_assert_int_eq(tl_stat_image(out, "bin/tool", &tool), 0);
	ck_assert_int_eq(tl_stat_image(out, "bin/tool2", &tool2), 0);
	ck_assert_uint_eq(tool.inode_number, tool2.inode_number);
	ck_assert_uint_eq(tool.mtime, TL_MTIME);
	tc_free_paths(paths, n);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

static const struct tl_entry mtime_layer[] = {
	{ .type = 'f', .path = "old", .data = "o", .mtime = -5 },
	{ .type = 'f', .path = "future", .data = "f", .mtime = INT64_C(1) << 40 },
	{ 0 },
};

START_TEST(test_mtime_clamped)
{
	const struct tl_layer layers[] = { { TL_PLAIN, mtime_layer }, { 0, NULL } };
	struct berth_error err = BERTH_ERROR_INIT;
	struct tl_stat st;
	const char *paths[2];
	char *dir = tl_tmpdir();
	const char *out = tl_path(dir, "out.sqfs");
	size_t n = tc_write_layers(dir, layers, paths);

	ck_assert_msg(flatten_layers(paths, n, out, NULL, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(tl_stat_image(out, "old", &st), 0);
	ck_assert_uint_eq(st.mtime, 0);
	ck_assert_int_eq(tl_stat_image(out, "future", &st), 0);
	ck_assert_uint_eq(st.mtime, UINT32_MAX);
	tc_free_paths(paths, n);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ arguments */

static const struct {
	struct flatten_options opts;
	int code;
	const char *msg;
} option_cases[] = {
	{ { "brotli", 0, 0, 0, NULL }, EINVAL, "compressor \"brotli\" is not one of zstd, gzip, xz, lz4, lzo" },
	{ { "lzma", 0, 0, 0, NULL }, EINVAL, "compressor \"lzma\" is not one of zstd, gzip, xz, lz4, lzo" },
	{ { "zstd", 23, 0, 0, NULL }, EINVAL, "compressor \"zstd\": level 23 is not in 1-22" },
	{ { "gzip", -1, 0, 0, NULL }, EINVAL, "compressor \"gzip\": level -1 is not in 1-9" },
	{ { "xz", 10, 0, 0, NULL }, EINVAL, "compressor \"xz\": level 10 is not in 1-9" },
	{ { "lz4", 1, 0, 0, NULL }, EINVAL, "compressor \"lz4\" takes no level" },
	{ { "zstd", 0, 1000, 0, NULL }, EINVAL, "block size 1000 is not a power of two in 4096-1048576" },
	{ { "zstd", 0, 2048, 0, NULL }, EINVAL, "block size 2048 is not a power of two in 4096-1048576" },
	{ { "zstd", 0, 2 << 20, 0, NULL }, EINVAL, "block size 2097152 is not a power of two in 4096-1048576" },
};

START_TEST(test_bad_options)
{
	static const struct tl_entry entries[] = { { .type = 'f', .path = "a", .data = "a" }, { 0 } };
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *layer = strdup(tl_path(dir, "l1"));
	const char *out = tl_path(dir, "out.sqfs");

	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, &option_cases[_i].opts, NULL, &err), -1);
	ck_assert_str_eq(err.msg, option_cases[_i].msg);
	ck_assert_int_eq(err.code, option_cases[_i].code);
	ck_assert_int_eq(access(out, F_OK), -1);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_bad_arguments)
{
	struct berth_error err = BERTH_ERROR_INIT;
	const char *layers[] = { "/nonexistent/layer" };
	const char *null_layer[] = { NULL };
	char *dir = tl_tmpdir();
	const char *out = tl_path(dir, "out.sqfs");

	ck_assert_int_eq(flatten_layers(layers, 0, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "no layers to flatten");
	ck_assert_int_eq(flatten_layers(layers, 1, NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "no output path");
	ck_assert_int_eq(flatten_layers(null_layer, 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: no path");
	ck_assert_int_eq(flatten_layers(layers, FLATTEN_LAYERS_MAX + 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "too many layers (1001, at most 1000)");
	ck_assert_int_eq(flatten_layers(layers, 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: \"/nonexistent/layer\": No such file or directory");
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_int_eq(access(out, F_OK), -1);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

START_TEST(test_output_must_not_exist)
{
	static const struct tl_entry entries[] = { { .type = 'f', .path = "a", .data = "a" }, { 0 } };
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *layer = strdup(tl_path(dir, "l1"));
	char *out = strdup(tl_path(dir, "out.sqfs"));
	char expected[512];
	FILE *f = fopen(out, "w");

	ck_assert_ptr_nonnull(f);
	fputs("precious", f);
	fclose(f);
	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	snprintf(expected, sizeof(expected), "creating \"%s\": File exists", out);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, EEXIST);
	f = fopen(out, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fgetc(f), 'p');  /* untouched */
	fclose(f);
	free(out);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* Not a tar, and a zero-byte blob (an empty layer). */
START_TEST(test_layer_formats)
{
	static const struct tl_entry entries[] = { { .type = 'f', .path = "a", .data = "a" }, { 0 } };
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *layers[2] = { strdup(tl_path(dir, "l1")), strdup(tl_path(dir, "l2")) };
	const char *out = tl_path(dir, "out.sqfs");
	char *listing;
	FILE *f = fopen(layers[1], "w");

	ck_assert_int_eq(tl_write_layer(layers[0], TL_PLAIN, entries), 0);
	fclose(f);
	ck_assert_msg(flatten_layers(layers, 2, out, NULL, NULL, &err) == 0, "%s", err.msg);
	listing = tl_list_image(out);
	ck_assert_str_eq(listing, "/ d 0755 0:0 n=2\n/a f 0644 0:0 n=1 \"a\"\n");
	free(listing);
	unlink(out);
	f = fopen(layers[1], "w");
	fputs("this is not a tar archive, not even close; it is plain text.\n", f);
	fclose(f);
	ck_assert_int_eq(flatten_layers(layers, 2, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 2: reading archive: Unrecognized archive format");
	ck_assert_int_eq(access(out, F_OK), -1);
	free((char *)layers[0]);
	free((char *)layers[1]);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* A layer cut short in the middle of a file's data (plain and gzip). */
START_TEST(test_truncated_layer)
{
	const struct tl_entry entries[] = {
		{ .type = 'f', .path = "small", .data = "s" },
		{ .type = 'f', .path = "blob", .gen_size = 400000, .gen_seed = 1 },
		{ 0 },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	const char *layer = strdup(tl_path(dir, "l1"));
	const char *out = tl_path(dir, "out.sqfs");

	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(truncate(layer, 300000), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	/* libarchive's own words follow: 3.8 (sid) adds " detected while reading data" */
	ck_assert_msg(strncmp(err.msg, "layer 1: entry \"blob\": reading data: Truncated tar archive",
			      strlen("layer 1: entry \"blob\": reading data: Truncated tar archive")) == 0,
		      "%s", err.msg);
	ck_assert_int_eq(access(out, F_OK), -1);

	/* the same cut inside the gzip stream: reported by the inflating thread */
	ck_assert_int_eq(tl_write_layer(layer, TL_GZIP, entries), 0);
	ck_assert_int_eq(truncate(layer, 300000), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: reading archive: truncated gzip input");
	ck_assert_int_eq(access(out, F_OK), -1);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* A layer written as several gzip members (like pigz/gzip -c >> does), with
 * trailing data after the last one, flattens like the single-member layer;
 * a bad CRC in a member is an error.  (isa-l or libarchive inflate.) */
START_TEST(test_gzip_members)
{
	const struct tl_entry entries[] = {
		{ .type = 'f', .path = "one", .gen_size = 300000, .gen_seed = 7 },
		{ .type = 'f', .path = "two", .gen_size = 200000, .gen_seed = 8 },
		{ 0 },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir();
	char cmd[1024], *want, *got;
	const char *layer;
	const char *out = strdup(tl_path(dir, "out.sqfs"));
	FILE *f;
	long size;

	layer = strdup(tl_path(dir, "l.gz"));
	ck_assert_int_eq(tl_write_layer(layer, TL_GZIP, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), 0);
	want = tl_list_image(out);
	unlink(out);
	ck_assert_int_eq(tl_write_layer(tl_path(dir, "l.tar"), TL_PLAIN, entries), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && head -c 250000 l.tar | gzip -c > l.gz && "
		 "tail -c +250001 l.tar | gzip -c >> l.gz && printf 'trailing junk' >> l.gz", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(flatten_layers(&layer, 1, out, NULL, NULL, &err) == 0, "%s", err.msg);
	got = tl_list_image(out);
	ck_assert_str_eq(got, want);
	free(got);
	unlink(out);
	/* the whole tar in one member with a wrong CRC (last 8 bytes: CRC32, ISIZE) */
	snprintf(cmd, sizeof(cmd), "cd %s && gzip -c l.tar > l.gz", dir);
	ck_assert_int_eq(system(cmd), 0);
	f = fopen(layer, "r+");
	ck_assert_ptr_nonnull(f);
	fseek(f, 0, SEEK_END);
	size = ftell(f);
	fseek(f, size - 8, SEEK_SET);
	fputc(0x5a, f);
	fclose(f);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	ck_assert_msg(!strncmp(err.msg, "layer 1: reading archive: ", 26), "%s", err.msg);
	ck_assert_int_eq(access(out, F_OK), -1);
	free(want);
	free((char *)layer);
	free((char *)out);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* sha256 of a whole file as "sha256:<hex>". */
static void file_digest(const char *path, char out[72])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char buf[65536], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	FILE *f = fopen(path, "rb");
	size_t n;

	ck_assert_ptr_nonnull(ctx);
	ck_assert_ptr_nonnull(f);
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(ctx, buf, n);
	fclose(f);
	EVP_DigestFinal_ex(ctx, md, &mdlen);
	EVP_MD_CTX_free(ctx);
	memcpy(out, "sha256:", 7);
	for (unsigned i = 0; i < 32; i++) {
		out[7 + 2 * i] = hex[md[i] >> 4];
		out[8 + 2 * i] = hex[md[i] & 15];
	}
	out[71] = '\0';
}

/* rootfs.diff_ids: the sha256 of each layer's uncompressed tar stream (the
 * whole stream, end-of-archive padding included), whatever the compression. */
START_TEST(test_diff_ids)
{
	static const struct tl_entry bottom[] = { { .type = 'f', .path = "a", .data = "a" }, { 0 } };
	const struct tl_entry top[] = {
		{ .type = 'f', .path = "b", .gen_size = 3000000, .gen_seed = 5 }, { 0 },
	};
	static const char wrong[] = "sha256:00000000000000000000000000000000"
				    "00000000000000000000000000000000";
	struct berth_error err = BERTH_ERROR_INIT;
	char *dir = tl_tmpdir(), cmd[1024], ids[2][72], expected[512];
	const char *layers[2] = { strdup(tl_path(dir, "l1")), strdup(tl_path(dir, "l2.gz")) };
	const char *diff_ids[2] = { ids[0], ids[1] };
	const char *out = strdup(tl_path(dir, "out.sqfs"));
	struct flatten_options opts = { .workers = 2, .diff_ids = diff_ids };

	ck_assert_int_eq(tl_write_layer(layers[0], TL_PLAIN, bottom), 0);
	ck_assert_int_eq(tl_write_layer(tl_path(dir, "l2.tar"), TL_PLAIN, top), 0);
	file_digest(layers[0], ids[0]);
	file_digest(tl_path(dir, "l2.tar"), ids[1]);
	snprintf(cmd, sizeof(cmd), "cd %s && gzip -n -c l2.tar > l2.gz", dir);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_msg(flatten_layers(layers, 2, out, &opts, NULL, &err) == 0, "%s", err.msg);
	unlink(out);
	/* the top layer is read first: its mismatch is found first */
	diff_ids[1] = wrong;
	ck_assert_int_eq(flatten_layers(layers, 2, out, &opts, NULL, &err), -1);
	snprintf(expected, sizeof(expected), "layer 2: uncompressed digest %s does not match "
		 "rootfs.diff_ids[1] %s", ids[1], wrong);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, EBADMSG);
	ck_assert_int_eq(access(out, F_OK), -1);
	/* the compressed blob's digest is not the diff_id */
	file_digest(layers[1], ids[1]);
	diff_ids[1] = ids[1];
	diff_ids[0] = wrong;
	ck_assert_int_eq(flatten_layers(layers, 2, out, &opts, NULL, &err), -1);
	ck_assert_msg(strstr(err.msg, "layer 2: uncompressed digest ") == err.msg, "%s", err.msg);
	file_digest(tl_path(dir, "l2.tar"), ids[1]);
	ck_assert_int_eq(flatten_layers(layers, 2, out, &opts, NULL, &err), -1);
	snprintf(expected, sizeof(expected), "layer 1: uncompressed digest %s does not match "
		 "rootfs.diff_ids[0] %s", ids[0], wrong);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(access(out, F_OK), -1);
	free((char *)layers[0]);
	free((char *)layers[1]);
	free((char *)out);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

Suite *flatten_image_suite(Suite *s);
Suite *flatten_source_suite(Suite *s);

int main(void)
{
	Suite *s = suite_create("flatten");
	TCase *tc = tcase_create("semantics");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_case_listing, 0, (int)flat_case_count);
	tcase_add_test(tc, test_stats_and_superblock);
	tcase_add_test(tc, test_mtime_clamped);
	suite_add_tcase(s, tc);
	tc = tcase_create("arguments");
	tcase_add_loop_test(tc, test_bad_options, 0, (int)ARRAY_LEN(option_cases));
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_output_must_not_exist);
	tcase_add_test(tc, test_layer_formats);
	tcase_add_test(tc, test_truncated_layer);
	tcase_add_test(tc, test_gzip_members);
	tcase_add_test(tc, test_diff_ids);
	suite_add_tcase(s, tc);
	return unit_run(flatten_source_suite(flatten_image_suite(s)));
}
