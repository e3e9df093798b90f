/*
 * test_volume.c - unit tests of common/volume.c.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "volume.h"

#define RO  BERTH_VOLUME_RO
#define RW  BERTH_VOLUME_RW
#define REC BERTH_VOLUME_REC

struct expected_volume {
	const char *src;
	const char *dst;
	unsigned flags;
};

struct good_case {
	const char *spec;
	size_t count;
	struct expected_volume volumes[3];
	const char *canonical;
};

static const struct good_case good_cases[] = {
	{ "/a:/b", 1, { { "/a", "/b", 0 } }, "/a:/b" },
	{ "/a:/b:ro", 1, { { "/a", "/b", RO } }, "/a:/b:ro" },
	{ "/a:/b:rw", 1, { { "/a", "/b", RW } }, "/a:/b:rw" },
	{ "/a:/b:rec", 1, { { "/a", "/b", REC } }, "/a:/b:rec" },
	{ "/a:/b:ro+rec", 1, { { "/a", "/b", RO | REC } }, "/a:/b:ro+rec" },
	{ "/a:/b:rec+ro", 1, { { "/a", "/b", RO | REC } }, "/a:/b:ro+rec" },
	{ "/a:/b:rec+rw", 1, { { "/a", "/b", RW | REC } }, "/a:/b:rw+rec" },
	{ "/a:/b;/c:/d", 2, { { "/a", "/b", 0 }, { "/c", "/d", 0 } }, "/a:/b;/c:/d" },
	{ "/a:/b,/c:/d", 2, { { "/a", "/b", 0 }, { "/c", "/d", 0 } }, "/a:/b;/c:/d" },
	{ "/a:/b:ro;/c:/d,/e:/f:rec", 3,
	  { { "/a", "/b", RO }, { "/c", "/d", 0 }, { "/e", "/f", REC } }, "/a:/b:ro;/c:/d;/e:/f:rec" },
	{ "//a//b//:/c/./d/", 1, { { "/a/b", "/c/d", 0 } }, "/a/b:/c/d" },
	{ "/a/./b/.:/c/.", 1, { { "/a/b", "/c", 0 } }, "/a/b:/c" },
	{ "/./a:/b/./", 1, { { "/a", "/b", 0 } }, "/a:/b" },
	{ "/:/mnt", 1, { { "/", "/mnt", 0 } }, "/:/mnt" },
	{ "//:/mnt", 1, { { "/", "/mnt", 0 } }, "/:/mnt" },
	{ "/a/...:/b/..c/d..", 1, { { "/a/...", "/b/..c/d..", 0 } }, "/a/...:/b/..c/d.." },
	{ "/a/.hidden:/b/.x", 1, { { "/a/.hidden", "/b/.x", 0 } }, "/a/.hidden:/b/.x" },
	{ "/my dir:/data dir", 1, { { "/my dir", "/data dir", 0 } }, "/my dir:/data dir" },
	{ "/data/caf\xc3\xa9:/d", 1, { { "/data/caf\xc3\xa9", "/d", 0 } }, "/data/caf\xc3\xa9:/d" },
	{ "/a@b=c:/d+e", 1, { { "/a@b=c", "/d+e", 0 } }, "/a@b=c:/d+e" },
	{ "/a:/a", 1, { { "/a", "/a", 0 } }, "/a:/a" },
	{ "/a:/b;/a:/c", 2, { { "/a", "/b", 0 }, { "/a", "/c", 0 } }, "/a:/b;/a:/c" },
	{ "/a:/b;/c:/b/c", 2, { { "/a", "/b", 0 }, { "/c", "/b/c", 0 } }, "/a:/b;/c:/b/c" },
	{ "/a:/bc;/d:/b", 2, { { "/a", "/bc", 0 }, { "/d", "/b", 0 } }, "/a:/bc;/d:/b" },
	{ "/scratch:/scratch:rw+rec;/apps:/opt/apps:ro", 2,
	  { { "/scratch", "/scratch", RW | REC }, { "/apps", "/opt/apps", RO } },
	  "/scratch:/scratch:rw+rec;/apps:/opt/apps:ro" },
};

struct bad_case {
	const char *spec;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "", "volume spec is empty" },
	{ ";", "volume spec \";\": volume 1 is empty" },
	{ "/a:/b;", "volume spec \"/a:/b;\": volume 2 is empty" },
	{ "/a:/b;;/c:/d", "volume spec \"/a:/b;;/c:/d\": volume 2 is empty" },
	{ ",/a:/b", "volume spec \",/a:/b\": volume 1 is empty" },
	{ "/a", "volume \"/a\": expected SRC:DST[:FLAGS]" },
	{ "/a:/b;x", "volume \"x\": expected SRC:DST[:FLAGS]" },
	/* ',' separates volumes, not flags */
	{ "/a:/b:ro,rec", "volume \"rec\": expected SRC:DST[:FLAGS]" },
	{ "/a:/b:ro:x", "volume \"/a:/b:ro:x\": too many ':' (expected SRC:DST[:FLAGS])" },
	{ "/a:/b::", "volume \"/a:/b::\": too many ':' (expected SRC:DST[:FLAGS])" },
	{ ":/b", "volume \":/b\": empty source" },
	{ "/a:", "volume \"/a:\": empty destination" },
	{ "/a::ro", "volume \"/a::ro\": empty destination" },
	{ ":", "volume \":\": empty source" },
	{ "/a:/b:", "volume \"/a:/b:\": empty flag list" },
	{ "/a:/b:ro+", "volume \"/a:/b:ro+\": empty flag in \"ro+\"" },
	{ "/a:/b:+ro", "volume \"/a:/b:+ro\": empty flag in \"+ro\"" },
	{ "/a:/b:ro++rec", "volume \"/a:/b:ro++rec\": empty flag in \"ro++rec\"" },
	{ "a:/b", "volume \"a:/b\": source \"a\" is not an absolute path" },
	{ "/a:b", "volume \"/a:b\": destination \"b\" is not an absolute path" },
	{ "./a:/b", "volume \"./a:/b\": source \"./a\" is not an absolute path" },
	{ "~/a:/b", "volume \"~/a:/b\": source \"~/a\" is not an absolute path" },
	{ " /a:/b", "volume \" /a:/b\": source \" /a\" is not an absolute path" },
	{ "/a/../b:/c", "volume \"/a/../b:/c\": source \"/a/../b\" has a \"..\" component" },
	{ "/..:/c", "volume \"/..:/c\": source \"/..\" has a \"..\" component" },
	{ "/a:/b/..", "volume \"/a:/b/..\": destination \"/b/..\" has a \"..\" component" },
	{ "/a:/b/../", "volume \"/a:/b/../\": destination \"/b/../\" has a \"..\" component" },
	{ "/a:/", "volume \"/a:/\": destination \"/\" is the container root" },
	{ "/a://", "volume \"/a://\": destination \"//\" is the container root" },
	{ "/a:/.", "volume \"/a:/.\": destination \"/.\" is the container root" },
	{ "/a:/b:xx", "volume \"/a:/b:xx\": flag \"xx\" is unknown (expected ro, rw or rec)" },
	{ "/a:/b:RO", "volume \"/a:/b:RO\": flag \"RO\" is unknown (expected ro, rw or rec)" },
	{ "/a:/b:ro+r", "volume \"/a:/b:ro+r\": flag \"r\" is unknown (expected ro, rw or rec)" },
	{ "/a:/b:ro+ro", "volume \"/a:/b:ro+ro\": flag \"ro\" is given twice" },
	{ "/a:/b:rec+ro+rec", "volume \"/a:/b:rec+ro+rec\": flag \"rec\" is given twice" },
	{ "/a:/b:ro+rw", "volume \"/a:/b:ro+rw\": flags \"ro\" and \"rw\" exclude each other" },
	{ "/a:/b:rw+rec+ro", "volume \"/a:/b:rw+rec+ro\": flags \"ro\" and \"rw\" exclude each other" },
	{ "/a:/b;/c:/b", "volume \"/c:/b\": destination \"/b\" is already used" },
	{ "/a:/b;/c://b/", "volume \"/c://b/\": destination \"/b\" is already used" },
	{ "/a:/b/c;/d:/b/./c/.", "volume \"/d:/b/./c/.\": destination \"/b/c\" is already used" },
	{ "/a:/b:ro;/a:/b:rw", "volume \"/a:/b:rw\": destination \"/b\" is already used" },
	{ "/a\n:/b", "volume \"/a?:/b\": source \"/a?\" has a control character" },
	{ "/a:/b\x1b[31m", "volume \"/a:/b?[31m\": destination \"/b?[31m\" has a control character" },
	{ "/a:/b\t", "volume \"/a:/b?\": destination \"/b?\" has a control character" },
	{ "/a\x7f:/b", "volume \"/a?:/b\": source \"/a?\" has a control character" },
	{ "/a:/b:ro\n", "volume \"/a:/b:ro?\": flag \"ro?\" is unknown (expected ro, rw or rec)" },
};

