/*
 * conf_parser.c - see conf_parser.h.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_parser.h"

#define CONF_FILE_MAX (1024 * 1024)
#define EXCERPT_MAX 80  /* longest quoted excerpt of a bad value, with "..." */

/* A bounded, one-line copy of untrusted text for a message. */
static const char *excerpt_n(const char *text, size_t len, char *buf, size_t size)
{
	if (len < size) {
		memcpy(buf, text, len);
		buf[len] = '\0';
	} else {
		memcpy(buf, text, size - 4);
		memcpy(buf + size - 4, "...", 4);
	}
	berth_error_sanitize(buf);
	return buf;
}

static const char *excerpt(const char *text, char *buf, size_t size)
{
	return excerpt_n(text, strlen(text), buf, size);
}

/* ------------------------------------------------------------ values */

enum number_scan {
	NUMBER_OK,
	NUMBER_EMPTY,
	NUMBER_NEGATIVE,
	NUMBER_INVALID,
};

/* Leading decimal digits of text; *rest points after them.  Overflow is
 * reported separately so that "99999999999999999999x" is called invalid
 * rather than too large. */
static enum number_scan scan_number(const char *text, uint64_t *value, const char **rest,
				    bool *overflow)
{
	const char *p = text;
	uint64_t v = 0;

	*overflow = false;
	if (!*p)
		return NUMBER_EMPTY;
	if (p[0] == '-' && isdigit((unsigned char)p[1]))
		return NUMBER_NEGATIVE;
	if (!isdigit((unsigned char)*p))
		return NUMBER_INVALID;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned digit = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - digit) / 10)
			*overflow = true;
		else
			v = v * 10 + digit;
	}
	*value = v;
	*rest = p;
	return NUMBER_OK;
}

/* scan_number with the common messages: kind is "size", "duration" or
 * "number"; hint follows the "invalid" message. */
static int number_or_fail(const char *text, const char *kind, const char *hint,
			  uint64_t *value, const char **rest, bool *overflow,
			  struct berth_error *err)
{
	char q[EXCERPT_MAX];

	switch (scan_number(text, value, rest, overflow)) {
	case NUMBER_OK:
		return 0;
	case NUMBER_EMPTY:
		return berth_error_set(err, EINVAL, "empty value");
	case NUMBER_NEGATIVE:
		return berth_error_set(err, EINVAL, "%s \"%s\" is negative", kind,
				       excerpt(text, q, sizeof(q)));
	default:
		return berth_error_set(err, EINVAL, "invalid %s \"%s\"%s", kind,
				       excerpt(text, q, sizeof(q)), hint);
	}
}

int berth_parse_bool(const char *text, bool *out, struct berth_error *err)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "yes", true }, { "no", false }, { "true", true }, { "false", false },
		{ "on", true }, { "off", false }, { "1", true }, { "0", false },
	};
	char q[EXCERPT_MAX];

	if (!*text)
		return berth_error_set(err, EINVAL, "empty value");
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcasecmp(text, words[i].word) == 0) {
			*out = words[i].value;
			return 0;
		}
	}
	return berth_error_set(err, EINVAL,
			       "invalid boolean \"%s\" (use yes/no, true/false, on/off or 1/0)",
			       excerpt(text, q, sizeof(q)));
}

/* "", "B", "K", "KB", "KiB" (any case) -> shift; -1 if not a size unit. */
static int size_shift(const char *unit)
{
	static const char letters[] = "KMGT";
	const char *letter;

	if (!*unit || strcasecmp(unit, "B") == 0)
		return 0;
	letter = strchr(letters, toupper((unsigned char)*unit));
	if (!letter || !*letter)
		return -1;
	unit++;
	if (*unit && strcasecmp(unit, "B") != 0 && strcasecmp(unit, "iB") != 0)
		return -1;
	return 10 * (int)(letter - letters + 1);
}

int berth_parse_size(const char *text, uint64_t *out, struct berth_error *err)
{
	static const char hint[] = " (use bytes or K, M, G, T)";
	char q[EXCERPT_MAX];
	const char *unit;
	uint64_t value;
	bool overflow;
	int shift;

	if (number_or_fail(text, "size", hint, &value, &unit, &overflow, err) < 0)
		return -1;
	if ((shift = size_shift(unit)) < 0)
		return berth_error_set(err, EINVAL, "invalid size \"%s\"%s",
				       excerpt(text, q, sizeof(q)), hint);
	if (overflow || value > (UINT64_MAX >> shift))
		return berth_error_set(err, ERANGE, "size \"%s\" is too large",
				       excerpt(text, q, sizeof(q)));
	*out = value << shift;
	return 0;
}

