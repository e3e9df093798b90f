/*
 * gw_waiting.h - the releaser of jobs that wait for an image (berth.conf
 * auto_pull = wait; the design and the alternatives weighed:
 * doc/image-wait.md).
 *
 * job_submit admits such a job held, pinned to the digest the gateway's
 * pull resolved, with a wait marker in its AdminComment (common/job_wire.h).
 * Slurm's job list is the only list of waiting jobs: nothing about them is
 * kept in the gateway, so a restart of the gateway or of slurmctld resumes
 * every wait.  One thread (never inside slurmctld) does, every poll_ms:
 *   - a scan of Slurm's pending jobs with a wait marker, at start, every
 *     rescan_ms, and while pulls arrive (job_submit's pulls: a new job may
 *     wait);
 *   - for each waiting job, its digest's state in this gateway (memory and
 *     SQLite, no network): READY -> the marker is removed and the job
 *     released (or put back in the user's own hold); failed, expired or
 *     unknown -> "image_failed: <message>" and the job is cancelled; in
 *     progress -> the status line is updated when it changes (10% steps),
 *     and a hold the user could release becomes an admin hold.
 * Slurm errors are retried at the next poll; a job that is gone is dropped.
 */
#ifndef BERTH_GW_WAITING_H_
#define BERTH_GW_WAITING_H_

#include <stdbool.h>
#include <stdint.h>

#include "berth_error.h"
#include "gw_config.h"
#include "gw_service.h"
#include "gw_slurm.h"

struct gw_waiting;

struct gw_waiting_opts {
	uint64_t poll_ms;     /* digest states checked this often (default 500) */
	uint64_t rescan_ms;   /* Slurm's job list re-read at least this often (default 30 s) */
	bool manual;          /* tests: no thread, the caller runs gw_waiting_round() */
};

/* A digest as the releaser sees it. */
enum gw_digest_state {
	GW_DIGEST_UNKNOWN = 0,    /* no pull, no record */
	GW_DIGEST_BUSY,           /* being pulled or converted */
	GW_DIGEST_READY,          /* a READY record and both files published */
	GW_DIGEST_FAILED,         /* FAILURE or EXPIRED: message says why */
};

/* status: "PULLING (download, 1/3 layers, 40%)" etc. for BUSY; message for
 * FAILED (both at least GW_MESSAGE_MAX bytes). */
enum gw_digest_state gw_digest_state(struct gw_service *svc, const char *digest, char *status,
				     char *message);

/* Start the thread (ops copied).  NULL with err on failure. */
struct gw_waiting *gw_waiting_start(struct gw_service *svc, const struct gw_slurm_ops *ops,
				    const struct gw_waiting_opts *opts, struct berth_error *err);
/* From berth-gateway.conf: NULL and no error when release_waiting_jobs is
 * off; NULL with err when it cannot start (no libslurm, no slurm.conf). */
struct gw_waiting *gw_waiting_start_configured(const struct gw_config *cfg, struct gw_service *svc,
					       struct berth_error *err);

/* Wake it now (tests; a finished pull). */
void gw_waiting_kick(struct gw_waiting *w);
void gw_waiting_stop(struct gw_waiting *w);

/* One round as the thread does it (exposed for tests): scan when asked,
 * then act on every known waiting job. */
void gw_waiting_round(struct gw_waiting *w, bool scan);

#endif