/* A string of n copies of c after prefix, in buf (large enough). */
static char *repeat(char *buf, const char *prefix, char c, size_t n)
{
	size_t len = strlen(prefix);

	memcpy(buf, prefix, len);
	memset(buf + len, c, n);
	buf[len + n] = '\0';
	return buf;
}

/* Rejected with exactly message, and list left as it was. */
#define assert_rejected(spec, list, message)                                              \
	do {                                                                              \
		struct berth_error err_ = BERTH_ERROR_INIT;                               \
		struct berth_volume *items_ = (list)->items;                              \
		size_t count_ = (list)->count;                                            \
		ck_assert_int_eq(berth_volume_parse((spec), (list), &err_), -1);          \
		ck_assert_int_eq(err_.code, EINVAL);                                      \
		ck_assert_str_eq(err_.msg, (message));                                    \
		ck_assert_ptr_eq((list)->items, items_);                                  \
		ck_assert_uint_eq((list)->count, count_);                                 \
	} while (0)

#define assert_parsed(spec, list)                                                         \
	do {                                                                              \
		struct berth_error err_ = BERTH_ERROR_INIT;                               \
		ck_assert_msg(berth_volume_parse((spec), (list), &err_) == 0,             \
			      "\"%s\" rejected: %s", (spec), err_.msg);                   \
	} while (0)

