/*
 * test_site_rules.c - berth.conf env_keep/env_drop/env_set and --module
 * files: what they do to a task's environment and mounts, and every
 * refused input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "berth_conf.h"
#include "env_rules.h"
#include "job_request.h"
#include "modules.h"
#include "task_env.h"
#include "unit.h"

static char dir[] = "/tmp/berth-site-rules-XXXXXX";

static void write_text(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static int load_config(const char *text, struct berth_config *cfg, struct berth_error *err)
{
	char path[512];

	write_text("berth.conf", text);
	snprintf(path, sizeof(path), "%s/berth.conf", dir);
	return berth_config_load(path, false, cfg, err);
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	snprintf(dir, sizeof(dir), "/tmp/berth-site-rules-XXXXXX");
}

/* The task environment from job_env, an image Env and the config's rules. */
static const char *value_after(const struct berth_config *cfg, const char *module_env, const char *const *job_env,
			       const char *const *image_env, const char *name, struct berth_env_changes *changes)
{
	struct berth_image_meta meta = { 0 };
	struct berth_env_rules rules = BERTH_ENV_RULES_INIT;
	struct berth_error err = BERTH_ERROR_INIT;

	meta.env = (char **)image_env;
	for (meta.env_count = 0; image_env && image_env[meta.env_count]; meta.env_count++)
		;
	berth_env_changes_free(changes);  /* the previous call's, whose value was used */
	ck_assert_msg(berth_config_env_rules(cfg, module_env, &rules, &err) == 0, "%s", err.msg);
	ck_assert_msg(berth_task_env_changes(job_env, &meta, rules.items, rules.count, changes, &err) == 0, "%s",
		      err.msg);
	berth_env_rules_free(&rules);
	return berth_task_env_value(job_env, changes, name);
}

START_TEST(test_env_keep_drop_set)
{
	static const char *const job_env[] = { "LANG=C.UTF-8", "SECRET_TOKEN=x", "SECRET_KEY=y", "SLURM_JOB_ID=7",
					       "PMIX_RANK=0", "KEEPME=job", NULL };
	static const char *const image_env[] = { "LANG=en_US", "KEEPME=image", "SLURM_JOB_ID=1", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_env_changes ch = BERTH_ENV_CHANGES_INIT;
	struct berth_config cfg;

	ck_assert_msg(load_config("env_keep = LANG, KEEP*\nenv_drop = SECRET_*\nenv_set = SITE=yes;LANG=site\n",
				  &cfg, &err) == 0, "%s", err.msg);
	/* keep: the job's value beats the image's; set comes after keep */
	ck_assert_str_eq(value_after(&cfg, NULL, job_env, image_env, "KEEPME", &ch), "job");
	ck_assert_str_eq(value_after(&cfg, NULL, job_env, image_env, "LANG", &ch), "site");
	ck_assert_str_eq(value_after(&cfg, NULL, job_env, image_env, "SITE", &ch), "yes");
	ck_assert_ptr_null(value_after(&cfg, NULL, job_env, image_env, "SECRET_TOKEN", &ch));
	ck_assert_ptr_null(value_after(&cfg, NULL, job_env, image_env, "SECRET_KEY", &ch));
	/* always kept, whatever the image says */
	ck_assert_str_eq(value_after(&cfg, NULL, job_env, image_env, "SLURM_JOB_ID", &ch), "7");
	ck_assert_str_eq(value_after(&cfg, NULL, job_env, image_env, "PMIX_RANK", &ch), "0");
	/* a module's env after the site's set, before the drops */
	ck_assert_str_eq(value_after(&cfg, "LANG=mod;SECRET_A=1", job_env, image_env, "LANG", &ch), "mod");
	ck_assert_ptr_null(value_after(&cfg, "LANG=mod;SECRET_A=1", job_env, image_env, "SECRET_A", &ch));
	berth_env_changes_free(&ch);
	berth_config_free(&cfg);
}
END_TEST

static const struct {
	const char *conf, *message;
} bad_env_cases[] = {
	{ "env_drop = SLURM_*\n", "env_drop: \"SLURM_*\" would change SLURM_*, SLURMD_* or PMI* variables" },
	{ "env_drop = S*\n", "env_drop: \"S*\" would change" },
	{ "env_drop = PMIX_RANK\n", "env_drop: \"PMIX_RANK\" would change" },
	{ "env_drop = PM*\n", "env_drop: \"PM*\" would change" },
	{ "env_set = SLURM_JOB_ID=1\n", "env_set: \"SLURM_JOB_ID\" would change" },
	{ "env_set = PMI_FD=3\n", "env_set: \"PMI_FD\" would change" },
	{ "env_keep = 1BAD\n", "env_keep: env rule \"KEEP=1BAD\": invalid variable name" },
	{ "env_drop = A-B\n", "env_drop: env rule \"UNSET=A-B\": invalid variable name" },
	{ "env_set = NOVALUE\n", "env_set: env rule \"SET=NOVALUE\": expected SET=NAME=value" },
};

START_TEST(test_env_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;

	ck_assert_int_eq(load_config(bad_env_cases[_i].conf, &cfg, &err), -1);
	ck_assert_msg(strstr(err.msg, bad_env_cases[_i].message), "%s", err.msg);
	ck_assert_msg(strstr(err.msg, "berth.conf: "), "no file named: %s", err.msg);
}
END_TEST

START_TEST(test_env_drop_of_unprotected_prefix_is_fine)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_config cfg;

	/* "SL" alone is not a prefix pattern: it only names SL */
	ck_assert_msg(load_config("env_drop = SL, SLURMX, PMX*, LD_*\nenv_keep = SLURM_*\n", &cfg, &err) == 0, "%s",
		      err.msg);
	berth_config_free(&cfg);
}
END_TEST