int berth_parse_duration_ms(const char *text, uint64_t *out, struct berth_error *err)
{
	static const struct {
		const char *unit;
		uint64_t ms;
	} units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60 * 1000 },
		{ "h", 60 * 60 * 1000 }, { "d", 24 * 60 * 60 * 1000 },
	};
	static const char hint[] = " (use ms, s, m, h or d)";
	char q[EXCERPT_MAX];
	const char *unit;
	uint64_t value;
	bool overflow;

	if (number_or_fail(text, "duration", hint, &value, &unit, &overflow, err) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit) != 0)
			continue;
		if (overflow || value > UINT64_MAX / units[i].ms)
			return berth_error_set(err, ERANGE, "duration \"%s\" is too large",
					       excerpt(text, q, sizeof(q)));
		*out = value * units[i].ms;
		return 0;
	}
	return berth_error_set(err, EINVAL, "invalid duration \"%s\"%s",
			       excerpt(text, q, sizeof(q)), hint);
}

int berth_parse_uint(const char *text, unsigned min, unsigned max, unsigned *out,
		     struct berth_error *err)
{
	char q[EXCERPT_MAX];
	const char *rest;
	uint64_t value;
	bool overflow;

	if (number_or_fail(text, "number", "", &value, &rest, &overflow, err) < 0)
		return -1;
	if (*rest)
		return berth_error_set(err, EINVAL, "invalid number \"%s\"",
				       excerpt(text, q, sizeof(q)));
	if (!min && !max)
		max = UINT_MAX;
	if (overflow || value < min || value > max)
		return berth_error_set(err, ERANGE, "number \"%s\" is out of range (%u..%u)",
				       excerpt(text, q, sizeof(q)), min, max);
	*out = (unsigned)value;
	return 0;
}

/* Absolute path with "//", "/./" and a trailing '/' removed, ".." refused. */
static int normalise_path(const char *text, char **out, struct berth_error *err)
{
	size_t len = strlen(text), used = 0;
	char q[EXCERPT_MAX];
	const char *p = text;
	char *path;

	if (!len)
		return berth_error_set(err, EINVAL, "empty value");
	if (text[0] != '/')
		return berth_error_set(err, EINVAL, "path \"%s\" is not absolute",
				       excerpt(text, q, sizeof(q)));
	if (len >= PATH_MAX)
		return berth_error_set(err, ENAMETOOLONG, "path \"%s\" is too long",
				       excerpt(text, q, sizeof(q)));
	if (!(path = malloc(len + 1)))
		return berth_error_errno(err, ENOMEM, "path \"%s\"", excerpt(text, q, sizeof(q)));
	while (*p) {
		size_t n;

		while (*p == '/')
			p++;
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			free(path);
			return berth_error_set(err, EINVAL, "path \"%s\": \"..\" is not allowed",
					       excerpt(text, q, sizeof(q)));
		}
		if (n && !(n == 1 && p[0] == '.')) {
			path[used++] = '/';
			memcpy(path + used, p, n);
			used += n;
		}
		p += n;
	}
	if (!used)
		path[used++] = '/';
	path[used] = '\0';
	*out = path;
	return 0;
}

/* ------------------------------------------------------------ keys */

static void *field_of(const struct berth_conf_key *key, void *dst)
{
	return (char *)dst + key->offset;
}

static void replace_string(const struct berth_conf_key *key, void *dst, char *value)
{
	char **slot = field_of(key, dst);

	free(*slot);
	*slot = value;
}

static int store_value(const struct berth_conf_key *key, void *dst, const char *value,
		       struct berth_error *err)
{
	char *copy = NULL;

	switch (key->type) {
	case BERTH_CONF_BOOL:
		return berth_parse_bool(value, field_of(key, dst), err);
	case BERTH_CONF_SIZE:
		return berth_parse_size(value, field_of(key, dst), err);
	case BERTH_CONF_DURATION:
		return berth_parse_duration_ms(value, field_of(key, dst), err);
	case BERTH_CONF_UINT:
		return berth_parse_uint(value, key->min, key->max, field_of(key, dst), err);
	case BERTH_CONF_STRING:
		if (!(copy = strdup(value)))
			return berth_error_errno(err, ENOMEM, "copying value");
		break;
	case BERTH_CONF_PATH:
		if (normalise_path(value, &copy, err) < 0)
			return -1;
		break;
	default:
		return berth_error_set(err, EINVAL, "unknown value type %d", (int)key->type);
	}
	replace_string(key, dst, copy);
	return 0;
}

