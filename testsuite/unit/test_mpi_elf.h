/*
 * test_mpi_elf.h - small synthetic ELF64 shared objects for the tests of
 * node/elf_deps.c and node/mpi_inject.c: a dynamic section (DT_NEEDED),
 * version needs and version definitions, nothing else.
 */
#ifndef BERTH_TEST_MPI_ELF_H_
#define BERTH_TEST_MPI_ELF_H_

#include <stddef.h>

struct test_elf {
	const char *const *needed;    /* sonames, NULL-terminated (or NULL) */
	const char *const *needs;     /* "libc.so.6:GLIBC_2.34", NULL-terminated (or NULL) */
	const char *const *defines;   /* version names, NULL-terminated (or NULL) */
	const char *soname;           /* the base version definition's name, or NULL */
};

#define TEST_ELF_MAX (64U << 10)

/* The file's bytes into buf (TEST_ELF_MAX); returns its size. */
size_t test_elf_build(const struct test_elf *spec, unsigned char *buf);

/* Write it to path (mode 0644). */
void test_elf_write(const char *path, const struct test_elf *spec);

#endif
