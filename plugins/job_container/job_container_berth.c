/*
 * job_container_berth.c - slurmd/slurmstepd side of berth: the per-job
 * container on each node (PrologFlags=Contain).  This file is the Slurm ABI
 * shim: a version-neutral core over jc_container.c and the node runtime
 * (node/), then one ladder of thin wrappers with the entry points each
 * release's loader requires - job_container/berth up to 25.05,
 * namespace/berth (namespace_berth.so) from 25.11.
 *
 * An --image or --ccm job gets its mount namespace with the container tree
 * (and, with enable_sshd, its sshd, started from the extern step's SPANK
 * task_post_fork: from 24.05 Slurm no longer calls add_cont); a job
 * without berth options is left as Slurm runs it.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sched.h>
#include <sys/types.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include "jc_container.h"
#include "job_namespace.h"
#include "sshd_launch.h"
#include "job_spec.h"
#include "slurm_compat.h"
#include "slurm_shim.h"

const char plugin_name[] = "berth job_container plugin";
#if BERTH_SLURM_NAMESPACE_PLUGIN
const char plugin_type[] = "namespace/berth";
#else
const char plugin_type[] = "job_container/berth";
#endif
const uint32_t plugin_version = SLURM_VERSION_NUMBER;

int init(void);
int fini(void);

static struct berth_config node_config;
static bool node_config_loaded;

int init(void)
{
	struct berth_error err = BERTH_ERROR_INIT;

	berth_log_set_sink(berth_slurm_log_sink);
	if (jc_check_slurm_flags(slurm_conf.prolog_flags, slurm_conf.conf_flags, &err) < 0 ||
	    berth_slurm_load_config(NULL, &node_config, &err) < 0) {
		berth_err("%s: %s", plugin_type, err.msg);
		return SLURM_ERROR;
	}
	node_config_loaded = true;
	berth_debug("%s loaded (berth %s, Slurm %s)", plugin_type, PACKAGE_VERSION, BERTH_SLURM_VERSION);
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

/* ---------------------------------------------------------------- core
 * Version-neutral: every release's wrapper below calls these. */

static int job_paths(uint32_t job_id, struct berth_job_paths *paths, struct berth_error *err)
{
	char node[BERTH_NODE_NAME_MAX];

	if (!node_config_loaded)
		return berth_error_set(err, EINVAL, "%s has no configuration", plugin_type);
	if (berth_node_name(node, sizeof(node), err) < 0)
		return -1;
	return berth_job_paths(&node_config, node, job_id, paths, err);
}

static int core_restore(const char *dir, bool recover)
{
	berth_debug("%s: restore dir=%s recover=%d", plugin_type, dir ? dir : "(null)", recover);
	jc_restore(&node_config, dir);
	return SLURM_SUCCESS;
}

static int core_join(uint32_t job_id)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

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

static int core_join_external(uint32_t job_id)
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

static int cleanup_job(uint32_t job_id, const char *who)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;

	if (job_paths(job_id, &paths, &err) < 0 || berth_job_teardown(&paths, &err) < 0) {
		berth_err("%s job %u: %s", who, job_id, err.msg);
		return SLURM_ERROR;
	}
	berth_debug("%s: %s job %u: cleaned up", plugin_type, who, job_id);
	return SLURM_SUCCESS;
}

/* uid: the job's, or (uid_t)-1 where Slurm no longer passes it (23.02+):
 * the root-written job spec says whose job it is. */
static int core_stepd_create(uint32_t job_id, uid_t uid)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_job_paths paths;
	char node[BERTH_NODE_NAME_MAX], host_buf[2][BERTH_SLURM_PATH_MAX];
	const char *host_paths[3];

	if (berth_node_name(node, sizeof(node), &err) == 0)
		berth_slurm_task_host_paths(node, host_buf, host_paths, 3);
	else
		host_paths[0] = NULL;
	if (job_paths(job_id, &paths, &err) < 0 ||
	    jc_container_create(&node_config, &paths, job_id, uid, host_paths, &err) < 0) {
		berth_err("job %u: cannot build the job's container: %s", job_id, err.msg);
		return SLURM_ERROR;
	}
	return SLURM_SUCCESS;
}

