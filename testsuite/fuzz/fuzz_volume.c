/*
 * fuzz_volume.c - berth_volume_parse / berth_volume_list_format /
 * berth_volume_equal (common/volume.c): --volume, site_fs and module mounts.
 *
 * Input: one or more specs separated by '\n' (several --volume options; a
 * newline could never be part of a good spec).  Checks: a failed parse
 * leaves the list as it was; every volume is normalised (absolute, no "//",
 * no trailing '/', no "." or ".." component, no control character), DST is
 * not "/" and used once, at most BERTH_VOLUMES_MAX; the list's format parses
 * back to equal volumes (same flags) and formats to the same text;
 * berth_volume_equal is reflexive and symmetric.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "volume.h"

static void check_path(const char *what, const char *path)
{
	size_t len = strlen(path);

	FZ_CHECK(path[0] == '/', "%s \"%s\" is relative", what, path);
	FZ_CHECK(len == 1 || path[len - 1] != '/', "%s \"%s\" ends in '/'", what, path);
	FZ_CHECK(!strstr(path, "//"), "%s \"%s\" has \"//\"", what, path);
	FZ_CHECK(!fz_has_control(path), "%s has a control character", what);
	for (const char *p = path; (p = strchr(p, '/')); p++) {
		size_t n = strcspn(p + 1, "/");

		FZ_CHECK(!(n == 1 && p[1] == '.') && !(n == 2 && p[1] == '.' && p[2] == '.'),
			 "%s \"%s\" has a \".\" or \"..\" component", what, path);
	}
}

static void check_list(const struct berth_volume_list *list)
{
	FZ_CHECK(list->count <= BERTH_VOLUMES_MAX, "%zu volumes", list->count);
	for (size_t i = 0; i < list->count; i++) {
		const struct berth_volume *v = &list->items[i];

		check_path("source", v->src);
		check_path("destination", v->dst);
		FZ_CHECK(strcmp(v->dst, "/") != 0, "destination \"/\"");
		FZ_CHECK(!(v->flags & ~7ul), "unknown flags %lx", v->flags);
		FZ_CHECK((v->flags & 3) != 3, "ro with rw");
		FZ_CHECK(berth_volume_equal(v, v), "volume %zu not equal to itself", i);
		for (size_t j = 0; j < i; j++) {
			FZ_CHECK(strcmp(list->items[j].dst, v->dst) != 0, "destination \"%s\" twice", v->dst);
			FZ_CHECK(berth_volume_equal(v, &list->items[j]) ==
				 berth_volume_equal(&list->items[j], v), "berth_volume_equal not symmetric");
		}
	}
}

static void round_trip(const struct berth_volume_list *list)
{
	struct berth_volume_list back = BERTH_VOLUME_LIST_INIT;
	struct berth_error err = BERTH_ERROR_INIT;
	char *text = NULL, *twice = NULL;

	FZ_CHECK(berth_volume_list_format(list, &text, &err) == 0, "format: %s", err.msg);
	FZ_CHECK(berth_volume_parse(text, &back, &err) == 0, "\"%s\" does not parse: %s", text, err.msg);
	FZ_CHECK(back.count == list->count, "\"%s\": %zu volumes, had %zu", text, back.count, list->count);
	for (size_t i = 0; i < list->count; i++) {
		FZ_CHECK(berth_volume_equal(&list->items[i], &back.items[i]), "volume %zu changed in \"%s\"",
			 i, text);
		FZ_CHECK(list->items[i].flags == back.items[i].flags, "flags of volume %zu changed", i);
	}
	FZ_CHECK(berth_volume_list_format(&back, &twice, &err) == 0, "format: %s", err.msg);
	FZ_CHECK(!strcmp(text, twice), "format not stable: \"%s\" vs \"%s\"", text, twice);
	free(text);
	free(twice);
	berth_volume_list_free(&back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct berth_volume_list list = BERTH_VOLUME_LIST_INIT;
	struct fz_fields f;

	fz_split(data, size, '\n', &f);
	for (size_t i = 0; i < f.count; i++) {
		struct berth_error err = BERTH_ERROR_INIT;
		size_t before = list.count;
		struct berth_volume *items = list.items;

		if (berth_volume_parse(f.field[i], &list, &err) < 0) {
			fz_check_error(&err, "berth_volume_parse");
			FZ_CHECK(list.count == before && list.items == items, "failed parse changed the list");
			continue;
		}
		FZ_CHECK(list.count > before, "parse appended nothing");
	}
	check_list(&list);
	if (list.count)
		round_trip(&list);
	berth_volume_list_free(&list);
	fz_fields_free(&f);
	return 0;
}
