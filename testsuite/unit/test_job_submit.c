/*
 * test_job_submit.c - unit tests of job_submit's pure parts (no Slurm, no
 * gateway): environment rewrite (plugins/job_submit/js_env.c) and the
 * image cache (js_cache.c).  The AdminComment record is test_job_wire.c.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job_request.h"
#include "js_cache.h"
#include "js_env.h"
#include "unit.h"

#define DIGEST_A "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define DIGEST_B "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

/* ---- a libc allocator that counts live strings (leaks, double frees) ---- */
static int live_strings;
static bool fail_alloc;

static char *t_dup(const char *s)
{
	char *p;

	if (fail_alloc)
		return NULL;
	if ((p = strdup(s)))
		live_strings++;
	return p;
}

static void t_release(char *s)
{
	if (s)
		live_strings--;
	free(s);
}

static char **t_resize(char **array, size_t count)
{
	if (fail_alloc)
		return NULL;
	return realloc(array, count * sizeof(char *));
}

static const struct js_env_alloc alloc = { t_dup, t_release, t_resize };

/* An array built through the allocator from a NULL-terminated list. */
static char **env_of(const char *const *list, uint32_t *size)
{
	char **env = NULL;

	*size = 0;
	for (; *list; list++) {
		env = t_resize(env, *size + 2);
		env[(*size)++] = t_dup(*list);
		env[*size] = NULL;
	}
	return env;
}

static void env_free(char **env, uint32_t size)
{
	for (uint32_t i = 0; i < size; i++)
		t_release(env[i]);
	free(env);
}

static void setup(void)
{
	live_strings = 0;
	fail_alloc = false;
}

