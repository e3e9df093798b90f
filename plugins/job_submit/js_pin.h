/*
 * js_pin.h - pin a job's --image to a digest at submission: the cache in
 * front of berth_image_resolve() (client/image_resolve.h, the same rules and
 * messages as srun, Lua and `berth lookup`), and the optional auto_pull.
 *
 * Bounded: everything, auto_pull's pull request included, finishes within
 * cfg->lookup_timeout_ms of the call (slurmctld holds its locks meanwhile).
 *
 * auto_pull (berth.conf): when the gateway does not know a docker reference
 * (ENOENT), a public pull is started on behalf of the user and the job is
 * still rejected, with "image IMAGE: pulling, resubmit when `berth images`
 * shows READY" (or accepted at once if the pull finds the image READY).
 *
 * auto_pull = wait: a docker reference that is not READY (unknown, in
 * progress, failed or expired) is pulled on behalf of the user; the pull
 * resolves the manifest at once, so the job is pinned to that digest and
 * admitted with out->waiting set (the caller holds it; berth-gatewayd
 * releases it when the digest is READY: doc/image-wait.md).  A pull that
 * cannot start (unknown tag, registry down, not allowed) rejects the job
 * with the pull's message.
 */
#ifndef BERTH_JS_PIN_H_
#define BERTH_JS_PIN_H_

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "image_ref.h"
#include "js_cache.h"

struct js_pin_ctx {
	const struct berth_config *cfg;
	struct js_cache *cache;    /* NULL: no cache */
	const char *munge_socket;  /* NULL: libmunge's default */
};

struct js_pinned {
	char digest[BERTH_DIGEST_LEN + 1];
	char canonical[BERTH_IMAGE_REF_MAX + 128];
	bool cached;               /* answered from the cache */
	bool from_image_dir;       /* digest reference found in image_dir */
	bool waiting;              /* auto_pull = wait: not READY yet, hold the job */
	char wait_status[160];     /* waiting: the pull's state, one line for people */
};

/* Milli- and microseconds of CLOCK_MONOTONIC. */
uint64_t js_now_ms(void);
uint64_t js_now_us(void);

/* ref: request_text as parsed by the caller (job_request); only docker and
 * id references are pinned (callers leave local: alone). */
int js_pin_image(const struct js_pin_ctx *ctx, const char *request_text,
		 const struct berth_image_ref *ref, uid_t uid, struct js_pinned *out,
		 struct berth_error *err);

#endif
