/*
 * test_image_ref.c - unit tests of common/image_ref.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image_ref.h"
#include "unit.h"

#define HEX       "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HEX57     "0123456789abcdef0123456789abcdef0123456789abcdef012345678"
#define HEX_UPPER "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"
#define HEX_UPPER57 "0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF012345678"
#define SHA       "sha256:" HEX

#define DOCKER BERTH_IMAGE_DOCKER
#define ID     BERTH_IMAGE_ID
#define LOCAL  BERTH_IMAGE_LOCAL

struct good_case {
	const char *input;
	enum berth_image_type default_type;
	enum berth_image_type type;
	const char *registry;
	const char *repository;
	const char *tag;
	const char *digest;
	const char *path;
	const char *canonical;
};

static const struct good_case good_cases[] = {
	{ "ubuntu", DOCKER, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "docker:ubuntu", DOCKER, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "docker:ubuntu", LOCAL, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "ubuntu:22.04", DOCKER, DOCKER, "docker.io", "library/ubuntu", "22.04", "", "",
	  "docker:docker.io/library/ubuntu:22.04" },
	{ "docker:ubuntu:22.04", ID, DOCKER, "docker.io", "library/ubuntu", "22.04", "", "",
	  "docker:docker.io/library/ubuntu:22.04" },
	{ "user/repo", DOCKER, DOCKER, "docker.io", "user/repo", "latest", "", "",
	  "docker:docker.io/user/repo:latest" },
	{ "user/repo:v1.0-rc_1", DOCKER, DOCKER, "docker.io", "user/repo", "v1.0-rc_1", "", "",
	  "docker:docker.io/user/repo:v1.0-rc_1" },
	{ "docker.io/ubuntu", DOCKER, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "docker.io/library/ubuntu", DOCKER, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "index.docker.io/ubuntu", DOCKER, DOCKER, "docker.io", "library/ubuntu", "latest", "", "",
	  "docker:docker.io/library/ubuntu:latest" },
	{ "index.docker.io/user/repo:t", DOCKER, DOCKER, "docker.io", "user/repo", "t", "", "",
	  "docker:docker.io/user/repo:t" },
	{ "registry.example:5000/ns/repo:tag", DOCKER, DOCKER, "registry.example:5000", "ns/repo", "tag",
	  "", "", "docker:registry.example:5000/ns/repo:tag" },
	{ "docker:registry.example:5000/ns/repo", DOCKER, DOCKER, "registry.example:5000", "ns/repo",
	  "latest", "", "", "docker:registry.example:5000/ns/repo:latest" },
	{ "example.com/ubuntu", DOCKER, DOCKER, "example.com", "ubuntu", "latest", "", "",
	  "docker:example.com/ubuntu:latest" },
	{ "ghcr.io/owner/img/sub", DOCKER, DOCKER, "ghcr.io", "owner/img/sub", "latest", "", "",
	  "docker:ghcr.io/owner/img/sub:latest" },
	{ "localhost/foo", DOCKER, DOCKER, "localhost", "foo", "latest", "", "",
	  "docker:localhost/foo:latest" },
	{ "localhost:5000/foo/bar:1", DOCKER, DOCKER, "localhost:5000", "foo/bar", "1", "", "",
	  "docker:localhost:5000/foo/bar:1" },
	/* Without a '/', the first component is never a registry (as docker). */
	{ "localhost", DOCKER, DOCKER, "docker.io", "library/localhost", "latest", "", "",
	  "docker:docker.io/library/localhost:latest" },
	{ "registry:5000", DOCKER, DOCKER, "docker.io", "library/registry", "5000", "", "",
	  "docker:docker.io/library/registry:5000" },
	{ "reg.example.com", DOCKER, DOCKER, "docker.io", "library/reg.example.com", "latest", "", "",
	  "docker:docker.io/library/reg.example.com:latest" },
	{ "192.168.1.10:5000/img", DOCKER, DOCKER, "192.168.1.10:5000", "img", "latest", "", "",
	  "docker:192.168.1.10:5000/img:latest" },
	{ "[::1]:5000/img:t", DOCKER, DOCKER, "[::1]:5000", "img", "t", "", "",
	  "docker:[::1]:5000/img:t" },
	{ "[fe80::1]/img", DOCKER, DOCKER, "[fe80::1]", "img", "latest", "", "",
	  "docker:[fe80::1]/img:latest" },
	{ "Registry.Example-1.COM/img", DOCKER, DOCKER, "Registry.Example-1.COM", "img", "latest", "", "",
	  "docker:Registry.Example-1.COM/img:latest" },
	{ "reg.example:65535/a", DOCKER, DOCKER, "reg.example:65535", "a", "latest", "", "",
	  "docker:reg.example:65535/a:latest" },
	{ "user/a.b_c__d-e---f", DOCKER, DOCKER, "docker.io", "user/a.b_c__d-e---f", "latest", "", "",
	  "docker:docker.io/user/a.b_c__d-e---f:latest" },
	{ "0/1", DOCKER, DOCKER, "docker.io", "0/1", "latest", "", "", "docker:docker.io/0/1:latest" },
	{ "ubuntu:_x", DOCKER, DOCKER, "docker.io", "library/ubuntu", "_x", "", "",
	  "docker:docker.io/library/ubuntu:_x" },
	{ "ubuntu:UPPER.case-9", DOCKER, DOCKER, "docker.io", "library/ubuntu", "UPPER.case-9", "", "",
	  "docker:docker.io/library/ubuntu:UPPER.case-9" },
	{ "ubuntu@" SHA, DOCKER, DOCKER, "docker.io", "library/ubuntu", "", SHA, "",
	  "docker:docker.io/library/ubuntu@" SHA },
	{ "ubuntu:22.04@" SHA, DOCKER, DOCKER, "docker.io", "library/ubuntu", "22.04", SHA, "",
	  "docker:docker.io/library/ubuntu:22.04@" SHA },
	{ "reg:5000/r:tag@" SHA, DOCKER, DOCKER, "reg:5000", "r", "tag", SHA, "",
	  "docker:reg:5000/r:tag@" SHA },
	{ "id:" SHA, DOCKER, ID, "", "", "", SHA, "", "id:" SHA },
	{ "id:" HEX, DOCKER, ID, "", "", "", SHA, "", "id:" SHA },
	{ HEX, ID, ID, "", "", "", SHA, "", "id:" SHA },
	{ SHA, ID, ID, "", "", "", SHA, "", "id:" SHA },
	{ "local:/images/ubuntu.sqfs", DOCKER, LOCAL, "", "", "", "", "/images/ubuntu.sqfs",
	  "local:/images/ubuntu.sqfs" },
	{ "local://images//./ubuntu.sqfs/", DOCKER, LOCAL, "", "", "", "", "/images/ubuntu.sqfs",
	  "local:/images/ubuntu.sqfs" },
	{ "/images/x.sqfs", LOCAL, LOCAL, "", "", "", "", "/images/x.sqfs", "local:/images/x.sqfs" },
	{ "local:/a/.../..b/b..", DOCKER, LOCAL, "", "", "", "", "/a/.../..b/b..",
	  "local:/a/.../..b/b.." },
	{ "local:/a:b@c", DOCKER, LOCAL, "", "", "", "", "/a:b@c", "local:/a:b@c" },
	{ "local:/.x/.", DOCKER, LOCAL, "", "", "", "", "/.x", "local:/.x" },
};

