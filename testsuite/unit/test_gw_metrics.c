/*
 * test_gw_metrics.c - the gateway's metrics: the Prometheus text renderer
 * (format 0.0.4: HELP/TYPE, escaping, cumulative histograms), the error
 * kinds, counting from many threads, and the metrics listener on a free
 * loopback port beside the API (no munged: what can be counted without a
 * credential).  The daemon end to end: testsuite/gateway/
 * test_gatewayd_metrics.py.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fs_util.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_metrics.h"
#include "gw_service.h"
#include "unit.h"

static char *render_with(void (*fn)(struct gw_text *t, const void *arg), const void *arg)
{
	struct gw_text t = { NULL, 0, 0, false };

	fn(&t, arg);
	ck_assert(!t.failed);
	return t.data ? t.data : strdup("");
}

/* ---- pieces ------------------------------------------------------------ */
static void decimal(struct gw_text *t, const void *arg)
{
	const uint64_t *v = arg;

	gw_prom_decimal(t, v[0], v[1]);
}

START_TEST(decimals)
{
	static const struct { uint64_t units, per; const char *text; } cases[] = {
		{ 500, 1000000, "0.0005" }, { 1000000, 1000000, "1" }, { 2500000, 1000000, "2.5" },
		{ 0, 1000000, "0" }, { 1500001, 1000000, "1.500001" }, { 123, 1, "123" },
		{ 100000, 1000000, "0.1" }, { 1800000000, 1000000, "1800" },
	};

	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		uint64_t arg[2] = { cases[i].units, cases[i].per };
		char *text = render_with(decimal, arg);

		ck_assert_str_eq(text, cases[i].text);
		free(text);
	}
}
END_TEST

static void label_sample(struct gw_text *t, const void *arg)
{
	gw_prom_sample(t, "x_total", "v", arg, 7);
}

static void help_family(struct gw_text *t, const void *arg)
{
	gw_prom_family(t, "x_total", "counter", arg);
}

START_TEST(escaping)
{
	char *text = render_with(label_sample, "a\\b\"c\nd");

	ck_assert_str_eq(text, "x_total{v=\"a\\\\b\\\"c\\nd\"} 7\n");
	free(text);
	text = render_with(label_sample, "");
	ck_assert_str_eq(text, "x_total{v=\"\"} 7\n");
	free(text);
	/* HELP escapes backslash and newline, not quotes */
	text = render_with(help_family, "say \"hi\"\\now\nthen");
	ck_assert_str_eq(text, "# HELP x_total say \"hi\"\\\\now\\nthen\n# TYPE x_total counter\n");
	free(text);
}
END_TEST

static void histogram(struct gw_text *t, const void *arg)
{
	gw_prom_histogram(t, "lat_seconds", "latency", &gw_hist_lookup_seconds, arg);
}

START_TEST(histogram_cumulative)
{
	struct gw_histogram h;
	char *text;

	memset(&h, 0, sizeof(h));
	gw_histogram_observe(&h, &gw_hist_lookup_seconds, 100);       /* <= 0.0005 */
	gw_histogram_observe(&h, &gw_hist_lookup_seconds, 500);       /* on the bound: same */
	gw_histogram_observe(&h, &gw_hist_lookup_seconds, 501);       /* <= 0.001 */
	gw_histogram_observe(&h, &gw_hist_lookup_seconds, 30000);     /* <= 0.05 */
	gw_histogram_observe(&h, &gw_hist_lookup_seconds, 3000000);   /* above 2.5: +Inf only */
	text = render_with(histogram, &h);
	ck_assert_str_eq(text,
		"# HELP lat_seconds latency\n"
		"# TYPE lat_seconds histogram\n"
		"lat_seconds_bucket{le=\"0.0005\"} 2\n"
		"lat_seconds_bucket{le=\"0.001\"} 3\n"
		"lat_seconds_bucket{le=\"0.0025\"} 3\n"
		"lat_seconds_bucket{le=\"0.005\"} 3\n"
		"lat_seconds_bucket{le=\"0.01\"} 3\n"
		"lat_seconds_bucket{le=\"0.025\"} 3\n"
		"lat_seconds_bucket{le=\"0.05\"} 4\n"
		"lat_seconds_bucket{le=\"0.1\"} 4\n"
		"lat_seconds_bucket{le=\"0.25\"} 4\n"
		"lat_seconds_bucket{le=\"0.5\"} 4\n"
		"lat_seconds_bucket{le=\"1\"} 4\n"
		"lat_seconds_bucket{le=\"2.5\"} 4\n"
		"lat_seconds_bucket{le=\"+Inf\"} 5\n"
		"lat_seconds_sum 3.031101\n"
		"lat_seconds_count 5\n");
	free(text);
}
END_TEST

