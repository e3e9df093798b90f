/*
 * jc_container.c - see jc_container.h.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "jc_container.h"
#include "job_namespace.h"
#include "sshd_launch.h"
#include "job_tree.h"
#include "slurm_compat.h"


int jc_container_create(const struct berth_config *cfg, const struct berth_job_paths *paths,
			uint32_t job_id, uid_t uid, const char *const *host_paths, struct berth_error *err)
{
	struct berth_job_spec spec;
	struct berth_job_tree_input *tree;
	struct timespec t0;
	int found, rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((found = berth_job_spec_read(paths, &spec, err)) <= 0)
		return found;
	if (spec.error || (uid != (uid_t)-1 && spec.uid != uid)) {
		if (!spec.error)
			berth_err("job %u: spec is for uid %u, job runs as %u", job_id, spec.uid, (unsigned)uid);
		berth_job_spec_free(&spec);
		return 0;
	}
	if (!(tree = calloc(1, sizeof(*tree)))) {
		berth_job_spec_free(&spec);
		return berth_error_errno(err, ENOMEM, "container");
	}
	rc = berth_job_tree_prepare(tree, cfg, &spec, paths, host_paths, err);
	if (rc == 0)
		rc = berth_sshd_prepare(cfg, paths, &spec, job_id, tree, err);
	if (rc == 0)
		rc = berth_ns_create(paths, spec.uid, spec.gid, NULL, berth_job_tree_build, tree, err);
	berth_job_tree_release(tree);
	free(tree);
	if (rc == 0) {
		berth_info("job %u: container ready (%s) in %.1f ms", job_id,
			   spec.image ? spec.image : "ccm", berth_elapsed_ms(&t0));
	} else {
		/* Fail the job's steps with the reason, not the extern step
		 * (which would drain the node for a bad --volume). */
		struct berth_error write_err = BERTH_ERROR_INIT;

		berth_err("job %u: %s", job_id, err->msg);
		if (berth_job_error_write(paths, err->msg, &write_err) == 0)
			rc = 0;
		else
			berth_err("job %u: %s", job_id, write_err.msg);
	}
	berth_job_spec_free(&spec);
	return rc;
}

/* The extern step's socket, <spool>/<node>_<job>.4294967292, exists while
 * the job runs on this node. */
static bool job_running(const char *spool_dir, const char *node, const char *job)
{
	char sock[4096];
	struct stat st;

	snprintf(sock, sizeof(sock), "%s/%s_%s.4294967292", spool_dir, node, job);
	return stat(sock, &st) == 0;
}

void jc_restore(const struct berth_config *cfg, const char *spool_dir)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char node[BERTH_NODE_NAME_MAX], node_dir[2048];
	struct dirent *entry;
	DIR *dir;

	if (!spool_dir || berth_node_name(node, sizeof(node), &err) < 0)
		return;
	snprintf(node_dir, sizeof(node_dir), "%s/%s", cfg->state_dir, node);
	if (!(dir = opendir(node_dir)))
		return;
	while ((entry = readdir(dir))) {
		struct berth_job_paths paths;
		char *end;
		unsigned long job = strtoul(entry->d_name, &end, 10);

		if (*end || entry->d_name[0] == '\0' || entry->d_name[0] == '.' ||
		    job_running(spool_dir, node, entry->d_name))
			continue;
		if (berth_job_paths(cfg, node, (uint32_t)job, &paths, &err) == 0 &&
		    berth_job_teardown(&paths, &err) == 0)
			berth_info("restore: removed state of ended job %lu on %s", job, node);
		else
			berth_err("restore: job %lu: %s", job, err.msg);
	}
	closedir(dir);
}

int jc_check_slurm_flags(uint64_t prolog_flags, uint64_t conf_flags, struct berth_error *err)
{
	if (BERTH_PROLOG_FLAG_RUN_IN_JOB && (prolog_flags & BERTH_PROLOG_FLAG_RUN_IN_JOB))
		return berth_error_set(err, EINVAL,
				       "PrologFlags=RunInJob is not supported: the job's prolog would run after its container is built; remove RunInJob from slurm.conf");
	if (BERTH_CONF_FLAG_CONTAIN_SPANK && (conf_flags & BERTH_CONF_FLAG_CONTAIN_SPANK))
		return berth_error_set(err, EINVAL,
				       "SlurmdParameters=contain_spank is not supported: berth's SPANK hooks must run on the host; remove contain_spank from slurm.conf");
	return 0;
}
