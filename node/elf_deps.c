/*
 * elf_deps.c - see elf_deps.h.
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_deps.h"

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE_DATA ELFDATA2LSB
#else
#define NATIVE_DATA ELFDATA2MSB
#endif

struct section {
	unsigned char *data;
	size_t size;
};

struct elf_file {
	int fd;
	uint64_t file_size;
	Elf64_Shdr *shdr;
	size_t n_shdr;
};

static int read_at(int fd, uint64_t offset, void *buf, size_t len, struct berth_error *err)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return berth_error_errno(err, errno, "read");
		if (n == 0)
			return berth_error_set(err, EINVAL, "file ends early");
		done += (size_t)n;
	}
	return 0;
}

static int read_headers(struct elf_file *f, struct berth_error *err)
{
	Elf64_Ehdr eh;
	struct stat st;

	if (fstat(f->fd, &st) < 0)
		return berth_error_errno(err, errno, "stat");
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "not a regular file");
	f->file_size = (uint64_t)st.st_size;
	if (f->file_size < sizeof(eh) || read_at(f->fd, 0, &eh, sizeof(eh), err) < 0 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return berth_error_set(err, EINVAL, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != NATIVE_DATA)
		return berth_error_set(err, EINVAL, "not a 64-bit ELF file of this machine's byte order");
	if (eh.e_shnum == 0 || eh.e_shnum > BERTH_ELF_SECTIONS_MAX || eh.e_shentsize != sizeof(Elf64_Shdr))
		return berth_error_set(err, EINVAL, "no usable section headers");
	if (eh.e_shoff > f->file_size || (f->file_size - eh.e_shoff) / sizeof(Elf64_Shdr) < eh.e_shnum)
		return berth_error_set(err, EINVAL, "section headers run past the end of the file");
	if (!(f->shdr = calloc(eh.e_shnum, sizeof(Elf64_Shdr))))
		return berth_error_errno(err, ENOMEM, "section headers");
	f->n_shdr = eh.e_shnum;
	return read_at(f->fd, eh.e_shoff, f->shdr, f->n_shdr * sizeof(Elf64_Shdr), err);
}

static int load_section(const struct elf_file *f, size_t index, Elf32_Word type, struct section *out,
			struct berth_error *err)
{
	const Elf64_Shdr *sh;

	if (index == 0 || index >= f->n_shdr || f->shdr[index].sh_type != type)
		return berth_error_set(err, EINVAL, "section %zu is not of the expected type", index);
	sh = &f->shdr[index];
	if (sh->sh_size > BERTH_ELF_SECTION_MAX || sh->sh_offset > f->file_size ||
	    sh->sh_size > f->file_size - sh->sh_offset)
		return berth_error_set(err, EINVAL, "section %zu runs past the end of the file", index);
	out->size = sh->sh_size;
	if (!(out->data = malloc(out->size ? out->size : 1)))
		return berth_error_errno(err, ENOMEM, "section");
	return read_at(f->fd, sh->sh_offset, out->data, out->size, err);
}

/* A printable, bounded string at offset in a string table, copied. */
static int string_at(const struct section *strtab, uint64_t offset, char **out, struct berth_error *err)
{
	const unsigned char *s, *end;

	if (offset >= strtab->size)
		return berth_error_set(err, EINVAL, "string offset out of its table");
	s = strtab->data + offset;
	if (!(end = memchr(s, '\0', strtab->size - offset)) || end == s || end - s > BERTH_ELF_NAME_MAX)
		return berth_error_set(err, EINVAL, "bad string in the string table");
	for (const unsigned char *p = s; p < end; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return berth_error_set(err, EINVAL, "unprintable string in the string table");
	if (!(*out = strdup((const char *)s)))
		return berth_error_errno(err, ENOMEM, "string");
	return 0;
}

/* array with room for one more item, or NULL (err set; array unchanged) */
static void *grown(void *array, size_t count, size_t limit, size_t item, struct berth_error *err)
{
	void *bigger;

	if (count >= limit) {
		berth_error_set(err, E2BIG, "more than %zu entries", limit);
		return NULL;
	}
	if (!(bigger = realloc(array, (count + 1) * item)))
		berth_error_errno(err, ENOMEM, "ELF entries");
	return bigger;
}

static int parse_dynamic(const struct section *dyn, const struct section *strtab, struct berth_elf_deps *out,
			 struct berth_error *err)
{
	for (size_t off = 0; off + sizeof(Elf64_Dyn) <= dyn->size; off += sizeof(Elf64_Dyn)) {
		const char **needed;
		Elf64_Dyn d;
		char *name;

		memcpy(&d, dyn->data + off, sizeof(d));
		if (d.d_tag == DT_NULL)
			break;
		if (d.d_tag != DT_NEEDED)
			continue;
		if (!(needed = grown(out->needed, out->n_needed, BERTH_ELF_NEEDED_MAX, sizeof(char *), err)))
			return berth_error_prefix(err, "needed libraries");
		out->needed = needed;
		if (string_at(strtab, d.d_un.d_val, &name, err) < 0)
			return berth_error_prefix(err, "needed libraries");
		out->needed[out->n_needed++] = name;
	}
	return 0;
}

/* One entry's auxiliary list of the version needs. */
static int parse_vernaux(const struct section *sec, const struct section *strtab, size_t at, unsigned count,
			 const char *file, struct berth_elf_deps *out, struct berth_error *err)
{
	for (unsigned j = 0; j < count; j++) {
		struct berth_elf_verneed *v;
		Elf64_Vernaux aux;
		char *version;

		if (at > sec->size || sec->size - at < sizeof(aux))
			return berth_error_set(err, EINVAL, "version needs run past their section");
		memcpy(&aux, sec->data + at, sizeof(aux));
		if (!(v = grown(out->verneed, out->n_verneed, BERTH_ELF_VERNEED_MAX, sizeof(*v), err)))
			return -1;
		out->verneed = v;
		if (string_at(strtab, aux.vna_name, &version, err) < 0)
			return -1;
		v = &out->verneed[out->n_verneed];
		v->version = version;
		if (!(v->file = strdup(file))) {
			free(version);
			return berth_error_errno(err, ENOMEM, "version needs");
		}
		out->n_verneed++;
		if (aux.vna_next == 0)
			break;
		at += aux.vna_next;
	}
	return 0;
}

static int parse_verneed(const struct section *sec, const struct section *strtab, struct berth_elf_deps *out,
			 struct berth_error *err)
{
	size_t at = 0;

	for (size_t i = 0; i < BERTH_ELF_VERNEED_MAX; i++) {
		Elf64_Verneed vn;
		char *file;
		int rc;

		if (at > sec->size || sec->size - at < sizeof(vn))
			return berth_error_set(err, EINVAL, "version needs run past their section");
		memcpy(&vn, sec->data + at, sizeof(vn));
		if (vn.vn_version != VER_NEED_CURRENT)
			return berth_error_set(err, EINVAL, "unknown version needs revision %u", vn.vn_version);
		if (string_at(strtab, vn.vn_file, &file, err) < 0)
			return berth_error_prefix(err, "version needs");
		rc = parse_vernaux(sec, strtab, at + vn.vn_aux, vn.vn_cnt, file, out, err);
		free(file);
		if (rc < 0)
			return berth_error_prefix(err, "version needs");
		if (vn.vn_next == 0)
			return 0;
		at += vn.vn_next;
	}
	return berth_error_set(err, E2BIG, "more than %d version needs", BERTH_ELF_VERNEED_MAX);
}

static int parse_verdef(const struct section *sec, const struct section *strtab, struct berth_elf_deps *out,
			struct berth_error *err)
{
	size_t at = 0;

	for (size_t i = 0; i < BERTH_ELF_VERDEF_MAX; i++) {
		const char **verdef;
		Elf64_Verdef vd;
		Elf64_Verdaux aux;
		char *name;

		if (at > sec->size || sec->size - at < sizeof(vd))
			return berth_error_set(err, EINVAL, "version definitions run past their section");
		memcpy(&vd, sec->data + at, sizeof(vd));
		if (vd.vd_version != VER_DEF_CURRENT)
			return berth_error_set(err, EINVAL, "unknown version definitions revision %u",
					       vd.vd_version);
		if (!(vd.vd_flags & VER_FLG_BASE) && vd.vd_cnt > 0) {
			if (vd.vd_aux > sec->size - at || sec->size - at - vd.vd_aux < sizeof(aux))
				return berth_error_set(err, EINVAL, "version definitions run past their section");
			memcpy(&aux, sec->data + at + vd.vd_aux, sizeof(aux));
			if (!(verdef = grown(out->verdef, out->n_verdef, BERTH_ELF_VERDEF_MAX, sizeof(char *), err)))
				return berth_error_prefix(err, "version definitions");
			out->verdef = verdef;
			if (string_at(strtab, aux.vda_name, &name, err) < 0)
				return berth_error_prefix(err, "version definitions");
			out->verdef[out->n_verdef++] = name;
		}
		if (vd.vd_next == 0)
			return 0;
		at += vd.vd_next;
	}
	return berth_error_set(err, E2BIG, "more than %d version definitions", BERTH_ELF_VERDEF_MAX);
}

typedef int (*section_parser)(const struct section *, const struct section *, struct berth_elf_deps *,
			      struct berth_error *);

/* The first section of type, with its string table (sh_link). */
static int parse_type(const struct elf_file *f, Elf32_Word type, section_parser parse, struct berth_elf_deps *out,
		      struct berth_error *err)
{
	struct section sec = { 0 }, strtab = { 0 };
	int rc = 0;

	for (size_t i = 1; i < f->n_shdr; i++) {
		if (f->shdr[i].sh_type != type)
			continue;
		rc = load_section(f, i, type, &sec, err);
		if (rc == 0)
			rc = load_section(f, f->shdr[i].sh_link, SHT_STRTAB, &strtab, err);
		if (rc == 0)
			rc = parse(&sec, &strtab, out, err);
		break;
	}
	free(sec.data);
	free(strtab.data);
	return rc;
}

int berth_elf_deps_read(int fd, struct berth_elf_deps *out, struct berth_error *err)
{
	struct elf_file f = { .fd = fd };
	int rc;

	*out = (struct berth_elf_deps)BERTH_ELF_DEPS_INIT;
	rc = read_headers(&f, err);
	if (rc == 0)
		rc = parse_type(&f, SHT_DYNAMIC, parse_dynamic, out, err);
	if (rc == 0)
		rc = parse_type(&f, SHT_GNU_verneed, parse_verneed, out, err);
	if (rc == 0)
		rc = parse_type(&f, SHT_GNU_verdef, parse_verdef, out, err);
	free(f.shdr);
	return rc;
}

void berth_elf_deps_free(struct berth_elf_deps *deps)
{
	for (size_t i = 0; i < deps->n_needed; i++)
		free((char *)deps->needed[i]);
	for (size_t i = 0; i < deps->n_verneed; i++) {
		free((char *)deps->verneed[i].file);
		free((char *)deps->verneed[i].version);
	}
	for (size_t i = 0; i < deps->n_verdef; i++)
		free((char *)deps->verdef[i]);
	free(deps->needed);
	free(deps->verneed);
	free(deps->verdef);
	*deps = (struct berth_elf_deps)BERTH_ELF_DEPS_INIT;
}

int berth_elf_defines(const struct berth_elf_deps *deps, const char *version)
{
	for (size_t i = 0; i < deps->n_verdef; i++)
		if (strcmp(deps->verdef[i], version) == 0)
			return 1;
	return 0;
}

int berth_glibc_version(const char *version, unsigned parts[3])
{
	const char *p = version;

	if (strncmp(p, "GLIBC_", 6) != 0)
		return -1;
	p += 6;
	parts[0] = parts[1] = parts[2] = 0;
	for (int i = 0; i < 3; i++) {
		unsigned long n = 0;
		const char *start = p;

		while (*p >= '0' && *p <= '9' && p - start < 6)
			n = n * 10 + (unsigned long)(*p++ - '0');
		if (p == start || (*p >= '0' && *p <= '9'))
			return -1;
		parts[i] = (unsigned)n;
		if (*p == '\0')
			return i >= 1 ? 0 : -1;
		if (*p++ != '.')
			return -1;
	}
	return -1;
}

static int compare_parts(const unsigned a[3], const unsigned b[3])
{
	for (int i = 0; i < 3; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return 0;
}

const char *berth_elf_glibc_max(const struct berth_elf_deps *deps)
{
	const char *best = NULL;
	unsigned best_parts[3] = { 0, 0, 0 }, parts[3];

	for (size_t i = 0; i < deps->n_verdef; i++)
		if (berth_glibc_version(deps->verdef[i], parts) == 0 &&
		    (!best || compare_parts(parts, best_parts) > 0)) {
			best = deps->verdef[i];
			memcpy(best_parts, parts, sizeof(parts));
		}
	return best;
}
