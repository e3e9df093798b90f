/*
 * test_image_access.c - <digest>.access: the gateway's ACL beside an image,
 * as slurmctld's shortcut and the node's check read it; and the node's
 * check itself (berth_job_spec_from_request).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs_util.h"
#include "image_access.h"
#include "job_spec.h"
#include "unit.h"

#define DIGEST "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static char dir[] = "/tmp/berth-test-access.XXXXXX";

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(berth_remove_tree(dir, &err), 0);
	memcpy(dir + strlen(dir) - 6, "XXXXXX", 6);
}

/* setfsuid(-1) changes nothing and returns the current fsuid */
static int getfsuid_now(void)
{
	return setfsuid((uid_t)-1);
}

static void put(const char *name, const char *text, mode_t mode)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(round_trip_and_modes)
{
	struct berth_image_access in = { .uids = (char *)",2001,2003,", .gids = (char *)",500," }, out;
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256];
	struct stat st;

	ck_assert_int_eq(berth_image_access_path(dir, DIGEST, path, sizeof(path), &err), 0);
	ck_assert_int_eq(berth_image_access_read(path, &out, &err), 0);
	ck_assert_msg(berth_image_access_write(path, &in, BERTH_IMAGE_MODE_PRIVATE, &err) == 0, "%s",
		      err.msg);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(berth_image_access_read(path, &out, &err), 1);
	ck_assert(!out.is_public);
	ck_assert_str_eq(out.uids, ",2001,2003,");
	ck_assert_str_eq(out.gids, ",500,");
	berth_image_access_free(&out);
	in.is_public = true;
	ck_assert_int_eq(berth_image_access_write(path, &in, BERTH_IMAGE_MODE_PUBLIC, &err), 0);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0644);
	in.uids = (char *)"1,2\"\nuids=0";
	ck_assert_int_eq(berth_image_access_write(path, &in, 0600, &err), -1);
	ck_assert_str_eq(err.msg, "image access: id list with other than digits and commas");
	ck_assert_int_eq(berth_image_access_path(dir, "sha256:x", path, sizeof(path), &err), -1);
	ck_assert_str_eq(err.msg, "invalid digest \"sha256:x\"");
}
END_TEST

START_TEST(who_is_allowed)
{
	struct berth_image_access acc = { .uids = (char *)",2001,", .gids = (char *)",500,777," };
	const gid_t groups[] = { 100, 777 };

	ck_assert(berth_image_access_allows(&acc, 2001, 2001, NULL, 0));
	ck_assert(!berth_image_access_allows(&acc, 2002, 2002, NULL, 0));
	ck_assert(!berth_image_access_allows(&acc, 200, 2002, NULL, 0));   /* no prefix match */
	ck_assert(!berth_image_access_allows(&acc, 20011, 2002, NULL, 0));
	ck_assert(berth_image_access_allows(&acc, 2002, 500, NULL, 0));
	ck_assert(berth_image_access_allows(&acc, 2002, 2002, groups, 2));
	ck_assert(berth_image_access_allows(&acc, 0, 0, NULL, 0));          /* root */
	acc.uids = (char *)",2001,x";                                       /* malformed: nobody */
	acc.gids = NULL;
	ck_assert(!berth_image_access_allows(&acc, 2001, 2001, NULL, 0));
	acc.is_public = true;
	ck_assert(berth_image_access_allows(&acc, 4242, 4242, NULL, 0));
}
END_TEST

/* The one parser of id lists (also the gateway's ACL columns). */
START_TEST(id_lists)
{
	ck_assert(berth_id_list_contains(",1001,,1002,", 1002));
	ck_assert(berth_id_list_contains("0", 0));
	ck_assert(!berth_id_list_contains("10010", 1001));
	ck_assert(!berth_id_list_contains("", 0));
	ck_assert(!berth_id_list_contains(NULL, 0));
	/* malformed: holds nothing, not even its valid prefix */
	ck_assert(!berth_id_list_contains("1001,x", 1001));
	ck_assert(!berth_id_list_contains("1001,-1", 1001));
	ck_assert(!berth_id_list_contains(" 1001", 1001));
	/* overflow saturates: never an id */
	ck_assert(!berth_id_list_contains("99999999999999999999999", 4294967295UL));
}
END_TEST

START_TEST(shortcut)
{
	ck_assert(berth_image_access_shortcut_ok(dir, DIGEST));            /* an admin's image */
	put(DIGEST ".access", "public = yes\n", 0644);
	ck_assert(berth_image_access_shortcut_ok(dir, DIGEST));
	put(DIGEST ".access", "public = no\nuids = \",2001,\"\n", 0600);
	ck_assert(!berth_image_access_shortcut_ok(dir, DIGEST));
	put(DIGEST ".access", "public = maybe\n", 0644);
	ck_assert(!berth_image_access_shortcut_ok(dir, DIGEST));
	ck_assert(!berth_image_access_shortcut_ok(dir, "sha256:bad"));
}
END_TEST

