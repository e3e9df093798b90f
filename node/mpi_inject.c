/*
 * mpi_inject.c - see mpi_inject.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_deps.h"
#include "mpi_inject.h"
#include "safe_path.h"

#if defined(__x86_64__)
#define MULTIARCH "x86_64-linux-gnu"
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define MULTIARCH "aarch64-linux-gnu"
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define MULTIARCH "powerpc64le-linux-gnu"
#define NATIVE_MACHINE EM_PPC64
#else
#define MULTIARCH "unknown-linux-gnu"
#endif
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

#define LD_CONF_DIR "/etc/ld.so.conf.d"
#define LD_CONF_FILE_MAX (64U << 10)
#define LD_CONF_FILES_MAX 64
#define SITE_NAMES_MAX 512
#define IMAGE_LIBS_MAX 64

static const char *const default_dirs[] = { "/lib/" MULTIARCH, "/usr/lib/" MULTIARCH, "/lib64", "/usr/lib64",
					    "/lib", "/usr/lib", "/usr/local/lib", NULL };

static const struct {
	const char *what;
	const char *names[2];
} roles[] = {
	{ "C", { "libmpi.so.12", "libmpich.so.12" } },
	{ "C++", { "libmpicxx.so.12", "libmpichcxx.so.12" } },
	{ "Fortran", { "libmpifort.so.12", "libmpichfort.so.12" } },
};
#define N_ROLES (sizeof(roles) / sizeof(roles[0]))

/* What the plan works with. */
struct mpi_ctx {
	int root_fd;
	const char *site_dir;
	const char *module;
	char dirs[BERTH_MPI_LIB_DIRS_MAX][BERTH_MPI_PATH_MAX];
	size_t n_dirs;
	char *site_names[SITE_NAMES_MAX];   /* the entries of site_dir */
	size_t n_site;
	struct image_lib {
		char *name;
		bool found;
		char path[BERTH_MPI_PATH_MAX];
		struct berth_elf_deps deps;
	} image_libs[IMAGE_LIBS_MAX];
	size_t n_image_libs;
};

/* ------------------------------------------------------------ the image's library directories */

static void add_dir(char dirs[][BERTH_MPI_PATH_MAX], size_t *n, const char *dir, size_t len)
{
	char norm[BERTH_MPI_PATH_MAX], raw[BERTH_MPI_PATH_MAX];

	if (len == 0 || len >= sizeof(raw) || dir[0] != '/' || *n >= BERTH_MPI_LIB_DIRS_MAX)
		return;
	memcpy(raw, dir, len);
	raw[len] = '\0';
	if (berth_path_normalize(raw, norm, sizeof(norm), NULL) < 0)
		return;
	for (size_t i = 0; i < *n; i++)
		if (strcmp(dirs[i], norm) == 0)
			return;
	snprintf(dirs[(*n)++], BERTH_MPI_PATH_MAX, "%s", norm);
}

/* One ld.so.conf.d file of the image: a directory per line (ldconfig's
 * syntax; "include" and "hwcap" lines are not followed). */
static void read_conf(int root_fd, const char *name, char dirs[][BERTH_MPI_PATH_MAX], size_t *n)
{
	char path[BERTH_MPI_PATH_MAX], *text, *save = NULL;
	struct stat st;
	ssize_t got;
	int fd;

	if (snprintf(path, sizeof(path), LD_CONF_DIR "/%s", name) >= (int)sizeof(path) ||
	    berth_open_in_root(root_fd, path, O_RDONLY | O_NONBLOCK, 0, false, &fd, NULL) < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(text = malloc(LD_CONF_FILE_MAX + 1))) {
		close(fd);
		return;
	}
	got = read(fd, text, LD_CONF_FILE_MAX);
	close(fd);
	text[got > 0 ? got : 0] = '\0';
	for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		line += strspn(line, " \t");
		if (*line == '/')
			add_dir(dirs, n, line, strcspn(line, " \t:,=#\r"));
	}
	free(text);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int berth_mpi_image_lib_dirs(int root_fd, char dirs[][BERTH_MPI_PATH_MAX], size_t *n, struct berth_error *err)
{
	char *names[LD_CONF_FILES_MAX];
	size_t n_names = 0;
	struct dirent *e;
	DIR *d = NULL;
	int fd;

	*n = 0;
	if (berth_open_in_root(root_fd, LD_CONF_DIR, O_RDONLY | O_DIRECTORY, 0, false, &fd, NULL) == 0 &&
	    !(d = fdopendir(fd)))
		close(fd);
	while (d && n_names < LD_CONF_FILES_MAX && (e = readdir(d))) {
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".conf") != 0)
			continue;
		if (!(names[n_names] = strdup(e->d_name)))
			break;
		n_names++;
	}
	if (d)
		closedir(d);
	qsort(names, n_names, sizeof(names[0]), by_name);   /* ldconfig's order (glob) */
	for (size_t i = 0; i < n_names; i++) {
		read_conf(root_fd, names[i], dirs, n);
		free(names[i]);
	}
	for (const char *const *dir = default_dirs; *dir; dir++)
		add_dir(dirs, n, *dir, strlen(*dir));
	return *n ? 0 : berth_error_set(err, ENOENT, "no library directories");
}

