/*
 * cmd_images.c - `berth images`, `berth lookup`, `berth expire`.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "image_resolve.h"

#define LOOKUP_TIMEOUT_MIN_MS 10000L
#define COLUMNS 6

static const char *const headings[COLUMNS] = {
	"REF", "DIGEST", "STATUS", "SIZE", "PRIVATE", "LAST USED",
};

/* cells point into the record or the row's own buffers */
struct row {
	const char *cell[COLUMNS];
	char digest[16], size[32], used[32];
};

static void format_time(int64_t when, char *buf, size_t size)
{
	time_t t = (time_t)when;
	struct tm tm;

	if (when <= 0 || !localtime_r(&t, &tm) || !strftime(buf, size, "%Y-%m-%d %H:%M", &tm))
		snprintf(buf, size, "-");
}

static void fill_row(const struct berth_gateway_image *img, struct row *row)
{
	/* 12 hex digits, like docker's short ids */
	snprintf(row->digest, sizeof(row->digest), "%.12s", img->digest[0] ? img->digest + 7 : "-");
	if (img->size)
		helper_human_size(img->size, row->size, sizeof(row->size));
	else
		snprintf(row->size, sizeof(row->size), "-");
	format_time(img->last_lookup > img->last_pull ? img->last_lookup : img->last_pull,
		    row->used, sizeof(row->used));
	row->cell[0] = img->ref;
	row->cell[1] = row->digest;
	row->cell[2] = img->status;
	row->cell[3] = row->size;
	row->cell[4] = img->is_private ? "yes" : "no";
	row->cell[5] = row->used;
}

/* Left-aligned, two blanks apart; the last column is not padded. */
static void print_cells(const char *const *cells, const size_t *width)
{
	size_t c;

	for (c = 0; c + 1 < COLUMNS; c++)
		printf("%-*s  ", (int)width[c], cells[c]);
	printf("%s\n", cells[COLUMNS - 1]);
}

static void print_table(const struct row *rows, size_t count)
{
	size_t width[COLUMNS], i, c;

	for (c = 0; c < COLUMNS; c++)
		width[c] = strlen(headings[c]);
	for (i = 0; i < count; i++)
		for (c = 0; c < COLUMNS; c++)
			if (strlen(rows[i].cell[c]) > width[c])
				width[c] = strlen(rows[i].cell[c]);
	print_cells(headings, width);
	for (i = 0; i < count; i++)
		print_cells(rows[i].cell, width);
}

int cmd_images(struct helper *h, int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_image *list;
	struct berth_gateway_opts gw;
	struct row *rows;
	size_t count, i;

	if (argc != 1)
		return helper_usage_error("images", "takes no arguments");
	if (helper_gateway(h, HELPER_TIMEOUT_MS, &gw, &err) < 0 ||
	    berth_gateway_list(&gw, false, &list, &count, &err) < 0)
		return helper_fail(&err);
	rows = calloc(count ? count : 1, sizeof(*rows));
	if (!rows) {
		free(list);
		return berth_error_set(&err, ENOMEM, "out of memory"), helper_fail(&err);
	}
	for (i = 0; i < count; i++)
		fill_row(&list[i], &rows[i]);
	print_table(rows, count);
	free(rows);
	free(list);
	return EXIT_OK;
}

/* The same decision as job submission (berth_image_resolve), with the
 * gateway the helper was told to use. */
int cmd_lookup(struct helper *h, int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_resolve_opts ropts = { .uid = getuid() };
	struct berth_gateway_opts gw;
	struct berth_resolved *out;
	struct berth_config cfg;
	int rc;

	if (argc != 2 || argv[1][0] == '-')
		return helper_usage_error("lookup", "expected one IMAGE");
	if (helper_config(h, &err) < 0 || helper_gateway(h, 0, &gw, &err) < 0)
		return helper_fail(&err);
	ropts.munge_socket = gw.munge_socket;
	cfg = h->cfg;
	cfg.gateway_url = (char *)gw.url;
	if (cfg.lookup_timeout_ms < LOOKUP_TIMEOUT_MIN_MS)
		cfg.lookup_timeout_ms = LOOKUP_TIMEOUT_MIN_MS;
	out = malloc(sizeof(*out));
	if (!out)
		return berth_error_set(&err, ENOMEM, "out of memory"), helper_fail(&err);
	rc = berth_image_resolve(&cfg, argv[1], &ropts, out, &err);
	if (rc == 0)
		printf("%s\n", out->digest);
	free(out);
	return rc == 0 ? EXIT_OK : helper_fail(&err);
}

int cmd_expire(struct helper *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "unused", no_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_opts gw;
	bool unused = false;
	char **expired;
	size_t count, i;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+u", opts, NULL)) != -1) {
		if (c != 'u')
			return helper_usage_error("expire", "bad option \"%s\"", argv[optind - 1]);
		unused = true;
	}
	if (unused ? optind != argc : optind != argc - 1)
		return helper_usage_error("expire", "expected one IMAGE or --unused");
	if (helper_gateway(h, HELPER_TIMEOUT_MS, &gw, &err) < 0)
		return helper_fail(&err);
	rc = unused ? berth_gateway_autoexpire(&gw, &expired, &count, &err)
		    : berth_gateway_expire(&gw, argv[optind], &expired, &count, &err);
	if (rc < 0)
		return helper_fail(&err);
	for (i = 0; i < count; i++)
		printf("expired %s\n", expired[i]);
	berth_gateway_strings_free(expired, count);
	return EXIT_OK;
}
