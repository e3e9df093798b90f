/*
 * test_flatten_util.c - see test_flatten_util.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <sqfs/compressor.h>
#include <sqfs/data_reader.h>
#include <sqfs/dir.h>
#include <sqfs/dir_reader.h>
#include <sqfs/error.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include "test_flatten_util.h"

#define SHOW_MAX 48

/* ------------------------------------------------------------ content */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	return x ^ (x >> 33);
}

void tl_gen(uint32_t seed, uint64_t offset, void *buf, size_t len)
{
	unsigned char *p = buf;

	for (size_t i = 0; i < len; i++) {
		uint64_t pos = offset + i;

		p[i] = (unsigned char)(mix(((uint64_t)seed << 40) ^ (pos / 8)) >> (8 * (pos % 8)));
	}
}

struct fnv {
	uint64_t h;
};

static void fnv_init(struct fnv *f)
{
	f->h = UINT64_C(0xcbf29ce484222325);
}

static void fnv_add(struct fnv *f, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		f->h ^= p[i];
		f->h *= UINT64_C(0x100000001b3);
	}
}

/* ------------------------------------------------------------ text */

struct sbuf {
	char *s;
	size_t len, cap;
	int failed;
};

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = 1;
			return;
		}
		if (b->s && b->len + (size_t)n < b->cap) {
			b->len += (size_t)n;
			return;
		}
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s) {
			b->failed = 1;
			return;
		}
	}
}

/* "content" with C escapes for short content, else size and hash */
static void sb_content(struct sbuf *b, const unsigned char *head, uint64_t size, uint64_t hash)
{
	if (size > SHOW_MAX) {
		sb_printf(b, " size=%llu fnv=%016llx", (unsigned long long)size,
			  (unsigned long long)hash);
		return;
	}
	sb_printf(b, " \"");
	for (uint64_t i = 0; i < size; i++) {
		if (head[i] == '\n')
			sb_printf(b, "\\n");
		else if (head[i] == '"' || head[i] == '\\')
			sb_printf(b, "\\%c", head[i]);
		else if (head[i] < 0x20 || head[i] >= 0x7f)
			sb_printf(b, "\\x%02x", head[i]);
		else
			sb_printf(b, "%c", head[i]);
	}
	sb_printf(b, "\"");
}

void tl_gen_summary(uint32_t seed, uint64_t size, char *out, size_t out_size)
{
	unsigned char buf[65536], head[SHOW_MAX];
	struct sbuf b = { 0 };
	struct fnv f;

	fnv_init(&f);
	for (uint64_t off = 0; off < size; off += sizeof(buf)) {
		size_t n = size - off < sizeof(buf) ? (size_t)(size - off) : sizeof(buf);

		tl_gen(seed, off, buf, n);
		if (off == 0)
			memcpy(head, buf, n < SHOW_MAX ? n : SHOW_MAX);
		fnv_add(&f, buf, n);
	}
	sb_content(&b, head, size, f.h);
	/* without the leading space */
	snprintf(out, out_size, "%s", b.s ? b.s + 1 : "");
	free(b.s);
}

/* ------------------------------------------------------------ layers */