static int core_stepd_delete(uint32_t job_id)
{
	close_external(job_id);
	return cleanup_job(job_id, "stepd_delete");
}

#if BERTH_SLURM_NAMESPACE_PLUGIN
/* The job id of the extern step whose stepd_step_rec_t Slurm passes; 0 if
 * the record does not look like one (a Slurm whose layout changed). */
static uint32_t stepd_job_id(const void *step)
{
	const struct berth_stepd_step_prefix *prefix = step;

	if (!prefix || prefix->step_id.step_id != SLURM_EXTERN_CONT || prefix->step_id.job_id == 0 ||
	    prefix->step_id.job_id >= NO_VAL) {
		berth_err("%s: unexpected step record from slurmstepd: rebuild berth for this Slurm (%s)",
			  plugin_type, BERTH_SLURM_VERSION);
		return 0;
	}
	return prefix->step_id.job_id;
}
#endif

/* ---------------------------------------------------------------- ABI ladder
 * One block per range of releases, each exactly the symbols that release's
 * loader lists in syms[] (testsuite/release/check_releases.sh compares). */
typedef struct berth_stepd_step_prefix stepd_step_rec_t;

#if !BERTH_SLURM_AT_LEAST(24, 5)
/* 22.05 - 23.11: create, add_cont, delete and reconfig exist and are called. */
int container_p_create(uint32_t job_id, uid_t uid);
int container_p_add_cont(uint32_t job_id, uint64_t cont_id);
int container_p_delete(uint32_t job_id);
void container_p_reconfig(void);

int container_p_create(uint32_t job_id, uid_t uid)
{
	/* Nothing here: slurmd is multi-threaded and the spec does not exist
	 * yet (job_prolog writes it); the extern step builds the namespace. */
	(void)job_id;
	(void)uid;
	return SLURM_SUCCESS;
}

int container_p_add_cont(uint32_t job_id, uint64_t cont_id)
{
	/* The sshd starts from the extern step's SPANK task_post_fork, the
	 * same moment on every release. */
	(void)job_id;
	(void)cont_id;
	return SLURM_SUCCESS;
}

int container_p_delete(uint32_t job_id)
{
	/* Normally stepd_delete has cleaned up; this catches an extern step
	 * that died before it could (SPANK job_epilog does too, on every
	 * release). */
	return cleanup_job(job_id, "delete");
}

void container_p_reconfig(void)
{
}
#endif

#if !BERTH_SLURM_NAMESPACE_PLUGIN
int container_p_restore(char *dir, bool recover);
int container_p_join_external(uint32_t job_id);
int container_p_stepd_delete(uint32_t job_id);

int container_p_restore(char *dir, bool recover)
{
	return core_restore(dir, recover);
}

int container_p_join_external(uint32_t job_id)
{
	return core_join_external(job_id);
}

int container_p_stepd_delete(uint32_t job_id)
{
	return core_stepd_delete(job_id);
}
#endif

#if !BERTH_SLURM_AT_LEAST(23, 2)
/* 22.05 */
int container_p_join(uint32_t job_id, uid_t uid);
int container_p_stepd_create(uint32_t job_id, uid_t uid);

int container_p_join(uint32_t job_id, uid_t uid)
{
	(void)uid;
	return core_join(job_id);
}

int container_p_stepd_create(uint32_t job_id, uid_t uid)
{
	return core_stepd_create(job_id, uid);
}
#elif !BERTH_SLURM_NAMESPACE_PLUGIN
/* 23.02 - 25.05 */
int container_p_stepd_create(uint32_t job_id, stepd_step_rec_t *step);
int container_p_send_stepd(int fd);
int container_p_recv_stepd(int fd);

int container_p_stepd_create(uint32_t job_id, stepd_step_rec_t *step)
{
	(void)step;
	return core_stepd_create(job_id, (uid_t)-1);
}

