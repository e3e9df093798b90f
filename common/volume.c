/*
 * volume.c - see volume.h.
 *
 * A spec is parsed into a local array and appended to the list only when
 * every volume in it is good, so a bad --volume never leaves half a spec
 * behind.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "volume.h"

#define SHOWN_MAX  BERTH_QUOTE_MAX            /* untrusted text quoted in a message */
#define SHOWN_SIZE BERTH_QUOTE_SIZE
#define VOLUME_SEPARATORS ";,"

static const struct {
	const char *name;
	unsigned flag;
} volume_flags[] = {   /* in the order berth_volume_list_format writes them */
	{ "ro", BERTH_VOLUME_RO },
	{ "rw", BERTH_VOLUME_RW },
	{ "rec", BERTH_VOLUME_REC },
};
#define FLAG_COUNT  (sizeof(volume_flags) / sizeof(volume_flags[0]))
#define FLAGS_KNOWN (BERTH_VOLUME_RO | BERTH_VOLUME_RW | BERTH_VOLUME_REC)

static bool equals(const char *text, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(text, word, len) == 0;
}

/* Normalised copy of an absolute path (no repeated or trailing '/', no "."
 * components) malloc'd into *out.  what names the part in messages. */
static int parse_path(const char *what, const char *path, size_t len, char **out,
		      struct berth_error *err)
{
	char s[SHOWN_SIZE];
	size_t pos = 0, start = 0;
	char *norm;

	if (len == 0)
		return berth_error_set(err, EINVAL, "empty %s", what);
	berth_error_quote(s, path, len);
	if (len > BERTH_VOLUME_PATH_MAX)
		return berth_error_set(err, EINVAL, "%s \"%s\" is longer than %d characters",
				       what, s, BERTH_VOLUME_PATH_MAX);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)path[i] < 0x20 || path[i] == 0x7f)
			return berth_error_set(err, EINVAL, "%s \"%s\" has a control character", what, s);
	if (path[0] != '/')
		return berth_error_set(err, EINVAL, "%s \"%s\" is not an absolute path", what, s);
	if (!(norm = malloc(len + 1)))
		return berth_error_errno(err, ENOMEM, "%s \"%s\"", what, s);
	while (start < len) {
		size_t end = start, n;

		while (end < len && path[end] != '/')
			end++;
		n = end - start;
		if (equals(path + start, n, "..")) {
			free(norm);
			return berth_error_set(err, EINVAL, "%s \"%s\" has a \"..\" component", what, s);
		}
		if (n > 0 && !equals(path + start, n, ".")) {
			norm[pos++] = '/';
			memcpy(norm + pos, path + start, n);
			pos += n;
		}
		start = end + 1;
	}
	if (pos == 0)
		norm[pos++] = '/';
	norm[pos] = '\0';
	*out = norm;
	return 0;
}

/* FLAG ('+' FLAG)* */
static int parse_flags(const char *text, size_t len, unsigned long *flags, struct berth_error *err)
{
	char s[SHOWN_SIZE], name[SHOWN_SIZE];
	size_t start = 0;

	*flags = 0;
	if (len == 0)
		return berth_error_set(err, EINVAL, "empty flag list");
	for (;;) {
		size_t end = start, i = 0;

		while (end < len && text[end] != '+')
			end++;
		if (end == start)
			return berth_error_set(err, EINVAL, "empty flag in \"%s\"", berth_error_quote(s, text, len));
		while (i < FLAG_COUNT && !equals(text + start, end - start, volume_flags[i].name))
			i++;
		berth_error_quote(name, text + start, end - start);
		if (i == FLAG_COUNT)
			return berth_error_set(err, EINVAL, "flag \"%s\" is unknown (expected ro, rw or rec)", name);
		if (*flags & volume_flags[i].flag)
			return berth_error_set(err, EINVAL, "flag \"%s\" is given twice", name);
		*flags |= volume_flags[i].flag;
		if (end == len)
			break;
		start = end + 1;
	}
	if ((*flags & BERTH_VOLUME_RO) && (*flags & BERTH_VOLUME_RW))
		return berth_error_set(err, EINVAL, "flags \"ro\" and \"rw\" exclude each other");
	return 0;
}

static bool destination_used(const struct berth_volume_list *list, const struct berth_volume *vols,
			     size_t n, const char *dst)
{
	for (size_t i = 0; i < list->count; i++)
		if (list->items[i].dst && strcmp(list->items[i].dst, dst) == 0)
			return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(vols[i].dst, dst) == 0)
			return true;
	return false;
}

/* SRC ':' DST [':' FLAGS] into *vol; the list and the n volumes already
 * parsed from this spec are checked for the same destination. */
static int parse_volume(const char *text, size_t len, const struct berth_volume_list *list,
			const struct berth_volume *vols, size_t n, struct berth_volume *vol,
			struct berth_error *err)
{
	char s[SHOWN_SIZE], part[SHOWN_SIZE];
	const char *end = text + len;
	const char *c1 = memchr(text, ':', len), *c2 = NULL;
	const char *dst_end;