START_TEST(error_kinds)
{
	ck_assert_int_eq(gw_error_kind_http(400, EINVAL), GW_ERR_BAD_REQUEST);
	ck_assert_int_eq(gw_error_kind_http(413, 0), GW_ERR_BAD_REQUEST);
	ck_assert_int_eq(gw_error_kind_http(405, 0), GW_ERR_BAD_REQUEST);
	ck_assert_int_eq(gw_error_kind_http(401, 0), GW_ERR_AUTH);
	ck_assert_int_eq(gw_error_kind_http(403, EPERM), GW_ERR_DENIED);
	ck_assert_int_eq(gw_error_kind_http(404, ENOENT), GW_ERR_NOT_FOUND);
	ck_assert_int_eq(gw_error_kind_http(502, EHOSTUNREACH), GW_ERR_REGISTRY);
	ck_assert_int_eq(gw_error_kind_http(502, EPROTO), GW_ERR_REGISTRY);
	ck_assert_int_eq(gw_error_kind_http(502, EBADMSG), GW_ERR_BAD_IMAGE);
	ck_assert_int_eq(gw_error_kind_http(503, EAGAIN), GW_ERR_UNAVAILABLE);
	ck_assert_int_eq(gw_error_kind_http(500, ENOMEM), GW_ERR_INTERNAL);
	ck_assert_int_eq(gw_error_kind_job(EBADMSG), GW_ERR_BAD_IMAGE);
	ck_assert_int_eq(gw_error_kind_job(ENOTSUP), GW_ERR_BAD_IMAGE);
	ck_assert_int_eq(gw_error_kind_job(EHOSTUNREACH), GW_ERR_REGISTRY);
	ck_assert_int_eq(gw_error_kind_job(EAGAIN), GW_ERR_REGISTRY);
	ck_assert_int_eq(gw_error_kind_job(EACCES), GW_ERR_DENIED);
	ck_assert_int_eq(gw_error_kind_job(ENOENT), GW_ERR_NOT_FOUND);
	ck_assert_int_eq(gw_error_kind_job(ENOSPC), GW_ERR_STORAGE);
	ck_assert_int_eq(gw_error_kind_job(EROFS), GW_ERR_STORAGE);
	ck_assert_int_eq(gw_error_kind_job(ENOMEM), GW_ERR_INTERNAL);
	ck_assert_uint_eq(gw_metrics_http_index(200), 0);
	ck_assert_uint_eq(gw_metrics_http_index(503), GW_HTTP_CODES - 2);
	ck_assert_uint_eq(gw_metrics_http_index(418), GW_HTTP_CODES - 1);
}
END_TEST

/* ---- the whole text ------------------------------------------------------ */
/* A small checker of format 0.0.4 as berth writes it: every family has
 * HELP then TYPE once, before its samples, which are contiguous; counters
 * end in _total; histogram buckets are cumulative and end with +Inf equal
 * to _count.  Returns the number of samples. */
