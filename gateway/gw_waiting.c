/*
 * gw_waiting.c - see gw_waiting.h.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "gw_service_internal.h"
#include "gw_waiting.h"
#include "job_wire.h"

/* After a pull arrives, Slurm's job list is read every second this long:
 * job_submit's pull comes before slurmctld has made the job. */
#define GW_WAIT_KICK_MS 30000
#define GW_WAIT_SCAN_GAP_MS 1000

struct gw_waiting {
	struct gw_service *svc;
	struct gw_slurm_ops ops;
	struct gw_waiting_opts opts;
	struct gw_slurm_job *jobs;      /* the waiting jobs known (thread only) */
	size_t njobs;
	uint64_t last_scan_ms, kick_until_ms, seen_pulls;
	bool scanned_once;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;            /* CLOCK_MONOTONIC */
	bool stop, kicked, manual;
};

static const struct gw_caller admin_caller = { .admin = true };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void describe_busy(enum gw_status status, const struct gw_progress *p, char *out)
{
	unsigned percent = p->bytes_total ? (unsigned)(p->bytes_done * 10 / p->bytes_total) * 10 : 0;

	if (p->phase[0] && p->layers_total)
		snprintf(out, GW_MESSAGE_MAX, "%s (%s, %u/%u layers, %u%%)", gw_status_name(status),
			 p->phase, p->layers_done, p->layers_total, percent);
	else
		snprintf(out, GW_MESSAGE_MAX, "%s", gw_status_name(status));
}

enum gw_digest_state gw_digest_state(struct gw_service *svc, const char *digest, char *status,
				     char *message)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_store_row row;
	struct gw_job *job;

	status[0] = message[0] = '\0';
	pthread_mutex_lock(&svc->lock);
	job = gw_job_find_digest(svc, digest);
	if (job)
		describe_busy(job->status, &job->progress, status);
	pthread_mutex_unlock(&svc->lock);
	if (job)
		return GW_DIGEST_BUSY;
	if (gw_store_digest_ready(svc->store, digest, &err) == 1 && gw_published(svc, digest))
		return GW_DIGEST_READY;
	if (gw_store_find_digest(svc->store, digest, &admin_caller, &row, &err) < 0) {
		if (err.code != ENOENT) {   /* the database: try again later */
			snprintf(status, GW_MESSAGE_MAX, "%s", "PENDING");
			return GW_DIGEST_BUSY;
		}
		snprintf(message, GW_MESSAGE_MAX, "the image gateway has no pull of %s (its state was "
			 "lost, or the tag was pulled again to another digest): submit the job again", digest);
		return GW_DIGEST_UNKNOWN;
	}
	switch (row.rec.status) {
	case GW_STATUS_FAILURE:
		snprintf(message, GW_MESSAGE_MAX, "%s", row.rec.message[0] ? row.rec.message : "the pull failed");
		return GW_DIGEST_FAILED;
	case GW_STATUS_EXPIRED:
		snprintf(message, GW_MESSAGE_MAX, "the image %s expired before the job could start", digest);
		return GW_DIGEST_FAILED;
	case GW_STATUS_READY:
		snprintf(message, GW_MESSAGE_MAX, "the files of %s are missing from the image directory", digest);
		return GW_DIGEST_FAILED;
	default:   /* between a job's end and its record's update */
		snprintf(status, GW_MESSAGE_MAX, "%s", gw_status_name(row.rec.status));
		return GW_DIGEST_BUSY;
	}
}

/* ------------------------------------------------------------ one job */
static void drop_job(struct gw_waiting *w, size_t i)
{
	free(w->jobs[i].admin_comment);
	w->jobs[i] = w->jobs[--w->njobs];
}

/* Update job's AdminComment to kind/text and its hold; false when the job
 * is to be dropped (gone, or over). */