/* The node's check, in the spec builder job_prolog and a step's own
 * container use: a user outside a private image's audience gets the
 * message of an image that is not there. */
START_TEST(node_check)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg = { 0 };
	struct berth_job_spec spec;
	char want[512];

	cfg.image_dir = dir;
	put(DIGEST ".sqfs", "", 0600);
	put(DIGEST ".access", "public = no\nuids = \",2001,\"\ngids = \",500,\"\n", 0600);
	ck_assert_int_eq(berth_job_request_set_image(&req, "id:" DIGEST, BERTH_IMAGE_DOCKER, &err), 0);
	ck_assert_msg(berth_job_spec_from_request(&req, &cfg, 2001, 2001, &spec, &err) == 0, "%s",
		      err.msg);
	berth_job_spec_free(&spec);
	ck_assert_int_eq(berth_job_spec_from_request(&req, &cfg, 2005, 500, &spec, &err), 0);
	berth_job_spec_free(&spec);
	snprintf(want, sizeof(want), "image %s is not in the image directory %s", DIGEST, dir);
	ck_assert_int_eq(berth_job_spec_from_request(&req, &cfg, 2002, 2002, &spec, &err), -1);
	ck_assert_str_eq(err.msg, want);
	put(DIGEST ".access", "not a key\n", 0600);                      /* unreadable: nobody */
	ck_assert_int_eq(berth_job_spec_from_request(&req, &cfg, 2001, 2001, &spec, &err), -1);
	ck_assert_str_eq(err.msg, want);
	put(DIGEST ".access", "public = yes\n", 0644);
	ck_assert_int_eq(berth_job_spec_from_request(&req, &cfg, 2002, 2002, &spec, &err), 0);
	berth_job_spec_free(&spec);
	berth_job_request_free(&req);
}
END_TEST

/* Root squashed on the shared image directory (NFS root_squash): root
 * without CAP_DAC_OVERRIDE/CAP_DAC_READ_SEARCH cannot open the gateway
 * user's 0600 files either, as the squashed root cannot.  The node's
 * readers open them as their owner instead; never a root-owned file. */
static int squashed_child(void)
{
	cap_value_t dac[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	struct berth_image_access acc;
	struct berth_error err = BERTH_ERROR_INIT;
	cap_t caps = cap_get_proc();
	char path[256];
	int fd;

	if (!caps || cap_set_flag(caps, CAP_EFFECTIVE, 2, dac, CAP_CLEAR) < 0 || cap_set_proc(caps) < 0)
		return 10;
	cap_free(caps);
	/* first: setfsuid(0) gives root its permitted file capabilities back */
	snprintf(path, sizeof(path), "%s/root-only", dir);
	if ((fd = berth_open_image_file(path, O_RDONLY)) >= 0 || errno != EACCES)
		return 14;
	snprintf(path, sizeof(path), "%s/%s.access", dir, DIGEST);
	if (open(path, O_RDONLY) >= 0 || errno != EACCES)
		return 11;   /* the simulation does not hold */
	if (berth_image_access_read(path, &acc, &err) != 1 || acc.is_public || !acc.uids ||
	    strcmp(acc.uids, ",2001,") != 0)
		return 12;
	berth_image_access_free(&acc);
	if (getfsuid_now() != 0)
		return 13;   /* the thread is root again */
	return 0;
}

START_TEST(squashed_root)
{
	char path[256];
	pid_t pid;
	int status;

	if (geteuid() != 0)
		return;   /* needs root to play the squashed root */
	ck_assert_int_eq(chmod(dir, 0711), 0);
	put(DIGEST ".access", "public = no\nuids = \",2001,\"\n", 0600);
	snprintf(path, sizeof(path), "%s/%s.access", dir, DIGEST);
	ck_assert_int_eq(chown(path, 4242, 4242), 0);
	put("root-only", "secret", 0000);   /* root itself may not open it */
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0)
		_exit(squashed_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
}
END_TEST

int main(void)
{
	Suite *suite = suite_create("image_access");
	TCase *tc = tcase_create("access");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, round_trip_and_modes);
	tcase_add_test(tc, who_is_allowed);
	tcase_add_test(tc, id_lists);
	tcase_add_test(tc, shortcut);
	tcase_add_test(tc, node_check);
	tcase_add_test(tc, squashed_root);
	suite_add_tcase(suite, tc);
	return unit_run(suite);
}
