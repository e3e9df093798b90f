/*
 * fuzz_util.h - what the libFuzzer targets of testsuite/fuzz/ share.
 *
 * Every target checks, besides "no crash, no leak, no undefined behaviour":
 *   - a failed call leaves a one-line printable message (doc/HACKING.md:
 *     untrusted text in a message is sanitised or quoted);
 *   - its own round trips and invariants (see each fuzz_<name>.c).
 * A broken invariant aborts through fz_fail(), which libFuzzer reports as a
 * crash and saves the input as an artifact.
 */
#ifndef BERTH_FUZZ_UTIL_H_
#define BERTH_FUZZ_UTIL_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

/* libFuzzer's entry points (defined by each target / by fuzz_util.c). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* Report a broken invariant and abort. */
void fz_fail(const char *file, int line, const char *cond, const char *fmt, ...)
	__attribute__((noreturn, format(printf, 4, 5)));

#define FZ_CHECK(cond, ...) \
	do { \
		if (!(cond)) \
			fz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__); \
	} while (0)

/* err holds a message of one printable line (no byte < 0x20 or 0x7f). */
void fz_check_error(const struct berth_error *err, const char *call);

/* A malloc'd NUL-terminated copy of data[0..size) (aborts on ENOMEM). */
char *fz_strndup(const uint8_t *data, size_t size);

/* true if the C string text has a byte < 0x20 or 0x7f. */
bool fz_has_control(const char *text);

/* The pieces of data separated by sep, NUL-terminated, in one malloc'd
 * block: at most FZ_FIELDS_MAX (the last one keeps the rest). */
#define FZ_FIELDS_MAX 64
struct fz_fields {
	char *block;
	char *field[FZ_FIELDS_MAX];
	size_t len[FZ_FIELDS_MAX];
	size_t count;
};
void fz_split(const uint8_t *data, size_t size, char sep, struct fz_fields *out);
void fz_fields_free(struct fz_fields *f);

/* This process's scratch directory (made by LLVMFuzzerInitialize under
 * $TMPDIR or /tmp, removed at a normal exit). */
const char *fz_tmpdir(void);
/* "<fz_tmpdir()>/<name>" into buf (aborts if it does not fit). */
void fz_path(char *buf, size_t size, const char *name);
/* Write data to path (created or truncated, 0600); aborts on failure. */
void fz_write_file(const char *path, const void *data, size_t size);
/* Names in dir (not "." or ".."), at most max, into names[] (malloc'd
 * strings); returns the count (more than max: max + 1). */
size_t fz_list_dir(const char *dir, char **names, size_t max);
/* Remove path and, for a directory, everything under it. */
void fz_remove_tree(const char *path);

#endif