static size_t check_exposition(const char *text)
{
	char family[128] = "", type[16] = "", seen[4096] = " ";
	unsigned long long last_bucket = 0;
	size_t samples = 0;
	const char *line = text;

	ck_assert_int_eq(text[strlen(text) - 1], '\n');
	while (*line) {
		const char *end = strchr(line, '\n');
		char buf[512], name[128], key[160];
		unsigned long long value;

		ck_assert_ptr_nonnull(end);
		ck_assert_uint_lt((size_t)(end - line), sizeof(buf));
		memcpy(buf, line, (size_t)(end - line));
		buf[end - line] = '\0';
		line = end + 1;
		if (!strncmp(buf, "# HELP ", 7)) {
			ck_assert_int_eq(sscanf(buf + 7, "%127s", family), 1);
			snprintf(key, sizeof(key), " %s ", family);
			ck_assert_msg(!strstr(seen, key), "family %s twice", family);
			ck_assert_uint_lt(strlen(seen) + strlen(key), sizeof(seen));
			strcat(seen, key + 1);
			type[0] = '\0';
			continue;
		}
		if (!strncmp(buf, "# TYPE ", 7)) {
			ck_assert_int_eq(sscanf(buf + 7, "%127s %15s", name, type), 2);
			ck_assert_str_eq(name, family);
			if (!strcmp(type, "counter"))
				ck_assert_msg(strlen(name) > 6 && !strcmp(name + strlen(name) - 6, "_total"),
					      "counter %s", name);
			last_bucket = 0;
			continue;
		}
		ck_assert_msg(buf[0] != '#', "%s", buf);
		ck_assert_msg(type[0], "sample before TYPE: %s", buf);
		ck_assert_int_eq(sscanf(buf, "%127[a-zA-Z0-9_:]", name), 1);
		ck_assert_int_eq(sscanf(strrchr(buf, ' ') + 1, "%llu", &value), 1);
		if (!strcmp(type, "histogram")) {
			snprintf(key, sizeof(key), "%s_bucket", family);
			if (!strcmp(name, key)) {
				ck_assert_uint_ge(value, last_bucket);
				last_bucket = value;
			} else {
				snprintf(key, sizeof(key), "%s_count", family);
				if (!strcmp(name, key))
					ck_assert_uint_eq(value, last_bucket);
				else
					ck_assert_msg(!strncmp(name, family, strlen(family)) &&
						      !strcmp(name + strlen(family), "_sum"), "%s", buf);
			}
		} else {
			ck_assert_str_eq(name, family);
		}
		samples++;
	}
	return samples;
}

static void render_view(struct gw_text *t, const void *arg)
{
	ck_assert_int_eq(gw_metrics_render(arg, t), 0);
}

START_TEST(render_all)
{
	struct gw_metrics_view v;
	char *text;

	memset(&v, 0, sizeof(v));
	v.version = "1.0 \"beta\"";
	v.start_time = 1700000000;
	v.workers = 2;
	v.queued = 3;
	v.active = 1;
	v.digest_mismatches = 4;
	v.m.n_pull_results[GW_RESULT_READY] = 5;
	v.m.n_pull_results[GW_RESULT_FAILED] = 6;
	v.m.n_refused[GW_LISTENER_API] = 2;
	v.m.n_refused[GW_LISTENER_PROXY] = 3;
	v.m.n_refused[GW_LISTENER_METRICS] = 100;
	v.m.n_errors[GW_ERR_AUTH] = 9;
	v.m.n_http[gw_metrics_http_index(401)] = 9;
	v.m.n_pull_joins = 11;
	gw_histogram_observe(&v.m.pull_seconds, &gw_hist_job_seconds, 7000000);
	text = render_with(render_view, &v);
	ck_assert_uint_gt(check_exposition(text), 80);
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_build_info{version=\"1.0 \\\"beta\\\"\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nprocess_start_time_seconds 1700000000\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_queue_depth{state=\"waiting\"} 3\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_queue_depth{state=\"running\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_pulls_total{result=\"ready\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_pulls_total{result=\"failed\"} 6\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_digest_mismatches_total 4\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_singleflight_joins_total{what=\"pull\"} 11\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_http_responses_total{code=\"401\"} 9\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_errors_total{kind=\"auth\"} 9\n"));
	/* API and proxy refusals are errors; the metrics port's are not */
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_errors_total{kind=\"connection_limit\"} 5\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_connections_refused_total{listener=\"metrics\"} 100\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_pull_duration_seconds_bucket{le=\"5\"} 0\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_pull_duration_seconds_bucket{le=\"10\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(text, "\nberth_gateway_pull_duration_seconds_sum 7\n"));
	free(text);
}
END_TEST

