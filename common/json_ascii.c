/*
 * json_ascii.c - see json_ascii.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json_ascii.h"

/* Length of the UTF-8 sequence at s (RFC 3629: shortest form, no
 * surrogates, at most U+10FFFF) and its code point; 0 if malformed. */
static size_t utf8_decode(const unsigned char *s, size_t avail, unsigned long *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n;

	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		*cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		*cp = s[0] & 0x0f;
		lo = s[0] == 0xe0 ? 0xa0 : 0x80;
		hi = s[0] == 0xed ? 0x9f : 0xbf;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		*cp = s[0] & 0x07;
		lo = s[0] == 0xf0 ? 0x90 : 0x80;
		hi = s[0] == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
		*cp = (*cp << 6) | (s[i] & 0x3f);
	}
	return n;
}

bool berth_utf8_valid(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned long cp;

	for (size_t i = 0, n; i < len; i += n)
		if (!(n = u[i] < 0x80 ? 1 : utf8_decode(u + i, len - i, &cp)))
			return false;
	return true;
}

int berth_json_ascii(const char *text, size_t len, char **out, size_t *out_len,
		     struct berth_error *err)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t backslashes = 0, o = 0, i = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	while (i < len && s[i] < 0x80)
		i++;
	if (i == len)
		return 0;
	/* at most 12 bytes ("\\uXXXX\\uXXXX") for every 4 of input */
	if (len > (((size_t)-1) - 1) / 3 || !(buf = malloc(len * 3 + 1)))
		return berth_error_errno(err, ENOMEM, "JSON text");
	for (i = 0; i < len;) {
		unsigned long cp;
		size_t n;

		if (s[i] < 0x80) {
			backslashes = s[i] == '\\' ? backslashes + 1 : 0;
			buf[o++] = (char)s[i++];
			continue;
		}
		if (backslashes % 2 == 1 || !(n = utf8_decode(s + i, len - i, &cp))) {
			free(buf);
			return berth_error_set(err, EILSEQ, backslashes % 2 ? "invalid escape at byte %zu"
								      : "invalid UTF-8 at byte %zu", i);
		}
		if (cp >= 0x10000) {
			cp -= 0x10000;
			o += (size_t)sprintf(buf + o, "\\u%04lx\\u%04lx", 0xd800 + (cp >> 10),
					     0xdc00 + (cp & 0x3ff));
		} else {
			o += (size_t)sprintf(buf + o, "\\u%04lx", cp);
		}
		backslashes = 0;
		i += n;
	}
	buf[o] = '\0';
	*out = buf;
	*out_len = o;
	return 0;
}