/* ------------------------------------------------------------ the site's directory */

static bool site_has(const struct mpi_ctx *ctx, const char *name)
{
	for (size_t i = 0; i < ctx->n_site; i++)
		if (strcmp(ctx->site_names[i], name) == 0)
			return true;
	return false;
}

static int read_site_names(struct mpi_ctx *ctx, struct berth_error *err)
{
	DIR *d = opendir(ctx->site_dir);
	struct dirent *e;
	int rc = 0;

	if (!d)
		return berth_error_errno(err, errno, "mpi_libs \"%s\"", ctx->site_dir);
	while (rc == 0 && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		if (strcmp(e->d_name, "libc.so.6") == 0 || strncmp(e->d_name, "ld-linux", 8) == 0)
			rc = berth_error_set(err, EINVAL,
					     "mpi_libs \"%s\" holds glibc's %s: leave glibc out, the image's own serves",
					     ctx->site_dir, e->d_name);
		else if (ctx->n_site >= SITE_NAMES_MAX)
			rc = berth_error_set(err, E2BIG, "mpi_libs \"%s\" has over %d entries", ctx->site_dir,
					     SITE_NAMES_MAX);
		else if (!(ctx->site_names[ctx->n_site] = strdup(e->d_name)))
			rc = berth_error_errno(err, ENOMEM, "mpi_libs");
		else
			ctx->n_site++;
	}
	closedir(d);
	return rc;
}

/* A library of the site, parsed. */
static int site_deps(const struct mpi_ctx *ctx, const char *name, struct berth_elf_deps *deps,
		     struct berth_error *err)
{
	char path[BERTH_MPI_PATH_MAX];
	int fd, rc;

	snprintf(path, sizeof(path), "%s/%s", ctx->site_dir, name);
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return berth_error_errno(err, errno, "mpi_libs: \"%s\"", path);
	rc = berth_elf_deps_read(fd, deps, err);
	close(fd);
	return rc < 0 ? berth_error_prefix(err, "mpi_libs: \"%s\"", path) : 0;
}

/* ------------------------------------------------------------ the image's libraries */

/* Like the loader, skip a library of another machine (the i386 or x32
 * one of a multiarch image); a file that is no ELF is kept (and refused
 * when read, with its reason). */
static bool other_machine(int fd)
{
	Elf64_Ehdr eh;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return false;
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != NATIVE_DATA)
		return true;
#ifdef NATIVE_MACHINE
	return eh.e_machine != NATIVE_MACHINE;
#else
	return false;
#endif
}

/* Open name in the image's library directories (regular files of this
 * machine only); path_out gets the path it was found at. */
static int image_find(const struct mpi_ctx *ctx, const char *name, size_t from, size_t *dir_out,
		      char *path_out, int *fd_out)
{
	for (size_t i = from; i < ctx->n_dirs; i++) {
		char path[BERTH_MPI_PATH_MAX];
		struct stat st;
		int fd;

		if (snprintf(path, sizeof(path), "%s/%s", ctx->dirs[i], name) >= (int)sizeof(path) ||
		    berth_open_in_root(ctx->root_fd, path, O_RDONLY | O_NONBLOCK, 0, false, &fd, NULL) < 0)
			continue;
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || other_machine(fd)) {
			close(fd);
			continue;
		}
		*dir_out = i;
		snprintf(path_out, BERTH_MPI_PATH_MAX, "%s", path);
		*fd_out = fd;
		return 0;
	}
	return -1;
}

/* The image's library name (looked up once), or NULL if the image has
 * none.  An unreadable copy is an error. */
