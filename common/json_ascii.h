/*
 * json_ascii.h - JSON text made ASCII before json-c's strict tokener sees it.
 *
 * Why: json-c 0.18 (Debian 13, sid) with JSON_TOKENER_STRICT refuses every
 * byte >= 0x80 inside a string ("invalid string sequence"; with
 * JSON_TOKENER_VALIDATE_UTF8, "invalid utf-8 string"), so valid UTF-8 -
 * an image's label, an environment value, text json-c wrote itself - would
 * not parse back.  Each non-ASCII UTF-8 character becomes a \uXXXX escape
 * (a surrogate pair above U+FFFF): the same document, which every json-c
 * parses alike.  Text that is not valid UTF-8 is refused here, so the strict
 * parse is as strict on every json-c.
 */
#ifndef BERTH_JSON_ASCII_H_
#define BERTH_JSON_ASCII_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_error.h"

/* 0 and *out NULL: text (len bytes) is ASCII, parse it as it is.  0 and *out
 * set: the escaped text (malloc'd, NUL-terminated, *out_len bytes).  -1 with
 * err (EILSEQ): malformed UTF-8, or a non-ASCII character right after a
 * backslash (an invalid escape the rewrite must not turn into a valid one). */
int berth_json_ascii(const char *text, size_t len, char **out, size_t *out_len,
		     struct berth_error *err);

/* Whether len bytes at s are well-formed UTF-8 (RFC 3629). */
bool berth_utf8_valid(const char *s, size_t len);

#endif