START_TEST(test_set_replaces_in_place)
{
	const char *const list[] = { "A=1", BERTH_ENV_IMAGE "=docker:busybox", "B=2", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t n;
	char **env = env_of(list, &n);

	ck_assert_int_eq(js_env_set(&env, &n, BERTH_ENV_IMAGE, "id:" DIGEST_A, &alloc, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_str_eq(env[1], BERTH_ENV_IMAGE "=id:" DIGEST_A);
	ck_assert_str_eq(env[0], "A=1");
	ck_assert_str_eq(env[2], "B=2");
	env_free(env, n);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_set_removes_duplicates)
{
	/* a crafted client sends the option twice: both must become the pin */
	const char *const list[] = { BERTH_ENV_IMAGE "=docker:a", "X=1", BERTH_ENV_IMAGE "=docker:b",
				     "Y=2", BERTH_ENV_IMAGE "=docker:c", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t n;
	char **env = env_of(list, &n);

	ck_assert_int_eq(js_env_set(&env, &n, BERTH_ENV_IMAGE, "id:" DIGEST_A, &alloc, &err), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(js_env_count(env, n, BERTH_ENV_IMAGE), 1);
	ck_assert_str_eq(env[0], BERTH_ENV_IMAGE "=id:" DIGEST_A);
	ck_assert_str_eq(env[1], "X=1");
	ck_assert_str_eq(env[2], "Y=2");
	ck_assert_ptr_null(env[3]);
	env_free(env, n);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_set_appends_and_terminates)
{
	uint32_t n = 0;
	char **env = NULL;
	struct berth_error err = BERTH_ERROR_INIT;

	ck_assert_int_eq(js_env_set(&env, &n, "NAME", "v", &alloc, &err), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(env[0], "NAME=v");
	ck_assert_ptr_null(env[1]);
	ck_assert_str_eq(js_env_get(env, n, "NAME"), "v");
	/* a prefix of a name is another name */
	ck_assert_ptr_null(js_env_get(env, n, "NAM"));
	ck_assert_uint_eq(js_env_count(env, n, "NAMEX"), 0);
	env_free(env, n);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_set_failure_changes_nothing)
{
	const char *const list[] = { "A=1", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t n;
	char **env = env_of(list, &n);
	char big[5000];

	fail_alloc = true;
	ck_assert_int_eq(js_env_set(&env, &n, "B", "2", &alloc, &err), -1);
	ck_assert_int_eq(err.code, ENOMEM);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(env[0], "A=1");
	fail_alloc = false;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	ck_assert_int_eq(js_env_set(&env, &n, "A", big, &alloc, &err), -1);
	ck_assert_int_eq(err.code, E2BIG);
	ck_assert_str_eq(env[0], "A=1");
	env_free(env, n);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_pin_batch_job)
{
	const char *const spank_list[] = { BERTH_ENV_IMAGE "=docker:busybox",
					   BERTH_ENV_IMAGE_REQUEST "=forged", NULL };
	const char *const env_list[] = { "PATH=/bin", BERTH_ENV_IMAGE "=docker:busybox",
					 BERTH_ENV_JOB_IMAGE "=docker:busybox", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t sn, en;
	char **spank = env_of(spank_list, &sn), **env = env_of(env_list, &en);
	struct js_job_env job = { &spank, &sn, &env, &en };

	ck_assert_int_eq(js_env_pin(&job, "docker:busybox", DIGEST_A, &alloc, &err), 0);
	ck_assert_str_eq(js_env_get(spank, sn, BERTH_ENV_IMAGE), "id:" DIGEST_A);
	ck_assert_str_eq(js_env_get(spank, sn, BERTH_ENV_IMAGE_REQUEST), "docker:busybox");
	ck_assert_uint_eq(sn, 2);
	ck_assert_str_eq(js_env_get(env, en, BERTH_ENV_IMAGE), "id:" DIGEST_A);
	ck_assert_str_eq(js_env_get(env, en, BERTH_ENV_JOB_IMAGE), "id:" DIGEST_A);
	ck_assert_str_eq(js_env_get(env, en, BERTH_ENV_IMAGE_REQUEST), "docker:busybox");
	ck_assert_str_eq(js_env_get(env, en, "PATH"), "/bin");
	ck_assert_uint_eq(en, 4);
	env_free(spank, sn);
	env_free(env, en);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_pin_without_environment)
{
	/* salloc and srun send no environment: only spank_job_env changes */
	const char *const spank_list[] = { BERTH_ENV_IMAGE "=docker:busybox", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t sn, en = 0;
	char **spank = env_of(spank_list, &sn), **env = NULL;
	struct js_job_env job = { &spank, &sn, &env, &en };

	ck_assert_int_eq(js_env_pin(&job, "docker:busybox", DIGEST_B, &alloc, &err), 0);
	ck_assert_str_eq(js_env_get(spank, sn, BERTH_ENV_IMAGE), "id:" DIGEST_B);
	ck_assert_ptr_null(env);
	ck_assert_uint_eq(en, 0);
	env_free(spank, sn);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

START_TEST(test_no_image_scrubs_inherited_variables)
{
	/* a nested sbatch without --image inherits its parent job's variables */
	const char *const spank_list[] = { "OTHER=1", BERTH_ENV_IMAGE_REQUEST "=x", NULL };
	const char *const env_list[] = { BERTH_ENV_IMAGE "=id:" DIGEST_A, "PATH=/bin",
					 BERTH_ENV_JOB_IMAGE "=id:" DIGEST_A,
					 BERTH_ENV_IMAGE_REQUEST "=docker:busybox", NULL };
	struct berth_error err = BERTH_ERROR_INIT;
	uint32_t sn, en;
	char **spank = env_of(spank_list, &sn), **env = env_of(env_list, &en);
	struct js_job_env job = { &spank, &sn, &env, &en };

	ck_assert_int_eq(js_env_pin(&job, NULL, NULL, &alloc, &err), 0);
	ck_assert_uint_eq(sn, 1);
	ck_assert_str_eq(spank[0], "OTHER=1");
	ck_assert_uint_eq(en, 1);
	ck_assert_str_eq(env[0], "PATH=/bin");
	ck_assert_ptr_null(env[1]);
	env_free(spank, sn);
	env_free(env, en);
	ck_assert_int_eq(live_strings, 0);
}
END_TEST

/* ---- cache --------------------------------------------------------------- */
START_TEST(test_cache_tag_expires)
{
	struct js_cache *c = js_cache_new(8, 1000);
	char d[BERTH_DIGEST_LEN + 1];

	ck_assert_ptr_nonnull(c);
	ck_assert(!js_cache_get(c, "docker:r:t", 2001, 0, d));
	js_cache_put(c, "docker:r:t", 2001, DIGEST_A, false, 100);
	ck_assert(js_cache_get(c, "docker:r:t", 2001, 1099, d));
	ck_assert_str_eq(d, DIGEST_A);
	ck_assert(!js_cache_get(c, "docker:r:t", 2001, 1100, d));
	/* a clock that went backwards is not "fresh" */
	ck_assert(!js_cache_get(c, "docker:r:t", 2001, 50, d));
	js_cache_free(c);
}
END_TEST

START_TEST(test_cache_digest_forever)
{
	struct js_cache *c = js_cache_new(8, 1000);
	char d[BERTH_DIGEST_LEN + 1];

	js_cache_put(c, "docker:r@" DIGEST_A, 2001, DIGEST_A, true, 0);
	ck_assert(js_cache_get(c, "docker:r@" DIGEST_A, 2001, UINT64_C(1) << 40, d));
	js_cache_free(c);
}
END_TEST

START_TEST(test_cache_is_per_user)
{
	/* what alice may see (a private image) is not bob's answer */
	struct js_cache *c = js_cache_new(8, 1000);
	char d[BERTH_DIGEST_LEN + 1];

	js_cache_put(c, "docker:r:t", 2001, DIGEST_A, false, 0);
	ck_assert(!js_cache_get(c, "docker:r:t", 2002, 1, d));
	js_cache_put(c, "id:" DIGEST_B, JS_CACHE_ANY_UID, DIGEST_B, true, 0);
	ck_assert(js_cache_get(c, "id:" DIGEST_B, 2002, 1, d));
	ck_assert_str_eq(d, DIGEST_B);
	js_cache_free(c);
}
END_TEST

START_TEST(test_cache_zero_ttl_never_hits)
{
	struct js_cache *c = js_cache_new(8, 0);
	char d[BERTH_DIGEST_LEN + 1];

	js_cache_put(c, "docker:r:t", 1, DIGEST_A, false, 5);
	ck_assert(!js_cache_get(c, "docker:r:t", 1, 5, d));
	js_cache_free(c);
}
END_TEST

START_TEST(test_cache_update_and_evict)
{
	struct js_cache *c = js_cache_new(2, 1000);
	struct js_cache_stats st;
	char d[BERTH_DIGEST_LEN + 1];

	js_cache_put(c, "docker:a", 1, DIGEST_A, false, 0);
	js_cache_put(c, "docker:a", 1, DIGEST_B, false, 10);  /* the tag moved */
	ck_assert(js_cache_get(c, "docker:a", 1, 20, d));
	ck_assert_str_eq(d, DIGEST_B);
	js_cache_put(c, "docker:b", 1, DIGEST_A, true, 20);
	js_cache_put(c, "docker:c", 1, DIGEST_A, false, 30);  /* evicts docker:a (oldest) */
	ck_assert(!js_cache_get(c, "docker:a", 1, 31, d));
	ck_assert(js_cache_get(c, "docker:b", 1, 31, d));
	ck_assert(js_cache_get(c, "docker:c", 1, 31, d));
	js_cache_get_stats(c, &st);
	ck_assert_uint_eq(st.entries, 2);
	ck_assert_uint_eq(st.evictions, 1);
	/* an expired entry is reused before a live one is evicted */
	js_cache_put(c, "docker:d", 1, DIGEST_B, false, 2000);
	ck_assert(js_cache_get(c, "docker:b", 1, 2001, d));
	js_cache_get_stats(c, &st);
	ck_assert_uint_eq(st.evictions, 1);
	js_cache_clear(c);
	ck_assert(!js_cache_get(c, "docker:b", 1, 2001, d));
	js_cache_free(c);
}
END_TEST

struct hammer_arg {
	struct js_cache *cache;
	int id;
};

static void *hammer(void *p)
{
	struct hammer_arg *a = p;
	char ref[64], d[BERTH_DIGEST_LEN + 1];

	for (int i = 0; i < 20000; i++) {
		snprintf(ref, sizeof(ref), "docker:r%d:t", i % 50);
		if (js_cache_get(a->cache, ref, (uid_t)(i % 3), (uint64_t)i, d) &&
		    strcmp(d, DIGEST_A) != 0)
			return (void *)1;
		js_cache_put(a->cache, ref, (uid_t)(i % 3), DIGEST_A, a->id % 2, (uint64_t)i);
	}
	return NULL;
}

START_TEST(test_cache_threads)
{
	/* slurmctld runs job_submit from several threads: no torn entries */
	struct js_cache *c = js_cache_new(64, 100);
	pthread_t t[4];
	struct hammer_arg args[4];
	void *ret;

	for (int i = 0; i < 4; i++) {
		args[i] = (struct hammer_arg){ c, i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	js_cache_free(c);
}
END_TEST

static Suite *job_submit_suite(void)
{
	Suite *s = suite_create("job_submit");
	TCase *env = tcase_create("env"), *cache = tcase_create("cache");

	tcase_add_checked_fixture(env, setup, NULL);
	tcase_add_test(env, test_set_replaces_in_place);
	tcase_add_test(env, test_set_removes_duplicates);
	tcase_add_test(env, test_set_appends_and_terminates);
	tcase_add_test(env, test_set_failure_changes_nothing);
	tcase_add_test(env, test_pin_batch_job);
	tcase_add_test(env, test_pin_without_environment);
	tcase_add_test(env, test_no_image_scrubs_inherited_variables);
	tcase_add_test(cache, test_cache_tag_expires);
	tcase_add_test(cache, test_cache_digest_forever);
	tcase_add_test(cache, test_cache_is_per_user);
	tcase_add_test(cache, test_cache_zero_ttl_never_hits);
	tcase_add_test(cache, test_cache_update_and_evict);
	tcase_add_test(cache, test_cache_threads);
	suite_add_tcase(s, env);
	suite_add_tcase(s, cache);
	return s;
}

int main(void)
{
	return unit_run(job_submit_suite());
}
