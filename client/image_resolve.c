/*
 * image_resolve.c - see image_resolve.h.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gateway_client_int.h"
#include "image_access.h"
#include "image_resolve.h"

#define SHOWN_MAX 120

/* <image_dir>/<digest>.sqfs is a regular file, and the image is public (or
 * an admin's, without .access): a private image's files are unreadable here
 * (slurmctld's SlurmUser, a user's srun), so only the gateway, which knows
 * its ACL, may say who runs it. */
static bool digest_in_image_dir(const struct berth_config *cfg, const char *digest)
{
	char path[4096];
	struct stat st;
	int n;

	if (!cfg->image_dir || !*cfg->image_dir)
		return false;
	n = snprintf(path, sizeof(path), "%s/%s.sqfs", cfg->image_dir, digest);
	if (n < 0 || (size_t)n >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	       berth_image_access_shortcut_ok(cfg->image_dir, digest);
}

/* The gateway's answer, held against what the user may run. */
static int accept_record(const struct berth_gateway_image *img, const char *shown,
			 struct berth_resolved *out, struct berth_error *err)
{
	if (!strcmp(img->status, "READY")) {
		if (out->ref.digest[0] && strcmp(out->ref.digest, img->digest))
			return berth_error_set(err, EIO,
					       "image gateway answered digest %s for image \"%s\"",
					       img->digest, shown);
		memcpy(out->digest, img->digest, sizeof(out->digest));
		return 0;
	}
	if (berth_gateway_status_in_progress(img->status))
		return berth_error_set(err, EINPROGRESS,
				       "image \"%s\" is %s; run `berth pull %s` to follow it and resubmit when `berth images` shows it READY",
				       shown, img->status, shown);
	if (!strcmp(img->status, "FAILURE"))
		return berth_error_set(err, ENODATA,
				       "image \"%s\" failed to pull: %s; run `berth pull %s` to try again",
				       shown, img->message[0] ? img->message : "no reason given", shown);
	/* EXPIRED, the only status left */
	return berth_error_set(err, ENODATA,
			       "image \"%s\" has expired; run `berth pull %s` and resubmit when `berth images` shows it READY",
			       shown, shown);
}

static int ask_gateway(const struct berth_config *cfg, const struct berth_resolve_opts *opts,
		       const char *shown, struct berth_resolved *out, struct berth_error *err)
{
	struct berth_gateway_opts gw = {
		.url = cfg->gateway_url,
		.timeout_ms = cfg->lookup_timeout_ms > 0 && cfg->lookup_timeout_ms < 3600000
			      ? (long)cfg->lookup_timeout_ms : 0,
		.munge_socket = opts ? opts->munge_socket : NULL,
		.on_behalf = opts && opts->on_behalf,
		.uid = opts ? opts->uid : 0,
		/* the proxy socket is the trusted proxy's own way in */
		.socket = opts && opts->on_behalf ? cfg->gateway_socket : NULL,
	};
	struct berth_gateway_image *img = malloc(sizeof(*img));
	int rc;

	if (!img)
		return berth_error_set(err, ENOMEM, "out of memory");
	rc = berth_gateway_lookup(&gw, out->canonical, img, err);
	if (rc == 0)
		rc = accept_record(img, shown, out, err);
	else if (err && err->code == ENOENT && out->ref.type == BERTH_IMAGE_ID)
		berth_error_set(err, ENOENT,
				"image \"%s\" is neither in the image directory nor known to the image gateway",
				shown);
	else if (err && err->code == ENOENT)
		berth_error_set(err, ENOENT,
				"image \"%s\" is not known to the image gateway (or not visible to you); run `berth pull %s` and resubmit when `berth images` shows it READY",
				shown, shown);
	free(img);
	return rc;
}

int berth_image_resolve(const struct berth_config *cfg, const char *ref_text,
			const struct berth_resolve_opts *opts, struct berth_resolved *out,
			struct berth_error *err)
{
	struct berth_image_ref ref;

	memset(out, 0, sizeof(*out));
	if (!ref_text)
		return berth_error_set(err, EINVAL, "no image given");
	if (berth_image_ref_parse(ref_text, cfg->default_type, &ref, err) < 0)
		return -1;
	return berth_image_resolve_ref(cfg, &ref, ref_text, opts, out, err);
}

int berth_image_resolve_ref(const struct berth_config *cfg, const struct berth_image_ref *ref,
			    const char *ref_text, const struct berth_resolve_opts *opts,
			    struct berth_resolved *out, struct berth_error *err)
{
	char shown[SHOWN_MAX + 4];

	memset(out, 0, sizeof(*out));
	out->ref = *ref;
	if (berth_image_ref_format(&out->ref, out->canonical, sizeof(out->canonical), err) < 0)
		return -1;
	/* parsed: printable ASCII without blanks, safe to show */
	berth_gw_shown(shown, SHOWN_MAX, ref_text);
	if (out->ref.type == BERTH_IMAGE_LOCAL)
		return berth_error_set(err, EINVAL,
				       "image \"%s\": node-local images are not resolved", shown);
	if (out->ref.digest[0] && digest_in_image_dir(cfg, out->ref.digest)) {
		memcpy(out->digest, out->ref.digest, sizeof(out->digest));
		out->from_image_dir = true;
		return 0;
	}
	return ask_gateway(cfg, opts, shown, out, err);
}
