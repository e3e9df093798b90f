/*
 * test_flatten_image.c - the heavier flatten tests: a big file, many small
 * files, byte-identical output, compressors and block sizes, name limits,
 * and (as root) the kernel's view of a loop-mounted image.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1  /* asprintf */
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flatten.h"
#include "run.h"
#include "test_flatten_cases.h"
#include "test_flatten_util.h"
#include "unit.h"

#define BIG_SIZE ((uint64_t)50 << 20)
#define SMALL_FILES 3000

/* ------------------------------------------------------------ big file */

START_TEST(test_big_file)
{
	const struct tl_entry entries[] = {
		{ .type = 'f', .path = "big", .gen_size = BIG_SIZE, .gen_seed = 7 },
		{ .type = 'f', .path = "big-copy", .gen_size = BIG_SIZE, .gen_seed = 7 },  /* deduplicated */
		{ 0 },
	};
	struct flatten_options opts = { .compressor = "zstd", .level = 1 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct flatten_stats st;
	struct rusage ru;
	char *dir = tl_tmpdir(), *listing, expected[1024], summary[256];
	const char *layer = strdup(tl_path(dir, "l1"));
	const char *out = tl_path(dir, "out.sqfs");

	ck_assert_int_eq(tl_write_layer(layer, TL_GZIP, entries), 0);
	ck_assert_msg(flatten_layers(&layer, 1, out, &opts, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.bytes_in, 2 * BIG_SIZE);
	/* random data does not compress; the copy's blocks are shared */
	ck_assert_uint_lt(st.bytes_out, BIG_SIZE + BIG_SIZE / 16);
	ck_assert_uint_gt(st.bytes_out, BIG_SIZE);
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
	/* streamed: the file never sits in memory as a whole */
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	ck_assert_int_lt(ru.ru_maxrss, 40 * 1024);
#else
	(void)ru;
#endif
	tl_gen_summary(7, BIG_SIZE, summary, sizeof(summary));
	snprintf(expected, sizeof(expected),
		 "/ d 0755 0:0 n=2\n/big f 0644 0:0 n=1 %s\n/big-copy f 0644 0:0 n=1 %s\n",
		 summary, summary);
	listing = tl_list_image(out);
	ck_assert_ptr_nonnull(listing);
	ck_assert_str_eq(listing, expected);
	free(listing);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ many files */

struct many {
	struct tl_entry *entries;
	char (*names)[32];
	char *expected;
};

/* 30 directories of 100 files, 0 to ~3000 bytes: mostly fragments */
static void make_many(struct many *m)
{
	size_t len = 0, cap = 1 << 20;
	size_t n = 0;

	m->entries = calloc(SMALL_FILES + 1, sizeof(*m->entries));
	m->names = calloc(SMALL_FILES, sizeof(*m->names));
	m->expected = malloc(cap);
	ck_assert(m->entries && m->names && m->expected);
	len += (size_t)snprintf(m->expected, cap, "/ d 0755 0:0 n=%d\n", 2 + SMALL_FILES / 100);
	for (int d = 0; d < SMALL_FILES / 100; d++) {
		len += (size_t)snprintf(m->expected + len, cap - len, "/d%02d d 0755 0:0 n=2\n", d);
		for (int f = 0; f < 100; f++, n++) {
			char summary[256];
			uint64_t size = (n * 7919) % 3001;

			snprintf(m->names[n], sizeof(m->names[n]), "d%02d/f%03d", d, f);
			m->entries[n] = (struct tl_entry){ .type = 'f', .path = m->names[n], .data = "", .gen_size = size, .gen_seed = (uint32_t)n };
			tl_gen_summary((uint32_t)n, size, summary, sizeof(summary));
			len += (size_t)snprintf(m->expected + len, cap - len,
						"/%s f 0644 0:0 n=1 %s\n", m->names[n], summary);
		}
	}
}

static void free_many(struct many *m)
{
	free(m->entries);
	free(m->names);
	free(m->expected);
}

START_TEST(test_many_small_files)
{
	struct flatten_options opts = { .compressor = "gzip", .workers = 2 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct flatten_stats st;
	struct many m;
	char *dir = tl_tmpdir(), *listing;
	const char *layer, *out = tl_path(dir, "out.sqfs");

	make_many(&m);
	layer = strdup(tl_path(dir, "l1"));
	ck_assert_int_eq(tl_write_layer(layer, TL_ZSTD, m.entries), 0);
	ck_assert_msg(flatten_layers(&layer, 1, out, &opts, &st, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(st.files, SMALL_FILES);
	ck_assert_uint_eq(st.dirs, 1 + SMALL_FILES / 100);
	listing = tl_list_image(out);
	ck_assert_ptr_nonnull(listing);
	if (strcmp(listing, m.expected) != 0) {
		size_t i = 0;

		while (listing[i] == m.expected[i])
			i++;
		while (i > 0 && listing[i - 1] != '\n')
			i--;
		ck_abort_msg("many small files differ at:\n%.300s\n--- expected\n%.300s",
			     listing + i, m.expected + i);
	}
	free(listing);
	free_many(&m);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ reproducible */

START_TEST(test_reproducible)
{
	struct flatten_options two = { .compressor = "zstd", .level = 3, .workers = 2 };
	struct flatten_options one = { .compressor = "zstd", .level = 3, .workers = 1 };
	struct berth_error err = BERTH_ERROR_INIT;
	struct many m;
	char *dir = tl_tmpdir();
	const char *paths[8];
	size_t n = tc_write_layers(dir, flat_cases[0].layers, paths);
	const char *a = tl_path(dir, "a.sqfs"), *b = tl_path(dir, "b.sqfs");
	const char *c = tl_path(dir, "c.sqfs");

	make_many(&m);
	paths[n] = strdup(tl_path(dir, "many"));
	ck_assert_int_eq(tl_write_layer(paths[n++], TL_GZIP, m.entries), 0);
	ck_assert_msg(flatten_layers(paths, n, a, &two, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(flatten_layers(paths, n, b, &two, NULL, &err) == 0, "%s", err.msg);
	ck_assert_msg(flatten_layers(paths, n, c, &one, NULL, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(tl_cmp_files(a, b), 0);
	ck_assert_int_eq(tl_cmp_files(a, c), 0);
	free_many(&m);
	tc_free_paths(paths, n);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ compressors */

static const struct {
	const char *name;
	int id;
	size_t block_size;
} compressor_cases[] = {
	{ "zstd", 6, 0 }, { "gzip", 1, 0 }, { "xz", 4, 0 }, { "lz4", 5, 0 }, { "lzo", 3, 0 },
	{ "zstd", 6, 4096 }, { "gzip", 1, 1 << 20 },
};

START_TEST(test_compressors)
{
	const struct tl_entry big[] = {
		{ .type = 'f', .path = "opt/blob", .gen_size = 300000, .gen_seed = 3 }, { 0 },
	};
	struct flatten_options opts = { .compressor = compressor_cases[_i].name,
					.block_size = compressor_cases[_i].block_size };
	struct berth_error err = BERTH_ERROR_INIT;
	struct tl_super sb;
	const char *paths[8];
	char *dir = tl_tmpdir(), *listing, *expected, summary[256];
	const char *run;
	size_t n = tc_write_layers(dir, flat_cases[0].layers, paths);
	const char *out = tl_path(dir, "out.sqfs");

	paths[n] = strdup(tl_path(dir, "big"));
	ck_assert_int_eq(tl_write_layer(paths[n++], TL_PLAIN, big), 0);
	if (flatten_layers(paths, n, out, &opts, NULL, &err) < 0) {
		/* this libsquashfs may be built without lzo */
		ck_assert_str_eq(compressor_cases[_i].name, "lzo");
		ck_assert_str_eq(err.msg, "compressor \"lzo\" is not built into libsquashfs");
		ck_assert_int_eq(access(out, F_OK), -1);
		goto out;
	}
	ck_assert_int_eq(tl_read_super(out, &sb), 0);
	ck_assert_int_eq(sb.compression_id, compressor_cases[_i].id);
	ck_assert_uint_eq(sb.block_size, compressor_cases[_i].block_size ?
			  compressor_cases[_i].block_size : 128 * 1024);
	tl_gen_summary(3, 300000, summary, sizeof(summary));
	run = strstr(flat_cases[0].expected, "/run d");
	ck_assert_int_ge(asprintf(&expected, "%.*s/opt d 0755 0:0 n=2\n/opt/blob f 0644 0:0 n=1 %s\n%s",
				  (int)(run - flat_cases[0].expected), flat_cases[0].expected,
				  summary, run), 0);
	/* the root gains a subdirectory */
	memcpy(strstr(expected, "n=6"), "n=7", 3);
	listing = tl_list_image(out);
	ck_assert_ptr_nonnull(listing);
	ck_assert_str_eq(listing, expected);
	free(listing);
	free(expected);
out:
	tc_free_paths(paths, n);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ limits */

START_TEST(test_name_limits)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char long_name[300], long_path[4200], expected[512];
	struct tl_entry entries[] = { { .type = 'f', .path = long_name, .data = "x" }, { 0 } };
	char *dir = tl_tmpdir();
	const char *layer = strdup(tl_path(dir, "l1"));
	const char *out = tl_path(dir, "out.sqfs");
	char *listing;

	/* 255 bytes is fine */
	memset(long_name, 'n', 255);
	long_name[255] = '\0';
	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_msg(flatten_layers(&layer, 1, out, NULL, NULL, &err) == 0, "%s", err.msg);
	listing = tl_list_image(out);
	snprintf(expected, sizeof(expected), "/ d 0755 0:0 n=2\n/%s f 0644 0:0 n=1 \"x\"\n",
		 long_name);
	ck_assert_str_eq(listing, expected);
	free(listing);
	unlink(out);

	/* 256 is not; the message quotes at most 196 bytes of it */
	strcat(long_name, "n");
	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	snprintf(expected, sizeof(expected), "layer 1: entry \"%.196s...\": name too long",
		 long_name);
	ck_assert_str_eq(err.msg, expected);

	/* 41 components of 100 bytes: over 4096 */
	long_path[0] = '\0';
	for (int i = 0; i < 41; i++)
		snprintf(long_path + strlen(long_path), sizeof(long_path) - strlen(long_path),
			 "%s%0100d", i ? "/" : "", i);
	entries[0].path = long_path;
	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	snprintf(expected, sizeof(expected), "layer 1: entry \"%.196s...\": path too long",
		 long_path);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(access(out, F_OK), -1);

	/* a 4096-byte symlink target is one too many */
	memset(long_path, 't', 4096);
	long_path[4096] = '\0';
	entries[0] = (struct tl_entry){ .type = 'l', .path = "s", .link = long_path };
	ck_assert_int_eq(tl_write_layer(layer, TL_PLAIN, entries), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: entry \"s\": symlink target too long");
	ck_assert_int_eq(err.code, ENAMETOOLONG);

	/* over FLATTEN_FILE_MAX, refused before any data is read */
	ck_assert_int_eq(tl_write_huge_entry(layer, "huge", FLATTEN_FILE_MAX + 1), 0);
	ck_assert_int_eq(flatten_layers(&layer, 1, out, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "layer 1: entry \"huge\": file too large");
	ck_assert_int_eq(err.code, EFBIG);
	ck_assert_int_eq(access(out, F_OK), -1);
	free((char *)layer);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

/* ------------------------------------------------------------ mount */

static int run_cmd(const char *const *argv, char *output, size_t size)
{
	struct berth_run_spec spec = { .argv = argv, .timeout_ms = 60000, .capture = true };
	struct berth_run_result res = { 0 };
	struct berth_error err = BERTH_ERROR_INIT;
	int status;

	if (berth_run(&spec, &res, &err) < 0) {
		snprintf(output, size, "%s", err.msg);
		return -1;
	}
	snprintf(output, size, "%s", res.output ? res.output : "");
	status = res.exit_status;
	berth_run_result_free(&res);
	return status;
}

/* Kernel view == libsquashfs view, for an image with hard links, a FIFO,
 * symlinks, a big directory (indexed) and multi-block files. */
START_TEST(test_kernel_mount)
{
	const struct tl_entry blobs[] = {
		{ .type = 'f', .path = "opt/blob", .mode = 0755, .gen_size = 1000000, .gen_seed = 9 },
		{ .type = 'h', .path = "opt/blob-link", .link = "opt/blob" },
		{ 0 },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct many m;
	char *dir, *mounted, *listed, output[1024];
	const char *paths[8], *out, *mnt;
	size_t n;
	int rc;

	if (geteuid() != 0 || access("/dev/loop-control", F_OK) != 0) {
		fprintf(stderr, "test_kernel_mount: skipped (needs root and loop devices)\n");
		return;
	}
	/* a private mount namespace: should this process die while mounted,
	 * the mount (and its auto-clearing loop device) goes with it */
	ck_assert_int_eq(unshare(CLONE_NEWNS), 0);
	ck_assert_int_eq(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	dir = tl_tmpdir();
	n = tc_write_layers(dir, flat_cases[0].layers, paths);
	make_many(&m);
	for (int i = 0; i < SMALL_FILES; i++)  /* one big directory */
		m.names[i][3] = '_';
	paths[n] = strdup(tl_path(dir, "many"));
	ck_assert_int_eq(tl_write_layer(paths[n++], TL_GZIP, m.entries), 0);
	paths[n] = strdup(tl_path(dir, "blobs"));
	ck_assert_int_eq(tl_write_layer(paths[n++], TL_ZSTD, blobs), 0);
	out = strdup(tl_path(dir, "out.sqfs"));
	mnt = strdup(tl_path(dir, "mnt"));
	ck_assert_int_eq(mkdir(mnt, 0700), 0);
	ck_assert_msg(flatten_layers(paths, n, out, NULL, NULL, &err) == 0, "%s", err.msg);

	rc = run_cmd((const char *const[]){ "/bin/mount", "-t", "squashfs", "-o", "loop,ro",
					    out, mnt, NULL }, output, sizeof(output));
	ck_assert_msg(rc == 0, "mount: %s", output);
	mounted = tl_list_tree(mnt);
	rc = run_cmd((const char *const[]){ "/bin/umount", mnt, NULL }, output, sizeof(output));
	ck_assert_msg(rc == 0, "umount: %s", output);
	listed = tl_list_image(out);
	ck_assert_ptr_nonnull(mounted);
	ck_assert_ptr_nonnull(listed);
	ck_assert_str_eq(mounted, listed);
	ck_assert_ptr_nonnull(strstr(listed, "/opt/blob-link f 0755 0:0 n=2 size=1000000"));
	ck_assert_ptr_nonnull(strstr(listed, "/d00_f000 f 0644 0:0 n=1"));
	free(mounted);
	free(listed);
	free_many(&m);
	tc_free_paths(paths, n);
	free((char *)out);
	free((char *)mnt);
	tl_rmtree(dir);
	free(dir);
}
END_TEST

Suite *flatten_image_suite(Suite *s);

Suite *flatten_image_suite(Suite *s)
{
	TCase *tc = tcase_create("image");

	/* generous: the sanitizer build is several times slower */
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_big_file);
	tcase_add_test(tc, test_many_small_files);
	tcase_add_test(tc, test_reproducible);
	tcase_add_loop_test(tc, test_compressors, 0, (int)ARRAY_LEN(compressor_cases));
	tcase_add_test(tc, test_name_limits);
	tcase_add_test(tc, test_kernel_mount);
	suite_add_tcase(s, tc);
	return s;
}
