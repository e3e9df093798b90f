/*
 * berth_error.h - the one error convention of berth (see doc/HACKING.md).
 *
 * A function that can fail returns int: 0 on success, -1 on failure, and
 * fills the caller's struct berth_error with an errno-like code and a
 * one-line, human-readable message.  Callers add context on the way up with
 * berth_error_prefix(); the plugin edge (SPANK hook, job_submit, job_container
 * op, gateway HTTP handler, CLI main) turns the message into what Slurm or the
 * user sees.  Nothing in berth calls exit() or fatal() outside main().
 *
 * The message lives in a fixed buffer inside the struct: reporting an error
 * never allocates, so it also works when memory is short.
 */
#ifndef BERTH_ERROR_H_
#define BERTH_ERROR_H_

#include <stddef.h>

#define BERTH_ERROR_MSG_MAX 512

struct berth_error {
	int code;                        /* errno value, EINVAL for bad input, or
					  * one of berth's own codes below */
	char msg[BERTH_ERROR_MSG_MAX];   /* one line, no trailing newline */
};

#define BERTH_ERROR_INIT { 0, { 0 } }

/* berth's own codes, above every errno value, for a condition a caller must
 * tell apart that no errno names (never by its message text).  strerror()
 * does not know them: set the message yourself. */
#define BERTH_ECODE_BASE 0x10000
#define BERTH_ENSPIN     (BERTH_ECODE_BASE + 1)  /* nsfs bind mount refused (node/job_namespace.c) */

/* Set the error (printf-style message) and return -1, so that
 * `return berth_error_set(err, EINVAL, "bad %s", x);` reads naturally.
 * err may be NULL (the error is then dropped). */
int berth_error_set(struct berth_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like berth_error_set, with ": <strerror(code)>" appended. */
int berth_error_errno(struct berth_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Put "<context>: " in front of the current message; returns -1. */
int berth_error_prefix(struct berth_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void berth_error_clear(struct berth_error *err);

/* Replace control characters (newlines, escapes) in untrusted text copied
 * into a message by '?', so every message stays one printable line. */
void berth_error_sanitize(char *text);

/* Untrusted text quoted in a message: at most BERTH_QUOTE_MAX bytes of
 * text[0..len), "..." appended when cut, anything outside printable ASCII
 * as '?'.  buf holds BERTH_QUOTE_SIZE bytes.  Returns buf. */
#define BERTH_QUOTE_MAX  64
#define BERTH_QUOTE_SIZE (BERTH_QUOTE_MAX + sizeof("..."))
const char *berth_error_quote(char *buf, const char *text, size_t len);

#endif
