/*
 * test_task_entry.c - unit tests of common/task_entry.c.
 *
 * Check runs each test in its own forked process, so the tests that chroot,
 * lock down or change credentials do it to that process.  They need root
 * and skip themselves with a message otherwise.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <stddef.h>

#include "run.h"
#include "task_entry.h"
#include "unit.h"

#ifndef SYS_openat2
#define SYS_openat2 437
#endif

#define NOBODY 65534
#define DEF BERTH_TASK_DEFAULT_PATH

#define REQUIRE_ROOT()                                                               \
	do {                                                                         \
		const char *fork_mode = getenv("CK_FORK");                           \
		if (geteuid() != 0 || (fork_mode && strcmp(fork_mode, "no") == 0)) { \
			fprintf(stderr, "%s: skipped: needs root and CK_FORK=yes\n", \
				__func__);                                           \
			return;                                                      \
		}                                                                    \
	} while (0)

/* ================================================================ env */

#define MAX_VARS  10
#define MAX_RULES 6

struct env_case {
	const char *job[MAX_VARS];
	const char *image[MAX_VARS];
	struct berth_env_rule rules[MAX_RULES];
	const char *expected;   /* "+NAME=value [why]; -NAME [why]" in order */
};

#define KEEP(n)     { BERTH_ENV_RULE_KEEP, n, NULL }
#define SET(n, v)   { BERTH_ENV_RULE_SET, n, v }
#define UNSET(n)    { BERTH_ENV_RULE_UNSET, n, NULL }

static const struct env_case env_cases[] = {
	/* 0: PATH: the default, the image's, or the job's when they agree */
	{ { NULL }, { NULL }, { { 0 } }, "+PATH=" DEF " [default]" },
	{ { "PATH=/host/bin:/usr/bin" }, { NULL }, { { 0 } }, "+PATH=" DEF " [default]" },
	{ { "PATH=/host/bin" }, { "PATH=/opt/conda/bin:/usr/bin" }, { { 0 } },
	  "+PATH=/opt/conda/bin:/usr/bin [image]" },
	{ { "PATH=/usr/bin" }, { "PATH=/usr/bin" }, { { 0 } }, "" },
	{ { "PATH=" DEF }, { NULL }, { { 0 } }, "" },
	/* 5: the image wins for ordinary names */
	{ { "PATH=/usr/bin", "FOO=host", "BAR=keep" }, { "PATH=/usr/bin", "FOO=image", "NEW=1" },
	  { { 0 } }, "+FOO=image [image]; +NEW=1 [image]" },
	{ { "PATH=/usr/bin", "EMPTY=" }, { "PATH=/usr/bin", "EMPTY=", "E2=" }, { { 0 } },
	  "+E2= [image]" },
	{ { "PATH=/usr/bin", "V=a=b" }, { "PATH=/usr/bin", "V=a=c" }, { { 0 } }, "+V=a=c [image]" },
	/* 8: names the job always keeps */
	{ { "PATH=/usr/bin", "SLURM_JOB_ID=5", "SLURMD_NODENAME=n1", "PMI_RANK=0", "PMIX_RANK=0",
	    "HOME=/home/alice", "USER=alice", "LOGNAME=alice" },
	  { "PATH=/usr/bin", "SLURM_JOB_ID=1", "SLURMD_NODENAME=x", "PMI_RANK=9", "PMIX_RANK=9",
	    "HOME=/root", "USER=root", "LOGNAME=root", "PMI_NEW=1" },
	  { { 0 } }, "" },
	{ { "PATH=/usr/bin" }, { "PATH=/usr/bin", "HOME=/root", "SLURM_X=1", "PMIX_SERVER_URI=x" },
	  { { 0 } }, "" },
	/* 10: not protected: OMPI_*, SLURMX, look-alikes */
	{ { "PATH=/usr/bin", "OMPI_MCA_btl=tcp" },
	  { "PATH=/usr/bin", "OMPI_MCA_btl=vader", "SLURMX=1", "HOMEDIR=/h", "USERNAME=u" }, { { 0 } },
	  "+HOMEDIR=/h [image]; +OMPI_MCA_btl=vader [image]; +SLURMX=1 [image]; +USERNAME=u [image]" },
	/* 11: host-only loader variables */
	{ { "PATH=/usr/bin", "LD_PRELOAD=/usr/lib/libfoo.so", "LD_LIBRARY_PATH=/opt/host/lib",
	    "LD_AUDIT=/a.so", "LD_BIND_NOW=1" }, { "PATH=/usr/bin" }, { { 0 } },
	  "-LD_AUDIT [host-only]; -LD_LIBRARY_PATH [host-only]; -LD_PRELOAD [host-only]" },
	{ { "PATH=/usr/bin", "LD_LIBRARY_PATH=/opt/host/lib" },
	  { "PATH=/usr/bin", "LD_LIBRARY_PATH=/opt/img/lib", "LD_PRELOAD=/img.so" }, { { 0 } },
	  "+LD_LIBRARY_PATH=/opt/img/lib [image]; +LD_PRELOAD=/img.so [image]" },
	{ { "PATH=/usr/bin", "LD_LIBRARY_PATH=/same" }, { "PATH=/usr/bin", "LD_LIBRARY_PATH=/same" },
	  { { 0 } }, "" },
	/* 14: site SET / UNSET */
	{ { "PATH=/usr/bin", "FOO=host" }, { "PATH=/usr/bin", "FOO=image" },
	  { SET("FOO", "site"), SET("SITE_ONLY", ""), SET("PATH", "/site/bin") },
	  "+FOO=site [SET]; +PATH=/site/bin [SET]; +SITE_ONLY= [SET]" },
	{ { "PATH=/usr/bin", "FOO=host", "BAR=1" }, { "PATH=/usr/bin", "FOO=image" },
	  { UNSET("FOO"), UNSET("BAR"), UNSET("NOT_THERE") }, "-BAR [UNSET]; -FOO [UNSET]" },
	{ { "PATH=/usr/bin" }, { "PATH=/usr/bin" }, { SET("A", "1"), UNSET("A") }, "" },
	{ { "PATH=/usr/bin" }, { "PATH=/usr/bin" }, { UNSET("A"), SET("A", "2") }, "+A=2 [SET]" },
	{ { "PATH=/usr/bin" }, { "PATH=/usr/bin" }, { SET("A", "1"), SET("A", "2") }, "+A=2 [SET]" },
	/* 19: the site may touch protected names */
	{ { "PATH=/usr/bin", "HOME=/home/alice", "SLURM_X=1" }, { "PATH=/usr/bin" },
	  { UNSET("HOME"), SET("SLURM_X", "2"), SET("PMIX_MCA_gds", "hash") },
	  "-HOME [UNSET]; +PMIX_MCA_gds=hash [SET]; +SLURM_X=2 [SET]" },
	/* 20: KEEP */
	{ { "PATH=/host", "FOO=host" }, { "PATH=/img", "FOO=image", "BAR=image" },
	  { KEEP("FOO"), KEEP("BAR"), KEEP("PATH") }, "+BAR=image [image]" },
	{ { "PATH=/usr/bin", "LD_LIBRARY_PATH=/opt/cuda/lib" }, { "PATH=/usr/bin" },
	  { KEEP("LD_LIBRARY_PATH") }, "" },
	{ { "PATH=/usr/bin", "LD_LIBRARY_PATH=/opt/cuda/lib" },
	  { "PATH=/usr/bin", "LD_LIBRARY_PATH=/img" }, { KEEP("LD_LIBRARY_PATH") }, "" },
	{ { "PATH=/usr/bin", "FOO=host" }, { "PATH=/usr/bin", "FOO=image" },
	  { KEEP("FOO"), SET("FOO", "site") }, "+FOO=site [SET]" },
	{ { "PATH=/usr/bin", "FOO=host" }, { "PATH=/usr/bin", "FOO=image" },
	  { SET("FOO", "site"), KEEP("FOO") }, "" },
	{ { "PATH=/usr/bin", "FOO=host" }, { "PATH=/usr/bin" }, { UNSET("FOO"), KEEP("FOO") }, "" },
	/* 26: patterns */
	{ { "PATH=/usr/bin", "OMPI_MCA_a=1", "OMPI_MCA_c=3", "OMPIX=0" },
	  { "PATH=/usr/bin", "OMPI_MCA_a=2", "OMPI_MCA_b=2", "OMPIX=9" }, { KEEP("OMPI_*") },
	  "+OMPIX=9 [image]; +OMPI_MCA_b=2 [image]" },
	{ { "PATH=/usr/bin", "OMPI_MCA_a=1", "OMPI_MCA_c=3", "OMPIX=0" },
	  { "PATH=/usr/bin", "OMPI_MCA_a=2", "OMPI_MCA_b=2" }, { UNSET("OMPI_*") },
	  "-OMPI_MCA_a [UNSET]; -OMPI_MCA_c [UNSET]" },
	{ { "PATH=/usr/bin", "LD_PRELOAD=/x.so", "LD_LIBRARY_PATH=/l" }, { "PATH=/usr/bin" },
	  { KEEP("LD_*") }, "" },
	{ { "PATH=/usr/bin", "X_1=a", "X_2=b" }, { "PATH=/usr/bin" }, { UNSET("X_*"), SET("X_2", "c") },
	  "-X_1 [UNSET]; +X_2=c [SET]" },
	/* 30: the first of duplicate job entries counts; entries without '=' are left alone */
	{ { "PATH=/usr/bin", "A=1", "A=2" }, { "PATH=/usr/bin", "A=1" }, { { 0 } }, "" },
	{ { "PATH=/usr/bin", "A=1", "A=2" }, { "PATH=/usr/bin", "A=2" }, { { 0 } }, "+A=2 [image]" },
	{ { "PATH=/usr/bin", "NOEQUALS", "", "=x" }, { "PATH=/usr/bin" }, { UNSET("NOEQUALS") }, "" },
	/* 33: names the job may have but berth would not accept from an image */
	{ { "PATH=/usr/bin", "BASH_FUNC_f%%=() { :; }", "my-var=1" }, { "PATH=/usr/bin" },
	  { { 0 } }, "" },
	/* 34: sorted by strcmp, whatever the input order */
	{ { "PATH=/usr/bin", "b=1", "LD_PRELOAD=x" },
	  { "PATH=/usr/bin", "Z=1", "a=1", "A=1", "_=1", "M=1" },
	  { SET("B", "1") },
	  "+A=1 [image]; +B=1 [SET]; -LD_PRELOAD [host-only]; +M=1 [image]; +Z=1 [image]; "
	  "+_=1 [image]; +a=1 [image]" },
	/* 35: prefixes of each other */
	{ { "PATH=/usr/bin", "AB=1", "A=1" }, { "PATH=/usr/bin", "A=2", "ABC=3" }, { { 0 } },
	  "+A=2 [image]; +ABC=3 [image]" },
};

