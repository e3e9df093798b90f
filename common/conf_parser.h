/*
 * conf_parser.h - the one configuration parser of berth.
 *
 * Used for berth.conf, berth-gateway.conf and the plugstack.conf arguments of
 * the SPANK plugin.  A schema is a table of struct berth_conf_key; values are
 * stored into a caller-provided struct at the given offsets.
 *
 * File syntax:
 *   # comment             lines whose first non-blank character is '#'
 *                         (no comments after a value: '#' there is text)
 *   key = value          blanks around key and value are ignored
 *   key = "  value  "    matching double quotes around the whole value are
 *                         removed (no escapes inside); this keeps blanks and
 *                         gives an explicitly empty string ("").  A value that
 *                         starts with '"' but does not end with one is an error.
 *   key = long \         a trailing backslash continues the value on the next
 *         value            line (joined with one space); continuation lines are
 *                         taken literally, even if they start with '#'; a
 *                         backslash on the last line of the file is an error
 *   blank lines are ignored; CR-LF line ends are accepted.
 * Keys are case-sensitive.  Errors name the place, with the number of the
 * first line of a continued line:
 *   "/etc/berth/berth.conf:12: unknown key \"imagedir\""
 *   "berth.conf:3: lookup_timeout: invalid duration \"2x\" (use ms, s, m, h or d)"
 * A key given twice: the last one wins (like slurm.conf); a line without '='
 * is an error.  A file is at most 1 MiB and must not contain NUL bytes.
 *
 * Values (no blanks inside numbers; an empty value is an error for every
 * type but STRING; a leading '-' is reported as negative):
 *   BOOL      yes/no, true/false, on/off, 1/0 (case-insensitive)
 *   SIZE      bytes with optional suffix K, M, G, T (powers of 1024; "KiB",
 *             "KB", "k" accepted, also a plain "B"), e.g. "512M"; stored as
 *             uint64_t bytes; integers only
 *   DURATION  number with unit ms, s, m, h, d (lowercase; no unit = seconds),
 *             e.g. "2s", "500ms", "1h", "0"; stored as uint64_t milliseconds
 *   UINT      decimal, stored as unsigned int, within [min,max]
 *   STRING    any text, stored as malloc'd char *
 *   PATH      absolute path, normalised ("//" and "/./" collapsed, no trailing
 *             '/'; ".." is refused), stored as malloc'd char *
 * Quoted excerpts of bad values in messages are bounded and sanitised.
 *
 * On failure the destination struct holds whatever was stored so far (always
 * a consistent state): release it with berth_conf_free().
 */
#ifndef BERTH_CONF_PARSER_H_
#define BERTH_CONF_PARSER_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "berth_error.h"

enum berth_conf_type {
	BERTH_CONF_BOOL,      /* bool */
	BERTH_CONF_SIZE,      /* uint64_t, bytes */
	BERTH_CONF_DURATION,  /* uint64_t, milliseconds */
	BERTH_CONF_UINT,      /* unsigned int */
	BERTH_CONF_STRING,    /* char * (malloc'd, freed by berth_conf_free) */
	BERTH_CONF_PATH,      /* char *, absolute */
};

struct berth_conf_key {
	const char *name;
	enum berth_conf_type type;
	size_t offset;               /* offsetof(struct your_config, field) */
	const char *default_value;   /* parsed like a file value; NULL = zero/NULL */
	unsigned min, max;           /* UINT only; both 0 = no bounds */
	const char *help;            /* one line, for docs and --help */
};

#define BERTH_CONF_END { NULL, 0, 0, NULL, 0, 0, NULL }

/* Shared value parsers (also used outside config files). */
int berth_parse_bool(const char *text, bool *out, struct berth_error *err);
int berth_parse_size(const char *text, uint64_t *out, struct berth_error *err);
int berth_parse_duration_ms(const char *text, uint64_t *out, struct berth_error *err);
int berth_parse_uint(const char *text, unsigned min, unsigned max, unsigned *out,
		     struct berth_error *err);

/* Store every key's default into dst (dst should be zeroed first: STRING and
 * PATH fields already set are freed and replaced).  A default that does not
 * parse is a schema bug, reported as "built-in default: <key>: ...". */
int berth_conf_defaults(const struct berth_conf_key *schema, void *dst,
			struct berth_error *err);

/* Set one key from text, as a file line would (value used as given: no
 * trimming, no unquoting).  Unknown key or bad value is an error naming the
 * key: "unknown key \"x\"", "max_volumes: number \"0\" is out of range (1..64)". */
int berth_conf_set(const struct berth_conf_key *schema, void *dst,
		   const char *key, const char *value, struct berth_error *err);

/* Parse "key=value" words (plugstack arguments), strictly: the value is
 * everything after the first '=', untrimmed; a word without '=' or with an
 * empty key is an error, as is an unknown key. */
int berth_conf_parse_args(const struct berth_conf_key *schema, void *dst,
			  int argc, char **argv, struct berth_error *err);

/* Parse a whole file on top of what dst holds (call berth_conf_defaults
 * first).  Errors carry "path:line: ". */
int berth_conf_parse_file(const struct berth_conf_key *schema, void *dst,
			  const char *path, struct berth_error *err);

/* Same, from an open file (read to its end; path is only used in
 * messages; fd stays open). */
int berth_conf_parse_fd(const struct berth_conf_key *schema, void *dst, int fd,
			const char *path, struct berth_error *err);

/* Same, from a string (path is only used in messages). */
int berth_conf_parse_buffer(const struct berth_conf_key *schema, void *dst,
			    const char *text, const char *path, struct berth_error *err);

/* Free the STRING/PATH fields of dst and set them to NULL (so calling it
 * twice is harmless). */
void berth_conf_free(const struct berth_conf_key *schema, void *dst);

#endif
