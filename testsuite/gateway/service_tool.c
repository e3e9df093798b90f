/*
 * service_tool.c - a command-line face of gateway/gw_service.h (no HTTP),
 * driven by test_service_live.py and testsuite/bench/gateway_convert.sh.
 *
 *   service_tool CONFIG [CALLER] pull REF [--login USER:PASS] [--users U,..]
 *                                    [--rgroups G,..] [--wait SECONDS]
 *   service_tool CONFIG [CALLER] lookup|status|wait REF [SECONDS]
 *   service_tool CONFIG [CALLER] list [--in-progress]
 *   service_tool CONFIG [CALLER] import REF ARCHIVE [--again ARCHIVE2] [--wait SECONDS]
 *   service_tool CONFIG [CALLER] expire REF | autoexpire | counters
 *   service_tool CONFIG [CALLER] parallel-pull N REF SECONDS
 *   service_tool CONFIG [CALLER] pull-many SECONDS GAP_MS REF...
 *   service_tool CONFIG [CALLER] pull-expire REF SECONDS
 *   service_tool CONFIG [CALLER] bench-lookup REF N
 * CALLER: --uid N --gid N --groups G,.. --admin --importer (default: the
 * real uid/gid, no groups).  Every result is one JSON line on stdout (pull
 * prints the record right away, with --wait every change of status or
 * phase and the final record); counters
 * are printed last for pull/parallel-pull/import.  Errors: "error: MSG" and
 * "errno: NAME" on stderr, exit 1.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "berth_log.h"
#include "gw_config.h"
#include "gw_service.h"

static struct gw_service *svc;
static struct gw_caller caller;

static int fail(const struct berth_error *err)
{
	const char *name = strerrorname_np(err->code);

	fprintf(stderr, "error: %s\nerrno: %s\n", err->msg, name ? name : "?");
	return 1;
}

static void print_record(const struct gw_image_record *r, bool accepted)
{
	struct json_object *o = json_object_new_object(), *p;

	json_object_object_add(o, "ref", json_object_new_string(r->ref));
	json_object_object_add(o, "digest", json_object_new_string(r->digest));
	json_object_object_add(o, "status", json_object_new_string(gw_status_name(r->status)));
	json_object_object_add(o, "message", json_object_new_string(r->message));
	json_object_object_add(o, "private", json_object_new_boolean(r->is_private));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)r->size));
	json_object_object_add(o, "download_size", json_object_new_int64((int64_t)r->download_size));
	json_object_object_add(o, "created", json_object_new_int64(r->created));
	json_object_object_add(o, "last_pull", json_object_new_int64(r->last_pull));
	json_object_object_add(o, "last_lookup", json_object_new_int64(r->last_lookup));
	json_object_object_add(o, "accepted", json_object_new_boolean(accepted));
	p = json_object_new_object();
	json_object_object_add(p, "phase", json_object_new_string(r->progress.phase));
	json_object_object_add(p, "layers_total", json_object_new_int64(r->progress.layers_total));
	json_object_object_add(p, "layers_done", json_object_new_int64(r->progress.layers_done));
	json_object_object_add(p, "bytes_total", json_object_new_int64((int64_t)r->progress.bytes_total));
	json_object_object_add(p, "bytes_done", json_object_new_int64((int64_t)r->progress.bytes_done));
	json_object_object_add(o, "progress", p);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						      JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

static void print_error(const struct berth_error *e);

static void print_counters(void)
{
	struct gw_counters c;

	gw_get_counters(svc, &c);
	printf("{\"counters\":{\"lookups\":%llu,\"pulls\":%llu,\"manifest_fetches\":%llu,"
	       "\"blob_downloads\":%llu,\"layer_cache_hits\":%llu,\"conversions\":%llu,"
	       "\"failures\":%llu,\"layerset_links\":%llu,\"layerset_copies\":%llu,"
	       "\"workers\":%u,\"queued\":%u,\"active\":%u}}\n",
	       (unsigned long long)c.lookups, (unsigned long long)c.pulls,
	       (unsigned long long)c.manifest_fetches, (unsigned long long)c.blob_downloads,
	       (unsigned long long)c.layer_cache_hits, (unsigned long long)c.conversions,
	       (unsigned long long)c.failures, (unsigned long long)c.layerset_links,
	       (unsigned long long)c.layerset_copies, c.workers, c.queued, c.active);
	fflush(stdout);
}

static size_t parse_ids(const char *text, unsigned *out, size_t max)
{
	size_t n = 0;

	while (text && *text && n < max) {
		char *end;

		out[n++] = (unsigned)strtoul(text, &end, 10);
		text = *end == ',' ? end + 1 : end;
		if (end == text && *end)
			break;
	}
	return n;
}

static int parse_ref(const char *text, struct berth_image_ref *ref, struct berth_error *err)
{
	return berth_image_ref_parse(text, BERTH_IMAGE_DOCKER, ref, err);
}

/* Poll gw_status until the record is finished or seconds pass; with
 * print, every change of status, phase or layers_done is printed. */
