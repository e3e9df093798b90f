/*
 * gw_metrics.h - the gateway's counters and their Prometheus text
 * exposition (format 0.0.4) on the admin's metrics_listen address
 * (berth-gatewayd(8), METRICS).
 *
 * Every counter of the gateway lives in one struct gw_metrics inside the
 * service (gw_service_metrics()); each field is a uint64_t changed only
 * with the relaxed atomic builtins of GW_METRIC_ADD (GW_COUNT in
 * gw_service_internal.h is the same for svc->metrics), so counting takes
 * no lock and allocates nothing.  Histograms keep one counter per bucket
 * (not cumulative) and their sum in integer units (microseconds); a scrape
 * copies the struct field by field (gw_metrics_snapshot), makes the
 * buckets cumulative and derives _count from them, so +Inf always equals
 * _count even while other threads observe.
 */
#ifndef BERTH_GW_METRICS_H_
#define BERTH_GW_METRICS_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "berth_error.h"
#include "gw_config.h"

#define GW_METRIC_ADD(m, field, n) \
	((void)__atomic_add_fetch(&(m)->field, (uint64_t)(n), __ATOMIC_RELAXED))
#define GW_METRIC_SET(m, field, v) __atomic_store_n(&(m)->field, (uint64_t)(v), __ATOMIC_RELAXED)

/* A job's end (pulls, imports). */
enum gw_job_result { GW_RESULT_READY, GW_RESULT_FAILED, GW_RESULTS };

/* What a lookup request was answered. */
enum gw_lookup_result {
	GW_LOOKUP_READY, GW_LOOKUP_IN_PROGRESS, GW_LOOKUP_FAILED, GW_LOOKUP_NOT_FOUND,
	GW_LOOKUP_REFUSED, GW_LOOKUP_RESULTS,
};

/* Why something failed: one kind per failure, counted once where the
 * gateway gives up on it (an error reply, a failed job, a connection
 * closed at once).  See gw_error_kind_http() and gw_error_kind_job(). */
enum gw_error_kind {
	GW_ERR_BAD_REQUEST,      /* 400, 405, 413 */
	GW_ERR_AUTH,             /* 401: no, bad, expired or replayed munge credential */
	GW_ERR_DENIED,           /* 403 / EPERM, EACCES: role, registry_allow, registry refused */
	GW_ERR_NOT_FOUND,        /* 404 / ENOENT */
	GW_ERR_REGISTRY,         /* unreachable, 5xx/429 after retries, protocol, cut off */
	GW_ERR_BAD_IMAGE,        /* EBADMSG, ENOTSUP, EFBIG: digest/size mismatch, malformed */
	GW_ERR_STORAGE,          /* ENOSPC, EDQUOT, EROFS, EMFILE, ENFILE */
	GW_ERR_UNAVAILABLE,      /* 503: queue full, shutting down, munged unreachable */
	GW_ERR_INTERNAL,         /* anything else (500) */
	GW_ERR_CONNECTION_LIMIT, /* connection closed at once (connection limits) */
	GW_ERR_KINDS,
};

enum gw_listener { GW_LISTENER_API, GW_LISTENER_PROXY, GW_LISTENER_METRICS, GW_LISTENERS };

/* HTTP statuses the API answers, one counter each, and "other" last. */
#define GW_HTTP_CODES 13

#define GW_HIST_MAX 16

struct gw_histogram {
	uint64_t bucket[GW_HIST_MAX + 1];   /* [i]: bounds[i-1] < v <= bounds[i]; [n]: above all */
	uint64_t sum;                       /* in the spec's units */
};

struct gw_hist_spec {
	size_t n;                    /* finite buckets (<= GW_HIST_MAX) */
	uint64_t bounds[GW_HIST_MAX];  /* upper bounds in units, ascending */
	uint64_t per_base;           /* units per base unit (1000000: microseconds -> seconds) */
};

extern const struct gw_hist_spec gw_hist_lookup_seconds;   /* 0.5 ms .. 2.5 s */
extern const struct gw_hist_spec gw_hist_job_seconds;      /* 0.1 s .. 30 min */

