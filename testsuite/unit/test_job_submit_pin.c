/*
 * test_job_submit_pin.c - unit tests of plugins/job_submit/js_pin.c: the
 * cache in front of berth_image_resolve() and what reaches the gateway.
 * No gateway runs here: gateway_url points at a port nothing listens on
 * (a real refused connection; without munged the client fails even before,
 * ENOTCONN), so anything that is not answered from the image directory or
 * the cache fails with the client's message.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "berth_conf.h"
#include "js_cache.h"
#include "js_pin.h"
#include "unit.h"

#define DIGEST "sha256:1111111111111111111111111111111111111111111111111111111111111111"

static char image_dir[] = "/tmp/berth-test-pin.XXXXXX";
static char sqfs[256];
static struct berth_config cfg;

static void setup(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(image_dir));
	snprintf(sqfs, sizeof(sqfs), "%s/%s.sqfs", image_dir, DIGEST);
	ck_assert_ptr_nonnull(f = fopen(sqfs, "w"));
	fclose(f);
	ck_assert_msg(berth_config_load("/nonexistent/berth.conf", true, &cfg, &err) == 0, "%s", err.msg);
	free(cfg.image_dir);
	cfg.image_dir = strdup(image_dir);
	free(cfg.gateway_url);
	cfg.gateway_url = strdup("http://127.0.0.1:9");  /* discard port: refused */
	cfg.lookup_timeout_ms = 1000;
}

static void teardown(void)
{
	unlink(sqfs);
	rmdir(image_dir);
	berth_config_free(&cfg);
}

static int pin(struct js_cache *cache, const char *text, struct js_pinned *out,
	       struct berth_error *err)
{
	struct js_pin_ctx ctx = { &cfg, cache, NULL };
	struct berth_image_ref ref;

	ck_assert_msg(berth_image_ref_parse(text, BERTH_IMAGE_DOCKER, &ref, err) == 0, "%s", err->msg);
	return js_pin_image(&ctx, text, &ref, 2001, out, err);
}

START_TEST(test_digest_in_image_dir_then_cached_forever)
{
	struct js_cache *cache = js_cache_new(16, 1000);
	struct berth_error err = BERTH_ERROR_INIT;
	struct js_pinned out;

	ck_assert_msg(pin(cache, "id:" DIGEST, &out, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(out.digest, DIGEST);
	ck_assert(out.from_image_dir);
	ck_assert(!out.cached);
	/* gone from the image dir: the cached answer stands (a digest never changes) */
	unlink(sqfs);
	ck_assert_msg(pin(cache, "id:" DIGEST, &out, &err) == 0, "%s", err.msg);
	ck_assert(out.cached);
	ck_assert_str_eq(out.canonical, "id:" DIGEST);
	js_cache_free(cache);
}
END_TEST

START_TEST(test_without_cache_the_file_is_checked_again)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct js_pinned out;

	ck_assert_msg(pin(NULL, "docker:reg:5000/r@" DIGEST, &out, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(out.digest, DIGEST);
	unlink(sqfs);
	ck_assert_int_eq(pin(NULL, "docker:reg:5000/r@" DIGEST, &out, &err), -1);
	ck_assert_msg(err.code == ECONNREFUSED || err.code == ENOTCONN, "%d %s", err.code, err.msg);
}
END_TEST

START_TEST(test_tag_needs_the_gateway)
{
	struct js_cache *cache = js_cache_new(16, 1000);
	struct berth_error err = BERTH_ERROR_INIT;
	struct js_pinned out;

	cfg.auto_pull = true;  /* not for an unreachable gateway: only for ENOENT */
	ck_assert_int_eq(pin(cache, "docker:reg:5000/r:t", &out, &err), -1);
	ck_assert_msg(err.code == ECONNREFUSED || err.code == ENOTCONN, "%d %s", err.code, err.msg);
	ck_assert_ptr_null(strstr(err.msg, "auto_pull"));
	/* failures are not cached: the same answer again, not a stale success */
	ck_assert_int_eq(pin(cache, "docker:reg:5000/r:t", &out, &err), -1);
	js_cache_free(cache);
}
END_TEST

START_TEST(test_cached_tag_is_per_user_and_expires)
{
	struct js_cache *cache = js_cache_new(16, 60000);
	struct berth_error err = BERTH_ERROR_INIT;
	struct js_pinned out;

	/* what an earlier lookup for uid 2001 found, as js_pin_image stores it */
	js_cache_put(cache, "docker:reg:5000/r:t", 2001, DIGEST, false, js_now_ms());
	ck_assert_msg(pin(cache, "docker:reg:5000/r:t", &out, &err) == 0, "%s", err.msg);
	ck_assert(out.cached);
	ck_assert_str_eq(out.digest, DIGEST);
	/* the cache key is canonical: another spelling of the same reference hits */
	ck_assert_msg(pin(cache, "reg:5000/r:t", &out, &err) == 0, "%s", err.msg);
	ck_assert(out.cached);
	js_cache_free(cache);
	cache = js_cache_new(16, 0);  /* lookup_cache_ttl = 0: always asked */
	js_cache_put(cache, "docker:reg:5000/r:t", 2001, DIGEST, false, js_now_ms());
	ck_assert_int_eq(pin(cache, "docker:reg:5000/r:t", &out, &err), -1);
	js_cache_free(cache);
}
END_TEST

static Suite *pin_suite(void)
{
	Suite *s = suite_create("job_submit_pin");
	TCase *tc = tcase_create("pin");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_digest_in_image_dir_then_cached_forever);
	tcase_add_test(tc, test_without_cache_the_file_is_checked_again);
	tcase_add_test(tc, test_tag_needs_the_gateway);
	tcase_add_test(tc, test_cached_tag_is_per_user_and_expires);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return unit_run(pin_suite());
}
