/*
 * job_wire.c - see job_wire.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

static const struct {
	const char *mark;
	enum berth_wait_kind kind;
} wait_marks[] = {
	{ BERTH_WAIT_MARK, BERTH_WAIT_RELEASE },
	{ BERTH_WAIT_HELD_MARK, BERTH_WAIT_HOLD },
	{ BERTH_WAIT_FAILED_MARK, BERTH_WAIT_FAILED },
};

static enum berth_wait_kind wait_mark(const char *word, size_t len)
{
	for (size_t i = 0; i < sizeof(wait_marks) / sizeof(wait_marks[0]); i++)
		if (len == strlen(wait_marks[i].mark) && strncmp(word, wait_marks[i].mark, len) == 0)
			return wait_marks[i].kind;
	return BERTH_WAIT_NONE;
}

static const char *wait_mark_text(enum berth_wait_kind kind)
{
	for (size_t i = 0; i < sizeof(wait_marks) / sizeof(wait_marks[0]); i++)
		if (wait_marks[i].kind == kind)
			return wait_marks[i].mark;
	return NULL;
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

		if (!len || wait_mark(word, len) != BERTH_WAIT_NONE)
			break;   /* a wait tail is berth's: dropped */
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

		if (!len || wait_mark(word, len) != BERTH_WAIT_NONE)
			return false;
		if (!is_record(word, len) || len != klen + rlen + 1 + BERTH_DIGEST_LEN ||
		    strncmp(word + klen, request, rlen) != 0 || word[klen + rlen] != '@')
			continue;
		memcpy(digest, word + klen + rlen + 1, BERTH_DIGEST_LEN);
		digest[BERTH_DIGEST_LEN] = '\0';
		return berth_digest_valid(digest);
	}
}

bool berth_comment_pinned_digest(const char *comment, char *digest)
{
	const char *p = comment ? comment : "";
	bool found = false;
	size_t len;

	for (;;) {
		const char *word = next_word(&p, &len);
		const char *at;

		if (!len || wait_mark(word, len) != BERTH_WAIT_NONE)
			return found;
		if (!is_record(word, len) || len < strlen(BERTH_COMMENT_KEY) + 2 + BERTH_DIGEST_LEN)
			continue;
		at = word + len - BERTH_DIGEST_LEN - 1;
		if (*at != '@')
			continue;
		char candidate[BERTH_DIGEST_LEN + 1];

		memcpy(candidate, at + 1, BERTH_DIGEST_LEN);
		candidate[BERTH_DIGEST_LEN] = '\0';
		if (berth_digest_valid(candidate)) {
			memcpy(digest, candidate, sizeof(candidate));
			found = true;
		}
	}
}

enum berth_wait_kind berth_comment_wait(const char *comment, size_t *prefix_len, const char **text)
{
	const char *p = comment ? comment : "";
	size_t len, before = 0;

	for (;;) {
		const char *word = next_word(&p, &len);
		enum berth_wait_kind kind;

		if (!len)
			return BERTH_WAIT_NONE;
		kind = wait_mark(word, len);
		if (kind == BERTH_WAIT_NONE) {
			before = (size_t)(p - (comment ? comment : ""));
			continue;
		}
		if (prefix_len)
			*prefix_len = before;
		if (text)
			*text = *p ? p + 1 : p;
		return kind;
	}
}

static int wait_set(const char *p, enum berth_wait_kind kind, const char *text, char *buf, size_t size,
		    struct berth_error *err)
{
	const char *mark = wait_mark_text(kind);
	size_t prefix = strlen(p), used = 0, start;

	if (berth_comment_wait(p, &prefix, NULL) == BERTH_WAIT_NONE)
		prefix = strlen(p);
	while (prefix && isspace((unsigned char)p[prefix - 1]))
		prefix--;
	buf[0] = '\0';
	if (!append(buf, size, &used, p, prefix))
		goto too_long;
	if (mark) {
		if ((used && !append(buf, size, &used, " ", 1)) ||
		    !append(buf, size, &used, mark, strlen(mark)))
			goto too_long;
		if (text && *text) {
			if (!append(buf, size, &used, " ", 1))
				goto too_long;
			start = used;
			/* keep what fits: a status line is for people */
			for (const char *t = text; *t && used + 2 < size; t++)
				append(buf, size, &used, t, 1);
			for (size_t i = start; i < used; i++)
				if (iscntrl((unsigned char)buf[i]))
					buf[i] = '?';
		}
	}
	return 0;
too_long:
	buf[0] = '\0';
	return berth_error_set(err, ENOSPC, "AdminComment would be longer than %zu bytes", size - 1);
}

int berth_comment_wait_set(const char *comment, enum berth_wait_kind kind, const char *text,
			   char *buf, size_t size, struct berth_error *err)
{
	char *copy;
	int rc;

	if (!size)
		return berth_error_set(err, ENOSPC, "AdminComment buffer is empty");
	copy = strdup(comment ? comment : "");   /* comment may be buf */
	if (!copy)
		return berth_error_set(err, ENOMEM, "out of memory");
	rc = wait_set(copy, kind, text, buf, size, err);
	free(copy);
	return rc;
}