static void store_zero(const struct berth_conf_key *key, void *dst)
{
	switch (key->type) {
	case BERTH_CONF_BOOL:
		*(bool *)field_of(key, dst) = false;
		break;
	case BERTH_CONF_SIZE:
	case BERTH_CONF_DURATION:
		*(uint64_t *)field_of(key, dst) = 0;
		break;
	case BERTH_CONF_UINT:
		*(unsigned *)field_of(key, dst) = 0;
		break;
	case BERTH_CONF_STRING:
	case BERTH_CONF_PATH:
		replace_string(key, dst, NULL);
		break;
	}
}

static const struct berth_conf_key *find_key(const struct berth_conf_key *schema,
					     const char *name, size_t len)
{
	for (const struct berth_conf_key *key = schema; key->name; key++)
		if (strlen(key->name) == len && memcmp(key->name, name, len) == 0)
			return key;
	return NULL;
}

static int set_key_n(const struct berth_conf_key *schema, void *dst, const char *name,
		     size_t len, const char *value, struct berth_error *err)
{
	const struct berth_conf_key *key = find_key(schema, name, len);
	char q[EXCERPT_MAX];

	if (!key)
		return berth_error_set(err, EINVAL, "unknown key \"%s\"",
				       excerpt_n(name, len, q, sizeof(q)));
	if (store_value(key, dst, value, err) < 0)
		return berth_error_prefix(err, "%s", key->name);
	return 0;
}

int berth_conf_set(const struct berth_conf_key *schema, void *dst,
		   const char *key, const char *value, struct berth_error *err)
{
	if (!key || !value)
		return berth_error_set(err, EINVAL, "missing key or value");
	return set_key_n(schema, dst, key, strlen(key), value, err);
}

int berth_conf_defaults(const struct berth_conf_key *schema, void *dst,
			struct berth_error *err)
{
	for (const struct berth_conf_key *key = schema; key->name; key++) {
		if (!key->default_value) {
			store_zero(key, dst);
			continue;
		}
		if (store_value(key, dst, key->default_value, err) < 0) {
			berth_error_prefix(err, "%s", key->name);
			return berth_error_prefix(err, "built-in default");
		}
	}
	return 0;
}

int berth_conf_parse_args(const struct berth_conf_key *schema, void *dst,
			  int argc, char **argv, struct berth_error *err)
{
	char q[EXCERPT_MAX];

	for (int i = 0; i < argc; i++) {
		const char *word = argv[i];
		const char *eq;

		if (!word)
			continue;
		if (!(eq = strchr(word, '=')))
			return berth_error_set(err, EINVAL, "argument \"%s\" is not key=value",
					       excerpt(word, q, sizeof(q)));
		if (eq == word)
			return berth_error_set(err, EINVAL, "argument \"%s\" has no key",
					       excerpt(word, q, sizeof(q)));
		if (set_key_n(schema, dst, word, (size_t)(eq - word), eq + 1, err) < 0)
			return -1;
	}
	return 0;
}

void berth_conf_free(const struct berth_conf_key *schema, void *dst)
{
	for (const struct berth_conf_key *key = schema; key->name; key++)
		if (key->type == BERTH_CONF_STRING || key->type == BERTH_CONF_PATH)
			replace_string(key, dst, NULL);
}

/* ------------------------------------------------------------ files */

struct line_cursor {
	char *next;        /* start of the next physical line, NULL at the end */
	unsigned lineno;   /* number of the line last returned */
};

/* Next physical line, NUL-terminated in place.  A final '\n' ends the last
 * line rather than starting an empty one. */
static char *next_line(struct line_cursor *cur)
{
	char *line = cur->next, *nl;

	if (!line || !*line)
		return NULL;
	if ((nl = strchr(line, '\n'))) {
		*nl = '\0';
		cur->next = nl + 1;
	} else {
		cur->next = NULL;
	}
	cur->lineno++;
	return line;
}

