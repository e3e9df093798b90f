/*
 * gw_metrics.c - counting helpers and the Prometheus text exposition
 * (format 0.0.4) of the gateway's metrics; see gw_metrics.h.  The names,
 * labels and meanings are documented in berth-gatewayd(8), METRICS: keep
 * the two in step.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gw_metrics.h"

#define US 1000000u

const struct gw_hist_spec gw_hist_lookup_seconds = {
	12, { US / 2000, US / 1000, US / 400, US / 200, US / 100, US / 40, US / 20, US / 10,
	      US / 4, US / 2, US, 5 * US / 2 }, US,
};

const struct gw_hist_spec gw_hist_job_seconds = {
	13, { US / 10, US / 4, US / 2, US, 5 * US / 2, 5 * US, 10 * US, 30 * US, 60 * US,
	      120 * US, 300 * US, 600 * US, 1800 * US }, US,
};

static const unsigned http_codes[GW_HTTP_CODES - 1] = {
	200, 202, 400, 401, 403, 404, 405, 409, 413, 500, 502, 503,
};

static const char *const error_kinds[GW_ERR_KINDS] = {
	"bad_request", "auth", "denied", "not_found", "registry", "bad_image", "storage",
	"unavailable", "internal", "connection_limit",
};

static const char *const lookup_results[GW_LOOKUP_RESULTS] = {
	"ready", "in_progress", "failed", "not_found", "refused",
};

static const char *const listeners[GW_LISTENERS] = { "api", "proxy", "metrics" };
static const char *const results[GW_RESULTS] = { "ready", "failed" };

/* ---- counting --------------------------------------------------------- */
void gw_histogram_observe(struct gw_histogram *h, const struct gw_hist_spec *spec, uint64_t value)
{
	size_t i = 0;

	while (i < spec->n && value > spec->bounds[i])
		i++;
	__atomic_add_fetch(&h->bucket[i], 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&h->sum, value, __ATOMIC_RELAXED);
}

