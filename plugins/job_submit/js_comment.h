/*
 * js_comment.h - the AdminComment record of a pinned image:
 * "image=<request>@<digest>".  AdminComment is the field job_submit writes
 * because users cannot set or change it (slurmctld refuses it from anyone
 * but an admin, before job_submit/job_modify run), so `scontrol show job`
 * and `sacct -o AdminComment` show what the job really ran.
 */
#ifndef BERTH_JS_COMMENT_H_
#define BERTH_JS_COMMENT_H_

#include <stddef.h>

#include "berth_error.h"

#define JS_COMMENT_KEY "image="
#define JS_COMMENT_MAX 4096

/* existing (may be NULL: an admin's own text is kept) with every
 * whitespace-separated "image=..." word replaced by one
 * "image=<request>@<digest>" at the end.  request is a validated image
 * reference (no whitespace or control characters). */
int js_comment_merge(const char *existing, const char *request, const char *digest, char *buf,
		     size_t size, struct berth_error *err);

#endif
