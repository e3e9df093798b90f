/*
 * test_preflight_slurm.c - `berth check`'s reading of slurm.conf and
 * plugstack.conf (helper/preflight_slurm.c): each misconfiguration gives its
 * FAIL line with what to change; Include files, comments and case as Slurm
 * reads them.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"
#include "unit.h"

#define JC "JobContainerType=job_container/berth"
#define NS "NamespaceType=namespace/berth"
#define GOOD_PLUGSTACK "required /usr/lib/x86_64-linux-gnu/slurm-wlm/berth.so enable_sshd=1\n"

static char dir[] = "/tmp/berth-check-slurm.XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

struct outcome {
	int read_rc;
	unsigned n_fail, n_warn;
	char text[4096];
};

/* slurm.conf text (plugstack.conf beside it unless NULL) checked for the
 * node plugin line container_conf. */
static struct outcome run_case(const char *slurm_text, const char *plugstack_text,
			       const char *container_conf)
{
	struct outcome o = { 0 };
	struct check_slurm_conf conf;
	struct check_report r = { 0 };
	char path[256], *why = NULL, *buf = NULL;
	size_t len = 0;

	write_file("slurm.conf", slurm_text);
	snprintf(path, sizeof(path), "%s/plugstack.conf", dir);
	unlink(path);
	if (plugstack_text)
		write_file("plugstack.conf", plugstack_text);
	snprintf(path, sizeof(path), "%s/slurm.conf", dir);
	ck_assert_ptr_nonnull(r.out = open_memstream(&buf, &len));
	o.read_rc = check_slurm_conf_read(path, &conf, &why);
	if (o.read_rc == 0) {
		check_slurm_settings(&r, &conf, container_conf);
		check_plugstack(&r, &conf, path);
	} else {
		fprintf(r.out, "read: %s\n", why);
	}
	fclose(r.out);
	snprintf(o.text, sizeof(o.text), "%s", buf);
	o.n_fail = r.n_fail;
	o.n_warn = r.n_warn;
	free(buf);
	free(why);
	check_slurm_conf_free(&conf);
	return o;
}

static void setup(void)
{
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(dir, "/tmp/berth-check-slurm.XXXXXX");
}

START_TEST(good_config_passes)
{
	struct outcome o = run_case("ClusterName=c # comment\nJobSubmitPlugins=lua,berth\n" JC "\n"
				    "PrologFlags=Alloc,Contain,X11\nNodeName=n[1-3] CPUs=2\n",
				    GOOD_PLUGSTACK, JC);

	ck_assert_msg(o.n_fail == 0 && o.n_warn == 0, "%s", o.text);
	ck_assert_ptr_nonnull(strstr(o.text, "ok   slurm.conf: " JC "\n"));
	ck_assert_ptr_nonnull(strstr(o.text, "loads berth.so"));
}
END_TEST

/* Each misconfiguration: its slurm.conf and the line that must say so. */
static const struct {
	const char *slurm_conf;
	const char *container_conf;
	const char *expect;
} bad_cases[] = {
	{ "JobSubmitPlugins=berth\n" JC "\nPrologFlags=Alloc\n", JC,
	  "FAIL slurm.conf: PrologFlags lacks Contain: add PrologFlags=Contain" },
	{ "JobSubmitPlugins=berth\n" JC "\n#PrologFlags=Contain\n", JC, "PrologFlags lacks Contain" },
	{ "JobSubmitPlugins=berth\n" JC "\nPrologFlags=Contain,RunInJob\n", JC,
	  "FAIL slurm.conf: PrologFlags has RunInJob: remove it" },
	{ JC "\nPrologFlags=Contain\n", JC, "FAIL slurm.conf: JobSubmitPlugins lacks berth" },
	{ "JobSubmitPlugins=lua,berthx\n" JC "\nPrologFlags=Contain\n", JC, "JobSubmitPlugins lacks berth" },
	{ "JobSubmitPlugins=berth\nPrologFlags=Contain\n", JC,
	  "FAIL slurm.conf: JobContainerType is not set: set " JC },
	{ "JobSubmitPlugins=berth\nJobContainerType=job_container/tmpfs\nPrologFlags=Contain\n", JC,
	  "FAIL slurm.conf: JobContainerType is \"job_container/tmpfs\": set " JC },
	{ "JobSubmitPlugins=berth\n" JC "\nPrologFlags=Contain\n", NS,
	  "FAIL slurm.conf: JobContainerType=job_container/berth is not this Slurm's: set " NS },
	{ "JobSubmitPlugins=berth\n" JC "\nPrologFlags=Contain\nSlurmdParameters=config_overrides,contain_spank\n",
	  JC, "FAIL slurm.conf: SlurmdParameters has contain_spank: remove it" },
};