static void modules_config(struct berth_config *cfg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char text[600];

	snprintf(text, sizeof(text), "modules_dir = %s/modules\n", dir);
	ck_assert_msg(load_config(text, cfg, &err) == 0, "%s", err.msg);
	snprintf(text, sizeof(text), "%s/modules", dir);
	ck_assert_int_eq(mkdir(text, 0755), 0);
	write_text("modules/mpich.conf", "description = MPICH from the host\n"
					 "mounts = /opt/mpich:/opt/mpich:ro\n"
					 "env = MPICH_HOME=/opt/mpich;MPI_FLAVOUR=mpich\n");
	write_text("modules/gpu.conf", "mounts = /dev/nvidia0:/dev/nvidia0;/usr/lib/nv:/usr/lib/nv:ro\n");
	write_text("modules/broken.conf", "mounts = relative:/x\n");
	write_text("modules/badenv.conf", "env = SLURM_JOB_ID=1\n");
	write_text("modules/typo.conf", "mount = /a:/a\n");
	write_text("modules/site-mpich.conf", "description = the site's MPICH\nmpi = mpich\n"
					      "mpi_libs = /opt/site-mpich/lib/\nenv = FI_PROVIDER=tcp\n");
	write_text("modules/other-mpich.conf", "mpi = mpich\nmpi_libs = /opt/other/lib\n");
	write_text("modules/mpi-openmpi.conf", "mpi = openmpi\nmpi_libs = /opt/ompi/lib\n");
	write_text("modules/mpi-nolibs.conf", "mpi = mpich\n");
	write_text("modules/mpi-libsonly.conf", "mpi_libs = /opt/site-mpich/lib\n");
	write_text("modules/mpi-relative.conf", "mpi = mpich\nmpi_libs = opt/lib\n");
	write_text("modules/mpi-system.conf", "mpi = mpich\nmpi_libs = /usr/lib/x86_64-linux-gnu\n");
	write_text("modules/mpi-root.conf", "mpi = mpich\nmpi_libs = /\n");
	write_text("modules/mpi-colon.conf", "mpi = mpich\nmpi_libs = /opt/a:b\n");
	write_text("modules/mpi-twice.conf", "mpi = mpich\nmpi_libs = /opt/x\nmounts = /opt/x:/opt/x\n");
	write_text("modules/mpi-typo.conf", "mpi = mpich\nmpi_lib = /opt/site-mpich/lib\n");
}

