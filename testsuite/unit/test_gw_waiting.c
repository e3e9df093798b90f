/*
 * test_gw_waiting.c - unit tests of gateway/gw_waiting.c, the releaser of
 * jobs held for an image: a real service (SQLite records, image files in a
 * temporary directory) and a fake Slurm (gw_slurm.h ops) that records what
 * the releaser asks for.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fs_util.h"
#include "gw_service_internal.h"
#include "gw_waiting.h"
#include "job_wire.h"
#include "unit.h"

#define DIGEST_READY "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define DIGEST_FAIL  "sha256:2222222222222222222222222222222222222222222222222222222222222222"
#define DIGEST_BUSY  "sha256:3333333333333333333333333333333333333333333333333333333333333333"
#define DIGEST_NONE  "sha256:4444444444444444444444444444444444444444444444444444444444444444"

static char dir[64];
static struct gw_config cfg;
static struct gw_service *svc;

/* ---- the fake Slurm ------------------------------------------------------ */
#define FAKE_JOBS 8
static struct fake {
	struct gw_slurm_job jobs[FAKE_JOBS];
	size_t njobs;
	int update_errno, cancel_errno, list_errno;
	unsigned updates, cancels, lists;
	uint32_t last_job;
	char last_comment[BERTH_COMMENT_MAX];
	enum gw_slurm_hold last_hold;
	uint32_t cancelled[FAKE_JOBS];
} fake;

static int fake_list(void *arg, struct gw_slurm_job **jobs, size_t *count, struct berth_error *err)
{
	(void)arg;
	fake.lists++;
	if (fake.list_errno)
		return berth_error_set(err, fake.list_errno, "cannot list the jobs");
	*jobs = calloc(FAKE_JOBS, sizeof(**jobs));
	for (size_t i = 0; i < fake.njobs; i++) {
		(*jobs)[i] = fake.jobs[i];
		(*jobs)[i].admin_comment = strdup(fake.jobs[i].admin_comment);
	}
	*count = fake.njobs;
	return 0;
}

static int fake_update(void *arg, uint32_t job_id, const char *comment, enum gw_slurm_hold hold,
		       struct berth_error *err)
{
	(void)arg;
	fake.updates++;
	if (fake.update_errno)
		return berth_error_set(err, fake.update_errno, "job %u: update failed", job_id);
	fake.last_job = job_id;
	snprintf(fake.last_comment, sizeof(fake.last_comment), "%s", comment ? comment : "(null)");
	fake.last_hold = hold;
	return 0;
}

static int fake_cancel(void *arg, uint32_t job_id, struct berth_error *err)
{
	(void)arg;
	if (fake.cancel_errno)
		return berth_error_set(err, fake.cancel_errno, "job %u: cancel failed", job_id);
	fake.cancelled[fake.cancels++ % FAKE_JOBS] = job_id;
	return 0;
}

static const struct gw_slurm_ops fake_ops = { fake_list, fake_update, fake_cancel, NULL };

static void fake_job(uint32_t id, const char *comment, bool user_hold)
{
	fake.jobs[fake.njobs].job_id = id;
	fake.jobs[fake.njobs].held = true;
	fake.jobs[fake.njobs].user_hold = user_hold;
	fake.jobs[fake.njobs].admin_comment = (char *)comment;
	fake.njobs++;
}

/* ---- the service and its records ----------------------------------------- */
static void record(const char *ref, const char *digest, enum gw_status status, const char *message)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_pull p = { .ref = ref, .owner = GW_OWNER_PUBLIC, .digest = digest,
				   .status = status, .now = 1 };
	struct gw_store_row row;

	ck_assert_msg(gw_store_upsert(svc->store, &p, &row, &err) == 0, "%s", err.msg);
	if (message)
		ck_assert_int_eq(gw_store_update_id(svc->store, row.id, NULL, status, message, 0, 0, &err), 0);
}

