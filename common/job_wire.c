/*
 * job_wire.c - see job_wire.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "job_wire.h"

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

/* The next whitespace-separated word of *p (advanced past it); its length
 * in *len, 0 at the end. */
static const char *next_word(const char **p, size_t *len)
{
	const char *word;

	while (**p && isspace((unsigned char)**p))
		(*p)++;
	word = *p;
	while (**p && !isspace((unsigned char)**p))
		(*p)++;
	*len = (size_t)(*p - word);
	return word;
}

static bool is_record(const char *word, size_t len)
{
	size_t klen = strlen(BERTH_COMMENT_KEY);

	return len >= klen && strncmp(word, BERTH_COMMENT_KEY, klen) == 0;
}

int berth_comment_merge(const char *existing, const char *request, const char *digest, char *buf,
			size_t size, struct berth_error *err)
{
	const char *p = existing ? existing : "";
	size_t used = 0, len;

	if (!size)
		return berth_error_set(err, ENOSPC, "AdminComment buffer is empty");
	buf[0] = '\0';
	for (;;) {
		const char *word = next_word(&p, &len);

		if (!len)
			break;
		if (is_record(word, len))
			continue;
		if ((used && !append(buf, size, &used, " ", 1)) || !append(buf, size, &used, word, len))
			goto too_long;
	}
	if ((used && !append(buf, size, &used, " ", 1)) ||
	    !append(buf, size, &used, BERTH_COMMENT_KEY, strlen(BERTH_COMMENT_KEY)) ||
	    !append(buf, size, &used, request, strlen(request)) ||
	    !append(buf, size, &used, "@", 1) || !append(buf, size, &used, digest, strlen(digest)))
		goto too_long;
	return 0;
too_long:
	buf[0] = '\0';
	return berth_error_set(err, ENOSPC, "AdminComment would be longer than %zu bytes", size - 1);
}

bool berth_comment_find(const char *comment, const char *request, char *digest)
{
	size_t klen = strlen(BERTH_COMMENT_KEY), rlen = strlen(request), len;
	const char *p = comment ? comment : "";

	for (;;) {
		const char *word = next_word(&p, &len);

		if (!len)
			return false;
		if (!is_record(word, len) || len != klen + rlen + 1 + BERTH_DIGEST_LEN ||
		    strncmp(word + klen, request, rlen) != 0 || word[klen + rlen] != '@')
			continue;
		memcpy(digest, word + klen + rlen + 1, BERTH_DIGEST_LEN);
		digest[BERTH_DIGEST_LEN] = '\0';
		return berth_digest_valid(digest);
	}
}
