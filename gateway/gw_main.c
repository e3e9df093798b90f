/*
 * gw_main.c - berth-gatewayd: the image gateway daemon (berth-gatewayd(8)).
 *
 *   berth-gatewayd [-c CONFIG] [-f] [--check-config]
 *
 * Loads berth-gateway.conf, starts the core (gw_service.h) and the HTTP API
 * (gw_http.h), then waits for signals in the main thread (every other
 * thread has them blocked): SIGTERM/SIGINT stop it gracefully (HTTP first,
 * then the core), SIGHUP reopens the log file.  Without -f it detaches and
 * returns once the API is listening (or with the start-up error).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "berth_log.h"
#include "gw_config.h"
#include "gw_http.h"
#include "gw_metrics.h"
#include "gw_service.h"
#include "gw_waiting.h"

#ifndef BERTH_SYSCONFDIR
#define BERTH_SYSCONFDIR "/etc/berth"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0"
#endif
#define DEFAULT_CONFIG BERTH_SYSCONFDIR "/berth-gateway.conf"

struct options {
	const char *config;
	bool foreground;
	bool check_only;
};

/* ---- logging ------------------------------------------------------------ */
static int log_fd = STDERR_FILENO;
static bool log_syslog;
static const char *const level_names[] = { "error", "info", "verbose", "debug" };

/* "2026-11-23T10:11:54.123Z info: berth: ...", one write() per line. */
static void sink_file(enum berth_log_level level, const char *line)
{
	char buf[2300], stamp[32];
	struct timespec ts;
	struct tm tm;
	int n;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	n = snprintf(buf, sizeof(buf), "%s.%03ldZ %s: %s\n", stamp, ts.tv_nsec / 1000000,
		     level_names[level <= BERTH_LOG_DEBUG ? level : BERTH_LOG_DEBUG], line);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	if (write(log_fd, buf, (size_t)n) < 0) {
		/* nowhere left to report it */
	}
}

static void sink_syslog(enum berth_log_level level, const char *line)
{
	static const int prio[] = { LOG_ERR, LOG_INFO, LOG_INFO, LOG_DEBUG };

	syslog(prio[level <= BERTH_LOG_DEBUG ? level : BERTH_LOG_DEBUG], "%s", line);
}

/* (Re)open the log file on the same descriptor, so writers never see a
 * closed one. */
static int open_log(const char *path, struct berth_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);

	if (fd < 0)
		return berth_error_errno(err, errno, "log_file %s", path);
	if (log_fd == STDERR_FILENO) {
		log_fd = fd;
		return 0;
	}
	if (dup3(fd, log_fd, O_CLOEXEC) < 0) {
		close(fd);
		return berth_error_errno(err, errno, "log_file %s", path);
	}
	close(fd);
	return 0;
}

static int setup_log(const struct gw_config *cfg, bool foreground, struct berth_error *err)
{
	enum berth_log_level level = BERTH_LOG_INFO;

	gw_config_log_level(cfg->log_level, &level);
	berth_log_set_level(level);
	if (*cfg->log_file) {
		if (open_log(cfg->log_file, err) < 0)
			return -1;
		berth_log_set_sink(sink_file);
	} else if (foreground) {
		berth_log_set_sink(sink_file);
	} else {
		openlog("berth-gatewayd", LOG_PID, LOG_DAEMON);
		log_syslog = true;
		berth_log_set_sink(sink_syslog);
	}
	return 0;
}

/* ---- pid file ------------------------------------------------------------ */
/* Created, locked (a second daemon with the same file refuses to start) and
 * filled with our pid; the descriptor stays open while we run. */
