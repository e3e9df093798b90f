/*
 * test_task_env.c - unit tests of common/task_env.c: a task's environment
 * (job, image, host-only names, default PATH, site rules).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "task_env.h"
#include "unit.h"

#define DEF BERTH_TASK_DEFAULT_PATH

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
}
END_TEST

static Suite *task_env_suite(void)
{
	Suite *suite = suite_create("task_env");
	TCase *env = tcase_create("env");

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
	return suite;
}

int main(void)
{
	return unit_run(task_env_suite());
}
