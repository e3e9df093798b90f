/*
 * flatten_write.c - turn the finished tree into the squashfs inode and
 * directory tables, then append the fragment and id tables and write the
 * superblock.
 *
 * Inodes are numbered and written in one post-order walk over sorted
 * directories (children before their directory, as a directory listing
 * needs the children's inode locations), so equal input gives equal bytes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sqfs/dir.h>
#include <sqfs/dir_writer.h>
#include <sqfs/meta_writer.h>

#include "berth_log.h"
#include "flatten_internal.h"

struct fl_writer {
	struct fl_ctx *ctx;
	sqfs_meta_writer_t *inodes;
	sqfs_meta_writer_t *dirs;
	sqfs_dir_writer_t *dir_writer;
	sqfs_u16 root_id;      /* id table index of uid/gid 0 */
	uint32_t count;        /* inodes numbered so far */
	uint32_t max_mtime;
	struct berth_error *err;
};

/* ------------------------------------------------------------ prepare */

static struct fl_node *merge(struct fl_node *a, struct fl_node *b)
{
	struct fl_node *head = NULL, **tail = &head;

	while (a && b) {
		struct fl_node **pick = strcmp(a->name, b->name) <= 0 ? &a : &b;

		*tail = *pick;
		tail = &(*pick)->sibling;
		*pick = (*pick)->sibling;
	}
	*tail = a ? a : b;
	return head;
}

/* squashfs wants each directory's entries in strcmp order */
static struct fl_node *sort_nodes(struct fl_node *list)
{
	struct fl_node *slow = list, *fast, *second;

	if (!list || !list->sibling)
		return list;
	fast = list->sibling;
	while (fast && fast->sibling) {
		slow = slow->sibling;
		fast = fast->sibling->sibling;
	}
	second = slow->sibling;
	slow->sibling = NULL;
	return merge(sort_nodes(list), sort_nodes(second));
}

static void note_mtime(struct fl_writer *w, uint32_t mtime)
{
	if (mtime > w->max_mtime)
		w->max_mtime = mtime;
}

static void count_inode(struct fl_writer *w, const struct fl_inode *ino)
{
	struct flatten_stats *stats = &w->ctx->stats;

	if (ino->type == FL_INODE_FILE) {
		stats->files++;
		stats->bytes_in += ino->size;
	} else if (ino->type == FL_INODE_SYMLINK) {
		stats->symlinks++;
	}
	note_mtime(w, ino->mtime);
}

/* Drop what is not in the image, sort, count links and number the inodes
 * in the order write_dir() will write them. */
static int prepare_dir(struct fl_writer *w, struct fl_node *dir)
{
	struct fl_node **pp = &dir->children;

	while (*pp) {
		if ((*pp)->kind == FL_NODE_NONE)
			*pp = (*pp)->sibling;
		else
			pp = &(*pp)->sibling;
	}
	dir->children = sort_nodes(dir->children);
	dir->subdirs = 0;
	for (struct fl_node *c = dir->children; c; c = c->sibling) {
		if (c->kind == FL_NODE_DIR) {
			dir->subdirs++;
			if (prepare_dir(w, c) < 0)
				return -1;
			continue;
		}
		if (c->ino->type == FL_INODE_PENDING) {
			char name[200];

			return berth_error_set(w->err, EIO, "hard link \"%s\" was never resolved",
					       fl_quote(name, sizeof(name), c->name));
		}
		if (c->ino->nlink++ == 0) {
			c->ino->inode_number = ++w->count;
			count_inode(w, c->ino);
		} else {
			w->ctx->stats.hardlinks++;
		}
	}
	dir->inode_number = ++w->count;
	w->ctx->stats.dirs++;
	note_mtime(w, dir->mtime);
	return 0;
}

/* ------------------------------------------------------------ write */

static void set_base(struct fl_writer *w, sqfs_inode_generic_t *inode, uint16_t mode,
		     uint32_t mtime, uint32_t number)
{
	inode->base.mode = mode;
	inode->base.uid_idx = w->root_id;
	inode->base.gid_idx = w->root_id;
	inode->base.mod_time = mtime;
	inode->base.inode_number = number;
}