/* ---- many threads ---------------------------------------------------------- */
#define THREADS 4
#define ROUNDS 100000

static void *count_thread(void *arg)
{
	struct gw_metrics *m = arg;

	for (unsigned i = 0; i < ROUNDS; i++) {
		GW_METRIC_ADD(m, n_errors[GW_ERR_STORAGE], 1);
		GW_METRIC_ADD(m, n_download_bytes, 3);
		gw_histogram_observe(&m->lookup_seconds, &gw_hist_lookup_seconds, i % 2 ? 100 : 10000000);
	}
	return NULL;
}

START_TEST(threads_lose_nothing)
{
	static struct gw_metrics m;
	struct gw_metrics copy;
	pthread_t t[THREADS];

	for (int i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, count_thread, &m), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	gw_metrics_snapshot(&m, &copy);
	ck_assert_int_eq(memcmp(&m, &copy, sizeof(m)), 0);
	ck_assert_uint_eq(copy.n_errors[GW_ERR_STORAGE], THREADS * ROUNDS);
	ck_assert_uint_eq(copy.n_download_bytes, 3ull * THREADS * ROUNDS);
	ck_assert_uint_eq(copy.lookup_seconds.bucket[0], THREADS * ROUNDS / 2);
	ck_assert_uint_eq(copy.lookup_seconds.bucket[gw_hist_lookup_seconds.n], THREADS * ROUNDS / 2);
	ck_assert_uint_eq(copy.lookup_seconds.sum, (100ull + 10000000ull) * THREADS * ROUNDS / 2);
}
END_TEST

/* ---- the listener ----------------------------------------------------------- */
static char dir[64];
static struct gw_config cfg;
static struct gw_service *svc;
static struct gw_http *http;
static struct gw_metrics_http *mh;

struct reply {
	long status;
	char *body;
	size_t len;
	char type[128];
	char allow[64];
};

static size_t on_body(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	char *grown = realloc(r->body, r->len + size * n + 1);

	ck_assert_ptr_nonnull(grown);
	r->body = grown;
	memcpy(r->body + r->len, data, size * n);
	r->len += size * n;
	r->body[r->len] = '\0';
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;
	size_t len = size * n;

	if (len > 14 && !strncasecmp(data, "Content-Type: ", 14))
		snprintf(r->type, sizeof(r->type), "%.*s", (int)(len - 16), data + 14);
	if (len > 7 && !strncasecmp(data, "Allow: ", 7))
		snprintf(r->allow, sizeof(r->allow), "%.*s", (int)(len - 9), data + 7);
	return len;
}

static void request(unsigned port, const char *method, const char *path, struct reply *r)
{
	char url[256];
	CURL *curl = curl_easy_init();

	memset(r, 0, sizeof(*r));
	snprintf(url, sizeof(url), "http://127.0.0.1:%u%s", port, path);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
	if (!strcmp(method, "POST"))
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{}");
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	ck_assert_int_eq(curl_easy_perform(curl), CURLE_OK);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_cleanup(curl);
	if (!r->body)
		r->body = strdup("");
}