static void assert_same_lists(const struct berth_volume_list *a, const struct berth_volume_list *b)
{
	ck_assert_uint_eq(a->count, b->count);
	for (size_t i = 0; i < a->count; i++) {
		ck_assert_str_eq(a->items[i].src, b->items[i].src);
		ck_assert_str_eq(a->items[i].dst, b->items[i].dst);
		ck_assert_uint_eq(a->items[i].flags, b->items[i].flags);
	}
}

START_TEST(test_parse_good)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	assert_parsed(c->spec, &list);
	ck_assert_uint_eq(list.count, c->count);
	ck_assert_uint_ge(list.capacity, list.count);
	for (size_t i = 0; i < c->count; i++) {
		ck_assert_str_eq(list.items[i].src, c->volumes[i].src);
		ck_assert_str_eq(list.items[i].dst, c->volumes[i].dst);
		ck_assert_uint_eq(list.items[i].flags, c->volumes[i].flags);
	}
	berth_volume_list_free(&list);
	ck_assert_ptr_null(list.items);
	ck_assert_uint_eq(list.count, 0);
	ck_assert_uint_eq(list.capacity, 0);
}
END_TEST

/* format gives the canonical spec, which parses to the same list. */
START_TEST(test_round_trip)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT, again = BERTH_VOLUME_LIST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL, *text_again = NULL;

	assert_parsed(c->spec, &list);
	ck_assert_int_eq(berth_volume_list_format(&list, &text, &err), 0);
	ck_assert_str_eq(text, c->canonical);
	assert_parsed(text, &again);
	assert_same_lists(&list, &again);
	ck_assert_int_eq(berth_volume_list_format(&again, &text_again, &err), 0);
	ck_assert_str_eq(text_again, text);
	free(text);
	free(text_again);
	berth_volume_list_free(&list);
	berth_volume_list_free(&again);
}
END_TEST

