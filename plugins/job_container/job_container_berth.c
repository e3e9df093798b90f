/*
 * job_container_berth.c - slurmd/slurmstepd side of berth: the per-job
 * container on each node (PrologFlags=Contain).  This file is the Slurm ABI
 * shim: every container_p_* symbol Slurm 22.05 requires, thin, over logic in
 * common/ and this directory.  The namespace build itself arrives with the
 * node-runtime work (see NEWS); today every operation is a logged no-op, so a
 * job without --image behaves exactly as without the plugin.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "slurm_shim.h"

const char plugin_name[] = "berth job_container plugin";
const char plugin_type[] = "job_container/berth";
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

/* The symbols the job_container loader requires (22.05: all nine). */
int init(void);
int fini(void);
int container_p_restore(char *dir, bool recover);
void container_p_reconfig(void);
int container_p_create(uint32_t job_id, uid_t uid);
int container_p_join(uint32_t job_id, uid_t uid);
int container_p_join_external(uint32_t job_id);
int container_p_add_cont(uint32_t job_id, uint64_t cont_id);
int container_p_delete(uint32_t job_id);
int container_p_stepd_create(uint32_t job_id, uid_t uid);
int container_p_stepd_delete(uint32_t job_id);

static struct berth_config node_config;
static bool node_config_loaded;

int init(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_log_set_sink(berth_slurm_log_sink);
	if (berth_slurm_load_config(NULL, &node_config, &err) < 0) {
		berth_err("job_container/berth: %s", err.msg);
		return SLURM_ERROR;
	}
	node_config_loaded = true;
	berth_debug("job_container/berth loaded (berth %s, Slurm %s)", PACKAGE_VERSION, BERTH_SLURM_VERSION);
	berth_config_log(&node_config);
	return SLURM_SUCCESS;
}

int fini(void)
{
	if (node_config_loaded)
		berth_config_free(&node_config);
	node_config_loaded = false;
	return SLURM_SUCCESS;
}

int container_p_restore(char *dir, bool recover)
{
	berth_debug("job_container: restore dir=%s recover=%d", dir ? dir : "(null)", recover);
	return SLURM_SUCCESS;
}

void container_p_reconfig(void)
{
	berth_debug("job_container: reconfig");
}

int container_p_create(uint32_t job_id, uid_t uid)
{
	berth_debug("job_container: create job %u uid %u", job_id, (unsigned)uid);
	return SLURM_SUCCESS;
}

int container_p_join(uint32_t job_id, uid_t uid)
{
	(void)job_id;
	(void)uid;
	return SLURM_SUCCESS;
}

int container_p_join_external(uint32_t job_id)
{
	/* 0: no namespace to adopt into (pam_slurm_adopt keeps the host view). */
	(void)job_id;
	return 0;
}

int container_p_add_cont(uint32_t job_id, uint64_t cont_id)
{
	(void)job_id;
	(void)cont_id;
	return SLURM_SUCCESS;
}

int container_p_delete(uint32_t job_id)
{
	berth_debug("job_container: delete job %u", job_id);
	return SLURM_SUCCESS;
}

int container_p_stepd_create(uint32_t job_id, uid_t uid)
{
	const char *node = getenv("SLURMD_NODENAME");

	berth_debug("job_container: stepd_create job %u uid %u on %s", job_id, (unsigned)uid,
		    node ? node : "?");
	return SLURM_SUCCESS;
}

int container_p_stepd_delete(uint32_t job_id)
{
	berth_debug("job_container: stepd_delete job %u", job_id);
	return SLURM_SUCCESS;
}
