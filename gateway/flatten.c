/*
 * flatten.c - flatten_layers(): options, the output file, the libsquashfs
 * objects, and the top-down loop over the layers (see flatten.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth_log.h"
#include "flatten_internal.h"

#define FL_WORKERS_MAX 64
#define FL_BACKLOG_PER_WORKER 8

struct fl_settings {
	sqfs_compressor_config_t cfg;
	size_t block_size;
	unsigned workers;
	const char *const *diff_ids;
};

static const struct {
	const char *name;
	SQFS_COMPRESSOR id;
	int min_level;
	int max_level;  /* 0: no level */
} compressors[] = {
	{ "zstd", SQFS_COMP_ZSTD, 1, 22 },
	{ "gzip", SQFS_COMP_GZIP, 1, 9 },
	{ "xz", SQFS_COMP_XZ, 1, 9 },
	{ "lz4", SQFS_COMP_LZ4, 0, 0 },
	{ "lzo", SQFS_COMP_LZO, 1, 9 },
};

/* ------------------------------------------------------------ output file */

static int out_read_at(sqfs_file_t *file, sqfs_u64 offset, void *buffer, size_t size)
{
	struct fl_out *out = (struct fl_out *)file;
	unsigned char *p = buffer;

	if (offset + size > __atomic_load_n(&out->size, __ATOMIC_ACQUIRE))
		return SQFS_ERROR_OUT_OF_BOUNDS;
	while (size > 0) {
		ssize_t n = pread(out->fd, p, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			__atomic_store_n(&out->error, n < 0 ? errno : EIO, __ATOMIC_RELAXED);
			return SQFS_ERROR_IO;
		}
		p += n;
		offset += (sqfs_u64)n;
		size -= (size_t)n;
	}
	return 0;
}