static int write_pid_file(const char *path, int *fd_out, struct berth_error *err)
{
	char text[32];
	int fd, n;

	*fd_out = -1;
	if (!*path)
		return 0;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return berth_error_errno(err, errno, "pid_file %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		n = (int)read(fd, text, sizeof(text) - 1);
		text[n > 0 ? n : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		close(fd);
		return berth_error_set(err, EEXIST, "pid_file %s: locked by a running berth-gatewayd (pid %s)",
				       path, text[0] ? text : "?");
	}
	n = snprintf(text, sizeof(text), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || write(fd, text, (size_t)n) != n) {
		close(fd);
		return berth_error_errno(err, errno, "pid_file %s", path);
	}
	*fd_out = fd;
	return 0;
}

/* ---- detaching ----------------------------------------------------------- */
/* Fork: the parent waits on *report for the child's start-up result (a
 * message, empty when all is well) and returns its exit status in
 * *parent_status; the child returns 0 with *report the write end. */
static int detach(int *report, int *parent_status)
{
	char msg[BERTH_ERROR_MSG_MAX + 1];
	int fds[2], devnull;
	ssize_t n, got = 0;
	pid_t pid;

	*parent_status = -1;
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		close(fds[1]);
		while ((n = read(fds[0], msg + got, sizeof(msg) - 1 - (size_t)got)) > 0 ||
		       (n < 0 && errno == EINTR))
			got += n > 0 ? n : 0;
		msg[got] = '\0';
		if (got == 0)
			fprintf(stderr, "berth-gatewayd: start-up failed (see the log)\n");
		else if (msg[0] != '+')
			fprintf(stderr, "berth-gatewayd: %s\n", msg);
		*parent_status = got > 0 && msg[0] == '+' ? EXIT_SUCCESS : EXIT_FAILURE;
		return 0;
	}
	close(fds[0]);
	*report = fds[1];
	setsid();
	if (chdir("/") < 0)
		return -1;
	devnull = open("/dev/null", O_RDWR);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		dup2(devnull, STDOUT_FILENO);
		dup2(devnull, STDERR_FILENO);
		if (devnull > STDERR_FILENO)
			close(devnull);
	}
	return 0;
}

static void report_start(int *report, const char *error)
{
	if (*report < 0)
		return;
	if (write(*report, error ? error : "+", strlen(error ? error : "+")) < 0) {
		/* the parent is gone: nobody to tell */
	}
	close(*report);
	*report = -1;
}

/* ---- running ------------------------------------------------------------- */
static int wait_for_stop(const sigset_t *signals, const struct gw_config *cfg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	int sig;

	for (;;) {
		if (sigwait(signals, &sig) != 0)
			continue;
		if (sig == SIGHUP) {
			if (*cfg->log_file && !log_syslog && open_log(cfg->log_file, &err) < 0)
				berth_err("SIGHUP: %s", err.msg);
			else
				berth_info("SIGHUP: log reopened");
			continue;
		}
		return sig;
	}
}

static int run(const struct options *opt, const struct gw_config *cfg)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_service *svc = NULL;
	struct gw_waiting *waiting = NULL;
	struct gw_http *http = NULL;
	struct gw_metrics_http *metrics = NULL;
	sigset_t signals;
	int report = -1, parent_status, pid_fd = -1, sig;

	if (setup_log(cfg, opt->foreground, &err) < 0) {
		fprintf(stderr, "berth-gatewayd: %s\n", err.msg);
		return EXIT_FAILURE;
	}
	if (!opt->foreground) {
		if (detach(&report, &parent_status) < 0) {
			fprintf(stderr, "berth-gatewayd: cannot detach: %s\n", strerror(errno));
			return EXIT_FAILURE;
		}
		if (parent_status >= 0)
			return parent_status;
	}
	/* before any thread exists: only the main thread takes these */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (write_pid_file(cfg->pid_file, &pid_fd, &err) < 0)
		goto failed;
	svc = gw_service_create(cfg, &err);
	if (!svc)
		goto failed;
	waiting = gw_waiting_start_configured(cfg, svc, &err);
	if (!waiting && err.code)
		goto failed;
	http = gw_http_start(cfg, svc, &err);
	if (!http)
		goto failed;
	metrics = gw_metrics_http_start(cfg, svc, &err);
	if (!metrics && err.code)
		goto failed;
	berth_info("berth-gatewayd %s: listening on %s (port %u), %u http threads, %u workers, images in %s",
		   PACKAGE_VERSION, cfg->listen, gw_http_port(http), cfg->http_threads, cfg->workers,
		   cfg->image_dir);
	if (*cfg->proxy_socket)
		berth_info("trusted proxy socket %s (mode %04o)", cfg->proxy_socket,
			   (unsigned)cfg->proxy_socket_perm);
	if (metrics)
		berth_info("metrics on %s (port %u): GET /metrics", cfg->metrics_listen,
			   gw_metrics_http_port(metrics));
	report_start(&report, NULL);
	sig = wait_for_stop(&signals, cfg);
	berth_info("signal %d: stopping", sig);
	gw_metrics_http_stop(metrics);
	gw_http_stop(http);
	gw_waiting_stop(waiting);
	gw_service_destroy(svc);
	berth_info("stopped");
	if (pid_fd >= 0) {
		unlink(cfg->pid_file);
		close(pid_fd);
	}
	return EXIT_SUCCESS;

