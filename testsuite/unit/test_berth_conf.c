/*
 * test_berth_conf.c - unit tests of common/berth_conf.c: berth.conf's
 * schema, defaults, files, the shipped example, and where it is found.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_conf.h"
#include "conf_parser.h"
#include "unit.h"
#include "unit_tmpdir.h"

/* ------------------------------------------------------------ berth.conf */

static void load_config_text(const char *text, struct berth_config *cfg, char *path,
			     size_t size, int expected_rc, struct berth_error *err)
{
	unit_write_file("berth.conf", text, strlen(text), path, size);
	ck_assert_int_eq(berth_config_load(path, false, cfg, err), expected_rc);
}

START_TEST(test_config_defaults)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;

	ck_assert_msg(berth_config_load("/nonexistent/berth.conf", true, &cfg, &err) == 0,
		      "%s", err.msg);
	ck_assert_str_eq(cfg.image_dir, "/var/lib/berth/images");
	ck_assert_str_eq(cfg.state_dir, "/run/berth");
	ck_assert_str_eq(cfg.gateway_url, "http://127.0.0.1:7050");
	ck_assert_str_eq(cfg.gateway_socket, "");
	ck_assert_str_eq(cfg.default_image_type, "docker");
	ck_assert_int_eq(cfg.default_type, BERTH_IMAGE_DOCKER);
	ck_assert_uint_eq(cfg.lookup_timeout_ms, 2000);
	ck_assert_uint_eq(cfg.lookup_cache_ttl_ms, 10000);
	ck_assert(!cfg.auto_pull);
	ck_assert_str_eq(cfg.site_fs, "");
	ck_assert_str_eq(cfg.forbidden_destinations, "/etc,/proc,/sys,/dev");
	ck_assert(!cfg.writable_overlay);
	ck_assert_uint_eq(cfg.max_volumes, 16);
	ck_assert(!cfg.allow_local_root);
	ck_assert_str_eq(cfg.cdi_spec_dirs, "/etc/cdi:/var/run/cdi");
	ck_assert_str_eq(cfg.cdi_gpu_kind, "");
	ck_assert_uint_eq(cfg.cdi_hook_timeout_ms, 30000);
	berth_config_free(&cfg);
	ck_assert_ptr_null(cfg.image_dir);
	berth_config_free(&cfg);
	berth_config_free(NULL);
}
END_TEST

START_TEST(test_config_schema_is_documented)
{
	int n = 0;

	for (const struct berth_conf_key *key = berth_config_schema; key->name; key++, n++) {
		ck_assert_ptr_nonnull(key->help);
		ck_assert_ptr_nonnull(key->default_value);
	}
	ck_assert_int_eq(n, 21);
}
END_TEST

START_TEST(test_config_file)
{
	static const char text[] =
		"image_dir = /shared/images/\n"
		"state_dir = /var/run/berth\n"
		"gateway_url = http://gw.example:7050\n"
		"default_image_type = local\n"
		"lookup_timeout = 500ms\n"
		"site_fs = /home:/home;/scratch:/scratch\n"
		"forbidden_destinations = /etc,/proc,/sys,/dev,/var\n"
		"writable_overlay = yes\n"
		"max_volumes = 64\n"
		"cdi_gres = gpu=nvidia.com/gpu\n";
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;
	char path[128];

	unit_make_tmpdir();
	load_config_text(text, &cfg, path, sizeof(path), 0, &err);
	ck_assert_str_eq(cfg.image_dir, "/shared/images");
	ck_assert_str_eq(cfg.state_dir, "/var/run/berth");
	ck_assert_str_eq(cfg.gateway_url, "http://gw.example:7050");
	ck_assert_str_eq(cfg.default_image_type, "local");
	ck_assert_int_eq(cfg.default_type, BERTH_IMAGE_LOCAL);
	ck_assert_uint_eq(cfg.lookup_timeout_ms, 500);
	ck_assert_str_eq(cfg.site_fs, "/home:/home;/scratch:/scratch");
	ck_assert_str_eq(cfg.forbidden_destinations, "/etc,/proc,/sys,/dev,/var");
	ck_assert(cfg.writable_overlay);
	ck_assert_uint_eq(cfg.max_volumes, 64);
	ck_assert_str_eq(cfg.cdi_gpu_kind, "nvidia.com/gpu");
	berth_config_free(&cfg);

	load_config_text("default_image_type = id\n", &cfg, path, sizeof(path), 0, &err);
	ck_assert_int_eq(cfg.default_type, BERTH_IMAGE_ID);
	ck_assert_str_eq(cfg.image_dir, "/var/lib/berth/images");
	berth_config_free(&cfg);
	unit_remove_tmpdir();
}
END_TEST

