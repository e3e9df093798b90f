/*
 * sshd_job.c - see sshd_job.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf_parser.h"
#include "sshd_job.h"

static const char *const key_types[] = {
	"ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
	"ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
	"sk-ecdsa-sha2-nistp256@openssh.com", NULL,
};

static const char base64_chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

int berth_ssh_pubkey_check(const char *line, char **normalized, struct berth_error *err)
{
	size_t len = strlen(line), type_len, body_len;
	const char *body, *p;
	bool known = false;

	*normalized = NULL;
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (len == 0 || len > BERTH_SSH_PUBKEY_MAX)
		return berth_error_set(err, EINVAL, "ssh public key is empty or longer than %d bytes",
				       BERTH_SSH_PUBKEY_MAX);
	for (p = line; p < line + len; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			return berth_error_set(err, EINVAL, "ssh public key has a control character");
	type_len = strcspn(line, " ");
	for (size_t i = 0; key_types[i] && !known; i++)
		known = strlen(key_types[i]) == type_len && memcmp(line, key_types[i], type_len) == 0;
	if (!known)
		return berth_error_set(err, EINVAL, "ssh public key: unknown key type \"%.*s\"",
				       (int)(type_len > 40 ? 40 : type_len), line);
	body = line + type_len;
	while (*body == ' ')
		body++;
	body_len = strspn(body, base64_chars);
	if (body_len < 16 || (body[body_len] && body[body_len] != ' ' && body[body_len] != '\n' &&
			      body[body_len] != '\r'))
		return berth_error_set(err, EINVAL, "ssh public key: the key is not base64");
	if (asprintf(normalized, "%.*s %.*s", (int)type_len, line, (int)body_len, body) < 0) {
		*normalized = NULL;
		return berth_error_errno(err, ENOMEM, "ssh public key");
	}
	return 0;
}

/* ------------------------------------------------------------ request */

static const struct berth_conf_key request_schema[] = {
	{ "port", BERTH_CONF_UINT, offsetof(struct berth_sshd_request, port), "1204", 1, 65535, NULL },
	{ "user_key", BERTH_CONF_STRING, offsetof(struct berth_sshd_request, user_key), NULL, 0, 0, NULL },
	{ "hosts", BERTH_CONF_STRING, offsetof(struct berth_sshd_request, hosts), NULL, 0, 0, NULL },
	{ "refused", BERTH_CONF_STRING, offsetof(struct berth_sshd_request, refused), NULL, 0, 0, NULL },
	BERTH_CONF_END
};

static bool one_line(const char *s)
{
	return !s || (!strchr(s, '\n') && !strchr(s, '\r') && !strchr(s, '"'));
}

/* The refusal is free text for the user, often quoting what the user sent
 * (error messages put names in double quotes): written with '"' as '\''
 * and control characters as '?', never refused. */
static char *refused_text(const char *reason)
{
	char *copy = strdup(reason);

	for (char *p = copy; p && *p; p++)
		if (*p == '"')
			*p = '\'';
	berth_error_sanitize(copy);
	return copy;
}

static int request_print(const char *tmp, const struct berth_sshd_request *req,
			 const char *refused, struct berth_error *err)
{
	FILE *f;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0 || !(f = fdopen(fd, "w"))) {
		if (fd >= 0)
			close(fd);
		return berth_error_errno(err, errno, "create \"%s\"", tmp);
	}
	fprintf(f, "port = %u\n", req->port);
	if (req->user_key)
		fprintf(f, "user_key = \"%s\"\n", req->user_key);
	if (req->hosts)
		fprintf(f, "hosts = \"%s\"\n", req->hosts);
	if (refused)
		fprintf(f, "refused = \"%s\"\n", refused);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		fclose(f);
		return berth_error_errno(err, errno, "write \"%s\"", tmp);
	}
	return fclose(f) != 0 ? berth_error_errno(err, errno, "write \"%s\"", tmp) : 0;
}

int berth_sshd_request_write(const char *path, const struct berth_sshd_request *req,
			     struct berth_error *err)
{
	char tmp[4200], *refused = NULL;
	int rc;

