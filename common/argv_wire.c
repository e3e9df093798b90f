/*
 * argv_wire.c - see argv_wire.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv_wire.h"

char *berth_argv_encode(const char *const *list, size_t count)
{
	size_t size = 1, used = 0;
	char *text;

	for (size_t i = 0; i < count; i++)
		size += strlen(list[i]) + 22;   /* digits, ':' and ',' */
	text = malloc(size);
	if (!text)
		return NULL;
	text[0] = '\0';
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(list[i]);
		int n = snprintf(text + used, size - used, "%zu:", len);

		used += (size_t)n;
		memcpy(text + used, list[i], len);
		used += len;
		text[used++] = ',';
		text[used] = '\0';
	}
	return text;
}

/* One "<len>:<bytes>," at *p: its length and where its bytes start. */
static int next_item(const char **p, const char **bytes, size_t *len)
{
	const char *s = *p;
	size_t n = 0;

	if (*s < '0' || *s > '9' || (*s == '0' && s[1] != ':'))
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (n > (size_t)1 << 30)
			return -1;
		n = n * 10 + (size_t)(*s - '0');
	}
	if (*s != ':' || strnlen(s + 1, n + 1) < n + 1 || s[1 + n] != ',')
		return -1;
	*bytes = s + 1;
	*len = n;
	*p = s + 2 + n;
	return 0;
}

int berth_argv_decode(const char *text, char ***out, size_t *count)
{
	const char *p = text, *bytes;
	size_t n = 0, len, chars = 0;
	char **list, *store;

	while (*p) {
		if (next_item(&p, &bytes, &len) < 0 || ++n > BERTH_ARGV_WIRE_MAX) {
			errno = EINVAL;
			return -1;
		}
		chars += len + 1;
	}
	list = malloc((n + 1) * sizeof(*list) + chars);
	if (!list) {
		errno = ENOMEM;
		return -1;
	}
	store = (char *)(list + n + 1);
	p = text;
	for (size_t i = 0; i < n; i++) {
		next_item(&p, &bytes, &len);
		memcpy(store, bytes, len);
		store[len] = '\0';
		list[i] = store;
		store += len + 1;
	}
	list[n] = NULL;
	*out = list;
	*count = n;
	return 0;
}
