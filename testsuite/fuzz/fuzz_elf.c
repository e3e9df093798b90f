/*
 * fuzz_elf.c - berth_elf_deps_read (node/elf_deps.c): the ELF reader that
 * reads image files (a libc.so.6, libstdc++.so.6 ...) as root when a module
 * puts the site's MPI into an image (node/mpi_inject.c).
 *
 * Input: the file.  Checks: a failure leaves a one-line message and empty
 * lists; on success every count is within its limit, every string is
 * printable, non-empty and at most BERTH_ELF_NAME_MAX, and the highest
 * GLIBC_ version is one of the definitions and parses.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "elf_deps.h"
#include "fuzz_util.h"

static void check_name(const char *what, const char *s)
{
	size_t len = strlen(s);

	FZ_CHECK(len > 0 && len <= BERTH_ELF_NAME_MAX, "%s of %zu bytes", what, len);
	for (const char *p = s; *p; p++)
		FZ_CHECK(*p > ' ' && *p < 0x7f, "%s has byte %#x", what, (unsigned char)*p);
}

static void check(const struct berth_elf_deps *deps)
{
	const char *max = berth_elf_glibc_max(deps);
	unsigned parts[3];

	FZ_CHECK(deps->n_needed <= BERTH_ELF_NEEDED_MAX, "%zu needed", deps->n_needed);
	FZ_CHECK(deps->n_verneed <= BERTH_ELF_VERNEED_MAX, "%zu version needs", deps->n_verneed);
	FZ_CHECK(deps->n_verdef <= BERTH_ELF_VERDEF_MAX, "%zu version definitions", deps->n_verdef);
	for (size_t i = 0; i < deps->n_needed; i++)
		check_name("needed", deps->needed[i]);
	for (size_t i = 0; i < deps->n_verneed; i++) {
		check_name("needed file", deps->verneed[i].file);
		check_name("needed version", deps->verneed[i].version);
	}
	for (size_t i = 0; i < deps->n_verdef; i++)
		check_name("definition", deps->verdef[i]);
	if (max) {
		FZ_CHECK(berth_elf_defines(deps, max), "highest GLIBC_ version \"%s\" not defined", max);
		FZ_CHECK(berth_glibc_version(max, parts) == 0, "highest GLIBC_ version \"%s\" does not parse", max);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	int fd = memfd_create("elf", MFD_CLOEXEC);

	/* a file in memory: pread()s like from a library of an image */
	FZ_CHECK(fd >= 0, "memfd_create");
	FZ_CHECK(size == 0 || write(fd, data, size) == (ssize_t)size, "write");
	if (berth_elf_deps_read(fd, &deps, &err) == 0)
		check(&deps);
	else
		fz_check_error(&err, "berth_elf_deps_read");
	berth_elf_deps_free(&deps);
	FZ_CHECK(deps.n_needed == 0 && deps.n_verneed == 0 && deps.n_verdef == 0, "free left entries");
	close(fd);
	return 0;
}