static bool set_job(struct gw_waiting *w, struct gw_slurm_job *job, enum berth_wait_kind kind,
		    const char *text, enum gw_slurm_hold hold, bool *failed)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char comment[BERTH_COMMENT_MAX];

	*failed = false;
	if (berth_comment_wait_set(job->admin_comment, kind, text, comment, sizeof(comment), &err) < 0) {
		berth_err("waiting jobs: job %u: %s", job->job_id, err.msg);
		return false;
	}
	if (!strcmp(comment, job->admin_comment) && hold == GW_SLURM_HOLD_KEEP)
		return true;
	if (w->ops.update(w->ops.arg, job->job_id, comment, hold, &err) < 0) {
		if (err.code == ENOENT)
			return false;
		berth_err("waiting jobs: %s (retried)", err.msg);
		*failed = true;
		return true;
	}
	free(job->admin_comment);
	job->admin_comment = strdup(comment);
	if (hold != GW_SLURM_HOLD_KEEP) {
		job->held = hold != GW_SLURM_RELEASE;
		job->user_hold = hold == GW_SLURM_HOLD_USER;
	}
	return job->admin_comment != NULL;
}

/* Cancel a job whose pull failed (its AdminComment says why already). */
static bool cancel_job(struct gw_waiting *w, struct gw_slurm_job *job)
{
	struct berth_error err = BERTH_ERROR_INIT;

	if (w->ops.cancel(w->ops.arg, job->job_id, &err) < 0 && err.code != ENOENT) {
		berth_err("waiting jobs: %s (retried)", err.msg);
		return true;
	}
	if (!err.code)   /* ENOENT: gone by itself */
		GW_COUNT(w->svc, n_waiting_cancelled);
	berth_info("waiting jobs: job %u cancelled: its image failed", job->job_id);
	return false;
}

/* Act on one waiting job; false when it no longer waits (drop it). */
static bool handle_job(struct gw_waiting *w, struct gw_slurm_job *job)
{
	char digest[BERTH_DIGEST_LEN + 1], status[GW_MESSAGE_MAX], message[GW_MESSAGE_MAX];
	char text[GW_MESSAGE_MAX + 64];
	enum berth_wait_kind kind = berth_comment_wait(job->admin_comment, NULL, NULL);
	enum gw_digest_state state;
	bool failed;

	if (kind == BERTH_WAIT_FAILED)
		return cancel_job(w, job);
	if (kind == BERTH_WAIT_NONE)
		return false;
	if (!berth_comment_pinned_digest(job->admin_comment, digest)) {
		snprintf(message, sizeof(message), "no image=<request>@<digest> record before the wait marker");
		state = GW_DIGEST_FAILED;
	} else {
		state = gw_digest_state(w->svc, digest, status, message);
	}
	switch (state) {
	case GW_DIGEST_READY:
		if (!set_job(w, job, BERTH_WAIT_NONE, NULL,
			     kind == BERTH_WAIT_HOLD ? GW_SLURM_HOLD_USER : GW_SLURM_RELEASE, &failed))
			return false;
		if (failed)
			return true;
		GW_COUNT(w->svc, n_waiting_released);
		berth_info("waiting jobs: job %u: image %s is READY: %s", job->job_id, digest,
			   kind == BERTH_WAIT_HOLD ? "held by the user again" : "released");
		return false;
	case GW_DIGEST_BUSY:
		snprintf(text, sizeof(text), "waiting for the image gateway: %s", status);
		/* a hold the user could release early becomes an admin hold */
		return set_job(w, job, kind, text, !job->held || job->user_hold ? GW_SLURM_HOLD_ADMIN :
			       GW_SLURM_HOLD_KEEP, &failed);
	default:
		berth_info("waiting jobs: job %u: image %s failed: %s", job->job_id, digest, message);
		if (!set_job(w, job, BERTH_WAIT_FAILED, message, GW_SLURM_HOLD_KEEP, &failed))
			return false;
		return failed ? true : cancel_job(w, job);
	}
}

/* ------------------------------------------------------------ rounds */
static void scan(struct gw_waiting *w)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_slurm_job *jobs;
	size_t count;

	if (w->ops.list_waiting(w->ops.arg, &jobs, &count, &err) < 0) {
		berth_err("waiting jobs: %s (retried)", err.msg);
		return;   /* keep what we knew */
	}
	if (count && (!w->scanned_once || count != w->njobs))
		berth_verbose("waiting jobs: %zu job(s) wait for an image", count);
	gw_slurm_jobs_free(w->jobs, w->njobs);
	w->jobs = jobs;
	w->njobs = count;
	w->scanned_once = true;
}

