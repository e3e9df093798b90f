/*
 * task_env.c - see task_env.h.
 *
 * The environment is decided per name by one function (final_value) over
 * the union of the names in the job env, the image env, the site SET rules
 * and PATH, so the rules are applied the same way to every name and the
 * cost stays O((job + image) * (log + rules)) even for huge job envs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "task_env.h"

#define SHOWN_SIZE BERTH_QUOTE_SIZE           /* untrusted text quoted in a message */

/* One NAME=value of an environment, pointing into its string. */
struct env_entry {
	const char *name;
	size_t name_len;
	const char *value;
	size_t index;         /* position in the input: the first of a name wins */
};

struct env_view {
	struct env_entry *items;
	size_t count;
};

static const char *const protected_prefixes[] = { "SLURM_", "SLURMD_", "PMI" };
static const char *const protected_names[] = { "HOME", "USER", "LOGNAME" };
static const char *const host_only_names[] = { "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT" };

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static bool name_is(const char *name, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(name, word, len) == 0;
}

static bool name_in(const char *name, size_t len, const char *const *words, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (name_is(name, len, words[i]))
			return true;
	return false;
}

static bool is_protected(const char *name, size_t len)
{
	for (size_t i = 0; i < COUNT(protected_prefixes); i++) {
		size_t plen = strlen(protected_prefixes[i]);

		if (len >= plen && memcmp(name, protected_prefixes[i], plen) == 0)
			return true;
	}
	return name_in(name, len, protected_names, COUNT(protected_names));
}

static int compare_names(const char *a, size_t alen, const char *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);

	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

static int compare_entries(const void *pa, const void *pb)
{
	const struct env_entry *a = pa, *b = pb;
	int c = compare_names(a->name, a->name_len, b->name, b->name_len);

	if (c)
		return c;
	return a->index < b->index ? -1 : a->index > b->index;
}

/* A sorted view of a NULL-terminated env (or count entries), first of each
 * name kept, entries without '=' skipped. */
static int env_view_make(const char *const *env, size_t count, struct env_view *view)
{
	size_t n = 0;

	view->items = NULL;
	view->count = 0;
	if (env && count == SIZE_MAX)
		for (count = 0; env[count]; count++)
			;
	if (!env || count == 0)
		return 0;
	if (!(view->items = calloc(count, sizeof(*view->items))))
		return -1;
	for (size_t i = 0; i < count; i++) {
		const char *eq = env[i] ? strchr(env[i], '=') : NULL;

		if (!eq)
			continue;
		view->items[n++] = (struct env_entry){ env[i], (size_t)(eq - env[i]), eq + 1, i };
	}
	qsort(view->items, n, sizeof(*view->items), compare_entries);
	for (size_t i = 0; i < n; i++)
		if (view->count == 0 ||
		    compare_names(view->items[view->count - 1].name, view->items[view->count - 1].name_len,
				  view->items[i].name, view->items[i].name_len) != 0)
			view->items[view->count++] = view->items[i];
	return 0;
}