/* The value of the sample line that starts with prefix ("name{...} "). */
static unsigned long long sample(const char *text, const char *prefix)
{
	char want[256];
	const char *p;

	snprintf(want, sizeof(want), "\n%s ", prefix);
	p = strstr(text, want);
	ck_assert_msg(p != NULL, "no sample %s", prefix);
	return strtoull(p + strlen(want), NULL, 10);
}

static char *scrape(void)
{
	struct reply r;

	request(gw_metrics_http_port(mh), "GET", "/metrics", &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.type, "text/plain; version=0.0.4; charset=utf-8");
	check_exposition(r.body);
	return r.body;
}

static void server_up(void)
{
	struct berth_error err = BERTH_ERROR_INIT;
	char path[256];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/berth-test-gw-metrics.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/gw.conf", dir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fprintf(f, "listen = 127.0.0.1:0\nmetrics_listen = 127.0.0.1:0\nhttp_threads = 2\n"
		"munge_socket = %s/no-munged\nimage_dir = %s/images\nstate_dir = %s/state\n"
		"workers = 1\n", dir, dir, dir);
	fclose(f);
	ck_assert_msg(gw_config_load(path, &cfg, &err) == 0, "%s", err.msg);
	svc = gw_service_create(&cfg, &err);
	ck_assert_msg(svc != NULL, "%s", err.msg);
	http = gw_http_start(&cfg, svc, &err);
	ck_assert_msg(http != NULL, "%s", err.msg);
	mh = gw_metrics_http_start(&cfg, svc, &err);
	ck_assert_msg(mh != NULL, "%s", err.msg);
	ck_assert_uint_gt(gw_metrics_http_port(mh), 0);
	ck_assert_uint_ne(gw_metrics_http_port(mh), gw_http_port(http));
}

static void server_down(void)
{
	gw_metrics_http_stop(mh);
	gw_http_stop(http);
	gw_service_destroy(svc);
	gw_config_free(&cfg);
	berth_remove_tree(dir, NULL);
}

START_TEST(listener_routes)
{
	struct reply r;
	char *before, *after;

	before = scrape();
	request(gw_metrics_http_port(mh), "GET", "/api/v1/health", &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body, "not found: the metrics are at /metrics\n");
	free(r.body);
	request(gw_metrics_http_port(mh), "POST", "/metrics", &r);
	ck_assert_int_eq(r.status, 405);
	ck_assert_str_eq(r.allow, "GET, HEAD");
	ck_assert_str_eq(r.body, "method not allowed: use GET\n");
	free(r.body);
	after = scrape();
	ck_assert_uint_eq(sample(after, "berth_gateway_metrics_scrapes_total"),
			  sample(before, "berth_gateway_metrics_scrapes_total") + 1);
	/* the metrics port's own replies are not the API's */
	ck_assert_uint_eq(sample(after, "berth_gateway_http_responses_total{code=\"404\"}"), 0);
	ck_assert_uint_eq(sample(after, "berth_gateway_workers"), 1);
	free(before);
	free(after);
}
END_TEST

START_TEST(api_refusals_counted)
{
	struct reply r;
	char *before, *after;

	before = scrape();
	request(gw_http_port(http), "POST", "/api/v1/lookup", &r);   /* no credential */
	ck_assert_int_eq(r.status, 401);
	free(r.body);
	request(gw_http_port(http), "GET", "/api/v1/nothing", &r);
	ck_assert_int_eq(r.status, 404);
	free(r.body);
	request(gw_http_port(http), "GET", "/api/v1/health", &r);
	ck_assert_int_eq(r.status, 200);
	free(r.body);
	after = scrape();
#define MOVED(name, n) ck_assert_uint_eq(sample(after, name), sample(before, name) + (n))
	MOVED("berth_gateway_http_responses_total{code=\"401\"}", 1);
	MOVED("berth_gateway_http_responses_total{code=\"404\"}", 1);
	MOVED("berth_gateway_http_responses_total{code=\"200\"}", 1);
	MOVED("berth_gateway_errors_total{kind=\"auth\"}", 1);
	MOVED("berth_gateway_errors_total{kind=\"not_found\"}", 1);
	MOVED("berth_gateway_lookups_total{result=\"refused\"}", 1);
	MOVED("berth_gateway_lookups_total{result=\"ready\"}", 0);
	MOVED("berth_gateway_lookup_duration_seconds_count", 1);
#undef MOVED
	free(before);
	free(after);
}
END_TEST

