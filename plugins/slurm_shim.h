/*
 * slurm_shim.h - the few Slurm internals berth's plugins use, declared here
 * because Slurm does not ship public prototypes for them (they are exported
 * by libslurmfull but declared only in Slurm's internal headers).  They resolve at dlopen time against
 * libslurmfull, which every Slurm daemon and client links.
 */
#ifndef BERTH_SLURM_SHIM_H_
#define BERTH_SLURM_SHIM_H_

#include <stdbool.h>
#include <stddef.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "berth_log.h"

/* src/common/read_config.h */
extern slurm_conf_t slurm_conf;

/* src/common/xmalloc.h, xstring.h: memory Slurm will xfree() */
void *slurm_xcalloc(size_t, size_t, bool, bool, const char *, int, const char *);
void slurm_xfree(void **);
void *slurm_xrecalloc(void **, size_t, size_t, bool, bool, const char *, int, const char *);
char *slurm_xstrdup(const char *);

/* berth_log sink writing to Slurm's log (slurm_error/info/verbose/debug). */
void berth_slurm_log_sink(enum berth_log_level level, const char *line);

/* Path of slurm.conf as this process knows it: $SLURM_CONF, else
 * slurm_conf.slurm_conf, else the compiled-in default. */
const char *berth_slurm_conf_path(void);

/* Load berth.conf: config_path if given, else beside slurm.conf.  A missing
 * file (when not named explicitly) means the built-in defaults. */
int berth_slurm_load_config(const char *config_path, struct berth_config *cfg,
			    struct berth_error *err);

/* The node's directories that tasks in a container need at the same path,
 * for Slurm's MPI plugins: SlurmdSpoolDir (the PMIx server directory and its
 * shared-memory store) and TmpFS (the PMIx client session directory), %n
 * and %h expanded for node; TmpFS not when it is /tmp or under it (the
 * container's /tmp is the job's own).  Fills paths (NULL-terminated, max
 * entries with room for the NULL) from buf (BERTH_SLURM_PATH_MAX each). */
#define BERTH_SLURM_PATH_MAX 4096
void berth_slurm_task_host_paths(const char *node, char (*buf)[BERTH_SLURM_PATH_MAX], const char **paths,
				 size_t max);

/* Log every berth.conf value at debug level. */
void berth_config_log(const struct berth_config *cfg);

#endif
