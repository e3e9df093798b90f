/*
 * cmd_pull.c - `berth pull` and `berth import`: start the work on the
 * gateway, then follow it until READY or FAILURE (a progress bar on a
 * terminal, one line per change otherwise).
 */
#include <errno.h>
#include <signal.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "helper.h"
#include "image_ref.h"

/* A pull takes seconds now: the first polls come soon enough that READY is
 * seen within 100 ms; after POLL_FAST of them, every POLL_MS (a status
 * request costs the gateway a munge decode). */
#define POLL_FAST_MS 100
#define POLL_FAST 50
#define POLL_MS 500
#define POLL_FAILURES_MAX 5
#define BAR_WIDTH 24
#define NAMES_MAX 256

void helper_human_size(unsigned long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;

	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, size, "%llu B", bytes);
	else
		snprintf(buf, size, "%.1f %s", v, units[u]);
}

static unsigned percent(const struct berth_gateway_image *img)
{
	if (img->bytes_total)
		return (unsigned)(img->bytes_done >= img->bytes_total ? 100
				  : img->bytes_done * 100 / img->bytes_total);
	if (img->layers_total)
		return img->layers_done * 100 / img->layers_total;
	return 0;
}

/* Work in progress: the image's own pull, or (READY image whose tag moved)
 * the pull of its pending digest. */
static bool busy(const struct berth_gateway_image *img)
{
	return berth_gateway_status_in_progress(img->status) || img->pending_digest[0];
}

/* "PULLING download 1/3 layers 100.0 KiB/747.5 KiB 13%" ("UPDATING ..." for
 * the new digest of a READY image) */
static void describe(const struct berth_gateway_image *img, char *buf, size_t size)
{
	char done[32], total[32];
	const char *status = img->pending_digest[0] ? "UPDATING" : img->status;

	if (!img->phase[0]) {
		snprintf(buf, size, "%s", status);
		return;
	}
	helper_human_size(img->bytes_done, done, sizeof(done));
	helper_human_size(img->bytes_total, total, sizeof(total));
	snprintf(buf, size, "%s %s, %u/%u layers, %s/%s, %u%%", status, img->phase,
		 img->layers_done, img->layers_total, done, total, percent(img));
}

static void show_bar(const struct berth_gateway_image *img)
{
	char bar[BAR_WIDTH + 1], text[256];
	unsigned pct = percent(img), fill = pct * BAR_WIDTH / 100, i;

	for (i = 0; i < BAR_WIDTH; i++)
		bar[i] = i < fill ? '#' : '-';
	bar[BAR_WIDTH] = '\0';
	describe(img, text, sizeof(text));
	/* \r + erase to the end of the line: the bar redraws in place */
	printf("\r[%s] %s\033[K", bar, text);
	fflush(stdout);
}

static void show_line(const struct berth_gateway_image *img, char *last, size_t size)
{
	char text[256];

	/* one line per status or phase change: logs stay short */
	snprintf(text, sizeof(text), "%s %s", img->status, img->phase);
	if (!strcmp(text, last) || strlen(text) >= size)
		return;
	memcpy(last, text, strlen(text) + 1);
	describe(img, text, sizeof(text));
	printf("%s: %s\n", img->ref, text);
	fflush(stdout);
}