static int add_entry(struct archive *a, const struct tl_entry *t)
{
	struct archive_entry *e = archive_entry_new();
	unsigned char buf[65536];
	int rc = 0;

	archive_entry_set_pathname(e, t->path);
	archive_entry_set_mtime(e, t->mtime ? t->mtime : TL_MTIME, 0);
	archive_entry_set_uid(e, 1000);
	archive_entry_set_gid(e, 1000);
	switch (t->type) {
	case 'd':
		archive_entry_set_filetype(e, AE_IFDIR);
		archive_entry_set_perm(e, t->mode ? t->mode : 0755);
		break;
	case 'l':
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_perm(e, 0777);
		archive_entry_set_symlink(e, t->link);
		break;
	case 'h':
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, t->mode ? t->mode : 0644);
		archive_entry_set_hardlink(e, t->link);
		archive_entry_set_size(e, 0);
		break;
	case 'c':
	case 'b':
	case 'p':
		archive_entry_set_filetype(e, t->type == 'c' ? AE_IFCHR :
					      t->type == 'b' ? AE_IFBLK : AE_IFIFO);
		archive_entry_set_perm(e, t->mode ? t->mode : 0644);
		archive_entry_set_rdev(e, makedev(1, 3));
		break;
	default:
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, t->mode ? t->mode : 0644);
		archive_entry_set_size(e, t->gen_size ? (la_int64_t)t->gen_size :
				       t->data ? (la_int64_t)strlen(t->data) : 0);
	}
	if (t->xattr) {
		const char *eq = strchr(t->xattr, '=');
		char name[256];

		snprintf(name, sizeof(name), "%.*s", (int)(eq - t->xattr), t->xattr);
		archive_entry_xattr_add_entry(e, name, eq + 1, strlen(eq + 1));
	}
	if (archive_write_header(a, e) < ARCHIVE_WARN)
		rc = -1;
	if (!rc && t->type == 'f' && t->gen_size) {
		for (uint64_t off = 0; off < t->gen_size && !rc; off += sizeof(buf)) {
			size_t n = t->gen_size - off < sizeof(buf) ? (size_t)(t->gen_size - off)
								  : sizeof(buf);

			tl_gen(t->gen_seed, off, buf, n);
			if (archive_write_data(a, buf, n) != (la_ssize_t)n)
				rc = -1;
		}
	} else if (!rc && t->type == 'f' && t->data && *t->data) {
		if (archive_write_data(a, t->data, strlen(t->data)) != (la_ssize_t)strlen(t->data))
			rc = -1;
	}
	archive_entry_free(e);
	return rc;
}

int tl_write_layer(const char *path, enum tl_comp comp, const struct tl_entry *entries)
{
	struct archive *a = archive_write_new();
	int rc = 0;

	archive_write_set_format_pax_restricted(a);
	if (comp == TL_GZIP)
		archive_write_add_filter_gzip(a);
	else if (comp == TL_ZSTD)
		archive_write_add_filter_zstd(a);
	if (archive_write_open_filename(a, path) != ARCHIVE_OK)
		rc = -1;
	for (const struct tl_entry *t = entries; !rc && t && t->type; t++)
		rc = add_entry(a, t);
	if (rc)
		fprintf(stderr, "tl_write_layer %s: %s\n", path, archive_error_string(a));
	if (archive_write_close(a) != ARCHIVE_OK)
		rc = -1;
	archive_write_free(a);
	return rc;
}

static void ustar_header(unsigned char *h, const char *name, char type, uint64_t size)
{
	unsigned sum = 0;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "0000644", 8);
	memcpy(h + 108, "0000000", 8);
	memcpy(h + 116, "0000000", 8);
	{
		char octal[24];   /* (room for any uint64: gcc 14's -Wformat-truncation) */

		snprintf(octal, sizeof(octal), "%011llo", (unsigned long long)(size & 077777777777ULL));
		memcpy(h + 124, octal, 12);
	}
	snprintf((char *)h + 136, 12, "%011o", TL_MTIME);
	memset(h + 148, ' ', 8);
	h[156] = (unsigned char)type;
	memcpy(h + 257, "ustar", 6);
	memcpy(h + 263, "00", 2);
	for (int i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
}

int tl_write_huge_entry(const char *path, const char *name, uint64_t size)
{
	unsigned char block[512 * 5];
	char record[64];
	int len = snprintf(record, sizeof(record), "xx size=%llu\n", (unsigned long long)size);
	FILE *f = fopen(path, "wb");
	int rc;

	/* a pax record's length counts its own digits */
	snprintf(record, sizeof(record), "%d size=%llu\n", len, (unsigned long long)size);
	memset(block, 0, sizeof(block));
	ustar_header(block, "PaxHeader/big", 'x', strlen(record));
	memcpy(block + 512, record, strlen(record));
	ustar_header(block + 1024, name, '0', 0);
	/* no data follows: the size alone must be refused */
	rc = f && fwrite(block, 1, sizeof(block), f) == sizeof(block) ? 0 : -1;
	if (f)
		fclose(f);
	return rc;
}

/* ------------------------------------------------------------ image */

struct image {
	sqfs_file_t *file;
	sqfs_super_t super;
	sqfs_compressor_t *cmp;
	sqfs_id_table_t *ids;
	sqfs_dir_reader_t *dirs;
	sqfs_data_reader_t *data;
};