static const struct {
	const char *text;
	const char *error;  /* after "<path>" */
} config_bad_cases[] = {
	{ "default_image_type = podman\n",
	  ": default_image_type: unknown image type \"podman\" (use docker, id or local)" },
	{ "default_image_type = Docker\n",
	  ": default_image_type: unknown image type \"Docker\" (use docker, id or local)" },
	{ "\nimagedir = /x\n", ":2: unknown key \"imagedir\"" },
	{ "max_volumes = 0\n", ":1: max_volumes: number \"0\" is out of range (1..64)" },
	{ "max_volumes = 65\n", ":1: max_volumes: number \"65\" is out of range (1..64)" },
	{ "\n\nlookup_timeout = 2x\n",
	  ":3: lookup_timeout: invalid duration \"2x\" (use ms, s, m, h or d)" },
	{ "writable_overlay = sometimes\n",
	  ":1: writable_overlay: invalid boolean \"sometimes\" (use yes/no, true/false, on/off or 1/0)" },
	{ "image_dir = images\n", ":1: image_dir: path \"images\" is not absolute" },
	{ "state_dir =\n", ":1: state_dir: empty value" },
	{ "lookup_timeout\n", ":1: line has no '='" },
	{ "auto_pull = later\n", ": auto_pull: invalid value \"later\" (use no, yes or wait)" },
	{ "auto_pull = Wait\n", ": auto_pull: invalid value \"Wait\" (use no, yes or wait)" },
	{ "cdi_gres = gpu\n", ": cdi_gres \"gpu\" is not GRES=vendor.com/class" },
	{ "cdi_gres = gpu=nvidia.com\n", ": cdi_gres: CDI kind \"nvidia.com\" is not vendor/class" },
	{ "cdi_user_kinds = nvidia.com/gpu,bad\n", ": cdi_user_kinds: CDI kind \"bad\" is not vendor/class" },
};

static const struct {
	const char *text;
	enum berth_auto_pull value;
} auto_pull_cases[] = {
	{ "auto_pull = no\n", BERTH_AUTO_PULL_NO },
	{ "auto_pull = off\n", BERTH_AUTO_PULL_NO },
	{ "auto_pull = yes\n", BERTH_AUTO_PULL_YES },
	{ "auto_pull = true\n", BERTH_AUTO_PULL_YES },
	{ "auto_pull = 1\n", BERTH_AUTO_PULL_YES },
	{ "auto_pull = wait\n", BERTH_AUTO_PULL_WAIT },
};

START_TEST(test_config_auto_pull)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;
	char path[128];

	unit_make_tmpdir();
	load_config_text(auto_pull_cases[_i].text, &cfg, path, sizeof(path), 0, &err);
	ck_assert_int_eq(cfg.auto_pull, auto_pull_cases[_i].value);
	ck_assert_str_eq(berth_auto_pull_name(cfg.auto_pull),
			 cfg.auto_pull == BERTH_AUTO_PULL_WAIT ? "wait" : cfg.auto_pull ? "yes" : "no");
	berth_config_free(&cfg);
	unit_remove_tmpdir();
}
END_TEST