START_TEST(test_parse_bad)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	assert_rejected(bad_cases[_i].spec, &list, bad_cases[_i].message);
	ck_assert_ptr_null(list.items);
}
END_TEST

/* The same rejection after earlier --volume options, which stay intact. */
START_TEST(test_parse_bad_after_good)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	assert_parsed("/pre:/pre:ro;/x:/y", &list);
	assert_rejected(bad_cases[_i].spec, &list, bad_cases[_i].message);
	ck_assert_uint_eq(list.count, 2);
	ck_assert_str_eq(list.items[0].src, "/pre");
	ck_assert_str_eq(list.items[0].dst, "/pre");
	ck_assert_uint_eq(list.items[0].flags, RO);
	ck_assert_str_eq(list.items[1].src, "/x");
	ck_assert_str_eq(list.items[1].dst, "/y");
	ck_assert_uint_eq(list.items[1].flags, 0);
	berth_volume_list_free(&list);
}
END_TEST

START_TEST(test_parse_bad_without_error)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	ck_assert_int_eq(berth_volume_parse(bad_cases[_i].spec, &list, NULL), -1);
	ck_assert_uint_eq(list.count, 0);
}
END_TEST

START_TEST(test_null_spec)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	assert_rejected(NULL, &list, "volume spec is empty");
}
END_TEST

/* Several --volume options append to one list; destinations are unique
 * across all of them. */
START_TEST(test_append_across_options)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL;

	assert_parsed("/a:/b:ro", &list);
	assert_parsed("/c:/d;/e:/f:rec", &list);
	assert_rejected("/g:/h;/x://d/", &list, "volume \"/x://d/\": destination \"/d\" is already used");
	assert_rejected("/a:/b", &list, "volume \"/a:/b\": destination \"/b\" is already used");
	assert_parsed("/g:/h", &list);
	ck_assert_uint_eq(list.count, 4);
	ck_assert_int_eq(berth_volume_list_format(&list, &text, &err), 0);
	ck_assert_str_eq(text, "/a:/b:ro;/c:/d;/e:/f:rec;/g:/h");
	free(text);
	berth_volume_list_free(&list);
	berth_volume_list_free(&list);
}
END_TEST

/* n volumes "/s<i>:/d<i>" starting at first, joined with ';'. */
static char *volume_spec(char *buf, size_t size, size_t first, size_t n)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = first; i < first + n; i++)
		pos += (size_t)snprintf(buf + pos, size - pos, "%s/s%zu:/d%zu", i > first ? ";" : "", i, i);
	return buf;
}

START_TEST(test_max_volumes)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	char spec[4096];

	assert_parsed(volume_spec(spec, sizeof(spec), 0, BERTH_VOLUMES_MAX), &list);
	ck_assert_uint_eq(list.count, 64);
	ck_assert_str_eq(list.items[63].dst, "/d63");
	assert_rejected("/s64:/d64", &list, "volume \"/s64:/d64\": more than 64 volumes");
	berth_volume_list_free(&list);

	assert_rejected(volume_spec(spec, sizeof(spec), 0, BERTH_VOLUMES_MAX + 1), &list,
			"volume \"/s64:/d64\": more than 64 volumes");

	assert_parsed(volume_spec(spec, sizeof(spec), 0, BERTH_VOLUMES_MAX - 1), &list);
	assert_rejected(volume_spec(spec, sizeof(spec), 100, 2), &list,
			"volume \"/s101:/d101\": more than 64 volumes");
	ck_assert_uint_eq(list.count, 63);
	assert_parsed("/s100:/d100", &list);
	ck_assert_uint_eq(list.count, 64);
	berth_volume_list_free(&list);
}
END_TEST