uint64_t gw_metrics_elapsed_us(const struct timespec *since)
{
	struct timespec now;
	int64_t us;

	clock_gettime(CLOCK_MONOTONIC, &now);
	us = (int64_t)(now.tv_sec - since->tv_sec) * 1000000 + (now.tv_nsec - since->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

_Static_assert(sizeof(struct gw_metrics) % sizeof(uint64_t) == 0,
	       "struct gw_metrics holds uint64_t counters only");

void gw_metrics_snapshot(const struct gw_metrics *live, struct gw_metrics *copy)
{
	const uint64_t *from = (const uint64_t *)live;
	uint64_t *to = (uint64_t *)copy;

	for (size_t i = 0; i < sizeof(*live) / sizeof(uint64_t); i++)
		to[i] = __atomic_load_n(&from[i], __ATOMIC_RELAXED);
}

unsigned gw_metrics_http_index(unsigned status)
{
	for (unsigned i = 0; i < GW_HTTP_CODES - 1; i++)
		if (http_codes[i] == status)
			return i;
	return GW_HTTP_CODES - 1;
}

enum gw_error_kind gw_error_kind_http(unsigned status, int code)
{
	if (code == EHOSTUNREACH || code == ECONNREFUSED || code == ETIMEDOUT || code == EPROTO)
		return GW_ERR_REGISTRY;
	if (code == EBADMSG)
		return GW_ERR_BAD_IMAGE;
	switch (status) {
	case 400: case 405: case 413:
		return GW_ERR_BAD_REQUEST;
	case 401:
		return GW_ERR_AUTH;
	case 403:
		return GW_ERR_DENIED;
	case 404:
		return GW_ERR_NOT_FOUND;
	case 502:
		return GW_ERR_REGISTRY;
	case 503:
		return GW_ERR_UNAVAILABLE;
	default:
		return GW_ERR_INTERNAL;
	}
}

enum gw_error_kind gw_error_kind_job(int code)
{
	switch (code) {
	case ENOENT:
		return GW_ERR_NOT_FOUND;
	case EACCES: case EPERM:
		return GW_ERR_DENIED;
	case EHOSTUNREACH: case ENETUNREACH: case ECONNREFUSED: case ECONNRESET: case ETIMEDOUT:
	case EPROTO: case EAGAIN: case EIO:
		return GW_ERR_REGISTRY;
	case EBADMSG: case ENOTSUP: case EFBIG: case EINVAL:
		return GW_ERR_BAD_IMAGE;
	case ENOSPC: case EDQUOT: case EROFS: case EMFILE: case ENFILE:
		return GW_ERR_STORAGE;
	default:
		return GW_ERR_INTERNAL;
	}
}

/* ---- text ------------------------------------------------------------- */
static bool text_reserve(struct gw_text *t, size_t more)
{
	size_t size = t->size ? t->size : 4096;
	char *grown;

	if (t->failed)
		return false;
	if (t->len + more + 1 <= t->size)
		return true;
	while (size < t->len + more + 1)
		size *= 2;
	grown = realloc(t->data, size);
	if (!grown) {
		t->failed = true;
		return false;
	}
	t->data = grown;
	t->size = size;
	return true;
}

void gw_text_printf(struct gw_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !text_reserve(t, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(t->data + t->len, t->size - t->len, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void gw_text_free(struct gw_text *t)
{
	free(t->data);
	memset(t, 0, sizeof(*t));
}

static void text_escaped(struct gw_text *t, const char *s, bool quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			gw_text_printf(t, "\\\\");
		else if (*s == '\n')
			gw_text_printf(t, "\\n");
		else if (*s == '"' && quote)
			gw_text_printf(t, "\\\"");
		else
			gw_text_printf(t, "%c", *s);
	}
}

void gw_prom_label_value(struct gw_text *t, const char *value)
{
	text_escaped(t, value, true);
}

void gw_prom_help_text(struct gw_text *t, const char *text)
{
	text_escaped(t, text, false);
}

void gw_prom_family(struct gw_text *t, const char *name, const char *type, const char *help)
{
	gw_text_printf(t, "# HELP %s ", name);
	gw_prom_help_text(t, help);
	gw_text_printf(t, "\n# TYPE %s %s\n", name, type);
}

void gw_prom_sample(struct gw_text *t, const char *name, const char *label, const char *label_value,
		    uint64_t value)
{
	gw_text_printf(t, "%s", name);
	if (label) {
		gw_text_printf(t, "{%s=\"", label);
		gw_prom_label_value(t, label_value);
		gw_text_printf(t, "\"}");
	}
	gw_text_printf(t, " %llu\n", (unsigned long long)value);
}

void gw_prom_decimal(struct gw_text *t, uint64_t units, uint64_t per_base)
{
	uint64_t frac = per_base > 1 ? units % per_base : 0;
	int digits = 0;

	gw_text_printf(t, "%llu", (unsigned long long)(per_base > 1 ? units / per_base : units));
	if (!frac)
		return;
	for (uint64_t p = per_base; p > 1; p /= 10)
		digits++;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	gw_text_printf(t, ".%0*llu", digits, (unsigned long long)frac);
}

void gw_prom_histogram(struct gw_text *t, const char *name, const char *help,
		       const struct gw_hist_spec *spec, const struct gw_histogram *h)
{
	uint64_t count = 0;

	gw_prom_family(t, name, "histogram", help);
	for (size_t i = 0; i < spec->n; i++) {
		count += h->bucket[i];
		gw_text_printf(t, "%s_bucket{le=\"", name);
		gw_prom_decimal(t, spec->bounds[i], spec->per_base);
		gw_text_printf(t, "\"} %llu\n", (unsigned long long)count);
	}
	count += h->bucket[spec->n];
	gw_text_printf(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum ", name, (unsigned long long)count, name);
	gw_prom_decimal(t, h->sum, spec->per_base);
	gw_text_printf(t, "\n%s_count %llu\n", name, (unsigned long long)count);
}

/* ---- the gateway's metrics -------------------------------------------- */
#define P "berth_gateway_"

/* A counter family with one label over a table of names. */
static void labelled(struct gw_text *t, const char *name, const char *help, const char *label,
		     const char *const *names, const uint64_t *values, size_t n)
{
	gw_prom_family(t, name, "counter", help);
	for (size_t i = 0; i < n; i++)
		gw_prom_sample(t, name, label, names[i], values[i]);
}

static void counter(struct gw_text *t, const char *name, const char *help, uint64_t value)
{
	gw_prom_family(t, name, "counter", help);
	gw_prom_sample(t, name, NULL, NULL, value);
}

static void gauge(struct gw_text *t, const char *name, const char *help, uint64_t value)
{
	gw_prom_family(t, name, "gauge", help);
	gw_prom_sample(t, name, NULL, NULL, value);
}

static void render_process(const struct gw_metrics_view *v, struct gw_text *t)
{
	gw_prom_family(t, P "build_info", "gauge", "berth-gatewayd's version (always 1)");
	gw_prom_sample(t, P "build_info", "version", v->version ? v->version : "", 1);
	gauge(t, "process_start_time_seconds", "start time of the process since the Unix epoch in seconds",
	      (uint64_t)(v->start_time > 0 ? v->start_time : 0));
	gauge(t, P "workers", "worker threads converting pulls and imports", v->workers);
	gw_prom_family(t, P "queue_depth", "gauge", "pulls and imports waiting for a worker, and running");
	gw_prom_sample(t, P "queue_depth", "state", "waiting", v->queued);
	gw_prom_sample(t, P "queue_depth", "state", "running", v->active);
}

static void render_jobs(const struct gw_metrics *m, struct gw_text *t)
{
	counter(t, P "pull_requests_total", "pull requests (POST /api/v1/pull) that reached the core",
		m->n_pulls);
	labelled(t, P "pulls_total", "pulls (downloads and conversions) finished, by result", "result",
		 results, m->n_pull_results, GW_RESULTS);
	labelled(t, P "imports_total", "imports finished, by result", "result", results,
		 m->n_import_results, GW_RESULTS);
	gw_prom_histogram(t, P "pull_duration_seconds",
			  "from a worker taking a pull to its end (ready or failed)",
			  &gw_hist_job_seconds, &m->pull_seconds);
	gw_prom_histogram(t, P "conversion_duration_seconds",
			  "squashfs conversions (a pull's overlaps its downloads)",
			  &gw_hist_job_seconds, &m->conversion_seconds);
	counter(t, P "conversions_total", "squashfs files written by the flattener", m->n_conversions);
	counter(t, P "squashfs_bytes_total", "bytes of squashfs files written by conversions",
		m->n_squashfs_bytes);
	counter(t, P "manifest_fetches_total", "manifests fetched from registries",
		m->n_manifest_fetches);
	counter(t, P "layer_download_bytes_total", "layer bytes received from registries",
		m->n_download_bytes);
	counter(t, P "layer_cache_hits_total", "layers a pull found in the layer cache", m->n_cache_hits);
	counter(t, P "layer_cache_misses_total", "layers downloaded because the cache lacked them",
		m->n_blob_downloads);
}

static void render_sharing(const struct gw_metrics_view *v, struct gw_text *t)
{
	static const char *const what[] = { "pull", "layer", "layerset" };
	static const char *const how[] = { "link", "copy" };
	const struct gw_metrics *m = &v->m;
	uint64_t joins[] = { m->n_pull_joins, m->n_layer_joins, m->n_layerset_joins };
	uint64_t shares[] = { m->n_layerset_links, m->n_layerset_copies };

	labelled(t, P "singleflight_joins_total",
		 "work joined instead of done twice: a pull of a digest already being pulled, a layer "
		 "another pull was downloading, a layer set another pull was converting", "what",
		 what, joins, 3);
	labelled(t, P "layerset_shares_total",
		 "images that got the squashfs of an image with the same layers (hard link or copy)",
		 "how", how, shares, 2);
	counter(t, P "digest_mismatches_total",
		"blobs and manifests refused because their sha256 digest or size did not match",
		v->digest_mismatches);
}

static void render_requests(const struct gw_metrics *m, struct gw_text *t)
{
	uint64_t errors[GW_ERR_KINDS];
	char code[16];

	labelled(t, P "lookups_total", "lookup requests, by answer", "result", lookup_results,
		 m->n_lookup_results, GW_LOOKUP_RESULTS);
	gw_prom_histogram(t, P "lookup_duration_seconds",
			  "lookup requests from their headers to the reply (munge decoding included)",
			  &gw_hist_lookup_seconds, &m->lookup_seconds);
	gw_prom_family(t, P "http_responses_total", "counter", "replies of the API, by HTTP status");
	for (unsigned i = 0; i < GW_HTTP_CODES; i++) {
		snprintf(code, sizeof(code), "%u", i < GW_HTTP_CODES - 1 ? http_codes[i] : 0);
		gw_prom_sample(t, P "http_responses_total", "code",
			       i < GW_HTTP_CODES - 1 ? code : "other", m->n_http[i]);
	}
	labelled(t, P "connections_refused_total",
		 "connections closed at once because a listener's connection limit was reached",
		 "listener", listeners, m->n_refused, GW_LISTENERS);
	memcpy(errors, m->n_errors, sizeof(errors));
	errors[GW_ERR_CONNECTION_LIMIT] = m->n_refused[GW_LISTENER_API] + m->n_refused[GW_LISTENER_PROXY];
	labelled(t, P "errors_total",
		 "failures by kind, each counted once: error replies of the API, failed pulls and "
		 "imports, API connections refused at once", "kind", error_kinds, errors, GW_ERR_KINDS);
}

int gw_metrics_render(const struct gw_metrics_view *v, struct gw_text *t)
{
	const struct gw_metrics *m = &v->m;

	render_process(v, t);
	render_jobs(m, t);
	render_sharing(v, t);
	render_requests(m, t);
	counter(t, P "waiting_jobs_released_total",
		"Slurm jobs held for an image released when it became READY", m->n_waiting_released);
	counter(t, P "waiting_jobs_cancelled_total", "Slurm jobs held for an image cancelled when it failed",
		m->n_waiting_cancelled);
	gauge(t, P "waiting_jobs", "Slurm jobs known to wait for an image", m->waiting_jobs);
	counter(t, P "metrics_scrapes_total", "GET /metrics answered", m->n_scrapes);
	return t->failed ? -1 : 0;
}