static uint64_t position(const sqfs_meta_writer_t *m)
{
	sqfs_u64 block;
	sqfs_u32 offset;

	sqfs_meta_writer_get_position(m, &block, &offset);
	return (block << 16) | offset;
}

static uint16_t full_mode(const struct fl_node *node)
{
	if (node->kind == FL_NODE_DIR)
		return S_IFDIR | node->mode;
	switch (node->ino->type) {
	case FL_INODE_FILE:
		return S_IFREG | node->ino->mode;
	case FL_INODE_SYMLINK:
		return S_IFLNK | 0777;
	default:
		return S_IFIFO | node->ino->mode;
	}
}

static sqfs_inode_generic_t *other_inode(struct fl_inode *ino)
{
	sqfs_inode_generic_t *inode;
	size_t extra = ino->type == FL_INODE_SYMLINK ? strlen(ino->target) : 0;

	if (ino->type == FL_INODE_FILE) {
		inode = ino->sq;
		if (ino->nlink > 1 && sqfs_inode_make_extended(inode) != 0)
			return NULL;
		if (inode->base.type == SQFS_INODE_EXT_FILE)
			inode->data.file_ext.nlink = ino->nlink;
		return inode;
	}
	inode = calloc(1, sizeof(*inode) + extra);
	if (!inode)
		return NULL;
	if (ino->type == FL_INODE_SYMLINK) {
		inode->base.type = SQFS_INODE_SLINK;
		inode->data.slink.nlink = ino->nlink;
		inode->data.slink.target_size = (sqfs_u32)extra;
		inode->payload_bytes_available = (sqfs_u32)extra;
		inode->payload_bytes_used = (sqfs_u32)extra;
		memcpy(inode->extra, ino->target, extra);
	} else {
		inode->base.type = SQFS_INODE_FIFO;
		inode->data.ipc.nlink = ino->nlink;
	}
	return inode;
}

static int write_other(struct fl_writer *w, struct fl_node *node)
{
	struct fl_inode *ino = node->ino;
	sqfs_inode_generic_t *inode = other_inode(ino);
	int rc;

	if (!inode)
		return berth_error_set(w->err, ENOMEM, "writing inodes: out of memory");
	set_base(w, inode, full_mode(node), ino->mtime, ino->inode_number);
	ino->inode_ref = position(w->inodes);
	rc = sqfs_meta_writer_write_inode(w->inodes, inode);
	if (inode != ino->sq)
		free(inode);
	if (rc)
		return fl_sqfs_error(w->ctx, rc, w->err, "writing inodes");
	ino->written = true;
	return 0;
}

static int write_listing(struct fl_writer *w, struct fl_node *dir)
{
	int rc = sqfs_dir_writer_begin(w->dir_writer, 0);

	for (struct fl_node *c = dir->children; c && !rc; c = c->sibling) {
		bool is_dir = c->kind == FL_NODE_DIR;

		rc = sqfs_dir_writer_add_entry(w->dir_writer, c->name,
					       is_dir ? c->inode_number : c->ino->inode_number,
					       is_dir ? c->inode_ref : c->ino->inode_ref,
					       full_mode(c));
	}
	if (!rc)
		rc = sqfs_dir_writer_end(w->dir_writer);
	return rc ? fl_sqfs_error(w->ctx, rc, w->err, "writing directories") : 0;
}

static int write_dir(struct fl_writer *w, struct fl_node *dir, uint32_t parent_number)
{
	sqfs_inode_generic_t *inode;
	int rc;

	for (struct fl_node *c = dir->children; c; c = c->sibling) {
		if (c->kind == FL_NODE_DIR)
			rc = write_dir(w, c, dir->inode_number);
		else
			rc = c->ino->written ? 0 : write_other(w, c);
		if (rc < 0)
			return -1;
	}
	if (write_listing(w, dir) < 0)
		return -1;
	inode = sqfs_dir_writer_create_inode(w->dir_writer, 2 + dir->subdirs, 0xFFFFFFFF,
					     parent_number);
	if (!inode)
		return berth_error_set(w->err, ENOMEM, "writing directories: out of memory");
	/* set here: libsquashfs 1.2 adds the entry count to hlinks */
	if (inode->base.type == SQFS_INODE_EXT_DIR)
		inode->data.dir_ext.nlink = 2 + dir->subdirs;
	else
		inode->data.dir.nlink = 2 + dir->subdirs;
	set_base(w, inode, S_IFDIR | dir->mode, dir->mtime, dir->inode_number);
	dir->inode_ref = position(w->inodes);
	rc = sqfs_meta_writer_write_inode(w->inodes, inode);
	sqfs_free(inode);
	return rc ? fl_sqfs_error(w->ctx, rc, w->err, "writing inodes") : 0;
}