/* More idle connections from one address than the metrics port takes from
 * it: the extra ones are closed at once and counted; once the idle ones
 * go, it answers again. */
START_TEST(listener_limit)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int socks[24];
	char *text;

	sa.sin_port = htons((uint16_t)gw_metrics_http_port(mh));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (size_t i = 0; i < ARRAY_LEN(socks); i++) {
		socks[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(socks[i], 0);
		ck_assert_int_eq(connect(socks[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
		send(socks[i], "GET /met", 8, MSG_NOSIGNAL);   /* a refused one may be closed */
		usleep(10000);
	}
	usleep(200000);
	for (size_t i = 0; i < ARRAY_LEN(socks); i++)
		close(socks[i]);
	usleep(200000);
	text = scrape();
	ck_assert_uint_ge(sample(text, "berth_gateway_connections_refused_total{listener=\"metrics\"}"),
			  ARRAY_LEN(socks) - GW_METRICS_PER_IP);
	ck_assert_uint_eq(sample(text, "berth_gateway_connections_refused_total{listener=\"api\"}"), 0);
	ck_assert_uint_eq(sample(text, "berth_gateway_errors_total{kind=\"connection_limit\"}"), 0);
	free(text);
}
END_TEST

START_TEST(config_metrics_listen)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct sockaddr_storage ss;
	struct gw_config c;
	char path[] = "/tmp/berth-test-gw-metrics-conf.XXXXXX", want[256];
	int fd = mkstemp(path);
	socklen_t len;

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "metrics_listen = nope\n", 22), 22);
	close(fd);
	ck_assert_int_eq(gw_config_load(path, &c, &err), -1);
	snprintf(want, sizeof(want), "%s: metrics_listen: expected ADDR:PORT, got \"nope\"", path);
	ck_assert_str_eq(err.msg, want);
	fd = open(path, O_WRONLY | O_TRUNC);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(gw_config_load(path, &c, &err), 0);
	ck_assert_str_eq(c.metrics_listen, "");   /* off by default */
	gw_config_free(&c);
	unlink(path);

	ck_assert_int_eq(gw_http_parse_address("metrics_listen", "127.0.0.1:9464", &ss, &len, &err), 0);
	ck_assert_int_eq(gw_http_parse_address("metrics_listen", "localhost:9464", &ss, &len, &err), -1);
	ck_assert_str_eq(err.msg, "metrics_listen: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got "
			 "\"localhost:9464\"");
	ck_assert_int_eq(gw_http_parse_address("metrics_listen", "127.0.0.1:99999", &ss, &len, &err), -1);
	ck_assert_str_eq(err.msg, "metrics_listen: bad port \"99999\"");
}
END_TEST

static Suite *gw_metrics_suite(void)
{
	Suite *s = suite_create("gw_metrics");
	TCase *tc = tcase_create("render");
	TCase *live = tcase_create("listener");

	tcase_add_test(tc, decimals);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, histogram_cumulative);
	tcase_add_test(tc, error_kinds);
	tcase_add_test(tc, render_all);
	tcase_add_test(tc, threads_lose_nothing);
	tcase_add_test(tc, config_metrics_listen);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(live, server_up, server_down);
	tcase_set_timeout(live, 60);
	tcase_add_test(live, listener_routes);
	tcase_add_test(live, api_refusals_counted);
	tcase_add_test(live, listener_limit);
	suite_add_tcase(s, live);
	return s;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	return unit_run(gw_metrics_suite());
}