static int out_write_at(sqfs_file_t *file, sqfs_u64 offset, const void *buffer, size_t size)
{
	struct fl_out *out = (struct fl_out *)file;
	const unsigned char *p = buffer;
	sqfs_u64 end = offset + size, cur;

	while (size > 0) {
		ssize_t n = pwrite(out->fd, p, size, (off_t)offset);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			__atomic_store_n(&out->error, n < 0 ? errno : EIO, __ATOMIC_RELAXED);
			return SQFS_ERROR_IO;
		}
		p += n;
		offset += (sqfs_u64)n;
		size -= (size_t)n;
	}
	cur = __atomic_load_n(&out->size, __ATOMIC_ACQUIRE);
	while (end > cur && !__atomic_compare_exchange_n(&out->size, &cur, end, false,
							 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
		;
	return 0;
}

static sqfs_u64 out_get_size(const sqfs_file_t *file)
{
	const struct fl_out *out = (const struct fl_out *)file;

	return __atomic_load_n(&out->size, __ATOMIC_ACQUIRE);
}

static int out_truncate(sqfs_file_t *file, sqfs_u64 size)
{
	struct fl_out *out = (struct fl_out *)file;

	if (ftruncate(out->fd, (off_t)size) < 0) {
		__atomic_store_n(&out->error, errno, __ATOMIC_RELAXED);
		return SQFS_ERROR_IO;
	}
	__atomic_store_n(&out->size, size, __ATOMIC_RELEASE);
	return 0;
}

/* The fl_out is part of the context and freed with it. */
static void out_destroy(sqfs_object_t *obj)
{
	(void)obj;
}

static void out_init(struct fl_out *out, int fd)
{
	memset(out, 0, sizeof(*out));
	out->base.base.destroy = out_destroy;
	out->base.base.copy = NULL;  /* writable files are never copied */
	out->base.read_at = out_read_at;
	out->base.write_at = out_write_at;
	out->base.get_size = out_get_size;
	out->base.truncate = out_truncate;
	out->fd = fd;
}

int fl_sqfs_error(struct fl_ctx *ctx, int code, struct berth_error *err, const char *what)
{
	int saved = __atomic_load_n(&ctx->out.error, __ATOMIC_RELAXED);

	if (saved)
		return berth_error_errno(err, saved, "%s", what);
	switch (code) {
	case SQFS_ERROR_ALLOC:
		return berth_error_set(err, ENOMEM, "%s: out of memory", what);
	case SQFS_ERROR_IO:
		return berth_error_set(err, EIO, "%s: i/o error", what);
	case SQFS_ERROR_COMPRESSOR:
		return berth_error_set(err, EIO, "%s: compressor failed", what);
	case SQFS_ERROR_OVERFLOW:
		return berth_error_set(err, EFBIG, "%s: too large for squashfs", what);
	default:
		return berth_error_set(err, EIO, "%s: libsquashfs error %d", what, code);
	}
}

/* ------------------------------------------------------------ options */

static unsigned default_workers(void)
{
	cpu_set_t set;
	long n;

	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

static int resolve_options(const struct flatten_options *opts, struct fl_settings *set,
			   struct berth_error *err)
{
	const char *name = opts && opts->compressor ? opts->compressor : "zstd";
	int level = opts ? opts->level : 0;
	size_t i;

	for (i = 0; i < sizeof(compressors) / sizeof(compressors[0]); i++)
		if (strcmp(name, compressors[i].name) == 0)
			break;
	if (i == sizeof(compressors) / sizeof(compressors[0]))
		return berth_error_set(err, EINVAL,
				       "compressor \"%.32s\" is not one of zstd, gzip, xz, lz4, lzo",
				       name);
	if (level != 0 && compressors[i].max_level == 0)
		return berth_error_set(err, EINVAL, "compressor \"%s\" takes no level", name);
	if (level != 0 && (level < compressors[i].min_level || level > compressors[i].max_level))
		return berth_error_set(err, EINVAL, "compressor \"%s\": level %d is not in %d-%d",
				       name, level, compressors[i].min_level,
				       compressors[i].max_level);
	set->block_size = opts && opts->block_size ? opts->block_size : SQFS_DEFAULT_BLOCK_SIZE;
	if (set->block_size < SQFS_MIN_BLOCK_SIZE || set->block_size > SQFS_MAX_BLOCK_SIZE ||
	    (set->block_size & (set->block_size - 1)))
		return berth_error_set(err, EINVAL,
				       "block size %zu is not a power of two in %d-%d",
				       set->block_size, SQFS_MIN_BLOCK_SIZE, SQFS_MAX_BLOCK_SIZE);
	set->workers = opts && opts->workers ? opts->workers : default_workers();
	set->diff_ids = opts ? opts->diff_ids : NULL;
	if (set->workers > FL_WORKERS_MAX)
		set->workers = FL_WORKERS_MAX;
	if (sqfs_compressor_config_init(&set->cfg, compressors[i].id, set->block_size, 0))
		return berth_error_set(err, EINVAL, "compressor \"%s\": bad settings", name);
	if (level == 0 && compressors[i].id == SQFS_COMP_ZSTD)
		level = FLATTEN_ZSTD_LEVEL;
	if (level)
		set->cfg.level = (sqfs_u32)level;
	return 0;
}

/* ------------------------------------------------------------ setup */

static int create_compressors(struct fl_ctx *ctx, const struct fl_settings *set,
			      struct berth_error *err)
{
	sqfs_compressor_config_t cfg = set->cfg;
	const char *name = sqfs_compressor_name_from_id(set->cfg.id);
	int rc = sqfs_compressor_create(&set->cfg, &ctx->cmp);

	if (rc == SQFS_ERROR_UNSUPPORTED)
		return berth_error_set(err, ENOTSUP, "compressor \"%s\" is not built into libsquashfs",
				       name);
	if (rc)
		return fl_sqfs_error(ctx, rc, err, "creating compressor");
	/* fragment deduplication reads candidate blocks back to compare them */
	cfg.flags |= SQFS_COMP_FLAG_UNCOMPRESS;
	rc = sqfs_compressor_create(&cfg, &ctx->uncmp);
	return rc ? fl_sqfs_error(ctx, rc, err, "creating decompressor") : 0;
}

static int setup(struct fl_ctx *ctx, const struct fl_settings *set, struct berth_error *err)
{
	sqfs_block_processor_desc_t desc;
	sqfs_file_t *file = &ctx->out.base;
	int rc;

	if (create_compressors(ctx, set, err) < 0)
		return -1;
	rc = sqfs_super_init(&ctx->super, set->block_size, 0, (SQFS_COMPRESSOR)set->cfg.id);
	if (!rc)
		rc = sqfs_super_write(&ctx->super, file);  /* rewritten at the end */
	if (rc)
		return fl_sqfs_error(ctx, rc, err, "writing superblock");
	rc = ctx->cmp->write_options(ctx->cmp, file);
	if (rc < 0)
		return fl_sqfs_error(ctx, rc, err, "writing compressor options");
	if (rc > 0)
		ctx->super.flags |= SQFS_FLAG_COMPRESSOR_OPTIONS;
	ctx->block_writer = sqfs_block_writer_create(file, SQFS_DEVBLK_SIZE, 0);
	ctx->frag_table = sqfs_frag_table_create(0);
	ctx->id_table = sqfs_id_table_create(0);
	if (!ctx->block_writer || !ctx->frag_table || !ctx->id_table)
		return berth_error_set(err, ENOMEM, "creating image writer: out of memory");
	memset(&desc, 0, sizeof(desc));
	desc.size = sizeof(desc);
	desc.max_block_size = (sqfs_u32)set->block_size;
	desc.num_workers = set->workers;
	desc.max_backlog = FL_BACKLOG_PER_WORKER * set->workers;
	desc.cmp = ctx->cmp;
	desc.wr = ctx->block_writer;
	desc.tbl = ctx->frag_table;
	desc.file = file;
	desc.uncmp = ctx->uncmp;
	rc = sqfs_block_processor_create_ex(&desc, &ctx->proc);
	return rc ? fl_sqfs_error(ctx, rc, err, "creating block processor") : 0;
}

/* The block processor goes first: it still points into the tree's inodes. */
static void teardown(struct fl_ctx *ctx, bool failed)
{
	/* libsquashfs 1.2 leaks an open fragment block on destroy: flush it
	 * (into the file about to be removed); errors no longer matter */
	if (failed && ctx->proc) {
		sqfs_block_processor_end_file(ctx->proc);
		sqfs_block_processor_finish(ctx->proc);
	}
	sqfs_destroy(ctx->proc);
	fl_tree_free(&ctx->tree);
	sqfs_destroy(ctx->block_writer);
	sqfs_destroy(ctx->frag_table);
	sqfs_destroy(ctx->id_table);
	sqfs_destroy(ctx->uncmp);
	sqfs_destroy(ctx->cmp);
	if (ctx->out.fd >= 0)
		close(ctx->out.fd);
	free(ctx);
}

static int check_args(size_t nlayers, const char *out_path, struct berth_error *err)
{
	if (!out_path || !*out_path)
		return berth_error_set(err, EINVAL, "no output path");
	if (nlayers == 0)
		return berth_error_set(err, EINVAL, "no layers to flatten");
	if (nlayers > FLATTEN_LAYERS_MAX)
		return berth_error_set(err, EINVAL, "too many layers (%zu, at most %d)", nlayers,
				       FLATTEN_LAYERS_MAX);
	return 0;
}

static int flatten(struct fl_ctx *ctx, const struct flatten_source *src, size_t nlayers,
		   const struct fl_settings *set, struct berth_error *err)
{
	char name[200];

	if (setup(ctx, set, err) < 0)
		return -1;
	/* top-down: what a higher layer decided is never read from a lower one */
	for (size_t i = nlayers; i-- > 0;)
		if (fl_read_layer(ctx, src, i, set->diff_ids ? set->diff_ids[i] : NULL, err) < 0)
			return -1;
	if (fl_write_image(ctx, err) < 0)
		return -1;
	if (fsync(ctx->out.fd) < 0)
		return berth_error_errno(err, errno, "fsync \"%s\"",
					 fl_quote(name, sizeof(name), ctx->out_path));
	if (close(ctx->out.fd) < 0) {
		ctx->out.fd = -1;
		return berth_error_errno(err, errno, "close \"%s\"",
					 fl_quote(name, sizeof(name), ctx->out_path));
	}
	ctx->out.fd = -1;
	return 0;
}

int flatten_layers_from(const struct flatten_source *src, size_t nlayers, const char *out_path,
			const struct flatten_options *opts, struct flatten_stats *stats,
			struct berth_error *err)
{
	struct fl_settings set;
	struct fl_ctx *ctx;
	char name[200];
	int fd, rc;

	if (check_args(nlayers, out_path, err) < 0 || resolve_options(opts, &set, err) < 0)
		return -1;
	if (!src || !src->open_layer)
		return berth_error_set(err, EINVAL, "no layer source");
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return berth_error_set(err, ENOMEM, "flatten: out of memory");
	if (fl_tree_init(&ctx->tree) < 0) {
		ctx->out.fd = -1;
		teardown(ctx, true);
		return berth_error_set(err, ENOMEM, "flatten: out of memory");
	}
	fd = open(out_path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = errno;
		ctx->out.fd = -1;
		teardown(ctx, true);
		return berth_error_errno(err, rc, "creating \"%s\"",
					 fl_quote(name, sizeof(name), out_path));
	}
	out_init(&ctx->out, fd);
	ctx->out_path = out_path;
	rc = flatten(ctx, src, nlayers, &set, err);
	if (rc == 0 && stats)
		*stats = ctx->stats;
	if (rc == 0)
		berth_debug("flatten: %zu layers -> \"%s\": %llu files, %llu dirs, %llu bytes",
			    nlayers, out_path, (unsigned long long)ctx->stats.files,
			    (unsigned long long)ctx->stats.dirs,
			    (unsigned long long)ctx->stats.bytes_out);
	teardown(ctx, rc < 0);
	if (rc < 0)
		unlink(out_path);
	return rc;
}

/* Layers that are complete files. */
static int open_path(void *arg, size_t layer, struct berth_error *err)
{
	const char *const *paths = arg;
	char name[200];
	int fd = open(paths[layer], O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return berth_error_errno(err, errno, "\"%s\"", fl_quote(name, sizeof(name), paths[layer]));
	return fd;
}

void flatten_source_files(const char *const *paths, struct flatten_source *src)
{
	*src = (struct flatten_source){ (void *)paths, open_path, NULL };
}

int flatten_layers(const char *const *layers, size_t nlayers, const char *out_path,
		   const struct flatten_options *opts, struct flatten_stats *stats,
		   struct berth_error *err)
{
	struct flatten_source src;

	if (check_args(nlayers, out_path, err) < 0)
		return -1;
	if (!layers)
		return berth_error_set(err, EINVAL, "no layers to flatten");
	for (size_t i = 0; i < nlayers; i++)
		if (!layers[i])
			return berth_error_set(err, EINVAL, "layer %zu: no path", i + 1);
	flatten_source_files(layers, &src);
	return flatten_layers_from(&src, nlayers, out_path, opts, stats, err);
}
