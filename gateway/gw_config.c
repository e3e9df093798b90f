/*
 * gw_config.c - see gw_config.h.
 */
#include <errno.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include "gw_config.h"

#define GWC(field) offsetof(struct gw_config, field)

const struct berth_conf_key gw_config_schema[] = {
	{ "listen", BERTH_CONF_STRING, GWC(listen), "127.0.0.1:7050", 0, 0,
	  "ADDR:PORT the HTTP API listens on" },
	{ "http_threads", BERTH_CONF_UINT, GWC(http_threads), "4", 1, 64,
	  "threads answering HTTP requests" },
	{ "header_timeout", BERTH_CONF_DURATION, GWC(header_timeout_ms), "10s", 0, 0,
	  "a connection idle this long before its request headers are complete is closed" },
	{ "body_timeout", BERTH_CONF_DURATION, GWC(body_timeout_ms), "60s", 0, 0,
	  "a connection idle this long while a request body arrives is closed" },
	{ "connection_limit", BERTH_CONF_UINT, GWC(connection_limit), "1000", 16, 1000000,
	  "connections the TCP listener serves at once (more are closed at once)" },
	{ "per_ip_connection_limit", BERTH_CONF_UINT, GWC(per_ip_connection_limit), "64", 0, 1000000,
	  "connections one client address may hold on the TCP listener (0: no limit)" },
	{ "proxy_socket", BERTH_CONF_STRING, GWC(proxy_socket), "", 0, 0,
	  "UNIX socket with its own threads for the trusted proxy (slurmctld); empty: none" },
	{ "proxy_socket_mode", BERTH_CONF_STRING, GWC(proxy_socket_mode), "0660", 0, 0,
	  "permission bits of proxy_socket (octal)" },
	{ "proxy_connection_limit", BERTH_CONF_UINT, GWC(proxy_connection_limit), "256", 16, 1000000,
	  "connections proxy_socket serves at once" },
	{ "metrics_listen", BERTH_CONF_STRING, GWC(metrics_listen), "", 0, 0,
	  "ADDR:PORT of GET /metrics (Prometheus text format, no authentication); empty: none" },
	{ "munge_socket", BERTH_CONF_STRING, GWC(munge_socket), "", 0, 0,
	  "munged socket to decode credentials with (empty: libmunge default)" },
	{ "trusted_proxy_uids", BERTH_CONF_STRING, GWC(trusted_proxy_uids), "", 0, 0,
	  "users (names or uids, comma-separated) that may ask on behalf of another uid" },
	{ "admin_uids", BERTH_CONF_STRING, GWC(admin_uids), "", 0, 0,
	  "users that may expire images (root always may)" },
	{ "import_uids", BERTH_CONF_STRING, GWC(import_uids), "", 0, 0,
	  "users that may import locally built images (admins always may)" },
	{ "import_max_size", BERTH_CONF_SIZE, GWC(import_max_size), "64G", 0, 0,
	  "largest import upload" },
	{ "image_dir", BERTH_CONF_PATH, GWC(image_dir), "/var/lib/berth/images", 0, 0,
	  "shared directory the squashfs images and metadata are published in" },
	{ "state_dir", BERTH_CONF_PATH, GWC(state_dir), "/var/lib/berth/gateway", 0, 0,
	  "the gateway's own state: database, layer cache, temporary files" },
	{ "layer_cache_max", BERTH_CONF_SIZE, GWC(layer_cache_max), "50G", 0, 0,
	  "bytes of downloaded layers kept for reuse (least recently used go first)" },
	{ "expire_after", BERTH_CONF_DURATION, GWC(expire_after_ms), "30d", 0, 0,
	  "autoexpire removes images not looked up or pulled for this long" },
	{ "autoexpire_interval", BERTH_CONF_DURATION, GWC(autoexpire_interval_ms), "1h", 0, 0,
	  "how often the daemon runs autoexpire by itself (0: never)" },
	{ "release_waiting_jobs", BERTH_CONF_BOOL, GWC(release_waiting_jobs), "no", 0, 0,
	  "release jobs held for an image (berth.conf auto_pull = wait) when it is READY, cancel them "
	  "when its pull fails; the gateway's user must be a Slurm administrator" },
	{ "slurm_conf", BERTH_CONF_STRING, GWC(slurm_conf), "", 0, 0,
	  "slurm.conf of the cluster whose waiting jobs are released (empty: libslurm's default)" },
	{ "waiting_poll", BERTH_CONF_DURATION, GWC(waiting_poll_ms), "500ms", 0, 0,
	  "how often the states of the waiting jobs' images are checked" },
	{ "workers", BERTH_CONF_UINT, GWC(workers), "2", 1, 64,
	  "pulls and imports converted at the same time" },
	{ "queue_max", BERTH_CONF_UINT, GWC(queue_max), "256", 1, 100000,
	  "queued pulls before new ones are refused (503)" },
	{ "platform", BERTH_CONF_STRING, GWC(platform), "linux/amd64", 0, 0,
	  "platform picked from multi-arch images (os/arch[/variant])" },
	{ "insecure_registries", BERTH_CONF_STRING, GWC(insecure_registries), "", 0, 0,
	  "registries (host[:port], comma-separated) reached over plain http" },
	{ "registry_allow", BERTH_CONF_STRING, GWC(registry_allow), "*", 0, 0,
	  "registries (host[:port], comma-separated) pulls may use; * any at a public address" },
	{ "registry_redirect_allow", BERTH_CONF_STRING, GWC(registry_redirect_allow), "", 0, 0,
	  "other hosts (blob storage, token servers) registries may send the gateway to" },
	{ "ca_file", BERTH_CONF_STRING, GWC(ca_file), "", 0, 0,
	  "CA bundle for https registries (empty: the system's)" },
	{ "connect_timeout", BERTH_CONF_DURATION, GWC(connect_timeout_ms), "10s", 0, 0,
	  "registry connection timeout" },
	{ "request_timeout", BERTH_CONF_DURATION, GWC(request_timeout_ms), "60s", 0, 0,
	  "registry manifest and token request timeout" },
	{ "retries", BERTH_CONF_UINT, GWC(retries), "3", 0, 10,
	  "extra attempts for a failed registry request" },
	{ "credentials_file", BERTH_CONF_STRING, GWC(credentials_file), "", 0, 0,
	  "site registry credentials (JSON, readable by the gateway only)" },
	{ "compressor", BERTH_CONF_STRING, GWC(compressor), "zstd", 0, 0,
	  "squashfs compressor: zstd, gzip, xz, lz4 or lzo" },
	{ "compression_level", BERTH_CONF_UINT, GWC(compression_level), "0", 0, 22,
	  "compression level (0: the compressor's default)" },
	{ "block_size", BERTH_CONF_SIZE, GWC(block_size), "128K", 0, 0,
	  "squashfs block size (4K..1M, a power of two)" },
	{ "compress_workers", BERTH_CONF_UINT, GWC(compress_workers), "0", 0, 256,
	  "compression threads per conversion (0: every CPU)" },
	{ "allow_root", BERTH_CONF_BOOL, GWC(allow_root), "no", 0, 0,
	  "run even when started as root (meant to run as an unprivileged user)" },
	{ "pid_file", BERTH_CONF_STRING, GWC(pid_file), "", 0, 0,
	  "file the daemon writes its pid into and locks (empty: none)" },
	{ "log_file", BERTH_CONF_STRING, GWC(log_file), "", 0, 0,
	  "log file, reopened on SIGHUP (empty: stderr with -f, else syslog)" },
	{ "log_level", BERTH_CONF_STRING, GWC(log_level), "info", 0, 0,
	  "error, info, verbose (also refused requests) or debug (every request)" },
	BERTH_CONF_END
};