	berth_error_quote(s, text, len);
	memset(vol, 0, sizeof(*vol));
	if (!c1)
		return berth_error_set(err, EINVAL, "volume \"%s\": expected SRC:DST[:FLAGS]", s);
	c2 = memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
	if (c2 && memchr(c2 + 1, ':', (size_t)(end - c2 - 1)))
		return berth_error_set(err, EINVAL, "volume \"%s\": too many ':' (expected SRC:DST[:FLAGS])", s);
	dst_end = c2 ? c2 : end;
	if (parse_path("source", text, (size_t)(c1 - text), &vol->src, err) < 0 ||
	    parse_path("destination", c1 + 1, (size_t)(dst_end - c1 - 1), &vol->dst, err) < 0 ||
	    (c2 && parse_flags(c2 + 1, (size_t)(end - c2 - 1), &vol->flags, err) < 0))
		goto fail;
	if (strcmp(vol->dst, "/") == 0) {
		berth_error_set(err, EINVAL, "destination \"%s\" is the container root",
				berth_error_quote(part, c1 + 1, (size_t)(dst_end - c1 - 1)));
		goto fail;
	}
	if (destination_used(list, vols, n, vol->dst)) {
		berth_error_set(err, EINVAL, "destination \"%s\" is already used",
				berth_error_quote(part, vol->dst, strlen(vol->dst)));
		goto fail;
	}
	return 0;
fail:
	free(vol->src);
	free(vol->dst);
	memset(vol, 0, sizeof(*vol));
	return berth_error_prefix(err, "volume \"%s\"", s);
}

static int list_append(struct berth_volume_list *list, const struct berth_volume *vols, size_t n,
		       struct berth_error *err)
{
	if (list->count + n > list->capacity) {
		size_t capacity = list->count + n;
		struct berth_volume *items = realloc(list->items, capacity * sizeof(*items));

		if (!items)
			return berth_error_errno(err, ENOMEM, "volume list");
		list->items = items;
		list->capacity = capacity;
	}
	memcpy(list->items + list->count, vols, n * sizeof(*vols));
	list->count += n;
	return 0;
}

int berth_volume_parse(const char *spec, struct berth_volume_list *list,
		       struct berth_error *err)
{
	struct berth_volume vols[BERTH_VOLUMES_MAX];
	char s[SHOWN_SIZE], one[SHOWN_SIZE];
	size_t len, start = 0, n = 0;
	int rc = -1;

	if (!spec || !*spec)
		return berth_error_set(err, EINVAL, "volume spec is empty");
	len = strnlen(spec, BERTH_VOLUME_SPEC_MAX + 1);
	berth_error_quote(s, spec, len);
	if (len > BERTH_VOLUME_SPEC_MAX)
		return berth_error_set(err, EINVAL, "volume spec \"%s\": longer than %d characters",
				       s, BERTH_VOLUME_SPEC_MAX);
	for (;;) {
		size_t vlen = strcspn(spec + start, VOLUME_SEPARATORS);

		if (vlen == 0) {
			berth_error_set(err, EINVAL, "volume spec \"%s\": volume %zu is empty", s, n + 1);
			goto out;
		}
		if (list->count + n >= BERTH_VOLUMES_MAX) {
			berth_error_set(err, EINVAL, "volume \"%s\": more than %d volumes",
					berth_error_quote(one, spec + start, vlen), BERTH_VOLUMES_MAX);
			goto out;
		}
		if (parse_volume(spec + start, vlen, list, vols, n, &vols[n], err) < 0)
			goto out;
		n++;
		start += vlen;
		if (!spec[start])
			break;
		start++;
	}
	rc = list_append(list, vols, n, err);
out:
	if (rc < 0)
		for (size_t i = 0; i < n; i++) {
			free(vols[i].src);
			free(vols[i].dst);
		}
	return rc;
}

/* A volume from berth_volume_parse always passes; this catches hand-built
 * ones whose spec would not parse back (or would split differently). */
static bool formattable(const struct berth_volume *vol)
{
	return vol->src && vol->dst && vol->src[0] == '/' && vol->dst[0] == '/' && vol->dst[1] &&
	       !strpbrk(vol->src, ":;,") && !strpbrk(vol->dst, ":;,") &&
	       !(vol->flags & ~(unsigned long)FLAGS_KNOWN) &&
	       (vol->flags & (BERTH_VOLUME_RO | BERTH_VOLUME_RW)) != (BERTH_VOLUME_RO | BERTH_VOLUME_RW);
}

static size_t put(char *buf, size_t pos, const char *text)
{
	size_t len = strlen(text);

	memcpy(buf + pos, text, len);
	return pos + len;
}

int berth_volume_list_format(const struct berth_volume_list *list, char **out,
			     struct berth_error *err)
{
	size_t size = 1, pos = 0;
	char *buf;

	*out = NULL;
	for (size_t i = 0; i < list->count; i++) {
		const struct berth_volume *vol = &list->items[i];

		if (!formattable(vol))
			return berth_error_set(err, EINVAL, "volume %zu cannot be written as a volume spec", i + 1);
		size += strlen(vol->src) + strlen(vol->dst) + sizeof(";:ro+rw+rec");
	}
	if (!(buf = malloc(size)))
		return berth_error_errno(err, ENOMEM, "volume list");
	for (size_t i = 0; i < list->count; i++) {
		const struct berth_volume *vol = &list->items[i];
		char separator = ':';

		if (i > 0)
			buf[pos++] = ';';
		pos = put(buf, pos, vol->src);
		buf[pos++] = ':';
		pos = put(buf, pos, vol->dst);
		for (size_t f = 0; f < FLAG_COUNT; f++) {
			if (vol->flags & volume_flags[f].flag) {
				buf[pos++] = separator;
				pos = put(buf, pos, volume_flags[f].name);
				separator = '+';
			}
		}
	}
	buf[pos] = '\0';
	*out = buf;
	return 0;
}

void berth_volume_list_free(struct berth_volume_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		free(list->items[i].src);
		free(list->items[i].dst);
	}
	free(list->items);
	list->items = NULL;
	list->count = 0;
	list->capacity = 0;
}

bool berth_volume_equal(const struct berth_volume *a, const struct berth_volume *b)
{
	unsigned long syntax_only = BERTH_VOLUME_RW;

	return strcmp(a->src, b->src) == 0 && strcmp(a->dst, b->dst) == 0 &&
	       (a->flags & ~syntax_only) == (b->flags & ~syntax_only);
}
