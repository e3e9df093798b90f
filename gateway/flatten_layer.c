/*
 * flatten_layer.c - read one layer blob with libarchive and apply its
 * entries to the tree (see flatten.h for the rules).
 *
 * Kept regular files are streamed into the block processor as they are
 * read.  Hard links point to an inode of the same layer; when the entry that
 * holds a link's data was itself hidden by a higher layer, it is remembered
 * by position and its data fetched by a second read of the layer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "berth_log.h"
#include "flatten_internal.h"

#define FL_QUOTE_MAX 200

/* What a hard link to a hidden entry refers to: the entry holding the data
 * (by position in the layer), or an inode that exists already. */
struct fl_target {
	struct fl_inode *ino;
	uint32_t entry_no;
	bool device;
};

/* Hidden non-directory entries of this layer, by path. */
struct fl_hidden {
	struct fl_hidden *next;
	struct fl_target *target;
	uint64_t hash;
	const char *path;
	size_t len;
	uint32_t entry_no;  /* position of the (last) hidden entry at path */
};

struct fl_layer {
	struct fl_ctx *ctx;
	const struct flatten_source *src;
	struct archive *ar;
	struct fl_stream *stream;
	int fd;            /* open for both passes */
	int layer;
	uint32_t entry_no;
	const char *raw_name;
	struct fl_arena arena;
	struct fl_hidden **buckets;
	size_t nbuckets;
	size_t count;
	struct fl_inode **pending;
	size_t npending;
	size_t pending_cap;
	char path[FLATTEN_PATH_MAX + 1];
	char link[FLATTEN_PATH_MAX + 1];
};

static const unsigned char zeros[65536];

/* ------------------------------------------------------------ messages */

