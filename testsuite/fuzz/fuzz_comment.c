/*
 * fuzz_comment.c - the AdminComment record (common/job_wire.c):
 * berth_comment_merge (job_submit) and berth_comment_find (srun reads the
 * pin back from a comment an admin may also have written into), and the
 * wait tail (berth_comment_wait, _wait_set, _pinned_digest: job_submit and
 * the gateway's releaser read comments slurmctld hands them).
 *
 * Input: byte 0 picks the buffer size, then "existing\0request\0digest".
 * Checks: find and pinned_digest never report an invalid digest; merge
 * output fits and is the existing words before any wait marker that are
 * not records, in order, then one record; wait_set output fits, and reads
 * back as the kind it was given, with the text before the marker kept;
 * for a request that is a valid image reference and a valid digest, find
 * on the merged comment returns that digest.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "image_ref.h"
#include "job_wire.h"

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

static bool is_mark(const char *word, size_t len)
{
	static const char *const marks[] = { BERTH_WAIT_MARK, BERTH_WAIT_HELD_MARK, BERTH_WAIT_FAILED_MARK };

	for (size_t i = 0; i < 3; i++)
		if (len == strlen(marks[i]) && !strncmp(word, marks[i], len))
			return true;
	return false;
}

static bool is_record(const char *word, size_t len)
{
	return len >= strlen(BERTH_COMMENT_KEY) && !strncmp(word, BERTH_COMMENT_KEY, strlen(BERTH_COMMENT_KEY));
}

/* The words of merged are those of existing that are not records, then
 * exactly one record "image=<request>@<digest>". */
static void check_merged(const char *existing, const char *merged, const char *request, const char *digest)
{
	const char *p = existing, *q = merged, *w, *m;
	size_t wlen, mlen;

	for (;;) {
		w = next_word(&p, &wlen);
		if (!wlen || is_mark(w, wlen))
			break;
		if (is_record(w, wlen))
			continue;
		m = next_word(&q, &mlen);
		FZ_CHECK(mlen == wlen && !memcmp(w, m, wlen), "word \"%.*s\" lost in \"%s\"", (int)wlen, w, merged);
	}
	m = next_word(&q, &mlen);
	FZ_CHECK(is_record(m, mlen), "no record at the end of \"%s\"", merged);
	FZ_CHECK(mlen == strlen(BERTH_COMMENT_KEY) + strlen(request) + 1 + strlen(digest) &&
		 !strncmp(m + strlen(BERTH_COMMENT_KEY), request, strlen(request)),
		 "bad record in \"%s\"", merged);
	m = next_word(&q, &mlen);
	FZ_CHECK(mlen == 0, "text after the record in \"%s\"", merged);
}

/* The wait tail: any comment, any text, any buffer size. */
static void check_wait(const char *existing, const char *text, size_t bufsize)
{
	static const enum berth_wait_kind kinds[] = { BERTH_WAIT_NONE, BERTH_WAIT_RELEASE, BERTH_WAIT_HOLD,
						      BERTH_WAIT_FAILED };
	struct berth_error err = BERTH_ERROR_INIT;
	size_t prefix;
	char *buf = malloc(bufsize);

	FZ_CHECK(buf != NULL, "out of memory");
	for (size_t k = 0; k < 4; k++) {
		if (berth_comment_wait_set(existing, kinds[k], text, buf, bufsize, &err) < 0) {
			fz_check_error(&err, "berth_comment_wait_set");
			FZ_CHECK(err.code == ENOSPC && buf[0] == '\0', "wait_set failed with %d", err.code);
			continue;
		}
		FZ_CHECK(strlen(buf) < bufsize, "wait comment overflows");
		FZ_CHECK(berth_comment_wait(buf, NULL, NULL) == kinds[k], "kind %d not read back from \"%s\"",
			 (int)kinds[k], buf);
		if (berth_comment_wait(existing, &prefix, NULL) == BERTH_WAIT_NONE)
			prefix = strlen(existing);
		while (prefix && isspace((unsigned char)existing[prefix - 1]))
			prefix--;
		FZ_CHECK(!strncmp(buf, existing, prefix), "text before the marker changed: \"%s\"", buf);
		for (const char *c = buf; *c; c++)
			FZ_CHECK(!iscntrl((unsigned char)*c) || isspace((unsigned char)*c) ||
				 c < buf + prefix, "control character in the status line of \"%s\"", buf);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[] = { BERTH_COMMENT_MAX, 1, 16, 80, 100, 200 };
	struct berth_error err = BERTH_ERROR_INIT;
	char digest[BERTH_DIGEST_LEN + 1], found[BERTH_DIGEST_LEN + 1];
	const char *existing, *request, *dig;
	struct berth_image_ref ref;
	struct fz_fields f;
	size_t bufsize;
	char *buf;

	if (size < 1)
		return 0;
	bufsize = sizes[data[0] % (sizeof(sizes) / sizeof(sizes[0]))];
	fz_split(data + 1, size - 1, '\0', &f);
	existing = f.field[0];
	request = f.count > 1 ? f.field[1] : "docker:busybox";
	dig = f.count > 2 ? f.field[2] : "";
	/* any comment, any request: a reported digest is a valid one */
	if (berth_comment_find(existing, request, found))
		FZ_CHECK(berth_digest_valid(found), "found digest \"%s\"", found);
	if (berth_comment_pinned_digest(existing, found))
		FZ_CHECK(berth_digest_valid(found), "pinned digest \"%s\"", found);
	check_wait(existing, request, bufsize);
	/* a valid digest most of the time, so the round trip is exercised */
	if (berth_digest_valid(dig)) {
		strcpy(digest, dig);
	} else {
		unsigned char md[BERTH_SHA256_SIZE] = { 0 };

		memcpy(md, dig, strnlen(dig, sizeof(md)));
		berth_digest_format(md, digest);
	}
	buf = malloc(bufsize);
	FZ_CHECK(buf != NULL, "out of memory");
	if (berth_comment_merge(existing, request, digest, buf, bufsize, &err) < 0) {
		fz_check_error(&err, "berth_comment_merge");
		FZ_CHECK(err.code == ENOSPC && buf[0] == '\0', "merge failed with %d", err.code);
		goto out;
	}
	FZ_CHECK(strlen(buf) < bufsize, "merged comment overflows");
	/* the documented precondition: request is a validated reference */
	if (berth_image_ref_parse(request, BERTH_IMAGE_DOCKER, &ref, &err) < 0)
		goto out;
	check_merged(existing, buf, request, digest);
	FZ_CHECK(berth_comment_find(buf, request, found), "record of \"%s\" not found in \"%s\"", request, buf);
	FZ_CHECK(!strcmp(found, digest), "found %s, merged %s", found, digest);
out:
	free(buf);
	fz_fields_free(&f);
	return 0;
}
