/*
 * fuzz_util.c - see fuzz_util.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_log.h"
#include "fuzz_util.h"

static char scratch[PATH_MAX];

void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "\n==FUZZ FINDING== %s:%d: check \"%s\" failed: ", file, line, cond);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

bool fz_has_control(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return true;
	return false;
}

void fz_check_error(const struct berth_error *err, const char *call)
{
	size_t len = strnlen(err->msg, sizeof(err->msg));

	FZ_CHECK(len < sizeof(err->msg), "%s: message not terminated", call);
	FZ_CHECK(len > 0, "%s failed without a message", call);
	FZ_CHECK(!fz_has_control(err->msg), "%s: message is not one printable line: \"%s\"",
		 call, err->msg);
	FZ_CHECK(err->code != 0, "%s failed with code 0: \"%s\"", call, err->msg);
}

char *fz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	if (size)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fz_split(const uint8_t *data, size_t size, char sep, struct fz_fields *out)
{
	char *p;

	memset(out, 0, sizeof(*out));
	out->block = fz_strndup(data, size);
	p = out->block;
	for (;;) {
		char *end = out->count + 1 < FZ_FIELDS_MAX ? memchr(p, sep, size - (size_t)(p - out->block)) : NULL;

		out->field[out->count] = p;
		out->len[out->count] = end ? (size_t)(end - p) : size - (size_t)(p - out->block);
		out->count++;
		if (!end)
			break;
		*end = '\0';
		p = end + 1;
	}
}

void fz_fields_free(struct fz_fields *f)
{
	free(f->block);
	memset(f, 0, sizeof(*f));
}

const char *fz_tmpdir(void)
{
	return scratch;
}

void fz_path(char *buf, size_t size, const char *name)
{
	int n = snprintf(buf, size, "%s/%s", scratch, name);

	FZ_CHECK(n > 0 && (size_t)n < size, "path too long");
}

void fz_write_file(const char *path, const void *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	const char *p = data;

	FZ_CHECK(fd >= 0, "open %s: %s", path, strerror(errno));
	while (size) {
		ssize_t n = write(fd, p, size);

		FZ_CHECK(n > 0, "write %s: %s", path, strerror(errno));
		p += n;
		size -= (size_t)n;
	}
	close(fd);
}

size_t fz_list_dir(const char *dir, char **names, size_t max)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t n = 0;

	FZ_CHECK(d != NULL, "opendir %s: %s", dir, strerror(errno));
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (n == max) {
			n++;
			break;
		}
		names[n] = strdup(e->d_name);
		FZ_CHECK(names[n] != NULL, "out of memory");
		n++;
	}
	closedir(d);
	return n;
}

void fz_remove_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st) < 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	if ((d = opendir(path))) {
		while ((e = readdir(d))) {
			char child[PATH_MAX];

			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (snprintf(child, sizeof(child), "%s/%s", path, e->d_name) < (int)sizeof(child))
				fz_remove_tree(child);
		}
		closedir(d);
	}
	rmdir(path);
}

static void quiet_sink(enum berth_log_level level, const char *line)
{
	(void)level;
	(void)line;
}

static void remove_scratch(void)
{
	if (scratch[0])
		fz_remove_tree(scratch);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");

	(void)argc;
	(void)argv;
	berth_log_set_sink(quiet_sink);
	snprintf(scratch, sizeof(scratch), "%s/berth-fuzz.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	FZ_CHECK(mkdtemp(scratch) != NULL, "mkdtemp %s: %s", scratch, strerror(errno));
	atexit(remove_scratch);
	return 0;
}