void gw_waiting_round(struct gw_waiting *w, bool do_scan)
{
	if (do_scan)
		scan(w);
	for (size_t i = 0; i < w->njobs;) {
		if (handle_job(w, &w->jobs[i]))
			i++;
		else
			drop_job(w, i);
	}
	GW_METRIC_SET(&w->svc->metrics, waiting_jobs, w->njobs);
}

/* Scan now?  At start, after pulls (a job may be on its way), while jobs
 * wait (cheap: "no change" answers), and every rescan_ms. */
static bool scan_due(struct gw_waiting *w, uint64_t now)
{
	uint64_t pulls = __atomic_load_n(&w->svc->metrics.n_pulls, __ATOMIC_RELAXED);

	if (pulls != w->seen_pulls) {
		w->seen_pulls = pulls;
		w->kick_until_ms = now + GW_WAIT_KICK_MS;
	}
	if (!w->scanned_once || now - w->last_scan_ms >= w->opts.rescan_ms)
		return true;
	return (now < w->kick_until_ms || w->njobs) && now - w->last_scan_ms >= GW_WAIT_SCAN_GAP_MS;
}

static void *waiting_main(void *arg)
{
	struct gw_waiting *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		uint64_t now;
		bool do_scan;
		struct timespec until;

		pthread_mutex_unlock(&w->lock);
		now = now_ms();
		do_scan = scan_due(w, now);
		if (do_scan)
			w->last_scan_ms = now;
		gw_waiting_round(w, do_scan);
		pthread_mutex_lock(&w->lock);
		if (w->stop)
			break;
		if (!w->kicked) {
			clock_gettime(CLOCK_MONOTONIC, &until);
			until.tv_sec += (time_t)(w->opts.poll_ms / 1000);
			until.tv_nsec += (long)(w->opts.poll_ms % 1000) * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&w->cond, &w->lock, &until);
		}
		w->kicked = false;
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

struct gw_waiting *gw_waiting_start(struct gw_service *svc, const struct gw_slurm_ops *ops,
				    const struct gw_waiting_opts *opts, struct berth_error *err)
{
	struct gw_waiting *w = calloc(1, sizeof(*w));
	pthread_condattr_t attr;
	int rc;

	if (!w) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	w->svc = svc;
	w->ops = *ops;
	w->opts.poll_ms = opts && opts->poll_ms ? opts->poll_ms : 500;
	w->opts.rescan_ms = opts && opts->rescan_ms ? opts->rescan_ms : 30000;
	w->seen_pulls = __atomic_load_n(&svc->metrics.n_pulls, __ATOMIC_RELAXED);
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	w->manual = opts && opts->manual;
	rc = w->manual ? 0 : pthread_create(&w->thread, NULL, waiting_main, w);
	if (rc) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		berth_error_errno(err, rc, "waiting jobs: cannot start the thread");
		return NULL;
	}
	return w;
}

struct gw_waiting *gw_waiting_start_configured(const struct gw_config *cfg, struct gw_service *svc,
					       struct berth_error *err)
{
	struct gw_waiting_opts opts = { cfg->waiting_poll_ms, 0, false };
	struct gw_slurm_ops ops;
	struct gw_waiting *w;

	if (!cfg->release_waiting_jobs)
		return NULL;
	/* libslurm ends the process on a slurm.conf it cannot read: not here */
	if (*cfg->slurm_conf && access(cfg->slurm_conf, R_OK) < 0) {
		berth_error_errno(err, errno, "slurm_conf: \"%s\"", cfg->slurm_conf);
		return NULL;
	}
	if (gw_slurm_real_ops(cfg->slurm_conf, &ops, err) < 0)
		return NULL;
	w = gw_waiting_start(svc, &ops, &opts, err);
	if (w)
		berth_info("waiting jobs: released when their image is READY (poll %llu ms)",
			   (unsigned long long)w->opts.poll_ms);
	return w;
}

void gw_waiting_kick(struct gw_waiting *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->kicked = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void gw_waiting_stop(struct gw_waiting *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->stop = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (!w->manual)
		pthread_join(w->thread, NULL);
	gw_slurm_jobs_free(w->jobs, w->njobs);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}
