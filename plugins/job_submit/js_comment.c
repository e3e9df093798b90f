/*
 * js_comment.c - see js_comment.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "js_comment.h"

/* Append text[0..len) to buf at *used; false if it does not fit. */
static bool append(char *buf, size_t size, size_t *used, const char *text, size_t len)
{
	if (*used + len + 1 > size)
		return false;
	memcpy(buf + *used, text, len);
	*used += len;
	buf[*used] = '\0';
	return true;
}

int js_comment_merge(const char *existing, const char *request, const char *digest, char *buf,
		     size_t size, struct berth_error *err)
{
	size_t used = 0, klen = strlen(JS_COMMENT_KEY);
	const char *p = existing ? existing : "";

	if (!size)
		return berth_error_set(err, ENOSPC, "AdminComment buffer is empty");
	buf[0] = '\0';
	while (*p) {
		const char *word;
		size_t len;

		while (*p && isspace((unsigned char)*p))
			p++;
		word = p;
		while (*p && !isspace((unsigned char)*p))
			p++;
		len = (size_t)(p - word);
		if (!len || (len >= klen && strncmp(word, JS_COMMENT_KEY, klen) == 0))
			continue;
		if ((used && !append(buf, size, &used, " ", 1)) || !append(buf, size, &used, word, len))
			goto too_long;
	}
	if ((used && !append(buf, size, &used, " ", 1)) ||
	    !append(buf, size, &used, JS_COMMENT_KEY, klen) ||
	    !append(buf, size, &used, request, strlen(request)) ||
	    !append(buf, size, &used, "@", 1) || !append(buf, size, &used, digest, strlen(digest)))
		goto too_long;
	return 0;
too_long:
	buf[0] = '\0';
	return berth_error_set(err, ENOSPC, "AdminComment would be longer than %zu bytes", size - 1);
}
