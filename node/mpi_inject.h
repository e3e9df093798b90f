/*
 * mpi_inject.h - the site's MPI in place of the image's (a module with
 * mpi = mpich, mpi_libs = DIR; common/modules.h).
 *
 * MPICH's ABI (MPICH, Intel MPI, Cray MPICH, MVAPICH, ...): an application
 * linked against one implementation's libmpi.so.12 runs on another's.
 * Debian names the same library libmpich.so.12 (and libmpichcxx.so.12,
 * libmpichfort.so.12); both names are one role each:
 *
 *   C        libmpi.so.12      libmpich.so.12       (required)
 *   C++      libmpicxx.so.12   libmpichcxx.so.12
 *   Fortran  libmpifort.so.12  libmpichfort.so.12
 *
 * berth_mpi_plan() looks in the image's library directories (the
 * directories of its /etc/ld.so.conf.d/\*.conf, then /lib/<multiarch>,
 * /usr/lib/<multiarch>, /lib64, /usr/lib64, /lib, /usr/lib, /usr/local/lib)
 * for each role's names, resolved inside the image (image content is
 * untrusted), and plans one read-only bind of the site's library of that
 * role (the same name in DIR if there, else the role's other name) over
 * every such file.  The bind makes every way of loading it get the site's:
 * RPATH, RUNPATH, the image's ld.so.cache, dlopen.  The site's library's
 * own dependencies come from DIR, which the task finds first in
 * LD_LIBRARY_PATH (spank_enter.c), or from the image.
 *
 * Refused, with a one-line reason (the job fails; the node is fine):
 *  - the image has no C library of the role table;
 *  - the image has a C++ or Fortran library and DIR has none of that role
 *    (mixing two MPICH builds' libraries in one process is not safe);
 *  - DIR has no C library, or holds glibc itself (libc.so.6, ld-linux*:
 *    the image's own glibc must serve, and its loader);
 *  - a library of DIR the bound ones need (DT_NEEDED, followed within DIR)
 *    needs a symbol version (GLIBC_2.34 of libc.so.6, GLIBCXX_3.4.30 of
 *    libstdc++.so.6, ...) from a library not in DIR that the image lacks or
 *    whose image copy does not define that version.  For glibc this is the
 *    rule "the image's glibc is at least the one the site's MPI was built
 *    against", read from the files rather than from version strings.
 */
#ifndef BERTH_MPI_INJECT_H_
#define BERTH_MPI_INJECT_H_

#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

#define BERTH_MPI_BINDS_MAX 16
#define BERTH_MPI_PATH_MAX 1024
#define BERTH_MPI_LIB_DIRS_MAX 32

struct berth_mpi_bind {
	char image_path[BERTH_MPI_PATH_MAX];   /* where the image has it ("/usr/lib/.../libmpich.so.12") */
	char site_path[BERTH_MPI_PATH_MAX];    /* the site's file ("/opt/site-mpich/lib/libmpi.so.12") */
	dev_t dev;                             /* the image's file it resolves to (each once) */
	ino_t ino;
};

struct berth_mpi_plan {
	struct berth_mpi_bind binds[BERTH_MPI_BINDS_MAX];
	size_t n_binds;
};

/* Plan the binds for the image whose root is image_root_fd (the tree being
 * built, or any directory in tests) and the site's MPI in site_dir (a host
 * directory, admin-trusted).  module names the module in messages. */
int berth_mpi_plan(int image_root_fd, const char *site_dir, const char *module, struct berth_mpi_plan *plan,
		   struct berth_error *err);

/* The image's library directories (see above), for messages and tests. */
int berth_mpi_image_lib_dirs(int image_root_fd, char dirs[][BERTH_MPI_PATH_MAX], size_t *n,
			     struct berth_error *err);

#endif