START_TEST(test_modules_load)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_modules m;
	struct berth_config cfg;

	modules_config(&cfg);
	ck_assert_msg(berth_modules_load(&cfg, "mpich,gpu", &m, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(m.mounts, "/opt/mpich:/opt/mpich:ro;/dev/nvidia0:/dev/nvidia0;/usr/lib/nv:/usr/lib/nv:ro");
	ck_assert_str_eq(m.env, "MPICH_HOME=/opt/mpich;MPI_FLAVOUR=mpich");
	berth_modules_free(&m);
	ck_assert_int_eq(berth_modules_load(&cfg, "none", &m, &err), 0);
	ck_assert_ptr_null(m.mounts);
	ck_assert_ptr_null(m.env);
	ck_assert_int_eq(berth_modules_load(&cfg, NULL, &m, &err), 0);
	berth_config_free(&cfg);
}
END_TEST

static const struct {
	const char *names, *message;
} bad_module_cases[] = {
	{ "nosuch", "--module: unknown module \"nosuch\" (this site offers: " },
	{ "mpich,nosuch", "--module: unknown module \"nosuch\"" },
	{ "broken", "--module broken: " },
	{ "badenv", "\"SLURM_JOB_ID\" would change" },
	{ "typo", "unknown key \"mount\"" },
};

START_TEST(test_modules_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_modules m;
	struct berth_config cfg;

	modules_config(&cfg);
	ck_assert_int_eq(berth_modules_load(&cfg, bad_module_cases[_i].names, &m, &err), -1);
	ck_assert_msg(strstr(err.msg, bad_module_cases[_i].message), "%s", err.msg);
	ck_assert_ptr_null(m.mounts);
	berth_config_free(&cfg);
}
END_TEST

START_TEST(test_mpi_module)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_modules m;
	struct berth_config cfg;
	char *path = NULL;

	modules_config(&cfg);
	ck_assert_msg(berth_modules_load(&cfg, "gpu,site-mpich", &m, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(m.mpi, BERTH_MPI_MPICH);
	ck_assert_str_eq(m.mpi_libs, "/opt/site-mpich/lib");
	ck_assert_str_eq(m.mpi_module, "site-mpich");
	/* the site's directory is bound read-only at its own path */
	ck_assert_str_eq(m.mounts, "/dev/nvidia0:/dev/nvidia0;/usr/lib/nv:/usr/lib/nv:ro;"
				   "/opt/site-mpich/lib:/opt/site-mpich/lib:ro");
	ck_assert_str_eq(m.env, "FI_PROVIDER=tcp");
	/* LD_LIBRARY_PATH: the site's directory first, what the task had after */
	ck_assert_int_eq(berth_modules_ld_library_path(&m, NULL, &path, &err), 0);
	ck_assert_str_eq(path, "/opt/site-mpich/lib");
	free(path);
	ck_assert_int_eq(berth_modules_ld_library_path(&m, "", &path, &err), 0);
	ck_assert_str_eq(path, "/opt/site-mpich/lib");
	free(path);
	ck_assert_int_eq(berth_modules_ld_library_path(&m, "/usr/local/lib:/app/lib", &path, &err), 0);
	ck_assert_str_eq(path, "/opt/site-mpich/lib:/usr/local/lib:/app/lib");
	free(path);
	ck_assert_int_eq(berth_modules_ld_library_path(&m, "/opt/site-mpich/lib:/app/lib", &path, &err), 0);
	ck_assert_str_eq(path, "/opt/site-mpich/lib:/app/lib");   /* not twice */
	free(path);
	ck_assert_int_eq(berth_modules_ld_library_path(&m, "/opt/site-mpich/libx", &path, &err), 0);
	ck_assert_str_eq(path, "/opt/site-mpich/lib:/opt/site-mpich/libx");
	free(path);
	berth_modules_free(&m);
	/* no MPI module: nothing to change */
	ck_assert_int_eq(berth_modules_load(&cfg, "mpich", &m, &err), 0);
	ck_assert_int_eq(m.mpi, BERTH_MPI_NONE);
	ck_assert_int_eq(berth_modules_ld_library_path(&m, "/app/lib", &path, &err), 0);
	ck_assert_ptr_null(path);
	berth_modules_free(&m);
	berth_config_free(&cfg);
}
END_TEST

/* every refused MPI module, exactly ("%s": modules_dir) */
static const struct {
	const char *names, *message;
} bad_mpi_cases[] = {
	{ "mpi-openmpi", "--module mpi-openmpi: %s/mpi-openmpi.conf: mpi \"openmpi\": unknown MPI ABI (known: mpich)" },
	{ "mpi-nolibs", "--module mpi-nolibs: %s/mpi-nolibs.conf: mpi = mpich needs mpi_libs (the site's MPI library directory)" },
	{ "mpi-libsonly", "--module mpi-libsonly: %s/mpi-libsonly.conf: mpi_libs without mpi (set mpi = mpich)" },
	{ "mpi-relative", "--module mpi-relative: %s/mpi-relative.conf:2: mpi_libs: path \"opt/lib\" is not absolute" },
	{ "mpi-system", "--module mpi-system: %s/mpi-system.conf: mpi_libs \"/usr/lib/x86_64-linux-gnu\" is a system directory (bound there it would hide the image's own files): use the site MPI's own directory, such as /opt/site-mpich/lib" },
	{ "mpi-root", "--module mpi-root: %s/mpi-root.conf: mpi_libs \"/\" is a system directory (bound there it would hide the image's own files): use the site MPI's own directory, such as /opt/site-mpich/lib" },
	{ "mpi-colon", "--module mpi-colon: %s/mpi-colon.conf: mpi_libs \"/opt/a:b\": ':', ';' and ',' are not allowed" },
	{ "mpi-twice", "--module mpi-twice: %s/mpi-twice.conf: mounts: " },
	{ "mpi-typo", "--module mpi-typo: %s/mpi-typo.conf:2: unknown key \"mpi_lib\"" },
	{ "site-mpich,other-mpich", "--module site-mpich,other-mpich: both replace the image's MPI library (ask for one of them)" },
};

START_TEST(test_mpi_module_bad)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_modules m;
	struct berth_config cfg;
	char modules_dir[600], want[1200];

	modules_config(&cfg);
	snprintf(modules_dir, sizeof(modules_dir), "%s/modules", dir);
	{
		const char *at = strstr(bad_mpi_cases[_i].message, "%s");

		if (at)
			snprintf(want, sizeof(want), "%.*s%s%s", (int)(at - bad_mpi_cases[_i].message),
				 bad_mpi_cases[_i].message, modules_dir, at + 2);
		else
			snprintf(want, sizeof(want), "%s", bad_mpi_cases[_i].message);
	}
	ck_assert_int_eq(berth_modules_load(&cfg, bad_mpi_cases[_i].names, &m, &err), -1);
	if (want[strlen(want) - 1] == ' ')   /* the volume parser's own words follow */
		ck_assert_msg(strncmp(err.msg, want, strlen(want)) == 0, "%s", err.msg);
	else
		ck_assert_str_eq(err.msg, want);
	ck_assert_ptr_null(m.mounts);
	ck_assert_ptr_null(m.mpi_libs);
	berth_config_free(&cfg);
}
END_TEST

START_TEST(test_unknown_module_lists_offered)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_modules m;
	struct berth_config cfg;

	modules_config(&cfg);
	ck_assert_int_eq(berth_modules_load(&cfg, "nosuch", &m, &err), -1);
	ck_assert_msg(strstr(err.msg, "mpich") && strstr(err.msg, "gpu"), "%s", err.msg);
	berth_config_free(&cfg);
}
END_TEST

