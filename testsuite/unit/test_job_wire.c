/*
 * test_job_wire.c - unit tests of common/job_wire.c: the AdminComment record
 * job_submit writes and srun reads back (the comment is admin-set, but the
 * request inside it is the user's text, so the reader is tested hostile).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

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

static Suite *job_wire_suite(void)
{
	Suite *s = suite_create("job_wire");
	TCase *comment = tcase_create("comment");

	tcase_add_test(comment, test_comment_new);
	tcase_add_test(comment, test_comment_keeps_admin_text_replaces_image);
	tcase_add_test(comment, test_comment_too_long);
	tcase_add_test(comment, test_comment_round_trip);
	tcase_add_loop_test(comment, test_comment_find, 0, (int)ARRAY_LEN(find_cases));
	suite_add_tcase(s, comment);
	return s;
}

int main(void)
{
	return unit_run(job_wire_suite());
}