static char *skip_space(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

static size_t trimmed_len(const char *s, size_t len)
{
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return len;
}

/* Append continuation lines to s, in place: the joined text is never longer
 * than the physical lines it replaces ("\\\n" and blanks become one space). */
static int join_continuations(char *s, struct line_cursor *cur)
{
	size_t len = trimmed_len(s, strlen(s));

	while (len && s[len - 1] == '\\') {
		char *next = next_line(cur);
		size_t n;

		if (!next)
			return -1;
		len = trimmed_len(s, len - 1);
		next = skip_space(next);
		n = trimmed_len(next, strlen(next));
		s[len++] = ' ';
		memmove(s + len, next, n);
		len += n;
	}
	s[len] = '\0';
	return 0;
}

/* "key = value" (already joined) into key and value, trimmed and unquoted. */
static int split_line(char *s, char **key, char **value, struct berth_error *err)
{
	char *eq = strchr(s, '='), *v;
	char q[EXCERPT_MAX];
	size_t len;

	if (!eq)
		return berth_error_set(err, EINVAL, "line has no '='");
	*eq = '\0';
	s[trimmed_len(s, (size_t)(eq - s))] = '\0';
	if (!*s)
		return berth_error_set(err, EINVAL, "line has no key before '='");
	v = skip_space(eq + 1);
	len = trimmed_len(v, strlen(v));
	v[len] = '\0';
	if (v[0] == '"') {
		if (len < 2 || v[len - 1] != '"')
			return berth_error_set(err, EINVAL, "%s: value has no closing '\"'",
					       excerpt(s, q, sizeof(q)));
		v[len - 1] = '\0';
		v++;
	}
	*key = s;
	*value = v;
	return 0;
}

static int parse_line(const struct berth_conf_key *schema, void *dst, char *line,
		      struct line_cursor *cur, struct berth_error *err)
{
	char *s = skip_space(line), *key = NULL, *value = NULL;

	if (!*s || *s == '#')
		return 0;
	if (join_continuations(s, cur) < 0)
		return berth_error_set(err, EINVAL, "line continues past the end of the file");
	if (split_line(s, &key, &value, err) < 0)
		return -1;
	return berth_conf_set(schema, dst, key, value, err);
}

int berth_conf_parse_buffer(const struct berth_conf_key *schema, void *dst,
			    const char *text, const char *path, struct berth_error *err)
{
	struct line_cursor cur = { NULL, 0 };
	char *copy, *line;
	int rc = 0;

	if (!path)
		path = "(string)";
	if (!(copy = strdup(text)))
		return berth_error_errno(err, ENOMEM, "%s", path);
	cur.next = copy;
	while ((line = next_line(&cur))) {
		unsigned first = cur.lineno;

		if (parse_line(schema, dst, line, &cur, err) < 0) {
			rc = berth_error_prefix(err, "%s:%u", path, first);
			break;
		}
	}
	free(copy);
	return rc;
}

static int read_all(int fd, const char *path, char **text, size_t *len,
		    struct berth_error *err)
{
	struct stat st;
	size_t cap, used = 0;
	char *buf;

	if (fstat(fd, &st) < 0)
		return berth_error_errno(err, errno, "%s", path);
	if (!S_ISREG(st.st_mode))
		return berth_error_set(err, EINVAL, "%s: not a regular file", path);
	if (st.st_size > CONF_FILE_MAX)
		return berth_error_set(err, EFBIG, "%s: larger than %d bytes", path, CONF_FILE_MAX);
	/* One byte more than the size, so that a file that grew is noticed. */
	cap = (size_t)st.st_size + 2;
	if (!(buf = malloc(cap)))
		return berth_error_errno(err, ENOMEM, "%s", path);
	for (;;) {
		ssize_t n = read(fd, buf + used, cap - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;

			free(buf);
			return berth_error_errno(err, saved, "%s", path);
		}
		if (n == 0)
			break;
		used += (size_t)n;
		if (used == cap - 1) {
			free(buf);
			return berth_error_set(err, EBUSY, "%s: file changed while being read", path);
		}
	}
	buf[used] = '\0';
	*text = buf;
	*len = used;
	return 0;
}

int berth_conf_parse_file(const struct berth_conf_key *schema, void *dst,
			  const char *path, struct berth_error *err)
{
	int fd, rc;

	if (!path || !*path)
		return berth_error_set(err, EINVAL, "no configuration file given");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) < 0)
		return berth_error_errno(err, errno, "%s", path);
	rc = berth_conf_parse_fd(schema, dst, fd, path, err);
	close(fd);
	return rc;
}

int berth_conf_parse_fd(const struct berth_conf_key *schema, void *dst, int fd,
			const char *path, struct berth_error *err)
{
	char *text = NULL, *nul;
	size_t len = 0;
	int rc;

	if (read_all(fd, path, &text, &len, err) < 0)
		return -1;
	if ((nul = memchr(text, '\0', len))) {
		unsigned lineno = 1;

		for (const char *p = text; p < nul; p++)
			lineno += *p == '\n';
		free(text);
		return berth_error_set(err, EINVAL, "%s:%u: line contains a NUL byte", path, lineno);
	}
	rc = berth_conf_parse_buffer(schema, dst, text, path, err);
	free(text);
	return rc;
}