START_TEST(test_request_check_refuses_unknown_module)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_config cfg;
	char *env[] = { (char *)BERTH_ENV_IMAGE "=id:sha256:0000000000000000000000000000000000000000000000000000000000000000",
			(char *)BERTH_ENV_MODULE "=gpu,nosuch", NULL };

	modules_config(&cfg);
	ck_assert_int_eq(berth_job_request_from_env(&req, env, (size_t)-1, &cfg, &err), -1);
	ck_assert_msg(strstr(err.msg, "unknown module \"nosuch\""), "%s", err.msg);
	berth_job_request_free(&req);
	env[1] = (char *)BERTH_ENV_MODULE "=gpu";
	ck_assert_msg(berth_job_request_from_env(&req, env, (size_t)-1, &cfg, &err) == 0, "%s", err.msg);
	berth_job_request_free(&req);
	berth_config_free(&cfg);
}
END_TEST

/* A name too long to show whole is shown cut, and sanitised like any
 * untrusted text: the message stays one line (it ends up in the job spec
 * file, one value per line, and in Slurm's log). */
START_TEST(test_long_module_name_message_is_one_line)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	char name[80];

	memset(name, 'x', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	memcpy(name, "ab\ncd\033", 6);
	ck_assert_int_eq(berth_job_request_set_modules(&req, name, &err), -1);
	ck_assert_str_eq(err.msg, "--module: module name \"ab?cd?xxxxxxxxxxxxxxxxxxxxxxxxxx...\": "
				  "longer than 64 characters");
	ck_assert_ptr_null(req.modules);
	berth_job_request_free(&req);
}
END_TEST