START_TEST(test_config_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[128], expected[256];
	struct berth_config cfg;

	unit_make_tmpdir();
	load_config_text(config_bad_cases[_i].text, &cfg, path, sizeof(path), -1, &err);
	snprintf(expected, sizeof(expected), "%s%s", path, config_bad_cases[_i].error);
	ck_assert_str_eq(err.msg, expected);
	/* a failed load leaves nothing to free */
	ck_assert_ptr_null(cfg.image_dir);
	ck_assert_ptr_null(cfg.default_image_type);
	unit_remove_tmpdir();
}
END_TEST

START_TEST(test_config_missing)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;

	ck_assert_int_eq(berth_config_load("/nonexistent/berth.conf", false, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "/nonexistent/berth.conf: No such file or directory");
	ck_assert_int_eq(err.code, ENOENT);
	ck_assert_ptr_null(cfg.image_dir);
	/* no err: still fails, missing_ok still works */
	ck_assert_int_eq(berth_config_load("/nonexistent/berth.conf", false, &cfg, NULL), -1);
	ck_assert_int_eq(berth_config_load("/nonexistent/berth.conf", true, &cfg, NULL), 0);
	berth_config_free(&cfg);
	/* only a missing file is fine with missing_ok */
	ck_assert_int_eq(berth_config_load("/", true, &cfg, &err), -1);
	ck_assert_str_eq(err.msg, "/: not a regular file");
}
END_TEST

START_TEST(test_config_example_loads)
{
	/* the source tree, as seen from where the test runs (the build dir) */
	static const char tail[] = "testsuite/unit/test_config.c";
	const char *self = __FILE__;
	size_t len = strlen(self);
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;
	char path[512];

	if (len < strlen(tail) || strcmp(self + len - strlen(tail), tail) != 0) {
		fprintf(stderr, "skipped: cannot find the source tree from %s\n", self);
		return;
	}
	snprintf(path, sizeof(path), "%.*setc/berth.conf.example", (int)(len - strlen(tail)), self);
	if (access(path, R_OK) != 0) {
		fprintf(stderr, "skipped: %s not readable\n", path);
		return;
	}
	ck_assert_msg(berth_config_load(path, false, &cfg, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.site_fs, "/home:/home;/scratch:/scratch");
	berth_config_free(&cfg);
}
END_TEST

static const struct {
	const char *slurm_conf;
	size_t size;
	const char *expected;  /* the path, or the error message */
	bool ok;
} beside_cases[] = {
	{ "/etc/slurm/slurm.conf", 256, "/etc/slurm/berth.conf", true },
	{ "/etc/slurm//slurm.conf", 256, "/etc/slurm/berth.conf", true },
	{ "/etc/slurm/", 256, "/etc/berth.conf", true },
	{ "/slurm.conf", 256, "/berth.conf", true },
	{ "//slurm.conf", 256, "/berth.conf", true },
	{ "/", 256, "/berth.conf", true },
	{ "slurm.conf", 256, "./berth.conf", true },
	{ "conf/slurm.conf", 256, "conf/berth.conf", true },
	{ "/etc/slurm/slurm.conf", 22, "/etc/slurm/berth.conf", true },
	{ "/etc/slurm/slurm.conf", 21,
	  "berth.conf path beside \"/etc/slurm/slurm.conf\" is too long", false },
	{ "/etc/slurm/slurm.conf", 0,
	  "berth.conf path beside \"/etc/slurm/slurm.conf\" is too long", false },
	{ "", 256, "empty slurm.conf path", false },
	{ NULL, 256, "empty slurm.conf path", false },
};

START_TEST(test_path_beside)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char buf[256];
	int rc;

	memset(buf, 'x', sizeof(buf));
	rc = berth_config_path_beside(beside_cases[_i].slurm_conf, buf, beside_cases[_i].size, &err);
	if (beside_cases[_i].ok) {
		ck_assert_msg(rc == 0, "%s", err.msg);
		ck_assert_str_eq(buf, beside_cases[_i].expected);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, beside_cases[_i].expected);
		if (beside_cases[_i].size)
			ck_assert_int_eq(buf[0], '\0');
	}
}
END_TEST