struct bad_case {
	const char *input;
	enum berth_image_type default_type;
	const char *message;
};

static const struct bad_case bad_cases[] = {
	{ "", DOCKER, "image reference is empty" },
	{ "docker:", DOCKER, "image reference \"docker:\": nothing after \"docker:\"" },
	{ "id:", DOCKER, "image reference \"id:\": nothing after \"id:\"" },
	{ "local:", DOCKER, "image reference \"local:\": nothing after \"local:\"" },
	{ " ubuntu", DOCKER, "image reference \" ubuntu\": must not contain whitespace" },
	{ "ubuntu ", DOCKER, "image reference \"ubuntu \": must not contain whitespace" },
	{ "ubu\tntu", DOCKER, "image reference \"ubu?ntu\": must not contain whitespace" },
	{ "ubuntu\n", DOCKER, "image reference \"ubuntu?\": must not contain whitespace" },
	{ "local:/a b", DOCKER, "image reference \"local:/a b\": must not contain whitespace" },
	{ "ubu\x01ntu", DOCKER, "image reference \"ubu?ntu\": control character at position 4" },
	{ "ubu\x1b[31m", DOCKER, "image reference \"ubu?[31m\": control character at position 4" },
	{ "ubuntu\x7f", DOCKER, "image reference \"ubuntu?\": control character at position 7" },
	{ "caf\xc3\xa9", DOCKER, "image reference \"caf??\": non-ASCII character at position 4" },
	{ "Ubuntu", DOCKER, "repository \"Ubuntu\": must be lowercase" },
	{ "user/Repo:tag", DOCKER, "repository \"user/Repo\": must be lowercase" },
	{ "Docker:ubuntu", DOCKER, "repository \"Docker\": must be lowercase" },
	{ "a!b", DOCKER, "repository \"a!b\": invalid character '!'" },
	{ "reg:5000/a:b/c", DOCKER, "repository \"a:b/c\": invalid character ':'" },
	{ "a//b", DOCKER, "repository \"a//b\": empty path component" },
	{ "a/", DOCKER, "repository \"a/\": empty path component" },
	{ "/a", DOCKER, "repository \"/a\": empty path component" },
	{ "a/-b", DOCKER,
	  "repository \"a/-b\": component \"-b\" must start and end with a letter or digit" },
	{ "a_", DOCKER, "repository \"a_\": component \"a_\" must start and end with a letter or digit" },
	{ "a..b", DOCKER, "repository \"a..b\": component \"a..b\" has invalid separator \"..\"" },
	{ "u/a___b", DOCKER, "repository \"u/a___b\": component \"a___b\" has invalid separator \"___\"" },
	{ "a-.b", DOCKER, "repository \"a-.b\": component \"a-.b\" has invalid separator \"-.\"" },
	{ HEX, DOCKER, "repository \"" HEX "\": 64 hex digits name an image id; use the \"id:\" type" },
	{ "docker:" HEX, DOCKER,
	  "repository \"" HEX "\": 64 hex digits name an image id; use the \"id:\" type" },
	{ ":tag", DOCKER, "image reference \":tag\": repository name is empty" },
	{ "docker::tag", DOCKER, "image reference \"docker::tag\": repository name is empty" },
	{ "@sha256:12", DOCKER, "image reference \"@sha256:12\": repository name is empty" },
	{ "docker.io/", DOCKER, "image reference \"docker.io/\": repository name is empty" },
	{ "ubuntu:", DOCKER, "image reference \"ubuntu:\": empty tag after ':'" },
	{ "ubuntu:@sha256:12", DOCKER, "image reference \"ubuntu:@sha256:12\": empty tag after ':'" },
	{ "ubuntu:a!b", DOCKER, "tag \"a!b\": invalid character '!'" },
	{ "ubuntu:a:b", DOCKER, "tag \"a:b\": invalid character ':'" },
	{ "ubuntu:.a", DOCKER, "tag \".a\": must start with a letter, digit or '_'" },
	{ "ubuntu:-a", DOCKER, "tag \"-a\": must start with a letter, digit or '_'" },
	{ "ubuntu@", DOCKER, "image reference \"ubuntu@\": empty digest after '@'" },
	{ "ubuntu:1@", DOCKER, "image reference \"ubuntu:1@\": empty digest after '@'" },
	{ "ubuntu@sha256:12", DOCKER, "digest \"sha256:12\": must be sha256: followed by 64 hex digits" },
	{ "ubuntu:tag@sha256:12", DOCKER,
	  "digest \"sha256:12\": must be sha256: followed by 64 hex digits" },
	{ "ubuntu@" HEX, DOCKER, "digest \"" HEX "\": must be sha256: followed by 64 hex digits" },
	{ "ubuntu@" SHA "0", DOCKER,
	  "digest \"sha256:" HEX57 "...\": must be sha256: followed by 64 hex digits" },
	{ "ubuntu@sha256:" HEX57 "9abcdeg", DOCKER,
	  "digest \"sha256:" HEX57 "...\": must be sha256: followed by 64 hex digits" },
	{ "ubuntu@sha256:" HEX_UPPER, DOCKER,
	  "digest \"sha256:" HEX_UPPER57 "...\": hex digits must be lowercase" },
	{ "ubuntu@sha512:" HEX, DOCKER, "digest \"sha512:" HEX57 "...\": only sha256 digests are supported" },
	{ "ubuntu@" SHA "@" SHA, DOCKER,
	  "digest \"sha256:" HEX57 "...\": must be sha256: followed by 64 hex digits" },
	{ "reg_x.example/img", DOCKER, "registry \"reg_x.example\": invalid character '_'" },
	{ "reg..example/img", DOCKER, "registry \"reg..example\": empty host name component" },
	{ ".example/img", DOCKER, "registry \".example\": empty host name component" },
	{ "-reg.example/img", DOCKER,
	  "registry \"-reg.example\": host name component \"-reg\" must not start or end with '-'" },
	{ "reg.example-/img", DOCKER,
	  "registry \"reg.example-\": host name component \"example-\" must not start or end with '-'" },
	{ ":5000/img", DOCKER, "registry \":5000\": empty host name" },
	{ "reg.example:/img", DOCKER, "registry \"reg.example:\": empty port" },
	{ "reg.example:abc/img", DOCKER, "registry \"reg.example:abc\": port \"abc\" is not a number" },
	{ "reg:50:00/img", DOCKER, "registry \"reg:50:00\": port \"50:00\" is not a number" },
	{ "reg.example:65536/img", DOCKER,
	  "registry \"reg.example:65536\": port \"65536\" is out of range (1-65535)" },
	{ "reg.example:0/img", DOCKER, "registry \"reg.example:0\": port \"0\" is out of range (1-65535)" },
	{ "reg:99999999999999999999999/img", DOCKER,
	  "registry \"reg:99999999999999999999999\": port \"99999999999999999999999\" is out of range (1-65535)" },
	{ "[::1/img", DOCKER, "registry \"[::1\": missing ']' after IPv6 address" },
	{ "[zz::1]/img", DOCKER, "registry \"[zz::1]\": invalid IPv6 address" },
	{ "[]:5000/img", DOCKER, "registry \"[]:5000\": invalid IPv6 address" },
	{ "[::1]x/img", DOCKER, "registry \"[::1]x\": expected ':' and a port after ']'" },
	{ "id:abc", DOCKER,
	  "image id \"abc\": must be sha256: followed by 64 hex digits, or 64 hex digits" },
	{ "ubuntu", ID,
	  "image id \"ubuntu\": must be sha256: followed by 64 hex digits, or 64 hex digits" },
	{ "id:" HEX "0", DOCKER,
	  "image id \"" HEX "...\": must be sha256: followed by 64 hex digits, or 64 hex digits" },
	{ "id::" HEX, DOCKER,
	  "image id \":" HEX57 "9abcde...\": must be sha256: followed by 64 hex digits, or 64 hex digits" },
	{ "id:" HEX_UPPER, DOCKER, "image id \"" HEX_UPPER "\": hex digits must be lowercase" },
	{ "id:sha512:" HEX, DOCKER, "image id \"sha512:" HEX57 "...\": only sha256 digests are supported" },
	{ "local:images/x", DOCKER, "local path \"images/x\" is not an absolute path" },
	{ "images/x", LOCAL, "local path \"images/x\" is not an absolute path" },
	{ "local:/a/../b", DOCKER, "local path \"/a/../b\" has a \"..\" component" },
	{ "local:/a/..", DOCKER, "local path \"/a/..\" has a \"..\" component" },
	{ "local:/", DOCKER, "local path \"/\" is the root directory" },
	{ "local://./", DOCKER, "local path \"//./\" is the root directory" },
	{ "ubuntu", (enum berth_image_type)7, "image reference \"ubuntu\": unknown image type 7" },
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

/* A macro, so that a failure names the caller's line. */
#define assert_rejected(input, type, message)                                             \
	do {                                                                              \
		struct berth_image_ref ref_;                                              \
		struct berth_error err_ = BERTH_ERROR_INIT;                               \
		ck_assert_int_eq(berth_image_ref_parse((input), (type), &ref_, &err_), -1); \
		ck_assert_int_eq(err_.code, EINVAL);                                      \
		ck_assert_str_eq(err_.msg, (message));                                    \
	} while (0)

START_TEST(test_parse_good)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;
	char text[BERTH_IMAGE_REF_MAX + 128];

	ck_assert_msg(berth_image_ref_parse(c->input, c->default_type, &ref, &err) == 0,
		      "\"%s\" rejected: %s", c->input, err.msg);
	ck_assert_int_eq(ref.type, c->type);
	ck_assert_str_eq(ref.registry, c->registry);
	ck_assert_str_eq(ref.repository, c->repository);
	ck_assert_str_eq(ref.tag, c->tag);
	ck_assert_str_eq(ref.digest, c->digest);
	ck_assert_str_eq(ref.path, c->path);
	ck_assert_int_eq(berth_image_ref_format(&ref, text, sizeof(text), &err), 0);
	ck_assert_str_eq(text, c->canonical);
}
END_TEST

