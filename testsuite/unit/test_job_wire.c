/*
 * test_job_wire.c - unit tests of common/job_wire.c: the AdminComment record
 * job_submit writes and srun reads back (the comment is admin-set, but the
 * request inside it is the user's text, so the reader is tested hostile).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "argv_wire.h"
#include "job_wire.h"
#include "unit.h"

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

START_TEST(test_comment_new)
{
	char buf[BERTH_COMMENT_MAX];
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_comment_merge(NULL, "docker:busybox", DIGEST_A, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "image=docker:busybox@" DIGEST_A);
}
END_TEST

START_TEST(test_comment_keeps_admin_text_replaces_image)
{
	char buf[BERTH_COMMENT_MAX];
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_comment_merge("  ticket=42 image=docker:old@sha256:x\tnote ", "docker:b",
					     DIGEST_B, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "ticket=42 note image=docker:b@" DIGEST_B);
}
END_TEST

START_TEST(test_comment_too_long)
{
	char buf[40];
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_comment_merge("x", "docker:busybox", DIGEST_A, buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(err.code, ENOSPC);
	ck_assert_str_eq(buf, "");
	ck_assert_str_eq(err.msg, "AdminComment would be longer than 39 bytes");
}
END_TEST

/* What the writer writes, the reader finds: the round trip is the contract. */
START_TEST(test_comment_round_trip)
{
	char buf[BERTH_COMMENT_MAX], digest[BERTH_DIGEST_LEN + 1];
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_comment_merge("ticket=1\tx", "docker:r:5000/a/b:t", DIGEST_A, buf,
					     sizeof(buf), &err), 0);
	ck_assert(berth_comment_find(buf, "docker:r:5000/a/b:t", digest));
	ck_assert_str_eq(digest, DIGEST_A);
	/* re-pinned: the old record is gone */
	ck_assert_int_eq(berth_comment_merge(buf, "docker:other", DIGEST_B, buf, sizeof(buf), &err), 0);
	ck_assert(!berth_comment_find(buf, "docker:r:5000/a/b:t", digest));
	ck_assert(berth_comment_find(buf, "docker:other", digest));
	ck_assert_str_eq(digest, DIGEST_B);
}
END_TEST

struct find_case {
	const char *comment, *request;
	const char *digest;    /* NULL: not found */
};