	if (!one_line(req->user_key) || !one_line(req->hosts))
		return berth_error_set(err, EINVAL, "sshd request value with a newline or quote");
	if (req->refused && !(refused = refused_text(req->refused)))
		return berth_error_errno(err, ENOMEM, "sshd request");
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rc = request_print(tmp, req, refused, err);
	free(refused);
	if (rc == 0 && rename(tmp, path) < 0)
		rc = berth_error_errno(err, errno, "write \"%s\"", path);
	if (rc < 0)
		unlink(tmp);
	return rc;
}

int berth_sshd_request_write_or_refuse(const char *path, const struct berth_sshd_request *req,
				       struct berth_error *err)
{
	struct berth_sshd_request refusal = { .port = req->port };
	char reason[BERTH_ERROR_MSG_MAX + 16];

	if (berth_sshd_request_write(path, req, err) == 0)
		return 0;
	if (err->code != EINVAL)
		return -1;
	snprintf(reason, sizeof(reason), "no sshd: %s", err->msg);
	refusal.refused = reason;
	berth_error_clear(err);
	return berth_sshd_request_write(path, &refusal, err);
}

int berth_sshd_request_read(const char *path, struct berth_sshd_request *req,
			    struct berth_error *err)
{
	memset(req, 0, sizeof(*req));
	if (access(path, F_OK) < 0)
		return errno == ENOENT ? 0 : berth_error_errno(err, errno, "\"%s\"", path);
	if (berth_conf_defaults(request_schema, req, err) < 0 ||
	    berth_conf_parse_file(request_schema, req, path, err) < 0) {
		berth_sshd_request_free(req);
		return -1;
	}
	return 1;
}

void berth_sshd_request_free(struct berth_sshd_request *req)
{
	berth_conf_free(request_schema, req);
}

/* ------------------------------------------------------------ hosts */

static bool host_chars(const char *s, size_t len)
{
	if (len == 0 || len > 255 || s[0] == '-')
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.:_-", s[i]))
			return false;
	return true;
}

static int parse_host(const char *word, size_t len, struct berth_sshd_host *h,
		      struct berth_error *err)
{
	const char *eq = memchr(word, '=', len), *slash = memrchr(word, '/', len);
	char *end;
	unsigned long tasks;

	if (!eq || !slash || slash < eq || !host_chars(word, (size_t)(eq - word)) ||
	    !host_chars(eq + 1, (size_t)(slash - eq - 1)))
		return berth_error_set(err, EINVAL, "sshd hosts: bad entry \"%.*s\"",
				       (int)(len > 80 ? 80 : len), word);
	tasks = strtoul(slash + 1, &end, 10);
	if (end != word + len || end == slash + 1 || tasks > 1000000)
		return berth_error_set(err, EINVAL, "sshd hosts: bad task count in \"%.*s\"",
				       (int)(len > 80 ? 80 : len), word);
	h->name = strndup(word, (size_t)(eq - word));
	h->address = strndup(eq + 1, (size_t)(slash - eq - 1));
	h->tasks = (unsigned)tasks;
	if (!h->name || !h->address)
		return berth_error_errno(err, ENOMEM, "sshd hosts");
	return 0;
}

int berth_sshd_hosts_parse(const char *text, struct berth_sshd_host **hosts, size_t *n,
			   struct berth_error *err)
{
	struct berth_sshd_host *list = NULL;
	size_t count = 0;

	*hosts = NULL;
	*n = 0;
	for (const char *p = text ? text : ""; *p;) {
		size_t len;

		p += strspn(p, " ");
		len = strcspn(p, " ");
		if (!len)
			break;
		if (count >= BERTH_SSH_HOSTS_MAX) {
			berth_sshd_hosts_free(list, count);
			return berth_error_set(err, E2BIG, "sshd hosts: more than %d nodes",
					       BERTH_SSH_HOSTS_MAX);
		}
		struct berth_sshd_host *grown = realloc(list, (count + 1) * sizeof(*list));
		if (!grown) {
			berth_sshd_hosts_free(list, count);
			return berth_error_errno(err, ENOMEM, "sshd hosts");
		}
		list = grown;
		memset(&list[count], 0, sizeof(list[count]));
		if (parse_host(p, len, &list[count++], err) < 0) {
			berth_sshd_hosts_free(list, count);
			return -1;
		}
		p += len;
	}
	*hosts = list;
	*n = count;
	return 0;
}

void berth_sshd_hosts_free(struct berth_sshd_host *hosts, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(hosts[i].name);
		free(hosts[i].address);
	}
	free(hosts);
}