/* wanted: the pending digest the pull was for ("" if none). */
static int finish(const struct berth_gateway_image *img, const char *wanted, bool tty)
{
	char size[32];

	if (tty)
		printf("\r\033[K");
	/* a READY image carries a message only when the pull of its new digest failed */
	if (!strcmp(img->status, "READY") && wanted[0] && strcmp(img->digest, wanted) &&
	    img->message[0]) {
		fflush(stdout);
		fprintf(stderr, "berth: %s: %s\n", img->ref, img->message);
		return EXIT_NOT_READY;
	}
	if (!strcmp(img->status, "READY")) {
		helper_human_size(img->size, size, sizeof(size));
		printf("%s: READY %s (%s)\n", img->ref, img->digest, size);
		return EXIT_OK;
	}
	fflush(stdout);
	if (!strcmp(img->status, "FAILURE"))
		fprintf(stderr, "berth: %s failed: %s\n", img->ref,
			img->message[0] ? img->message : "no reason given");
	else
		fprintf(stderr, "berth: %s is %s\n", img->ref, img->status);
	return EXIT_NOT_READY;
}

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ctrl-C stops following, not the pull: say so instead of dying mid-bar. */
static void catch_interrupt(void)
{
	struct sigaction sa = { .sa_handler = on_interrupt };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int stop_following(const char *ref, bool tty)
{
	if (tty)
		printf("\n");
	fflush(stdout);
	fprintf(stderr, "berth: stopped following %s; the pull goes on (see `berth images`)\n", ref);
	return 128 + SIGINT;
}

int helper_wait(struct helper *h, const struct berth_gateway_image *first)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_opts gw;
	struct berth_gateway_image img = *first, next;
	char last[64] = "";
	bool tty = isatty(STDOUT_FILENO);
	int failures = 0, polls = 0;

	if (helper_gateway(h, HELPER_TIMEOUT_MS, &gw, &err) < 0)
		return helper_fail(&err);
	catch_interrupt();
	while (busy(&img)) {
		struct timespec pause = { 0, (polls++ < POLL_FAST ? POLL_FAST_MS : POLL_MS) * 1000000L };

		if (tty)
			show_bar(&img);
		else
			show_line(&img, last, sizeof(last));
		nanosleep(&pause, NULL);
		if (interrupted)
			return stop_following(first->ref, tty);
		if (berth_gateway_status(&gw, first->ref, &next, &err) == 0) {
			img = next;
			failures = 0;
			continue;
		}
		/* a busy or briefly unreachable gateway is no reason to give up at once */
		if (helper_exit_code(err.code) != EXIT_UNREACHABLE || ++failures >= POLL_FAILURES_MAX) {
			if (tty)
				printf("\n");
			fflush(stdout);
			return helper_fail(&err);
		}
	}
	return finish(&img, first->pending_digest, tty);
}

/* Append the comma-separated words of text to list (NULL-terminated). */
static int add_names(const char **list, size_t *n, char *text)
{
	char *save = NULL, *word;

	for (word = strtok_r(text, ",", &save); word; word = strtok_r(NULL, ",", &save)) {
		if (*n + 1 >= NAMES_MAX)
			return -1;
		list[(*n)++] = word;
		list[*n] = NULL;
	}
	return 0;
}

/* The stored login for the image's registry, if any: 1 found, 0 none. */
static int stored_login(const char *ref_text, struct auth_entry *entry, struct berth_error *err)
{
	struct berth_image_ref ref;
	char path[4096];

	if (berth_image_ref_parse(ref_text, BERTH_IMAGE_DOCKER, &ref, err) < 0)
		return -1;
	if (ref.type != BERTH_IMAGE_DOCKER)
		return berth_error_set(err, EINVAL, "only docker images are pulled (not \"%s\")",
				       berth_image_type_name(ref.type));
	if (auth_file_path(path, sizeof(path), err) < 0)
		return -1;
	if (auth_find(path, ref.registry, entry, err) < 0)
		return -1;
	if (!entry->username[0]) {
		memcpy(entry->registry, ref.registry, sizeof(entry->registry) < sizeof(ref.registry)
		       ? sizeof(entry->registry) : sizeof(ref.registry));
		entry->registry[sizeof(entry->registry) - 1] = '\0';
		return 0;
	}
	return 1;
}

struct pull_args {
	const char *users[NAMES_MAX], *groups[NAMES_MAX];
	size_t nusers, ngroups;
	bool no_wait;
	const char *ref;
};