/* One entry of a uid list: a number or a user name. */
static int uid_from_word(const char *word, uid_t *uid, struct berth_error *err)
{
	char buf[4096];
	struct passwd pw, *res = NULL;
	char *end;
	unsigned long v;
	int rc;

	if (*word >= '0' && *word <= '9') {
		errno = 0;
		v = strtoul(word, &end, 10);
		if (errno || *end || v >= (unsigned long)(uid_t)-1)
			return berth_error_set(err, EINVAL, "bad uid \"%s\"", word);
		*uid = (uid_t)v;
		return 0;
	}
	rc = getpwnam_r(word, &pw, buf, sizeof(buf), &res);
	if (rc || !res)
		return berth_error_set(err, EINVAL, "unknown user \"%s\"", word);
	*uid = res->pw_uid;
	return 0;
}

static int parse_uid_list(const char *key, const char *text, uid_t **out, size_t *count,
			  struct berth_error *err)
{
	char *copy, *save = NULL, *word;
	int rc = 0;

	*out = NULL;
	*count = 0;
	if (!text || !*text)
		return 0;
	copy = strdup(text);
	if (!copy)
		return berth_error_set(err, ENOMEM, "out of memory");
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		uid_t *grown = realloc(*out, (*count + 1) * sizeof(**out));

		if (!grown) {
			rc = berth_error_set(err, ENOMEM, "out of memory");
			break;
		}
		*out = grown;
		if (uid_from_word(word, &(*out)[*count], err) < 0) {
			rc = berth_error_prefix(err, "%s", key);
			break;
		}
		(*count)++;
	}
	free(copy);
	return rc;
}

static int parse_word_list(const char *text, char ***out, struct berth_error *err)
{
	char *copy, *save = NULL, *word;
	size_t n = 0;

	*out = calloc(1, sizeof(char *));
	copy = strdup(text ? text : "");
	if (!*out || !copy) {
		free(copy);
		return berth_error_set(err, ENOMEM, "out of memory");
	}
	for (word = strtok_r(copy, ", ", &save); word; word = strtok_r(NULL, ", ", &save)) {
		char **grown = realloc(*out, (n + 2) * sizeof(char *));

		if (!grown || !(grown[n] = strdup(word))) {
			if (grown)
				*out = grown;
			free(copy);
			return berth_error_set(err, ENOMEM, "out of memory");
		}
		*out = grown;
		(*out)[++n] = NULL;
	}
	free(copy);
	return 0;
}