static const char *reason_tag(enum berth_env_reason reason)
{
	switch (reason) {
	case BERTH_ENV_BY_HOST_ONLY:    return "host-only";
	case BERTH_ENV_BY_DEFAULT_PATH: return "default";
	case BERTH_ENV_BY_IMAGE:        return "image";
	case BERTH_ENV_BY_SITE_KEEP:    return "KEEP";
	case BERTH_ENV_BY_SITE_SET:     return "SET";
	case BERTH_ENV_BY_SITE_UNSET:   return "UNSET";
	}
	return "?";
}

static void format_changes(const struct berth_env_changes *c, char *buf, size_t size)
{
	size_t pos = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < c->count; i++) {
		const struct berth_env_change *ch = &c->items[i];

		if (ch->op == BERTH_ENV_OP_SET)
			pos += (size_t)snprintf(buf + pos, size - pos, "%s+%s=%s [%s]", i ? "; " : "",
						ch->name, ch->value, reason_tag(ch->reason));
		else
			pos += (size_t)snprintf(buf + pos, size - pos, "%s-%s [%s]", i ? "; " : "",
						ch->name, reason_tag(ch->reason));
		ck_assert_uint_lt(pos, size);
	}
}

static size_t count_strings(const char *const *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n])
		n++;
	return n;
}

static size_t count_rules(const struct berth_env_rule *rules)
{
	size_t n = 0;

	while (n < MAX_RULES && rules[n].name)
		n++;
	return n;
}

START_TEST(test_env_changes)
{
	const struct env_case *c = &env_cases[_i];
	struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
	struct berth_env_changes changes;
	struct berth_error err = BERTH_ERROR_INIT;
	const char *job[MAX_VARS + 1] = { NULL };
	char got[2048];

	memcpy(job, c->job, sizeof(c->job));
	meta.env = (char **)c->image;
	meta.env_count = count_strings(c->image, MAX_VARS);
	ck_assert_msg(berth_task_env_changes(job, &meta, c->rules, count_rules(c->rules), &changes,
					     &err) == 0, "%s", err.msg);
	format_changes(&changes, got, sizeof(got));
	ck_assert_str_eq(got, c->expected);
	berth_env_changes_free(&changes);
	ck_assert_ptr_null(changes.items);
	ck_assert_uint_eq(changes.count, 0);
}
END_TEST

/* The changes applied to a malloc'd copy of the job env give the same
 * environment as looking each name up with berth_task_env_value. */
START_TEST(test_env_apply)
{
	const struct env_case *c = &env_cases[_i];
	struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
	struct berth_env_changes changes;
	struct berth_error err = BERTH_ERROR_INIT;
	size_t njob = count_strings(c->job, MAX_VARS);
	char **env = calloc(njob + 1, sizeof(*env));

	for (size_t i = 0; i < njob; i++)
		env[i] = strdup(c->job[i]);
	meta.env = (char **)c->image;
	meta.env_count = count_strings(c->image, MAX_VARS);
	ck_assert_int_eq(berth_task_env_changes((const char *const *)env, &meta, c->rules,
						count_rules(c->rules), &changes, &err), 0);
	ck_assert_int_eq(berth_task_env_apply(&env, &changes, &err), 0);
	for (size_t i = 0; i < changes.count; i++) {
		const struct berth_env_change *ch = &changes.items[i];
		size_t len = strlen(ch->name), found = 0;

		for (size_t j = 0; env[j]; j++)
			if (strncmp(env[j], ch->name, len) == 0 && env[j][len] == '=') {
				found++;
				ck_assert_str_eq(env[j] + len + 1, ch->value);
			}
		ck_assert_uint_eq(found, ch->op == BERTH_ENV_OP_SET ? 1 : 0);
	}
	/* untouched job entries keep their place, in order, before the new ones */
	for (size_t i = 0, j = 0; i < njob; i++) {
		const char *eq = strchr(c->job[i], '=');
		size_t len = eq ? (size_t)(eq - c->job[i]) : 0;
		bool changed = false;

		for (size_t k = 0; eq && k < changes.count; k++)
			changed |= strlen(changes.items[k].name) == len &&
				   strncmp(changes.items[k].name, c->job[i], len) == 0;
		if (!changed)
			ck_assert_str_eq(env[j++], c->job[i]);
	}
	berth_env_changes_free(&changes);
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}
END_TEST

