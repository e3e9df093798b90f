/*
 * fuzz_job_request.c - berth_job_request_from_env (common/job_request.c):
 * the job's options as job_submit (slurmctld) and the node's job_prolog
 * read them from the job's environment, which the user controls entirely.
 *
 * Input: byte 0 picks the default image type, then NUL-separated
 * environment entries ("_SLURM_SPANK_OPTION_berth_image=...").  The site's
 * modules_dir is a scratch directory with the modules "gpu" and "mpi" (so
 * --module reaches the module loader).
 * Checks: on success the cross-option rules hold (no --ccm with --image,
 * --volume and --module need one of them, at most max_volumes volumes);
 * the image text parses to the stored ref; the volumes format and parse
 * back; module names are [A-Za-z0-9][A-Za-z0-9_.-]*, at most 16.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "job_request.h"

static struct berth_config cfg;

static void setup(void)
{
	static const char gpu[] = "description = GPUs\nmounts = /opt/gpu:/opt/gpu:ro\nenv = CUDA_HOME=/opt/gpu\n";
	static const char mpi[] = "mounts = /opt/mpi:/opt/mpi;/etc/mpi:/etc/mpi:ro\n";
	struct berth_error err = BERTH_ERROR_INIT;
	char path[4096];

	if (cfg.modules_dir)
		return;
	FZ_CHECK(berth_conf_defaults(berth_config_schema, &cfg, &err) == 0, "defaults: %s", err.msg);
	free(cfg.modules_dir);
	cfg.modules_dir = strdup(fz_tmpdir());
	FZ_CHECK(cfg.modules_dir != NULL, "out of memory");
	fz_path(path, sizeof(path), "gpu.conf");
	fz_write_file(path, gpu, strlen(gpu));
	fz_path(path, sizeof(path), "mpi.conf");
	fz_write_file(path, mpi, strlen(mpi));
}

static void check_modules(const char *modules)
{
	size_t count = 0;

	for (const char *p = modules;; p++) {
		size_t len = strcspn(p, ",");

		FZ_CHECK(len >= 1 && len <= BERTH_MODULE_NAME_MAX, "module name of %zu bytes", len);
		for (size_t i = 0; i < len; i++) {
			char c = p[i];

			FZ_CHECK((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				 (i > 0 && strchr("_-.", c)), "module \"%.*s\"", (int)len, p);
		}
		count++;
		p += len;
		if (!*p)
			break;
	}
	FZ_CHECK(count <= BERTH_MODULES_MAX, "%zu modules", count);
}

static void check_request(const struct berth_job_request *req, enum berth_image_type type)
{
	struct berth_error err = BERTH_ERROR_INIT;

	FZ_CHECK(!(req->ccm && req->image_text), "--ccm with --image accepted");
	FZ_CHECK(!req->volumes.count || req->image_text || req->ccm, "--volume alone accepted");
	FZ_CHECK(!req->modules || req->image_text || req->ccm, "--module alone accepted");
	FZ_CHECK(req->volumes.count <= cfg.max_volumes, "%zu volumes", req->volumes.count);
	if (req->image_text) {
		struct berth_image_ref ref;

		FZ_CHECK(berth_image_ref_parse(req->image_text, type, &ref, &err) == 0, "image: %s", err.msg);
		FZ_CHECK(!memcmp(&ref, &req->image, sizeof(ref)), "image ref differs from its text");
	}
	if (req->volumes.count) {
		struct berth_volume_list back = BERTH_VOLUME_LIST_INIT;
		char *text = NULL;

		FZ_CHECK(berth_volume_list_format(&req->volumes, &text, &err) == 0, "format: %s", err.msg);
		FZ_CHECK(berth_volume_parse(text, &back, &err) == 0 && back.count == req->volumes.count,
			 "volumes \"%s\" do not parse back: %s", text, err.msg);
		berth_volume_list_free(&back);
		free(text);
	}
	if (req->modules)
		check_modules(req->modules);
	FZ_CHECK(berth_job_request_empty(req) ==
		 (!req->image_text && !req->volumes.count && !req->modules && !req->ccm), "empty");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	struct fz_fields f;

	if (size < 1)
		return 0;
	setup();
	cfg.default_type = (enum berth_image_type)(data[0] % 3);
	fz_split(data + 1, size - 1, '\0', &f);
	if (berth_job_request_from_env(&req, f.field, f.count, &cfg, &err) < 0)
		fz_check_error(&err, "berth_job_request_from_env");
	else
		check_request(&req, cfg.default_type);
	berth_job_request_free(&req);
	fz_fields_free(&f);
	return 0;
}
