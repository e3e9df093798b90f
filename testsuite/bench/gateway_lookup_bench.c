/*
 * gateway_lookup_bench.c - the lookup job submission makes, as fast as the
 * client library can do it: THREADS threads call berth_gateway_lookup (one
 * connection and one fresh munge credential per call, as in slurmctld) for
 * SECONDS and the figures are printed.  Driven by gateway_lookup.sh.
 *
 *   gateway_lookup_bench URL REF SECONDS THREADS [MUNGE_SOCKET]
 * Prints one line:
 *   threads=2 lookups=5310 errors=0 seconds=5.00 rate=1062/s p50=1.8ms p90=2.4ms p99=4.1ms
 * Exit 1 when a lookup fails or the image is not READY.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gateway_client.h"

#define THREADS_MAX 64
#define SAMPLES_MAX (1u << 20)

struct worker {
	pthread_t thread;
	const struct berth_gateway_opts *opts;
	const char *ref;
	double end;
	double *latency_ms;   /* SAMPLES_MAX */
	size_t count, errors;
	struct berth_error first_error;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct berth_gateway_image img;
	struct berth_error err = BERTH_ERROR_INIT;
	double t0;

	while ((t0 = now_s()) < w->end && w->count < SAMPLES_MAX) {
		if (berth_gateway_lookup(w->opts, w->ref, &img, &err) < 0 || strcmp(img.status, "READY")) {
			if (!w->errors++)
				w->first_error = err.msg[0] ? err
					: (struct berth_error){ 0, "image is not READY" };
			continue;
		}
		w->latency_ms[w->count++] = (now_s() - t0) * 1000;
	}
	return NULL;
}

static int by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t n, double p)
{
	return n ? sorted[(size_t)((double)(n - 1) * p)] : 0;
}

int main(int argc, char **argv)
{
	struct berth_gateway_opts opts = { .timeout_ms = 10000 };
	static struct worker workers[THREADS_MAX];
	double seconds, start, took, *all;
	size_t total = 0, errors = 0, i, j;
	long threads;

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: %s URL REF SECONDS THREADS [MUNGE_SOCKET]\n", argv[0]);
		return 2;
	}
	opts.url = argv[1];
	seconds = atof(argv[3]);
	threads = atol(argv[4]);
	opts.munge_socket = argc == 6 ? argv[5] : NULL;
	if (seconds <= 0 || threads < 1 || threads > THREADS_MAX) {
		fprintf(stderr, "%s: bad SECONDS or THREADS (1..%d)\n", argv[0], THREADS_MAX);
		return 2;
	}
	start = now_s();
	for (i = 0; i < (size_t)threads; i++) {
		workers[i].opts = &opts;
		workers[i].ref = argv[2];
		workers[i].end = start + seconds;
		workers[i].latency_ms = malloc(SAMPLES_MAX * sizeof(double));
		if (!workers[i].latency_ms || pthread_create(&workers[i].thread, NULL, work, &workers[i])) {
			fprintf(stderr, "%s: cannot start a thread\n", argv[0]);
			return 1;
		}
	}
	for (i = 0; i < (size_t)threads; i++) {
		pthread_join(workers[i].thread, NULL);
		total += workers[i].count;
		errors += workers[i].errors;
	}
	took = now_s() - start;
	all = malloc((total ? total : 1) * sizeof(double));
	if (!all)
		return 1;
	for (i = 0, j = 0; i < (size_t)threads; j += workers[i].count, i++)
		memcpy(all + j, workers[i].latency_ms, workers[i].count * sizeof(double));
	qsort(all, total, sizeof(double), by_value);
	printf("threads=%ld lookups=%zu errors=%zu seconds=%.2f rate=%.0f/s p50=%.1fms p90=%.1fms p99=%.1fms\n",
	       threads, total, errors, took, (double)total / took, percentile(all, total, 0.5),
	       percentile(all, total, 0.9), percentile(all, total, 0.99));
	for (i = 0; i < (size_t)threads; i++) {
		if (workers[i].errors)
			fprintf(stderr, "%s: first error: %s\n", argv[0], workers[i].first_error.msg);
		free(workers[i].latency_ms);
	}
	free(all);
	return errors ? 1 : 0;
}
