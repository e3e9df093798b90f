/*
 * berth_log.h - logging with one "berth: " prefix, added by the macros.
 *
 * The format must be a string literal (the prefix is glued on by the
 * preprocessor).  Where the text goes is decided once per process by
 * berth_log_set_sink(): the plugins route it to Slurm's log functions, the
 * gateway to stderr/syslog, unit tests to a capture buffer.
 */
#ifndef BERTH_LOG_H_
#define BERTH_LOG_H_

#include <stdarg.h>
#include <time.h>

enum berth_log_level {
	BERTH_LOG_ERROR = 0,
	BERTH_LOG_INFO = 1,
	BERTH_LOG_VERBOSE = 2,
	BERTH_LOG_DEBUG = 3,
};

/* A sink receives the fully formatted line (prefix included, no newline). */
typedef void (*berth_log_sink_fn)(enum berth_log_level level, const char *line);

void berth_log_set_sink(berth_log_sink_fn sink);
/* Lines above this level are dropped before formatting (default: DEBUG). */
void berth_log_set_level(enum berth_log_level max_level);
void berth_log_write(enum berth_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void berth_log_vwrite(enum berth_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Milliseconds since *start (CLOCK_MONOTONIC), for "... in 12.3 ms" lines. */
double berth_elapsed_ms(const struct timespec *start);

/* The default sink: "<level>: line\n" on stderr. */
void berth_log_sink_stderr(enum berth_log_level level, const char *line);

#define BERTH_LOG_PREFIX "berth: "
#define berth_err(...)     berth_log_write(BERTH_LOG_ERROR, BERTH_LOG_PREFIX __VA_ARGS__)
#define berth_info(...)    berth_log_write(BERTH_LOG_INFO, BERTH_LOG_PREFIX __VA_ARGS__)
#define berth_verbose(...) berth_log_write(BERTH_LOG_VERBOSE, BERTH_LOG_PREFIX __VA_ARGS__)
#define berth_debug(...)   berth_log_write(BERTH_LOG_DEBUG, BERTH_LOG_PREFIX __VA_ARGS__)

#endif
