/*
 * elf_deps.h - what a shared library needs and defines, read from its ELF
 * dynamic section and symbol version sections (for node/mpi_inject.c).
 *
 * Read: DT_NEEDED (the sonames it links), the version needs
 * (.gnu.version_r: "libc.so.6" needs "GLIBC_2.34") and the version
 * definitions (.gnu.version_d: what a libc.so.6 offers, GLIBC_2.2.5 ...
 * GLIBC_2.41).  Found through the section headers (by type, not by name).
 *
 * Image files are untrusted: only 64-bit ELF files of the node's byte
 * order; every offset, size, count and string is bounded (BERTH_ELF_*),
 * the file is read with pread() section by section (never mapped), and a
 * malformed file is an error with the reason ("not an ELF file", "version
 * needs run past their section", ...).  Strings kept are printable ASCII.
 */
#ifndef BERTH_ELF_DEPS_H_
#define BERTH_ELF_DEPS_H_

#include <stddef.h>

#include "berth_error.h"

#define BERTH_ELF_SECTIONS_MAX 4096
#define BERTH_ELF_SECTION_MAX (16U << 20)   /* one section read */
#define BERTH_ELF_NEEDED_MAX 128
#define BERTH_ELF_VERNEED_MAX 1024          /* (file, version) pairs */
#define BERTH_ELF_VERDEF_MAX 1024
#define BERTH_ELF_NAME_MAX 256              /* a soname or version name */

struct berth_elf_verneed {
	const char *file;      /* "libc.so.6" */
	const char *version;   /* "GLIBC_2.34" */
};

struct berth_elf_deps {
	const char **needed;           /* DT_NEEDED, in order */
	size_t n_needed;
	struct berth_elf_verneed *verneed;
	size_t n_verneed;
	const char **verdef;           /* version definitions (not the file's own name) */
	size_t n_verdef;
};

#define BERTH_ELF_DEPS_INIT { NULL, 0, NULL, 0, NULL, 0 }

/* Read fd (a regular file, read with pread).  out is released with
 * berth_elf_deps_free, also after a failure. */
int berth_elf_deps_read(int fd, struct berth_elf_deps *out, struct berth_error *err);

void berth_elf_deps_free(struct berth_elf_deps *deps);

/* Whether deps defines version. */
int berth_elf_defines(const struct berth_elf_deps *deps, const char *version);

/* "GLIBC_2.34" -> 2, 34, 0 (a third part: "GLIBC_2.2.5"); -1 if version
 * is not a numbered GLIBC_ version (GLIBC_PRIVATE). */
int berth_glibc_version(const char *version, unsigned parts[3]);

/* The highest numbered GLIBC_ version deps defines, or NULL. */
const char *berth_elf_glibc_max(const struct berth_elf_deps *deps);

#endif
