/*
 * image_access.h - who may run an image: <image_dir>/<digest>.access.
 *
 * The gateway's ACLs (records keyed by (ref, owner), see gateway/gw_store.c)
 * live in its database, which no node and no slurmctld may ask at job
 * start.  So the gateway writes, beside every image it publishes, the
 * image's audience: the union over the READY records with that digest.
 *
 *   public = no                 yes: some public record uses the digest
 *   uids   = ",2001,2003,"      owners and shared-with users (private only)
 *   gids   = ",3000,"           shared-with groups (private only)
 *   site   = no                 yes: the image was in image_dir, without
 *                               .access, before the gateway first published
 *                               that digest: the admin's, public for good
 *
 * Modes are the point: a public image's .sqfs, .json and .access are 0644;
 * a private image's are 0600, owned by the gateway's user, so users on
 * login hosts and nodes cannot read them while root on the nodes can.  So:
 *
 *   - slurmctld (SlurmUser) takes the image_dir shortcut for an id: or
 *     @sha256: reference only when it can read an .access that says public
 *     (or when there is none: an image the admin put there by hand, or one
 *     published before this file existed and not yet migrated by the
 *     gateway); otherwise it asks the gateway, which applies the ACL;
 *   - the node (job_prolog and a step's own container, root) checks the
 *     job's uid and groups against it, with no gateway call.
 *
 * Names stay listable (image_dir is a shared directory): a user can learn
 * that a digest exists, never its content or run it.
 */
#ifndef BERTH_IMAGE_ACCESS_H_
#define BERTH_IMAGE_ACCESS_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

#define BERTH_IMAGE_ACCESS_EXT "access"
#define BERTH_IMAGE_MODE_PUBLIC 0644
#define BERTH_IMAGE_MODE_PRIVATE 0600

struct berth_image_access {
	bool is_public;
	bool site;    /* the admin put the image there by hand: public for good */
	char *uids;   /* ",2001,2003," (or NULL) */
	char *gids;
};

/* <image_dir>/<digest>.access into buf. */
int berth_image_access_path(const char *image_dir, const char *digest, char *buf, size_t size,
			    struct berth_error *err);

/* 1 read, 0 no such file, -1 error (unreadable: EACCES for a private
 * image read by a user).  Free with berth_image_access_free. */
int berth_image_access_read(const char *path, struct berth_image_access *acc,
			    struct berth_error *err);

/* Atomically (path.tmp.XXXXXX, fsync, rename) with mode; uids and gids must be
 * lists of digits and commas. */
int berth_image_access_write(const char *path, const struct berth_image_access *acc, mode_t mode,
			     struct berth_error *err);

/* Whether a list of ids ("1001,1002", commas anywhere) holds id; a list
 * holding anything but digits and commas holds nothing.  The one parser of
 * such lists: the gateway's ACL columns use it too (gw_store.c). */
bool berth_id_list_contains(const char *list, unsigned long id);

/* May uid (primary gid, supplementary groups) run the image?  Public: yes;
 * root: yes; else uid in uids or a group in gids.  A list holding anything
 * but digits and commas allows nobody. */
bool berth_image_access_allows(const struct berth_image_access *acc, uid_t uid, gid_t gid,
			       const gid_t *groups, size_t ngroups);

/* May the caller take the image_dir shortcut for digest: no .access (an
 * admin's image), or one it can read that says public. */
bool berth_image_access_shortcut_ok(const char *image_dir, const char *digest);

void berth_image_access_free(struct berth_image_access *acc);

#endif