static const struct find_case find_cases[] = {
	{ "image=docker:a@" DIGEST_A, "docker:a", DIGEST_A },
	{ "x image=docker:a@" DIGEST_A " y", "docker:a", DIGEST_A },
	{ "x\timage=docker:a@" DIGEST_A "\ny", "docker:a", DIGEST_A },
	/* a request that is a prefix of another is not that other */
	{ "image=docker:ab@" DIGEST_A, "docker:a", NULL },
	{ "image=docker:a@" DIGEST_A, "docker:ab", NULL },
	/* only a whole word counts */
	{ "ximage=docker:a@" DIGEST_A, "docker:a", NULL },
	{ "image=docker:a@" DIGEST_A "x", "docker:a", NULL },
	/* the digest must be a valid one */
	{ "image=docker:a@sha256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	  "docker:a", NULL },
	{ "image=docker:a@sha256:x", "docker:a", NULL },
	{ "image=docker:a" DIGEST_A, "docker:a", NULL },
	{ "", "docker:a", NULL },
	{ NULL, "docker:a", NULL },
	{ "image=", "docker:a", NULL },
	{ "image=docker:a@", "docker:a", NULL },
};

START_TEST(test_comment_find)
{
	const struct find_case *c = &find_cases[_i];
	char digest[BERTH_DIGEST_LEN + 1] = "";
	bool found = berth_comment_find(c->comment, c->request, digest);

	ck_assert_msg(found == (c->digest != NULL), "case %d: %s", _i, c->comment ? c->comment : "NULL");
	if (c->digest)
		ck_assert_str_eq(digest, c->digest);
}
END_TEST

/* ---------------------------------------------------------- argv_wire */

START_TEST(test_argv_round_trip)
{
	const char *list[] = { "/bin/sh", "-c", "printf '[%s]' \"$@\"", "", "a,b:c", "12:x," };
	char *text = berth_argv_encode(list, ARRAY_LEN(list));
	char **back = NULL;
	size_t n = 0;

	ck_assert_ptr_nonnull(text);
	ck_assert_str_eq(text, "7:/bin/sh,2:-c,18:printf '[%s]' \"$@\",0:,5:a,b:c,5:12:x,,");
	ck_assert_int_eq(berth_argv_decode(text, &back, &n), 0);
	ck_assert_uint_eq(n, ARRAY_LEN(list));
	for (size_t i = 0; i < n; i++)
		ck_assert_str_eq(back[i], list[i]);
	ck_assert_ptr_null(back[n]);
	free(back);
	free(text);
	text = berth_argv_encode(list, 0);
	ck_assert_str_eq(text, "");
	ck_assert_int_eq(berth_argv_decode(text, &back, &n), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(back[0]);
	free(back);
	free(text);
}
END_TEST

static const char *const bad_argv[] = {
	"3:ab,",          /* short */
	"1:ab,",          /* long */
	"2:ab",           /* no comma */
	"x:ab,",          /* no length */
	"01:a,",          /* leading zero */
	":,",
	"2:ab,,",         /* trailing junk */
	"99999999999999999999:a,",
	"-1:a,",
};

START_TEST(test_argv_malformed)
{
	char **back = NULL;
	size_t n = 0;

	errno = 0;
	ck_assert_msg(berth_argv_decode(bad_argv[_i], &back, &n) == -1, "accepted %s", bad_argv[_i]);
	ck_assert_int_eq(errno, EINVAL);
}
END_TEST

START_TEST(test_argv_too_many)
{
	size_t count = BERTH_ARGV_WIRE_MAX + 1;
	char *text = malloc(count * 4 + 1), **back = NULL;
	size_t n = 0;

	for (size_t i = 0; i < count; i++)
		memcpy(text + 4 * i, "1:x,", 4);
	text[count * 4] = '\0';
	ck_assert_int_eq(berth_argv_decode(text, &back, &n), -1);
	text[(count - 1) * 4] = '\0';
	ck_assert_int_eq(berth_argv_decode(text, &back, &n), 0);
	ck_assert_uint_eq(n, BERTH_ARGV_WIRE_MAX);
	free(back);
	free(text);
}
END_TEST

START_TEST(test_wait_marker)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[BERTH_COMMENT_MAX], digest[BERTH_DIGEST_LEN + 1];
	const char *text = NULL;
	size_t prefix = 0;

	ck_assert_int_eq(berth_comment_wait("ticket=1 image=docker:a@" DIGEST_A, NULL, NULL), BERTH_WAIT_NONE);
	ck_assert_int_eq(berth_comment_wait(NULL, NULL, NULL), BERTH_WAIT_NONE);
	/* set: the admin's words and the record stay, the tail is berth's */
	ck_assert_int_eq(berth_comment_wait_set("ticket=1 image=docker:a@" DIGEST_A, BERTH_WAIT_RELEASE,
						"waiting: PENDING", buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "ticket=1 image=docker:a@" DIGEST_A " image_wait: waiting: PENDING");
	ck_assert_int_eq(berth_comment_wait(buf, &prefix, &text), BERTH_WAIT_RELEASE);
	ck_assert_uint_eq(prefix, strlen("ticket=1 image=docker:a@" DIGEST_A));
	ck_assert_str_eq(text, "waiting: PENDING");
	ck_assert(berth_comment_pinned_digest(buf, digest));
	ck_assert_str_eq(digest, DIGEST_A);
	ck_assert(berth_comment_find(buf, "docker:a", digest));
	/* replaced, then removed */
	ck_assert_int_eq(berth_comment_wait_set(buf, BERTH_WAIT_FAILED, "layer 1: bad\ndigest", buf,
						sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "ticket=1 image=docker:a@" DIGEST_A " image_failed: layer 1: bad?digest");
	ck_assert_int_eq(berth_comment_wait(buf, NULL, &text), BERTH_WAIT_FAILED);
	ck_assert_int_eq(berth_comment_wait_set(buf, BERTH_WAIT_NONE, NULL, buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "ticket=1 image=docker:a@" DIGEST_A);
	ck_assert_int_eq(berth_comment_wait_set("image=docker:a@" DIGEST_A, BERTH_WAIT_HOLD, "x", buf,
						sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "image=docker:a@" DIGEST_A " image_wait(held): x");
	ck_assert_int_eq(berth_comment_wait(buf, NULL, NULL), BERTH_WAIT_HOLD);
	/* words of the status line are never read as a record */
	ck_assert_int_eq(berth_comment_wait_set("image=docker:a@" DIGEST_A, BERTH_WAIT_FAILED,
						"image=docker:a@" DIGEST_B, buf, sizeof(buf), &err), 0);
	ck_assert(berth_comment_pinned_digest(buf, digest));
	ck_assert_str_eq(digest, DIGEST_A);
	ck_assert(berth_comment_find(buf, "docker:a", digest));
	ck_assert_str_eq(digest, DIGEST_A);
	/* request with an '@' of its own; no record at all */
	ck_assert(berth_comment_pinned_digest("image=docker:r@" DIGEST_B "@" DIGEST_A, digest));
	ck_assert_str_eq(digest, DIGEST_A);
	ck_assert(!berth_comment_pinned_digest("image_wait: image=docker:a@" DIGEST_A, digest));
	ck_assert(!berth_comment_pinned_digest("image=docker:a@sha256:short", digest));
	/* a long status is cut to fit, never an error */
	char longtext[2 * BERTH_COMMENT_MAX];

	memset(longtext, 'x', sizeof(longtext) - 1);
	longtext[sizeof(longtext) - 1] = '\0';
	ck_assert_int_eq(berth_comment_wait_set("image=docker:a@" DIGEST_A, BERTH_WAIT_RELEASE, longtext,
						buf, sizeof(buf), &err), 0);
	ck_assert_uint_lt(strlen(buf), sizeof(buf));
}
END_TEST

static Suite *job_wire_suite(void)
{
	Suite *s = suite_create("job_wire");
	TCase *comment = tcase_create("comment");

	tcase_add_test(comment, test_comment_new);
	tcase_add_test(comment, test_comment_keeps_admin_text_replaces_image);
	tcase_add_test(comment, test_comment_too_long);
	tcase_add_test(comment, test_comment_round_trip);
	tcase_add_test(comment, test_wait_marker);
	tcase_add_loop_test(comment, test_comment_find, 0, (int)ARRAY_LEN(find_cases));
	suite_add_tcase(s, comment);
	TCase *argv = tcase_create("argv_wire");
	tcase_add_test(argv, test_argv_round_trip);
	tcase_add_loop_test(argv, test_argv_malformed, 0, (int)ARRAY_LEN(bad_argv));
	tcase_add_test(argv, test_argv_too_many);
	suite_add_tcase(s, argv);
	return s;
}

int main(void)
{
	return unit_run(job_wire_suite());
}
