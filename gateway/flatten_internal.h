/*
 * flatten_internal.h - what the flatten_*.c files share (see flatten.h).
 *
 * flatten_tree.c: the in-memory tree of decided paths and the layer rules;
 * flatten_layer.c: reading one layer with libarchive; flatten_write.c: the
 * squashfs tables and superblock; flatten.c: options, output file, driver.
 */
#ifndef BERTH_FLATTEN_INTERNAL_H_
#define BERTH_FLATTEN_INTERNAL_H_

#include <stdbool.h>
#include <stdint.h>

#include <archive.h>
#include <sqfs/block.h>
#include <sqfs/block_processor.h>
#include <sqfs/block_writer.h>
#include <sqfs/compressor.h>
#include <sqfs/error.h>
#include <sqfs/frag_table.h>
#include <sqfs/id_table.h>
#include <sqfs/inode.h>
#include <sqfs/io.h>
#include <sqfs/super.h>

#include "berth_error.h"
#include "flatten.h"
#include "image_ref.h"

/* ------------------------------------------------------------ arena */

/* Metadata lives in chunks freed all at once: nodes keep stable addresses
 * (the block processor holds pointers into them until it is finished). */
struct fl_arena {
	struct fl_chunk *chunks;
	size_t used;
	size_t cap;
};

void *fl_arena_alloc(struct fl_arena *arena, size_t size);  /* zeroed, NULL = ENOMEM */
char *fl_arena_strndup(struct fl_arena *arena, const char *s, size_t len);
void fl_arena_free(struct fl_arena *arena);

/* Keyed hash (SipHash-2-4), so crafted names cannot flood a hash chain. */
uint64_t fl_hash(const uint64_t key[2], const void *data, size_t len);

/* ------------------------------------------------------------ tree */

enum fl_inode_type {
	FL_INODE_PENDING = 0,  /* hard link whose data comes in a second pass */
	FL_INODE_FILE,
	FL_INODE_SYMLINK,
	FL_INODE_FIFO,
};

/* A non-directory inode; hard-linked names share one. */
struct fl_inode {
	sqfs_inode_generic_t *sq;  /* FILE: built by the block processor */
	char *target;              /* SYMLINK */
	struct fl_inode *next;     /* FILE and PENDING: all of them, for cleanup */
	uint64_t size;
	uint64_t inode_ref;
	uint32_t entry_no;         /* PENDING: the layer entry holding the data */
	uint32_t mtime;
	uint32_t nlink;
	uint32_t inode_number;     /* 0 until numbered for writing */
	uint16_t mode;             /* permission bits */
	uint8_t type;
	bool written;
};

enum fl_node_kind {
	FL_NODE_NONE = 0,  /* not in the image: whiteout or placeholder parent */
	FL_NODE_DIR,
	FL_NODE_OTHER,     /* ->ino */
};

#define FL_NO_LAYER (-1)

struct fl_node {
	struct fl_node *parent;
	struct fl_node *children;  /* unsorted until written */
	struct fl_node *sibling;
	struct fl_node *hash_next;
	struct fl_inode *ino;
	const char *name;
	uint64_t hash;
	uint64_t inode_ref;        /* DIR, when written */
	int layer;                 /* layer that made it present, FL_NO_LAYER if not */
	int meta_layer;            /* DIR: layer whose entry set mode/mtime, or none */
	int seal_layer;            /* layers below add nothing at or under this path */
	int seal_children_layer;   /* opaque: layers below add nothing under it */
	uint32_t entry_no;         /* entry of ->layer that claimed it */
	uint32_t mtime;
	uint32_t inode_number;
	uint32_t subdirs;
	uint16_t name_len;
	uint16_t mode;             /* DIR: permission bits */
	uint8_t kind;
};

struct fl_tree {
	struct fl_arena arena;
	struct fl_node *root;
	struct fl_node **buckets;
	size_t nbuckets;
	size_t count;
	uint64_t key[2];
	struct fl_inode *files;  /* inodes owning ->sq */
};

enum fl_result {
	FL_KEPT = 0,     /* the entry is used */
	FL_SHADOWED,     /* a higher layer decided this path (or a parent) */
	FL_NOT_DIR,      /* a parent is a non-directory of the same layer */
	FL_NOMEM,
};

int fl_tree_init(struct fl_tree *tree);
void fl_tree_free(struct fl_tree *tree);
struct fl_inode *fl_inode_new(struct fl_tree *tree, enum fl_inode_type type);
void fl_tree_track_file(struct fl_tree *tree, struct fl_inode *ino);