/* ------------------------------------------------------------ texts */

static int finish(FILE *f, char **out, struct berth_error *err)
{
	if (fclose(f) != 0) {
		free(*out);
		*out = NULL;
		return berth_error_errno(err, ENOMEM, "generated text");
	}
	return 0;
}

int berth_sshd_config_text(unsigned port, const char *user, unsigned split, char **out,
			   struct berth_error *err)
{
	size_t size;
	FILE *f = open_memstream(out, &size);

	if (!f)
		return berth_error_errno(err, errno, "sshd_config");
	fprintf(f,
		"# Generated by berth: the job's sshd, running as %s inside the container.\n"
		"Port %u\n"
		"HostKey " BERTH_SSH_CTR_JOB "/ssh_host_ed25519_key\n"
		"AuthorizedKeysFile " BERTH_SSH_CTR_JOB "/authorized_keys\n"
		"AllowUsers %s\n"
		"PermitRootLogin no\n"
		"PasswordAuthentication no\n"
		"KbdInteractiveAuthentication no\n"
		"HostbasedAuthentication no\n"
		"GSSAPIAuthentication no\n"
		"PubkeyAuthentication yes\n"
		"PermitUserEnvironment no\n"
		"UsePAM no\n"
		"StrictModes yes\n"
		"PidFile none\n"
		"UseDNS no\n"
		"PrintMotd no\n"
		"PrintLastLog no\n"
		"X11Forwarding no\n"
		"MaxStartups 64:30:256\n"
		"AcceptEnv LANG LC_*\n"
		"Subsystem sftp internal-sftp\n"
		"LogLevel INFO\n",
		user, port, user);
	if (split & BERTH_SSHD_SPLIT_SESSION)
		fputs("SshdSessionPath " BERTH_SSH_CTR_BUNDLE "/bin/sshd-session\n", f);
	if (split & BERTH_SSHD_SPLIT_AUTH)
		fputs("SshdAuthPath " BERTH_SSH_CTR_BUNDLE "/bin/sshd-auth\n", f);
	return finish(f, out, err);
}

int berth_ssh_client_config_text(unsigned port, const struct berth_sshd_host *hosts, size_t n,
				 char **out, struct berth_error *err)
{
	size_t size;
	FILE *f = open_memstream(out, &size);

	if (!f)
		return berth_error_errno(err, errno, "ssh_config");
	fprintf(f, "# Generated by berth: `ssh <node>` reaches the job's sshd on that node.\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "Host %s%s%s\n    HostName %s\n    HostKeyAlias berth-%s\n", hosts[i].name,
			strcmp(hosts[i].name, hosts[i].address) ? " " : "",
			strcmp(hosts[i].name, hosts[i].address) ? hosts[i].address : "",
			hosts[i].address, hosts[i].name);
	/* Host keys are made per job on each node: a node learns the others'
	 * on first contact (kept in the job's private /tmp, never in ~).
	 * ConnectionAttempts: from Slurm 24.05 each node's sshd starts in its
	 * own extern step, which may come up after the batch script started on
	 * the first node; an mpirun over ssh at the top of the script must not
	 * see "Connection refused" (ssh retries once a second). */
	fprintf(f, "Host");
	for (size_t i = 0; i < n; i++)
		fprintf(f, " %s%s%s", hosts[i].name, strcmp(hosts[i].name, hosts[i].address) ? " " : "",
			strcmp(hosts[i].name, hosts[i].address) ? hosts[i].address : "");
	fprintf(f,
		"\n"
		"    Port %u\n"
		"    IdentityFile ~/.ssh/" BERTH_SSH_USER_KEY_NAME "\n"
		"    IdentitiesOnly yes\n"
		"    PasswordAuthentication no\n"
		"    KbdInteractiveAuthentication no\n"
		"    StrictHostKeyChecking accept-new\n"
		"    ConnectionAttempts " BERTH_SSH_CONNECT_ATTEMPTS "\n"
		"    UserKnownHostsFile /tmp/.berth_known_hosts\n"
		"    GlobalKnownHostsFile /dev/null\n"
		"    LogLevel ERROR\n",
		port);
	return finish(f, out, err);
}

int berth_sshd_hostsfile_text(const struct berth_sshd_host *hosts, size_t n,
			      enum berth_hostsfile_syntax syntax, char **out, struct berth_error *err)
{
	size_t size;
	FILE *f = open_memstream(out, &size);