/* ------------------------------------------------------------ tables */

static int write_tables(struct fl_writer *w)
{
	struct fl_ctx *ctx = w->ctx;
	sqfs_file_t *file = &ctx->out.base;
	int rc;

	rc = sqfs_meta_writer_flush(w->inodes);
	if (!rc)
		rc = sqfs_meta_writer_flush(w->dirs);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing inode table");
	ctx->super.inode_table_start = file->get_size(file);
	rc = sqfs_meta_write_write_to_file(w->inodes);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing inode table");
	ctx->super.directory_table_start = file->get_size(file);
	rc = sqfs_meta_write_write_to_file(w->dirs);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing directory table");
	rc = sqfs_frag_table_write(ctx->frag_table, file, &ctx->super, ctx->cmp);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing fragment table");
	rc = sqfs_id_table_write(ctx->id_table, file, &ctx->super, ctx->cmp);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing id table");
	return 0;
}

/* bytes_used excludes the padding; loop devices want whole 4 KiB blocks */
static int finish_super(struct fl_writer *w)
{
	struct fl_ctx *ctx = w->ctx;
	sqfs_file_t *file = &ctx->out.base;
	uint64_t size = file->get_size(file);
	uint64_t padded = (size + SQFS_DEVBLK_SIZE - 1) & ~(uint64_t)(SQFS_DEVBLK_SIZE - 1);
	static const unsigned char pad[SQFS_DEVBLK_SIZE];
	int rc = 0;

	ctx->super.inode_count = w->count;
	ctx->super.bytes_used = size;
	ctx->super.modification_time = w->max_mtime;
	ctx->super.flags |= SQFS_FLAG_NO_XATTRS;
	ctx->super.xattr_id_table_start = UINT64_MAX;
	if (padded > size)
		rc = file->write_at(file, size, pad, (size_t)(padded - size));
	if (!rc)
		rc = sqfs_super_write(&ctx->super, file);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing superblock");
	ctx->stats.bytes_out = padded;
	return 0;
}

static int write_all(struct fl_writer *w)
{
	struct fl_ctx *ctx = w->ctx;
	int rc = sqfs_block_processor_finish(ctx->proc);

	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing file data");
	rc = sqfs_id_table_id_to_index(ctx->id_table, 0, &w->root_id);
	if (rc)
		return fl_sqfs_error(ctx, rc, w->err, "writing id table");
	w->inodes = sqfs_meta_writer_create(&ctx->out.base, ctx->cmp,
					    SQFS_META_WRITER_KEEP_IN_MEMORY);
	w->dirs = sqfs_meta_writer_create(&ctx->out.base, ctx->cmp,
					  SQFS_META_WRITER_KEEP_IN_MEMORY);
	w->dir_writer = w->dirs ? sqfs_dir_writer_create(w->dirs, 0) : NULL;
	if (!w->inodes || !w->dir_writer)
		return berth_error_set(w->err, ENOMEM, "writing tables: out of memory");
	if (prepare_dir(w, ctx->tree.root) < 0)
		return -1;
	/* like mksquashfs: the root's parent is one past the last inode */
	if (write_dir(w, ctx->tree.root, w->count + 1) < 0)
		return -1;
	ctx->super.root_inode_ref = ctx->tree.root->inode_ref;
	if (write_tables(w) < 0)
		return -1;
	return finish_super(w);
}

int fl_write_image(struct fl_ctx *ctx, struct berth_error *err)
{
	struct fl_writer w = { .ctx = ctx, .err = err };
	int rc = write_all(&w);

	sqfs_destroy(w.dir_writer);
	sqfs_destroy(w.dirs);
	sqfs_destroy(w.inodes);
	if (rc == 0)
		berth_debug("flatten: %u inodes, %llu bytes", w.count,
			    (unsigned long long)ctx->stats.bytes_out);
	return rc;
}
