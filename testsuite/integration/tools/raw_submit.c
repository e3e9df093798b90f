/*
 * raw_submit.c - test tool: submit a trivial batch job through libslurm with
 * the given spank_job_env entries (one per argument) and no SPANK plugin, the way a user could
 * bypass client-side checks.  Prints "submitted <jobid>" or the error and
 * Slurm's user message on stderr.  RAW_SUBMIT_CONTAINER=BUNDLE: the job
 * asks for Slurm's own OCI container too (--container).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

int main(int argc, char **argv)
{
	job_desc_msg_t desc;
	submit_response_msg_t *resp = NULL;
	char *env[] = { "PATH=/usr/bin:/bin", NULL };
	char *empty[] = { "", NULL };
	char **spank_env = argc > 1 ? argv + 1 : empty;

	slurm_init(NULL);
	slurm_init_job_desc_msg(&desc);
	desc.name = "raw_submit";
	desc.script = "#!/bin/sh\ntrue\n";
	desc.user_id = getuid();
	desc.group_id = getgid();
	desc.min_nodes = 1;
	desc.work_dir = "/tmp";
	desc.std_out = "/dev/null";
	desc.environment = env;
	desc.env_size = 1;
	desc.spank_job_env = spank_env;
	desc.spank_job_env_size = argc > 1 ? (uint32_t)(argc - 1) : 1;
	desc.container = getenv("RAW_SUBMIT_CONTAINER");
	if (slurm_submit_batch_job(&desc, &resp) != SLURM_SUCCESS) {
		fprintf(stderr, "submit failed: %s\n", slurm_strerror(errno));
		if (resp && resp->job_submit_user_msg)
			fprintf(stderr, "%s\n", resp->job_submit_user_msg);
		return 1;
	}
	if (resp->job_submit_user_msg)
		fprintf(stderr, "%s\n", resp->job_submit_user_msg);
#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 11, 0)
	printf("submitted %u\n", resp->step_id.job_id);
#else
	printf("submitted %u\n", resp->job_id);
#endif
	slurm_free_submit_response_response_msg(resp);
	slurm_fini();
	return 0;
}
