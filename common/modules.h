/*
 * modules.h - site container modules (--module NAME[,NAME...]).
 *
 * The admin defines each module as <modules_dir>/<NAME>.conf (berth.conf
 * modules_dir), read with the common config parser:
 *
 *   description = one line for users
 *   mounts = SRC:DST[:ro|rw|rec];...   extra site mounts (site_fs syntax)
 *   env = NAME=value;...               set in every task (after the image's
 *                                      Env and the site's env_keep/env_set)
 *   mpi = mpich                        replace the image's MPI library with
 *   mpi_libs = /opt/site-mpich/lib     the site's of that ABI (node/mpi_inject.h):
 *                                      mpi_libs is bound read-only at its own
 *                                      path and put first in LD_LIBRARY_PATH
 *
 * mpi and mpi_libs go together; mpi_libs is absolute and no system library
 * directory; at most one of the modules of a job has them.
 *
 * "none" alone means no module.  An unknown name is an error naming the
 * modules the site offers; a module file that does not parse is an error
 * too (the admin's, reported to whoever asked for it).
 */
#ifndef BERTH_MODULES_H_
#define BERTH_MODULES_H_

#include "berth_conf.h"
#include "berth_error.h"

enum berth_mpi_abi {
	BERTH_MPI_NONE = 0,
	BERTH_MPI_MPICH,          /* MPICH ABI: libmpi.so.12 (Debian: libmpich.so.12) */
};

struct berth_modules {
	char *mounts;   /* every module's mounts joined with ';', or NULL
			 * (with mpi_libs's read-only bind) */
	char *env;      /* every module's env joined with ';', or NULL */
	enum berth_mpi_abi mpi;
	char *mpi_libs;     /* the site's MPI library directory, or NULL */
	char *mpi_module;   /* the module that gave them, for messages */
};

#define BERTH_MODULES_INIT { NULL, NULL, BERTH_MPI_NONE, NULL, NULL }

/* Load and check the modules of names (a validated comma list, or NULL). */
int berth_modules_load(const struct berth_config *cfg, const char *names, struct berth_modules *out,
		       struct berth_error *err);

void berth_modules_free(struct berth_modules *modules);

/* The task's LD_LIBRARY_PATH with mpi_libs first (current: the value the
 * task has after the image's Env and the site's rules, or NULL), malloc'd
 * into *out; *out is NULL when the modules give no MPI (nothing to change). */
int berth_modules_ld_library_path(const struct berth_modules *modules, const char *current, char **out,
				  struct berth_error *err);

#endif
