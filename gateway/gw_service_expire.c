/*
 * gw_service_expire.c - gw_expire() and gw_autoexpire(): records become
 * EXPIRED; <digest>.sqfs/.json are removed once no READY record uses the
 * digest and no job is producing it.  Runs under svc->lock, so a worker
 * cannot publish a digest between the check and the removal.  The daemon
 * runs autoexpire by itself every autoexpire_interval (a timer thread).
 */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "gw_service_internal.h"

struct expired {
	char **refs;
	size_t n;
};

static int add_ref(struct expired *x, const char *ref, struct berth_error *err)
{
	char **grown = realloc(x->refs, (x->n + 1) * sizeof(*grown));

	if (!grown)
		return berth_error_set(err, ENOMEM, "out of memory");
	x->refs = grown;
	x->refs[x->n] = strdup(ref);
	if (!x->refs[x->n])
		return berth_error_set(err, ENOMEM, "out of memory");
	x->n++;
	return 0;
}

static void free_refs(struct expired *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->refs[i]);
	free(x->refs);
	x->refs = NULL;
	x->n = 0;
}

/* Remove the files of digest if nothing needs them (svc->lock held). */
static void unpublish_if_unused(struct gw_service *svc, const char *digest)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[4096];

	if (!berth_digest_valid(digest) || gw_job_find_digest(svc, digest) ||
	    gw_store_digest_ready(svc->store, digest, &err) != 0)
		return;
	snprintf(path, sizeof(path), "%s/%s.sqfs", svc->cfg->image_dir, digest);
	if (unlink(path) == 0)
		berth_info("gateway: removed %s", path);
	snprintf(path, sizeof(path), "%s/%s.json", svc->cfg->image_dir, digest);
	unlink(path);
	snprintf(path, sizeof(path), "%s/%s.access", svc->cfg->image_dir, digest);
	unlink(path);
}

/* Published files no READY record uses any more (a tag that moved, an
 * import that replaced its ref) go too (svc->lock held). */
static void remove_unreferenced(struct gw_service *svc)
{
	DIR *d = opendir(svc->cfg->image_dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char digest[BERTH_DIGEST_LEN + 1];
		size_t len = strlen(e->d_name);

		if (len != BERTH_DIGEST_LEN + 5 || (strcmp(e->d_name + BERTH_DIGEST_LEN, ".sqfs") &&
						     strcmp(e->d_name + BERTH_DIGEST_LEN, ".json")))
			continue;
		snprintf(digest, sizeof(digest), "%.*s", BERTH_DIGEST_LEN, e->d_name);
		unpublish_if_unused(svc, digest);
	}
	closedir(d);
}

typedef bool (*expire_match_fn)(const struct gw_store_row *row, const void *arg);

/* Expire every record matching (records in progress are counted in
 * *busy and left alone); collect their refs. */
static int expire_matching(struct gw_service *svc, expire_match_fn match, const void *arg,
			   struct expired *x, size_t *busy, struct berth_error *err)
{
	struct gw_store_row *rows;
	size_t n;
	int rc = 0;

	if (gw_store_all(svc->store, &rows, &n, err) < 0)
		return -1;
	pthread_mutex_lock(&svc->lock);
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (!match(&rows[i], arg))
			continue;
		if (gw_status_in_progress(rows[i].rec.status)) {
			(*busy)++;
			continue;
		}
		rc = gw_store_update_id(svc->store, rows[i].id, NULL, GW_STATUS_EXPIRED,
					"expired", 0, 0, err);
		if (rc == 0 && (x->n == 0 || strcmp(x->refs[x->n - 1], rows[i].rec.ref)))
			rc = add_ref(x, rows[i].rec.ref, err);
	}
	for (size_t i = 0; i < n; i++)
		if (match(&rows[i], arg) && !gw_status_in_progress(rows[i].rec.status))
			unpublish_if_unused(svc, rows[i].rec.digest);
	pthread_mutex_unlock(&svc->lock);
	/* a digest whose public record expired is private now */
	if (rc == 0)
		rc = gw_access_sync_all(svc, err);
	free(rows);
	return rc;
}

struct ref_match {
	const char *text;
	const char *digest;
};

static bool match_ref(const struct gw_store_row *row, const void *arg)
{
	const struct ref_match *m = arg;

	if (row->rec.status == GW_STATUS_EXPIRED)
		return false;
	if (m->digest)
		return !strcmp(row->rec.digest, m->digest);
	return !strcmp(row->rec.ref, m->text);
}