static int wait_done(const struct berth_image_ref *ref, double seconds, struct gw_image_record *rec,
		     bool print, struct berth_error *err)
{
	struct timespec start, now;
	struct gw_image_record last = { .status = GW_STATUS_INIT };

	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		if (gw_status(svc, &caller, ref, rec, err) < 0)
			return -1;
		if (print && (rec->status != last.status || strcmp(rec->progress.phase, last.progress.phase) ||
			      rec->progress.layers_done != last.progress.layers_done)) {
			print_record(rec, true);
			last = *rec;
		}
		if (rec->status == GW_STATUS_READY || rec->status == GW_STATUS_FAILURE ||
		    rec->status == GW_STATUS_EXPIRED)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec + (now.tv_nsec - start.tv_nsec) / 1e9 > seconds)
			return berth_error_set(err, ETIMEDOUT, "still %s after %.0f s",
					       gw_status_name(rec->status), seconds);
		usleep(20000);
	}
}

static int cmd_pull(int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	struct gw_registry_login login;
	struct gw_pull_request req = { 0 };
	struct gw_image_record rec;
	unsigned users[64], groups[64];
	double wait = -1;
	bool accepted;

	if (argc < 1 || parse_ref(argv[0], &ref, err) < 0)
		return argc < 1 ? berth_error_set(err, EINVAL, "pull REF") : -1;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--login")) {
			const char *colon = strchr(argv[i + 1], ':');

			memset(&login, 0, sizeof(login));
			snprintf(login.username, sizeof(login.username), "%.*s",
				 colon ? (int)(colon - argv[i + 1]) : 0, argv[i + 1]);
			snprintf(login.password, sizeof(login.password), "%s", colon ? colon + 1 : "");
			req.login = &login;
		} else if (!strcmp(argv[i], "--users")) {
			req.nusers = parse_ids(argv[i + 1], users, 64);
			req.users = users;
		} else if (!strcmp(argv[i], "--rgroups")) {
			req.ngroups = parse_ids(argv[i + 1], groups, 64);
			req.groups = groups;
		} else if (!strcmp(argv[i], "--wait")) {
			wait = atof(argv[i + 1]);
		}
	}
	if (gw_pull(svc, &caller, &ref, &req, &rec, &accepted, err) < 0)
		return -1;
	print_record(&rec, accepted);
	if (wait >= 0) {
		if (wait_done(&ref, wait, &rec, true, err) < 0)
			return -1;
		print_record(&rec, accepted);
	}
	print_counters();
	return 0;
}

static int cmd_import(int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	struct gw_image_record rec;

	if (argc < 2)
		return berth_error_set(err, EINVAL, "import REF ARCHIVE");
	if (parse_ref(argv[0], &ref, err) < 0 || gw_import(svc, &caller, &ref, argv[1], &rec, err) < 0)
		return -1;
	print_record(&rec, true);
	for (int i = 2; i + 1 < argc; i += 2) {
		struct berth_error e = BERTH_ERROR_INIT;

		if (!strcmp(argv[i], "--again")) {    /* the same ref again, at once */
			if (gw_import(svc, &caller, &ref, argv[i + 1], &rec, &e) < 0)
				print_error(&e);
			else
				print_record(&rec, true);
		} else if (!strcmp(argv[i], "--wait")) {
			if (wait_done(&ref, atof(argv[i + 1]), &rec, false, err) < 0)
				return -1;
			print_record(&rec, true);
		}
	}
	print_counters();
	return 0;
}

struct parallel {
	struct berth_image_ref ref;
	struct berth_error err;
	int rc;
};

static void *pull_thread(void *arg)
{
	struct parallel *p = arg;
	struct gw_image_record rec;
	bool accepted;

	p->rc = gw_pull(svc, &caller, &p->ref, NULL, &rec, &accepted, &p->err);
	return NULL;
}

