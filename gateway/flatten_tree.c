/*
 * flatten_tree.c - the in-memory tree of paths decided so far, and the OCI
 * layer rules applied to it (see flatten.h).
 *
 * Layers are applied top-down, so a node records which layer made it present
 * and "seals" that hide a path (seal_layer) or a directory's content
 * (seal_children_layer) from the layers below the one that sealed it.  An
 * entry of layer L is shadowed when something on its way has a seal above L,
 * or when a higher layer already decided the path; two directories merge.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1  /* strchrnul */
#endif
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "flatten_internal.h"

#define FL_CHUNK_SIZE ((size_t)1 << 20)
#define FL_INITIAL_BUCKETS 4096

/* ------------------------------------------------------------ arena */

struct fl_chunk {
	struct fl_chunk *next;
	size_t pad;  /* keeps data 16-byte aligned */
	unsigned char data[];
};

void *fl_arena_alloc(struct fl_arena *arena, size_t size)
{
	struct fl_chunk *chunk;
	void *p;

	size = (size + 15) & ~(size_t)15;
	if (!arena->chunks || size > arena->cap - arena->used) {
		size_t cap = size > FL_CHUNK_SIZE ? size : FL_CHUNK_SIZE;

		chunk = calloc(1, sizeof(*chunk) + cap);
		if (!chunk)
			return NULL;
		chunk->next = arena->chunks;
		arena->chunks = chunk;
		arena->used = 0;
		arena->cap = cap;
	}
	p = arena->chunks->data + arena->used;
	arena->used += size;
	return p;
}

char *fl_arena_strndup(struct fl_arena *arena, const char *s, size_t len)
{
	char *copy = fl_arena_alloc(arena, len + 1);

	if (copy)
		memcpy(copy, s, len);
	return copy;
}

void fl_arena_free(struct fl_arena *arena)
{
	struct fl_chunk *chunk = arena->chunks;

	while (chunk) {
		struct fl_chunk *next = chunk->next;

		free(chunk);
		chunk = next;
	}
	memset(arena, 0, sizeof(*arena));
}

/* ------------------------------------------------------------ hash */

#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

uint64_t fl_hash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *in = data;
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ key[0];
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ key[1];
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ key[0];
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ key[1];
	uint64_t last = (uint64_t)len << 56;
	size_t blocks = len / 8;

	for (size_t i = 0; i < blocks; i++, in += 8) {
		uint64_t m;

		memcpy(&m, in, sizeof(m));
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < (len & 7); i++)
		last |= (uint64_t)in[i] << (8 * i);
	v3 ^= last;
	SIPROUND;
	SIPROUND;
	v0 ^= last;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ------------------------------------------------------------ nodes */

static uint64_t child_hash(const struct fl_tree *tree, const struct fl_node *parent,
			   const char *name, size_t len)
{
	uint64_t key[2] = { tree->key[0] ^ parent->hash, tree->key[1] };

	return fl_hash(key, name, len);
}

static struct fl_node *lookup(const struct fl_tree *tree, const struct fl_node *parent,
			      const char *name, size_t len)
{
	uint64_t hash = child_hash(tree, parent, name, len);

	for (struct fl_node *n = tree->buckets[hash & (tree->nbuckets - 1)]; n; n = n->hash_next)
		if (n->hash == hash && n->parent == parent && n->name_len == len &&
		    memcmp(n->name, name, len) == 0)
			return n;
	return NULL;
}

static int grow(struct fl_tree *tree)
{
	size_t nbuckets = tree->nbuckets * 2;
	struct fl_node **buckets = calloc(nbuckets, sizeof(*buckets));

	if (!buckets)
		return -1;
	for (size_t i = 0; i < tree->nbuckets; i++) {
		struct fl_node *n = tree->buckets[i];

		while (n) {
			struct fl_node *next = n->hash_next;
			size_t b = n->hash & (nbuckets - 1);

			n->hash_next = buckets[b];
			buckets[b] = n;
			n = next;
		}
	}
	free(tree->buckets);
	tree->buckets = buckets;
	tree->nbuckets = nbuckets;
	return 0;
}