START_TEST(test_env_build_and_value)
{
	static const char *const image_env[] = { "PATH=/img/bin", "FOO=img", NULL };
	struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
	struct berth_env_rule rules[] = { SET("SITE", "s") };
	struct berth_env_changes changes;
	struct berth_error err = BERTH_ERROR_INIT;
	const char *job[] = { "PATH=/host", "FOO=host", "LD_PRELOAD=x", "KEEP=k", NULL };
	char **env = calloc(5, sizeof(*env));

	for (size_t i = 0; i < 4; i++)
		env[i] = strdup(job[i]);
	meta.env = (char **)image_env;
	meta.env_count = 2;
	ck_assert_int_eq(berth_task_env_changes(job, &meta, rules, 1, &changes, &err), 0);
	ck_assert_str_eq(berth_task_env_value(job, &changes, "PATH"), "/img/bin");
	ck_assert_str_eq(berth_task_env_value(job, &changes, "FOO"), "img");
	ck_assert_str_eq(berth_task_env_value(job, &changes, "KEEP"), "k");
	ck_assert_str_eq(berth_task_env_value(job, &changes, "SITE"), "s");
	ck_assert_ptr_null(berth_task_env_value(job, &changes, "LD_PRELOAD"));
	ck_assert_ptr_null(berth_task_env_value(job, &changes, "NONE"));
	ck_assert_ptr_null(berth_task_env_value(job, &changes, "PAT"));
	ck_assert_ptr_null(berth_task_env_value(NULL, NULL, "PATH"));
	berth_env_changes_free(&changes);

	ck_assert_int_eq(berth_task_env_build(&env, &meta, rules, 1, &err), 0);
	ck_assert_str_eq(env[0], "KEEP=k");
	ck_assert_str_eq(env[1], "FOO=img");
	ck_assert_str_eq(env[2], "PATH=/img/bin");
	ck_assert_str_eq(env[3], "SITE=s");
	ck_assert_ptr_null(env[4]);
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);

	/* a NULL environment and no image */
	env = NULL;
	ck_assert_int_eq(berth_task_env_build(&env, NULL, NULL, 0, &err), 0);
	ck_assert_str_eq(env[0], "PATH=" DEF);
	ck_assert_ptr_null(env[1]);
	free(env[0]);
	free(env);
}
END_TEST

/* Every occurrence of a changed name goes, the untouched ones stay. */
START_TEST(test_env_apply_duplicates)
{
	static const char *const image_env[] = { "PATH=/bin", "A=3", NULL };
	struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	const char *job[] = { "A=1", "PATH=/bin", "B=1", "A=2", "B=2", "NOEQ", NULL };
	char **env = calloc(7, sizeof(*env));

	for (size_t i = 0; i < 6; i++)
		env[i] = strdup(job[i]);
	meta.env = (char **)image_env;
	meta.env_count = 2;
	ck_assert_int_eq(berth_task_env_build(&env, &meta, NULL, 0, &err), 0);
	ck_assert_str_eq(env[0], "PATH=/bin");
	ck_assert_str_eq(env[1], "B=1");
	ck_assert_str_eq(env[2], "B=2");
	ck_assert_str_eq(env[3], "NOEQ");
	ck_assert_str_eq(env[4], "A=3");
	ck_assert_ptr_null(env[5]);
	for (size_t i = 0; env[i]; i++)
		free(env[i]);
	free(env);
}
END_TEST

/* A job environment of 200000 entries and a pattern rule: no quadratic
 * blow-up. */
START_TEST(test_env_large)
{
	size_t n = 200000;
	char **job = calloc(n + 1, sizeof(*job));
	struct berth_env_rule rules[] = { UNSET("V1*"), KEEP("V2*") };
	struct berth_env_changes changes;
	struct berth_error err = BERTH_ERROR_INIT;
	struct timespec t0, t1;

	for (size_t i = 0; i < n; i++)
		ck_assert_int_ge(asprintf(&job[i], "V%zu=%zu", i, i), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(berth_task_env_changes((const char *const *)job, NULL, rules, 2, &changes,
						&err), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* V1, V10..V19, V100..V199, ..., V100000..V199999, and PATH */
	ck_assert_uint_eq(changes.count, 1 + 10 + 100 + 1000 + 10000 + 100000 + 1);
	ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
	ck_assert_int_eq(berth_task_env_apply(&job, &changes, &err), 0);
	berth_env_changes_free(&changes);
	for (size_t i = 0; job[i]; i++)
		free(job[i]);
	free(job);
}
END_TEST

/* ------------------------------------------------------------ rules */

struct rule_case {
	const char *text;
	enum berth_env_rule_kind kind;
	const char *name, *value;
	const char *message;    /* non-NULL: rejected */
};

#define EXPECTED_RULE "expected KEEP=NAME, SET=NAME=value or UNSET=NAME"

static const struct rule_case rule_cases[] = {
	{ "KEEP=FOO", BERTH_ENV_RULE_KEEP, "FOO", NULL, NULL },
	{ "KEEP=OMPI_*", BERTH_ENV_RULE_KEEP, "OMPI_*", NULL, NULL },
	{ "UNSET=X", BERTH_ENV_RULE_UNSET, "X", NULL, NULL },
	{ "UNSET=LD_*", BERTH_ENV_RULE_UNSET, "LD_*", NULL, NULL },
	{ "SET=A=b", BERTH_ENV_RULE_SET, "A", "b", NULL },
	{ "SET=A=b=c", BERTH_ENV_RULE_SET, "A", "b=c", NULL },
	{ "SET=A=", BERTH_ENV_RULE_SET, "A", "", NULL },
	{ "SET=PATH=/usr/bin:/bin", BERTH_ENV_RULE_SET, "PATH", "/usr/bin:/bin", NULL },
	{ "", 0, NULL, NULL, "env rule \"\": " EXPECTED_RULE },
	{ "keep=A", 0, NULL, NULL, "env rule \"keep=A\": " EXPECTED_RULE },
	{ "KEEP", 0, NULL, NULL, "env rule \"KEEP\": " EXPECTED_RULE },
	{ "FOO=bar", 0, NULL, NULL, "env rule \"FOO=bar\": " EXPECTED_RULE },
	{ " KEEP=A", 0, NULL, NULL, "env rule \" KEEP=A\": " EXPECTED_RULE },
	{ "KEEP=", 0, NULL, NULL, "env rule \"KEEP=\": invalid variable name \"\"" },
	{ "KEEP=*", 0, NULL, NULL, "env rule \"KEEP=*\": invalid variable name \"*\"" },
	{ "KEEP=A**", 0, NULL, NULL, "env rule \"KEEP=A**\": invalid variable name \"A**\"" },
	{ "KEEP=*A", 0, NULL, NULL, "env rule \"KEEP=*A\": invalid variable name \"*A\"" },
	{ "KEEP=A B", 0, NULL, NULL, "env rule \"KEEP=A B\": invalid variable name \"A B\"" },
	{ "UNSET=1A", 0, NULL, NULL, "env rule \"UNSET=1A\": invalid variable name \"1A\"" },
	{ "UNSET=A=b", 0, NULL, NULL, "env rule \"UNSET=A=b\": invalid variable name \"A=b\"" },
	{ "SET=A", 0, NULL, NULL, "env rule \"SET=A\": expected SET=NAME=value" },
	{ "SET==x", 0, NULL, NULL, "env rule \"SET==x\": invalid variable name \"\"" },
	{ "SET=A*=b", 0, NULL, NULL, "env rule \"SET=A*=b\": invalid variable name \"A*\"" },
	{ "SET=A\n=b", 0, NULL, NULL, "env rule \"SET=A?=b\": invalid variable name \"A?\"" },
};

START_TEST(test_rule_parse)
{
	const struct rule_case *c = &rule_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_env_rule rule;
	int rc = berth_env_rule_parse(c->text, &rule, &err);

	if (c->message) {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, c->message);
		ck_assert_ptr_null(rule.name);
		return;
	}
	ck_assert_msg(rc == 0, "%s: %s", c->text, err.msg);
	ck_assert_int_eq(rule.kind, c->kind);
	ck_assert_str_eq(rule.name, c->name);
	if (c->value)
		ck_assert_str_eq(rule.value, c->value);
	else
		ck_assert_ptr_null(rule.value);
	ck_assert_int_eq(berth_env_rule_check(&rule, 1, &err), 0);
	berth_env_rule_free(&rule);
	ck_assert_ptr_null(rule.name);
	berth_env_rule_free(&rule);
	berth_env_rule_free(NULL);
}
END_TEST

START_TEST(test_rule_check)
{
	static const struct berth_env_rule bad[] = {
		{ (enum berth_env_rule_kind)7, "A", NULL },
		{ BERTH_ENV_RULE_KEEP, NULL, NULL },
		{ BERTH_ENV_RULE_SET, "A", NULL },
		{ BERTH_ENV_RULE_SET, "A*", "x" },
		{ BERTH_ENV_RULE_UNSET, "", NULL },
	};
	static const char *const messages[] = {
		"env rule 2: unknown kind 7",
		"env rule 2: no name",
		"env rule 2: SET without a value",
		"env rule 2: invalid variable name \"A*\"",
		"env rule 2: invalid variable name \"\"",
	};
	struct berth_error err = BERTH_ERROR_INIT;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct berth_env_rule rules[2] = { KEEP("OK"), bad[i] };
		struct berth_env_changes changes = { (struct berth_env_change *)1, 9 };

		ck_assert_int_eq(berth_env_rule_check(&bad[i], 2, &err), -1);
		ck_assert_str_eq(err.msg, messages[i]);
		ck_assert_int_eq(berth_task_env_changes(NULL, NULL, rules, 2, &changes, &err), -1);
		ck_assert_str_eq(err.msg, messages[i]);
		ck_assert_ptr_null(changes.items);
		ck_assert_uint_eq(changes.count, 0);
	}
}
END_TEST

