/*
 * unit_tmpdir.c - see unit_tmpdir.h.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "unit.h"
#include "unit_tmpdir.h"

char unit_tmpdir[64];

void unit_make_tmpdir(void)
{
	snprintf(unit_tmpdir, sizeof(unit_tmpdir), "/tmp/berth-test-conf.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(unit_tmpdir));
}

void unit_write_file(const char *name, const char *text, size_t len, char *path, size_t size)
{
	int fd;

	snprintf(path, size, "%s/%s", unit_tmpdir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, len), (ssize_t)len);
	close(fd);
}

void unit_remove_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", unit_tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
