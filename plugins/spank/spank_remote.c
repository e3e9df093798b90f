/*
 * spank_remote.c - slurmstepd (REMOTE context): every task of an --image job
 * enters the job's container in task_init_privileged (root, after Slurm has
 * joined the task into the job's mount namespace, before it becomes the
 * user).  The batch script stays on the host so it can call srun.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "berth_log.h"
#include "job_namespace.h"
#include "job_spec.h"
#include "spank_plugin.h"
#include "sshd_launch.h"

int berth_spank_read_job_spec(spank_t sp, struct berth_job_spec *spec, struct berth_job_paths *paths,
			 struct berth_error *err)
{
	char node[BERTH_NODE_NAME_MAX];
	uint32_t job_id;

	if (!berth_spank.config_loaded)
		return berth_error_set(err, EINVAL, "%s", berth_spank.config_error.msg);
	if (spank_get_item(sp, S_JOB_ID, &job_id) != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot get the job id");
	if (berth_node_name(node, sizeof(node), err) < 0 ||
	    berth_job_paths(&berth_spank.config, node, job_id, paths, err) < 0)
		return -1;
	return berth_job_spec_read(paths, spec, err);
}

int berth_spank_task_init_privileged(spank_t sp)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	struct berth_job_spec spec;
	char reason[BERTH_ERROR_MSG_MAX];
	uint32_t step_id;
	int found, rc = 0;

	if (spank_get_item(sp, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS)
		return 0;
	if ((found = berth_spank_read_job_spec(sp, &spec, &paths, &err)) < 0) {
		berth_err("%s", err.msg);
		return -1;
	}
	if (found && spec.error) {
		berth_err("%s", spec.error);
		rc = -1;
	} else if (found && berth_job_error_read(&paths, reason, sizeof(reason))) {
		berth_err("%s", reason);
		rc = -1;
	} else if (berth_spank.step.active || berth_spank.step.error[0]) {
		/* (active is cleared once entered) */
		/* srun --image/--volume: the step's own container */
		rc = berth_spank_step_task(sp);
	} else if (found && spec.ccm) {   /* the batch script too: CCM jobs run in the node's system */
		rc = berth_spank_enter_ccm(sp, &paths);
	} else if (found && step_id != SLURM_BATCH_SCRIPT && spec.image) {
		rc = berth_spank_enter_container(sp, &spec, &paths);
	}
	if (found)
		berth_job_spec_free(&spec);
	return rc;
}

static int job_paths_of(spank_t sp, uint32_t *job_id, struct berth_job_paths *paths,
			struct berth_error *err)
{
	char node[BERTH_NODE_NAME_MAX];

	if (!berth_spank.config_loaded)
		return berth_error_set(err, EINVAL, "%s", berth_spank.config_error.msg);
	if (spank_get_item(sp, S_JOB_ID, job_id) != ESPANK_SUCCESS)
		return berth_error_set(err, EINVAL, "cannot get the job id");
	if (berth_node_name(node, sizeof(node), err) < 0)
		return -1;
	return berth_job_paths(&berth_spank.config, node, *job_id, paths, err);
}

int berth_spank_extern_post_fork(spank_t sp)
{
	struct berth_error err = BERTH_ERROR_INIT, write_err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	uint32_t step_id, job_id = 0;

	if (!berth_spank.args.enable_sshd ||
	    spank_get_item(sp, S_JOB_STEPID, &step_id) != ESPANK_SUCCESS || step_id != SLURM_EXTERN_CONT)
		return 0;
	if (job_paths_of(sp, &job_id, &paths, &err) < 0) {
		berth_err("job %u: sshd: %s", job_id, err.msg);
		return 0;
	}
	/* a failed sshd fails the job's steps with the reason, never the
	 * extern step (which would drain the node) */
	if (berth_sshd_start(&paths, job_id, &err) < 0) {
		berth_err("job %u: %s", job_id, err.msg);
		if (berth_job_error_write(&paths, err.msg, &write_err) < 0)
			berth_err("job %u: %s", job_id, write_err.msg);
	}
	return 0;
}

int berth_spank_job_epilog(spank_t sp)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	uint32_t job_id = 0;

	/* Normally the extern step's stepd_delete has cleaned up already. */
	if (job_paths_of(sp, &job_id, &paths, &err) < 0 || berth_job_teardown(&paths, &err) < 0)
		berth_err("job_epilog: job %u: %s", job_id, err.msg);
	return 0;
}