static void publish(const char *digest)
{
	static const char *const exts[] = { "sqfs", "json" };

	for (size_t i = 0; i < 2; i++) {
		char path[256];
		FILE *f;

		snprintf(path, sizeof(path), "%s/images/%s.%s", dir, digest, exts[i]);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs("x", f);
		fclose(f);
	}
}

static void setup(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256];
	FILE *f;

	memset(&fake, 0, sizeof(fake));
	snprintf(dir, sizeof(dir), "/tmp/berth-test-gw-waiting.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "image_dir = %s/images\nstate_dir = %s/state\nworkers = 1\n", dir, dir);
	fclose(f);
	ck_assert_msg(gw_config_load(path, &cfg, &err) == 0, "%s", err.msg);
	svc = gw_service_create(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.msg);
	record("docker:r/ready:1", DIGEST_READY, GW_STATUS_READY, NULL);
	publish(DIGEST_READY);
	record("docker:r/fail:1", DIGEST_FAIL, GW_STATUS_FAILURE, "layer 1: digest mismatch");
	record("docker:r/busy:1", DIGEST_BUSY, GW_STATUS_PULLING, NULL);
}

static void teardown(void)
{
	gw_service_destroy(svc);
	gw_config_free(&cfg);
	berth_remove_tree(dir, NULL);
}

static struct gw_waiting *releaser(void)
{
	struct gw_waiting_opts opts = { 100, 100000, true };
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_waiting *w = gw_waiting_start(svc, &fake_ops, &opts, &err);

	ck_assert_msg(w != NULL, "%s", err.msg);
	return w;
}

/* ---- tests ------------------------------------------------------------------ */
START_TEST(test_digest_states)
{
	char status[GW_MESSAGE_MAX], message[GW_MESSAGE_MAX];

	ck_assert_int_eq(gw_digest_state(svc, DIGEST_READY, status, message), GW_DIGEST_READY);
	ck_assert_int_eq(gw_digest_state(svc, DIGEST_FAIL, status, message), GW_DIGEST_FAILED);
	ck_assert_str_eq(message, "layer 1: digest mismatch");
	ck_assert_int_eq(gw_digest_state(svc, DIGEST_BUSY, status, message), GW_DIGEST_BUSY);
	ck_assert_str_eq(status, "PULLING");
	ck_assert_int_eq(gw_digest_state(svc, DIGEST_NONE, status, message), GW_DIGEST_UNKNOWN);
	ck_assert_ptr_nonnull(strstr(message, "has no pull of " DIGEST_NONE));
}
END_TEST

START_TEST(test_ready_job_is_released)
{
	struct gw_waiting *w;

	fake_job(7, "ticket=9 image=docker:r/ready:1@" DIGEST_READY " image_wait: waiting", false);
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.updates, 1);
	ck_assert_uint_eq(fake.last_job, 7);
	ck_assert_str_eq(fake.last_comment, "ticket=9 image=docker:r/ready:1@" DIGEST_READY);
	ck_assert_int_eq(fake.last_hold, GW_SLURM_RELEASE);
	/* released once: the job is no longer a waiting one */
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.updates, 1);
	ck_assert_uint_eq(svc->metrics.n_waiting_released, 1);
	ck_assert_uint_eq(svc->metrics.n_waiting_cancelled, 0);
	ck_assert_uint_eq(svc->metrics.waiting_jobs, 0);
	gw_waiting_stop(w);
}
END_TEST

START_TEST(test_ready_job_held_by_user_stays_held)
{
	struct gw_waiting *w;

	fake_job(8, "image=docker:r/ready:1@" DIGEST_READY " image_wait(held): waiting", false);
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_str_eq(fake.last_comment, "image=docker:r/ready:1@" DIGEST_READY);
	ck_assert_int_eq(fake.last_hold, GW_SLURM_HOLD_USER);
	gw_waiting_stop(w);
}
END_TEST