static const char *env_view_get(const struct env_view *view, const char *name, size_t len)
{
	size_t lo = 0, hi = view->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = compare_names(view->items[mid].name, view->items[mid].name_len, name, len);

		if (c == 0)
			return view->items[mid].value;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* ------------------------------------------------------------ rules */

const char *berth_env_reason_name(enum berth_env_reason reason)
{
	static const char *const names[] = {   /* in enum order */
		"host-only variable", "default PATH", "image", "site KEEP", "site SET", "site UNSET",
	};

	return (unsigned)reason < COUNT(names) ? names[reason] : "?";
}

static bool rule_matches(const struct berth_env_rule *rule, const char *name, size_t len)
{
	size_t rlen = strlen(rule->name);

	if (rlen > 0 && rule->name[rlen - 1] == '*')
		return len >= rlen - 1 && memcmp(name, rule->name, rlen - 1) == 0;
	return name_is(name, len, rule->name);
}

/* NAME, or NAME* when a pattern is allowed. */
static bool rule_name_valid(const char *name, bool pattern)
{
	size_t len = strlen(name);

	if (pattern && len > 1 && name[len - 1] == '*')
		len--;
	return berth_env_name_valid(name, len);
}

int berth_env_rule_check(const struct berth_env_rule *rule, size_t index, struct berth_error *err)
{
	char s[SHOWN_SIZE];

	if (rule->kind != BERTH_ENV_RULE_KEEP && rule->kind != BERTH_ENV_RULE_SET &&
	    rule->kind != BERTH_ENV_RULE_UNSET)
		return berth_error_set(err, EINVAL, "env rule %zu: unknown kind %d", index, (int)rule->kind);
	if (!rule->name)
		return berth_error_set(err, EINVAL, "env rule %zu: no name", index);
	if (!rule_name_valid(rule->name, rule->kind != BERTH_ENV_RULE_SET))
		return berth_error_set(err, EINVAL, "env rule %zu: invalid variable name \"%s\"", index,
				       berth_error_quote(s, rule->name, strlen(rule->name)));
	if (rule->kind == BERTH_ENV_RULE_SET && !rule->value)
		return berth_error_set(err, EINVAL, "env rule %zu: SET without a value", index);
	return 0;
}

int berth_env_rule_parse(const char *text, struct berth_env_rule *rule, struct berth_error *err)
{
	static const struct { const char *word; enum berth_env_rule_kind kind; } kinds[] = {
		{ "KEEP=", BERTH_ENV_RULE_KEEP },
		{ "SET=", BERTH_ENV_RULE_SET },
		{ "UNSET=", BERTH_ENV_RULE_UNSET },
	};
	char s[SHOWN_SIZE], n[SHOWN_SIZE], *copy, *eq;
	size_t i = 0;

	memset(rule, 0, sizeof(*rule));
	while (i < COUNT(kinds) && strncmp(text, kinds[i].word, strlen(kinds[i].word)) != 0)
		i++;
	berth_error_quote(s, text, strlen(text));
	if (i == COUNT(kinds))
		return berth_error_set(err, EINVAL, "env rule \"%s\": expected KEEP=NAME, SET=NAME=value "
				       "or UNSET=NAME", s);
	if (!(copy = strdup(text + strlen(kinds[i].word))))
		return berth_error_errno(err, ENOMEM, "env rule \"%s\"", s);
	rule->kind = kinds[i].kind;
	rule->name = copy;
	if (rule->kind == BERTH_ENV_RULE_SET) {
		if (!(eq = strchr(copy, '='))) {
			berth_env_rule_free(rule);
			return berth_error_set(err, EINVAL, "env rule \"%s\": expected SET=NAME=value", s);
		}
		*eq = '\0';
		rule->value = eq + 1;
	}
	if (!rule_name_valid(copy, rule->kind != BERTH_ENV_RULE_SET)) {
		berth_error_set(err, EINVAL, "env rule \"%s\": invalid variable name \"%s\"", s,
				berth_error_quote(n, copy, strlen(copy)));
		berth_env_rule_free(rule);
		return -1;
	}
	return 0;
}

void berth_env_rule_free(struct berth_env_rule *rule)
{
	if (!rule)
		return;
	free((char *)rule->name);   /* value points into the same block */
	memset(rule, 0, sizeof(*rule));
}

/* ------------------------------------------------------------ changes */

struct env_inputs {
	struct env_view job, image;
	const struct berth_env_rule *rules;
	size_t nrules;
};

/* The final value of one name (NULL: unset) and why; *changed when it
 * differs from the job's. */
static const char *final_value(const struct env_inputs *in, const char *name, size_t len,
			       enum berth_env_reason *reason, bool *changed)
{
	const char *job = env_view_get(&in->job, name, len), *image, *value = job;

	if (name_in(name, len, host_only_names, COUNT(host_only_names))) {
		value = NULL;
		*reason = BERTH_ENV_BY_HOST_ONLY;
	}
	if (name_is(name, len, "PATH")) {
		value = BERTH_TASK_DEFAULT_PATH;
		*reason = BERTH_ENV_BY_DEFAULT_PATH;
	}
	if (!is_protected(name, len) && (image = env_view_get(&in->image, name, len))) {
		value = image;
		*reason = BERTH_ENV_BY_IMAGE;
	}
	for (size_t i = 0; i < in->nrules; i++) {
		const struct berth_env_rule *rule = &in->rules[i];

		if (!rule_matches(rule, name, len) || (rule->kind == BERTH_ENV_RULE_KEEP && !job))
			continue;
		value = rule->kind == BERTH_ENV_RULE_KEEP ? job :
			rule->kind == BERTH_ENV_RULE_SET ? rule->value : NULL;
		*reason = rule->kind == BERTH_ENV_RULE_KEEP ? BERTH_ENV_BY_SITE_KEEP :
			  rule->kind == BERTH_ENV_RULE_SET ? BERTH_ENV_BY_SITE_SET : BERTH_ENV_BY_SITE_UNSET;
	}
	*changed = value ? !job || strcmp(value, job) != 0 : job != NULL;
	return value;
}

static int add_change(struct berth_env_changes *out, const char *name, size_t len,
		      const char *value, enum berth_env_reason reason)
{
	struct berth_env_change *c = &out->items[out->count];

	if (!(c->name = strndup(name, len)))
		return -1;
	if (value && !(c->value = strdup(value))) {
		free(c->name);
		return -1;
	}
	c->op = value ? BERTH_ENV_OP_SET : BERTH_ENV_OP_UNSET;
	c->reason = reason;
	out->count++;
	return 0;
}

static int consider(const struct env_inputs *in, const char *name, size_t len,
		    struct berth_env_changes *out)
{
	enum berth_env_reason reason = BERTH_ENV_BY_IMAGE;
	bool changed;
	const char *value = final_value(in, name, len, &reason, &changed);

	return changed ? add_change(out, name, len, value, reason) : 0;
}

static bool already_considered(const struct env_inputs *in, const struct berth_env_changes *out,
			       const char *name, size_t len)
{
	if (env_view_get(&in->job, name, len) || env_view_get(&in->image, name, len))
		return true;
	for (size_t i = 0; i < out->count; i++)
		if (name_is(name, len, out->items[i].name))
			return true;
	return false;
}

static int compare_changes(const void *pa, const void *pb)
{
	return strcmp(((const struct berth_env_change *)pa)->name,
		      ((const struct berth_env_change *)pb)->name);
}

/* Walk the union of job and image names (both sorted), then the names only
 * SET rules and PATH bring in. */
static int collect_changes(const struct env_inputs *in, struct berth_env_changes *out)
{
	size_t i = 0, j = 0;

	while (i < in->job.count || j < in->image.count) {
		const struct env_entry *a = i < in->job.count ? &in->job.items[i] : NULL;
		const struct env_entry *b = j < in->image.count ? &in->image.items[j] : NULL;
		int c = !a ? 1 : !b ? -1 : compare_names(a->name, a->name_len, b->name, b->name_len);
		const struct env_entry *e = c <= 0 ? a : b;

		i += c <= 0;
		j += c >= 0;
		if (consider(in, e->name, e->name_len, out) < 0)
			return -1;
	}
	for (size_t r = 0; r <= in->nrules; r++) {
		const char *name = r < in->nrules ? in->rules[r].name : "PATH";

		if (r < in->nrules && in->rules[r].kind != BERTH_ENV_RULE_SET)
			continue;
		if (!already_considered(in, out, name, strlen(name)) &&
		    consider(in, name, strlen(name), out) < 0)
			return -1;
	}
	qsort(out->items, out->count, sizeof(*out->items), compare_changes);
	return 0;
}

static int check_image_env(const struct berth_image_meta *meta, struct berth_error *err)
{
	char s[SHOWN_SIZE];

	for (size_t i = 0; meta && i < meta->env_count; i++) {
		const char *e = meta->env[i], *eq = e ? strchr(e, '=') : NULL;

		if (!eq || !berth_env_name_valid(e, (size_t)(eq - e)))
			return berth_error_set(err, EINVAL, "image env entry %zu \"%s\" is not NAME=value",
					       i, e ? berth_error_quote(s, e, strlen(e)) : "");
	}
	return 0;
}

int berth_task_env_changes(const char *const *job_env, const struct berth_image_meta *meta,
			   const struct berth_env_rule *rules, size_t nrules,
			   struct berth_env_changes *out, struct berth_error *err)
{
	struct env_inputs in = { { NULL, 0 }, { NULL, 0 }, rules, nrules };
	size_t max;
	int rc = -1;

	out->items = NULL;
	out->count = 0;
	for (size_t i = 0; i < nrules; i++)
		if (berth_env_rule_check(&rules[i], i + 1, err) < 0)
			return -1;
	if (check_image_env(meta, err) < 0)
		return -1;
	if (env_view_make(job_env, SIZE_MAX, &in.job) < 0 ||
	    env_view_make(meta ? (const char *const *)meta->env : NULL, meta ? meta->env_count : 0,
			  &in.image) < 0) {
		berth_error_errno(err, ENOMEM, "task environment");
		goto out;
	}
	max = in.job.count + in.image.count + nrules + 1;
	if (!(out->items = calloc(max, sizeof(*out->items)))) {
		berth_error_errno(err, ENOMEM, "task environment");
		goto out;
	}
	if (collect_changes(&in, out) < 0) {
		berth_error_errno(err, ENOMEM, "task environment");
		berth_env_changes_free(out);
		goto out;
	}
	rc = 0;
out:
	free(in.job.items);
	free(in.image.items);
	return rc;
}

void berth_env_changes_free(struct berth_env_changes *changes)
{
	if (!changes)
		return;
	for (size_t i = 0; i < changes->count; i++) {
		free(changes->items[i].name);
		free(changes->items[i].value);
	}
	free(changes->items);
	changes->items = NULL;
	changes->count = 0;
}

static const struct berth_env_change *find_change(const struct berth_env_changes *changes,
						  const char *name, size_t len)
{
	size_t lo = 0, hi = changes ? changes->count : 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const char *n = changes->items[mid].name;
		int c = compare_names(n, strlen(n), name, len);

		if (c == 0)
			return &changes->items[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *berth_task_env_value(const char *const *job_env,
				 const struct berth_env_changes *changes, const char *name)
{
	const struct berth_env_change *c = find_change(changes, name, strlen(name));
	size_t len = strlen(name);

	if (c)
		return c->value;
	for (size_t i = 0; job_env && job_env[i]; i++)
		if (strncmp(job_env[i], name, len) == 0 && job_env[i][len] == '=')
			return job_env[i] + len + 1;
	return NULL;
}

static bool entry_changed(const struct berth_env_changes *changes, const char *entry)
{
	const char *eq = strchr(entry, '=');

	return eq && find_change(changes, entry, (size_t)(eq - entry)) != NULL;
}

int berth_task_env_apply(char ***envp_io, const struct berth_env_changes *changes,
			 struct berth_error *err)
{
	char **old = *envp_io, **env;
	size_t n = 0, k = 0, kept;

	while (old && old[n])
		n++;
	if (!(env = calloc(n + changes->count + 1, sizeof(*env))))
		return berth_error_errno(err, ENOMEM, "task environment");
	for (size_t i = 0; i < n; i++)
		if (!entry_changed(changes, old[i]))
			env[k++] = old[i];
	kept = k;
	for (size_t i = 0; i < changes->count; i++) {
		const struct berth_env_change *c = &changes->items[i];

		if (c->op != BERTH_ENV_OP_SET)
			continue;
		if (asprintf(&env[k], "%s=%s", c->name, c->value) < 0) {
			while (k > kept)
				free(env[--k]);
			free(env);
			return berth_error_errno(err, ENOMEM, "task environment");
		}
		k++;
	}
	for (size_t i = 0; i < n; i++)
		if (entry_changed(changes, old[i]))
			free(old[i]);
	free(old);
	*envp_io = env;
	return 0;
}

int berth_task_env_build(char ***envp_io, const struct berth_image_meta *meta,
			 const struct berth_env_rule *rules, size_t nrules, struct berth_error *err)
{
	struct berth_env_changes changes = BERTH_ENV_CHANGES_INIT;
	int rc;

	if (berth_task_env_changes((const char *const *)*envp_io, meta, rules, nrules, &changes,
				   err) < 0)
		return -1;
	rc = berth_task_env_apply(envp_io, &changes, err);
	berth_env_changes_free(&changes);
	return rc;
}