START_TEST(each_misconfiguration_fails)
{
	struct outcome o = run_case(bad_cases[_i].slurm_conf, GOOD_PLUGSTACK, bad_cases[_i].container_conf);

	ck_assert_msg(o.n_fail == 1, "%s", o.text);
	ck_assert_msg(strstr(o.text, bad_cases[_i].expect) != NULL, "want \"%s\" in:\n%s",
		      bad_cases[_i].expect, o.text);
}
END_TEST

START_TEST(case_and_quotes_as_slurm_reads_them)
{
	struct outcome o = run_case("jobsubmitplugins=job_submit/berth\nnamespacetype=\"namespace/berth\"\n"
				    "prologflags=contain\n", GOOD_PLUGSTACK, NS);

	ck_assert_msg(o.n_fail == 0, "%s", o.text);
}
END_TEST

START_TEST(include_files_are_read)
{
	struct outcome o;
	char sub[300];

	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	write_file("conf.d/berth.conf", "JobSubmitPlugins=berth\n" JC "\n");
	write_file("conf.d/flags.conf", "PrologFlags=Contain\n");
	o = run_case("ClusterName=c\nInclude conf.d/*.conf\n", GOOD_PLUGSTACK, JC);
	ck_assert_msg(o.read_rc == 0 && o.n_fail == 0, "%s", o.text);
	o = run_case("Include missing/*.conf\n", GOOD_PLUGSTACK, JC);
	ck_assert_int_eq(o.read_rc, -1);
	ck_assert_msg(strstr(o.text, "Include") && strstr(o.text, "no such file"), "%s", o.text);
}
END_TEST

START_TEST(plugstack_problems)
{
	static const char base[] = "JobSubmitPlugins=berth\n" JC "\nPrologFlags=Contain\n";
	struct outcome o;
	char sub[300], text[600];

	o = run_case(base, NULL, JC);
	ck_assert_msg(o.n_fail == 1 && strstr(o.text, "FAIL plugstack.conf: ") &&
		      strstr(o.text, "No such file"), "%s", o.text);
	o = run_case(base, "required /usr/lib/slurm/other.so\n# required berth.so\n", JC);
	ck_assert_msg(o.n_fail == 1 && strstr(o.text, "has no berth.so line"), "%s", o.text);
	o = run_case(base, "optional berth.so\n", JC);
	ck_assert_msg(o.n_fail == 0 && o.n_warn == 1 && strstr(o.text, "warn plugstack.conf"), "%s", o.text);
	/* PlugStackConfig elsewhere, with an include directory */
	snprintf(sub, sizeof(sub), "%s/spank.d", dir);
	ck_assert_int_eq(mkdir(sub, 0755), 0);
	write_file("spank.d/berth.conf", GOOD_PLUGSTACK);
	write_file("spank.conf", "include spank.d/*.conf\n");
	snprintf(text, sizeof(text), "%sPlugStackConfig=%s/spank.conf\n", base, dir);
	o = run_case(text, NULL, JC);
	ck_assert_msg(o.n_fail == 0 && o.n_warn == 0, "%s", o.text);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("check_slurm");
	TCase *tc = tcase_create("check_slurm");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, good_config_passes);
	tcase_add_loop_test(tc, each_misconfiguration_fails, 0, ARRAY_LEN(bad_cases));
	tcase_add_test(tc, case_and_quotes_as_slurm_reads_them);
	tcase_add_test(tc, include_files_are_read);
	tcase_add_test(tc, plugstack_problems);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
