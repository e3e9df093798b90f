/*
 * adopt.c - test tool: what pam_slurm_adopt does for an ssh login (22.05,
 * contribs/pam_slurm_adopt/pam_slurm_adopt.c _adopt_process), without PAM:
 * connect to the job's extern step on NODE, have it adopt this process
 * (stepd_add_extern_pid: the job's cgroups), ask it for the job's
 * namespace (REQUEST_GET_NS_FD, 25.11+ REQUEST_GET_NS_FDS -> join_external) and setns()
 * into it; then exec CMD.  Runs as root, like sshd's PAM stack.
 *
 *   adopt SPOOL_DIR NODE JOB_ID CMD...
 *
 * Prints "ns_fd=<n>" (0: the job has no namespace) on stderr before the exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <slurm/slurm.h>

/* public libslurm, no header (src/common/stepd_api.h) */
int slurm_stepd_connect(const char *directory, const char *nodename, slurm_step_id_t *step_id,
			uint16_t *protocol_version);
int slurm_stepd_add_extern_pid(int fd, uint16_t protocol_version, pid_t pid);
int slurm_stepd_get_namespace_fd(int fd, uint16_t protocol_version);

#if SLURM_VERSION_NUMBER >= SLURM_VERSION_NUM(25, 11, 0)
/* 25.11+: the namespace plugins answer with a list of (type, fd); the old
 * single-fd request gets no answer when the job has no namespace. */
int slurm_stepd_get_namespace_fds(int fd, list_t *fd_map, uint16_t protocol_version);

static int get_namespace_fd(int fd, uint16_t protocol)
{
	list_t *map = slurm_list_create(NULL);
	ns_fd_map_t *entry;
	int ns_fd = 0;

	if (slurm_stepd_get_namespace_fds(fd, map, protocol) < 0)
		return -1;   /* (the list is gone then) */
	while ((entry = slurm_list_pop(map))) {
		if (entry->type == CLONE_NEWNS && !ns_fd)
			ns_fd = entry->fd;
		else
			close(entry->fd);
	}
	slurm_list_destroy(map);
	return ns_fd;
}
#else
static int get_namespace_fd(int fd, uint16_t protocol)
{
	return slurm_stepd_get_namespace_fd(fd, protocol);
}
#endif

int main(int argc, char **argv)
{
	slurm_step_id_t step = { .job_id = 0, .step_het_comp = NO_VAL, .step_id = SLURM_EXTERN_CONT };
	uint16_t protocol;
	int fd, ns_fd;

	if (argc < 5) {
		fprintf(stderr, "usage: adopt SPOOL_DIR NODE JOB_ID CMD...\n");
		return 2;
	}
	slurm_init(NULL);
	step.job_id = (uint32_t)strtoul(argv[3], NULL, 10);
	if ((fd = slurm_stepd_connect(argv[1], argv[2], &step, &protocol)) < 0) {
		fprintf(stderr, "adopt: cannot connect to the extern step of job %u: %s\n", step.job_id,
			strerror(errno));
		return 1;
	}
	if (slurm_stepd_add_extern_pid(fd, protocol, getpid()) != SLURM_SUCCESS) {
		fprintf(stderr, "adopt: stepd_add_extern_pid failed\n");
		return 1;
	}
	ns_fd = get_namespace_fd(fd, protocol);
	fprintf(stderr, "ns_fd=%d\n", ns_fd);
	if (ns_fd < 0)
		return 1;
	if (ns_fd > 0 && setns(ns_fd, 0) < 0) {
		fprintf(stderr, "adopt: setns: %s\n", strerror(errno));
		return 1;
	}
	close(fd);
	if (ns_fd > 0)
		close(ns_fd);
	execvp(argv[4], argv + 4);
	fprintf(stderr, "adopt: exec %s: %s\n", argv[4], strerror(errno));
	return 127;
}
