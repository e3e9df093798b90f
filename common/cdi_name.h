/*
 * cdi_name.h - names of CDI (Container Device Interface) devices and the
 * choice of devices for a step: what every process may check (srun's
 * --device, berth.conf's cdi_gres and cdi_user_kinds) without reading a
 * spec.  The spec files themselves are read on the node (node/cdi_spec.h).
 *
 * A qualified device name is "vendor.com/class=name": vendor and class of
 * [A-Za-z0-9_.-] starting and ending alphanumeric, name of [A-Za-z0-9_.:-]
 * starting and ending alphanumeric (CDI's own rules).  "kind" is
 * "vendor.com/class".
 */
#ifndef BERTH_CDI_NAME_H_
#define BERTH_CDI_NAME_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_error.h"

#define BERTH_CDI_NAME_MAX    255   /* a qualified name */
#define BERTH_CDI_DEVICES_MAX 64    /* devices of one step */

/* 0 if kind is "vendor/class"; else -1 naming the bad part. */
int berth_cdi_kind_check(const char *kind, struct berth_error *err);
/* 0 if name is a valid device name (the part after '='). */
int berth_cdi_device_name_check(const char *name, struct berth_error *err);
/* Split "kind=name" (checked) into kind and name buffers of
 * BERTH_CDI_NAME_MAX + 1 bytes. */
int berth_cdi_qualified_split(const char *qualified, char *kind, char *name, struct berth_error *err);

/* A list of qualified names, in order, without duplicates. */
struct berth_cdi_names {
	char **items;
	size_t count;
};
#define BERTH_CDI_NAMES_INIT { NULL, 0 }

/* Append each comma-separated qualified name of text (checked; a name
 * already in the list is skipped).  On error the list is unchanged. */
int berth_cdi_names_add(struct berth_cdi_names *list, const char *text, struct berth_error *err);
/* Append kind=name (name checked). */
int berth_cdi_names_add_one(struct berth_cdi_names *list, const char *kind, const char *name,
			    struct berth_error *err);
bool berth_cdi_names_contains(const struct berth_cdi_names *list, const char *qualified);
void berth_cdi_names_free(struct berth_cdi_names *list);

/* berth.conf cdi_gres: "gpu=vendor.com/class" (empty: off).  Slurm names
 * a step's GPUs in its environment only for the GRES "gpu", so that is the
 * only GRES name accepted.  *kind points into a buffer of
 * BERTH_CDI_NAME_MAX + 1 bytes ("" when off). */
int berth_cdi_gres_parse(const char *value, char *kind, struct berth_error *err);

/* berth.conf cdi_user_kinds: comma list of kinds users may name with
 * --device (empty: none).  0 if every entry is a kind. */
int berth_cdi_user_kinds_check(const char *value, struct berth_error *err);
/* Every name of list is of a kind in user_kinds ("*": any kind). */
int berth_cdi_user_allowed(const char *user_kinds, const struct berth_cdi_names *list,
			   struct berth_error *err);

/* The GPUs Slurm gave a step of srun, from the step's environment
 * (NAME=value entries, up to NULL): SLURM_STEP_GPUS, set by slurmstepd (not
 * SLURM_JOB_GPUS: a step inherits the job's from the batch script, and a
 * step with --gres=gpu:0 has none of its own; the batch script itself
 * stays on the host): a comma list of GPU indexes of the node (gres.conf order, which is also the index
 * CDI specs use as device name, nvidia-ctk's default).  Each index i
 * becomes "kind=i".  No variable, or an empty one: no GPU (*count 0).
 * A value that is not a list of indexes is an error. */
int berth_cdi_gres_devices(char *const *env, const char *kind, struct berth_cdi_names *out,
			   struct berth_error *err);

#endif
