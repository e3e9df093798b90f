/*
 * env_rules.h - the site's task environment rules from berth.conf (and
 * module files): lists of variable names turned into the KEEP / SET / UNSET
 * rules of task_entry.h, applied after the image's Env.
 *
 *   env_keep = NAME[*][,NAME[*]...]       the job's value wins over the image's
 *   env_drop = NAME[*][,NAME[*]...]       removed from the task's environment
 *   env_set  = NAME=value[;NAME=value...] set (modules' "env" key uses this)
 *
 * Order: keeps, then sets, then drops (a name both kept and dropped is
 * dropped).  SLURM_*, SLURMD_* and PMI* (PMI_*, PMIX_*) are always kept: an
 * env_drop pattern that could match one of them, or an env_set of one, is a
 * configuration error.
 */
#ifndef BERTH_ENV_RULES_H_
#define BERTH_ENV_RULES_H_

#include <stddef.h>

#include "berth_error.h"
#include "task_env.h"

struct berth_env_rules {
	struct berth_env_rule *items;
	size_t count;
};

#define BERTH_ENV_RULES_INIT { NULL, 0 }

/* Append the rules of one key's value (any may be NULL or empty); key names
 * the config key in messages ("env_drop"). */
int berth_env_rules_add_names(struct berth_env_rules *rules, enum berth_env_rule_kind kind,
			      const char *list, const char *key, struct berth_error *err);
int berth_env_rules_add_sets(struct berth_env_rules *rules, const char *list, const char *key,
			     struct berth_error *err);

void berth_env_rules_free(struct berth_env_rules *rules);

#endif
