/*
 * entrypoint_file.h - the node-local file bound at /.berth/entrypoint in
 * every container (entrypoint_file.c).
 */
#ifndef BERTH_ENTRYPOINT_FILE_H_
#define BERTH_ENTRYPOINT_FILE_H_

#include <stddef.h>

#include "berth_error.h"

/* Make sure <state_dir>/entrypoint/<stamp> holds this runtime's program;
 * its path into out. */
int berth_entrypoint_file(const char *state_dir, char *out, size_t size, struct berth_error *err);

#endif
