/*
 * helper.h - the `berth` command (doc/berth.1): shared state of the
 * subcommands, exit codes, the stored registry logins.
 */
#ifndef BERTH_HELPER_H_
#define BERTH_HELPER_H_

#include <stdbool.h>
#include <stddef.h>

#include "berth_conf.h"
#include "berth_error.h"
#include "gateway_client.h"

/* Exit codes (doc/berth.1). */
enum {
	EXIT_OK = 0,
	EXIT_ERROR = 1,         /* anything else */
	EXIT_USAGE = 2,         /* bad command line */
	EXIT_NOT_FOUND = 3,     /* unknown image (or not visible to you) */
	EXIT_NOT_READY = 4,     /* image not READY: in progress, FAILURE, EXPIRED */
	EXIT_UNREACHABLE = 5,   /* gateway unreachable, timed out or unavailable (503) */
	EXIT_DENIED = 6,        /* not allowed (credential rejected, admin/import only) */
};

/* Per-request time limits of the helper (the gateway is asked in one go). */
#define HELPER_TIMEOUT_MS        30000L
#define HELPER_PULL_TIMEOUT_MS   300000L    /* the manifest is resolved synchronously */
#define HELPER_IMPORT_TIMEOUT_MS 86400000L  /* the whole upload */

struct helper {
	const char *gateway_arg;    /* --gateway */
	const char *config_arg;     /* --config */
	struct berth_config cfg;
	bool cfg_loaded;
	const char *url;            /* chosen gateway URL */
};

/* berth.conf (--config, $BERTH_CONF, beside $SLURM_CONF, default), once. */
int helper_config(struct helper *h, struct berth_error *err);
/* Gateway options: URL from --gateway, $BERTH_GATEWAY or gateway_url. */
int helper_gateway(struct helper *h, long timeout_ms, struct berth_gateway_opts *gw,
		   struct berth_error *err);

/* Print "berth: <msg>" on stderr; returns the exit code for err->code. */
int helper_fail(const struct berth_error *err);
int helper_exit_code(int code);
/* "berth: <cmd>: <message>" for usage errors; returns EXIT_USAGE. */
int helper_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Commands: argv[0] is the command name. */
int cmd_pull(struct helper *h, int argc, char **argv);
int cmd_import(struct helper *h, int argc, char **argv);
int cmd_images(struct helper *h, int argc, char **argv);
int cmd_lookup(struct helper *h, int argc, char **argv);
int cmd_expire(struct helper *h, int argc, char **argv);
int cmd_login(struct helper *h, int argc, char **argv);
int cmd_logout(struct helper *h, int argc, char **argv);
int cmd_check(struct helper *h, int argc, char **argv);

/* Follow a pull/import until READY or FAILURE (progress on a TTY). */
int helper_wait(struct helper *h, const struct berth_gateway_image *first);
/* "1.5 MiB" */
void helper_human_size(unsigned long long bytes, char *buf, size_t size);

/* ---- stored logins: ~/.config/berth/auth.json (auth_store.c) ---- */
#define AUTH_REGISTRY_MAX 256
#define AUTH_FIELD_MAX    4096

struct auth_entry {
	char registry[AUTH_REGISTRY_MAX];
	char username[AUTH_FIELD_MAX];
	char password[AUTH_FIELD_MAX];
};

/* "index.docker.io", "https://Reg:5000/" -> "docker.io", "reg:5000". */
int auth_registry_normalize(const char *text, char *buf, size_t size, struct berth_error *err);
/* The file's path ($XDG_CONFIG_HOME or $HOME/.config)/berth/auth.json. */
int auth_file_path(char *buf, size_t size, struct berth_error *err);
/* Login stored for registry: 1 found, 0 none, -1 error.  Wipe with
 * auth_entry_wipe. */
int auth_find(const char *path, const char *registry, struct auth_entry *out,
	      struct berth_error *err);
/* Add/replace (password != NULL) or remove (NULL) an entry; the file is
 * written atomically with mode 0600.  *existed: there was an entry. */
int auth_update(const char *path, const char *registry, const char *username,
		const char *password, bool *existed, struct berth_error *err);
void auth_entry_wipe(struct auth_entry *entry);

#endif