static int image_lib(struct mpi_ctx *ctx, const char *name, struct image_lib **out, struct berth_error *err)
{
	struct image_lib *lib;
	size_t dir;
	int fd;

	for (size_t i = 0; i < ctx->n_image_libs; i++)
		if (strcmp(ctx->image_libs[i].name, name) == 0) {
			*out = ctx->image_libs[i].found ? &ctx->image_libs[i] : NULL;
			return 0;
		}
	if (ctx->n_image_libs >= IMAGE_LIBS_MAX)
		return berth_error_set(err, E2BIG, "the site's MPI needs over %d of the image's libraries",
				       IMAGE_LIBS_MAX);
	lib = &ctx->image_libs[ctx->n_image_libs];
	if (!(lib->name = strdup(name)))
		return berth_error_errno(err, ENOMEM, "image library");
	ctx->n_image_libs++;
	*out = NULL;
	if (image_find(ctx, name, 0, &dir, lib->path, &fd) < 0)
		return 0;
	lib->found = true;
	*out = lib;
	if (berth_elf_deps_read(fd, &lib->deps, err) < 0) {
		close(fd);
		return berth_error_prefix(err, "the image's \"%s\"", lib->path);
	}
	close(fd);
	return 0;
}

/* ------------------------------------------------------------ the plan */

/* One bind per file of the image (merged /usr: /lib/x and /usr/lib/x;
 * libmpi.so.12 and libmpich.so.12 links to one file). */
static int add_bind(struct berth_mpi_plan *plan, int image_fd, const char *image_path, const char *site_path,
		    struct berth_error *err)
{
	struct berth_mpi_bind *b;
	struct stat st;

	if (fstat(image_fd, &st) < 0)
		return berth_error_errno(err, errno, "the image's \"%s\"", image_path);
	for (size_t i = 0; i < plan->n_binds; i++)
		if (plan->binds[i].dev == st.st_dev && plan->binds[i].ino == st.st_ino)
			return 0;
	if (plan->n_binds >= BERTH_MPI_BINDS_MAX)
		return berth_error_set(err, E2BIG, "the image has over %d MPI libraries", BERTH_MPI_BINDS_MAX);
	b = &plan->binds[plan->n_binds++];
	snprintf(b->image_path, sizeof(b->image_path), "%s", image_path);
	snprintf(b->site_path, sizeof(b->site_path), "%s", site_path);
	b->dev = st.st_dev;
	b->ino = st.st_ino;
	return 0;
}

/* Every file of the role in the image gets the site's library of the
 * role; *site_name is that library (NULL if the image has none). */
static int plan_role(struct mpi_ctx *ctx, size_t role, struct berth_mpi_plan *plan, const char **site_name,
		     struct berth_error *err)
{
	const char *const *names = roles[role].names;
	char image_path[BERTH_MPI_PATH_MAX], site_path[BERTH_MPI_PATH_MAX];
	size_t dir;
	int fd;

	*site_name = site_has(ctx, names[0]) ? names[0] : site_has(ctx, names[1]) ? names[1] : NULL;
	for (size_t n = 0; n < 2; n++)
		for (size_t from = 0; image_find(ctx, names[n], from, &dir, image_path, &fd) == 0; from = dir + 1) {
			int rc;

			if (!*site_name) {
				close(fd);
				return role == 0 ?
					berth_error_set(err, ENOENT, "mpi_libs \"%s\" has no libmpi.so.12 or libmpich.so.12",
							ctx->site_dir) :
					berth_error_set(err, ENOENT,
							"the image has %s and mpi_libs \"%s\" has no %s MPI library (%s or %s)",
							names[n], ctx->site_dir, roles[role].what, names[0], names[1]);
			}
			snprintf(site_path, sizeof(site_path), "%s/%s", ctx->site_dir, *site_name);
			rc = add_bind(plan, fd, image_path, site_path, err);
			close(fd);
			if (rc < 0)
				return -1;
		}
	return 0;
}

/* A version the site's library needs from a library outside mpi_libs. */
static int check_need(struct mpi_ctx *ctx, const char *site_lib, const struct berth_elf_verneed *need,
		      struct berth_error *err)
{
	struct image_lib *lib = NULL;
	unsigned parts[3];
	const char *max;

	if (site_has(ctx, need->file))
		return 0;
	if (image_lib(ctx, need->file, &lib, err) < 0)
		return -1;
	if (!lib)
		return berth_error_set(err, ENOENT, "the site's %s needs %s, which neither mpi_libs nor the image has",
				       site_lib, need->file);
	if (berth_elf_defines(&lib->deps, need->version))
		return 0;
	if (berth_glibc_version(need->version, parts) == 0)
		return (max = berth_elf_glibc_max(&lib->deps)) ?
			berth_error_set(err, ENOEXEC,
					"the image's glibc is older than the site's MPI needs: %s needs %s from %s, the image's has up to %s",
					site_lib, need->version, need->file, max) :
			berth_error_set(err, ENOEXEC, "the site's %s needs %s from %s, which the image's %s lacks",
					site_lib, need->version, need->file, lib->path);
	return berth_error_set(err, ENOEXEC, "the site's %s needs %s from %s, which the image's %s lacks", site_lib,
			       need->version, need->file, lib->path);
}

