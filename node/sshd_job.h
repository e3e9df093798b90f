/*
 * sshd_job.h - the per-job sshd (plugstack argument enable_sshd=1): what
 * reaches the node, and the files generated from it.
 *
 * Flow:
 *   sbatch/salloc/srun (SPANK, as the user): the user's key pair
 *     ~/.ssh/berth_id_ed25519 is created if missing; its public half goes
 *     into the job's SPANK environment as BERTH_SSH_PUBKEY.
 *   job_prolog (SPANK, root, every node): checks the key and the allocation
 *     (exclusive only), finds the job's nodes, their addresses and task
 *     counts (slurmd's prolog environment, node/prolog_job.h, slurm.conf,
 *     else slurmctld), and writes <job dir>/sshd.request (this module's
 *     format).
 *   extern step (job_container): reads the request, generates host key and
 *     configuration in <job dir>/ssh/, mounts them into the container and
 *     starts the sshd there, as the user, in the extern step's cgroups.
 *
 * Request file: "key = value" lines (the common config parser), root 0600:
 *   port     = 1204
 *   user_key = ssh-ed25519 AAAA...        (validated, no comment, no options)
 *   hosts    = n1=10.77.0.11/2 n2=10.77.0.12/2    name=address/tasks
 *   refused  = reason                     (no sshd: why, for the user)
 */
#ifndef BERTH_SSHD_JOB_H_
#define BERTH_SSHD_JOB_H_

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "berth_error.h"

#define BERTH_SSH_PORT_DEFAULT 1204
#define BERTH_SSH_USER_KEY_NAME "berth_id_ed25519"   /* in ~/.ssh */
#define BERTH_SSH_PUBKEY_MAX 8192
#define BERTH_SSH_HOSTS_MAX 4096                     /* nodes of one job */
#define BERTH_SSH_KEYGEN "/usr/bin/ssh-keygen"
#define BERTH_SSH_CONNECT_ATTEMPTS "20"              /* seconds for a peer's sshd to come up */

/* Paths inside the container. */
#define BERTH_SSH_CTR_BUNDLE "/.berth/ssh"       /* loader, libraries, programs */
#define BERTH_SSH_CTR_JOB "/.berth/job"          /* this job's keys and configs */
#define BERTH_SSH_CTR_CLIENT "/usr/bin/ssh"    /* on every PATH (over the image's own) */
#define BERTH_SSH_CTR_HOSTSFILE "/var/hostsfile"              /* Open MPI syntax */
#define BERTH_SSH_CTR_HOSTSFILE_MPICH "/var/hostsfile.mpich"  /* MPICH/Intel MPI (hydra) syntax */
#define BERTH_SSH_CTR_CONFIG "/etc/ssh/ssh_config"

/* OpenSSH's split server: programs sshd execs by path, which the bundle
 * provides as bin/NAME (berth-bundle-exec) over libexec/NAME. */
#define BERTH_SSHD_SPLIT_SESSION 1u /* 9.8+: sshd-session, SshdSessionPath */
#define BERTH_SSHD_SPLIT_AUTH 2u    /* 10.0+: sshd-auth, SshdAuthPath */

struct berth_sshd_host {
	char *name;
	char *address;
	unsigned tasks;
};

struct berth_sshd_request {
	unsigned port;
	char *user_key;
	char *hosts;      /* as in the file */
	char *refused;
};

/* Check one public key line ("type base64 [comment]"): a known key type,
 * base64 body, printable comment.  *normalized (malloc'd) is "type base64"
 * (the comment dropped: it could not carry authorized_keys options anyway,
 * the first word must be the type). */
int berth_ssh_pubkey_check(const char *line, char **normalized, struct berth_error *err);

/* refused is written with '"' as '\'' and control characters as '?' (it is
 * free text that often quotes the user's value); a user_key or hosts that
 * the file cannot carry is EINVAL. */
int berth_sshd_request_write(const char *path, const struct berth_sshd_request *req,
			     struct berth_error *err);
/* job_prolog's writer: a request the file cannot carry becomes a refusal
 * ("no sshd: <why>"), so no value from the job fails the prolog; -1 only
 * when the file cannot be written at all. */
int berth_sshd_request_write_or_refuse(const char *path, const struct berth_sshd_request *req,
				       struct berth_error *err);
/* 1 read, 0 no such file, -1 error. */
int berth_sshd_request_read(const char *path, struct berth_sshd_request *req,
			    struct berth_error *err);
void berth_sshd_request_free(struct berth_sshd_request *req);

/* Parse req->hosts ("name=address/tasks ..."): names and addresses of
 * [A-Za-z0-9.:_-] only.  Free with berth_sshd_hosts_free. */
int berth_sshd_hosts_parse(const char *text, struct berth_sshd_host **hosts, size_t *n,
			   struct berth_error *err);
void berth_sshd_hosts_free(struct berth_sshd_host *hosts, size_t n);

/* Generated text (malloc'd into *out). */
/* split: BERTH_SSHD_SPLIT_* of the bundle (the Sshd*Path lines; an older
 * sshd would refuse them as unknown). */
int berth_sshd_config_text(unsigned port, const char *user, unsigned split, char **out,
			   struct berth_error *err);
int berth_ssh_client_config_text(unsigned port, const struct berth_sshd_host *hosts, size_t n,
				 char **out, struct berth_error *err);
/* The job's hostfiles: "name slots=N" per node (Open MPI's syntax,
 * /var/hostsfile) or "name:N" (hydra's: MPICH, Intel MPI;
 * /var/hostsfile.mpich). */
enum berth_hostsfile_syntax { BERTH_HOSTSFILE_OPENMPI, BERTH_HOSTSFILE_HYDRA };
int berth_sshd_hostsfile_text(const struct berth_sshd_host *hosts, size_t n,
			      enum berth_hostsfile_syntax syntax, char **out, struct berth_error *err);
/* Lines for the container's /etc/hosts: "address name" for each node whose
 * address is not its name, so that the job's node names resolve inside the
 * image (launchers and MPI libraries look them up, not only ssh). */
int berth_sshd_etc_hosts_text(const struct berth_sshd_host *hosts, size_t n, char **out,
			      struct berth_error *err);
/* What makes MPI launchers started inside an sshd job reach the job's nodes
 * with no options: ssh (not srun, which is not in the image), the job's
 * hostfiles (not the step's slots).  A variable gets value (NULL: unset)
 * where it is unset or has slurm_value, what Slurm itself exports from
 * 23.11 (HYDRA_BOOTSTRAP=slurm with --external-launcher extra arguments,
 * which hydra would pass to ssh too); a value the job or the image chose
 * stays. */
struct berth_env_default {
	const char *name, *value, *slurm_value;
};
extern const struct berth_env_default berth_ssh_launcher_env[];
extern const size_t berth_ssh_launcher_env_count;
/* true if d changes a variable whose value is current (NULL: unset); then
 * *value is the new one (NULL: unset it). */
bool berth_ssh_launcher_change(const struct berth_env_default *d, const char *current, const char **value);

/* The `ssh` command of the container: runs the bundled client through the
 * bundled loader (so it works whatever the image's libc). */
int berth_ssh_wrapper_text(char **out, struct berth_error *err);

/* The `ssh` of a job without sshd: prints "berth: <reason>" and fails
 * (the reason reduced to harmless characters). */
int berth_ssh_refused_text(const char *reason, char **out, struct berth_error *err);

#endif