START_TEST(test_path_length)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	char spec[3 * BERTH_VOLUME_PATH_MAX], path[BERTH_VOLUME_PATH_MAX + 2], a63[64];
	char message[512];

	repeat(path, "/", 'a', BERTH_VOLUME_PATH_MAX - 1);
	snprintf(spec, sizeof(spec), "%s:%s", path, path);
	assert_parsed(spec, &list);
	ck_assert_uint_eq(strlen(list.items[0].src), 1024);
	ck_assert_str_eq(list.items[0].src, path);
	ck_assert_str_eq(list.items[0].dst, path);
	berth_volume_list_free(&list);

	/* Length counts before normalisation. */
	repeat(path, "/", '/', BERTH_VOLUME_PATH_MAX - 2);
	snprintf(spec, sizeof(spec), "%sa:/b", path);
	assert_parsed(spec, &list);
	ck_assert_str_eq(list.items[0].src, "/a");
	berth_volume_list_free(&list);

	repeat(path, "/", 'a', BERTH_VOLUME_PATH_MAX);
	snprintf(spec, sizeof(spec), "/x:%s", path);
	repeat(a63, "", 'a', 63);
	snprintf(message, sizeof(message),
		 "volume \"/x:/%s...\": destination \"/%s...\" is longer than 1024 characters",
		 repeat((char[64]){ 0 }, "", 'a', 60), a63);
	assert_rejected(spec, &list, message);
	snprintf(spec, sizeof(spec), "%s:/x", path);
	snprintf(message, sizeof(message),
		 "volume \"/%s...\": source \"/%s...\" is longer than 1024 characters", a63, a63);
	assert_rejected(spec, &list, message);
}
END_TEST

START_TEST(test_spec_length)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	char spec[BERTH_VOLUME_SPEC_MAX + 2], path[BERTH_VOLUME_PATH_MAX + 1], message[256];
	size_t pos = 0;

	/* 8 volumes of 2048 bytes with their ';': "/a...aN:/b...bN". */
	for (int i = 0; i < 8; i++) {
		repeat(path, "/", 'a', i ? 1021 : 1022);
		pos += (size_t)snprintf(spec + pos, sizeof(spec) - pos, "%s%s%d:", i ? ";" : "", path, i);
		repeat(path, "/", 'b', 1021);
		pos += (size_t)snprintf(spec + pos, sizeof(spec) - pos, "%s%d", path, i);
	}
	ck_assert_uint_eq(strlen(spec), BERTH_VOLUME_SPEC_MAX);
	assert_parsed(spec, &list);
	ck_assert_uint_eq(list.count, 8);
	berth_volume_list_free(&list);

	strcat(spec, "b");
	snprintf(message, sizeof(message), "volume spec \"/%s...\": longer than 16384 characters",
		 repeat(path, "", 'a', 63));
	assert_rejected(spec, &list, message);
}
END_TEST

START_TEST(test_format_empty_list)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL;

	ck_assert_int_eq(berth_volume_list_format(&list, &text, &err), 0);
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

/* A hand-built volume that would not parse back is refused. */
START_TEST(test_format_refuses_unparsable)
{
	static const struct berth_volume cases[] = {
		{ "/a:b", "/c", 0 },
		{ "/a", "/c;d", 0 },
		{ "/a", "/c,d", 0 },
		{ "a", "/c", 0 },
		{ "/a", "/", 0 },
		{ NULL, "/c", 0 },
		{ "/a", NULL, 0 },
		{ "/a", "/c", 1u << 5 },
		{ "/a", "/c", RO | RW },
	};
	struct berth_error err = BERTH_ERROR_INIT;

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		struct berth_volume items[2] = { { "/ok", "/ok", RO }, cases[i] };
		struct berth_volume_list list = { items, 2, 2 };
		char *text = (char *)"unchanged";

		ck_assert_int_eq(berth_volume_list_format(&list, &text, &err), -1);
		ck_assert_ptr_null(text);
		ck_assert_int_eq(err.code, EINVAL);
		ck_assert_str_eq(err.msg, "volume 2 cannot be written as a volume spec");
	}
}
END_TEST

