/*
 * prolog_job.c - the job's allocation as slurmd gives it to the prolog
 * (prolog_job.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "prolog_job.h"

#define SLURM_NO_VAL 0xfffffffeu   /* slurm.h's NO_VAL: "not set" */

/* A decimal uint32 (no sign, no spaces, nothing after it). */
static int read_u32(const char *name, const char *text, uint32_t *out, struct berth_error *err)
{
	char *end;
	unsigned long long v;

	if (text[0] < '0' || text[0] > '9')
		return berth_error_set(err, EINVAL, "%s=\"%.40s\": not a number", name, text);
	errno = 0;
	v = strtoull(text, &end, 10);
	if (errno || *end || v > UINT32_MAX)
		return berth_error_set(err, EINVAL, "%s=\"%.40s\": not a number", name, text);
	*out = (uint32_t)v;
	return 0;
}

int berth_prolog_job_read(const char *(*getenv_fn)(const char *name), struct berth_prolog_job *job,
			  struct berth_error *err)
{
	const char *share = getenv_fn("SLURM_JOB_OVERSUBSCRIBE");
	const char *whole = getenv_fn("SLURM_JOB_EXCLUSIVE");
	const char *nodes = getenv_fn("SLURM_JOB_NUM_NODES");
	const char *tasks = getenv_fn("SLURM_JOB_NTASKS");

	memset(job, 0, sizeof(*job));
	if (!share && !whole)
		return 0;
	job->present = true;
	/* 26.05 split the two: OVERSUBSCRIBE=NO is then any job that does not
	 * oversubscribe CPUs (a shared node's too), and EXCLUSIVE says whose
	 * the nodes are ("NO" there: nobody's alone) */
	if (whole)
		job->exclusive = strcmp(whole, "NODE") == 0;
	else
		job->exclusive = strcmp(share, "NO") == 0;
	job->node_list = getenv_fn("SLURM_JOB_NODELIST");
	if (job->node_list && !job->node_list[0])
		job->node_list = NULL;
	if (nodes && read_u32("SLURM_JOB_NUM_NODES", nodes, &job->num_nodes, err) < 0)
		return -1;
	if (tasks && read_u32("SLURM_JOB_NTASKS", tasks, &job->num_tasks, err) < 0)
		return -1;
	if (job->num_tasks == SLURM_NO_VAL)
		job->num_tasks = 0;
	return 0;
}

unsigned berth_prolog_job_tasks_on(const struct berth_prolog_job *job, size_t index)
{
	uint32_t n = job->num_nodes;
	uint32_t tasks = job->num_tasks ? job->num_tasks : n;

	if (!job->present || n == 0 || index >= n || tasks < n)
		return 0;
	return tasks / n + (index < tasks % n ? 1 : 0);
}