/* berth's slurmstepd reads berth.conf itself: nothing to pass. */
int container_p_send_stepd(int fd)
{
	(void)fd;
	return SLURM_SUCCESS;
}

int container_p_recv_stepd(int fd)
{
	(void)fd;
	return SLURM_SUCCESS;
}

#if !BERTH_SLURM_AT_LEAST(24, 11)
int container_p_join(uint32_t job_id, uid_t uid);

int container_p_join(uint32_t job_id, uid_t uid)
{
	(void)uid;
	return core_join(job_id);
}
#else
int container_p_join(slurm_step_id_t *step_id, uid_t uid, bool step_create);

/* step_create: slurmd's child before it execs slurmstepd, which is not in
 * the image: stay on the host. */
int container_p_join(slurm_step_id_t *step_id, uid_t uid, bool step_create)
{
	(void)uid;
	return step_create || !step_id ? SLURM_SUCCESS : core_join(step_id->job_id);
}
#endif
#else
/* 25.11+: namespace/berth */
int namespace_p_join(slurm_step_id_t *step_id, uid_t uid, bool step_create);
int namespace_p_join_external(slurm_step_id_t *step_id, list_t *ns_map);
int namespace_p_restore(char *dir, bool recover);
int namespace_p_stepd_create(stepd_step_rec_t *step);
int namespace_p_send_stepd(int fd);
int namespace_p_recv_stepd(int fd);
bool namespace_p_can_bpf(stepd_step_rec_t *step);
int namespace_p_setup_bpf_token(stepd_step_rec_t *step);

int namespace_p_join(slurm_step_id_t *step_id, uid_t uid, bool step_create)
{
	(void)uid;
	return step_create || !step_id ? SLURM_SUCCESS : core_join(step_id->job_id);
}

/* The job's mount namespace for an adopted process, as a list entry
 * allocated with Slurm's allocator (Slurm frees it). */
int namespace_p_join_external(slurm_step_id_t *step_id, list_t *ns_map)
{
	ns_fd_map_t *entry;
	int fd;

	if (!step_id || !ns_map || (fd = core_join_external(step_id->job_id)) <= 0)
		return 0;
	entry = slurm_xcalloc(1, sizeof(*entry), true, false, __FILE__, __LINE__, __func__);
	entry->type = CLONE_NEWNS;
	entry->fd = fd;
	slurm_list_append(ns_map, entry);
	return slurm_list_count(ns_map);
}

int namespace_p_restore(char *dir, bool recover)
{
	return core_restore(dir, recover);
}

int namespace_p_stepd_create(stepd_step_rec_t *step)
{
	uint32_t job_id = stepd_job_id(step);

	return job_id ? core_stepd_create(job_id, (uid_t)-1) : SLURM_ERROR;
}

#if BERTH_SLURM_AT_LEAST(26, 5)
int namespace_p_stepd_delete(stepd_step_rec_t *step);

int namespace_p_stepd_delete(stepd_step_rec_t *step)
{
	uint32_t job_id = stepd_job_id(step);

	return job_id ? core_stepd_delete(job_id) : SLURM_ERROR;
}
#else
int namespace_p_stepd_delete(slurm_step_id_t *step_id);

int namespace_p_stepd_delete(slurm_step_id_t *step_id)
{
	return step_id ? core_stepd_delete(step_id->job_id) : SLURM_ERROR;
}
#endif

int namespace_p_send_stepd(int fd)
{
	(void)fd;
	return SLURM_SUCCESS;
}

int namespace_p_recv_stepd(int fd)
{
	(void)fd;
	return SLURM_SUCCESS;
}

/* berth makes no user namespace, so it needs no BPF token. */
bool namespace_p_can_bpf(stepd_step_rec_t *step)
{
	(void)step;
	return true;
}

int namespace_p_setup_bpf_token(stepd_step_rec_t *step)
{
	(void)step;
	return SLURM_SUCCESS;
}
#endif
