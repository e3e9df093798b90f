/*
 * job_container_berth.c - slurmd/slurmstepd side of berth: the per-job
 * container on each node (PrologFlags=Contain).  This file is the Slurm ABI
 * shim: every container_p_* symbol Slurm 22.05 requires, thin, over
 * jc_container.c and the node runtime (node/).  An --image or --ccm job
 * gets its mount namespace with the container tree (and, with enable_sshd,
 * its sshd); a job without berth options is left as Slurm runs it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "jc_container.h"
#include "job_namespace.h"
#include "sshd_launch.h"
#include "job_spec.h"
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

static int job_paths(uint32_t job_id, struct berth_job_paths *paths, struct berth_error *err)
{
	char node[BERTH_NODE_NAME_MAX];

	if (!node_config_loaded)
		return berth_error_set(err, EINVAL, "job_container/berth has no configuration");
	if (berth_node_name(node, sizeof(node), err) < 0)
		return -1;
	return berth_job_paths(&node_config, node, job_id, paths, err);
}

int container_p_restore(char *dir, bool recover)
{
	berth_debug("job_container: restore dir=%s recover=%d", dir ? dir : "(null)", recover);
	jc_restore(&node_config, dir);
	return SLURM_SUCCESS;
}

void container_p_reconfig(void)
{
	berth_debug("job_container: reconfig");
}

int container_p_create(uint32_t job_id, uid_t uid)
{
	/* Nothing here: slurmd is multi-threaded and the spec does not exist
	 * yet (job_prolog writes it); the extern step builds the namespace. */
	berth_debug("job_container: create job %u uid %u", job_id, (unsigned)uid);
	return SLURM_SUCCESS;
}

int container_p_join(uint32_t job_id, uid_t uid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	(void)uid;
	/* job_id 0: a step without a job (Slurm's own calls) */
	if (job_id == 0)
		return SLURM_SUCCESS;
	if (job_paths(job_id, &paths, &err) < 0 || berth_ns_join(&paths, &err) < 0) {
		berth_err("job %u: cannot enter the job's container: %s", job_id, err.msg);
		return SLURM_ERROR;
	}
	return SLURM_SUCCESS;
}

/* pam_slurm_adopt, through the extern step (REQUEST_GET_NS_FD): Slurm
 * sends the fd and never closes it, so it is opened once per job and kept
 * (like job_container/tmpfs) until stepd_delete. */
static int external_fd = -1;
static uint32_t external_job;

int container_p_join_external(uint32_t job_id)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	int fd;

	if (external_fd >= 0 && external_job == job_id)
		return external_fd;
	if (job_paths(job_id, &paths, &err) < 0)
		return -1;
	if ((fd = berth_ns_open(&paths)) <= 0)
		return fd;
	if (external_fd >= 0)
		close(external_fd);
	external_fd = fd;
	external_job = job_id;
	berth_debug("job %u: namespace fd %d for an adopted process", job_id, fd);
	return fd;
}

static void close_external(uint32_t job_id)
{
	if (external_fd >= 0 && external_job == job_id) {
		close(external_fd);
		external_fd = -1;
	}
}

int container_p_add_cont(uint32_t job_id, uint64_t cont_id)
{
	struct berth_error err = BERTH_ERROR_INIT, write_err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	(void)cont_id;
	/* Extern step: its cgroups exist now; the sshd prepared in
	 * stepd_create (same process) starts in them. */
	if (berth_sshd_start(job_id, &err) < 0) {
		berth_err("job %u: %s", job_id, err.msg);
		if (job_paths(job_id, &paths, &write_err) < 0 ||
		    berth_job_error_write(&paths, err.msg, &write_err) < 0)
			berth_err("job %u: %s", job_id, write_err.msg);
	}
	return SLURM_SUCCESS;
}

static int cleanup_job(uint32_t job_id, const char *who)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	if (job_paths(job_id, &paths, &err) == 0)
		berth_sshd_stop(&paths);   /* it would keep the namespace alive */
	if (job_paths(job_id, &paths, &err) < 0 || berth_ns_delete(&paths, &err) < 0) {
		berth_err("%s job %u: %s", who, job_id, err.msg);
		return SLURM_ERROR;
	}
	berth_debug("job_container: %s job %u: cleaned up", who, job_id);
	return SLURM_SUCCESS;
}

int container_p_delete(uint32_t job_id)
{
	/* Normally stepd_delete has cleaned up; this catches an extern step
	 * that died before it could. */
	return cleanup_job(job_id, "delete");
}

int container_p_stepd_create(uint32_t job_id, uid_t uid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	if (job_paths(job_id, &paths, &err) < 0 ||
	    jc_container_create(&node_config, &paths, job_id, uid, &err) < 0) {
		berth_err("job %u: cannot build the job's container: %s", job_id, err.msg);
		return SLURM_ERROR;
	}
	return SLURM_SUCCESS;
}

int container_p_stepd_delete(uint32_t job_id)
{
	close_external(job_id);
	return cleanup_job(job_id, "stepd_delete");
}