	if (!f)
		return berth_error_errno(err, errno, "hostsfile");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s%u\n", hosts[i].name, syntax == BERTH_HOSTSFILE_HYDRA ? ":" : " slots=",
			hosts[i].tasks ? hosts[i].tasks : 1);
	return finish(f, out, err);
}

const struct berth_env_default berth_ssh_launcher_env[] = {
	/* Open MPI 4 (ORTE): launch orted over ssh, slots from the hostfile */
	{ "OMPI_MCA_plm", "rsh", NULL },
	{ "OMPI_MCA_ras", "^slurm", NULL },
	{ "OMPI_MCA_orte_default_hostfile", BERTH_SSH_CTR_HOSTSFILE, NULL },
	/* Open MPI 5 (PRRTE) */
	{ "PRTE_MCA_plm", "ssh", NULL },
	{ "PRTE_MCA_ras", "^slurm", NULL },
	{ "PRTE_MCA_prte_default_hostfile", BERTH_SSH_CTR_HOSTSFILE, NULL },
	/* MPICH (hydra) */
	{ "HYDRA_BOOTSTRAP", "ssh", "slurm" },
	{ "HYDRA_LAUNCHER", "ssh", "slurm" },
	{ "HYDRA_LAUNCHER_EXTRA_ARGS", NULL, "--external-launcher" },
	{ "HYDRA_HOST_FILE", BERTH_SSH_CTR_HOSTSFILE_MPICH, NULL },
	/* Intel MPI (hydra) */
	{ "I_MPI_HYDRA_BOOTSTRAP", "ssh", "slurm" },
	{ "I_MPI_HYDRA_BOOTSTRAP_EXEC_EXTRA_ARGS", NULL, "--external-launcher" },
	{ "I_MPI_HYDRA_HOST_FILE", BERTH_SSH_CTR_HOSTSFILE_MPICH, NULL },
};
const size_t berth_ssh_launcher_env_count = sizeof(berth_ssh_launcher_env) / sizeof(berth_ssh_launcher_env[0]);

bool berth_ssh_launcher_change(const struct berth_env_default *d, const char *current, const char **value)
{
	if (current && !(d->slurm_value && strcmp(current, d->slurm_value) == 0))
		return false;   /* the job's or the image's own choice */
	if (!current && !d->value)
		return false;
	*value = d->value;
	return true;
}

int berth_sshd_etc_hosts_text(const struct berth_sshd_host *hosts, size_t n, char **out,
			      struct berth_error *err)
{
	size_t size;
	FILE *f = open_memstream(out, &size);

	if (!f)
		return berth_error_errno(err, errno, "/etc/hosts");
	fprintf(f, "# berth: the job's nodes\n");
	for (size_t i = 0; i < n; i++)
		if (strcmp(hosts[i].name, hosts[i].address) != 0)
			fprintf(f, "%s %s\n", hosts[i].address, hosts[i].name);
	return finish(f, out, err);
}

int berth_ssh_wrapper_text(char **out, struct berth_error *err)
{
	if (asprintf(out,
		     "#!/bin/sh\n"
		     "# berth: the job's ssh client, through its own loader and libraries\n"
		     "exec " BERTH_SSH_CTR_BUNDLE "/ld.so --inhibit-cache --library-path "
		     BERTH_SSH_CTR_BUNDLE "/lib " BERTH_SSH_CTR_BUNDLE "/bin/ssh \"$@\"\n") < 0) {
		*out = NULL;
		return berth_error_errno(err, ENOMEM, "ssh wrapper");
	}
	return 0;
}

int berth_ssh_refused_text(const char *reason, char **out, struct berth_error *err)
{
	char safe[512];
	size_t i;

	for (i = 0; reason[i] && i < sizeof(safe) - 1; i++)
		safe[i] = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;()/_-=+",
				 reason[i]) ? reason[i] : '?';
	safe[i] = '\0';
	if (asprintf(out,
		     "#!/bin/sh\n"
		     "# berth: this job has no sshd\n"
		     "echo 'berth: %s' >&2\n"
		     "exit 255\n",
		     safe) < 0) {
		*out = NULL;
		return berth_error_errno(err, ENOMEM, "ssh wrapper");
	}
	return 0;
}