START_TEST(test_config_find)
{
	struct berth_error err = BERTH_ERROR_INIT;
	bool missing_ok;
	char buf[256];

	unsetenv("BERTH_CONF");
	unsetenv("SLURM_CONF");
	ck_assert_int_eq(berth_config_find(NULL, NULL, buf, sizeof(buf), &missing_ok, &err), 0);
	ck_assert_str_eq(buf, BERTH_DEFAULT_CONF);
	ck_assert(missing_ok);
	setenv("SLURM_CONF", "/lab/etc/slurm.conf", 1);
	ck_assert_int_eq(berth_config_find(NULL, NULL, buf, sizeof(buf), &missing_ok, &err), 0);
	ck_assert_str_eq(buf, "/lab/etc/berth.conf");
	ck_assert(missing_ok);
	setenv("BERTH_CONF", "/env/berth.conf", 1);
	ck_assert_int_eq(berth_config_find(NULL, NULL, buf, sizeof(buf), &missing_ok, &err), 0);
	ck_assert_str_eq(buf, "/env/berth.conf");
	ck_assert(!missing_ok);
	ck_assert_int_eq(berth_config_find("/x/b.conf", NULL, buf, sizeof(buf), &missing_ok, &err), 0);
	ck_assert_str_eq(buf, "/x/b.conf");
	ck_assert(!missing_ok);
	ck_assert_int_eq(berth_config_find("/x/b.conf", NULL, buf, 4, &missing_ok, &err), -1);
	ck_assert_int_eq(err.code, ENAMETOOLONG);
}
END_TEST

/* A daemon names its slurm.conf: $BERTH_CONF (the environment of whoever
 * started it) is not consulted, $SLURM_CONF neither. */
START_TEST(test_config_find_daemon)
{
	struct berth_error err = BERTH_ERROR_INIT;
	bool missing_ok;
	char buf[256];

	setenv("BERTH_CONF", "/env/berth.conf", 1);
	setenv("SLURM_CONF", "/env/slurm.conf", 1);
	ck_assert_int_eq(berth_config_find(NULL, "/etc/slurm-lab/slurm.conf", buf, sizeof(buf),
					   &missing_ok, &err), 0);
	ck_assert_str_eq(buf, "/etc/slurm-lab/berth.conf");
	ck_assert(missing_ok);
	ck_assert_int_eq(berth_config_find("/plug/berth.conf", "/etc/slurm/slurm.conf", buf,
					   sizeof(buf), &missing_ok, &err), 0);
	ck_assert_str_eq(buf, "/plug/berth.conf");
	ck_assert(!missing_ok);
	unsetenv("BERTH_CONF");
	unsetenv("SLURM_CONF");
}
END_TEST

static Suite *berth_conf_suite(void)
{
	Suite *s = suite_create("berth_conf");
	TCase *berth = tcase_create("berth.conf");

	tcase_add_test(berth, test_config_defaults);
	tcase_add_test(berth, test_config_schema_is_documented);
	tcase_add_test(berth, test_config_file);
	tcase_add_loop_test(berth, test_config_bad, 0, ARRAY_LEN(config_bad_cases));
	tcase_add_test(berth, test_config_missing);
	tcase_add_loop_test(berth, test_config_auto_pull, 0, ARRAY_LEN(auto_pull_cases));
	tcase_add_test(berth, test_config_example_loads);
	tcase_add_loop_test(berth, test_path_beside, 0, ARRAY_LEN(beside_cases));
	tcase_add_test(berth, test_config_find);
	tcase_add_test(berth, test_config_find_daemon);
	suite_add_tcase(s, berth);
	return s;
}

int main(void)
{
	return unit_run(berth_conf_suite());
}
