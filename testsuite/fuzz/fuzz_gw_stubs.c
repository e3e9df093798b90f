/*
 * fuzz_gw_stubs.c - the core (gw_service.h) as fuzz_gw_request links it:
 * gw_http_routes.c and gw_http_json.c refer to it, but the target calls
 * only the parsing around the handlers, never a handler.  Reaching one of
 * these is a harness bug.
 */
#include <stdlib.h>

#include "fuzz_util.h"
#include "gw_service.h"

#define NOT_HERE() fz_fail(__FILE__, __LINE__, "false", "%s called from a fuzz target", __func__)

const char *gw_status_name(enum gw_status status)
{
	(void)status;
	NOT_HERE();
}

int gw_lookup(struct gw_service *svc, const struct gw_caller *caller, const struct berth_image_ref *ref,
	      struct gw_image_record *out, struct berth_error *err)
{
	NOT_HERE();
}

int gw_pull(struct gw_service *svc, const struct gw_caller *caller, const struct berth_image_ref *ref,
	    const struct gw_pull_request *req, struct gw_image_record *out, bool *accepted,
	    struct berth_error *err)
{
	NOT_HERE();
}

int gw_status(struct gw_service *svc, const struct gw_caller *caller, const struct berth_image_ref *ref,
	      struct gw_image_record *out, struct berth_error *err)
{
	NOT_HERE();
}

int gw_list(struct gw_service *svc, const struct gw_caller *caller, bool in_progress_only,
	    struct gw_image_record **out, size_t *count, struct berth_error *err)
{
	NOT_HERE();
}

int gw_import(struct gw_service *svc, const struct gw_caller *caller, const struct berth_image_ref *ref,
	      const char *archive_path, struct gw_image_record *out, struct berth_error *err)
{
	NOT_HERE();
}

int gw_expire(struct gw_service *svc, const struct gw_caller *caller, const struct berth_image_ref *ref,
	      char ***expired, size_t *count, struct berth_error *err)
{
	NOT_HERE();
}

int gw_autoexpire(struct gw_service *svc, const struct gw_caller *caller, char ***expired, size_t *count,
		  struct berth_error *err)
{
	NOT_HERE();
}

void gw_get_counters(struct gw_service *svc, struct gw_counters *out)
{
	NOT_HERE();
}

const char *gw_service_tmp_dir(const struct gw_service *svc)
{
	NOT_HERE();
}
