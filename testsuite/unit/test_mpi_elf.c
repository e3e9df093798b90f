/*
 * test_mpi_elf.c - see test_mpi_elf.h.  Layout: ELF header, .dynstr,
 * .dynamic, .gnu.version_r, .gnu.version_d, section headers.
 */
#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "test_mpi_elf.h"
#include "unit.h"

struct builder {
	unsigned char *buf;
	size_t used;
	char strtab[8192];
	size_t str_used;
};

static Elf64_Word add_string(struct builder *b, const char *s)
{
	size_t len = strlen(s) + 1, at = b->str_used;

	ck_assert_uint_lt(at + len, sizeof(b->strtab));
	memcpy(b->strtab + at, s, len);
	b->str_used += len;
	return (Elf64_Word)at;
}

static size_t put(struct builder *b, const void *data, size_t len)
{
	size_t at = b->used;

	ck_assert_uint_le(at + len, TEST_ELF_MAX);
	memcpy(b->buf + at, data, len);
	b->used += len;
	return at;
}

static size_t count(const char *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

/* The version needs, grouped by file in order of first appearance. */
static void put_verneed(struct builder *b, const struct test_elf *spec, size_t *entries)
{
	size_t n = count(spec->needs);
	char files[64][128];
	size_t n_files = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(spec->needs[i], ":");
		bool seen = false;

		for (size_t f = 0; f < n_files && !seen; f++)
			seen = strlen(files[f]) == len && strncmp(files[f], spec->needs[i], len) == 0;
		if (!seen)
			snprintf(files[n_files++], sizeof(files[0]), "%.*s", (int)len, spec->needs[i]);
	}
	for (size_t f = 0; f < n_files; f++) {
		Elf64_Verneed vn = { .vn_version = VER_NEED_CURRENT, .vn_file = add_string(b, files[f]),
				     .vn_aux = sizeof(Elf64_Verneed) };
		size_t len = strlen(files[f]), k = 0;

		for (size_t i = 0; i < n; i++)
			k += strncmp(spec->needs[i], files[f], len) == 0 && spec->needs[i][len] == ':';
		vn.vn_cnt = (Elf64_Half)k;
		vn.vn_next = f + 1 < n_files ? (Elf64_Word)(sizeof(vn) + k * sizeof(Elf64_Vernaux)) : 0;
		put(b, &vn, sizeof(vn));
		for (size_t i = 0, j = 0; i < n; i++) {
			Elf64_Vernaux aux = { 0 };

			if (strncmp(spec->needs[i], files[f], len) != 0 || spec->needs[i][len] != ':')
				continue;
			aux.vna_name = add_string(b, spec->needs[i] + len + 1);
			aux.vna_other = (Elf64_Half)(2 + i);
			aux.vna_next = ++j < k ? sizeof(aux) : 0;
			put(b, &aux, sizeof(aux));
		}
	}
	*entries = n_files;
}

static void put_verdef(struct builder *b, const struct test_elf *spec, size_t *entries)
{
	size_t n = count(spec->defines);
	size_t step = sizeof(Elf64_Verdef) + sizeof(Elf64_Verdaux);

	*entries = n + 1;
	for (size_t i = 0; i <= n; i++) {
		Elf64_Verdef vd = { .vd_version = VER_DEF_CURRENT, .vd_flags = i == 0 ? VER_FLG_BASE : 0,
				    .vd_ndx = (Elf64_Half)(i + 1), .vd_cnt = 1, .vd_aux = sizeof(Elf64_Verdef),
				    .vd_next = i < n ? (Elf64_Word)step : 0 };
		Elf64_Verdaux aux = { .vda_name = add_string(b, i == 0 ? (spec->soname ? spec->soname : "test.so")
									: spec->defines[i - 1]) };

		put(b, &vd, sizeof(vd));
		put(b, &aux, sizeof(aux));
	}
}

#if defined(__aarch64__)
#define TEST_MACHINE EM_AARCH64
#elif defined(__powerpc64__)
#define TEST_MACHINE EM_PPC64
#else
#define TEST_MACHINE EM_X86_64
#endif

size_t test_elf_build(const struct test_elf *spec, unsigned char *buf)
{
	struct builder b = { .buf = buf, .used = sizeof(Elf64_Ehdr), .str_used = 1 };
	Elf64_Ehdr eh = { .e_type = ET_DYN, .e_machine = TEST_MACHINE, .e_version = EV_CURRENT,
			  .e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr), .e_shnum = 5 };
	Elf64_Shdr sh[5] = { { 0 } };
	size_t dyn_at, vn_at, vd_at, str_at, vn_n, vd_n;
	unsigned char dyn[4096];
	size_t dyn_len = 0;

	memset(buf, 0, TEST_ELF_MAX);
	for (size_t i = 0; i < count(spec->needed); i++) {
		Elf64_Dyn d = { .d_tag = DT_NEEDED, .d_un.d_val = add_string(&b, spec->needed[i]) };

		memcpy(dyn + dyn_len, &d, sizeof(d));
		dyn_len += sizeof(d);
	}
	memset(dyn + dyn_len, 0, sizeof(Elf64_Dyn));   /* DT_NULL */
	dyn_len += sizeof(Elf64_Dyn);
	dyn_at = put(&b, dyn, dyn_len);
	vn_at = b.used;
	put_verneed(&b, spec, &vn_n);
	vd_at = b.used;
	put_verdef(&b, spec, &vd_n);
	str_at = put(&b, b.strtab, b.str_used);
	b.used = (b.used + 7) & ~(size_t)7;
	sh[1] = (Elf64_Shdr){ .sh_type = SHT_STRTAB, .sh_offset = str_at, .sh_size = b.str_used };
	sh[2] = (Elf64_Shdr){ .sh_type = SHT_DYNAMIC, .sh_offset = dyn_at, .sh_size = dyn_len, .sh_link = 1 };
	sh[3] = (Elf64_Shdr){ .sh_type = SHT_GNU_verneed, .sh_offset = vn_at, .sh_size = vd_at - vn_at,
			      .sh_link = 1, .sh_info = (Elf64_Word)vn_n };
	sh[4] = (Elf64_Shdr){ .sh_type = SHT_GNU_verdef, .sh_offset = vd_at, .sh_size = str_at - vd_at,
			      .sh_link = 1, .sh_info = (Elf64_Word)vd_n };
	if (vn_n == 0)
		sh[3].sh_type = SHT_NULL;
	eh.e_shoff = put(&b, sh, sizeof(sh));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	memcpy(buf, &eh, sizeof(eh));
	return b.used;
}

void test_elf_write(const char *path, const struct test_elf *spec)
{
	static unsigned char buf[TEST_ELF_MAX];
	size_t size = test_elf_build(spec, buf);
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "cannot write %s", path);
	ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
	ck_assert_int_eq(fclose(f), 0);
}