static int cmd_parallel(int argc, char **argv, struct berth_error *err)
{
	struct parallel p[64];
	pthread_t t[64];
	struct gw_image_record rec;
	int n = argc >= 3 ? atoi(argv[0]) : 0;

	if (n < 1 || n > 64)
		return berth_error_set(err, EINVAL, "parallel-pull N(1-64) REF SECONDS");
	for (int i = 0; i < n; i++) {
		memset(&p[i], 0, sizeof(p[i]));
		if (parse_ref(argv[1], &p[i].ref, err) < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, pull_thread, &p[i]);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < n; i++)
		if (p[i].rc < 0) {
			*err = p[i].err;
			return -1;
		}
	if (wait_done(&p[0].ref, atof(argv[2]), &rec, false, err) < 0)
		return -1;
	print_record(&rec, true);
	print_counters();
	return 0;
}

/* An error as a JSON line: {"error": MSG, "errno": NAME}. */
static void print_error(const struct berth_error *e)
{
	const char *name = strerrorname_np(e->code);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(e->msg));
	json_object_object_add(o, "errno", json_object_new_string(name ? name : "?"));
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	fflush(stdout);
	json_object_put(o);
}

/* pull-expire REF SECONDS: pull, expire the ref at once (prints the answer
 * or the error as a line), then wait for the pull. */
static int cmd_pull_expire(int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	struct gw_image_record rec;
	struct berth_error e = BERTH_ERROR_INIT;
	char **refs = NULL;
	size_t n = 0;
	bool accepted;

	if (argc < 2)
		return berth_error_set(err, EINVAL, "pull-expire REF SECONDS");
	if (parse_ref(argv[0], &ref, err) < 0 || gw_pull(svc, &caller, &ref, NULL, &rec, &accepted, err) < 0)
		return -1;
	print_record(&rec, accepted);
	if (gw_expire(svc, &caller, &ref, &refs, &n, &e) < 0)
		print_error(&e);
	else
		printf("{\"expired\":%zu}\n", n);
	for (size_t i = 0; i < n; i++)
		free(refs[i]);
	free(refs);
	if (wait_done(&ref, atof(argv[1]), &rec, false, err) < 0)
		return -1;
	print_record(&rec, accepted);
	return 0;
}

/* pull-many SECONDS GAP_MS REF...: pull each (errors printed as
 * {"error":..,"errno":..} lines), GAP_MS apart, then wait for the accepted. */
static int cmd_pull_many(int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref refs[16];
	bool waiting[16] = { false };
	struct gw_image_record rec;
	int n = argc - 2;

	if (n < 1 || n > 16)
		return berth_error_set(err, EINVAL, "pull-many SECONDS GAP_MS REF... (1-16)");
	for (int i = 0; i < n; i++) {
		struct berth_error e = BERTH_ERROR_INIT;
		bool accepted;

		if (parse_ref(argv[2 + i], &refs[i], err) < 0)
			return -1;
		if (gw_pull(svc, &caller, &refs[i], NULL, &rec, &accepted, &e) < 0) {
			print_error(&e);
		} else {
			print_record(&rec, accepted);
			waiting[i] = accepted;
		}
		usleep((useconds_t)atoi(argv[1]) * 1000);
	}
	for (int i = 0; i < n; i++) {
		if (!waiting[i])
			continue;
		if (wait_done(&refs[i], atof(argv[0]), &rec, false, err) < 0)
			return -1;
		print_record(&rec, true);
	}
	print_counters();
	return 0;
}

static int cmd_bench_lookup(int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	struct gw_image_record rec;
	struct timespec a, b;
	long n = argc >= 2 ? atol(argv[1]) : 0;
	double s;

	if (n < 1 || parse_ref(argv[0], &ref, err) < 0)
		return n < 1 ? berth_error_set(err, EINVAL, "bench-lookup REF N") : -1;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		if (gw_lookup(svc, &caller, &ref, &rec, err) < 0)
			return -1;
	clock_gettime(CLOCK_MONOTONIC, &b);
	s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	printf("{\"lookups\":%ld,\"seconds\":%.6f,\"per_second\":%.0f}\n", n, s, (double)n / s);
	return 0;
}

