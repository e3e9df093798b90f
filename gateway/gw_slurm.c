/*
 * gw_slurm.c - see gw_slurm.h.  The only gateway file that includes
 * slurm.h: it builds against every release (check_releases.sh compiles it).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_slurm.h"
#include "job_wire.h"

void gw_slurm_jobs_free(struct gw_slurm_job *jobs, size_t count)
{
	for (size_t i = 0; jobs && i < count; i++)
		free(jobs[i].admin_comment);
	free(jobs);
}

#ifdef HAVE_LIBSLURM
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

/* The last full answer: slurm_load_jobs() with its time says "no change"
 * (one small RPC) while no job changed. */
static job_info_msg_t *last_jobs;

static int slurm_failure(struct berth_error *err, const char *what, uint32_t job_id)
{
	int code = errno;

	if (code == ESLURM_INVALID_JOB_ID || code == ESLURM_JOB_FINISHED ||
	    code == ESLURM_ALREADY_DONE)
		return berth_error_set(err, ENOENT, "job %u: %s: %s", job_id, what, slurm_strerror(code));
	return berth_error_set(err, code == ESLURM_ACCESS_DENIED || code == ESLURM_USER_ID_MISSING ?
			       EPERM : EIO, "job %u: %s: %s", job_id, what, slurm_strerror(code));
}

static int list_waiting(void *arg, struct gw_slurm_job **jobs, size_t *count,
			struct berth_error *err)
{
	job_info_msg_t *msg = NULL;
	size_t n = 0;

	(void)arg;
	*jobs = NULL;
	*count = 0;
	if (slurm_load_jobs(last_jobs ? last_jobs->last_update : 0, &msg, SHOW_ALL) != SLURM_SUCCESS) {
		if (errno != SLURM_NO_CHANGE_IN_DATA || !last_jobs)
			return berth_error_set(err, EIO, "cannot list the jobs: %s", slurm_strerror(errno));
	} else {
		if (last_jobs)
			slurm_free_job_info_msg(last_jobs);
		last_jobs = msg;
	}
	*jobs = calloc(last_jobs->record_count ? last_jobs->record_count : 1, sizeof(**jobs));
	if (!*jobs)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (uint32_t i = 0; i < last_jobs->record_count; i++) {
		const slurm_job_info_t *job = &last_jobs->job_array[i];

		if ((job->job_state & JOB_STATE_BASE) != JOB_PENDING ||
		    berth_comment_wait(job->admin_comment, NULL, NULL) == BERTH_WAIT_NONE)
			continue;
		(*jobs)[n].job_id = job->job_id;
		(*jobs)[n].held = job->priority == 0;
		(*jobs)[n].user_hold = job->state_reason == WAIT_HELD_USER;
		(*jobs)[n].admin_comment = strdup(job->admin_comment);
		if (!(*jobs)[n].admin_comment) {
			gw_slurm_jobs_free(*jobs, n);
			*jobs = NULL;
			return berth_error_set(err, ENOMEM, "out of memory");
		}
		n++;
	}
	*count = n;
	return 0;
}

static int update(void *arg, uint32_t job_id, const char *admin_comment, enum gw_slurm_hold hold,
		  struct berth_error *err)
{
	job_array_resp_msg_t *resp = NULL;
	job_desc_msg_t desc;
	char id[16];

	(void)arg;
	/* job_id_str: the one way to name the job on every release (26.05
	 * has no job_desc_msg_t.job_id) */
	snprintf(id, sizeof(id), "%u", job_id);
	slurm_init_job_desc_msg(&desc);
	desc.job_id_str = id;
	desc.admin_comment = (char *)admin_comment;
	switch (hold) {
	case GW_SLURM_HOLD_ADMIN:
		desc.priority = 0;
		desc.alloc_sid = ALLOC_SID_ADMIN_HOLD;
		break;
	case GW_SLURM_HOLD_USER:
		desc.priority = 0;
		desc.alloc_sid = ALLOC_SID_USER_HOLD;
		break;
	case GW_SLURM_RELEASE:
		desc.priority = INFINITE;
		break;
	default:
		break;
	}
	if (slurm_update_job2(&desc, &resp) != SLURM_SUCCESS) {
		slurm_free_job_array_resp(resp);
		return slurm_failure(err, "update", job_id);
	}
	if (resp && resp->job_array_count && resp->error_code[0] != SLURM_SUCCESS) {
		errno = (int)resp->error_code[0];
		slurm_free_job_array_resp(resp);
		return slurm_failure(err, "update", job_id);
	}
	slurm_free_job_array_resp(resp);
	return 0;
}

static int cancel(void *arg, uint32_t job_id, struct berth_error *err)
{
	char id[16];

	(void)arg;
	snprintf(id, sizeof(id), "%u", job_id);
	if (slurm_kill_job2(id, SIGKILL, 0, NULL) != SLURM_SUCCESS)
		return slurm_failure(err, "cancel", job_id);
	return 0;
}

int gw_slurm_real_ops(const char *slurm_conf, struct gw_slurm_ops *ops, struct berth_error *err)
{
	(void)err;
	slurm_init(slurm_conf && *slurm_conf ? slurm_conf : NULL);
	ops->list_waiting = list_waiting;
	ops->update = update;
	ops->cancel = cancel;
	ops->arg = NULL;
	return 0;
}

void gw_slurm_real_fini(void)
{
	if (last_jobs)
		slurm_free_job_info_msg(last_jobs);
	last_jobs = NULL;
	slurm_fini();
}
#else
int gw_slurm_real_ops(const char *slurm_conf, struct gw_slurm_ops *ops, struct berth_error *err)
{
	(void)slurm_conf;
	memset(ops, 0, sizeof(*ops));
	return berth_error_set(err, ENOTSUP, "release_waiting_jobs: berth-gatewayd was built without "
			       "libslurm (configure found no -lslurm)");
}

void gw_slurm_real_fini(void)
{
}
#endif
