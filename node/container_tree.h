/*
 * container_tree.h - assemble a job's container tree on a compute node.
 *
 * berth_tree_build() MUST run inside a private mount namespace: the caller
 * (a single-threaded child of slurmstepd) does unshare(CLONE_NEWNS) and
 * makes "/" MS_REC|MS_PRIVATE first.  Everything it mounts then lives and
 * dies with that namespace; tasks later chroot (or pivot_root) into
 * spec->root.
 *
 * The tree, at spec->root (an existing, empty directory):
 *
 *   /            tmpfs (0755, root, nosuid, nodev, size-limited, read-only
 *                once built), holding the image's top-level entries as
 *                read-only bind mounts (symlinks copied), so that mount
 *                points can be created at the top.  With writable_overlay:
 *                an overlay (tmpfs upper, image lower) instead.  For --ccm
 *                (host_root): the host's top-level directories as
 *                recursive read-only binds.
 *   /etc         an overlay: the image's /etc below, a private tmpfs upper
 *                holding the generated passwd and group (the image's lines,
 *                minus any with the job user's name or id, plus the
 *                caller's lines) and copies of spec->etc_files (host
 *                files directly in /etc, with their host mode; they
 *                replace the image's file or symlink); then read-only.
 *                (With writable_overlay: written into the tree's own /etc.)
 *                Copy, not bind: nothing is mounted over image files, and
 *                the cost does not grow with the image's /etc.
 *   /proc        a fresh procfs (nosuid, nodev, noexec), or a recursive
 *                bind of the host's if the kernel refuses it
 *   /dev         tmpfs with null, zero, full, random, urandom, tty bound
 *                from the host, /dev/pts (new devpts instance, or the
 *                host's), /dev/shm (a tmpfs private to the job), and the
 *                fd, stdin, stdout, stderr, ptmx symlinks; then
 *                spec->devices (CDI device nodes) made with mknod in
 *                that tmpfs, never on a host filesystem
 *   /sys         recursive read-only bind of the host's
 *   /tmp         bind of spec->tmp_dir
 *   site mounts  spec->site_mounts (admin-trusted), recursive only with
 *                "rec"; a missing mount point is made even inside the
 *                read-only image: the directory in the way is "split",
 *                i.e. covered by a tmpfs holding read-only binds of its
 *                entries (recursive, so earlier mounts below it stay),
 *                and that tmpfs is made read-only at the end
 *   site MPI     with spec->mpi_libs (a module's mpi = mpich, after the site
 *                mounts, which bind that directory): the site's MPICH-ABI
 *                libraries bound read-only over the image's (node/mpi_inject.h),
 *                or the build fails with the reason
 *   host paths   spec->host_paths (the node's SlurmdSpoolDir and TmpFS: the
 *                directories of Slurm's MPI plugins), bound at the same path, read-write, non-recursive (a
 *                recursive bind would copy other jobs' namespace pins),
 *                mount points made like the site mounts'
 *   volumes      spec->volumes, last; see below
 *
 * The squashfs itself is loop-mounted at a hidden place (a staging tmpfs
 * mounted first on spec->root and then covered by the tree) and detached
 * once bound: the loop device goes away with the last mount.
 *
 * With --ccm the "image" is the host's /: passwd and group are then the
 * host's files plus the user's lines.
 *
 * User volumes: the sources must have been opened (berth_open_as_user) in
 * the namespace the tree is built in, i.e. after the unshare.  The
 * destination is normalised (".." resolved lexically) and checked against
 * spec->forbidden; then resolved INSIDE the tree (image symlinks included)
 * and its real path in the tree checked again, against the forbidden
 * destinations as written and as they resolve in the tree.  A missing
 * destination is created only on the tree's own layers (the tmpfs root,
 * the writable overlay, split directories), once its deepest existing
 * directory passed the same check; a read-only image directory in the way
 * is split like a site mount's (only a directory of the image itself, of at
 * most 1024 entries: root lists it, and each entry becomes a bind); any
 * host filesystem (a site mount, another volume, /tmp) is an error: root
 * never creates anything there for a user (berth_make_in_root).  The
 * same rule holds for the mount points of site mounts and host paths.  Always nosuid and nodev; read-only if
 * the volume is ro; recursive if rec.  The source's kind (directory or
 * file) must match the destination's.
 *
 * Nsfs mounts copied by recursive binds (other jobs' namespace pins) and,
 * with --ccm, the copy of spec->root itself are detached at the end: they
 * would otherwise keep those namespaces alive.
 *
 * On failure berth_tree_build detaches what it mounted (spec->root is left
 * an empty directory again) and reports one line naming the culprit.
 */
