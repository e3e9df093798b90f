/*
 * flatten.h - OCI image layers -> one squashfs image.
 *
 * flatten_layers() applies the layer tarballs of one image (bottom first) with
 * the OCI whiteout rules and writes the result as a single squashfs file with
 * libsquashfs, without unpacking anything to disk.  Layers are read top-down:
 * an entry hidden by a higher layer is skipped before its data is read, and
 * kept file data is streamed straight into the compressing block processor.
 * Memory use is bounded by the image's metadata, not by its file data.
 *
 * Layer content is untrusted.  The rules applied to every entry:
 *   - names: a leading "/" and "./" components are removed, "" and "." parts
 *     ignored, so "/etc/x", "./etc/x" and "etc//x" all mean "etc/x"; a ".."
 *     component rejects the whole image ("path escapes the image root");
 *     a path over FLATTEN_PATH_MAX bytes or a component over
 *     FLATTEN_NAME_MAX bytes is rejected, and so is a name that uses a
 *     whiteout prefix (".wh.") for a directory on the way;
 *   - whiteouts: "dir/.wh.name" hides "dir/name" of lower layers,
 *     "dir/.wh..wh..opq" hides everything lower layers put in "dir" (entries
 *     of the same layer stay); whiteouts never appear in the image; other
 *     ".wh..wh." names (aufs metadata) are ignored;
 *   - a later layer's entry replaces a lower one; a non-directory also hides
 *     a lower directory's whole subtree, directories merge;
 *   - inside one layer the later of two entries for a path wins (the data
 *     of the earlier one may still take space in the image);
 *   - a missing parent directory is created with mode 0755 and mtime 0
 *     unless a lower layer provides it; an entry under a non-directory of the
 *     same layer is rejected ("parent ... is not a directory");
 *   - owner and group of everything are root (0/0); setuid and setgid bits
 *     are removed (sticky kept); all xattrs (security.capability included)
 *     and ACLs are dropped; mtimes are kept (clamped to 0..2^32-1);
 *   - character/block devices and sockets are skipped (counted); they still
 *     hide the same path of lower layers, as the device would have; FIFOs
 *     and symlinks are kept; symlink targets are stored as they are and never
 *     resolved here (they are resolved inside the container);
 *   - hard links (tar link entries) become real squashfs hard links sharing
 *     one inode with the right link count.  The target must be an earlier
 *     non-directory entry of the same layer; if that entry was itself hidden
 *     by a higher layer, the layer is read a second time to fetch its data,
 *     so the link keeps the content it had.  A target that is missing (or a
 *     directory) rejects the image.
 * The superblock time is the newest mtime in the image, so the same layers
 * and options always give a byte-identical file.
 */
#ifndef BERTH_FLATTEN_H_
#define BERTH_FLATTEN_H_

#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

#define FLATTEN_PATH_MAX 4096     /* bytes of a normalized entry path */
#define FLATTEN_NAME_MAX 255      /* bytes of one path component */
#define FLATTEN_LAYERS_MAX 1000
#define FLATTEN_FILE_MAX (UINT64_C(1) << 40)  /* 1 TiB, sparse tar included */
/* zstd's level when none is asked for.  Not zstd's own default (15): on a
 * real 690 MB Debian image level 15 costs ~85 s of CPU against ~4 s for
 * level 1, for a file 17% smaller; level 1 keeps a conversion as fast as
 * inflating and hashing the layers (doc/berth-gateway.conf.5 has the table). */
#define FLATTEN_ZSTD_LEVEL 1

struct flatten_options {
	const char *compressor;  /* "zstd" (NULL = default), "gzip", "xz", "lz4", "lzo" */
	int level;               /* 0 = default: zstd FLATTEN_ZSTD_LEVEL, the
				    others their library's; zstd 1-22, gzip 1-9,
				    xz 1-9, lzo 1-9, lz4 takes none */
	size_t block_size;       /* 0 = 128 KiB; power of two, 4 KiB - 1 MiB */
	unsigned workers;        /* compression threads, 0 = CPUs we may run on */
	/* NULL: not checked.  Else one "sha256:<hex>" per layer (the image
	 * config's rootfs.diff_ids): the sha256 of layer i's uncompressed tar
	 * stream must equal diff_ids[i] (hashed while it is inflated anyway),
	 * or the image is rejected ("layer 2: uncompressed digest ... does not
	 * match rootfs.diff_ids[1] ..."). */
	const char *const *diff_ids;
};

struct flatten_stats {
	uint64_t files;              /* regular-file inodes in the image */
	uint64_t dirs;               /* directories, root included */
	uint64_t symlinks;
	uint64_t hardlinks;          /* extra names of an inode (nlink - 1, summed) */
	uint64_t bytes_in;           /* uncompressed size of the image's files */
	uint64_t bytes_out;          /* size of the image file */
	uint64_t skipped_devices;    /* device and socket entries left out */
	uint64_t stripped_setuid;    /* entries that lost setuid/setgid bits */
	uint64_t dropped_xattrs;     /* xattrs of the entries that were used */
	uint64_t whiteouts_applied;  /* whiteout entries not hidden themselves */
};

/*
 * Flatten layers[0..nlayers-1] (layers[0] is the bottom layer; each a path to
 * a layer blob: tar, tar+gzip or tar+zstd, recognized by content) into a new
 * squashfs file at out_path.
 *
 * out_path must not exist (it is created with O_EXCL, mode 0644); the caller
 * passes a temporary name and renames it into place.  On success the file is
 * complete and fsync()ed (the caller fsyncs the directory after renaming).
 * On failure nothing is left at out_path.  opts may be NULL (defaults) and
 * stats may be NULL.  Layers are numbered from 1 (bottom) in messages, e.g.
 *   layer 2: entry "../etc/x": path escapes the image root
 * Thread-safe: no global state.  While it runs it uses opts->workers
 * compression threads and one decompression thread (signals blocked in both);
 * memory stays at a few tens of MiB plus ~200 bytes per path of the image.
 */
int flatten_layers(const char *const *layers, size_t nlayers, const char *out_path,
		   const struct flatten_options *opts, struct flatten_stats *stats,
		   struct berth_error *err);

/*
 * Layers that may still be arriving (downloads in progress): the flattener
 * asks for each one when it needs it, top layer first, and reads its file
 * while it grows, so a layer is flattened while the ones below it download.
 * The flattener never decides that a layer is genuine: whoever publishes
 * the image waits for every download's own verification first.
 */
struct flatten_source {
	void *arg;
	/* A descriptor open for reading on layer i's file (0 = bottom; the
	 * flattener closes it), blocking until the file exists (it may be
	 * empty still); -1 with err set if it never will. */
	int (*open_layer)(void *arg, size_t layer, struct berth_error *err);
	/* Reading layer i found the end of its file at `have` bytes: 1 once the
	 * file holds more, 0 if it is complete at `have`, -1 with err set if
	 * it never will be (the download failed).  NULL: files are complete. */
	int (*wait_more)(void *arg, size_t layer, uint64_t have, struct berth_error *err);
};

/* A source over complete files paths[0..] (which must outlive it). */
void flatten_source_files(const char *const *paths, struct flatten_source *src);

/* flatten_layers() with the layers from src (see above). */
int flatten_layers_from(const struct flatten_source *src, size_t nlayers, const char *out_path,
			const struct flatten_options *opts, struct flatten_stats *stats,
			struct berth_error *err);

#endif