START_TEST(test_failed_pull_cancels_with_message)
{
	struct gw_waiting *w;

	fake_job(9, "image=docker:r/fail:1@" DIGEST_FAIL " image_wait: waiting", false);
	fake_job(10, "image=docker:r/none:1@" DIGEST_NONE " image_wait: waiting", false);
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.cancels, 2);
	ck_assert_uint_eq(fake.cancelled[0], 9);
	ck_assert_uint_eq(fake.cancelled[1], 10);
	ck_assert_uint_eq(svc->metrics.n_waiting_cancelled, 2);
	ck_assert_uint_eq(svc->metrics.n_waiting_released, 0);
	ck_assert_str_eq(fake.last_comment, "image=docker:r/none:1@" DIGEST_NONE " image_failed: the image "
			 "gateway has no pull of " DIGEST_NONE " (its state was lost, or the tag was pulled "
			 "again to another digest): submit the job again");
	ck_assert_int_eq(fake.last_hold, GW_SLURM_HOLD_KEEP);
	gw_waiting_stop(w);
}
END_TEST

START_TEST(test_cancel_retried_after_failure)
{
	struct gw_waiting *w;

	/* the comment was written, the cancel failed (slurmctld down): the
	 * next scan finds the failure marker and cancels */
	fake_job(11, "image=docker:r/fail:1@" DIGEST_FAIL " image_failed: layer 1: digest mismatch", false);
	fake.cancel_errno = EIO;
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.cancels, 0);
	ck_assert_uint_eq(fake.updates, 0);
	fake.cancel_errno = 0;
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.cancels, 1);
	ck_assert_uint_eq(fake.cancelled[0], 11);
	gw_waiting_stop(w);
}
END_TEST

START_TEST(test_busy_job_gets_status_and_admin_hold)
{
	struct gw_waiting *w;

	fake_job(12, "image=docker:r/busy:1@" DIGEST_BUSY " image_wait: waiting for the image gateway: PENDING",
		 true);
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.updates, 1);
	ck_assert_str_eq(fake.last_comment, "image=docker:r/busy:1@" DIGEST_BUSY
			 " image_wait: waiting for the image gateway: PULLING");
	ck_assert_int_eq(fake.last_hold, GW_SLURM_HOLD_ADMIN);
	ck_assert_uint_eq(svc->metrics.waiting_jobs, 1);
	/* nothing changed: nothing sent */
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.updates, 1);
	/* the pull is over: released */
	publish(DIGEST_BUSY);
	ck_assert_int_eq(gw_store_update_digest(svc->store, DIGEST_BUSY, GW_STATUS_READY, "", 4, 4, NULL), 1);
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.updates, 2);
	ck_assert_int_eq(fake.last_hold, GW_SLURM_RELEASE);
	ck_assert_str_eq(fake.last_comment, "image=docker:r/busy:1@" DIGEST_BUSY);
	gw_waiting_stop(w);
}
END_TEST

START_TEST(test_slurm_errors_are_retried_gone_jobs_dropped)
{
	struct gw_waiting *w;

	fake_job(13, "image=docker:r/ready:1@" DIGEST_READY " image_wait: waiting", false);
	fake.update_errno = EIO;
	w = releaser();
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.updates, 1);
	/* slurmctld down at the next scan too: the jobs known are kept */
	fake.list_errno = EIO;
	gw_waiting_round(w, true);
	ck_assert_uint_eq(fake.updates, 2);
	fake.update_errno = ENOENT;   /* cancelled meanwhile */
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.updates, 3);
	gw_waiting_round(w, false);
	ck_assert_uint_eq(fake.updates, 3);
	gw_waiting_stop(w);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("gw_waiting");
	TCase *tc = tcase_create("releaser");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_digest_states);
	tcase_add_test(tc, test_ready_job_is_released);
	tcase_add_test(tc, test_ready_job_held_by_user_stays_held);
	tcase_add_test(tc, test_failed_pull_cancels_with_message);
	tcase_add_test(tc, test_cancel_retried_after_failure);
	tcase_add_test(tc, test_busy_job_gets_status_and_admin_hold);
	tcase_add_test(tc, test_slurm_errors_are_retried_gone_jobs_dropped);
	suite_add_tcase(s, tc);
	return unit_run(s);
}