static struct fl_node *insert(struct fl_tree *tree, struct fl_node *parent,
			      const char *name, size_t len)
{
	struct fl_node *node;
	size_t b;

	if (tree->count >= tree->nbuckets && grow(tree) < 0)
		return NULL;
	node = fl_arena_alloc(&tree->arena, sizeof(*node));
	if (!node)
		return NULL;
	node->name = fl_arena_strndup(&tree->arena, name, len);
	if (!node->name)
		return NULL;
	node->name_len = (uint16_t)len;
	node->hash = child_hash(tree, parent, name, len);
	node->parent = parent;
	node->layer = FL_NO_LAYER;
	node->meta_layer = FL_NO_LAYER;
	node->seal_layer = FL_NO_LAYER;
	node->seal_children_layer = FL_NO_LAYER;
	node->sibling = parent->children;
	parent->children = node;
	b = node->hash & (tree->nbuckets - 1);
	node->hash_next = tree->buckets[b];
	tree->buckets[b] = node;
	tree->count++;
	return node;
}

static void unhash(struct fl_tree *tree, struct fl_node *node)
{
	struct fl_node **pp = &tree->buckets[node->hash & (tree->nbuckets - 1)];

	while (*pp && *pp != node)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = node->hash_next;
	tree->count--;
}

/* Forget node's whole subtree (the memory stays in the arena).  Iterative:
 * always take the first child, so a path can be thousands of levels deep. */
static void drop_children(struct fl_tree *tree, struct fl_node *node)
{
	struct fl_node *cur = node;

	while (cur != node || cur->children) {
		struct fl_node *parent;

		if (cur->children) {
			cur = cur->children;
			continue;
		}
		parent = cur->parent;
		parent->children = cur->sibling;
		unhash(tree, cur);
		cur = parent;
	}
}

/* Make node present as the entry of `layer`. */
static void become(struct fl_tree *tree, struct fl_node *node, int layer, bool is_dir)
{
	if (!is_dir || node->kind == FL_NODE_OTHER)
		drop_children(tree, node);
	if (is_dir && node->kind != FL_NODE_DIR) {
		node->meta_layer = FL_NO_LAYER;
		node->mode = 0755;
		node->mtime = 0;
	}
	node->kind = is_dir ? FL_NODE_DIR : FL_NODE_OTHER;
	node->layer = layer;
	node->ino = NULL;
}

