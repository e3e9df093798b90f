/*
 * slurm_compat.h - the one place (with the ABI ladder at the end of
 * plugins/job_container/job_container_berth.c) where berth depends on the
 * Slurm release it is built against, 22.05 to 26.05.
 *
 * Everything is decided at compile time from the target's own
 * SLURM_VERSION_NUMBER: a plugin is built for one release (Slurm's loader
 * refuses another micro release anyway), so no run-time switching.
 */
#ifndef BERTH_SLURM_COMPAT_H_
#define BERTH_SLURM_COMPAT_H_

#include <pthread.h>
#include <stdint.h>

#include <slurm/slurm.h>

#define BERTH_SLURM_AT_LEAST(maj, min) (SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(maj, min, 0))

/* 25.11 replaced job_container plugins by namespace plugins. */
#define BERTH_SLURM_NAMESPACE_PLUGIN BERTH_SLURM_AT_LEAST(25, 11)

/* 23.11: hostlist_t became the struct (functions take a pointer). */
#if BERTH_SLURM_AT_LEAST(23, 11)
typedef hostlist_t *berth_hostlist_t;
#else
typedef hostlist_t berth_hostlist_t;
#endif

/* 26.05: the job lookups take a slurm_step_id_t. */
#if BERTH_SLURM_AT_LEAST(26, 5)
static inline slurm_step_id_t berth_slurm_job_step_id(uint32_t job_id)
{
	slurm_step_id_t id = SLURM_STEP_ID_INITIALIZER;

	id.job_id = job_id;
	return id;
}
#define berth_slurm_load_job(msg, job_id, flags) \
	slurm_load_job((msg), berth_slurm_job_step_id(job_id), (flags))
#define berth_slurm_allocation_lookup(job_id, resp) \
	slurm_allocation_lookup(berth_slurm_job_step_id(job_id), (resp))
#else
#define berth_slurm_load_job(msg, job_id, flags) slurm_load_job((msg), (job_id), (flags))
#define berth_slurm_allocation_lookup(job_id, resp) slurm_allocation_lookup((job_id), (resp))
#endif

/* The address of each node of a list, as slurmctld resolves it (NodeAddr,
 * else the name): from 23.11 one RPC for the whole list.  The answer lists
 * the nodes (node_list, a ranged list in the controller's node order) and
 * their addresses in that order.  Before 23.11 there is no such RPC
 * (berth_slurm_node_addrs fails): callers fall back to slurm.conf as this
 * process parsed it (slurm_conf_get_address), which from 24.11 the SPANK
 * job_prolog process never has. */
#if BERTH_SLURM_AT_LEAST(23, 11)
typedef slurm_node_alias_addrs_t berth_node_addrs_t;
static inline int berth_slurm_node_addrs(const char *node_list, berth_node_addrs_t **out)
{
	return slurm_get_node_alias_addrs((char *)node_list, out);
}
#else
typedef struct {
	char *node_list;
	slurm_addr_t *node_addrs;
	uint32_t node_cnt;
	char *net_cred;
} berth_node_addrs_t;
static inline int berth_slurm_node_addrs(const char *node_list, berth_node_addrs_t **out)
{
	(void)node_list;
	*out = NULL;
	return SLURM_ERROR;
}
#endif

/* Before the first Slurm API call (an RPC to slurmctld) from SPANK's
 * job_prolog: from 23.02 that runs in a process of its own where nothing has
 * called slurm_init() (24.11: "No hash plugins loaded").  conf_path: the
 * slurm.conf the daemon uses (berth_slurm_conf_path()); without it, 24.11
 * found no file, tried a DNS SRV lookup for a configless controller and
 * waited 5 s in every such prolog. */
static inline void berth_slurm_api_init(const char *conf_path)
{
#if BERTH_SLURM_AT_LEAST(23, 2)
	static int done;

	if (!done) {
		slurm_init(conf_path);
		done = 1;
	}
#else
	(void)conf_path;
#endif
}

/* 24.05: opt-ins that break berth's assumptions (refused at plugin init):
 * PrologFlags=RunInJob runs job_prolog after the container is built, and
 * SlurmdParameters=contain_spank runs SPANK hooks inside the job's
 * namespace. */
#ifdef PROLOG_FLAG_RUN_IN_JOB
#define BERTH_PROLOG_FLAG_RUN_IN_JOB PROLOG_FLAG_RUN_IN_JOB
#else
#define BERTH_PROLOG_FLAG_RUN_IN_JOB 0
#endif
#ifdef CONF_FLAG_CONTAIN_SPANK
#define BERTH_CONF_FLAG_CONTAIN_SPANK CONF_FLAG_CONTAIN_SPANK
#else
#define BERTH_CONF_FLAG_CONTAIN_SPANK 0
#endif

/* 23.02+: stepd_create (and from 26.05 stepd_delete) receive slurmstepd's
 * internal stepd_step_rec_t, whose header Slurm does not install.  Its
 * leading members have been the same from 23.02 to 26.05 (the header
 * matrix check, testsuite/release/check_releases.sh, compares them with
 * each release's slurmstepd_job.h); berth reads only step_id, and checks it
 * at run time (berth_stepd_job_id). */
struct berth_stepd_step_prefix {
	char *alias_list;
	void *container;
	int state;                   /* slurmstepd_state_t, an enum */
	pthread_cond_t state_cond;
	pthread_mutex_t state_mutex;
	slurm_step_id_t step_id;
};

#endif
