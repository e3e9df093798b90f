/*
 * argv_wire.h - a list of strings in one environment value, for the image
 * Entrypoint/Cmd that the SPANK plugin hands to the in-container
 * entrypoint program (node/entrypoint_exec.c, static: this file has no
 * dependency beyond libc).
 *
 * Format: each string as "<decimal length>:<bytes>,", concatenated; ""
 * is the empty list.  Any byte but NUL may appear in a string.
 */
#ifndef BERTH_ARGV_WIRE_H_
#define BERTH_ARGV_WIRE_H_

#include <stddef.h>

#define BERTH_ARGV_WIRE_MAX 1024   /* strings; as BERTH_IMAGE_META_ARGS_MAX */

/* A malloc'd encoding of list[0..count), or NULL (out of memory). */
char *berth_argv_encode(const char *const *list, size_t count);

/* Decode text into *out: one malloc'd block holding a NULL-terminated
 * array and its strings (free(*out) frees all).  -1 (errno EINVAL) on
 * anything malformed or over BERTH_ARGV_WIRE_MAX strings, ENOMEM. */
int berth_argv_decode(const char *text, char ***out, size_t *count);

#endif