failed:
	berth_err("%s", err.msg);
	report_start(&report, err.msg);
	gw_metrics_http_stop(metrics);
	gw_http_stop(http);
	gw_waiting_stop(waiting);
	if (svc)
		gw_service_destroy(svc);
	if (pid_fd >= 0) {
		unlink(cfg->pid_file);
		close(pid_fd);
	}
	if (opt->foreground && !*cfg->log_file)
		return EXIT_FAILURE;   /* already on stderr */
	fprintf(stderr, "berth-gatewayd: %s\n", err.msg);
	return EXIT_FAILURE;
}

/* ---- main ------------------------------------------------------------------ */
static void usage(FILE *out)
{
	fprintf(out,
		"usage: berth-gatewayd [-c CONFIG] [-f] [--check-config]\n"
		"  -c, --config FILE   configuration (default %s)\n"
		"  -f, --foreground    stay in the foreground, log to stderr\n"
		"      --check-config  load the configuration, report, exit\n"
		"  -V, --version       print the version\n"
		"  -h, --help          this text\n", DEFAULT_CONFIG);
}

/* 0: run; 1: exit 0 (help, version); -1: usage error. */
static int parse_options(int argc, char **argv, struct options *opt)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	opt->config = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:fVh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': opt->config = optarg; break;
		case 'f': opt->foreground = true; break;
		case 'C': opt->check_only = true; break;
		case 'V': printf("berth-gatewayd %s\n", PACKAGE_VERSION); return 1;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "berth-gatewayd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct options opt = { NULL, false, false };
	struct sockaddr_storage addr;
	struct gw_config cfg;
	socklen_t len;
	int rc;

	rc = parse_options(argc, argv, &opt);
	if (rc)
		return rc > 0 ? EXIT_SUCCESS : 2;
	if (gw_config_load(opt.config, &cfg, &err) < 0 ||
	    gw_http_parse_listen(cfg.listen, &addr, &len, &err) < 0 ||
	    (*cfg.metrics_listen &&
	     gw_http_parse_address("metrics_listen", cfg.metrics_listen, &addr, &len, &err) < 0)) {
		fprintf(stderr, "berth-gatewayd: %s\n", err.msg);
		if (cfg.listen)
			gw_config_free(&cfg);
		return EXIT_FAILURE;
	}
	if (opt.check_only) {
		printf("%s: ok (listen %s, image_dir %s, state_dir %s%s%s)\n", opt.config, cfg.listen,
		       cfg.image_dir, cfg.state_dir, *cfg.metrics_listen ? ", metrics_listen " : "",
		       cfg.metrics_listen);
		gw_config_free(&cfg);
		return EXIT_SUCCESS;
	}
	if ((geteuid() == 0 || getuid() == 0) && !cfg.allow_root) {
		fprintf(stderr, "berth-gatewayd: refusing to run as root: start it as an unprivileged user "
			"(or set allow_root = yes in %s)\n", opt.config);
		gw_config_free(&cfg);
		return EXIT_FAILURE;
	}
	rc = run(&opt, &cfg);
	gw_config_free(&cfg);
	return rc;
}