static void image_close(struct image *img)
{
	sqfs_destroy(img->data);
	sqfs_destroy(img->dirs);
	sqfs_destroy(img->ids);
	sqfs_destroy(img->cmp);
	sqfs_destroy(img->file);
	memset(img, 0, sizeof(*img));
}

static int image_open(struct image *img, const char *path)
{
	sqfs_compressor_config_t cfg;

	memset(img, 0, sizeof(*img));
	img->file = sqfs_open_file(path, SQFS_FILE_OPEN_READ_ONLY);
	if (!img->file || sqfs_super_read(&img->super, img->file))
		goto fail;
	sqfs_compressor_config_init(&cfg, (SQFS_COMPRESSOR)img->super.compression_id,
				    img->super.block_size, SQFS_COMP_FLAG_UNCOMPRESS);
	if (sqfs_compressor_create(&cfg, &img->cmp))
		goto fail;
	if ((img->super.flags & SQFS_FLAG_COMPRESSOR_OPTIONS) &&
	    img->cmp->read_options(img->cmp, img->file))
		goto fail;
	img->ids = sqfs_id_table_create(0);
	if (!img->ids || sqfs_id_table_read(img->ids, img->file, &img->super, img->cmp))
		goto fail;
	img->dirs = sqfs_dir_reader_create(&img->super, img->cmp, img->file, 0);
	img->data = sqfs_data_reader_create(img->file, img->super.block_size, img->cmp, 0);
	if (!img->dirs || !img->data ||
	    sqfs_data_reader_load_fragment_table(img->data, &img->super))
		goto fail;
	return 0;
fail:
	fprintf(stderr, "cannot open image %s\n", path);
	image_close(img);
	return -1;
}

static uint32_t inode_nlink(const sqfs_inode_generic_t *in)
{
	switch (in->base.type) {
	case SQFS_INODE_DIR: return in->data.dir.nlink;
	case SQFS_INODE_EXT_DIR: return in->data.dir_ext.nlink;
	case SQFS_INODE_FILE: return 1;
	case SQFS_INODE_EXT_FILE: return in->data.file_ext.nlink;
	case SQFS_INODE_SLINK: return in->data.slink.nlink;
	case SQFS_INODE_EXT_SLINK: return in->data.slink_ext.nlink;
	case SQFS_INODE_FIFO: case SQFS_INODE_SOCKET: return in->data.ipc.nlink;
	default: return in->data.ipc_ext.nlink;  /* ext fifo/socket, devices unused */
	}
}

static char inode_kind(const sqfs_inode_generic_t *in)
{
	switch (in->base.type) {
	case SQFS_INODE_DIR: case SQFS_INODE_EXT_DIR: return 'd';
	case SQFS_INODE_FILE: case SQFS_INODE_EXT_FILE: return 'f';
	case SQFS_INODE_SLINK: case SQFS_INODE_EXT_SLINK: return 'l';
	case SQFS_INODE_FIFO: case SQFS_INODE_EXT_FIFO: return 'p';
	default: return '?';
	}
}

static int image_line(struct image *img, struct sbuf *b, const char *path,
		      const sqfs_inode_generic_t *in)
{
	unsigned char buf[65536], head[SHOW_MAX];
	sqfs_u32 uid = 99, gid = 99;
	sqfs_u64 size = 0;
	struct fnv f;
	char kind = inode_kind(in);

	sqfs_id_table_index_to_id(img->ids, in->base.uid_idx, &uid);
	sqfs_id_table_index_to_id(img->ids, in->base.gid_idx, &gid);
	sb_printf(b, "%s %c %04o %u:%u n=%u", path, kind, in->base.mode & 07777, uid, gid,
		  inode_nlink(in));
	if (kind == 'f') {
		fnv_init(&f);
		sqfs_inode_get_file_size(in, &size);
		for (sqfs_u64 off = 0; off < size;) {
			sqfs_s32 n = sqfs_data_reader_read(img->data, in, off, buf, sizeof(buf));

			if (n <= 0)
				return -1;
			if (off < SHOW_MAX)
				memcpy(head + off, buf, SHOW_MAX - off < (sqfs_u64)n ?
				       SHOW_MAX - off : (size_t)n);
			fnv_add(&f, buf, (size_t)n);
			off += (sqfs_u64)n;
		}
		sb_content(b, head, size, f.h);
	} else if (kind == 'l') {
		sb_printf(b, " -> %.*s", (int)in->data.slink.target_size, (const char *)in->extra);
	}
	sb_printf(b, "\n");
	return 0;
}