/* The canonical text parses (whatever the default type) to the same ref. */
START_TEST(test_round_trip)
{
	const struct good_case *c = &good_cases[_i];
	struct berth_image_ref first, second;
	struct berth_error err = BERTH_ERROR_INIT;
	char text[BERTH_IMAGE_REF_MAX + 128], again[BERTH_IMAGE_REF_MAX + 128];

	ck_assert_int_eq(berth_image_ref_parse(c->input, c->default_type, &first, &err), 0);
	ck_assert_int_eq(berth_image_ref_format(&first, text, sizeof(text), &err), 0);
	for (int type = DOCKER; type <= LOCAL; type++) {
		ck_assert_msg(berth_image_ref_parse(text, (enum berth_image_type)type, &second, &err) == 0,
			      "\"%s\" rejected: %s", text, err.msg);
		ck_assert_msg(memcmp(&first, &second, sizeof(first)) == 0, "\"%s\" differs", text);
		ck_assert_int_eq(berth_image_ref_format(&second, again, sizeof(again), &err), 0);
		ck_assert_str_eq(again, text);
	}
}
END_TEST

START_TEST(test_parse_bad)
{
	const struct bad_case *c = &bad_cases[_i];

	assert_rejected(c->input, c->default_type, c->message);
}
END_TEST

