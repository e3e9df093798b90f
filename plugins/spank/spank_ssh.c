/*
 * spank_ssh.c - the SPANK side of the per-job sshd (plugstack argument
 * enable_sshd=1) and of --ccm; see node/sshd_job.h for the whole flow.
 *
 *   client (sbatch, salloc, srun making an allocation; as the user): make
 *     ~/.ssh/berth_id_ed25519 if missing and put its public half into the
 *     job's SPANK environment;
 *   job_prolog (root, each node): decide whether this node gets an sshd
 *     (exclusive allocations only), from slurmd's prolog environment where
 *     it tells (23.02+), else from slurmctld, and write
 *     <job dir>/sshd.request;
 *   tasks: with --ccm every task, the batch script included, enters the
 *     container built from the host's /.
 * A job that gets no sshd (shared allocation) gets an `ssh` in its
 * container that tells the user why (node/sshd_launch.c).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <slurm/slurm.h>
#include <slurm/spank.h>

#include "berth_log.h"
#include "prolog_job.h"
#include "run.h"
#include "slurm_compat.h"
#include "slurm_conf_file.h"
#include "slurm_shim.h"
#include "spank_plugin.h"
#include "sshd_job.h"
#include "task_entry.h"

/* src/common/read_config.h: NodeAddr of a NodeName (xmalloc'd) or NULL */
extern char *slurm_conf_get_address(const char *node_name);

/* ------------------------------------------------------------ client */

