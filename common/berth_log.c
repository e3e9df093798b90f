/*
 * berth_log.c - see berth_log.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "berth_log.h"

#define LOG_LINE_MAX 2048

static berth_log_sink_fn log_sink = berth_log_sink_stderr;
static enum berth_log_level log_max_level = BERTH_LOG_DEBUG;

void berth_log_set_sink(berth_log_sink_fn sink)
{
	log_sink = sink ? sink : berth_log_sink_stderr;
}

void berth_log_set_level(enum berth_log_level max_level)
{
	log_max_level = max_level;
}

void berth_log_vwrite(enum berth_log_level level, const char *fmt, va_list ap)
{
	char line[LOG_LINE_MAX];

	if (level > log_max_level)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	log_sink(level, line);
}

void berth_log_write(enum berth_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	berth_log_vwrite(level, fmt, ap);
	va_end(ap);
}

void berth_log_sink_stderr(enum berth_log_level level, const char *line)
{
	static const char *const names[] = { "error", "info", "verbose", "debug" };

	fprintf(stderr, "%s: %s\n", names[level <= BERTH_LOG_DEBUG ? level : BERTH_LOG_DEBUG], line);
}

double berth_elapsed_ms(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - start->tv_sec) * 1e3 + (now.tv_nsec - start->tv_nsec) / 1e6;
}