int gw_config_log_level(const char *name, enum berth_log_level *level)
{
	static const char *const names[] = { "error", "info", "verbose", "debug" };
	unsigned i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(name, names[i])) {
			*level = (enum berth_log_level)i;
			return 0;
		}
	}
	return -1;
}

/* proxy_socket: an absolute path that fits a sockaddr_un; its mode in octal. */
static int parse_socket(const char *path, struct gw_config *cfg, struct berth_error *err)
{
	struct sockaddr_un sun;
	char *end;
	unsigned long mode;

	if (*cfg->proxy_socket && (*cfg->proxy_socket != '/' ||
				   strlen(cfg->proxy_socket) >= sizeof(sun.sun_path)))
		return berth_error_set(err, EINVAL,
				       "%s: proxy_socket: expected an absolute path under %zu bytes", path,
				       sizeof(sun.sun_path));
	errno = 0;
	mode = strtoul(cfg->proxy_socket_mode, &end, 8);
	if (errno || !*cfg->proxy_socket_mode || *end || mode > 0777)
		return berth_error_set(err, EINVAL,
				       "%s: proxy_socket_mode: expected octal permission bits, got \"%s\"",
				       path, cfg->proxy_socket_mode);
	cfg->proxy_socket_perm = (mode_t)mode;
	return 0;
}

static int derive(const char *path, struct gw_config *cfg, struct berth_error *err)
{
	enum berth_log_level level;

	if (parse_uid_list("trusted_proxy_uids", cfg->trusted_proxy_uids, &cfg->proxy_uid_list,
			   &cfg->proxy_uid_count, err) < 0 ||
	    parse_uid_list("admin_uids", cfg->admin_uids, &cfg->admin_uid_list,
			   &cfg->admin_uid_count, err) < 0 ||
	    parse_uid_list("import_uids", cfg->import_uids, &cfg->import_uid_list,
			   &cfg->import_uid_count, err) < 0 ||
	    parse_word_list(cfg->insecure_registries, &cfg->insecure_list, err) < 0 ||
	    parse_word_list(cfg->registry_allow, &cfg->allow_list, err) < 0 ||
	    parse_word_list(cfg->registry_redirect_allow, &cfg->redirect_allow_list, err) < 0)
		return berth_error_prefix(err, "%s", path);
	if (!*cfg->listen || !strrchr(cfg->listen, ':'))
		return berth_error_set(err, EINVAL, "%s: listen: expected ADDR:PORT, got \"%s\"",
				       path, cfg->listen);
	if (*cfg->metrics_listen && !strrchr(cfg->metrics_listen, ':'))
		return berth_error_set(err, EINVAL, "%s: metrics_listen: expected ADDR:PORT, got \"%s\"",
				       path, cfg->metrics_listen);
	if (parse_socket(path, cfg, err) < 0)
		return -1;
	if (cfg->header_timeout_ms < 1000 || cfg->body_timeout_ms < 1000)
		return berth_error_set(err, EINVAL, "%s: %s: at least 1s", path,
				       cfg->header_timeout_ms < 1000 ? "header_timeout" : "body_timeout");
	if (gw_config_log_level(cfg->log_level, &level) < 0)
		return berth_error_set(err, EINVAL,
				       "%s: log_level: expected error, info, verbose or debug, got \"%s\"",
				       path, cfg->log_level);
	if ((*cfg->pid_file && *cfg->pid_file != '/') || (*cfg->log_file && *cfg->log_file != '/'))
		return berth_error_set(err, EINVAL, "%s: %s: expected an absolute path", path,
				       *cfg->pid_file && *cfg->pid_file != '/' ? "pid_file" : "log_file");
	return 0;
}

int gw_config_load(const char *path, struct gw_config *cfg, struct berth_error *err)
{
	memset(cfg, 0, sizeof(*cfg));
	if (berth_conf_defaults(gw_config_schema, cfg, err) < 0 ||
	    berth_conf_parse_file(gw_config_schema, cfg, path, err) < 0 ||
	    derive(path, cfg, err) < 0) {
		gw_config_free(cfg);
		return -1;
	}
	return 0;
}

void gw_config_free(struct gw_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	berth_conf_free(gw_config_schema, cfg);
	free(cfg->proxy_uid_list);
	free(cfg->admin_uid_list);
	free(cfg->import_uid_list);
	for (i = 0; cfg->insecure_list && cfg->insecure_list[i]; i++)
		free(cfg->insecure_list[i]);
	free(cfg->insecure_list);
	for (i = 0; cfg->allow_list && cfg->allow_list[i]; i++)
		free(cfg->allow_list[i]);
	free(cfg->allow_list);
	for (i = 0; cfg->redirect_allow_list && cfg->redirect_allow_list[i]; i++)
		free(cfg->redirect_allow_list[i]);
	free(cfg->redirect_allow_list);
	memset(cfg, 0, sizeof(*cfg));
}