struct gw_metrics {
	/* also in GET /api/v1/health (struct gw_counters) */
	uint64_t n_lookups, n_pulls, n_manifest_fetches, n_blob_downloads;
	uint64_t n_cache_hits, n_conversions, n_failures;
	uint64_t n_layerset_links, n_layerset_copies;
	/* /metrics only */
	uint64_t n_pull_results[GW_RESULTS], n_import_results[GW_RESULTS];
	uint64_t n_pull_joins, n_layer_joins, n_layerset_joins;   /* single-flight */
	uint64_t n_download_bytes, n_squashfs_bytes;
	uint64_t n_lookup_results[GW_LOOKUP_RESULTS];
	uint64_t n_errors[GW_ERR_KINDS];     /* [GW_ERR_CONNECTION_LIMIT]: from n_refused */
	uint64_t n_http[GW_HTTP_CODES];
	uint64_t n_refused[GW_LISTENERS];
	uint64_t n_waiting_released, n_waiting_cancelled;
	uint64_t waiting_jobs;               /* gauge */
	uint64_t n_scrapes;
	struct gw_histogram lookup_seconds, conversion_seconds, pull_seconds;
};

/* What one scrape shows: a copy of the counters and the gauges read under
 * the service's lock. */
struct gw_metrics_view {
	struct gw_metrics m;
	unsigned workers, queued, active;
	uint64_t digest_mismatches;          /* registry_verify_failures() */
	int64_t start_time;                  /* unix seconds */
	const char *version;
};

void gw_histogram_observe(struct gw_histogram *h, const struct gw_hist_spec *spec, uint64_t value);
/* Microseconds since *since (CLOCK_MONOTONIC). */
uint64_t gw_metrics_elapsed_us(const struct timespec *since);
void gw_metrics_snapshot(const struct gw_metrics *live, struct gw_metrics *copy);

/* Index into n_http of an HTTP status. */
unsigned gw_metrics_http_index(unsigned status);
/* The kind of an error reply (code: its gw_service.h error code, 0 when
 * the HTTP layer refused it by itself) and of a failed job (code: the
 * registry's, the flattener's or a system call's errno). */
enum gw_error_kind gw_error_kind_http(unsigned status, int code);
enum gw_error_kind gw_error_kind_job(int code);

/* ---- text exposition ---- */
struct gw_text {
	char *data;
	size_t len, size;
	bool failed;                 /* out of memory: the text is incomplete */
};

__attribute__((format(printf, 2, 3)))
void gw_text_printf(struct gw_text *t, const char *fmt, ...);
void gw_text_free(struct gw_text *t);
/* Prometheus escaping: label values (\\, \", \n) and HELP text (\\, \n). */
void gw_prom_label_value(struct gw_text *t, const char *value);
void gw_prom_help_text(struct gw_text *t, const char *text);
/* "# HELP name help" and "# TYPE name type". */
void gw_prom_family(struct gw_text *t, const char *name, const char *type, const char *help);
/* "name value" or "name{label="value"} value" (label NULL: none). */
void gw_prom_sample(struct gw_text *t, const char *name, const char *label, const char *label_value,
		    uint64_t value);
/* A whole histogram family: HELP, TYPE, cumulative buckets, _sum, _count. */
void gw_prom_histogram(struct gw_text *t, const char *name, const char *help,
		       const struct gw_hist_spec *spec, const struct gw_histogram *h);
/* units in the spec's base unit as an exact decimal ("0.0005", "2.5"). */
void gw_prom_decimal(struct gw_text *t, uint64_t units, uint64_t per_base);

/* Every metric of the gateway (berth-gatewayd(8), METRICS); -1 when out of
 * memory. */
int gw_metrics_render(const struct gw_metrics_view *v, struct gw_text *t);

/* ---- the metrics listener (gw_metrics_http.c) ---- */
#define GW_METRICS_CONNECTIONS 16   /* at once */
#define GW_METRICS_PER_IP 4         /* at once from one address; more are closed at once */
#define GW_METRICS_TIMEOUT_S 5      /* idle connections are closed after this */

struct gw_service;
struct gw_metrics_http;

/* Listen on cfg->metrics_listen: NULL and no error when it is "". */
struct gw_metrics_http *gw_metrics_http_start(const struct gw_config *cfg, struct gw_service *svc,
					      struct berth_error *err);
unsigned gw_metrics_http_port(const struct gw_metrics_http *mh);
void gw_metrics_http_stop(struct gw_metrics_http *mh);

#endif