START_TEST(test_parse_bad_without_error)
{
	struct berth_image_ref ref;

	ck_assert_int_eq(berth_image_ref_parse(bad_cases[_i].input, bad_cases[_i].default_type, &ref, NULL), -1);
}
END_TEST

START_TEST(test_null_input)
{
	assert_rejected(NULL, DOCKER, "image reference is empty");
}
END_TEST

START_TEST(test_input_length)
{
	char input[BERTH_IMAGE_REF_MAX + 2], message[256];
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;

	repeat(input, "local:/", 'a', BERTH_IMAGE_REF_MAX - strlen("local:/"));
	ck_assert_uint_eq(strlen(input), 1024);
	ck_assert_int_eq(berth_image_ref_parse(input, DOCKER, &ref, &err), 0);
	ck_assert_int_eq(ref.type, LOCAL);
	ck_assert_str_eq(ref.path, input + strlen("local:"));

	repeat(input, "local:/", 'a', BERTH_IMAGE_REF_MAX + 1 - strlen("local:/"));
	snprintf(message, sizeof(message), "image reference \"local:/%s...\": longer than 1024 characters",
		 repeat((char[64]){ 0 }, "", 'a', 57));
	assert_rejected(input, DOCKER, message);
}
END_TEST

/* Without the "local:" prefix (default type local) the path may be as long
 * as the input; its canonical form adds "local:" and must still parse. */