static int read_public_key(const char *path, char **normalized, struct berth_error *err)
{
	char buf[BERTH_SSH_PUBKEY_MAX + 2];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	ssize_t n;

	if (fd < 0)
		return berth_error_errno(err, errno, "\"%s\"", path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return berth_error_errno(err, errno, "\"%s\"", path);
	buf[n] = '\0';
	return berth_ssh_pubkey_check(buf, normalized, err) < 0 ? berth_error_prefix(err, "%s", path) : 0;
}

static int make_user_key(const char *key, struct berth_error *err)
{
	const char *argv[] = { BERTH_SSH_KEYGEN, "-q", "-t", "ed25519", "-N", "", "-C",
			       "berth job key", "-f", key, NULL };
	struct berth_run_spec spec = { .argv = argv, .timeout_ms = 20000, .capture = true };
	struct berth_run_result res;
	int rc = berth_run(&spec, &res, err);

	if (rc == 0 && res.exit_status != 0)
		rc = berth_error_set(err, EIO, "ssh-keygen failed (status %d): %.200s", res.exit_status,
				     res.output ? res.output : "");
	berth_run_result_free(&res);
	return rc;
}

/* ~/.ssh/berth_id_ed25519 (0600, made if missing) -> normalized public key. */
static int user_public_key(char **pub, struct berth_error *err)
{
	struct passwd *pw = getpwuid(getuid());
	char dir[4096], key[4200], pubfile[4300];

	if (!pw || !pw->pw_dir || pw->pw_dir[0] != '/')
		return berth_error_set(err, ENOENT, "no home directory for uid %u", (unsigned)getuid());
	snprintf(dir, sizeof(dir), "%s/.ssh", pw->pw_dir);
	snprintf(key, sizeof(key), "%s/" BERTH_SSH_USER_KEY_NAME, dir);
	snprintf(pubfile, sizeof(pubfile), "%s.pub", key);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return berth_error_errno(err, errno, "mkdir \"%s\"", dir);
	if (access(key, F_OK) < 0) {
		if (make_user_key(key, err) < 0)
			return -1;
		berth_info("created the ssh key %s for logins between the nodes of your jobs", key);
	}
	return read_public_key(pubfile, pub, err);
}

int berth_spank_ssh_client(spank_t sp)
{
	const struct berth_job_request *req = &berth_spank.request;
	struct berth_error err = BERTH_ERROR_INIT;
	char *pub = NULL;
	spank_err_t rc;

	if (!berth_spank.args.enable_sshd || (!req->image_text && !req->ccm))
		return 0;
	/* srun inside an allocation: the job has its key already */
	if (spank_context() == S_CTX_LOCAL && getenv("SLURM_JOB_ID"))
		return 0;
	if (user_public_key(&pub, &err) < 0) {
		berth_err("no ssh between the job's nodes: %s", err.msg);
		return 0;
	}
	rc = spank_job_control_setenv(sp, BERTH_ENV_SSH_PUBKEY, pub, 1);
	if (rc != ESPANK_SUCCESS)
		berth_err("no ssh between the job's nodes: cannot pass the key: %s", spank_strerror(rc));
	free(pub);
	return 0;
}

/* ------------------------------------------------------------ job_prolog */

/* CPUs of the job on the index-th node of alloc->node_list: the
 * allocation's run-length list (cpus_per_node[g] for cpu_count_reps[g]
 * nodes), exact for uneven nodes; 0 if unknown. */
static unsigned cpus_on(const resource_allocation_response_msg_t *alloc, size_t index)
{
	for (uint32_t g = 0; alloc && g < alloc->num_cpu_groups; g++) {
		if (index < alloc->cpu_count_reps[g])
			return alloc->cpus_per_node[g];
		index -= alloc->cpu_count_reps[g];
	}
	return 0;
}

static unsigned tasks_on(const slurm_job_info_t *job, const resource_allocation_response_msg_t *alloc,
			 size_t index, size_t n)
{
	unsigned cpt = job->cpus_per_task && job->cpus_per_task != NO_VAL16 ? job->cpus_per_task : 1;
	unsigned cpus;

	if (job->ntasks_per_node && job->ntasks_per_node != NO_VAL16)
		return job->ntasks_per_node;
	if (job->num_tasks && job->num_tasks != NO_VAL && job->num_tasks >= n)
		return (unsigned)(job->num_tasks / n + (index < job->num_tasks % n));
	cpus = cpus_on(alloc, index);
	return cpus >= cpt ? cpus / cpt : 1;
}

/* The job's nodes and their addresses, from slurmctld (berth_slurm_node_addrs):
 * names[i] has addrs[i] (numeric, malloc'd). */
struct node_addrs {
	char **names, **addrs;
	size_t n;
};

static void node_addrs_free(struct node_addrs *na)
{
	for (size_t i = 0; i < na->n; i++) {
		free(na->names[i]);
		free(na->addrs[i]);
	}
	free(na->names);
	free(na->addrs);
	memset(na, 0, sizeof(*na));
}

static void free_answer(berth_node_addrs_t *answer)
{
	slurm_xfree((void **)&answer->node_list);
	slurm_xfree((void **)&answer->node_addrs);
	slurm_xfree((void **)&answer->net_cred);
	slurm_xfree((void **)&answer);
}

/* Empty (and 0) when slurmctld cannot tell: the caller falls back. */
static int node_addrs_fetch(const char *node_list, struct node_addrs *na)
{
	berth_node_addrs_t *answer = NULL;
	berth_hostlist_t list;
	char *name;
	size_t i = 0;

	memset(na, 0, sizeof(*na));
	if (berth_slurm_node_addrs(node_list, &answer) != SLURM_SUCCESS || !answer)
		return 0;
	list = answer->node_list ? slurm_hostlist_create(answer->node_list) : NULL;
	na->names = calloc(answer->node_cnt + 1, sizeof(char *));
	na->addrs = calloc(answer->node_cnt + 1, sizeof(char *));
	while (list && na->names && na->addrs && i < answer->node_cnt &&
	       (name = slurm_hostlist_shift(list))) {
		char host[NI_MAXHOST];
		const struct sockaddr *sa = (const struct sockaddr *)&answer->node_addrs[i];
		socklen_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
							    sizeof(struct sockaddr_in);

		if ((sa->sa_family == AF_INET || sa->sa_family == AF_INET6) &&
		    getnameinfo(sa, len, host, sizeof(host), NULL, 0, NI_NUMERICHOST) == 0) {
			na->names[na->n] = strdup(name);
			na->addrs[na->n] = strdup(host);
			if (na->names[na->n] && na->addrs[na->n])
				na->n++;
		}
		free(name);
		i++;
	}
	if (list)
		slurm_hostlist_destroy(list);
	free_answer(answer);
	return 0;
}

/* slurm.conf's NodeName lines, read by berth from the files this node has
 * (Include followed): for a process with no node table of Slurm's own
 * (24.11's SPANK job_prolog, NEWS), where slurmctld would be the only
 * other source.  Read once per process. */
struct conf_node_line {
	char *names, *addrs, *hostnames;   /* NodeName=, NodeAddr=, NodeHostname= (hostlists) */
};

static struct conf_node_line *conf_nodes;
static size_t n_conf_nodes;
static bool conf_nodes_read;

static void conf_node_words(void *ctx, char *first, char **save)
{
	struct conf_node_line line = { 0 }, *grown;
	char *word;

	(void)ctx;
	if (strncasecmp(first, "NodeName=", 9) != 0 || strcasecmp(first + 9, "DEFAULT") == 0)
		return;
	line.names = strdup(first + 9);
	while ((word = strtok_r(NULL, " \t", save))) {
		if (strncasecmp(word, "NodeAddr=", 9) == 0 && !line.addrs)
			line.addrs = strdup(word + 9);
		else if (strncasecmp(word, "NodeHostname=", 13) == 0 && !line.hostnames)
			line.hostnames = strdup(word + 13);
	}
	if (!line.names || !(grown = realloc(conf_nodes, (n_conf_nodes + 1) * sizeof(*grown)))) {
		free(line.names);
		free(line.addrs);
		free(line.hostnames);
		return;
	}
	conf_nodes = grown;
	conf_nodes[n_conf_nodes++] = line;
}

/* The index-th host of a hostlist expression (malloc'd), or NULL. */
static char *hostlist_nth(const char *expr, int index)
{
	berth_hostlist_t list = slurm_hostlist_create(expr);
	char *host = NULL;

	for (int i = 0; list && i <= index; i++) {
		free(host);
		if (!(host = slurm_hostlist_shift(list)))
			break;
	}
	if (list)
		slurm_hostlist_destroy(list);
	return host;
}

/* A node's address as slurm.conf gives it: NodeAddr (paired in order with
 * NodeName: n[1-3] with 10.0.0.[1-3]), else NodeHostname, else the name,
 * as Slurm does; NULL for a node slurm.conf does not list.  malloc'd. */
static char *conf_file_address(const char *name)
{
	if (!conf_nodes_read) {
		const struct berth_slurm_conf_reader reader = { NULL, conf_node_words };
		char *why = NULL;

		conf_nodes_read = true;
		if (berth_slurm_conf_file_read(berth_slurm_conf_path(), &reader, &why) < 0)
			berth_debug("job_prolog: %s", why ? why : "slurm.conf unreadable");
		free(why);
	}
	for (size_t i = 0; i < n_conf_nodes; i++) {
		berth_hostlist_t list = slurm_hostlist_create(conf_nodes[i].names);
		int index = list ? slurm_hostlist_find(list, name) : -1;

		if (list)
			slurm_hostlist_destroy(list);
		if (index < 0)
			continue;
		if (conf_nodes[i].addrs)
			return hostlist_nth(conf_nodes[i].addrs, index);
		return conf_nodes[i].hostnames ? hostlist_nth(conf_nodes[i].hostnames, index) : strdup(name);
	}
	return NULL;
}

/* A node's address from slurm.conf: Slurm's own table, else berth's
 * reading of the files; NULL if neither has the node.  malloc'd. */
static char *conf_address(const char *name)
{
	char *conf = slurm_conf_get_address(name), *addr;

	if (conf && *conf)
		addr = strdup(conf);
	else
		addr = conf_file_address(name);
	if (conf)
		slurm_xfree((void **)&conf);
	return addr;
}

/* Address of a node: slurmctld's answer, else slurm.conf, else the name
 * (resolved by ssh in the container). malloc'd. */
static char *node_address(const struct node_addrs *na, const char *name)
{
	char *addr;

	for (size_t i = 0; i < na->n; i++)
		if (strcmp(na->names[i], name) == 0)
			return strdup(na->addrs[i]);
	addr = conf_address(name);
	return addr ? addr : strdup(name);
}

/* Where a node's task count comes from: slurmctld's answer (job, alloc),
 * or slurmd's prolog environment (pj, Slurm 23.02+). */
struct task_source {
	const slurm_job_info_t *job;
	const resource_allocation_response_msg_t *alloc;
	const struct berth_prolog_job *pj;
};

static unsigned source_tasks_on(const struct task_source *src, size_t index, size_t n)
{
	return src->pj ? berth_prolog_job_tasks_on(src->pj, index) : tasks_on(src->job, src->alloc, index, n);
}

static void addresses_free(char **addrs)
{
	for (size_t i = 0; addrs && addrs[i]; i++)
		free(addrs[i]);
	free(addrs);
}

/* The slurm.conf address (conf_address) of each node of the list, in list
 * order: a malloc'd, NULL-terminated array, or NULL unless slurm.conf has
 * every one of them. */
static char **conf_addresses(const char *nodes)
{
	berth_hostlist_t list = slurm_hostlist_create(nodes);
	size_t n = list ? (size_t)slurm_hostlist_count(list) : 0, i = 0;
	char **addrs = list ? calloc(n + 1, sizeof(char *)) : NULL;
	char *name;

	while (addrs && (name = slurm_hostlist_shift(list))) {
		if (i < n)
			addrs[i] = conf_address(name);
		free(name);
		if (i >= n || !addrs[i]) {
			addresses_free(addrs);
			addrs = NULL;
		}
		i++;
	}
	if (list)
		slurm_hostlist_destroy(list);
	return addrs;
}

/* "name=address/tasks ..." of the job's n nodes (in the allocation's node
 * order, which its task counts follow).  Addresses: from slurmctld unless
 * asked to try slurm.conf first and it has all of them. */
static int job_hosts(uint32_t job_id, const char *nodes, size_t n, const struct task_source *src,
		     bool conf_first, char **out, struct berth_error *err)
{
	berth_hostlist_t list = slurm_hostlist_create(nodes);
	size_t size, i = 0;
	FILE *f = open_memstream(out, &size);
	struct node_addrs na = { 0 };
	char **conf = conf_first ? conf_addresses(nodes) : NULL, *name;

	if (!list || !f) {
		if (list)
			slurm_hostlist_destroy(list);
		if (f)
			fclose(f);
		addresses_free(conf);
		return berth_error_set(err, ENOMEM, "node list of the job");
	}
	if (!conf) {
		struct timespec t0;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		node_addrs_fetch(nodes, &na);
		if (conf_first)
			berth_debug("job_prolog: job %u: node addresses from slurmctld in %.1f ms "
				    "(not all in slurm.conf)", job_id, berth_elapsed_ms(&t0));
	}
	while ((name = slurm_hostlist_shift(list))) {
		const char *addr = conf ? conf[i] : NULL;
		char *asked = conf ? NULL : node_address(&na, name);

		if (asked)
			addr = asked;
		fprintf(f, "%s%s=%s/%u", i ? " " : "", name, addr ? addr : name, source_tasks_on(src, i, n));
		i++;
		free(asked);
		free(name);
	}
	addresses_free(conf);
	node_addrs_free(&na);
	slurm_hostlist_destroy(list);
	if (fclose(f) != 0)
		return berth_error_set(err, ENOMEM, "node list of the job");
	return 0;
}

#define REFUSED_SHARED "no sshd: the allocation is shared with other jobs; " \
	"ssh between the nodes needs an exclusive one (--exclusive)"

/* Decided from what slurmd put in the prolog's environment (Slurm 23.02+,
 * prolog_job.h) instead of slurmctld's answer: 24.11.5's slurmctld at times
 * takes seconds to accept a connection, and every --image job's start
 * waited for it.  Only the addresses of nodes slurm.conf lacks (dynamic,
 * cloud) are still asked for.  1: the environment cannot tell (22.05; no
 * node count), ask slurmctld for everything. */
static const char *prolog_getenv(const char *name)
{
	return getenv(name);
}

static int decide_from_env(uint32_t job_id, struct berth_sshd_request *req, char **reason)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_prolog_job pj;
	struct task_source src = { .pj = &pj };

	if (berth_prolog_job_read(prolog_getenv, &pj, &err) < 0) {
		berth_info("job_prolog: job %u: %s; asking slurmctld", job_id, err.msg);
		return 1;
	}
	if (!pj.present)
		return 1;
	if (!pj.exclusive) {
		*reason = strdup(REFUSED_SHARED);
		return 0;
	}
	if (!pj.node_list || !berth_prolog_job_tasks_on(&pj, 0))
		return 1;
	berth_debug("job_prolog: job %u: nodes and tasks from slurmd's environment", job_id);
	if (job_hosts(job_id, pj.node_list, pj.num_nodes, &src, true, &req->hosts, &err) < 0 &&
	    asprintf(reason, "no sshd: %s", err.msg) < 0)
		*reason = NULL;
	return 0;
}

