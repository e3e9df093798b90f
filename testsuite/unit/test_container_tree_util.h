/*
 * test_container_tree_util.h - the test image, jobs, and running code in a
 * private mount namespace or inside a built tree, for test_container_tree.
 *
 * Failures below the test process (in the namespace child, or in a
 * grandchild chrooted into the tree) are written to a pipe with TT_CHECK
 * and end that process; tt_in_namespace() then fails the test with them.
 */
#ifndef BERTH_TEST_CONTAINER_TREE_UTIL_H_
#define BERTH_TEST_CONTAINER_TREE_UTIL_H_

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "container_tree.h"

#define NOBODY 65534

struct tt_env {
	char dir[64];          /* /var/tmp/berth-ct-XXXXXX */
	char image[128];       /* dir/img.sqfs */
	bool ready;
};
extern struct tt_env tt;

/* One job's directories: root (empty), tmp (the job's /tmp, owned by
 * nobody), and volume sources. */
struct tt_job {
	char dir[192];
	char root[256];
	char tmp[256];
	char vol_rw[256];      /* owned by nobody */
	char vol_ro[256];      /* root, 0755, holds "ro-file" */
	char secret[256];      /* root, 0700 */
	char site[256];        /* root, 0755, holds "site-file" */
};

/* Build the test image once (root only).  0, or -1 with a message on stderr. */
int tt_setup(void);
void tt_cleanup(void);

void tt_job_init(struct tt_job *job, const char *name);

/* Defaults: the image, tmp, forbidden "/etc,/proc,/sys,/dev", nobody's
 * passwd and group lines, /etc/hosts copied. */
void tt_spec_init(struct berth_tree_spec *spec, const struct tt_job *job);

/* In the namespace child or the tree grandchild: report and _exit(1). */
void tt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

#define TT_CHECK(cond)                                                         \
	do {                                                                   \
		if (!(cond))                                                   \
			tt_fail("%s:%d: %s", __FILE__, __LINE__, #cond);        \
	} while (0)
#define TT_CHECK_MSG(cond, ...)                                                \
	do {                                                                   \
		if (!(cond))                                                   \
			tt_fail(__VA_ARGS__);                                  \
	} while (0)

/* Run fn(arg) in a child that unshares its mount namespace (private); fail
 * the test with what it reported.  Then check nothing is left: no mount
 * under tt.dir in this namespace, no loop device on the test image. */
void tt_in_namespace(void (*fn)(void *arg), void *arg);

/* In the namespace child: build, failing with the message. */
void tt_build(const struct berth_tree_spec *spec, struct berth_tree_stats *stats);

/* Fork, chroot into root, become uid (65534: nobody/nogroup; 0: stay
 * root), run fn; TT_CHECK in fn reports.  Fails the caller if fn failed. */
void tt_in_tree(const char *root, uid_t uid, void (*fn)(void *arg), void *arg);

/* Run argv in the tree as uid; its stdout+stderr into out.  Exit status. */
int tt_tree_exec(const char *root, uid_t uid, const char *const *argv, char *out, size_t size);

/* errno of creating path for writing (0 if it worked). */
int tt_try_write(const char *path);
/* Whole content of a small file ("" on error). */
const char *tt_read(const char *path, char *buf, size_t size);
/* Source fd opened as nobody; fails the namespace child otherwise. */
int tt_open_as_nobody(const char *path);
/* true if path (in this namespace) is a mount point. */
bool tt_is_mount(const char *path);

#endif