START_TEST(test_local_path_length)
{
	char input[BERTH_IMAGE_REF_MAX + 2], text[BERTH_IMAGE_REF_MAX + 128], message[256];
	size_t longest = BERTH_IMAGE_REF_MAX - strlen("local:");
	struct berth_image_ref ref, again;
	struct berth_error err = BERTH_ERROR_INIT;

	repeat(input, "/", 'a', longest - 1);
	ck_assert_int_eq(berth_image_ref_parse(input, LOCAL, &ref, &err), 0);
	ck_assert_int_eq(berth_image_ref_format(&ref, text, sizeof(text), &err), 0);
	ck_assert_uint_eq(strlen(text), BERTH_IMAGE_REF_MAX);
	ck_assert_msg(berth_image_ref_parse(text, DOCKER, &again, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(again.path, input);

	repeat(input, "/", 'a', longest);
	snprintf(message, sizeof(message), "local path \"/%s...\" is longer than 1018 characters",
		 repeat((char[64]){ 0 }, "", 'a', 63));
	assert_rejected(input, LOCAL, message);
}
END_TEST

START_TEST(test_tag_length)
{
	char input[256], message[256], a64[65];
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;

	repeat(input, "ubuntu:", 'a', 128);
	ck_assert_int_eq(berth_image_ref_parse(input, DOCKER, &ref, &err), 0);
	ck_assert_str_eq(ref.tag, input + strlen("ubuntu:"));

	repeat(input, "ubuntu:", 'a', 129);
	snprintf(message, sizeof(message), "tag \"%s...\": longer than 128 characters",
		 repeat(a64, "", 'a', 64));
	assert_rejected(input, DOCKER, message);
}
END_TEST

/* docker's limit: 255 for registry '/' repository, after normalisation. */
START_TEST(test_name_length)
{
	char input[512], message[1024], expected[600];
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;

	repeat(input, "", 'a', 255 - strlen("docker.io/library/"));
	ck_assert_int_eq(berth_image_ref_parse(input, DOCKER, &ref, &err), 0);
	snprintf(expected, sizeof(expected), "library/%s", input);
	ck_assert_str_eq(ref.repository, expected);
	ck_assert_uint_eq(strlen(ref.registry) + 1 + strlen(ref.repository), 255);

	repeat(input, "", 'a', 256 - strlen("docker.io/library/"));
	snprintf(message, sizeof(message),
		 "image name \"docker.io/library/%s...\": longer than 255 characters",
		 repeat(expected, "", 'a', 64 - strlen("docker.io/library/")));
	assert_rejected(input, DOCKER, message);

	repeat(input, "reg.example/", 'b', 255 - strlen("reg.example/"));
	ck_assert_int_eq(berth_image_ref_parse(input, DOCKER, &ref, &err), 0);
	ck_assert_str_eq(ref.registry, "reg.example");
	ck_assert_str_eq(ref.repository, input + strlen("reg.example/"));

	repeat(input, "reg.example/", 'b', 256 - strlen("reg.example/"));
	snprintf(message, sizeof(message), "image name \"reg.example/%s...\": longer than 255 characters",
		 repeat(expected, "", 'b', 64 - strlen("reg.example/")));
	assert_rejected(input, DOCKER, message);
}
END_TEST

START_TEST(test_format_buffer_size)
{
	const char *canonical = "docker:docker.io/library/ubuntu:latest";
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[64];

	ck_assert_int_eq(berth_image_ref_parse("ubuntu", DOCKER, &ref, &err), 0);
	ck_assert_int_eq(berth_image_ref_format(&ref, buf, strlen(canonical) + 1, &err), 0);
	ck_assert_str_eq(buf, canonical);
	ck_assert_int_eq(berth_image_ref_format(&ref, buf, strlen(canonical), &err), -1);
	ck_assert_int_eq(err.code, ENOSPC);
	ck_assert_str_eq(err.msg, "image reference needs 39 bytes, buffer has 38");
	ck_assert_int_eq(berth_image_ref_format(&ref, NULL, 0, &err), -1);
	ck_assert_str_eq(err.msg, "image reference needs 39 bytes, buffer has 0");
}
END_TEST

START_TEST(test_format_unknown_type)
{
	struct berth_image_ref ref;
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[64];

	memset(&ref, 0, sizeof(ref));
	ref.type = (enum berth_image_type)9;
	ck_assert_int_eq(berth_image_ref_format(&ref, buf, sizeof(buf), &err), -1);
	ck_assert_str_eq(err.msg, "unknown image type 9");
}
END_TEST

START_TEST(test_type_names)
{
	enum berth_image_type type = (enum berth_image_type)9;

	ck_assert_str_eq(berth_image_type_name(DOCKER), "docker");
	ck_assert_str_eq(berth_image_type_name(ID), "id");
	ck_assert_str_eq(berth_image_type_name(LOCAL), "local");
	ck_assert_str_eq(berth_image_type_name((enum berth_image_type)3), "unknown");
	ck_assert_int_eq(berth_image_type_from_name("local", &type), 0);
	ck_assert_int_eq(type, LOCAL);
	ck_assert_int_eq(berth_image_type_from_name("id", &type), 0);
	ck_assert_int_eq(type, ID);
	ck_assert_int_eq(berth_image_type_from_name("docker", &type), 0);
	ck_assert_int_eq(type, DOCKER);
	ck_assert_int_eq(berth_image_type_from_name("Docker", &type), -1);
	ck_assert_int_eq(berth_image_type_from_name("oci", &type), -1);
	ck_assert_int_eq(berth_image_type_from_name("", &type), -1);
	ck_assert_int_eq(berth_image_type_from_name(NULL, &type), -1);
	ck_assert_int_eq(type, DOCKER);
}
END_TEST

START_TEST(test_digest_valid)
{
	ck_assert(berth_digest_valid(SHA));
	ck_assert(!berth_digest_valid(NULL));
	ck_assert(!berth_digest_valid(""));
	ck_assert(!berth_digest_valid(HEX));
	ck_assert(!berth_digest_valid("sha256:" HEX_UPPER));
	ck_assert(!berth_digest_valid("sha256:" HEX "0"));
	ck_assert(!berth_digest_valid("sha256:" HEX57 "9abcde"));
	ck_assert(!berth_digest_valid("sha512:" HEX));
	ck_assert(!berth_digest_valid("sha256:" HEX57 "9abcdeg"));
}
END_TEST

static Suite *image_ref_suite(void)
{
	Suite *suite = suite_create("image_ref");
	TCase *tc = tcase_create("parse");

	tcase_add_loop_test(tc, test_parse_good, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(tc, test_round_trip, 0, (int)ARRAY_LEN(good_cases));
	tcase_add_loop_test(tc, test_parse_bad, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_loop_test(tc, test_parse_bad_without_error, 0, (int)ARRAY_LEN(bad_cases));
	tcase_add_test(tc, test_null_input);
	tcase_add_test(tc, test_input_length);
	tcase_add_test(tc, test_local_path_length);
	tcase_add_test(tc, test_tag_length);
	tcase_add_test(tc, test_name_length);
	tcase_add_test(tc, test_format_buffer_size);
	tcase_add_test(tc, test_format_unknown_type);
	tcase_add_test(tc, test_type_names);
	tcase_add_test(tc, test_digest_valid);
	suite_add_tcase(suite, tc);
	return suite;
}

int main(void)
{
	return unit_run(image_ref_suite());
}