/* The site's libraries the bound ones load (DT_NEEDED within mpi_libs),
 * queue[0..*n) growing, each parsed into deps[]. */
static int site_closure(struct mpi_ctx *ctx, const char **queue, size_t *n, struct berth_elf_deps *deps,
			struct berth_error *err)
{
	for (size_t i = 0; i < *n; i++) {
		if (site_deps(ctx, queue[i], &deps[i], err) < 0)
			return -1;
		for (size_t j = 0; j < deps[i].n_needed; j++) {
			bool queued = false;

			for (size_t k = 0; k < *n && !queued; k++)
				queued = strcmp(queue[k], deps[i].needed[j]) == 0;
			if (queued || *n >= SITE_NAMES_MAX)
				continue;
			for (size_t k = 0; k < ctx->n_site; k++)   /* a name that outlives deps */
				if (strcmp(ctx->site_names[k], deps[i].needed[j]) == 0)
					queue[(*n)++] = ctx->site_names[k];
		}
	}
	return 0;
}

/* Every version the closure needs from outside mpi_libs: glibc's first
 * (the usual reason, and the one to name), then the others. */
static int check_closure(struct mpi_ctx *ctx, const char **queue, size_t n, struct berth_error *err)
{
	struct berth_elf_deps *deps = calloc(SITE_NAMES_MAX, sizeof(*deps));
	unsigned parts[3];
	int rc;

	if (!deps)
		return berth_error_errno(err, ENOMEM, "site libraries");
	rc = site_closure(ctx, queue, &n, deps, err);
	for (int glibc = 1; rc == 0 && glibc >= 0; glibc--)
		for (size_t i = 0; rc == 0 && i < n; i++)
			for (size_t j = 0; rc == 0 && j < deps[i].n_verneed; j++)
				if ((berth_glibc_version(deps[i].verneed[j].version, parts) == 0) == glibc)
					rc = check_need(ctx, queue[i], &deps[i].verneed[j], err);
	for (size_t i = 0; i < SITE_NAMES_MAX; i++)
		berth_elf_deps_free(&deps[i]);
	free(deps);
	return rc;
}

static void ctx_free(struct mpi_ctx *ctx)
{
	for (size_t i = 0; i < ctx->n_site; i++)
		free(ctx->site_names[i]);
	for (size_t i = 0; i < ctx->n_image_libs; i++) {
		free(ctx->image_libs[i].name);
		berth_elf_deps_free(&ctx->image_libs[i].deps);
	}
	free(ctx);
}

int berth_mpi_plan(int image_root_fd, const char *site_dir, const char *module, struct berth_mpi_plan *plan,
		   struct berth_error *err)
{
	struct mpi_ctx *ctx = calloc(1, sizeof(*ctx));
	const char *queue[SITE_NAMES_MAX];
	size_t n = 0;
	int rc;

	memset(plan, 0, sizeof(*plan));
	if (!ctx)
		return berth_error_errno(err, ENOMEM, "--module %s", module);
	ctx->root_fd = image_root_fd;
	ctx->site_dir = site_dir;
	ctx->module = module;
	rc = berth_mpi_image_lib_dirs(image_root_fd, ctx->dirs, &ctx->n_dirs, err);
	if (rc == 0)
		rc = read_site_names(ctx, err);
	for (size_t role = 0; rc == 0 && role < N_ROLES; role++) {
		size_t before = plan->n_binds;
		const char *site_name;

		rc = plan_role(ctx, role, plan, &site_name, err);
		if (rc == 0 && role == 0 && plan->n_binds == 0)
			rc = berth_error_set(err, ENOENT,
					     "the image has no MPICH-ABI library (libmpi.so.12 or libmpich.so.12 in its library directories)");
		if (rc == 0 && plan->n_binds > before)
			queue[n++] = site_name;
	}
	if (rc == 0)
		rc = check_closure(ctx, queue, n, err);
	ctx_free(ctx);
	if (rc < 0)
		return berth_error_prefix(err, "--module %s", module);
	return 0;
}