struct child {
	char *name;
	sqfs_inode_generic_t *inode;
};

static int image_walk(struct image *img, struct sbuf *b, const char *path,
		      const sqfs_inode_generic_t *dir)
{
	struct child *kids = NULL;
	size_t n = 0;
	sqfs_dir_entry_t *ent;
	int rc = sqfs_dir_reader_open_dir(img->dirs, dir, 0);

	while (rc == 0 && (rc = sqfs_dir_reader_read(img->dirs, &ent)) == 0) {
		kids = realloc(kids, (n + 1) * sizeof(*kids));
		kids[n].name = strndup((const char *)ent->name, ent->size + 1u);
		sqfs_free(ent);
		rc = sqfs_dir_reader_get_inode(img->dirs, &kids[n++].inode);
	}
	rc = rc < 0 ? -1 : 0;
	for (size_t i = 0; i < n; i++) {
		char *child_path = NULL;

		if (!rc && asprintf(&child_path, "%s/%s", path, kids[i].name) < 0)
			rc = -1;
		if (!rc)
			rc = image_line(img, b, child_path, kids[i].inode);
		if (!rc && inode_kind(kids[i].inode) == 'd')
			rc = image_walk(img, b, child_path, kids[i].inode);
		free(child_path);
		free(kids[i].name);
		sqfs_free(kids[i].inode);
	}
	free(kids);
	return rc;
}

char *tl_list_image(const char *image)
{
	struct sbuf b = { 0 };
	struct image img;
	sqfs_inode_generic_t *root = NULL;
	int rc;

	if (image_open(&img, image) < 0)
		return NULL;
	rc = sqfs_dir_reader_get_root_inode(img.dirs, &root);
	if (!rc)
		rc = image_line(&img, &b, "/", root);
	if (!rc)
		rc = image_walk(&img, &b, "", root);
	sqfs_free(root);
	image_close(&img);
	if (rc || b.failed) {
		fprintf(stderr, "cannot list image %s\n", image);
		free(b.s);
		return NULL;
	}
	return b.s ? b.s : strdup("");
}

int tl_stat_image(const char *image, const char *path, struct tl_stat *st)
{
	struct image img;
	sqfs_inode_generic_t *in = NULL;
	sqfs_u64 size = 0;
	int rc;

	if (image_open(&img, image) < 0)
		return -1;
	rc = sqfs_dir_reader_find_by_path(img.dirs, NULL, path, &in);
	if (!rc) {
		sqfs_inode_get_file_size(in, &size);
		st->inode_number = in->base.inode_number;
		st->mtime = in->base.mod_time;
		st->size = size;
	}
	sqfs_free(in);
	image_close(&img);
	return rc ? -1 : 0;
}

/* The options block after the superblock: an uncompressed metadata block
 * (header 0x8004) holding zstd's level (little endian). */
static int read_zstd_level(const char *image, uint32_t *level)
{
	unsigned char b[6];
	int fd = open(image, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : pread(fd, b, sizeof(b), sizeof(sqfs_super_t));

	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)sizeof(b) || b[0] != 0x04 || b[1] != 0x80)
		return -1;
	*level = (uint32_t)b[2] | (uint32_t)b[3] << 8 | (uint32_t)b[4] << 16 | (uint32_t)b[5] << 24;
	return 0;
}

int tl_read_super(const char *image, struct tl_super *sb)
{
	struct image img;

	if (image_open(&img, image) < 0)
		return -1;
	sb->mtime = img.super.modification_time;
	sb->compression_id = img.super.compression_id;
	sb->flags = img.super.flags;
	sb->block_size = img.super.block_size;
	sb->inode_count = img.super.inode_count;
	sb->bytes_used = img.super.bytes_used;
	sb->xattr_table = img.super.xattr_id_table_start;
	sb->zstd_level = 0;
	image_close(&img);
	return sb->compression_id == SQFS_COMP_ZSTD && (sb->flags & SQFS_FLAG_COMPRESSOR_OPTIONS) ?
	       read_zstd_level(image, &sb->zstd_level) : 0;
}