int fl_tree_init(struct fl_tree *tree)
{
	memset(tree, 0, sizeof(*tree));
	if (getrandom(tree->key, sizeof(tree->key), GRND_NONBLOCK) != sizeof(tree->key)) {
		/* only costs speed against crafted names: fall back quietly */
		tree->key[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
		tree->key[1] = (uint64_t)(uintptr_t)tree ^ (uint64_t)clock();
	}
	tree->buckets = calloc(FL_INITIAL_BUCKETS, sizeof(*tree->buckets));
	if (!tree->buckets)
		return -1;
	tree->nbuckets = FL_INITIAL_BUCKETS;
	tree->root = fl_arena_alloc(&tree->arena, sizeof(*tree->root));
	if (!tree->root)
		return -1;
	tree->root->name = "";
	tree->root->hash = fl_hash(tree->key, "", 0);
	tree->root->kind = FL_NODE_DIR;
	tree->root->layer = INT_MAX;
	tree->root->meta_layer = FL_NO_LAYER;
	tree->root->seal_layer = FL_NO_LAYER;
	tree->root->seal_children_layer = FL_NO_LAYER;
	tree->root->mode = 0755;
	return 0;
}

void fl_tree_free(struct fl_tree *tree)
{
	for (struct fl_inode *ino = tree->files; ino; ino = ino->next)
		sqfs_free(ino->sq);
	free(tree->buckets);
	fl_arena_free(&tree->arena);
	memset(tree, 0, sizeof(*tree));
}

struct fl_inode *fl_inode_new(struct fl_tree *tree, enum fl_inode_type type)
{
	struct fl_inode *ino = fl_arena_alloc(&tree->arena, sizeof(*ino));

	if (ino)
		ino->type = (uint8_t)type;
	return ino;
}

void fl_tree_track_file(struct fl_tree *tree, struct fl_inode *ino)
{
	ino->next = tree->files;
	tree->files = ino;
}

/* ------------------------------------------------------------ layer rules */

enum fl_result fl_tree_walk(struct fl_tree *tree, const char *path, size_t len, int layer,
			    bool make_present, struct fl_node **dir, size_t *bad_len)
{
	struct fl_node *node = tree->root;
	size_t pos = 0;

	if (node->seal_children_layer > layer)
		return FL_SHADOWED;
	while (pos < len) {
		const char *slash = memchr(path + pos, '/', len - pos);
		size_t end = slash ? (size_t)(slash - path) : len;
		struct fl_node *child = lookup(tree, node, path + pos, end - pos);

		if (!child) {
			child = insert(tree, node, path + pos, end - pos);
			if (!child)
				return FL_NOMEM;
			if (make_present)
				become(tree, child, layer, true);
		} else if (child->seal_layer > layer) {
			return FL_SHADOWED;
		} else if (child->kind == FL_NODE_NONE) {
			if (make_present)
				become(tree, child, layer, true);
		} else if (child->kind == FL_NODE_OTHER) {
			if (child->layer > layer || !make_present)
				return FL_SHADOWED;
			*bad_len = end;
			return FL_NOT_DIR;
		}
		if (child->seal_children_layer > layer)
			return FL_SHADOWED;
		node = child;
		pos = end + 1;
	}
	*dir = node;
	return FL_KEPT;
}

enum fl_result fl_tree_claim(struct fl_tree *tree, struct fl_node *dir, const char *name,
			     size_t name_len, int layer, bool is_dir, struct fl_node **out)
{
	struct fl_node *node = lookup(tree, dir, name, name_len);

	if (!node) {
		node = insert(tree, dir, name, name_len);
		if (!node)
			return FL_NOMEM;
	} else if (node->seal_layer > layer) {
		return FL_SHADOWED;
	} else if (node->kind != FL_NODE_NONE && node->layer > layer) {
		if (is_dir && node->kind == FL_NODE_DIR) {
			*out = node;  /* directories merge */
			return FL_KEPT;
		}
		/* this non-directory replaced whatever the layers below had */
		if (!is_dir)
			node->seal_layer = layer;
		return FL_SHADOWED;
	} else if (is_dir && node->kind == FL_NODE_DIR) {
		*out = node;
		return FL_KEPT;
	}
	become(tree, node, layer, is_dir);
	*out = node;
	return FL_KEPT;
}

void fl_dir_set_meta(struct fl_node *dir, int layer, uint16_t mode, uint32_t mtime)
{
	if (dir->meta_layer > layer)
		return;  /* a higher layer's entry for this directory wins */
	dir->meta_layer = layer;
	dir->mode = mode;
	dir->mtime = mtime;
}

enum fl_result fl_tree_whiteout(struct fl_tree *tree, struct fl_node *dir, const char *name,
				size_t name_len, int layer)
{
	struct fl_node *node = lookup(tree, dir, name, name_len);

	if (!node) {
		node = insert(tree, dir, name, name_len);
		if (!node)
			return FL_NOMEM;
	} else if (node->seal_layer > layer) {
		return FL_SHADOWED;
	}
	/* a present node (higher or same layer) stays: whiteouts act below */
	node->seal_layer = layer;
	return FL_KEPT;
}

void fl_tree_hide(struct fl_tree *tree, struct fl_node *node, int layer)
{
	drop_children(tree, node);
	node->kind = FL_NODE_NONE;
	node->layer = FL_NO_LAYER;
	node->ino = NULL;
	if (node->seal_layer < layer)
		node->seal_layer = layer;
}

struct fl_node *fl_tree_find(struct fl_tree *tree, const char *path, size_t len)
{
	struct fl_node *node = tree->root;
	size_t pos = 0;

	while (node && pos < len) {
		const char *slash = memchr(path + pos, '/', len - pos);
		size_t end = slash ? (size_t)(slash - path) : len;

		node = lookup(tree, node, path + pos, end - pos);
		pos = end + 1;
	}
	return node;
}

/* ------------------------------------------------------------ names */

const char *fl_path_normalize(const char *raw, char *out, size_t out_size)
{
	const char *p = raw;
	size_t o = 0;

	if (strnlen(raw, FLATTEN_PATH_MAX + 1) > FLATTEN_PATH_MAX)
		return "path too long";
	while (*p) {
		const char *end;
		size_t n;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		end = strchrnul(p, '/');
		n = (size_t)(end - p);
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return "path escapes the image root";
		if (!(n == 1 && p[0] == '.')) {
			if (n > FLATTEN_NAME_MAX)
				return "name too long";
			if (o + 1 + n >= out_size)
				return "path too long";
			if (o)
				out[o++] = '/';
			memcpy(out + o, p, n);
			o += n;
		}
		p = end;
	}
	out[o] = '\0';
	return NULL;
}

const char *fl_quote(char *buf, size_t size, const char *text)
{
	size_t len = strlen(text);

	if (len < size) {
		memcpy(buf, text, len + 1);
	} else {
		memcpy(buf, text, size - 4);
		memcpy(buf + size - 4, "...", 4);
	}
	berth_error_sanitize(buf);
	return buf;
}
