/*
 * fuzz_meta.c - see fuzz_meta.h.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_meta.h"
#include "fuzz_util.h"

static bool same_string(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void same_list(const char *what, char *const *a, size_t na, char *const *b, size_t nb)
{
	FZ_CHECK(na == nb, "%s: %zu entries became %zu", what, na, nb);
	for (size_t i = 0; i < na; i++)
		FZ_CHECK(!strcmp(a[i], b[i]), "%s[%zu] \"%s\" became \"%s\"", what, i, a[i], b[i]);
	FZ_CHECK(!na || (!a[na] && !b[nb]), "%s is not NULL-terminated", what);
}

static void same_meta(const struct berth_image_meta *a, const struct berth_image_meta *b)
{
	FZ_CHECK(a->schema == b->schema, "schema");
	FZ_CHECK(same_string(a->digest, b->digest), "digest");
	same_list("env", a->env, a->env_count, b->env, b->env_count);
	same_list("entrypoint", a->entrypoint, a->entrypoint_count, b->entrypoint, b->entrypoint_count);
	same_list("cmd", a->cmd, a->cmd_count, b->cmd, b->cmd_count);
	FZ_CHECK(same_string(a->workdir, b->workdir), "workdir");
	FZ_CHECK(same_string(a->user, b->user), "user");
	FZ_CHECK(same_string(a->created, b->created), "created");
	FZ_CHECK(a->label_count == b->label_count, "%zu labels became %zu", a->label_count, b->label_count);
	for (size_t i = 0; i < a->label_count; i++)
		FZ_CHECK(!strcmp(a->labels[i].key, b->labels[i].key) &&
			 !strcmp(a->labels[i].value, b->labels[i].value), "label %zu \"%s\" changed", i,
			 a->labels[i].key);
}

void fz_meta_round_trip(const struct berth_image_meta *m)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_image_meta back;
	char *text = NULL, *twice = NULL;
	size_t len = 0, len2 = 0;

	FZ_CHECK(berth_image_meta_check(m, &err) == 0, "accepted metadata fails the check: %s", err.msg);
	FZ_CHECK(berth_image_meta_to_json(m, &text, &len, &err) == 0, "writer refuses: %s", err.msg);
	FZ_CHECK(strlen(text) == len && !strchr(text, '\n'), "not one line of JSON");
	FZ_CHECK(berth_image_meta_parse(text, len, &back, &err) == 0, "written file does not load: %s", err.msg);
	same_meta(m, &back);
	FZ_CHECK(berth_image_meta_to_json(&back, &twice, &len2, &err) == 0, "writer refuses: %s", err.msg);
	FZ_CHECK(len == len2 && !strcmp(text, twice), "serialisation not stable");
	free(text);
	free(twice);
	berth_image_meta_free(&back);
}