#ifndef BERTH_CONTAINER_TREE_H_
#define BERTH_CONTAINER_TREE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_error.h"
#include "volume.h"

#define BERTH_TREE_TMPFS_SIZE (16ULL << 20)      /* default root/staging tmpfs */
#define BERTH_TREE_OVERLAY_SIZE (1ULL << 30)     /* default writable upper */
#define BERTH_TREE_ETC_FILE_MAX (1U << 20)       /* a copied /etc file */
#define BERTH_TREE_ACCOUNTS_MAX (4U << 20)       /* the image's passwd or group */

/* A user volume whose source the caller opened with berth_open_as_user(). */
struct berth_tree_volume {
	int src_fd;
	const char *src;       /* as given by the user, for messages */
	const char *dst;       /* absolute path in the container */
	unsigned flags;        /* BERTH_VOLUME_RO / RW / REC */
};

/* A host path bound at the same path in the container.  fd >= 0: already
 * opened (e.g. with berth_open_as_user, for a path the user chose); -1:
 * opened here as root, so only for trusted paths (SlurmdSpoolDir). */
struct berth_tree_host_path {
	const char *path;
	int fd;
	bool read_only;
};

/* A device node made in the tree's own /dev tmpfs (CDI deviceNodes):
 * path is absolute and under /dev; parent directories are made 0755. */
struct berth_tree_device {
	char *path;
	mode_t type;           /* S_IFCHR, S_IFBLK or S_IFIFO */
	unsigned major, minor;
	mode_t mode;           /* permission bits */
	uid_t uid;
	gid_t gid;
};

struct berth_tree_spec {
	const char *root;                 /* existing empty directory */
	const char *image_sqfs;           /* <digest>.sqfs, or NULL with host_root */
	bool host_root;                   /* --ccm: the host's / instead of an image */
	bool writable_overlay;            /* tmpfs upper over the image */
	uint64_t tmpfs_size;              /* root and staging tmpfs; 0: default */
	uint64_t overlay_size;            /* writable upper; 0: default */
	uint64_t shm_size;                /* /dev/shm; 0: half of RAM */
	const char *tmp_dir;              /* the job's private /tmp (host dir) */
	const struct berth_volume *site_mounts;   /* from berth.conf site_fs */
	size_t n_site_mounts;
	const struct berth_tree_host_path *host_paths;
	size_t n_host_paths;
	const char *const *etc_files;     /* host files directly in /etc, copied */
	size_t n_etc_files;
	const char *etc_hosts_extra;      /* lines added to the copy of /etc/hosts, or NULL */
	const char *passwd_entry;         /* the job user's passwd line, no '\n' */
	const char *const *group_entries; /* the user's group lines */
	size_t n_group_entries;
	const struct berth_tree_volume *volumes;
	size_t n_volumes;
	const char *forbidden;            /* "/etc,/proc,/sys,/dev" */
	const struct berth_tree_device *devices;  /* made in /dev (admin-trusted) */
	size_t n_devices;
	const char *mpi_libs;             /* the site's MPI library directory, or NULL */
	const char *mpi_module;           /* the module that asks for it (messages) */
};

/* Microseconds per phase, for logs and benchmarks. */
struct berth_tree_stats {
	uint64_t root_us;      /* staging and root tmpfs */
	uint64_t image_us;     /* loop + squashfs + binds of the top level */
	uint64_t system_us;    /* /proc /dev /sys /tmp */
	uint64_t etc_us;       /* /etc overlay, passwd, group, site files */
	uint64_t site_us;      /* site mounts and host paths */
	uint64_t volumes_us;
	uint64_t finish_us;    /* scrub, read-only root */
	uint64_t total_us;
	unsigned mounts;       /* mount operations done */
};

/* Build the tree (see above).  stats may be NULL. */
int berth_tree_build(const struct berth_tree_spec *spec, struct berth_tree_stats *stats,
		     struct berth_error *err);

#endif