__attribute__((format(printf, 4, 5)))
static int entry_error(struct fl_layer *ly, int code, struct berth_error *err, const char *fmt, ...)
{
	char reason[BERTH_ERROR_MSG_MAX];
	char name[FL_QUOTE_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return berth_error_set(err, code, "layer %d: entry \"%s\": %s", ly->layer + 1,
			       fl_quote(name, sizeof(name), ly->raw_name), reason);
}

static int archive_failed(struct fl_layer *ly, struct berth_error *err, const char *what)
{
	char text[FL_QUOTE_MAX];
	const char *msg = archive_error_string(ly->ar);
	int code = archive_errno(ly->ar) > 0 ? archive_errno(ly->ar) : EINVAL;

	fl_quote(text, sizeof(text), msg ? msg : "unknown error");
	if (ly->raw_name)
		return entry_error(ly, code, err, "%s: %s", what, text);
	return berth_error_set(err, code, "layer %d: %s: %s", ly->layer + 1, what, text);
}

static int nomem(struct fl_layer *ly, struct berth_error *err)
{
	return berth_error_set(err, ENOMEM, "layer %d: out of memory", ly->layer + 1);
}

/* FL_SHADOWED -> 0 (entry skipped); errors -> -1 with err set. */
static int walk_failed(struct fl_layer *ly, enum fl_result rc, size_t bad_len,
		       struct berth_error *err)
{
	char parent[FL_QUOTE_MAX];
	char prefix[FLATTEN_PATH_MAX + 1];

	if (rc == FL_NOMEM)
		return nomem(ly, err);
	if (rc == FL_NOT_DIR) {
		memcpy(prefix, ly->path, bad_len);
		prefix[bad_len] = '\0';
		return entry_error(ly, ENOTDIR, err, "parent \"%s\" is not a directory",
				   fl_quote(parent, sizeof(parent), prefix));
	}
	return 0;
}

/* ------------------------------------------------------------ entries */

static const char *entry_name(struct archive_entry *e)
{
	const char *name = archive_entry_pathname(e);

	return name ? name : archive_entry_pathname_utf8(e);
}

static uint16_t entry_perm(struct archive_entry *e)
{
	return (uint16_t)(archive_entry_perm(e) & 07777 & ~06000);
}

static uint32_t entry_mtime(struct archive_entry *e)
{
	int64_t t = archive_entry_mtime(e);

	return t < 0 ? 0 : t > (int64_t)UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* Distinct names: libarchive reports an xattr once per pax header that
 * carries it (SCHILY.xattr and LIBARCHIVE.xattr). */
static uint64_t count_xattrs(struct archive_entry *e)
{
	const char *names[64];
	size_t n = 0;
	uint64_t count = 0;
	const char *name;
	const void *value;
	size_t size;

	archive_entry_xattr_reset(e);
	while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
		size_t i = 0;

		while (i < n && strcmp(names[i], name) != 0)
			i++;
		if (i < n)
			continue;
		count++;
		if (n < sizeof(names) / sizeof(names[0]))
			names[n++] = name;
	}
	return count;
}

/* Count what is dropped from an entry that makes it into the image. */
static void note_kept(struct fl_layer *ly, struct archive_entry *e)
{
	if (archive_entry_perm(e) & 06000)
		ly->ctx->stats.stripped_setuid++;
	if (archive_entry_xattr_count(e) > 0)
		ly->ctx->stats.dropped_xattrs += count_xattrs(e);
}

static int append_zeros(struct fl_layer *ly, uint64_t count, struct berth_error *err)
{
	while (count > 0) {
		size_t n = count < sizeof(zeros) ? (size_t)count : sizeof(zeros);
		int rc = sqfs_block_processor_append(ly->ctx->proc, zeros, n);

		if (rc)
			return fl_sqfs_error(ly->ctx, rc, err, "writing file data");
		count -= n;
	}
	return 0;
}

static int stream_data(struct fl_layer *ly, struct archive_entry *e, struct fl_inode *ino,
		       struct berth_error *err)
{
	uint64_t pos = 0;
	int rc;

	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > FLATTEN_FILE_MAX)
		return entry_error(ly, EFBIG, err, "file too large");
	rc = sqfs_block_processor_begin_file(ly->ctx->proc, &ino->sq, NULL, 0);
	if (rc)
		return fl_sqfs_error(ly->ctx, rc, err, "writing file data");
	fl_tree_track_file(&ly->ctx->tree, ino);
	for (;;) {
		const void *buf;
		size_t len;
		la_int64_t off;

		rc = archive_read_data_block(ly->ar, &buf, &len, &off);
		if (rc == ARCHIVE_EOF)
			break;
		if (rc < ARCHIVE_WARN)
			return archive_failed(ly, err, "reading data");
		/* sparse entries come as blocks at offsets; holes are zeros */
		if (off < 0 || (uint64_t)off < pos || (uint64_t)off + len > FLATTEN_FILE_MAX)
			return entry_error(ly, EINVAL, err, "bad data offset");
		if (append_zeros(ly, (uint64_t)off - pos, err) < 0)
			return -1;
		rc = sqfs_block_processor_append(ly->ctx->proc, buf, len);
		if (rc)
			return fl_sqfs_error(ly->ctx, rc, err, "writing file data");
		pos = (uint64_t)off + len;
	}
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > pos &&
	    append_zeros(ly, (uint64_t)archive_entry_size(e) - pos, err) < 0)
		return -1;
	if (archive_entry_size_is_set(e) && (uint64_t)archive_entry_size(e) > pos)
		pos = (uint64_t)archive_entry_size(e);
	rc = sqfs_block_processor_end_file(ly->ctx->proc);
	if (rc)
		return fl_sqfs_error(ly->ctx, rc, err, "writing file data");
	ino->size = pos;
	return 0;
}

/* Give ino the content of entry e (a file, symlink or FIFO). */
static int fill_inode(struct fl_layer *ly, struct archive_entry *e, struct fl_inode *ino,
		      struct berth_error *err)
{
	const char *target;
	size_t len;

	ino->mode = entry_perm(e);
	ino->mtime = entry_mtime(e);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		ino->type = FL_INODE_FILE;
		return stream_data(ly, e, ino, err);
	case AE_IFIFO:
		ino->type = FL_INODE_FIFO;
		return 0;
	case AE_IFLNK:
		target = archive_entry_symlink(e);
		if (!target)
			target = archive_entry_symlink_utf8(e);
		len = target ? strlen(target) : 0;
		if (len == 0)
			return entry_error(ly, EINVAL, err, "empty symlink target");
		if (len >= FLATTEN_PATH_MAX)
			return entry_error(ly, ENAMETOOLONG, err, "symlink target too long");
		ino->type = FL_INODE_SYMLINK;
		ino->target = fl_arena_strndup(&ly->ctx->tree.arena, target, len);
		return ino->target ? 0 : nomem(ly, err);
	default:
		return entry_error(ly, EINVAL, err, "unsupported entry type 0%o",
				   (unsigned)archive_entry_filetype(e));
	}
}

/* ------------------------------------------------------------ hidden map */