/* Fill req->hosts, or req->refused with the reason there is no sshd. */
static void decide(uint32_t job_id, struct berth_sshd_request *req, char **reason)
{
	struct berth_error err = BERTH_ERROR_INIT;
	resource_allocation_response_msg_t *alloc = NULL;
	job_info_msg_t *info = NULL;
	const char *key = getenv(BERTH_ENV_CONTROL_PREFIX BERTH_ENV_SSH_PUBKEY);
	struct timespec t0;

	if (!key) {
		*reason = strdup("no sshd: the job carries no ssh key (submitted without berth's client plugin?)");
		return;
	}
	if (berth_ssh_pubkey_check(key, &req->user_key, &err) < 0) {
		if (asprintf(reason, "no sshd: %s", err.msg) < 0)
			*reason = NULL;
		return;
	}
	berth_slurm_api_init(berth_slurm_conf_path());   /* slurm.conf's node addresses */
	if (decide_from_env(job_id, req, reason) == 0)
		return;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* SHOW_LOCAL: this cluster's job; without it Slurm asks for the
	 * federation first, one more round trip while the job waits */
	if (berth_slurm_load_job(&info, job_id, SHOW_DETAIL | SHOW_LOCAL) != SLURM_SUCCESS || !info ||
	    info->record_count < 1 || berth_slurm_allocation_lookup(job_id, &alloc) != SLURM_SUCCESS) {
		if (asprintf(reason, "no sshd: cannot look up job %u: %s", job_id,
			     slurm_strerror(errno)) < 0)
			*reason = NULL;
	} else if (info->job_array[0].shared != 0) {
		*reason = strdup(REFUSED_SHARED);
	} else if (job_hosts(job_id, alloc->node_list ? alloc->node_list : info->job_array[0].nodes,
			     info->job_array[0].num_nodes ? info->job_array[0].num_nodes : 1,
			     &(struct task_source){ .job = &info->job_array[0], .alloc = alloc }, false,
			     &req->hosts, &err) < 0) {
		if (asprintf(reason, "no sshd: %s", err.msg) < 0)
			*reason = NULL;
	}
	/* slurmctld's answer delays the job's start (24.11.5 at times takes
	 * seconds to accept any connection: NEWS) */
	berth_debug("job_prolog: job %u: slurmctld lookups in %.1f ms", job_id, berth_elapsed_ms(&t0));
	if (info)
		slurm_free_job_info_msg(info);
	if (alloc)
		slurm_free_resource_allocation_response_msg(alloc);
}

