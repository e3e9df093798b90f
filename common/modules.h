/*
 * modules.h - site container modules (--module NAME[,NAME...]).
 *
 * The admin defines each module as <modules_dir>/<NAME>.conf (berth.conf
 * modules_dir), read with the common config parser:
 *
 *   description = one line for users
 *   mounts = SRC:DST[:ro|rw|rec];...   extra site mounts (site_fs syntax)
 *   env = NAME=value;...               set in every task (after the image's
 *                                      Env and the site's env_keep/env_set)
 *
 * "none" alone means no module.  An unknown name is an error naming the
 * modules the site offers; a module file that does not parse is an error
 * too (the admin's, reported to whoever asked for it).
 */
#ifndef BERTH_MODULES_H_
#define BERTH_MODULES_H_

#include "berth_conf.h"
#include "berth_error.h"

struct berth_modules {
	char *mounts;   /* every module's mounts joined with ';', or NULL */
	char *env;      /* every module's env joined with ';', or NULL */
};

#define BERTH_MODULES_INIT { NULL, NULL }

/* Load and check the modules of names (a validated comma list, or NULL). */
int berth_modules_load(const struct berth_config *cfg, const char *names, struct berth_modules *out,
		       struct berth_error *err);

void berth_modules_free(struct berth_modules *modules);

#endif