static struct fl_hidden *hidden_find(struct fl_layer *ly, const char *path, size_t len,
				     uint64_t *hash)
{
	*hash = fl_hash(ly->ctx->tree.key, path, len);
	if (!ly->buckets)
		return NULL;
	for (struct fl_hidden *h = ly->buckets[*hash & (ly->nbuckets - 1)]; h; h = h->next)
		if (h->hash == *hash && h->len == len && memcmp(h->path, path, len) == 0)
			return h;
	return NULL;
}

static int hidden_grow(struct fl_layer *ly)
{
	size_t nbuckets = ly->nbuckets ? ly->nbuckets * 2 : 1024;
	struct fl_hidden **buckets = calloc(nbuckets, sizeof(*buckets));

	if (!buckets)
		return -1;
	for (size_t i = 0; i < ly->nbuckets; i++) {
		struct fl_hidden *h = ly->buckets[i];

		while (h) {
			struct fl_hidden *next = h->next;

			h->next = buckets[h->hash & (nbuckets - 1)];
			buckets[h->hash & (nbuckets - 1)] = h;
			h = next;
		}
	}
	free(ly->buckets);
	ly->buckets = buckets;
	ly->nbuckets = nbuckets;
	return 0;
}

/* Remember that the current entry (at ly->path) was not used. */
static int hide_entry(struct fl_layer *ly, struct fl_target *target, struct berth_error *err)
{
	size_t len = strlen(ly->path);
	uint64_t hash;
	struct fl_hidden *h = hidden_find(ly, ly->path, len, &hash);

	if (!h) {
		if (ly->count >= ly->nbuckets && hidden_grow(ly) < 0)
			return nomem(ly, err);
		h = fl_arena_alloc(&ly->arena, sizeof(*h));
		if (!h || !(h->path = fl_arena_strndup(&ly->arena, ly->path, len)))
			return nomem(ly, err);
		h->len = len;
		h->hash = hash;
		h->next = ly->buckets[hash & (ly->nbuckets - 1)];
		ly->buckets[hash & (ly->nbuckets - 1)] = h;
		ly->count++;
	}
	h->entry_no = ly->entry_no;
	h->target = target;
	return 0;
}

static int hide_data_entry(struct fl_layer *ly, bool device, struct berth_error *err)
{
	struct fl_target *target = fl_arena_alloc(&ly->arena, sizeof(*target));

	if (!target)
		return nomem(ly, err);
	target->entry_no = ly->entry_no;
	target->device = device;
	return hide_entry(ly, target, err);
}

/* The entry a hard link to ly->link refers to: the last non-directory entry
 * of this layer at that path before the link, used or hidden. */
static struct fl_target *resolve_link(struct fl_layer *ly, struct berth_error *err)
{
	char name[FL_QUOTE_MAX];
	size_t len = strlen(ly->link);
	uint64_t hash;
	struct fl_hidden *h = hidden_find(ly, ly->link, len, &hash);
	struct fl_node *node = fl_tree_find(&ly->ctx->tree, ly->link, len);
	struct fl_target *target;

	if (node && node->kind == FL_NODE_OTHER && node->layer == ly->layer &&
	    (!h || node->entry_no > h->entry_no)) {
		target = fl_arena_alloc(&ly->arena, sizeof(*target));
		if (!target) {
			nomem(ly, err);
			return NULL;
		}
		target->ino = node->ino;
		return target;
	}
	if (h)
		return h->target;
	fl_quote(name, sizeof(name), ly->link);
	if (node && node->kind == FL_NODE_DIR && node->layer == ly->layer)
		entry_error(ly, EINVAL, err, "hard link target \"%s\" is a directory", name);
	else
		entry_error(ly, ENOENT, err, "hard link target \"%s\" not found in this layer", name);
	return NULL;
}

static int add_pending(struct fl_layer *ly, struct fl_target *target, struct berth_error *err)
{
	if (ly->npending == ly->pending_cap) {
		size_t cap = ly->pending_cap ? ly->pending_cap * 2 : 16;
		struct fl_inode **p = realloc(ly->pending, cap * sizeof(*p));

		if (!p)
			return nomem(ly, err);
		ly->pending = p;
		ly->pending_cap = cap;
	}
	target->ino = fl_inode_new(&ly->ctx->tree, FL_INODE_PENDING);
	if (!target->ino)
		return nomem(ly, err);
	target->ino->entry_no = target->entry_no;
	ly->pending[ly->npending++] = target->ino;
	return 0;
}

/* ------------------------------------------------------------ entry kinds */

