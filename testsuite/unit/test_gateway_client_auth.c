/*
 * test_gateway_client_auth.c - the `berth login` store (helper/auth_store.c):
 * registry names, the file's place, mode and atomic rewrite, and the files
 * it refuses to read (open to others, a symlink, not its format).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs_util.h"
#include "helper.h"
#include "unit.h"

static char home[64], path[128];

static void setup(void)
{
	snprintf(home, sizeof(home), "/tmp/berth-test-auth.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(home));
	setenv("HOME", home, 1);
	unsetenv("XDG_CONFIG_HOME");
	snprintf(path, sizeof(path), "%s/.config/berth/auth.json", home);
}

static void teardown(void)
{
	berth_remove_tree(home, NULL);
}

static const struct { const char *in, *out; } registry_names[] = {
	{ "docker.io", "docker.io" },
	{ "index.docker.io", "docker.io" },
	{ "registry-1.docker.io", "docker.io" },
	{ "https://Reg.Example:5000/", "reg.example:5000" },
	{ "http://127.0.0.1:15000/v2/", "127.0.0.1:15000" },
	{ "[::1]:5000", "[::1]:5000" },
};

START_TEST(registry_normalize)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[AUTH_REGISTRY_MAX];

	ck_assert_msg(auth_registry_normalize(registry_names[_i].in, buf, sizeof(buf), &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(buf, registry_names[_i].out);
}
END_TEST

static const char *const bad_registries[] = { "", "/x", "https://", "reg example", "reg\n",
					      "reg_x:5000", "r\xc3\xa9g" };

START_TEST(registry_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[AUTH_REGISTRY_MAX];

	ck_assert_int_eq(auth_registry_normalize(bad_registries[_i], buf, sizeof(buf), &err), -1);
	ck_assert_int_eq(err.code, EINVAL);
	ck_assert_str_eq(err.msg, "bad registry name (expected HOST[:PORT])");
}
END_TEST

START_TEST(file_path)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[256];

	ck_assert_int_eq(auth_file_path(buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, path);
	setenv("XDG_CONFIG_HOME", "/xdg", 1);
	ck_assert_int_eq(auth_file_path(buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, "/xdg/berth/auth.json");
	/* relative XDG_CONFIG_HOME is ignored, as the spec says */
	setenv("XDG_CONFIG_HOME", "rel", 1);
	ck_assert_int_eq(auth_file_path(buf, sizeof(buf), &err), 0);
	ck_assert_str_eq(buf, path);
	ck_assert_int_eq(auth_file_path(buf, 8, &err), -1);
	ck_assert_int_eq(err.code, ENAMETOOLONG);
}
END_TEST

START_TEST(store_find_remove)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct auth_entry entry;
	struct stat st;
	bool existed;

	/* nothing stored yet: found nothing, no file made by a lookup */
	ck_assert_int_eq(auth_find(path, "reg:5000", &entry, &err), 0);
	ck_assert_int_eq(access(path, F_OK), -1);
	ck_assert_msg(auth_update(path, "reg:5000", "alice", "pa\"ss\\word", &existed, &err) == 0,
		      "%s", err.msg);
	ck_assert(!existed);
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0600);
	snprintf(entry.registry, sizeof(entry.registry), "%s/.config/berth", home);
	ck_assert_int_eq(stat(entry.registry, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(auth_update(path, "docker.io", "bob", "x", &existed, &err), 0);
	ck_assert_int_eq(auth_find(path, "reg:5000", &entry, &err), 1);
	ck_assert_str_eq(entry.username, "alice");
	ck_assert_str_eq(entry.password, "pa\"ss\\word");
	ck_assert_str_eq(entry.registry, "reg:5000");
	auth_entry_wipe(&entry);
	ck_assert_str_eq(entry.password, "");
	/* replace, then remove */
	ck_assert_int_eq(auth_update(path, "reg:5000", "carol", "y", &existed, &err), 0);
	ck_assert(existed);
	ck_assert_int_eq(auth_find(path, "reg:5000", &entry, &err), 1);
	ck_assert_str_eq(entry.username, "carol");
	ck_assert_int_eq(auth_update(path, "reg:5000", NULL, NULL, &existed, &err), 0);
	ck_assert(existed);
	ck_assert_int_eq(auth_find(path, "reg:5000", &entry, &err), 0);
	ck_assert_int_eq(auth_find(path, "docker.io", &entry, &err), 1);
	ck_assert_int_eq(auth_update(path, "reg:5000", NULL, NULL, &existed, &err), 0);
	ck_assert(!existed);
}
END_TEST

static void write_file(const char *text, mode_t mode)
{
	char dir[128];
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/.config", home);
	mkdir(dir, 0700);
	snprintf(dir, sizeof(dir), "%s/.config/berth", home);
	mkdir(dir, 0700);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(refused_files)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct auth_entry entry;
	char want[256], target[160];
	bool existed;

	write_file("{\"auths\":{\"r\":{\"username\":\"u\",\"password\":\"p\"}}}", 0640);
	ck_assert_int_eq(auth_find(path, "r", &entry, &err), -1);
	ck_assert_int_eq(err.code, EPERM);
	snprintf(want, sizeof(want), "%s: readable by others; `chmod 600` it (and change the passwords)", path);
	ck_assert_str_eq(err.msg, want);
	/* nor rewritten */
	ck_assert_int_eq(auth_update(path, "r", "u", "q", &existed, &err), -1);

	write_file("not json", 0600);
	ck_assert_int_eq(auth_find(path, "r", &entry, &err), -1);
	snprintf(want, sizeof(want), "%s: not a berth login file", path);
	ck_assert_str_eq(err.msg, want);

	write_file("{\"auths\":{\"r\":{\"username\":\"u\"}}}", 0600);
	ck_assert_int_eq(auth_find(path, "r", &entry, &err), -1);
	snprintf(want, sizeof(want), "%s: bad entry for r (log in again)", path);
	ck_assert_str_eq(err.msg, want);

	/* a symlink is not followed */
	snprintf(target, sizeof(target), "%s/elsewhere.json", home);
	ck_assert_int_eq(rename(path, target), 0);
	ck_assert_int_eq(symlink(target, path), 0);
	ck_assert_int_eq(auth_find(path, "r", &entry, &err), -1);
	ck_assert_int_eq(err.code, ELOOP);
}
END_TEST

static Suite *auth_suite(void)
{
	Suite *s = suite_create("gateway_client_auth");
	TCase *tc = tcase_create("auth");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, registry_normalize, 0, ARRAY_LEN(registry_names));
	tcase_add_loop_test(tc, registry_refused, 0, ARRAY_LEN(bad_registries));
	tcase_add_test(tc, file_path);
	tcase_add_test(tc, store_find_remove);
	tcase_add_test(tc, refused_files);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(auth_suite());
}
