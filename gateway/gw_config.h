/*
 * gw_config.h - berth-gateway.conf, the gateway's configuration (admin
 * written, trusted).  Parsed with the one config parser (common/
 * conf_parser.h); documented in doc/berth-gateway.conf.5.
 */
#ifndef BERTH_GW_CONFIG_H_
#define BERTH_GW_CONFIG_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "berth_error.h"
#include "berth_log.h"
#include "conf_parser.h"

struct gw_config {
	/* HTTP */
	char *listen;               /* "ADDR:PORT", default "127.0.0.1:7050" */
	unsigned http_threads;      /* MHD thread pool, default 4 */
	uint64_t header_timeout_ms; /* idle limit until the headers are in, default 10s */
	uint64_t body_timeout_ms;   /* idle limit while a body arrives, default 60s */
	unsigned connection_limit;  /* TCP listener, default 1000 */
	unsigned per_ip_connection_limit; /* per client address, default 64 (0: none) */
	char *proxy_socket;         /* UNIX socket for the trusted proxy, "" none */
	char *proxy_socket_mode;    /* octal text, default "0660" */
	unsigned proxy_connection_limit; /* default 256 */
	char *metrics_listen;       /* "ADDR:PORT" of GET /metrics, "" none (default) */
	char *munge_socket;         /* munged socket, "" = libmunge default */
	char *trusted_proxy_uids;   /* comma list of uids/names, default "" */
	char *admin_uids;           /* comma list, default "" (uid 0 always admin) */
	char *import_uids;          /* comma list, default "" (admins always) */
	uint64_t import_max_size;   /* bytes, default 64G */
	/* storage */
	char *image_dir;            /* shared: <digest>.sqfs + .json (published) */
	char *state_dir;            /* gateway-private: gateway.db, layers/, tmp/ */
	uint64_t layer_cache_max;   /* bytes of cached layer blobs, default 50G (LRU) */
	uint64_t expire_after_ms;   /* autoexpire: not looked up for this long, default 30d */
	uint64_t autoexpire_interval_ms; /* the service runs autoexpire this often, 1h; 0 never */
	/* jobs waiting for an image (gw_waiting.h) */
	bool release_waiting_jobs;  /* default no */
	char *slurm_conf;           /* "" libslurm's default */
	uint64_t waiting_poll_ms;   /* default 500ms */
	/* work */
	unsigned workers;           /* concurrent pulls/imports, default 2 */
	unsigned queue_max;         /* queued pulls before 503, default 256 */
	/* registry client (gateway/registry.h) */
	char *platform;             /* default "linux/amd64" */
	char *insecure_registries;  /* comma list of host[:port] reached over http */
	char *registry_allow;       /* comma list of host[:port] or *, default "*" */
	char *registry_redirect_allow; /* comma list of host[:port], default "" */
	char *ca_file;              /* "" = system bundle */
	uint64_t connect_timeout_ms;/* default 10s */
	uint64_t request_timeout_ms;/* manifests/tokens, default 60s */
	unsigned retries;           /* default 3 */
	char *credentials_file;     /* site credentials JSON {"registry":{"username":..,"password":..}}, "" none */
	/* conversion (gateway/flatten.h) */
	char *compressor;           /* default "zstd" */
	unsigned compression_level; /* 0 = compressor default */
	uint64_t block_size;        /* default 128K */
	unsigned compress_workers;  /* 0 = all CPUs */
	/* the daemon (gw_main.c) */
	bool allow_root;            /* run as root anyway, default no */
	char *pid_file;             /* "" none */
	char *log_file;             /* "" stderr (-f) or syslog */
	char *log_level;            /* error, info (default), verbose, debug */
	/* derived by gw_config_load(): parsed lists */
	uid_t *proxy_uid_list;  size_t proxy_uid_count;
	uid_t *admin_uid_list;  size_t admin_uid_count;
	uid_t *import_uid_list; size_t import_uid_count;
	char **insecure_list;       /* NULL-terminated */
	char **allow_list;          /* registry_allow, NULL-terminated */
	char **redirect_allow_list; /* registry_redirect_allow, NULL-terminated */
	mode_t proxy_socket_perm;   /* proxy_socket_mode parsed */
};

extern const struct berth_conf_key gw_config_schema[];

/* Defaults, then the file at path (missing file is an error), then the
 * derived lists (names resolved with getpwnam_r; unknown name is an error). */
int gw_config_load(const char *path, struct gw_config *cfg, struct berth_error *err);
void gw_config_free(struct gw_config *cfg);

/* log_level's value -> level; -1 if unknown. */
int gw_config_log_level(const char *name, enum berth_log_level *level);

#endif
