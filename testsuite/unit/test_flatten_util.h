/*
 * test_flatten_util.h - helpers of test_flatten: write layer tarballs with
 * libarchive, and list a squashfs image (read with libsquashfs) or a mounted
 * tree (read with lstat/readlink/read) in one text format, so an image can be
 * compared with an expected listing and with what the kernel shows.
 *
 * A listing has one line per path, parents first, names in strcmp order:
 *   /etc d 0755 0:0 n=2
 *   /etc/hostname f 0644 0:0 n=1 "box\n"          (content if short)
 *   /big f 0644 0:0 n=1 size=52428800 fnv=1a2b... (else size and hash)
 *   /bin/sh l 0777 0:0 n=1 -> busybox
 *   /run/fifo p 0644 0:0 n=1
 */
#ifndef BERTH_TEST_FLATTEN_UTIL_H_
#define BERTH_TEST_FLATTEN_UTIL_H_

#include <stddef.h>
#include <stdint.h>

#define TL_MTIME 1700000000

enum tl_comp { TL_PLAIN = 0, TL_GZIP, TL_ZSTD };

/* type: 'd' dir, 'f' file, 'l' symlink, 'h' hard link, 'c'/'b' device,
 * 'p' fifo.  mode 0 = default (0755 dirs, 0644 files).  link: symlink or
 * hard link target.  gen_size > 0: file content is tl_gen(gen_seed). */
struct tl_entry {
	char type;
	const char *path;
	unsigned mode;
	const char *data;
	const char *link;
	const char *xattr;      /* "name=value" */
	int64_t mtime;          /* 0 = TL_MTIME */
	uint64_t gen_size;
	uint32_t gen_seed;
};

struct tl_layer {
	enum tl_comp comp;
	const struct tl_entry *entries;  /* ends with type 0; NULL ends a layer list */
};

/* Write one layer; returns 0 or -1 (message on stderr). */
int tl_write_layer(const char *path, enum tl_comp comp, const struct tl_entry *entries);

/* A tar whose one file claims size bytes (pax header) but has no data. */
int tl_write_huge_entry(const char *path, const char *name, uint64_t size);

/* Pseudo-random content: fill buf with bytes [offset, offset+len) of stream seed. */
void tl_gen(uint32_t seed, uint64_t offset, void *buf, size_t len);
/* The listing's content field ("..." or size=... fnv=...) for tl_gen(seed) of size bytes. */
void tl_gen_summary(uint32_t seed, uint64_t size, char *out, size_t out_size);

/* Listings (malloc'd, NULL on failure with a message on stderr). */
char *tl_list_image(const char *image);
char *tl_list_tree(const char *root);

struct tl_stat {
	uint32_t inode_number;
	uint32_t mtime;
	uint64_t size;
};
/* Facts of one image path ("" = root); 0 or -1. */
int tl_stat_image(const char *image, const char *path, struct tl_stat *st);

/* Superblock fields of an image; 0 or -1. */
struct tl_super {
	uint32_t mtime;
	uint16_t compression_id;
	uint16_t flags;
	uint32_t block_size;
	uint32_t inode_count;
	uint64_t bytes_used;
	uint64_t xattr_table;
	uint32_t zstd_level;   /* from zstd's compressor options; 0: none written */
};
int tl_read_super(const char *image, struct tl_super *sb);

/* Temporary directory for one test; tl_rmtree removes it (no symlink follow). */
char *tl_tmpdir(void);
void tl_rmtree(const char *dir);
/* path = dir + "/" + name in a static rotating buffer */
const char *tl_path(const char *dir, const char *name);
/* Byte compare two files: 0 same, 1 different, -1 error. */
int tl_cmp_files(const char *a, const char *b);

#endif
