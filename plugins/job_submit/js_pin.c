/*
 * js_pin.c - see js_pin.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gateway_client.h"
#include "image_resolve.h"
#include "js_pin.h"

/* Below this much time left, auto_pull does not start a request. */
#define JS_PULL_MIN_MS 100

uint64_t js_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

uint64_t js_now_ms(void)
{
	return js_now_us() / 1000;
}

static uint64_t timeout_ms(const struct berth_config *cfg)
{
	return cfg->lookup_timeout_ms ? cfg->lookup_timeout_ms : 2000;
}

/* The pull request on behalf of uid, in what is left of lookup_timeout
 * since started_ms; -1 when too little is left for a pull. */
static int pull_opts(const struct js_pin_ctx *ctx, uid_t uid, uint64_t started_ms,
		     struct berth_gateway_opts *opts)
{
	uint64_t elapsed = js_now_ms() - started_ms, limit = timeout_ms(ctx->cfg);

	if (elapsed + JS_PULL_MIN_MS > limit)
		return -1;
	*opts = (struct berth_gateway_opts){ ctx->cfg->gateway_url, (long)(limit - elapsed),
					     ctx->munge_socket, true, uid, ctx->cfg->gateway_socket };
	return 0;
}

/* auto_pull after an ENOENT lookup: 0 with out->digest if the pull found
 * the image READY; -1 with the message to show otherwise (err keeps the
 * lookup's message when the pull itself fails). */
static int auto_pull(const struct js_pin_ctx *ctx, const char *request_text,
		     const char *canonical, uid_t uid, uint64_t started_ms, struct js_pinned *out,
		     struct berth_error *err)
{
	struct berth_gateway_opts opts;
	struct berth_gateway_image image;
	struct berth_error pull_err = BERTH_ERROR_INIT;
	bool accepted = false;

	if (pull_opts(ctx, uid, started_ms, &opts) < 0)
		return -1;
	if (berth_gateway_pull(&opts, canonical, NULL, NULL, NULL, &image, &accepted, &pull_err) < 0) {
		char lookup_msg[BERTH_ERROR_MSG_MAX];

		snprintf(lookup_msg, sizeof(lookup_msg), "%s", err->msg);
		return berth_error_set(err, err->code, "%s (auto_pull failed: %s)", lookup_msg,
				       pull_err.msg);
	}
	if (!accepted && strcmp(image.status, "READY") == 0 && berth_digest_valid(image.digest)) {
		snprintf(out->digest, sizeof(out->digest), "%s", image.digest);
		return 0;
	}
	return berth_error_set(err, EINPROGRESS,
			       "image %s: pulling, resubmit when `berth images` shows READY",
			       request_text);
}

/* The pull's state for the job's AdminComment and the user's message. */
static void describe_pull(const struct berth_gateway_image *image, char *buf, size_t size)
{
	if (image->phase[0] && image->bytes_total)
		snprintf(buf, size, "%s (%s, %u/%u layers, %llu/%llu MB)", image->status, image->phase,
			 image->layers_done, image->layers_total,
			 (unsigned long long)(image->bytes_done >> 20),
			 (unsigned long long)(image->bytes_total >> 20));
	else
		snprintf(buf, size, "%s", image->status);
}

/* auto_pull = wait after a lookup that found no READY image: start or
 * join the pull; pinned to its digest (READY or waiting) or -1 with the
 * pull's message. */
static int wait_pull(const struct js_pin_ctx *ctx, const char *request_text,
		     const char *canonical, uid_t uid, uint64_t started_ms, struct js_pinned *out,
		     struct berth_error *err)
{
	struct berth_gateway_opts opts;
	struct berth_gateway_image image;
	bool accepted = false;

	if (pull_opts(ctx, uid, started_ms, &opts) < 0)
		return -1;   /* err keeps the lookup's message */
	if (berth_gateway_pull(&opts, canonical, NULL, NULL, NULL, &image, &accepted, err) < 0)
		return berth_error_prefix(err, "image %s: cannot pull it", request_text);
	if (!berth_digest_valid(image.digest) || strcmp(image.status, "FAILURE") == 0 ||
	    strcmp(image.status, "EXPIRED") == 0)
		return berth_error_set(err, ENODATA, "image %s: the pull did not start: %s", request_text,
				       image.message[0] ? image.message : image.status);
	snprintf(out->digest, sizeof(out->digest), "%s", image.digest);
	if (!accepted && strcmp(image.status, "READY") == 0)
		return 0;
	out->waiting = true;
	describe_pull(&image, out->wait_status, sizeof(out->wait_status));
	return 0;
}

static bool wait_allowed(const struct js_pin_ctx *ctx, const struct berth_image_ref *ref, int code)
{
	return ctx->cfg->auto_pull == BERTH_AUTO_PULL_WAIT && ref->type == BERTH_IMAGE_DOCKER &&
	       (code == ENOENT || code == EINPROGRESS || code == ENODATA);
}

int js_pin_image(const struct js_pin_ctx *ctx, const char *request_text,
		 const struct berth_image_ref *ref, uid_t uid, struct js_pinned *out,
		 struct berth_error *err)
{
	struct berth_resolve_opts opts = { uid, true, ctx->munge_socket };
	struct berth_resolved resolved;
	uint64_t started = js_now_ms();
	bool by_digest = ref->digest[0] != '\0';

	memset(out, 0, sizeof(*out));
	if (berth_image_ref_format(ref, out->canonical, sizeof(out->canonical), err) < 0)
		return -1;
	if (ctx->cache && js_cache_get(ctx->cache, out->canonical, uid, started, out->digest)) {
		out->cached = true;
		return 0;
	}
	if (berth_image_resolve_ref(ctx->cfg, ref, request_text, &opts, &resolved, err) < 0) {
		if (wait_allowed(ctx, ref, err->code)) {
			if (wait_pull(ctx, request_text, out->canonical, uid, started, out, err) < 0)
				return -1;
			if (out->waiting)
				return 0;   /* not cached: only READY answers are */
		} else if (err->code != ENOENT || ctx->cfg->auto_pull != BERTH_AUTO_PULL_YES ||
			   ref->type != BERTH_IMAGE_DOCKER) {
			return -1;
		} else if (auto_pull(ctx, request_text, out->canonical, uid, started, out, err) < 0) {
			return -1;
		}
	} else {
		snprintf(out->digest, sizeof(out->digest), "%s", resolved.digest);
		out->from_image_dir = resolved.from_image_dir;
	}
	/* A file found in the image dir is the same for every user; a
	 * gateway answer is what this uid may see. */
	if (ctx->cache)
		js_cache_put(ctx->cache, out->canonical, out->from_image_dir ? JS_CACHE_ANY_UID : uid,
			     out->digest, by_digest, js_now_ms());
	return 0;
}