/* Slurm's --container (a bundle) and berth's options both claim the tasks */
START_TEST(test_request_with_oci_bundle_is_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;

	ck_assert_int_eq(berth_job_request_check_oci(&req, "/home/a/bundle", &err), 0);  /* no berth option */
	req.ccm = true;
	ck_assert_int_eq(berth_job_request_check_oci(&req, NULL, &err), 0);
	ck_assert_int_eq(berth_job_request_check_oci(&req, "", &err), 0);
	ck_assert_int_eq(berth_job_request_check_oci(&req, "/home/a/bundle", &err), -1);
	ck_assert_msg(strstr(err.msg, "cannot be combined with --container"), "%s", err.msg);
	berth_job_request_free(&req);
}
END_TEST

START_TEST(test_request_in_heterogeneous_job_is_refused)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;

	ck_assert_int_eq(berth_job_request_check_het(&req, true, &err), 0);   /* no berth option */
	ck_assert_int_eq(berth_job_request_add_volumes(&req, "/tmp:/data", &err), 0);
	ck_assert_int_eq(berth_job_request_check_het(&req, false, &err), 0);
	ck_assert_int_eq(berth_job_request_check_het(&req, true, &err), -1);
	ck_assert_msg(strstr(err.msg, "not supported in heterogeneous jobs"), "%s", err.msg);
	berth_job_request_free(&req);
}
END_TEST

static Suite *site_rules_suite(void)
{
	Suite *s = suite_create("site rules");
	TCase *env = tcase_create("env"), *modules = tcase_create("modules");

	tcase_add_checked_fixture(env, setup, teardown);
	tcase_add_test(env, test_env_keep_drop_set);
	tcase_add_loop_test(env, test_env_bad, 0, ARRAY_LEN(bad_env_cases));
	tcase_add_test(env, test_env_drop_of_unprotected_prefix_is_fine);
	suite_add_tcase(s, env);
	tcase_add_checked_fixture(modules, setup, teardown);
	tcase_add_test(modules, test_modules_load);
	tcase_add_loop_test(modules, test_modules_bad, 0, ARRAY_LEN(bad_module_cases));
	tcase_add_test(modules, test_unknown_module_lists_offered);
	tcase_add_test(modules, test_mpi_module);
	tcase_add_loop_test(modules, test_mpi_module_bad, 0, ARRAY_LEN(bad_mpi_cases));
	tcase_add_test(modules, test_request_check_refuses_unknown_module);
	tcase_add_test(modules, test_long_module_name_message_is_one_line);
	tcase_add_test(modules, test_request_with_oci_bundle_is_refused);
	tcase_add_test(modules, test_request_in_heterogeneous_job_is_refused);
	suite_add_tcase(s, modules);
	return s;
}

int main(void)
{
	return unit_run(site_rules_suite());
}
