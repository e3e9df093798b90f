/*
 * env_rules.c - see env_rules.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_rules.h"

static const char *const always_kept[] = { "SLURM_", "SLURMD_", "PMI" };

/* Could NAME (or NAME* when pattern) name a variable tasks always keep? */
static bool hits_always_kept(const char *name, bool pattern)
{
	size_t len = strlen(name);

	if (pattern && len && name[len - 1] == '*')
		len--;
	else
		pattern = false;
	for (size_t i = 0; i < sizeof(always_kept) / sizeof(always_kept[0]); i++) {
		size_t plen = strlen(always_kept[i]);

		if (len >= plen && strncmp(name, always_kept[i], plen) == 0)
			return true;
		/* "S*" or "PM*" would match SLURM_... or PMIX_... too */
		if (pattern && len < plen && strncmp(name, always_kept[i], len) == 0)
			return true;
	}
	return false;
}

static int append(struct berth_env_rules *rules, const char *text, const char *key, struct berth_error *err)
{
	struct berth_env_rule rule, *grown;

	if (berth_env_rule_parse(text, &rule, err) < 0)
		return berth_error_prefix(err, "%s", key);
	if (rule.kind != BERTH_ENV_RULE_KEEP && hits_always_kept(rule.name, rule.kind == BERTH_ENV_RULE_UNSET)) {
		char shown[BERTH_QUOTE_SIZE];

		berth_error_set(err, EINVAL, "%s: \"%s\" would change SLURM_*, SLURMD_* or PMI* variables, "
				"which tasks always keep", key, berth_error_quote(shown, rule.name, strlen(rule.name)));
		berth_env_rule_free(&rule);
		return -1;
	}
	if (!(grown = realloc(rules->items, (rules->count + 1) * sizeof(*grown)))) {
		berth_env_rule_free(&rule);
		return berth_error_errno(err, ENOMEM, "%s", key);
	}
	rules->items = grown;
	rules->items[rules->count++] = rule;
	return 0;
}

static int add_list(struct berth_env_rules *rules, const char *word, const char *list, char sep,
		    const char *key, struct berth_error *err)
{
	char *copy, *save = NULL, *item, *text;
	char seps[3] = { sep, sep == ',' ? ' ' : '\0', '\0' };
	int rc = 0;

	if (!list || !*list)
		return 0;
	if (!(copy = strdup(list)))
		return berth_error_errno(err, ENOMEM, "%s", key);
	for (item = strtok_r(copy, seps, &save); item && rc == 0; item = strtok_r(NULL, seps, &save)) {
		while (*item == ' ' || *item == '\t')
			item++;
		if (!*item)
			continue;
		if (asprintf(&text, "%s%s", word, item) < 0) {
			rc = berth_error_errno(err, ENOMEM, "%s", key);
			break;
		}
		rc = append(rules, text, key, err);
		free(text);
	}
	free(copy);
	return rc;
}

int berth_env_rules_add_names(struct berth_env_rules *rules, enum berth_env_rule_kind kind,
			      const char *list, const char *key, struct berth_error *err)
{
	if (kind == BERTH_ENV_RULE_SET)
		return berth_error_set(err, EINVAL, "%s: names only (KEEP or UNSET)", key);
	return add_list(rules, kind == BERTH_ENV_RULE_KEEP ? "KEEP=" : "UNSET=", list, ',', key, err);
}

int berth_env_rules_add_sets(struct berth_env_rules *rules, const char *list, const char *key,
			     struct berth_error *err)
{
	return add_list(rules, "SET=", list, ';', key, err);
}

void berth_env_rules_free(struct berth_env_rules *rules)
{
	for (size_t i = 0; i < rules->count; i++)
		berth_env_rule_free(&rules->items[i]);
	free(rules->items);
	rules->items = NULL;
	rules->count = 0;
}