static int process_whiteout(struct fl_layer *ly, size_t dirlen, const char *leaf,
			    struct berth_error *err)
{
	struct fl_node *dir;
	size_t bad = 0;
	const char *name = leaf + 4;
	enum fl_result rc;

	if (strcmp(leaf, ".wh..wh..opq") == 0) {
		rc = fl_tree_walk(&ly->ctx->tree, ly->path, dirlen, ly->layer, true, &dir, &bad);
		if (rc != FL_KEPT)
			return walk_failed(ly, rc, bad, err);
		if (dir->seal_children_layer < ly->layer)
			dir->seal_children_layer = ly->layer;
		ly->ctx->stats.whiteouts_applied++;
		return 0;
	}
	if (strncmp(leaf, ".wh..wh.", 8) == 0)
		return 0;  /* aufs bookkeeping, not a whiteout */
	if (!*name || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return entry_error(ly, EINVAL, err, "invalid whiteout name");
	rc = fl_tree_walk(&ly->ctx->tree, ly->path, dirlen, ly->layer, false, &dir, &bad);
	if (rc == FL_KEPT)
		rc = fl_tree_whiteout(&ly->ctx->tree, dir, name, strlen(name), ly->layer);
	if (rc == FL_KEPT)
		ly->ctx->stats.whiteouts_applied++;
	return walk_failed(ly, rc, bad, err);
}

static int process_dir(struct fl_layer *ly, struct archive_entry *e, size_t dirlen,
		       const char *leaf, struct berth_error *err)
{
	struct fl_node *dir, *node;
	size_t bad = 0;
	enum fl_result rc;

	rc = fl_tree_walk(&ly->ctx->tree, ly->path, dirlen, ly->layer, true, &dir, &bad);
	if (rc == FL_KEPT)
		rc = fl_tree_claim(&ly->ctx->tree, dir, leaf, strlen(leaf), ly->layer, true, &node);
	if (rc != FL_KEPT)
		return walk_failed(ly, rc, bad, err);
	note_kept(ly, e);
	fl_dir_set_meta(node, ly->layer, entry_perm(e), entry_mtime(e));
	return 0;
}

/* Find the node for a non-directory entry; *node NULL if it is hidden. */
static int claim_other(struct fl_layer *ly, size_t dirlen, const char *leaf,
		       struct fl_node **node, struct berth_error *err)
{
	struct fl_node *dir;
	size_t bad = 0;
	enum fl_result rc;

