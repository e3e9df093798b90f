/*
 * image_resolve.h - pin an --image reference to a digest: the one function
 * behind job_submit_berth.so (slurmctld), the SPANK plugin (srun inside an
 * allocation), the Lua module (berth.resolve) and `berth lookup`, so that
 * all of them accept and refuse exactly the same images with the same
 * messages.  Part of client/libberth_client.la (libcurl + munge); link
 * client/libberth_client.la before common/libberth_common.la.
 *
 * berth_image_resolve(cfg, ref_text, opts, out, err):
 *   1. ref_text is parsed with berth_image_ref_parse (cfg->default_type);
 *      a bad reference is EINVAL with the parser's message.
 *   2. local:/path has no digest: EINVAL ("... node-local images are not
 *      resolved"); callers that allow local images handle them before.
 *   3. A digest reference (id:sha256:<hex>, repo@sha256:<hex>) whose
 *      <cfg->image_dir>/<digest>.sqfs exists (a regular file) is accepted
 *      without asking the gateway (out->from_image_dir = true).
 *   4. Otherwise one POST /api/v1/lookup of the canonical reference to
 *      cfg->gateway_url, bounded by cfg->lookup_timeout_ms in total (connect
 *      included; 0 = 2000 ms), with a fresh munge credential; when
 *      opts->on_behalf the request carries x-berth-on-behalf-of: opts->uid
 *      (slurmctld is a trusted proxy of the gateway).  Only a READY record
 *      with a valid digest is accepted; for a digest reference the gateway's
 *      digest must be the one asked for.
 * Never blocks longer than the lookup timeout (plus a stat of the image dir),
 * thread-safe, no global state.
 *
 * Errors (one line, for the user: job_submit puts them in sbatch's output);
 * IMAGE below is the reference as the user wrote it:
 *   EINVAL       bad reference, local: reference
 *   ENOENT       image IMAGE is not known to the image gateway (or not visible
 *                to you); run `berth pull IMAGE` and resubmit when
 *                `berth images` shows it READY
 *   EINPROGRESS  image IMAGE is PULLING (INIT, PENDING, CONVERTING); run
 *                `berth pull IMAGE` to follow it and resubmit when
 *                `berth images` shows it READY
 *   ENODATA      image IMAGE failed to pull: <reason>; run `berth pull IMAGE`
 *                to try again  /  image IMAGE has expired; run `berth pull
 *                IMAGE` and resubmit when `berth images` shows it READY
 *   other codes  from the gateway client (gateway_client.h): ETIMEDOUT,
 *                ECONNREFUSED, EHOSTUNREACH, EACCES, EPERM, EIO, ...
 * */
#ifndef BERTH_IMAGE_RESOLVE_H_
#define BERTH_IMAGE_RESOLVE_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "image_ref.h"

struct berth_resolve_opts {
	uid_t uid;                 /* the user the image is resolved for */
	bool on_behalf;            /* caller is a trusted proxy: ask as uid */
	const char *munge_socket;  /* NULL: libmunge's default socket */
};

struct berth_resolved {
	struct berth_image_ref ref;                   /* ref_text, parsed */
	char canonical[BERTH_IMAGE_REF_MAX + 128];    /* berth_image_ref_format */
	char digest[BERTH_DIGEST_LEN + 1];            /* "sha256:<64 hex>" */
	bool from_image_dir;                          /* step 3: gateway not asked */
};

int berth_image_resolve(const struct berth_config *cfg, const char *ref_text,
			const struct berth_resolve_opts *opts, struct berth_resolved *out,
			struct berth_error *err);

/* Steps 2-4 for a reference the caller has parsed already (slurmctld
 * parses the job's --image once): ref is ref_text parsed; ref_text is only
 * shown in messages. */
int berth_image_resolve_ref(const struct berth_config *cfg, const struct berth_image_ref *ref,
			    const char *ref_text, const struct berth_resolve_opts *opts,
			    struct berth_resolved *out, struct berth_error *err);

#endif