/* A hand-built image env is checked too. */
START_TEST(test_image_env_check)
{
	char *bad[][2] = { { "PATH=/bin", "NOEQ" }, { "1A=x", NULL }, { "PATH=/bin", NULL } };
	static const char *const messages[] = {
		"image env entry 1 \"NOEQ\" is not NAME=value",
		"image env entry 0 \"1A=x\" is not NAME=value",
		"image env entry 1 \"\" is not NAME=value",
	};
	struct berth_error err = BERTH_ERROR_INIT;

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct berth_image_meta meta = BERTH_IMAGE_META_INIT;
		struct berth_env_changes changes;

		meta.env = bad[i];
		meta.env_count = 2;
		ck_assert_int_eq(berth_task_env_changes(NULL, &meta, NULL, 0, &changes, &err), -1);
		ck_assert_str_eq(err.msg, messages[i]);
	}
}
END_TEST

START_TEST(test_reason_names)
{
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_IMAGE), "image");
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_HOST_ONLY), "host-only variable");
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_DEFAULT_PATH), "default PATH");
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_SITE_KEEP), "site KEEP");
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_SITE_SET), "site SET");
	ck_assert_str_eq(berth_env_reason_name(BERTH_ENV_BY_SITE_UNSET), "site UNSET");
	ck_assert_str_eq(berth_env_reason_name((enum berth_env_reason)99), "?");
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_JOB), "the job's working directory");
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_IMAGE), "the image's workdir");
	ck_assert_str_eq(berth_task_cwd_name(BERTH_TASK_CWD_ROOT), "/");
}
END_TEST

/* ================================================================ tree */

static char tree[64];

static void make_file(const char *rel, mode_t mode)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_ge(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, mode), 0);
	ck_assert_int_eq(write(fd, "#!/bin/sh\n", 10), 10);
	close(fd);
	ck_assert_int_eq(chmod(path, mode), 0);
}

static void make_dir(const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_eq(mkdir(path, 0755), 0);
}

static void make_link(const char *target, const char *rel)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", tree, rel);
	ck_assert_int_eq(symlink(target, path), 0);
}

/* The container tree used by the enter and command tests:
 *   /MARKER, /home/alice/, /app/, /opt/app/run (0755), /usr/bin/tool (0755),
 *   /usr/bin/noexec (0644), /usr/bin/adir/, /usr/bin/fifo, /bin -> usr/bin,
 *   /usr/local/bin/escape -> /../../../../bin/sh, /usr/bin/dangling,
 *   /usr/bin/up -> ../../../../../../usr/bin/tool, /noexec/tool (0644),
 *   /link -> /home/alice, /esc -> ../../../../.., /afile, /proc/ */
static void tree_setup(void)
{
	snprintf(tree, sizeof(tree), "/tmp/berth-test-task-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tree));
	ck_assert_int_eq(chmod(tree, 0755), 0);
	make_file("MARKER", 0644);
	make_file("afile", 0644);
	make_dir("home");
	make_dir("home/alice");
	make_dir("app");
	make_dir("opt");
	make_dir("opt/app");
	make_file("opt/app/run", 0755);
	make_dir("usr");
	make_dir("usr/bin");
	make_dir("usr/local");
	make_dir("usr/local/bin");
	make_dir("noexec");
	make_dir("proc");
	make_file("usr/bin/tool", 0755);
	make_file("usr/bin/noexec", 0644);
	make_file("noexec/tool", 0644);
	make_dir("usr/bin/adir");
	make_link("usr/bin", "bin");
	make_link("/../../../../bin/sh", "usr/local/bin/escape");
	make_link("/nonexistent", "usr/bin/dangling");
	make_link("../../../../../../usr/bin/tool", "usr/bin/up");
	make_link("/home/alice", "link");
	make_link("../../../../..", "esc");
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/usr/bin/fifo", tree);
		ck_assert_int_eq(mkfifo(path, 0755), 0);
	}
}

static void tree_teardown(void)
{
	char cmd[256];

	if (!tree[0])
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tree);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", tree);
	tree[0] = '\0';
}

/* Run fn in a child that leaves with _exit(): after a chroot, LeakSanitizer
 * cannot read /proc at exit.  fn reports a failure as a message (empty:
 * success), sent back over a pipe and asserted empty here; a message
 * starting with "skipped: " is printed and makes this return false. */
typedef void (*child_fn)(const void *arg, char *msg, size_t size);

