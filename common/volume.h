/*
 * volume.h - parse user volume specs given with --volume.
 *
 *   SPEC   := VOLUME ( (';' | ',') VOLUME )*
 *   VOLUME := SRC ':' DST [ ':' FLAG ( '+' FLAG )* ]
 *   FLAG   := "ro" | "rw" | "rec"
 *
 * SRC and DST are absolute paths.  Both are normalised (repeated '/' and
 * trailing '/' removed, "." components dropped).  Rejected, each with a
 * message naming the bad part: an empty volume or part, a relative path, a
 * ".." component, a path longer than BERTH_VOLUME_PATH_MAX, a control
 * character in a path, DST "/", an unknown flag, a repeated flag, "ro" with
 * "rw", and a DST already used by an earlier volume in the same list (the
 * list may be filled from several --volume options).
 *
 * Without "ro" or "rw" a volume is read-write (subject to the user's own
 * permissions on SRC).  "rec" makes the bind mount recursive.
 *
 * BERTH_VOLUME_PATH_MAX applies to a path as given, before normalisation.
 * Bytes >= 0x80 are accepted in paths (but shown as '?' in messages).
 *
 * This parser only checks syntax; whether the user may read SRC and whether
 * DST is allowed in the container is decided on the node, as the user.
 */
#ifndef BERTH_VOLUME_H_
#define BERTH_VOLUME_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_error.h"

#define BERTH_VOLUME_PATH_MAX 1024
#define BERTH_VOLUME_SPEC_MAX 16384
#define BERTH_VOLUMES_MAX     64

enum berth_volume_flag {
	BERTH_VOLUME_RO = 1u << 0,
	BERTH_VOLUME_RW = 1u << 1,   /* given explicitly; absence of RO means writable */
	BERTH_VOLUME_REC = 1u << 2,
};

/* A new option of a volume is a new bit in flags, not a new member:
 * berth_volume_equal compares every bit, and test_volume.c fails when a
 * member appears that it does not know (unsigned long leaves no padding a
 * member could hide in). */
struct berth_volume {
	char *src;
	char *dst;
	unsigned long flags;    /* enum berth_volume_flag bits */
};

struct berth_volume_list {
	struct berth_volume *items;
	size_t count;
	size_t capacity;
};

#define BERTH_VOLUME_LIST_INIT { NULL, 0, 0 }

/* Parse spec and append its volumes to list.  On failure nothing is appended
 * (the list is as before).  More than BERTH_VOLUMES_MAX volumes in total is
 * an error. */
int berth_volume_parse(const char *spec, struct berth_volume_list *list,
		       struct berth_error *err);

/* Canonical spec of the whole list ("src:dst:ro;src2:dst2"), malloc'd into
 * *out; volumes without flags get none, flags are written as ro, rw, rec.
 * Parsing the result yields the same list.  An empty list gives "" (which
 * berth_volume_parse rejects: there is nothing to parse).  A hand-built
 * volume that could not be parsed back (':', ';' or ',' in a path, DST "/",
 * unknown flag bits, ro with rw) is an error. */
int berth_volume_list_format(const struct berth_volume_list *list, char **out,
			     struct berth_error *err);

/* Whether a and b mount the same thing the same way: same SRC, DST and
 * flags, where an explicit "rw" equals no flag (both are writable). */
bool berth_volume_equal(const struct berth_volume *a, const struct berth_volume *b);

void berth_volume_list_free(struct berth_volume_list *list);

#endif