static bool match_old(const struct gw_store_row *row, const void *arg)
{
	int64_t cutoff = *(const int64_t *)arg;
	int64_t last = row->rec.last_lookup > row->rec.last_pull ? row->rec.last_lookup
								  : row->rec.last_pull;

	if (row->rec.status != GW_STATUS_READY && row->rec.status != GW_STATUS_FAILURE)
		return false;
	return last < cutoff;
}

static int finish(struct expired *x, int rc, char ***expired, size_t *count)
{
	if (rc < 0) {
		free_refs(x);
		return -1;
	}
	*expired = x->refs;
	*count = x->n;
	return 0;
}

int gw_expire(struct gw_service *svc, const struct gw_caller *caller,
	      const struct berth_image_ref *ref, char ***expired, size_t *count,
	      struct berth_error *err)
{
	char text[GW_REF_MAX];
	struct ref_match m = { text, NULL };
	struct expired x = { NULL, 0 };
	size_t busy = 0;
	int rc;

	if (!caller->admin)
		return berth_error_set(err, EPERM, "only gateway admins may expire images");
	if (ref->type == BERTH_IMAGE_LOCAL)
		return berth_error_set(err, EINVAL, "local images are not known to the gateway");
	if (berth_image_ref_format(ref, text, sizeof(text), err) < 0)
		return -1;
	if (ref->type == BERTH_IMAGE_ID)
		m.digest = ref->digest;
	rc = expire_matching(svc, match_ref, &m, &x, &busy, err);
	if (rc == 0 && x.n == 0 && busy)
		rc = berth_error_set(err, EBUSY, "image \"%s\" is being pulled; expire it when it is done",
				     text);
	else if (rc == 0 && x.n == 0)
		rc = berth_error_set(err, ENOENT, "image \"%s\" not found", text);
	return finish(&x, rc, expired, count);
}

int gw_autoexpire(struct gw_service *svc, const struct gw_caller *caller,
		  char ***expired, size_t *count, struct berth_error *err)
{
	int64_t cutoff = gw_now() - (int64_t)(svc->cfg->expire_after_ms / 1000);
	struct expired x = { NULL, 0 };
	size_t busy = 0;
	int rc;

	if (!caller->admin)
		return berth_error_set(err, EPERM, "only gateway admins may expire images");
	rc = expire_matching(svc, match_old, &cutoff, &x, &busy, err);
	if (rc == 0) {
		pthread_mutex_lock(&svc->lock);
		remove_unreferenced(svc);
		pthread_mutex_unlock(&svc->lock);
	}
	return finish(&x, rc, expired, count);
}

/* ------------------------------------------------------- autoexpire timer */
static const struct gw_caller timer_caller = { .admin = true };

static void run_autoexpire(struct gw_service *svc)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char **refs = NULL;
	size_t n = 0;

	if (gw_autoexpire(svc, &timer_caller, &refs, &n, &err) < 0) {
		berth_err("gateway: autoexpire: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		berth_info("gateway: autoexpire: %s expired", refs[i]);
		free(refs[i]);
	}
	free(refs);
}

static void *expire_main(void *arg)
{
	struct gw_service *svc = arg;
	uint64_t ms = svc->cfg->autoexpire_interval_ms;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&svc->lock);
	while (!svc->expire_stop) {
		next.tv_sec += (time_t)(ms / 1000);
		next.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (next.tv_nsec >= 1000000000L) {
			next.tv_sec++;
			next.tv_nsec -= 1000000000L;
		}
		while (!svc->expire_stop &&
		       pthread_cond_timedwait(&svc->expire_cond, &svc->lock, &next) != ETIMEDOUT)
			;
		if (svc->expire_stop)
			break;
		pthread_mutex_unlock(&svc->lock);   /* gw_autoexpire takes it itself */
		run_autoexpire(svc);
		pthread_mutex_lock(&svc->lock);
		clock_gettime(CLOCK_MONOTONIC, &next);   /* a long run does not pile up */
	}
	pthread_mutex_unlock(&svc->lock);
	return NULL;
}

int gw_autoexpire_timer_start(struct gw_service *svc, struct berth_error *err)
{
	sigset_t all, old;
	int e;

	if (!svc->cfg->autoexpire_interval_ms)
		return 0;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);   /* no signals in this thread */
	e = pthread_create(&svc->expire_thread, NULL, expire_main, svc);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e)
		return berth_error_errno(err, e, "start the autoexpire thread");
	svc->expire_running = true;
	return 0;
}

void gw_autoexpire_timer_stop(struct gw_service *svc)
{
	if (!svc->expire_running)
		return;
	pthread_mutex_lock(&svc->lock);
	svc->expire_stop = true;
	pthread_cond_broadcast(&svc->expire_cond);
	pthread_mutex_unlock(&svc->lock);
	pthread_join(svc->expire_thread, NULL);
	svc->expire_running = false;
}
