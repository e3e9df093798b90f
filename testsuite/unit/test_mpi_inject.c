/*
 * test_mpi_inject.c - the ELF reader (node/elf_deps.c) on real and made
 * files, malformed ones included, and the site MPI's plan
 * (node/mpi_inject.c) against made image trees: what is bound where, and
 * every refusal, exactly.
 */
#include <elf.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_deps.h"
#include "mpi_inject.h"
#include "test_mpi_elf.h"
#include "unit.h"

static char dir[] = "/tmp/berth-mpi-inject-XXXXXX";
static char image[600], site[600];
static int image_fd = -1;

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(image, sizeof(image), "%s/image", dir);
	snprintf(site, sizeof(site), "%s/site", dir);
}

static void teardown(void)
{
	char cmd[700];

	if (image_fd >= 0)
		close(image_fd);
	image_fd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(dir, sizeof(dir), "/tmp/berth-mpi-inject-XXXXXX");
}

static void path_of(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", dir, name);
}

static void make_dirs(const char *name)
{
	char cmd[800];

	snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", dir, name);
	ck_assert_int_eq(system(cmd), 0);
}

static void write_text(const char *name, const char *text)
{
	char path[700];
	FILE *f;

	path_of(path, sizeof(path), name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void write_elf(const char *name, const struct test_elf *spec)
{
	char path[700];

	path_of(path, sizeof(path), name);
	test_elf_write(path, spec);
}

static void link_to(const char *target, const char *name)
{
	char path[700];

	path_of(path, sizeof(path), name);
	ck_assert_int_eq(symlink(target, path), 0);
}

static int read_deps(const char *path, struct berth_elf_deps *deps, struct berth_error *err)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC), rc;

	ck_assert_int_ge(fd, 0);
	rc = berth_elf_deps_read(fd, deps, err);
	close(fd);
	return rc;
}

/* ------------------------------------------------------------ ELF */

