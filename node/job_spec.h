/*
 * job_spec.h - the per-job, per-node hand-off file.
 *
 * The job_container plugin only learns (job_id, uid) from Slurm.  What the
 * job asked for reaches the node in the job's SPANK environment, which only
 * the SPANK job_prolog hook sees (Slurm hands the job_container plugin no
 * job environment; spank_job_env reaches only SPANK).  So job_prolog
 * (root, in slurmd's prolog child) re-validates the request and writes this
 * spec to <state_dir>/<node>/<job_id>/spec (directory root 0700, file written
 * atomically); job_container's stepd_create, the tasks and teardown read it.
 *
 * Format: "key=value" lines, parsed by the common config parser.
 */
#ifndef BERTH_JOB_SPEC_H_
#define BERTH_JOB_SPEC_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "job_request.h"

#define BERTH_NODE_NAME_MAX 128

struct berth_job_spec {
	unsigned version;
	unsigned uid;
	unsigned gid;
	char *image;       /* canonical reference ("id:sha256:..."); NULL: --ccm */
	char *digest;      /* "sha256:<hex>" */
	char *request;     /* canonical form of the image as the user asked for it
			      (job_submit keeps it in BERTH_IMAGE_REQUEST), or NULL */
	char *volumes;     /* canonical volume list or NULL */
	char *modules;     /* or NULL */
	bool ccm;
	char *error;       /* the request could not be honoured: every step fails with this */
};

/* Paths of one job on one node.  Every per-job path includes the node name:
 * several slurmd may share a host (and a state_dir). */
struct berth_job_paths {
	char dir[1024];     /* <state_dir>/<node>/<job_id> */
	char spec[1100];    /* dir/spec */
	char ns[1100];      /* dir/ns: bind mount of the job's mount namespace */
	char root[1100];    /* dir/root: the container tree (inside the namespace) */
	char tmp[1100];     /* dir/tmp: the job's private /tmp */
	char error[1100];   /* dir/error: why the container could not be built */
};

int berth_job_paths(const struct berth_config *cfg, const char *node, uint32_t job_id,
		    struct berth_job_paths *paths, struct berth_error *err);

/* The node name of this slurmd/slurmstepd: $SLURMD_NODENAME, else the -N
 * argument of this process, else the short host name. */
int berth_node_name(char *buf, size_t size, struct berth_error *err);

/* Build a spec from a validated request: the image must be pinned (id:,
 * or a docker reference with a digest) and <image_dir>/<digest>.sqfs must
 * exist. */
int berth_job_spec_from_request(const struct berth_job_request *req, const struct berth_config *cfg,
				uid_t uid, gid_t gid, struct berth_job_spec *spec,
				struct berth_error *err);

/* Write atomically (temp file, fsync, rename) with mode 0600; creates the
 * job directory (0700) and its parents. */
int berth_job_spec_write(const struct berth_job_spec *spec, const struct berth_job_paths *paths,
			 struct berth_error *err);

/* job_prolog's writer: every value of spec comes from the job, so a value
 * the file cannot carry (a newline, more than the size limit) must fail the
 * job, not the prolog (Slurm would drain the node).  Writes spec with its
 * error sanitised to one printable line; if its content cannot be written,
 * writes instead a spec with only uid, gid and error="the job's request
 * cannot be written to the node: <why>", so every step fails with that.
 * -1 only when the file cannot be written at all (the node's fault). */
int berth_job_spec_write_or_fail_job(const struct berth_job_spec *spec,
				     const struct berth_job_paths *paths, struct berth_error *err);

/* Read paths->spec.  Returns 1 and fills spec, 0 when there is no spec (not a
 * berth job), -1 on error. */
int berth_job_spec_read(const struct berth_job_paths *paths, struct berth_job_spec *spec,
			struct berth_error *err);

void berth_job_spec_free(struct berth_job_spec *spec);

/* The container of this job could not be built on this node: record why
 * (one line), so every task of the job fails with that reason instead of
 * Slurm draining the node. */
int berth_job_error_write(const struct berth_job_paths *paths, const char *message,
			  struct berth_error *err);

/* 1 and the reason in buf if an error was recorded, 0 if not. */
int berth_job_error_read(const struct berth_job_paths *paths, char *buf, size_t size);

/* Image files of a spec: <image_dir>/<digest>.sqfs and .json. */
int berth_image_files(const struct berth_config *cfg, const char *digest, char *sqfs, size_t sqfs_size,
		      char *json, size_t json_size, struct berth_error *err);

#endif