static int parse_pull_args(int argc, char **argv, struct pull_args *a)
{
	static const struct option opts[] = {
		{ "user", required_argument, NULL, 'u' },
		{ "group", required_argument, NULL, 'g' },
		{ "no-wait", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "+u:g:n", opts, NULL)) != -1) {
		if (c == 'u' && add_names(a->users, &a->nusers, optarg) == 0)
			continue;
		if (c == 'g' && add_names(a->groups, &a->ngroups, optarg) == 0)
			continue;
		if (c == 'n') {
			a->no_wait = true;
			continue;
		}
		if (c == 'u' || c == 'g')
			return helper_usage_error("pull", "too many users or groups");
		return helper_usage_error("pull", "bad option \"%s\"", argv[optind - 1]);
	}
	if (optind != argc - 1)
		return helper_usage_error("pull", "expected one IMAGE");
	a->ref = argv[optind];
	return 0;
}

int cmd_pull(struct helper *h, int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct pull_args a = { .nusers = 0 };
	struct berth_gateway_login login;
	struct berth_gateway_opts gw;
	struct berth_gateway_image img;
	struct auth_entry *entry;
	bool accepted;
	int found, rc;

	if ((rc = parse_pull_args(argc, argv, &a)) != 0)
		return rc;
	if (helper_gateway(h, HELPER_PULL_TIMEOUT_MS, &gw, &err) < 0)
		return helper_fail(&err);
	entry = calloc(1, sizeof(*entry));
	if (!entry)
		return berth_error_set(&err, ENOMEM, "out of memory"), helper_fail(&err);
	found = stored_login(a.ref, entry, &err);
	if (found < 0) {
		free(entry);
		return helper_fail(&err);
	}
	if (!found && (a.nusers || a.ngroups))
		fprintf(stderr, "berth: no login stored for %s: the image will be public, "
			"--user/--group do not apply\n", entry->registry);
	login.username = entry->username;
	login.password = entry->password;
	rc = berth_gateway_pull(&gw, a.ref, a.nusers ? a.users : NULL, a.ngroups ? a.groups : NULL,
				found ? &login : NULL, &img, &accepted, &err);
	auth_entry_wipe(entry);
	free(entry);
	if (rc < 0)
		return helper_fail(&err);
	if (a.no_wait || !busy(&img)) {
		if (a.no_wait && busy(&img)) {
			printf("%s: %s\n", img.ref, img.pending_digest[0] ? "UPDATING" : img.status);
			return EXIT_OK;
		}
		return finish(&img, "", false);
	}
	return helper_wait(h, &img);
}

int cmd_import(struct helper *h, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "no-wait", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 },
	};
	struct berth_error err = BERTH_ERROR_INIT;
	struct berth_gateway_opts gw;
	struct berth_gateway_image img;
	bool no_wait = false;
	int c;

	while ((c = getopt_long(argc, argv, "+n", opts, NULL)) != -1) {
		if (c != 'n')
			return helper_usage_error("import", "bad option \"%s\"", argv[optind - 1]);
		no_wait = true;
	}
	if (optind != argc - 2)
		return helper_usage_error("import", "expected FILE and IMAGE (docker:localhost/NAME:TAG)");
	if (access(argv[optind], R_OK) < 0) {
		/* exit 1: "not found" (3) is for images */
		fprintf(stderr, "berth: import: %s: %s\n", argv[optind], strerror(errno));
		return EXIT_ERROR;
	}
	if (helper_gateway(h, HELPER_IMPORT_TIMEOUT_MS, &gw, &err) < 0)
		return helper_fail(&err);
	if (berth_gateway_import(&gw, argv[optind + 1], argv[optind], &img, &err) < 0)
		return helper_fail(&err);
	if (no_wait && berth_gateway_status_in_progress(img.status)) {
		printf("%s: %s\n", img.ref, img.status);
		return EXIT_OK;
	}
	return helper_wait(h, &img);
}