START_TEST(test_elf_made)
{
	static const char *const needed[] = { "libhwloc.so.15", "libc.so.6", NULL };
	static const char *const needs[] = { "libc.so.6:GLIBC_2.2.5", "libm.so.6:GLIBC_2.29", "libc.so.6:GLIBC_2.34",
					     NULL };
	static const char *const defines[] = { "MPI_1", "MPI_2", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	char path[700];

	write_elf("lib.so", &(struct test_elf){ needed, needs, defines, "libmpi.so.12" });
	path_of(path, sizeof(path), "lib.so");
	ck_assert_msg(read_deps(path, &deps, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(deps.n_needed, 2);
	ck_assert_str_eq(deps.needed[0], "libhwloc.so.15");
	ck_assert_str_eq(deps.needed[1], "libc.so.6");
	ck_assert_uint_eq(deps.n_verneed, 3);
	ck_assert_str_eq(deps.verneed[0].file, "libc.so.6");
	ck_assert_str_eq(deps.verneed[0].version, "GLIBC_2.2.5");
	ck_assert_str_eq(deps.verneed[1].file, "libc.so.6");
	ck_assert_str_eq(deps.verneed[1].version, "GLIBC_2.34");
	ck_assert_str_eq(deps.verneed[2].file, "libm.so.6");
	ck_assert_str_eq(deps.verneed[2].version, "GLIBC_2.29");
	ck_assert_uint_eq(deps.n_verdef, 2);   /* the base (the soname) is not a version */
	ck_assert_int_eq(berth_elf_defines(&deps, "MPI_2"), 1);
	ck_assert_int_eq(berth_elf_defines(&deps, "libmpi.so.12"), 0);
	ck_assert_ptr_null(berth_elf_glibc_max(&deps));
	berth_elf_deps_free(&deps);
}
END_TEST

/* The test program itself and the libc it runs on: real linker output. */
START_TEST(test_elf_real)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	char line[1024], libc[600] = "";
	bool needs_glibc = false, needs_libc = false;
	FILE *maps;

	ck_assert_msg(read_deps("/proc/self/exe", &deps, &err) == 0, "%s", err.msg);
	for (size_t i = 0; i < deps.n_needed; i++)
		needs_libc |= strcmp(deps.needed[i], "libc.so.6") == 0;
	for (size_t i = 0; i < deps.n_verneed; i++)
		needs_glibc |= strcmp(deps.verneed[i].file, "libc.so.6") == 0 &&
			       strncmp(deps.verneed[i].version, "GLIBC_2.", 8) == 0;
	ck_assert(needs_libc && needs_glibc);
	berth_elf_deps_free(&deps);
	ck_assert_ptr_nonnull(maps = fopen("/proc/self/maps", "r"));
	while (!libc[0] && fgets(line, sizeof(line), maps)) {
		char *p = strchr(line, '/');

		if (p && strstr(p, "/libc.so.6")) {
			p[strcspn(p, "\n")] = '\0';
			snprintf(libc, sizeof(libc), "%s", p);
		}
	}
	fclose(maps);
	ck_assert_msg(libc[0], "libc.so.6 not in /proc/self/maps");
	ck_assert_msg(read_deps(libc, &deps, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(berth_elf_defines(&deps, "GLIBC_2.2.5") || berth_elf_defines(&deps, "GLIBC_2.17"), 1);
	ck_assert_ptr_nonnull(berth_elf_glibc_max(&deps));
	ck_assert(berth_elf_defines(&deps, berth_elf_glibc_max(&deps)));
	berth_elf_deps_free(&deps);
}
END_TEST

START_TEST(test_glibc_versions)
{
	static const char *const defines[] = { "GLIBC_2.2.5", "GLIBC_2.34", "GLIBC_2.4", "GLIBC_PRIVATE", "GLIBC_2.36",
					       "GLIBC_2.3.4", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	unsigned parts[3];
	char path[700];

	ck_assert_int_eq(berth_glibc_version("GLIBC_2.2.5", parts), 0);
	ck_assert(parts[0] == 2 && parts[1] == 2 && parts[2] == 5);
	ck_assert_int_eq(berth_glibc_version("GLIBC_2.34", parts), 0);
	ck_assert(parts[0] == 2 && parts[1] == 34 && parts[2] == 0);
	for (const char *const *bad = (const char *const[]){ "GLIBC_PRIVATE", "GLIBC_2", "GLIBC_2.34x", "GLIBC_2..3",
							     "GLIBCXX_3.4.30", "GLIBC_2.3.4.5", "GLIBC_1234567.1",
							     NULL };
	     *bad; bad++)
		ck_assert_msg(berth_glibc_version(*bad, parts) == -1, "%s", *bad);
	write_elf("libc.so.6", &(struct test_elf){ NULL, NULL, defines, "libc.so.6" });
	path_of(path, sizeof(path), "libc.so.6");
	ck_assert_msg(read_deps(path, &deps, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(berth_elf_glibc_max(&deps), "GLIBC_2.36");
	berth_elf_deps_free(&deps);
}
END_TEST

/* A made file, changed by change(buf, size), is refused with message. */
static void refused(void (*change)(unsigned char *buf, size_t *size), const char *message)
{
	static const char *const needed[] = { "libc.so.6", NULL };
	static const char *const needs[] = { "libc.so.6:GLIBC_2.34", NULL };
	static _Alignas(16) unsigned char buf[TEST_ELF_MAX];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	size_t size = test_elf_build(&(struct test_elf){ needed, needs, NULL, NULL }, buf);
	char path[700];
	FILE *f;

	change(buf, &size);
	path_of(path, sizeof(path), "bad.so");
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
	fclose(f);
	ck_assert_int_eq(read_deps(path, &deps, &err), -1);
	ck_assert_str_eq(err.msg, message);
	berth_elf_deps_free(&deps);
}

static Elf64_Shdr *section(unsigned char *buf, int index)
{
	Elf64_Ehdr eh;

	memcpy(&eh, buf, sizeof(eh));
	return (Elf64_Shdr *)(void *)(buf + eh.e_shoff) + index;
}

static void empty(unsigned char *buf, size_t *size) { (void)buf; *size = 0; }
static void not_elf(unsigned char *buf, size_t *size) { (void)size; buf[1] = 'X'; }
static void elf32(unsigned char *buf, size_t *size) { (void)size; buf[EI_CLASS] = ELFCLASS32; }
static void cut(unsigned char *buf, size_t *size) { (void)buf; *size -= 10; }
static void huge_section(unsigned char *buf, size_t *size) { (void)size; section(buf, 2)->sh_size = 1ULL << 40; }
static void bad_link(unsigned char *buf, size_t *size) { (void)size; section(buf, 2)->sh_link = 2; }
static void bad_string(unsigned char *buf, size_t *size)
{
	Elf64_Dyn d;

	(void)size;
	memcpy(&d, buf + section(buf, 2)->sh_offset, sizeof(d));
	d.d_un.d_val = 1U << 20;
	memcpy(buf + section(buf, 2)->sh_offset, &d, sizeof(d));
}
static void runaway_need(unsigned char *buf, size_t *size)
{
	Elf64_Verneed vn;
	unsigned char *at = buf + section(buf, 3)->sh_offset;

	(void)size;
	memcpy(&vn, at, sizeof(vn));
	vn.vn_aux = 1U << 30;
	memcpy(at, &vn, sizeof(vn));
}
static void unprintable(unsigned char *buf, size_t *size)
{
	(void)size;
	buf[section(buf, 1)->sh_offset + 1] = '\n';
}

START_TEST(test_elf_malformed)
{
	refused(empty, "not an ELF file");
	refused(not_elf, "not an ELF file");
	refused(elf32, "not a 64-bit ELF file of this machine's byte order");
	refused(cut, "section headers run past the end of the file");
	refused(huge_section, "section 2 runs past the end of the file");
	refused(bad_link, "section 2 is not of the expected type");
	refused(bad_string, "needed libraries: string offset out of its table");
	refused(runaway_need, "version needs: version needs run past their section");
	refused(unprintable, "needed libraries: unprintable string in the string table");
}
END_TEST

START_TEST(test_elf_not_a_file)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_elf_deps deps;
	char path[700];
	int fd;

	path_of(path, sizeof(path), "fifo");
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	ck_assert_int_ge(fd = open(path, O_RDONLY | O_NONBLOCK), 0);
	ck_assert_int_eq(berth_elf_deps_read(fd, &deps, &err), -1);
	ck_assert_str_eq(err.msg, "not a regular file");
	close(fd);
}
END_TEST

/* ------------------------------------------------------------ the plan */

static const char *const glibc_new[] = { "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.34", "GLIBC_2.36", NULL };
static const char *const glibc_old[] = { "GLIBC_2.2.5", "GLIBC_2.17", "GLIBC_2.31", NULL };

/* An image with merged /usr, its libraries in /usr/lib/testarch (named in
 * ld.so.conf.d, and again through /lib), and glibc of defines. */
static void make_image(const char *const *glibc)
{
	make_dirs("image/usr/lib/testarch");
	make_dirs("image/etc/ld.so.conf.d");
	make_dirs("site");
	link_to("usr/lib", "image/lib");
	write_text("image/etc/ld.so.conf.d/testarch.conf", "# multiarch\n/usr/lib/testarch\n/lib/testarch\n");
	write_elf("image/usr/lib/testarch/libc.so.6", &(struct test_elf){ NULL, NULL, glibc, "libc.so.6" });
	ck_assert_int_ge(image_fd = open(image, O_PATH | O_DIRECTORY | O_CLOEXEC), 0);
}

/* The image's MPICH (Debian's names, a link to the versioned file). */
static void image_mpich(void)
{
	write_elf("image/usr/lib/testarch/libmpich.so.12.3.0", &(struct test_elf){ NULL, NULL, NULL, NULL });
	link_to("libmpich.so.12.3.0", "image/usr/lib/testarch/libmpich.so.12");
}

static void site_lib(const char *name, const char *const *needed, const char *const *needs)
{
	char rel[300];

	snprintf(rel, sizeof(rel), "site/%s", name);
	write_elf(rel, &(struct test_elf){ needed, needs, NULL, name });
}

static const char *const needs_hwloc[] = { "libhwloc.so.15", "libc.so.6", NULL };
static const char *const glibc_2_17[] = { "libc.so.6:GLIBC_2.2.5", "libc.so.6:GLIBC_2.17", NULL };
static const char *const glibc_2_34[] = { "libc.so.6:GLIBC_2.2.5", "libc.so.6:GLIBC_2.34", NULL };

static int plan(struct berth_mpi_plan *p, struct berth_error *err)
{
	return berth_mpi_plan(image_fd, site, "site-mpich", p, err);
}

START_TEST(test_plan_debian_names)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mpi_plan p;
	char want[700];

	make_image(glibc_new);
	image_mpich();
	site_lib("libmpich.so.12", needs_hwloc, glibc_2_34);
	site_lib("libhwloc.so.15", NULL, glibc_2_17);
	ck_assert_msg(plan(&p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.n_binds, 1);   /* /lib/testarch is the same file */
	ck_assert_str_eq(p.binds[0].image_path, "/usr/lib/testarch/libmpich.so.12");
	snprintf(want, sizeof(want), "%s/libmpich.so.12", site);
	ck_assert_str_eq(p.binds[0].site_path, want);
}
END_TEST

/* An upstream build's names in the site, Debian's in the image, and the
 * other way round; every role the image has. */
START_TEST(test_plan_other_names)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mpi_plan p;
	char want[700];

	make_image(glibc_new);
	image_mpich();
	write_elf("image/usr/lib/testarch/libmpifort.so.12", &(struct test_elf){ NULL, NULL, NULL, NULL });
	site_lib("libmpi.so.12", NULL, glibc_2_17);
	site_lib("libmpichfort.so.12", (const char *const[]){ "libmpi.so.12", NULL }, glibc_2_17);
	ck_assert_msg(plan(&p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.n_binds, 2);
	ck_assert_str_eq(p.binds[0].image_path, "/usr/lib/testarch/libmpich.so.12");
	snprintf(want, sizeof(want), "%s/libmpi.so.12", site);
	ck_assert_str_eq(p.binds[0].site_path, want);
	ck_assert_str_eq(p.binds[1].image_path, "/usr/lib/testarch/libmpifort.so.12");
	snprintf(want, sizeof(want), "%s/libmpichfort.so.12", site);
	ck_assert_str_eq(p.binds[1].site_path, want);
}
END_TEST

/* tmpl with its "%s" (if any) replaced by value */
static void expand(char *buf, size_t size, const char *tmpl, const char *value)
{
	const char *at = strstr(tmpl, "%s");

	if (!at)
		snprintf(buf, size, "%s", tmpl);
	else
		snprintf(buf, size, "%.*s%s%s", (int)(at - tmpl), tmpl, value, at + 2);
}

/* Each refusal: the image and site as made by make(), the exact message. */
struct refusal {
	void (*make)(void);
	const char *message;   /* "%s": the site directory */
};

static void old_glibc(void)
{
	make_image(glibc_old);
	image_mpich();
	site_lib("libmpich.so.12", needs_hwloc, glibc_2_34);
	site_lib("libhwloc.so.15", NULL, glibc_2_17);
}

static void old_glibc_for_a_dependency(void)
{
	make_image(glibc_old);
	image_mpich();
	site_lib("libmpich.so.12", needs_hwloc, glibc_2_17);
	site_lib("libhwloc.so.15", NULL, glibc_2_34);
}

static void no_mpi_in_image(void)
{
	make_image(glibc_new);
	site_lib("libmpich.so.12", NULL, glibc_2_17);
}

/* image content is untrusted: a link out of the image, a FIFO */
static void hostile_image(void)
{
	char path[700];

	make_image(glibc_new);
	link_to("/../../../../usr/lib/x86_64-linux-gnu/libc.so.6", "image/usr/lib/testarch/libmpi.so.12");
	path_of(path, sizeof(path), "image/usr/lib/testarch/libmpich.so.12");
	ck_assert_int_eq(mkfifo(path, 0644), 0);
	site_lib("libmpich.so.12", NULL, glibc_2_17);
}

static void no_mpi_in_site(void)
{
	make_image(glibc_new);
	image_mpich();
	site_lib("libhwloc.so.15", NULL, glibc_2_17);
}

static void no_fortran_in_site(void)
{
	make_image(glibc_new);
	image_mpich();
	write_elf("image/usr/lib/testarch/libmpichfort.so.12", &(struct test_elf){ NULL, NULL, NULL, NULL });
	site_lib("libmpich.so.12", NULL, glibc_2_17);
}

static void missing_dependency(void)
{
	make_image(glibc_new);
	image_mpich();
	site_lib("libmpich.so.12", NULL, (const char *const[]){ "libucp.so.0:UCP_1.0", NULL });
}

static void old_libstdcxx(void)
{
	make_image(glibc_new);
	image_mpich();
	write_elf("image/usr/lib/testarch/libmpichcxx.so.12", &(struct test_elf){ NULL, NULL, NULL, NULL });
	write_elf("image/usr/lib/testarch/libstdc++.so.6",
		  &(struct test_elf){ NULL, NULL, (const char *const[]){ "GLIBCXX_3.4.29", NULL }, NULL });
	site_lib("libmpich.so.12", NULL, glibc_2_17);
	site_lib("libmpichcxx.so.12", NULL, (const char *const[]){ "libstdc++.so.6:GLIBCXX_3.4.30", NULL });
}

static void glibc_in_site(void)
{
	make_image(glibc_new);
	image_mpich();
	site_lib("libmpich.so.12", NULL, glibc_2_17);
	site_lib("libc.so.6", NULL, NULL);
}

static void broken_image_libc(void)
{
	make_image(glibc_new);
	image_mpich();
	write_text("image/usr/lib/testarch/libc.so.6", "GROUP ( libc.so.6 )\n");
	site_lib("libmpich.so.12", NULL, glibc_2_17);
}

static const struct refusal refusals[] = {
	{ old_glibc, "--module site-mpich: the image's glibc is older than the site's MPI needs: libmpich.so.12 needs GLIBC_2.34 from libc.so.6, the image's has up to GLIBC_2.31" },
	{ old_glibc_for_a_dependency, "--module site-mpich: the image's glibc is older than the site's MPI needs: libhwloc.so.15 needs GLIBC_2.34 from libc.so.6, the image's has up to GLIBC_2.31" },
	{ no_mpi_in_image, "--module site-mpich: the image has no MPICH-ABI library (libmpi.so.12 or libmpich.so.12 in its library directories)" },
	{ hostile_image, "--module site-mpich: the image has no MPICH-ABI library (libmpi.so.12 or libmpich.so.12 in its library directories)" },
	{ no_mpi_in_site, "--module site-mpich: mpi_libs \"%s\" has no libmpi.so.12 or libmpich.so.12" },
	{ no_fortran_in_site, "--module site-mpich: the image has libmpichfort.so.12 and mpi_libs \"%s\" has no Fortran MPI library (libmpifort.so.12 or libmpichfort.so.12)" },
	{ missing_dependency, "--module site-mpich: the site's libmpich.so.12 needs libucp.so.0, which neither mpi_libs nor the image has" },
	{ old_libstdcxx, "--module site-mpich: the site's libmpichcxx.so.12 needs GLIBCXX_3.4.30 from libstdc++.so.6, which the image's /usr/lib/testarch/libstdc++.so.6 lacks" },
	{ glibc_in_site, "--module site-mpich: mpi_libs \"%s\" holds glibc's libc.so.6: leave glibc out, the image's own serves" },
	{ broken_image_libc, "--module site-mpich: the image's \"/usr/lib/testarch/libc.so.6\": not an ELF file" },
};

START_TEST(test_plan_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mpi_plan p;
	char want[1200];

	refusals[_i].make();
	expand(want, sizeof(want), refusals[_i].message, site);
	ck_assert_int_eq(plan(&p, &err), -1);
	ck_assert_str_eq(err.msg, want);
}
END_TEST

/* A multiarch image: the i386 libraries' directory comes first in
 * ld.so.conf.d, and its libc.so.6 and libmpich.so.12 are skipped (as the
 * loader skips them) */
START_TEST(test_plan_skips_other_machines)
{
	static _Alignas(16) unsigned char buf[TEST_ELF_MAX];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_mpi_plan p;
	char path[700];
	size_t size;
	FILE *f;

	make_image(glibc_new);
	image_mpich();
	make_dirs("image/usr/lib/i386-linux-gnu");
	write_text("image/etc/ld.so.conf.d/i386-linux-gnu.conf", "/usr/lib/i386-linux-gnu\n");
	size = test_elf_build(&(struct test_elf){ NULL, NULL, glibc_old, "libc.so.6" }, buf);
	buf[EI_CLASS] = ELFCLASS32;
	for (const char *const *name = (const char *const[]){ "libc.so.6", "libmpich.so.12", NULL }; *name; name++) {
		snprintf(path, sizeof(path), "%s/usr/lib/i386-linux-gnu/%s", image, *name);
		ck_assert_ptr_nonnull(f = fopen(path, "w"));
		ck_assert_uint_eq(fwrite(buf, 1, size, f), size);
		fclose(f);
	}
	site_lib("libmpich.so.12", NULL, glibc_2_34);
	ck_assert_msg(plan(&p, &err) == 0, "%s", err.msg);
	ck_assert_uint_eq(p.n_binds, 1);
	ck_assert_str_eq(p.binds[0].image_path, "/usr/lib/testarch/libmpich.so.12");
}
END_TEST

START_TEST(test_image_lib_dirs)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char dirs[BERTH_MPI_LIB_DIRS_MAX][BERTH_MPI_PATH_MAX];
	size_t n;

	make_image(glibc_new);
	write_text("image/etc/ld.so.conf.d/a.conf", "include /etc/other/*.conf\n  /opt/a/lib:/opt/b/lib\n"
						    "/opt/c/../d/lib=libc6\n\nrelative/lib\n/usr/lib/testarch\n");
	ck_assert_int_eq(berth_mpi_image_lib_dirs(image_fd, dirs, &n, &err), 0);
	ck_assert_uint_ge(n, 4);
	ck_assert_str_eq(dirs[0], "/opt/a/lib");      /* a.conf before testarch.conf */
	ck_assert_str_eq(dirs[1], "/opt/d/lib");
	ck_assert_str_eq(dirs[2], "/usr/lib/testarch");
	ck_assert_str_eq(dirs[3], "/lib/testarch");
	ck_assert_str_eq(dirs[n - 1], "/usr/local/lib");
}
END_TEST

static Suite *mpi_inject_suite(void)
{
	Suite *s = suite_create("mpi_inject");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);

	tcase_add_test(tc, test_elf_made);
	tcase_add_test(tc, test_elf_real);
	tcase_add_test(tc, test_glibc_versions);
	tcase_add_test(tc, test_elf_malformed);
	tcase_add_test(tc, test_elf_not_a_file);
	tcase_add_test(tc, test_plan_debian_names);
	tcase_add_test(tc, test_plan_other_names);
	tcase_add_loop_test(tc, test_plan_refused, 0, ARRAY_LEN(refusals));
	tcase_add_test(tc, test_plan_skips_other_machines);
	tcase_add_test(tc, test_image_lib_dirs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(mpi_inject_suite());
}
