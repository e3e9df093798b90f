/*
 * fuzz_job_spec.c - the per-node job spec (node/job_spec.c).
 *
 * Input byte 0, bit 0 picks the mode:
 *   0  the read path: the rest of the input is written as the spec file of
 *      a job and read back with berth_job_spec_read (root reads it in
 *      slurmstepd; its values came from the user's options);
 *   1  job_prolog's path: the rest is NUL-separated job environment entries
 *      (the SPANK options, and BERTH_IMAGE_REQUEST); the request is built
 *      and checked (berth_job_request_from_env), turned into a spec (or an
 *      error=... spec, as spank_prolog.c does for a user's mistake), written
 *      with berth_job_spec_write and read back.
 * Checks: the prolog's spec is always written (a user's mistake must not
 * fail the prolog: Slurm would drain the node) and reads back field for
 * field; a spec that reads has version 1; errors are one line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fs_util.h"
#include "fuzz_util.h"
#include "job_request.h"
#include "job_spec.h"

static struct berth_config cfg;
static struct berth_job_paths paths;

static void setup(void)
{
	static const char gpu[] = "mounts = /opt/gpu:/opt/gpu:ro\nenv = CUDA_HOME=/opt/gpu\n";
	struct berth_error err = BERTH_ERROR_INIT;
	char dir[4096];

	if (cfg.state_dir)
		return;
	FZ_CHECK(berth_conf_defaults(berth_config_schema, &cfg, &err) == 0, "defaults: %s", err.msg);
	free(cfg.state_dir);
	free(cfg.image_dir);
	free(cfg.modules_dir);
	fz_path(dir, sizeof(dir), "state");
	cfg.state_dir = strdup(dir);
	fz_path(dir, sizeof(dir), "images");
	cfg.image_dir = strdup(dir);
	cfg.modules_dir = strdup(fz_tmpdir());
	FZ_CHECK(cfg.state_dir && cfg.image_dir && cfg.modules_dir, "out of memory");
	FZ_CHECK(mkdir(cfg.image_dir, 0700) == 0, "mkdir %s", cfg.image_dir);
	FZ_CHECK(berth_job_paths(&cfg, "node1", 42, &paths, &err) == 0, "paths: %s", err.msg);
	FZ_CHECK(berth_mkdir_parents(paths.dir, 0700, &err) == 0, "mkdir: %s", err.msg);
	fz_path(dir, sizeof(dir), "gpu.conf");
	fz_write_file(dir, gpu, strlen(gpu));
}

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void read_path(const uint8_t *data, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_spec spec;
	int rc;

	fz_write_file(paths.spec, data, size);
	rc = berth_job_spec_read(&paths, &spec, &err);
	if (rc < 0) {
		fz_check_error(&err, "berth_job_spec_read");
		return;
	}
	FZ_CHECK(rc == 1 && spec.version == 1, "read %d, version %u", rc, spec.version);
	berth_job_spec_free(&spec);
}

/* spank_prolog.c's spec_set_request */
static void set_request(struct berth_job_spec *spec, const char *text)
{
	struct berth_error ignored = BERTH_ERROR_INIT;
	struct berth_image_ref ref;
	char canonical[BERTH_IMAGE_REF_MAX + 128];

	if (!text || !spec->image || berth_image_ref_parse(text, cfg.default_type, &ref, &ignored) < 0 ||
	    berth_image_ref_format(&ref, canonical, sizeof(canonical), &ignored) < 0)
		return;
	spec->request = strdup(canonical);
}

/* Make <image_dir>/<digest>.sqfs exist for a pinned image: returns its
 * path in sqfs ("" if none). */
static void provide_image(const struct berth_job_request *req, char *sqfs, size_t size)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char json[4096];

	sqfs[0] = '\0';
	if (!req->image_text || !berth_digest_valid(req->image.digest))
		return;
	FZ_CHECK(berth_image_files(&cfg, req->image.digest, sqfs, size, json, sizeof(json), &err) == 0,
		 "%s", err.msg);
	fz_write_file(sqfs, "", 0);
}

static void prolog_path(const uint8_t *data, size_t size, unsigned uid)
{
	struct berth_job_request req = BERTH_JOB_REQUEST_INIT;
	struct berth_error err = BERTH_ERROR_INIT, user_err = BERTH_ERROR_INIT;
	struct berth_job_spec spec, back;
	char sqfs[4096] = "";
	struct fz_fields f;

	fz_split(data, size, '\0', &f);
	memset(&spec, 0, sizeof(spec));
	if (berth_job_request_from_env(&req, f.field, f.count, &cfg, &user_err) == 0)
		provide_image(&req, sqfs, sizeof(sqfs));
	if (user_err.code ||
	    berth_job_spec_from_request(&req, &cfg, uid, uid + 1, &spec, &user_err) < 0) {
		fz_check_error(&user_err, "request");
		memset(&spec, 0, sizeof(spec));
		spec.version = 1;
		spec.uid = uid;
		spec.gid = uid + 1;
		spec.error = strdup(user_err.msg);
	} else {
		set_request(&spec, berth_env_lookup(f.field, f.count, BERTH_ENV_IMAGE_REQUEST));
	}
	FZ_CHECK(berth_job_spec_write(&spec, &paths, &err) == 0,
		 "the prolog's spec was not written (the node would drain): %s", err.msg);
	FZ_CHECK(berth_job_spec_read(&paths, &back, &err) == 1, "read back: %s", err.msg);
	FZ_CHECK(back.version == spec.version && back.uid == spec.uid && back.gid == spec.gid &&
		 back.ccm == spec.ccm, "numbers changed");
	FZ_CHECK(same_string(back.image, spec.image) && same_string(back.digest, spec.digest) &&
		 same_string(back.request, spec.request) && same_string(back.volumes, spec.volumes) &&
		 same_string(back.modules, spec.modules) && same_string(back.error, spec.error),
		 "a value changed on the way through the file");
	berth_job_spec_free(&back);
	berth_job_spec_free(&spec);
	berth_job_request_free(&req);
	if (sqfs[0])
		remove(sqfs);
	fz_fields_free(&f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	setup();
	cfg.default_type = (enum berth_image_type)((data[0] >> 1) % 3);
	if (data[0] & 1)
		prolog_path(data + 1, size - 1, 1000u + (data[0] >> 3));
	else
		read_path(data + 1, size - 1);
	remove(paths.spec);
	return 0;
}