static bool in_child(child_fn fn, const void *arg)
{
	char msg[1024] = "";
	size_t len = 0;
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_ge(pid = fork(), 0);
	if (pid == 0) {
		close(fds[0]);
		fn(arg, msg, sizeof(msg));
		n = write(fds[1], msg, strlen(msg));
		_exit(n == (ssize_t)strlen(msg) ? 0 : 1);
	}
	close(fds[1]);
	while (len < sizeof(msg) - 1 && (n = read(fds[0], msg + len, sizeof(msg) - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = '\0';
	close(fds[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d", status);
	if (strncmp(msg, "skipped: ", 9) == 0) {
		fprintf(stderr, "%s\n", msg);
		return false;
	}
	ck_assert_msg(msg[0] == '\0', "%s", msg);
	return true;
}

#define CHILD_FAIL(...)                                 \
	do {                                            \
		snprintf(msg, size, __VA_ARGS__);       \
		return;                                 \
	} while (0)

/* ================================================================ enter */

struct enter_case {
	const char *job_cwd, *image_workdir;
	enum berth_task_cwd used;
	const char *cwd;      /* getcwd() after entering */
};

static const struct enter_case enter_cases[] = {
	{ "/home/alice", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/home/bob", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
	{ "/home/bob", "/nope", BERTH_TASK_CWD_ROOT, "/" },
	{ NULL, NULL, BERTH_TASK_CWD_ROOT, "/" },
	{ "", "", BERTH_TASK_CWD_ROOT, "/" },
	{ "home/alice", "app", BERTH_TASK_CWD_ROOT, "/" },
	{ "/afile", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
	{ "/home/alice/", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/link", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/esc", "/app", BERTH_TASK_CWD_JOB, "/" },
	{ "/esc/home/alice", "/app", BERTH_TASK_CWD_JOB, "/home/alice" },
	{ "/../../../home/alice", NULL, BERTH_TASK_CWD_JOB, "/home/alice" },
	{ NULL, "/usr/bin/../../opt/app", BERTH_TASK_CWD_IMAGE, "/opt/app" },
	{ "/", "/app", BERTH_TASK_CWD_JOB, "/" },
	/* host paths do not exist in the tree */
	{ "/etc", "/usr/share", BERTH_TASK_CWD_ROOT, "/" },
};

static void enter_child(const void *arg, char *msg, size_t size)
{
	const struct enter_case *c = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used = (enum berth_task_cwd)-1;
	char cwd[256];

	if (berth_task_enter(tree, c->job_cwd, c->image_workdir, &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != c->used)
		CHILD_FAIL("used %d, expected %d", (int)used, (int)c->used);
	if (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, c->cwd) != 0)
		CHILD_FAIL("cwd \"%s\", expected \"%s\"", cwd, c->cwd);
	/* inside the tree, and "/" is its root */
	if (access("/MARKER", F_OK) < 0 || access("/../../MARKER", F_OK) < 0)
		CHILD_FAIL("not inside the tree");
	if (access("/etc/passwd", F_OK) == 0)
		CHILD_FAIL("the host's /etc/passwd is visible");
}

START_TEST(test_enter)
{
	REQUIRE_ROOT();
	in_child(enter_child, &enter_cases[_i]);
}
END_TEST

START_TEST(test_enter_errors)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char expected[512];

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_task_enter("rel/root", NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "container root \"rel/root\" is not an absolute path");
	ck_assert_int_eq(berth_task_enter(NULL, NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, "container root \"\" is not an absolute path");
	ck_assert_int_eq(berth_task_enter("/nonexistent/berth", NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg,
			 "enter container root \"/nonexistent/berth\": chdir: No such file or directory");
	/* not root: chroot is refused */
	ck_assert_int_eq(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err), 0);
	snprintf(expected, sizeof(expected),
		 "enter container root \"%s\": chroot: Operation not permitted", tree);
	ck_assert_int_eq(berth_task_enter(tree, NULL, NULL, NULL, &err), -1);
	ck_assert_str_eq(err.msg, expected);
	ck_assert_int_eq(err.code, EPERM);
}
END_TEST

/* A private mount namespace with /proc mounted in the tree; a message
 * when that is not possible here. */
static int mount_proc_in_tree(char *msg, size_t size)
{
	char proc[128];

	snprintf(proc, sizeof(proc), "%s/proc", tree);
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    mount("proc", proc, "proc", 0, NULL) < 0) {
		snprintf(msg, size, "skipped: cannot mount /proc in a mount namespace: %s",
			 strerror(errno));
		return -1;
	}
	return 0;
}

/* /proc/<pid>/root of the (unchrooted) test process is the host's root. */
struct magic_case {
	char job_cwd[64], image_workdir[64];
	enum berth_task_cwd used;
	const char *cwd;      /* NULL: not checked */
};

/* The control: a plain chroot + chdir does escape through the magic link. */
static void magic_control_child(const void *arg, char *msg, size_t size)
{
	const struct magic_case *c = arg;

	if (mount_proc_in_tree(msg, size) < 0)
		return;
	if (chdir(tree) < 0 || chroot(".") < 0)
		CHILD_FAIL("chroot: %s", strerror(errno));
	if (chdir(c->job_cwd) < 0 || access("etc/passwd", F_OK) < 0)
		CHILD_FAIL("skipped: %s does not lead out of the chroot here", c->job_cwd);
}

static void magic_enter_child(const void *arg, char *msg, size_t size)
{
	const struct magic_case *c = arg;
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used;
	char cwd[256];

	if (mount_proc_in_tree(msg, size) < 0)
		return;
	if (berth_task_enter(tree, c->job_cwd[0] ? c->job_cwd : NULL,
			     c->image_workdir[0] ? c->image_workdir : NULL, &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != c->used)
		CHILD_FAIL("%s: used %d, expected %d", c->job_cwd, (int)used, (int)c->used);
	if (access("/MARKER", F_OK) < 0 || access("passwd", F_OK) == 0 ||
	    access("etc/passwd", F_OK) == 0 || access("/etc/passwd", F_OK) == 0)
		CHILD_FAIL("%s: outside the tree", c->job_cwd);
	if (c->cwd && (!getcwd(cwd, sizeof(cwd)) || strcmp(cwd, c->cwd) != 0))
		CHILD_FAIL("%s: cwd \"%s\"", c->job_cwd, cwd);
}

/* With /proc mounted in the tree, a /proc/<pid>/root magic link (to the
 * host's root) is not followed, neither given directly nor through a
 * symlink in the image. */
START_TEST(test_enter_magic_links)
{
	struct magic_case cases[] = {
		{ "", "/app", BERTH_TASK_CWD_IMAGE, "/app" },
		{ "", "", BERTH_TASK_CWD_ROOT, "/" },
		{ "/home/bob", "/hostroot", BERTH_TASK_CWD_ROOT, "/" },
		{ "/proc/self", "", BERTH_TASK_CWD_JOB, NULL },
	};
	char target[64];

	REQUIRE_ROOT();
	snprintf(cases[0].job_cwd, sizeof(cases[0].job_cwd), "/proc/%d/root", (int)getpid());
	snprintf(cases[1].job_cwd, sizeof(cases[1].job_cwd), "/proc/%d/root/etc", (int)getpid());
	snprintf(target, sizeof(target), "/proc/%d/root/etc", (int)getpid());
	make_link(target, "hostroot");
	if (!in_child(magic_control_child, &cases[0]))
		return;
	for (size_t i = 0; i < ARRAY_LEN(cases); i++)
		if (!in_child(magic_enter_child, &cases[i]))
			return;
}
END_TEST

/* ================================================================ command */

struct command_case {
	const char *path_env, *cmd;
	const char *found;      /* NULL: rejected with message */
	const char *message;
};

static const struct command_case command_cases[] = {
	{ "/usr/bin", "tool", "/usr/bin/tool", NULL },
	{ "/nope:/bin", "tool", "/bin/tool", NULL },
	{ NULL, "tool", "/usr/bin/tool", NULL },
	{ "/noexec:/usr/bin", "tool", "/usr/bin/tool", NULL },
	{ "/usr/bin/../../usr/bin", "tool", "/usr/bin/../../usr/bin/tool", NULL },
	{ "/../../../../usr/bin", "tool", "/../../../../usr/bin/tool", NULL },
	{ "/usr/bin", "up", "/usr/bin/up", NULL },
	{ "/usr/bin/", "tool", "/usr/bin//tool", NULL },
	{ "/usr/bin", "/opt/app/run", "/opt/app/run", NULL },
	{ "", "/opt/app/run", "/opt/app/run", NULL },
	{ "/usr/bin", "/bin/tool", "/bin/tool", NULL },
	/* the host's /bin/sh is not the image's */
	{ "/usr/local/bin:/bin", "sh", NULL,
	  "command \"sh\" not found in the image's PATH (/usr/local/bin:/bin)" },
	{ "/usr/local/bin", "escape", NULL,
	  "command \"escape\" not found in the image's PATH (/usr/local/bin)" },
	{ "/usr/bin", "/bin/sh", NULL, "command \"/bin/sh\" not found in the image" },
	{ "/usr/bin", "/usr/local/bin/escape", NULL,
	  "command \"/usr/local/bin/escape\" not found in the image" },
	{ "/usr/bin", "dangling", NULL, "command \"dangling\" not found in the image's PATH (/usr/bin)" },
	{ "/usr/bin", "noexec", NULL, "command \"noexec\": /usr/bin/noexec is not executable" },
	{ "/noexec", "tool", NULL, "command \"tool\": /noexec/tool is not executable" },
	{ "/usr/bin", "adir", NULL, "command \"adir\": /usr/bin/adir is not executable" },
	{ "/usr/bin", "fifo", NULL, "command \"fifo\": /usr/bin/fifo is not executable" },
	{ "/usr/bin", "/usr/bin/noexec", NULL,
	  "command \"/usr/bin/noexec\" is not executable in the image" },
	{ "/usr/bin", "/usr/bin/adir", NULL, "command \"/usr/bin/adir\" is a directory in the image" },
	{ "/usr/bin", "/opt/app/missing", NULL, "command \"/opt/app/missing\" not found in the image" },
	{ "/usr/bin", "", NULL, "command is empty" },
	{ "/usr/bin", NULL, NULL, "command is empty" },
	{ "/usr/bin", "a\nb", NULL, "command \"a?b\" not found in the image's PATH (/usr/bin)" },
	{ "/a\x1b:/b", "x", NULL, "command \"x\" not found in the image's PATH (/a?:/b)" },
	{ "/usr/bin:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "x", NULL,
	  "command \"x\" not found in the image's PATH "
	  "(/usr/bin:/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...)" },
	{ "", "tool", NULL, "command \"tool\" not found in the image's PATH ()" },
};

START_TEST(test_find_command)
{
	const struct command_case *c = &command_cases[_i];
	struct berth_error err = BERTH_ERROR_INIT;
	char out[256] = "unchanged";
	int rc = berth_task_find_command(tree, c->path_env, c->cmd, out, sizeof(out), &err);

	if (c->found) {
		ck_assert_msg(rc == 0, "%s: %s", c->cmd, err.msg);
		ck_assert_str_eq(out, c->found);
	} else {
		ck_assert_int_eq(rc, -1);
		ck_assert_str_eq(err.msg, c->message);
		ck_assert_str_eq(out, "unchanged");
	}
}
END_TEST

START_TEST(test_find_command_errors)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char out[256], *longcmd = malloc(5000);

	ck_assert_int_eq(berth_task_find_command(tree, "/usr/bin", "tool", out, 14, &err), 0);
	ck_assert_str_eq(out, "/usr/bin/tool");
	ck_assert_int_eq(berth_task_find_command(tree, "/usr/bin", "tool", out, 13, &err), -1);
	ck_assert_str_eq(err.msg, "command \"tool\": path \"/usr/bin/tool\" does not fit in 13 bytes");
	ck_assert_int_eq(berth_task_find_command("rel", "/usr/bin", "tool", out, sizeof(out), &err), -1);
	ck_assert_str_eq(err.msg, "container root \"rel\" is not an absolute path");
	ck_assert_int_eq(berth_task_find_command("/nonexistent/x", NULL, "tool", out, sizeof(out), &err),
			 -1);
	ck_assert_str_eq(err.msg, "container root \"/nonexistent/x\": No such file or directory");
	memset(longcmd, 'c', 4096);
	longcmd[4096] = '\0';
	ck_assert_int_eq(berth_task_find_command(tree, "/usr/bin", longcmd, out, sizeof(out), &err), -1);
	ck_assert_str_eq(err.msg, "command \"cccccccccccccccccccccccccccccccc"
			 "cccccccccccccccccccccccccccccccc...\" is longer than 4095 bytes");
	longcmd[4095] = '\0';
	ck_assert_int_eq(berth_task_find_command(tree, "/usr/bin", longcmd, out, sizeof(out), &err), -1);
	ck_assert_int_eq(err.code, ENOENT);
	free(longcmd);
}
END_TEST

/* After entering, root is "/" and relative lookups use the cwd. */
static const struct command_case inside_cases[] = {
	{ "/usr/bin", "tool", "/usr/bin/tool", NULL },
	{ "", "run", "./run", NULL },
	{ "/usr/bin:", "run", "./run", NULL },
	{ "/usr/bin::/x", "run", "./run", NULL },
	{ "../app", "run", "../app/run", NULL },
	{ "/usr/bin", "./run", "./run", NULL },
	{ "/usr/bin", "../app/run", "../app/run", NULL },
	{ "/usr/bin", "../../../../../opt/app/run", "../../../../../opt/app/run", NULL },
	{ "/usr/bin", "sh", NULL, "command \"sh\" not found in the image's PATH (/usr/bin)" },
	{ "/bin", "./missing", NULL, "command \"./missing\" not found in the image" },
};

static void find_inside_child(const void *arg, char *msg, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used;

	(void)arg;
	if (berth_task_enter(tree, "/opt/app", NULL, &used, &err) < 0 || used != BERTH_TASK_CWD_JOB)
		CHILD_FAIL("enter: %s", err.msg);
	for (size_t i = 0; i < ARRAY_LEN(inside_cases); i++) {
		const struct command_case *c = &inside_cases[i];
		char out[256] = "unchanged";
		int rc = berth_task_find_command("/", c->path_env, c->cmd, out, sizeof(out), &err);

		if (c->found && (rc != 0 || strcmp(out, c->found) != 0))
			CHILD_FAIL("case %zu: rc %d, out \"%s\": %s", i, rc, out, rc ? err.msg : "");
		if (!c->found && (rc != -1 || strcmp(err.msg, c->message) != 0))
			CHILD_FAIL("case %zu: rc %d, message \"%s\"", i, rc, err.msg);
	}
}

START_TEST(test_find_command_inside)
{
	REQUIRE_ROOT();
	in_child(find_inside_child, NULL);
}
END_TEST

/* A magic link in the image (to the host's root through /proc) is not
 * followed by the lookup: this process is not chrooted, so its
 * /proc/self/root is the host's root, which has a /bin/sh. */
static void magic_command_child(const void *arg, char *msg, size_t size)
{
	static const char *const paths[] = {
		"/usr/hostbin", "/proc/self/root/bin", "/proc/self/root/usr/bin",
	};
	struct berth_error err = BERTH_ERROR_INIT;
	char out[256];

	(void)arg;
	if (mount_proc_in_tree(msg, size) < 0)
		return;
	if (access("/proc/self/root/bin/sh", X_OK) < 0)
		CHILD_FAIL("skipped: no /bin/sh on the host");
	for (size_t i = 0; i < ARRAY_LEN(paths); i++) {
		char expected[256];

		if (berth_task_find_command(tree, paths[i], "sh", out, sizeof(out), &err) == 0)
			CHILD_FAIL("%s: found %s", paths[i], out);
		snprintf(expected, sizeof(expected), "command \"sh\" not found in the image's PATH (%s)",
			 paths[i]);
		if (strcmp(err.msg, expected) != 0)
			CHILD_FAIL("%s: %s", paths[i], err.msg);
	}
	if (berth_task_find_command(tree, NULL, "/proc/self/root/bin/sh", out, sizeof(out), &err) == 0)
		CHILD_FAIL("found %s", out);
}

START_TEST(test_find_command_magic_link)
{
	REQUIRE_ROOT();
	make_link("/proc/self/root/bin", "usr/hostbin");
	in_child(magic_command_child, NULL);
}
END_TEST

/* A kernel without openat2 (Linux < 5.6), played with a seccomp filter:
 * entering falls back to chdir; lookups work once root is "/" and are
 * refused with a clear message before. */
static int without_openat2(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { (unsigned short)ARRAY_LEN(filter), filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static void no_openat2_child(const void *arg, char *msg, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	enum berth_task_cwd used;
	char out[256];

	(void)arg;
	if (without_openat2() < 0)
		CHILD_FAIL("skipped: cannot install a seccomp filter: %s", strerror(errno));
	if (berth_task_find_command(tree, "/usr/bin", "tool", out, sizeof(out), &err) == 0 ||
	    strcmp(err.msg, "command \"tool\": looking inside the image needs openat2 (Linux 5.6) "
		   "or the task inside the container") != 0)
		CHILD_FAIL("before entering: %s", err.msg);
	if (berth_task_enter(tree, "/home/bob", "/link", &used, &err) < 0)
		CHILD_FAIL("enter: %s", err.msg);
	if (used != BERTH_TASK_CWD_IMAGE || access("/MARKER", F_OK) < 0)
		CHILD_FAIL("used %d", (int)used);
	if (!getcwd(out, sizeof(out)) || strcmp(out, "/home/alice") != 0)
		CHILD_FAIL("cwd %s", out);
	if (berth_task_find_command("/", "/x:/bin", "tool", out, sizeof(out), &err) < 0 ||
	    strcmp(out, "/bin/tool") != 0)
		CHILD_FAIL("after entering: %s", err.msg);
	if (berth_task_find_command("/", "/usr/bin", "sh", out, sizeof(out), &err) == 0)
		CHILD_FAIL("found the host's sh: %s", out);
}

START_TEST(test_without_openat2)
{
	REQUIRE_ROOT();
	in_child(no_openat2_child, NULL);
}
END_TEST

/* ================================================================ lock down */

static int lock_down_setup(void *arg)
{
	struct berth_error err = BERTH_ERROR_INIT;

	(void)arg;
	if (berth_task_lock_down(&err) < 0) {
		errno = err.code ? err.code : EPERM;
		return -1;
	}
	return 0;
}

/* Run argv as nobody (berth_run), locked down or not; the output. */
static char *run_as_nobody(const char *const *argv, bool lock_down)
{
	struct berth_run_spec spec;
	struct berth_run_result res;
	struct berth_error err = BERTH_ERROR_INIT;
	char *out;

	memset(&spec, 0, sizeof(spec));
	memset(&res, 0, sizeof(res));
	spec.argv = argv;
	spec.as_user = true;
	spec.uid = NOBODY;
	spec.gid = NOBODY;
	spec.capture = true;
	spec.timeout_ms = 10000;
	spec.child_setup = lock_down ? lock_down_setup : NULL;
	ck_assert_msg(berth_run(&spec, &res, &err) == 0, "%s", err.msg);
	out = res.output ? strdup(res.output) : strdup("");
	berth_run_result_free(&res);
	return out;
}

static const char *const grep_status[] = {
	"/bin/grep", "-E", "^(NoNewPrivs|Cap(Inh|Prm|Eff|Bnd|Amb)):", "/proc/self/status", NULL,
};

#define LOCKED_DOWN_STATUS                 \
	"CapInh:\t0000000000000000\n"      \
	"CapPrm:\t0000000000000000\n"      \
	"CapEff:\t0000000000000000\n"      \
	"CapBnd:\t0000000000000000\n"      \
	"CapAmb:\t0000000000000000\n"      \
	"NoNewPrivs:\t1\n"

START_TEST(test_lock_down_status)
{
	char *out;

	REQUIRE_ROOT();
	out = run_as_nobody(grep_status, true);
	ck_assert_str_eq(out, LOCKED_DOWN_STATUS);
	free(out);
	/* the control: without it, the bounding set is full and nnp off */
	out = run_as_nobody(grep_status, false);
	ck_assert_ptr_null(strstr(out, "CapBnd:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(out, "NoNewPrivs:\t0"));
	free(out);
}
END_TEST

static void read_status(char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n;

	ck_assert_ptr_nonnull(f);
	n = fread(buf, 1, size - 1, f);
	buf[n] = '\0';
	fclose(f);
}

/* Slurm's own sequence after the hook: seteuid(user) for the chdir, back
 * to root, then setgroups/setgid/setuid - all still possible. */
START_TEST(test_lock_down_then_slurm_setuid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char status[8192];

	REQUIRE_ROOT();
	ck_assert_msg(berth_task_lock_down(&err) == 0, "%s", err.msg);
	ck_assert_int_eq(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	ck_assert_int_eq(prctl(PR_CAPBSET_READ, CAP_SETUID, 0, 0, 0), 0);
	/* still root with its effective capabilities */
	read_status(status, sizeof(status));
	ck_assert_ptr_null(strstr(status, "CapEff:\t0000000000000000"));
	ck_assert_int_eq(setegid(NOBODY), 0);
	ck_assert_int_eq(seteuid(NOBODY), 0);
	ck_assert_int_eq(chdir("/"), 0);
	ck_assert_int_eq(seteuid(0), 0);
	ck_assert_int_eq(setegid(0), 0);
	ck_assert_msg(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err) == 0, "%s", err.msg);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapPrm:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapEff:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapBnd:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "NoNewPrivs:\t1"));
	ck_assert_int_eq(setuid(0), -1);
	ck_assert_int_eq(errno, EPERM);
}
END_TEST

/* Capabilities put in the inheritable and ambient sets, and the keep-caps
 * securebit, do not survive. */
START_TEST(test_lock_down_clears_inherited)
{
	struct berth_error err = BERTH_ERROR_INIT;
	cap_value_t cap = CAP_NET_BIND_SERVICE;
	char status[8192];
	cap_t caps;

	REQUIRE_ROOT();
	ck_assert_ptr_nonnull(caps = cap_get_proc());
	ck_assert_int_eq(cap_set_flag(caps, CAP_INHERITABLE, 1, &cap, CAP_SET), 0);
	ck_assert_int_eq(cap_set_proc(caps), 0);
	cap_free(caps);
	ck_assert_int_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_BIND_SERVICE, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), 0);
	ck_assert_msg(berth_task_lock_down(&err) == 0, "%s", err.msg);
	ck_assert_int_eq(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_BIND_SERVICE, 0, 0), 0);
	ck_assert_int_eq(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapInh:\t0000000000000000"));
	ck_assert_ptr_nonnull(strstr(status, "CapAmb:\t0000000000000000"));
	ck_assert_msg(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err) == 0, "%s", err.msg);
	read_status(status, sizeof(status));
	ck_assert_ptr_nonnull(strstr(status, "CapPrm:\t0000000000000000"));
	/* twice is fine for root; for nobody the bounding set is already empty */
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
}
END_TEST

START_TEST(test_lock_down_twice)
{
	struct berth_error err = BERTH_ERROR_INIT;

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
	ck_assert_int_eq(berth_task_lock_down(&err), 0);
}
END_TEST

START_TEST(test_lock_down_unprivileged)
{
	struct berth_error err = BERTH_ERROR_INIT;

	REQUIRE_ROOT();
	ck_assert_int_eq(berth_drop_privileges(NOBODY, NOBODY, NULL, 0, &err), 0);
	ck_assert_int_eq(berth_task_lock_down(&err), -1);
	ck_assert_str_eq(err.msg, "drop capability 0 from the bounding set: Operation not permitted");
	ck_assert_int_eq(err.code, EPERM);
}
END_TEST

/* A directory for setuid copies that nobody can reach, on a filesystem
 * that honours setuid; NULL if there is none. */
static char *suid_dir(void)
{
	static const char *const bases[] = { "/var/tmp", "/tmp" };

	for (size_t i = 0; i < ARRAY_LEN(bases); i++) {
		struct statvfs sv;
		char *dir;

		if (statvfs(bases[i], &sv) < 0 || (sv.f_flag & ST_NOSUID))
			continue;
		if (asprintf(&dir, "%s/berth-test-suid-XXXXXX", bases[i]) < 0)
			return NULL;
		if (mkdtemp(dir) && chmod(dir, 0755) == 0)
			return dir;
		free(dir);
	}
	return NULL;
}

static void copy_program(const char *from, const char *to, mode_t mode)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(chown(to, 0, 0), 0);
	ck_assert_int_eq(chmod(to, mode), 0);
}

static void remove_suid_dir(char *dir)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(dir);
}

/* A setuid-root program does not make a locked-down task root. */
START_TEST(test_lock_down_setuid_binary)
{
	char *dir, id[256], *out;
	const char *argv[] = { id, NULL };

	REQUIRE_ROOT();
	if (!(dir = suid_dir())) {
		fprintf(stderr, "%s: skipped: no filesystem without nosuid\n", __func__);
		return;
	}
	snprintf(id, sizeof(id), "%s/id", dir);
	copy_program("/usr/bin/id", id, 04755);
	out = run_as_nobody(argv, false);
	if (!strstr(out, "euid=0(root)")) {
		fprintf(stderr, "%s: skipped: setuid is not honoured here (%s)\n", __func__, out);
		free(out);
		remove_suid_dir(dir);
		return;
	}
	free(out);
	out = run_as_nobody(argv, true);
	ck_assert_ptr_null(strstr(out, "euid"));
	ck_assert_int_eq(strncmp(out, "uid=65534(nobody) gid=65534(nogroup)", 36), 0);
	free(out);
	remove_suid_dir(dir);
}
END_TEST

/* Run argv as nobody, locked down; the error of berth_run (it fails). */
static void run_locked_fails(const char *const *argv, const char *message)
{
	struct berth_run_spec spec;
	struct berth_run_result res;
	struct berth_error err = BERTH_ERROR_INIT;

	memset(&spec, 0, sizeof(spec));
	spec.argv = argv;
	spec.as_user = true;
	spec.uid = NOBODY;
	spec.gid = NOBODY;
	spec.capture = true;
	spec.timeout_ms = 10000;
	spec.child_setup = lock_down_setup;
	ck_assert_int_eq(berth_run(&spec, &res, &err), -1);
	ck_assert_str_eq(err.msg, message);
	/* berth_run keeps the capture buffer in res even when it fails */
	berth_run_result_free(&res);
}

/* Nor does a program with file capabilities: a permitted-only one runs
 * without them; a capability-dumb one (effective bit) cannot be executed
 * at all, since the bounding set no longer holds its capability. */
START_TEST(test_lock_down_file_caps)
{
	char *dir, grep[256], *out, message[512];
	const char *argv[] = { grep, "-E", "^Cap(Prm|Eff):", "/proc/self/status", NULL };
	cap_t caps;

	REQUIRE_ROOT();
	if (!(dir = suid_dir())) {
		fprintf(stderr, "%s: skipped: no filesystem without nosuid\n", __func__);
		return;
	}
	snprintf(grep, sizeof(grep), "%s/grep", dir);
	copy_program("/bin/grep", grep, 0755);
	caps = cap_from_text("cap_dac_read_search=p");
	ck_assert_ptr_nonnull(caps);
	if (cap_set_file(grep, caps) < 0) {
		fprintf(stderr, "%s: skipped: cannot set file capabilities: %s\n", __func__,
			strerror(errno));
		cap_free(caps);
		remove_suid_dir(dir);
		return;
	}
	cap_free(caps);
	out = run_as_nobody(argv, false);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000004\nCapEff:\t0000000000000000\n");
	free(out);
	out = run_as_nobody(argv, true);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n");
	free(out);

	caps = cap_from_text("cap_dac_read_search=ep");
	ck_assert_int_eq(cap_set_file(grep, caps), 0);
	cap_free(caps);
	out = run_as_nobody(argv, false);
	ck_assert_str_eq(out, "CapPrm:\t0000000000000004\nCapEff:\t0000000000000004\n");
	free(out);
	snprintf(message, sizeof(message), "\"%s\": execve: Operation not permitted", grep);
	run_locked_fails(argv, message);
	remove_suid_dir(dir);
}
END_TEST

/* ================================================================ suite */

static Suite *task_entry_suite(void)
{
	Suite *suite = suite_create("task_entry");
	TCase *env = tcase_create("env");
	TCase *enter = tcase_create("enter");
	TCase *lock = tcase_create("lock_down");

	tcase_add_loop_test(env, test_env_changes, 0, (int)ARRAY_LEN(env_cases));
	tcase_add_loop_test(env, test_env_apply, 0, (int)ARRAY_LEN(env_cases));
	tcase_add_test(env, test_env_build_and_value);
	tcase_add_test(env, test_env_apply_duplicates);
	tcase_add_test(env, test_env_large);
	tcase_add_loop_test(env, test_rule_parse, 0, (int)ARRAY_LEN(rule_cases));
	tcase_add_test(env, test_rule_check);
	tcase_add_test(env, test_image_env_check);
	tcase_add_test(env, test_reason_names);
	tcase_set_timeout(env, 60);
	suite_add_tcase(suite, env);

	tcase_add_unchecked_fixture(enter, tree_setup, tree_teardown);
	tcase_add_loop_test(enter, test_enter, 0, (int)ARRAY_LEN(enter_cases));
	tcase_add_test(enter, test_enter_errors);
	tcase_add_test(enter, test_enter_magic_links);
	tcase_add_loop_test(enter, test_find_command, 0, (int)ARRAY_LEN(command_cases));
	tcase_add_test(enter, test_find_command_errors);
	tcase_add_test(enter, test_find_command_inside);
	tcase_add_test(enter, test_find_command_magic_link);
	tcase_add_test(enter, test_without_openat2);
	suite_add_tcase(suite, enter);

	tcase_add_test(lock, test_lock_down_status);
	tcase_add_test(lock, test_lock_down_then_slurm_setuid);
	tcase_add_test(lock, test_lock_down_clears_inherited);
	tcase_add_test(lock, test_lock_down_twice);
	tcase_add_test(lock, test_lock_down_unprivileged);
	tcase_add_test(lock, test_lock_down_setuid_binary);
	tcase_add_test(lock, test_lock_down_file_caps);
	tcase_set_timeout(lock, 30);
	suite_add_tcase(suite, lock);
	return suite;
}

int main(void)
{
	return unit_run(task_entry_suite());
}
