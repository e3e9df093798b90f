/*
 * safe_path.h - open paths without being fooled by their contents.
 *
 * Two threats, two helpers:
 *
 *  - A user's path (a --volume source) is opened AS THE USER, in a child
 *    process (berth_run_fn), so the open itself proves the user may read it:
 *    a user cannot mount what they cannot read.  The fd comes back to the
 *    caller (root) and serves as the source of a bind mount.
 *
 *  - A path inside a container tree (a mount destination) is resolved with
 *    the tree as root: image content is untrusted, so a symlink "/data ->
 *    /etc" in the image leads to <tree>/etc, never to the host's /etc, and
 *    ".." stops at the tree root.  openat2(RESOLVE_IN_ROOT |
 *    RESOLVE_NO_MAGICLINKS) where the kernel has it (5.6+), else a
 *    component-by-component walk with O_NOFOLLOW that resolves symlinks
 *    itself, bounded to the tree.
 *
 * Both are meant for root inside slurmstepd (multi-threaded): no fork except
 * through berth_run_fn, messages through struct berth_error.
 */
#ifndef BERTH_SAFE_PATH_H_
#define BERTH_SAFE_PATH_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

/* How long the child opening a user's path may take (a hung NFS server). */
#define BERTH_OPEN_AS_USER_TIMEOUT_MS 20000

/* Open path as uid/gid/groups with O_RDONLY | O_CLOEXEC and return the fd
 * in *fd_out.  path must be absolute; it is resolved with the user's rights
 * (symlinks included) and must name a directory or a regular file, which
 * the user must be able to read.  flags_hint: 0, or O_DIRECTORY to require
 * a directory.
 *
 * The kernel refuses to bind-mount a mount of another mount namespace
 * (EINVAL): call this in the namespace where the fd will be used as a bind
 * source, i.e. after unshare(CLONE_NEWNS).
 *
 * How the fd comes back: the child fetches its end of a socketpair with
 * pidfd_getfd() (5.6+; root, before it drops privileges) and sends the fd
 * over it with SCM_RIGHTS.  Without pidfd_getfd the child reports the
 * device and inode it opened, and the parent opens the path itself with
 * O_PATH and keeps it only if it is the same inode (then reopens it through
 * /proc/self/fd); on that path a recursive bind may show a different set
 * of submounts if the user races a symlink between two mounts of the same
 * filesystem.
 *
 * Messages: `volume source "/x": Permission denied`,
 * `volume source "/x": not a directory or regular file`, ... */
int berth_open_as_user(const char *path, uid_t uid, gid_t gid, const gid_t *groups,
		       size_t ngroups, int flags_hint, int *fd_out, struct berth_error *err);

/* Resolve path inside the tree rooted at root_fd and open it with flags
 * (O_CLOEXEC is added; O_PATH, O_DIRECTORY, O_CREAT, O_NOFOLLOW, ... are
 * honoured; mode_for_create applies with O_CREAT).  Absolute symlinks and
 * ".." are taken relative to root_fd; magic links (/proc/<pid>/fd/...) are
 * refused.  Mounts inside the tree are crossed.
 *
 * With create_dirs, missing directories on the way are created (mode 0755,
 * owned by the caller): this works where the tree is writable (a tmpfs) and
 * fails with EROFS inside a read-only image.  A dangling symlink is not
 * created through.
 *
 * Messages name the path: `"/data/sub": cannot create directory "/data/sub":
 * Read-only file system`, `"/x/y": No such file or directory`. */
int berth_open_in_root(int root_fd, const char *path, int flags, mode_t mode_for_create,
		       bool create_dirs, int *fd_out, struct berth_error *err);

/* A mount point at path inside the tree rooted at root_fd, made where
 * missing (directories 0755; with dir false the last component a regular
 * file 0644) -- but only inside directories whose filesystem (st_dev) is
 * one of devs[n_devs]: the tree's own tmpfs layers.  Root never creates
 * anything on a host filesystem (a site mount such as /home, a user's
 * volume, the job's /tmp) for a user.  Each directory and the file are made
 * with mkdirat/openat in the fd of the directory just checked, so a symlink
 * changed meanwhile cannot send the creation elsewhere.  *fd_out: O_PATH
 * (directory) or O_RDONLY (file).
 *
 * Messages: `cannot create "/home/bob/x" on a host filesystem` (EPERM);
 * `cannot create directory "/usr/x": Read-only file system` (EROFS, on a
 * read-only mount: callers may split the directory and try again). */
int berth_make_in_root(int root_fd, const char *path, bool dir, const dev_t *devs, size_t n_devs,
		       int *fd_out, struct berth_error *err);

/* Lexical normalisation of an absolute path into buf: repeated '/', "."
 * and trailing '/' removed, ".." removes the previous component (and stops
 * at "/").  EINVAL for a relative path, ENAMETOOLONG if it does not fit. */
int berth_path_normalize(const char *path, char *buf, size_t size, struct berth_error *err);

/* true if normalised path equals dir or lies below it ("/etc" is under
 * "/etc", "/etcx" is not; everything is under "/"). */
bool berth_path_is_under(const char *path, const char *dir);

/* A path for a message: at most size-1 bytes (cut with "..."), control
 * characters and bytes >= 0x80 as '?'.  Returns buf. */
const char *berth_path_shown(const char *path, char *buf, size_t size);

#define BERTH_PATH_SHOWN_SIZE 200

/* Test switches: force the fallback code paths that run on older kernels.
 * Process-wide; only unit tests call this. */
enum berth_safe_path_fallback {
	BERTH_FALLBACK_OPENAT2 = 1u << 0,    /* component walk instead of openat2 */
	BERTH_FALLBACK_MOUNT_API = 1u << 1,  /* mount(2) via /proc/self/fd instead of open_tree */
	BERTH_FALLBACK_PIDFD = 1u << 2,      /* inode check instead of SCM_RIGHTS */
};
void berth_safe_path_force_fallback(unsigned mask);
unsigned berth_safe_path_fallbacks(void);

#endif