/* ------------------------------------------------------------ mounted tree */

static int tree_line(struct sbuf *b, const char *shown, const char *real)
{
	unsigned char buf[65536], head[SHOW_MAX];
	struct stat st;
	struct fnv f;
	char target[4096];
	uint64_t off = 0;
	ssize_t n;
	int fd;
	char kind;

	if (lstat(real, &st) < 0)
		return -1;
	kind = S_ISDIR(st.st_mode) ? 'd' : S_ISREG(st.st_mode) ? 'f' : S_ISLNK(st.st_mode) ? 'l'
	       : S_ISFIFO(st.st_mode) ? 'p' : '?';
	sb_printf(b, "%s %c %04o %u:%u n=%u", shown, kind, (unsigned)(st.st_mode & 07777),
		  (unsigned)st.st_uid, (unsigned)st.st_gid, (unsigned)st.st_nlink);
	if (kind == 'f') {
		fd = open(real, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		fnv_init(&f);
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			if (off < SHOW_MAX)
				memcpy(head + off, buf, SHOW_MAX - off < (uint64_t)n ?
				       SHOW_MAX - off : (size_t)n);
			fnv_add(&f, buf, (size_t)n);
			off += (uint64_t)n;
		}
		close(fd);
		if (n < 0)
			return -1;
		sb_content(b, head, off, f.h);
	} else if (kind == 'l') {
		n = readlink(real, target, sizeof(target));
		if (n < 0)
			return -1;
		sb_printf(b, " -> %.*s", (int)n, target);
	}
	sb_printf(b, "\n");
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int tree_walk(struct sbuf *b, const char *shown, const char *real)
{
	DIR *d = opendir(real);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0;
	int rc = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			names = realloc(names, (n + 1) * sizeof(*names));
			names[n++] = strdup(de->d_name);
		}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (size_t i = 0; i < n; i++) {
		char *s = NULL, *r = NULL;
		struct stat st;

		if (!rc && (asprintf(&s, "%s/%s", shown, names[i]) < 0 ||
			    asprintf(&r, "%s/%s", real, names[i]) < 0))
			rc = -1;
		if (!rc)
			rc = tree_line(b, s, r);
		if (!rc && lstat(r, &st) == 0 && S_ISDIR(st.st_mode))
			rc = tree_walk(b, s, r);
		free(s);
		free(r);
		free(names[i]);
	}
	free(names);
	return rc;
}

char *tl_list_tree(const char *root)
{
	struct sbuf b = { 0 };

	if (tree_line(&b, "/", root) < 0 || tree_walk(&b, "", root) < 0 || b.failed) {
		fprintf(stderr, "cannot list tree %s: %s\n", root, strerror(errno));
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* ------------------------------------------------------------ files */

char *tl_tmpdir(void)
{
	char *dir = strdup("/tmp/berth-flatten-XXXXXX");

	if (!dir || !mkdtemp(dir)) {
		free(dir);
		return NULL;
	}
	return dir;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return flag == FTW_DP ? rmdir(path) : unlink(path);
}

void tl_rmtree(const char *dir)
{
	if (dir)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

const char *tl_path(const char *dir, const char *name)
{
	static char bufs[8][4096];
	static unsigned next;
	char *p = bufs[next++ % 8];

	snprintf(p, sizeof(bufs[0]), "%s/%s", dir, name);
	return p;
}

int tl_cmp_files(const char *a, const char *b)
{
	unsigned char x[65536], y[65536];
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	int rc = 0;

	if (!fa || !fb) {
		rc = -1;
		goto out;
	}
	for (;;) {
		size_t na = fread(x, 1, sizeof(x), fa), nb = fread(y, 1, sizeof(y), fb);

		if (na != nb || memcmp(x, y, na)) {
			rc = 1;
			break;
		}
		if (na == 0)
			break;
	}
out:
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return rc;
}
