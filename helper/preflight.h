/*
 * preflight.h - `berth check` (doc/berth.1): the pre-flight check of a login or
 * compute node.  Every check prints one line, "ok", "warn" or "FAIL", what
 * it looked at and, when it is not ok, what to change.  The checks only
 * read: nothing here changes the host.
 */
#ifndef BERTH_HELPER_PREFLIGHT_H_
#define BERTH_HELPER_PREFLIGHT_H_

#include <stdbool.h>
#include <stdio.h>

enum check_status { CHECK_OK, CHECK_WARN, CHECK_FAIL };

struct check_report {
	FILE *out;
	unsigned n_ok, n_warn, n_fail;
};

/* One line: "<status> <subject>: <message>". */
void check_line(struct check_report *r, enum check_status status, const char *subject,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- slurm.conf and plugstack.conf (preflight_slurm.c) ---- */

/* The settings of slurm.conf berth depends on (NULL: not set), the last
 * value of each key, Include files followed. */
struct check_slurm_conf {
	char *prolog_flags;
	char *job_container_type;
	char *namespace_type;
	char *job_submit_plugins;
	char *plugstack_config;
	char *slurmd_parameters;
};

/* Read path (and its Include files); -1 with *why (free it) when it
 * cannot be read. */
int check_slurm_conf_read(const char *path, struct check_slurm_conf *conf, char **why);
void check_slurm_conf_free(struct check_slurm_conf *conf);
/* The slurm.conf lines berth needs; container_conf is the node plugin's
 * line for the Slurm berth was built against ("JobContainerType=..."). */
void check_slurm_settings(struct check_report *r, const struct check_slurm_conf *conf,
			  const char *container_conf);
/* plugstack.conf (PlugStackConfig or beside slurm.conf) loads berth.so. */
void check_plugstack(struct check_report *r, const struct check_slurm_conf *conf,
		     const char *slurm_conf_path);

/* ---- the kernel of a compute node (preflight_kernel.c) ---- */
void check_kernel(struct check_report *r);

#endif