int berth_spank_ssh_prolog(uint32_t job_id, const struct berth_job_paths *paths,
			   const struct berth_job_spec *spec)
{
	struct berth_sshd_request req = { .port = berth_spank.args.ssh_port };
	struct berth_error err = BERTH_ERROR_INIT;
	char path[1200], *reason = NULL;
	int rc = 0;

	if (!berth_spank.args.enable_sshd || spec->error || (!spec->image && !spec->ccm))
		return 0;
	if (spec->uid == 0)   /* the sshd runs as the job's user, never as root */
		reason = strdup("no sshd: jobs of root get none");
	else
		decide(job_id, &req, &reason);
	if (reason) {
		free(req.user_key);
		free(req.hosts);
		req.user_key = req.hosts = NULL;
		req.refused = reason;
		berth_info("job_prolog: job %u: %s", job_id, reason);
	}
	snprintf(path, sizeof(path), "%s/sshd.request", paths->dir);
	if (berth_sshd_request_write_or_refuse(path, &req, &err) < 0) {
		berth_err("job_prolog: job %u: %s", job_id, err.msg);
		rc = -1;
	}
	free(req.user_key);
	free(req.hosts);
	free(req.refused);
	return rc;
}

/* ------------------------------------------------------------ tasks */

int berth_spank_enter_ccm(spank_t sp, const struct berth_job_paths *paths)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char **job_env = NULL, cwd[4096] = "";
	const char *pwd = NULL;

	if (spank_get_item(sp, S_JOB_ENV, &job_env) == ESPANK_SUCCESS)
		pwd = berth_env_lookup(job_env, (size_t)-1, "PWD");
	snprintf(cwd, sizeof(cwd), "%s", pwd ? pwd : "");
	if (berth_task_enter(paths->root, cwd, NULL, NULL, &err) < 0 || berth_task_lock_down(&err) < 0) {
		berth_err("cannot enter the --ccm container: %s", err.msg);
		return -1;
	}
	return 0;
}