/* Walk the directories path[0..len) for an entry of `layer`, creating
 * missing ones: as present (implicit) directories when make_present, else as
 * placeholders (whiteouts do not create directories).  On FL_NOT_DIR,
 * *bad_len is the length of the offending prefix. */
enum fl_result fl_tree_walk(struct fl_tree *tree, const char *path, size_t len, int layer,
			    bool make_present, struct fl_node **dir, size_t *bad_len);
/* Claim dir/name for an entry of `layer`.  FL_KEPT: *out is present and of
 * the entry's kind (OTHER: ->ino is for the caller to set; DIR: the caller
 * applies its metadata with fl_dir_set_meta).  A shadowed non-directory
 * seals the path for the layers below it. */
enum fl_result fl_tree_claim(struct fl_tree *tree, struct fl_node *dir, const char *name,
			     size_t name_len, int layer, bool is_dir, struct fl_node **out);
void fl_dir_set_meta(struct fl_node *dir, int layer, uint16_t mode, uint32_t mtime);
/* A whiteout of dir/name from `layer`; FL_SHADOWED if already hidden. */
enum fl_result fl_tree_whiteout(struct fl_tree *tree, struct fl_node *dir, const char *name,
				size_t name_len, int layer);
/* Take a claimed node out of the image again (skipped device). */
void fl_tree_hide(struct fl_tree *tree, struct fl_node *node, int layer);
/* Look up an existing path without changing anything; NULL if absent. */
struct fl_node *fl_tree_find(struct fl_tree *tree, const char *path, size_t len);

/* Normalize a tar name into "a/b/c" (no leading, trailing or double
 * slashes, "" for the root).  Returns NULL, or the reason it is rejected. */
const char *fl_path_normalize(const char *raw, char *out, size_t out_size);

/* ------------------------------------------------------------ context */

/* The output: a sqfs_file_t over our own fd, so we control creation,
 * fsync and the errno of a failed write. */
struct fl_out {
	sqfs_file_t base;
	int fd;
	uint64_t size;
	int error;  /* errno of the first failed read/write */
};

struct fl_ctx {
	struct fl_tree tree;
	struct fl_out out;
	const char *out_path;
	sqfs_compressor_t *cmp;
	sqfs_compressor_t *uncmp;
	sqfs_block_writer_t *block_writer;
	sqfs_frag_table_t *frag_table;
	sqfs_id_table_t *id_table;
	sqfs_block_processor_t *proc;
	sqfs_super_t super;
	struct flatten_stats stats;
};

/* Turn a libsquashfs error code into err (errno of the output if it was
 * an I/O error there).  Returns -1. */
int fl_sqfs_error(struct fl_ctx *ctx, int code, struct berth_error *err, const char *what);

/* flatten_layer.c: apply layer number `layer` (0 = bottom) of src; diff_id
 * (NULL: not checked) is what its uncompressed sha256 must be. */
int fl_read_layer(struct fl_ctx *ctx, const struct flatten_source *src, size_t layer,
		  const char *diff_id, struct berth_error *err);

/* flatten_stream.c: decompress fd (gzip, zstd or plain) in a thread; the
 * tar parser reads the result with archive_read_open(.., fl_stream_read, ..).
 * fd is read from its offset on; at its end src->wait_more (if any) says
 * whether layer `layer` grows further.  fl_stream_stop() ends and joins the
 * thread (fd stays open).  With hash, fl_stream_digest() (after the reader
 * is done) reads the rest of the stream and gives the sha256 of all of it:
 * "sha256:<64 hex>". */
#define FL_DIGEST_SIZE (BERTH_DIGEST_LEN + 1)
struct fl_stream;
struct fl_stream *fl_stream_start(int fd, bool hash, const struct flatten_source *src, size_t layer,
				  int *error);
int fl_stream_digest(struct fl_stream *stream, char out[FL_DIGEST_SIZE], struct berth_error *err);
la_ssize_t fl_stream_read(struct archive *ar, void *stream, const void **buf);
void fl_stream_stop(struct fl_stream *stream);

/* flatten_write.c: finish the data, write all tables and the superblock. */
int fl_write_image(struct fl_ctx *ctx, struct berth_error *err);

/* Copy untrusted text into buf for a message: bounded, one printable line. */
const char *fl_quote(char *buf, size_t size, const char *text);

#endif