	*node = NULL;
	rc = fl_tree_walk(&ly->ctx->tree, ly->path, dirlen, ly->layer, true, &dir, &bad);
	if (rc == FL_KEPT)
		rc = fl_tree_claim(&ly->ctx->tree, dir, leaf, strlen(leaf), ly->layer, false, node);
	if (rc != FL_KEPT) {
		*node = NULL;
		return walk_failed(ly, rc, bad, err);
	}
	(*node)->entry_no = ly->entry_no;
	return 0;
}

static int process_other(struct fl_layer *ly, struct archive_entry *e, size_t dirlen,
			 const char *leaf, bool device, struct berth_error *err)
{
	struct fl_node *node;

	if (claim_other(ly, dirlen, leaf, &node, err) < 0)
		return -1;
	if (!node || device) {
		if (node) {
			fl_tree_hide(&ly->ctx->tree, node, ly->layer);
			ly->ctx->stats.skipped_devices++;
		}
		return hide_data_entry(ly, device, err);
	}
	note_kept(ly, e);
	node->ino = fl_inode_new(&ly->ctx->tree, FL_INODE_PENDING);
	if (!node->ino)
		return nomem(ly, err);
	return fill_inode(ly, e, node->ino, err);
}

static int process_hardlink(struct fl_layer *ly, struct archive_entry *e, size_t dirlen,
			    const char *leaf, struct berth_error *err)
{
	const char *raw = archive_entry_hardlink(e);
	struct fl_target *target;
	struct fl_node *node;
	const char *why;

	if (!raw)
		raw = archive_entry_hardlink_utf8(e);
	why = fl_path_normalize(raw ? raw : "", ly->link, sizeof(ly->link));
	if (why)
		return entry_error(ly, EINVAL, err, "hard link target: %s", why);
	target = resolve_link(ly, err);
	if (!target)
		return -1;
	if (claim_other(ly, dirlen, leaf, &node, err) < 0)
		return -1;
	if (!node || target->device) {
		if (node) {
			fl_tree_hide(&ly->ctx->tree, node, ly->layer);
			ly->ctx->stats.skipped_devices++;
		}
		return hide_entry(ly, target, err);
	}
	if (!target->ino && add_pending(ly, target, err) < 0)
		return -1;
	node->ino = target->ino;
	return 0;
}

enum wh_path { WH_NONE, WH_AUFS, WH_BAD };

/* A whiteout name as a directory is bad, except aufs's ".wh..wh." ones
 * (e.g. ".wh..wh.plnk/"), whose content is bookkeeping to skip. */
static enum wh_path whiteout_on_the_way(const char *path, size_t dirlen)
{
	for (size_t pos = 0; pos < dirlen;) {
		const char *slash = memchr(path + pos, '/', dirlen - pos);
		size_t end = slash ? (size_t)(slash - path) : dirlen;

		if (end - pos >= 8 && memcmp(path + pos, ".wh..wh.", 8) == 0)
			return WH_AUFS;
		if (end - pos >= 4 && memcmp(path + pos, ".wh.", 4) == 0)
			return WH_BAD;
		pos = end + 1;
	}
	return WH_NONE;
}

static int process_entry(struct fl_layer *ly, struct archive_entry *e, struct berth_error *err)
{
	const char *why, *slash, *leaf;
	size_t dirlen;

	ly->raw_name = entry_name(e);
	if (!ly->raw_name)
		return berth_error_set(err, EINVAL, "layer %d: entry %u has no usable name",
				       ly->layer + 1, ly->entry_no);
	why = fl_path_normalize(ly->raw_name, ly->path, sizeof(ly->path));
	if (why)
		return entry_error(ly, EINVAL, err, "%s", why);
	if (!ly->path[0]) {
		if (archive_entry_filetype(e) != AE_IFDIR || archive_entry_hardlink(e))
			return entry_error(ly, EINVAL, err, "the image root must be a directory");
		note_kept(ly, e);
		fl_dir_set_meta(ly->ctx->tree.root, ly->layer, entry_perm(e), entry_mtime(e));
		return 0;
	}
	slash = strrchr(ly->path, '/');
	dirlen = slash ? (size_t)(slash - ly->path) : 0;
	leaf = slash ? slash + 1 : ly->path;
	switch (whiteout_on_the_way(ly->path, dirlen)) {
	case WH_AUFS:
		return 0;
	case WH_BAD:
		return entry_error(ly, EINVAL, err, "whiteout name used as a directory");
	case WH_NONE:
		break;
	}
	if (strncmp(leaf, ".wh.", 4) == 0)
		return process_whiteout(ly, dirlen, leaf, err);
	if (archive_entry_hardlink(e) || archive_entry_hardlink_utf8(e))
		return process_hardlink(ly, e, dirlen, leaf, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFDIR:
		return process_dir(ly, e, dirlen, leaf, err);
	case AE_IFREG:
	case AE_IFLNK:
	case AE_IFIFO:
		return process_other(ly, e, dirlen, leaf, false, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFSOCK:
		return process_other(ly, e, dirlen, leaf, true, err);
	default:
		return entry_error(ly, EINVAL, err, "unsupported entry type 0%o",
				   (unsigned)archive_entry_filetype(e));
	}
}

/* ------------------------------------------------------------ passes */

static void close_layer(struct fl_layer *ly)
{
	if (ly->ar)
		archive_read_free(ly->ar);
	ly->ar = NULL;
	fl_stream_stop(ly->stream);
	ly->stream = NULL;
}

/* The first pass opens the layer (waiting for it if it is still to come),
 * the second reads the same file again from its start. */
static int open_layer(struct fl_layer *ly, bool hash, struct berth_error *err)
{
	int code;

	ly->raw_name = NULL;
	ly->entry_no = 0;
	if (ly->fd < 0) {
		ly->fd = ly->src->open_layer(ly->src->arg, (size_t)ly->layer, err);
		if (ly->fd < 0)
			return berth_error_prefix(err, "layer %d", ly->layer + 1);
	} else if (lseek(ly->fd, 0, SEEK_SET) < 0) {
		return berth_error_errno(err, errno, "layer %d: rewind", ly->layer + 1);
	}
	/* content decides: plain, gzip or zstd (in the stream thread) holding
	 * a tar; an empty blob is an empty layer */
	ly->stream = fl_stream_start(ly->fd, hash, ly->src, (size_t)ly->layer, &code);
	if (!ly->stream)
		return berth_error_errno(err, code, "layer %d: starting decompression",
					 ly->layer + 1);
	ly->ar = archive_read_new();
	if (!ly->ar)
		return nomem(ly, err);
	archive_read_support_format_tar(ly->ar);
	archive_read_support_format_empty(ly->ar);
	if (archive_read_open(ly->ar, ly->stream, NULL, fl_stream_read, NULL) != ARCHIVE_OK)
		return archive_failed(ly, err, "reading archive");
	return 0;
}

/* Returns 1 with *e set, 0 at the end, -1 on error. */
static int next_entry(struct fl_layer *ly, struct archive_entry **e, struct berth_error *err)
{
	int rc = archive_read_next_header(ly->ar, e);

	if (rc == ARCHIVE_EOF)
		return 0;
	ly->raw_name = NULL;
	if (rc < ARCHIVE_WARN)
		return archive_failed(ly, err, "reading archive");
	if (ly->entry_no == UINT32_MAX)
		return berth_error_set(err, E2BIG, "layer %d: too many entries", ly->layer + 1);
	ly->entry_no++;
	return 1;
}

static int cmp_pending(const void *a, const void *b)
{
	const struct fl_inode *x = *(const struct fl_inode *const *)a;
	const struct fl_inode *y = *(const struct fl_inode *const *)b;

	return x->entry_no < y->entry_no ? -1 : x->entry_no > y->entry_no;
}

/* Second pass: the data of hidden entries that hard links kept alive. */
static int fill_pending(struct fl_layer *ly, struct berth_error *err)
{
	struct archive_entry *e;
	size_t next = 0;
	int rc = 0;

	berth_debug("flatten: layer %d: second pass for %zu hard-linked entries",
		    ly->layer + 1, ly->npending);
	qsort(ly->pending, ly->npending, sizeof(*ly->pending), cmp_pending);
	if (open_layer(ly, false, err) < 0)
		return -1;
	while (next < ly->npending && (rc = next_entry(ly, &e, err)) > 0) {
		if (ly->entry_no != ly->pending[next]->entry_no)
			continue;
		ly->raw_name = entry_name(e);
		if (!ly->raw_name)
			ly->raw_name = "?";
		note_kept(ly, e);
		if (fill_inode(ly, e, ly->pending[next], err) < 0)
			return -1;
		next++;
	}
	if (next < ly->npending)
		return rc < 0 ? -1 : berth_error_set(err, EIO, "layer %d: changed while reading it",
						     ly->layer + 1);
	return 0;
}

/* The OCI image spec: a layer's diff_id is the sha256 of its uncompressed
 * tar stream.  Checked on the first pass only (a second pass reads the same
 * bytes); a mismatch means the layer is not the one the config describes. */
static int check_diff_id(struct fl_layer *ly, const char *diff_id, struct berth_error *err)
{
	char got[FL_DIGEST_SIZE];

	if (fl_stream_digest(ly->stream, got, err) < 0)
		return berth_error_prefix(err, "layer %d", ly->layer + 1);
	if (strcmp(got, diff_id))
		return berth_error_set(err, EBADMSG,
				       "layer %d: uncompressed digest %s does not match rootfs.diff_ids[%d] %s",
				       ly->layer + 1, got, ly->layer, diff_id);
	return 0;
}

static int read_layer(struct fl_layer *ly, const char *diff_id, struct berth_error *err)
{
	struct archive_entry *e;
	int rc;

	if (open_layer(ly, diff_id != NULL, err) < 0)
		return -1;
	while ((rc = next_entry(ly, &e, err)) > 0)
		if (process_entry(ly, e, err) < 0)
			return -1;
	if (rc < 0 || (diff_id && check_diff_id(ly, diff_id, err) < 0))
		return -1;
	close_layer(ly);
	return ly->npending ? fill_pending(ly, err) : 0;
}

int fl_read_layer(struct fl_ctx *ctx, const struct flatten_source *src, size_t layer,
		  const char *diff_id, struct berth_error *err)
{
	struct fl_layer *ly = calloc(1, sizeof(*ly));
	int rc;

	if (!ly)
		return berth_error_set(err, ENOMEM, "layer %zu: out of memory", layer + 1);
	ly->ctx = ctx;
	ly->src = src;
	ly->layer = (int)layer;
	ly->fd = -1;
	rc = read_layer(ly, diff_id, err);
	close_layer(ly);
	if (ly->fd >= 0)
		close(ly->fd);
	free(ly->buckets);
	free(ly->pending);
	fl_arena_free(&ly->arena);
	free(ly);
	return rc;
}