static int cmd_expire(const char *what, int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	char **refs = NULL;
	size_t n = 0;
	struct json_object *o = json_object_new_object(), *arr = json_object_new_array();
	int rc;

	if (!strcmp(what, "expire"))
		rc = argc < 1 ? berth_error_set(err, EINVAL, "expire REF")
			      : parse_ref(argv[0], &ref, err) < 0 ? -1
			      : gw_expire(svc, &caller, &ref, &refs, &n, err);
	else
		rc = gw_autoexpire(svc, &caller, &refs, &n, err);
	for (size_t i = 0; i < n; i++) {
		json_object_array_add(arr, json_object_new_string(refs[i]));
		free(refs[i]);
	}
	free(refs);
	json_object_object_add(o, "expired", arr);
	if (rc == 0)
		printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							      JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return rc;
}

static int cmd_one(const char *cmd, int argc, char **argv, struct berth_error *err)
{
	struct berth_image_ref ref;
	struct gw_image_record rec, *recs;
	size_t n;
	int rc;

	if (!strcmp(cmd, "list")) {
		if (gw_list(svc, &caller, argc > 0 && !strcmp(argv[0], "--in-progress"), &recs, &n, err) < 0)
			return -1;
		for (size_t i = 0; i < n; i++)
			print_record(&recs[i], false);
		free(recs);
		return 0;
	}
	if (argc < 1)
		return berth_error_set(err, EINVAL, "%s REF", cmd);
	if (parse_ref(argv[0], &ref, err) < 0)
		return -1;
	if (!strcmp(cmd, "lookup"))
		rc = gw_lookup(svc, &caller, &ref, &rec, err);
	else if (!strcmp(cmd, "status"))
		rc = gw_status(svc, &caller, &ref, &rec, err);
	else if (!strcmp(cmd, "wait"))
		rc = wait_done(&ref, argc > 1 ? atof(argv[1]) : 60, &rec, false, err);
	else
		return berth_error_set(err, EINVAL, "unknown command \"%s\"", cmd);
	if (rc == 0)
		print_record(&rec, false);
	return rc;
}

static int run(const char *cmd, int argc, char **argv, struct berth_error *err)
{
	if (!strcmp(cmd, "pull"))
		return cmd_pull(argc, argv, err);
	if (!strcmp(cmd, "import"))
		return cmd_import(argc, argv, err);
	if (!strcmp(cmd, "pull-expire"))
		return cmd_pull_expire(argc, argv, err);
	if (!strcmp(cmd, "pull-many"))
		return cmd_pull_many(argc, argv, err);
	if (!strcmp(cmd, "parallel-pull"))
		return cmd_parallel(argc, argv, err);
	if (!strcmp(cmd, "bench-lookup"))
		return cmd_bench_lookup(argc, argv, err);
	if (!strcmp(cmd, "expire") || !strcmp(cmd, "autoexpire"))
		return cmd_expire(cmd, argc, argv, err);
	if (!strcmp(cmd, "counters")) {
		print_counters();
		return 0;
	}
	return cmd_one(cmd, argc, argv, err);
}

int main(int argc, char **argv)
{
	struct gw_config cfg;
	struct berth_error err = BERTH_ERROR_INIT;
	int i = 2, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: service_tool CONFIG [--uid N --gid N --groups G,.. --admin "
			"--importer] COMMAND ...\n");
		return 2;
	}
	berth_log_set_sink(berth_log_sink_stderr);
	berth_log_set_level(getenv("BERTH_SERVICE_VERBOSE") ? BERTH_LOG_DEBUG : BERTH_LOG_ERROR);
	caller.uid = getuid();
	caller.gid = getgid();
	for (; i < argc && !strncmp(argv[i], "--", 2); i++) {
		if (!strcmp(argv[i], "--admin"))
			caller.admin = true;
		else if (!strcmp(argv[i], "--importer"))
			caller.importer = true;
		else if (!strcmp(argv[i], "--uid") && i + 1 < argc)
			caller.uid = (uid_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--gid") && i + 1 < argc)
			caller.gid = (gid_t)atol(argv[++i]);
		else if (!strcmp(argv[i], "--groups") && i + 1 < argc)
			caller.ngroups = parse_ids(argv[++i], caller.groups, GW_GROUPS_MAX);
	}
	if (i >= argc)
		return 2;
	if (gw_config_load(argv[1], &cfg, &err) < 0)
		return fail(&err);
	svc = gw_service_create(&cfg, &err);
	if (!svc) {
		gw_config_free(&cfg);
		return fail(&err);
	}
	rc = run(argv[i], argc - i - 1, argv + i + 1, &err);
	gw_service_destroy(svc);
	gw_config_free(&cfg);
	return rc < 0 ? fail(&err) : 0;
}