/* ---- equality ------------------------------------------------------------ */

START_TEST(test_equal)
{
	const struct berth_volume a = { "/s", "/d", 0 };
	const struct berth_volume same[] = { { "/s", "/d", 0 }, { "/s", "/d", RW } };
	const struct berth_volume other[] = {
		{ "/s2", "/d", 0 }, { "/s", "/d2", 0 }, { "/s", "/d", RO }, { "/s", "/d", REC },
		{ "/s", "/d", RW | REC },
	};

	for (size_t i = 0; i < ARRAY_LEN(same); i++)
		ck_assert_msg(berth_volume_equal(&a, &same[i]) && berth_volume_equal(&same[i], &a),
			      "same %zu", i);
	for (size_t i = 0; i < ARRAY_LEN(other); i++)
		ck_assert_msg(!berth_volume_equal(&a, &other[i]) && !berth_volume_equal(&other[i], &a),
			      "other %zu", i);
}
END_TEST

/* Every flag bit but the syntax-only "rw" makes a different volume: a flag
 * added later is compared without anyone remembering to. */
START_TEST(test_equal_every_flag)
{
	struct berth_volume a = { "/s", "/d", RO }, b = a;

	for (unsigned bit = 0; bit < 8 * sizeof(a.flags); bit++) {
		b.flags = a.flags ^ (1ul << bit);
		ck_assert_msg(berth_volume_equal(&a, &b) == ((1ul << bit) == RW), "bit %u", bit);
	}
}
END_TEST

/* The members berth_volume_equal compares.  If this test fails, a member
 * was added to struct berth_volume: compare it in berth_volume_equal (or
 * better, make it a flag bit), then list it here. */
struct volume_compared_members {
	char *src;
	char *dst;
	unsigned long flags;
};

START_TEST(test_equal_knows_every_member)
{
	ck_assert_uint_eq(sizeof(struct berth_volume), sizeof(struct volume_compared_members));
	ck_assert_uint_eq(offsetof(struct berth_volume, src), offsetof(struct volume_compared_members, src));
	ck_assert_uint_eq(offsetof(struct berth_volume, dst), offsetof(struct volume_compared_members, dst));
	ck_assert_uint_eq(offsetof(struct berth_volume, flags),
			  offsetof(struct volume_compared_members, flags));
	/* no padding at the end a new member could hide in */
	ck_assert_uint_eq(offsetof(struct berth_volume, flags) + sizeof(((struct berth_volume *)0)->flags),
			  sizeof(struct berth_volume));
}
END_TEST

START_TEST(test_free_empty)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;

	berth_volume_list_free(&list);
	berth_volume_list_free(NULL);
	ck_assert_ptr_null(list.items);
	ck_assert_uint_eq(list.count, 0);
}
END_TEST

static Suite *volume_suite(void)
{
	Suite *suite = suite_create("volume");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_good, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(tc, test_round_trip, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_loop_test(tc, test_parse_bad_after_good, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_loop_test(tc, test_parse_bad_without_error, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_null_spec);
	tcase_add_test(tc, test_append_across_options);
	tcase_add_test(tc, test_max_volumes);
	tcase_add_test(tc, test_path_length);
	tcase_add_test(tc, test_spec_length);
	tcase_add_test(tc, test_format_empty_list);
	tcase_add_test(tc, test_format_refuses_unparsable);
	tcase_add_test(tc, test_free_empty);
	tcase_add_test(tc, test_equal);
	tcase_add_test(tc, test_equal_every_flag);
	tcase_add_test(tc, test_equal_knows_every_member);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(volume_suite());
}
