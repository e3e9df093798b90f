/*
 * gw_http.c - libmicrohttpd glue of berth-gatewayd: listen, take requests
 * apart (route, method, credential, body), hand them to gw_http_routes.c,
 * send the reply, log one line per request.
 *
 * MHD calls the access handler several times per request: first with the
 * headers only (everything that can be refused without the body is refused
 * there, before an upload is read), then once per piece of body, then once
 * more with no data: the handler runs and the reply is queued.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>

#include "fs_util.h"
#include "berth_log.h"
#include "gw_http_internal.h"

/* descriptors kept for everything but the connections (state database,
 * layer files, munged, registries) when the fd limit is raised */
#define FD_RESERVE 256
/* a chunked JSON body beyond the limit is read and dropped up to this much
 * (to answer 413); after that the connection is closed (an upload beyond
 * import_max_size is closed at once) */
#define JSON_DISCARD_MAX (1024 * 1024)

/* Two listeners, one handler: the TCP one for everybody (per-address
 * limits), and optionally a UNIX socket with its own threads for the
 * trusted proxy, so that slurmctld's lookups are answered even while the
 * TCP listener is saturated by connections that never finish a request. */
struct gw_http {
	struct MHD_Daemon *daemon;
	struct MHD_Daemon *proxy;
	struct gw_http_ctx ctx;
	struct gw_log_ctx api_log, proxy_log;   /* counts each listener's refusals */
	unsigned port;
	bool socket_made;          /* cfg->proxy_socket is ours to remove */
};

static unsigned seconds(uint64_t ms)
{
	uint64_t s = (ms + 999) / 1000;

	return s > UINT_MAX ? UINT_MAX : (unsigned)s;
}

/* ---- listen address --------------------------------------------------- */
static int parse_port(const char *key, const char *text, unsigned *port, struct berth_error *err)
{
	char quoted[BERTH_QUOTE_SIZE];
	unsigned v = 0;
	const char *p;

	for (p = text; *p >= '0' && *p <= '9' && v <= 65535; p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (p == text || *p || v > 65535 || p - text > 5)
		return berth_error_set(err, EINVAL, "%s: bad port \"%s\"", key,
				       berth_error_quote(quoted, text, strlen(text)));
	*port = v;
	return 0;
}

int gw_http_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			 struct berth_error *err)
{
	return gw_http_parse_address("listen", text, addr, len, err);
}

int gw_http_parse_address(const char *key, const char *text, struct sockaddr_storage *addr,
			  socklen_t *len, struct berth_error *err)
{
	char host[INET6_ADDRSTRLEN + 2], quoted[BERTH_QUOTE_SIZE];
	const char *colon, *start = text, *end;
	unsigned port = 0;  /* (set by parse_port; gcc 14 cannot see it) */

	memset(addr, 0, sizeof(*addr));
	if (*text == '[') {
		start = text + 1;
		end = strchr(start, ']');
		if (!end || end[1] != ':')
			goto bad;
		colon = end + 1;
	} else {
		colon = strrchr(text, ':');
		if (!colon || memchr(text, ':', (size_t)(colon - text)))
			goto bad;   /* IPv6 needs brackets */
		end = colon;
	}
	if (end == start || (size_t)(end - start) >= sizeof(host))
		goto bad;
	memcpy(host, start, (size_t)(end - start));
	host[end - start] = '\0';
	if (parse_port(key, colon + 1, &port, err) < 0)
		return -1;
	if (*text == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)addr;

		if (inet_pton(AF_INET6, host, &a6->sin6_addr) != 1)
			goto bad;
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)addr;

		if (!strcmp(host, "*"))
			a4->sin_addr.s_addr = htonl(INADDR_ANY);
		else if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			goto bad;
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	}
	return 0;
bad:
	return berth_error_set(err, EINVAL,
			       "%s: expected IPV4:PORT, [IPV6]:PORT or *:PORT, got \"%s\"", key,
			       berth_error_quote(quoted, text, strlen(text)));
}

/* ---- replies ---------------------------------------------------------- */
/* Every reply of the API, once: its status, its error's kind, and for a
 * lookup its answer and how long it took since the headers came in. */
static void count_reply(struct gw_request *req)
{
	struct gw_metrics *m = req->metrics;
	unsigned status = req->reply.status;
	enum gw_lookup_result result;

	if (!m || req->counted)
		return;
	req->counted = true;
	GW_METRIC_ADD(m, n_http[gw_metrics_http_index(status)], 1);
	if (status >= 400)
		GW_METRIC_ADD(m, n_errors[gw_error_kind_http(status, req->reply.code)], 1);
	if (!req->route || strcmp(req->route->path, "/api/v1/lookup"))
		return;
	if (status == 200)
		result = req->lookup_result;
	else
		result = status == 404 ? GW_LOOKUP_NOT_FOUND : GW_LOOKUP_REFUSED;
	GW_METRIC_ADD(m, n_lookup_results[result], 1);
	gw_histogram_observe(&m->lookup_seconds, &gw_hist_lookup_seconds,
			     gw_metrics_elapsed_us(&req->started));
}

static enum MHD_Result send_reply(struct gw_request *req, const char *allow)
{
	struct gw_reply *reply = &req->reply;
	struct MHD_Response *resp;
	enum MHD_Result rc;
	char *text;
	size_t len;

	if (!reply->status || !reply->body)
		gw_reply_error(reply, 500, "internal error: no reply");
	count_reply(req);
	len = reply->body ? strlen(reply->body) : 0;
	/* one JSON line: the body plus "\n" */
	text = malloc(len + 2);
	if (!text)
		return MHD_NO;
	memcpy(text, reply->body ? reply->body : "", len);
	memcpy(text + len, "\n", 2);
	resp = MHD_create_response_from_buffer(len + 1, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	/* Clients make one request per connection (a lookup per job
	 * submission).  Closing it here puts the TIME_WAIT on the gateway's
	 * side, where it costs nothing, instead of on the client's, where
	 * thousands of lookups a second ran out of ephemeral ports (seen with
	 * the client and gateway on one host, on a non-loopback address). */
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(req->conn, reply->status, resp);
	MHD_destroy_response(resp);
	return rc;
}

/* ---- the first call: headers ------------------------------------------ */
static void authenticate(struct gw_http_ctx *ctx, struct gw_request *req)
{
	struct berth_error err = BERTH_ERROR_INIT;
	struct gw_credential cred;
	const char *text, *on_behalf;
	int rc;

	text = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, GW_AUTH_HEADER);
	on_behalf = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, GW_ON_BEHALF_HEADER);
	if (gw_auth_decode(ctx->cfg->munge_socket, text, &cred, &err) < 0) {
		gw_reply_error(&req->reply, gw_auth_http_status(err.code), err.msg);
		return;
	}
	req->cred_uid = cred.uid;
	req->decoded = true;
	rc = gw_auth_caller(ctx->cfg, &cred, on_behalf, &req->caller, &err);
	if (rc == 0 && cred.payload_len && !strcmp(req->route->path, "/api/v1/pull"))
		rc = gw_auth_parse_login(cred.payload, cred.payload_len, &req->login, &req->has_login, &err);
	gw_auth_credential_clear(&cred);
	if (rc < 0) {
		gw_reply_error(&req->reply, gw_auth_http_status(err.code), err.msg);
		return;
	}
	req->authenticated = true;
}

/* Content-Length beyond the limit: 413 before reading anything. */
static void check_length(struct gw_request *req)
{
	const char *text = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
						       MHD_HTTP_HEADER_CONTENT_LENGTH);
	char msg[128];

	if (!text)
		return;
	if (req->route->body == GW_BODY_NONE && strtoull(text, NULL, 10) > 0) {
		snprintf(msg, sizeof(msg), "%s takes no body", req->route->path);
		gw_reply_error(&req->reply, 400, msg);
	} else if (strtoull(text, NULL, 10) > req->body_limit) {
		snprintf(msg, sizeof(msg), "body larger than %llu bytes",
			 (unsigned long long)req->body_limit);
		gw_reply_error(&req->reply, 413, msg);
	}
}

static struct gw_request *request_new(struct gw_http_ctx *ctx, struct MHD_Connection *conn,
				      const char *url, const char *method)
{
	struct gw_request *req = calloc(1, sizeof(*req));
	size_t n;

	if (!req)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, &req->started);
	req->conn = conn;
	req->metrics = gw_service_metrics(ctx->svc);
	berth_error_quote(req->what, method, strlen(method));
	n = strlen(req->what);
	snprintf(req->what + n, sizeof(req->what) - n, " ");
	berth_error_quote(req->what + n + 1, url, strlen(url));
	req->upload_fd = -1;
	req->route = gw_http_find_route(url);
	if (!req->route) {
		gw_reply_error(&req->reply, 404, "no such endpoint (see doc/gateway-api.md)");
		return req;
	}
	if (strcmp(method, req->route->method)) {
		char msg[96];

		snprintf(msg, sizeof(msg), "method not allowed: use %s", req->route->method);
		gw_reply_error(&req->reply, 405, msg);
		return req;
	}
	req->body_limit = req->route->body == GW_BODY_UPLOAD ? ctx->cfg->import_max_size :
			  req->route->body == GW_BODY_JSON ? GW_JSON_BODY_MAX : 0;
	if (req->route->auth)
		authenticate(ctx, req);
	if (!req->reply.status)
		check_length(req);
	if (!req->reply.status && req->route->body == GW_BODY_UPLOAD)
		gw_http_import_begin(ctx, req);
	/* the headers are in: the body (if any) gets its own idle limit */
	if (!req->reply.status && req->route->body != GW_BODY_NONE)
		MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT,
					  seconds(ctx->cfg->body_timeout_ms));
	return req;
}

/* ---- body ------------------------------------------------------------- */
/* MHD_NO closes the connection (no reply possible in the middle of a body). */
static enum MHD_Result take_body(struct gw_request *req, const char *data, size_t size)
{
	req->received += size;
	if (req->route->body == GW_BODY_UPLOAD) {
		/* no reply is possible in the middle of an upload, and reading
		 * the rest of a big one only to drop it helps nobody: close */
		if (req->received > req->body_limit) {
			berth_verbose("%s: upload larger than %llu bytes: connection closed", req->what,
				      (unsigned long long)req->body_limit);
			return MHD_NO;
		}
		if (berth_write_all(req->upload_fd, data, size) < 0) {
			berth_err("%s: writing %s: %s: connection closed", req->what, req->upload_path,
				  strerror(errno));
			return MHD_NO;
		}
		return MHD_YES;
	}
	if (req->too_large || req->reply.status)
		return req->received > req->body_limit + JSON_DISCARD_MAX ? MHD_NO : MHD_YES;
	if (req->received > req->body_limit) {
		req->too_large = true;
		return MHD_YES;
	}
	if (!req->body) {
		req->body = malloc(GW_JSON_BODY_MAX + 1);
		if (!req->body)
			return MHD_NO;
	}
	memcpy(req->body + req->body_len, data, size);
	req->body_len += size;
	req->body[req->body_len] = '\0';
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct gw_http_ctx *ctx = cls;
	struct gw_request *req = *con_cls;
	char msg[96];

	(void)version;
	if (!req) {
		req = request_new(ctx, conn, url, method);
		if (!req)
			return MHD_NO;
		*con_cls = req;
		if (req->reply.status)   /* refused on the headers: the body is not read */
			return send_reply(req, req->reply.status == 405 ? gw_http_allowed(url) : NULL);
		return MHD_YES;
	}
	if (*upload_data_size) {
		enum MHD_Result rc = take_body(req, upload_data, *upload_data_size);

		*upload_data_size = 0;
		return rc;
	}
	if (req->too_large && req->route->body == GW_BODY_NONE) {
		snprintf(msg, sizeof(msg), "%s takes no body", req->route->path);
		gw_reply_error(&req->reply, 400, msg);
	} else if (req->too_large) {
		snprintf(msg, sizeof(msg), "body larger than %llu bytes",
			 (unsigned long long)req->body_limit);
		gw_reply_error(&req->reply, 413, msg);
	}
	if (!req->reply.status)
		req->route->handler(ctx, req);
	return send_reply(req, NULL);
}

/* ---- completion: log, release ------------------------------------------ */
static void log_request(const struct gw_request *req, struct MHD_Connection *conn,
			enum MHD_RequestTerminationCode toe)
{
	struct timespec now;
	char who[64] = "-";
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - req->started.tv_sec) * 1000 + (now.tv_nsec - req->started.tv_nsec) / 1000000;
	if (req->authenticated && req->cred_uid != req->caller.uid)
		snprintf(who, sizeof(who), "uid %u for uid %u", (unsigned)req->cred_uid,
			 (unsigned)req->caller.uid);
	else if (req->decoded)
		snprintf(who, sizeof(who), "uid %u", (unsigned)req->cred_uid);
	(void)conn;
	if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK && !req->reply.status)
		berth_info("%s %s: connection ended before a reply (%d)", who,
			   req->what, (int)toe);
	else if (req->reply.status >= 500)
		berth_err("%s %s -> %u in %ld ms: %s", who, req->what,
			  req->reply.status, ms, req->reply.message);
	else if (req->reply.status >= 400)
		berth_verbose("%s %s -> %u in %ld ms: %s", who, req->what,
			      req->reply.status, ms, req->reply.message);
	else
		berth_debug("%s %s -> %u in %ld ms", who, req->what,
			    req->reply.status, ms);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct gw_request *req = *con_cls;

	(void)cls;
	if (!req)
		return;
	log_request(req, conn, toe);
	if (req->upload_fd >= 0)
		close(req->upload_fd);
	if (req->upload_path[0])
		unlink(req->upload_path);
	gw_auth_wipe(&req->login, sizeof(req->login));
	free(req->body);
	free(req->reply.body);
	free(req);
	*con_cls = NULL;
}

/* libmicrohttpd tells of a connection it closed at once because of a
 * connection limit (the total or the per-address one) only in its log. */
#define MHD_LIMIT_MESSAGE "Server reached connection limit"

void gw_http_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct gw_log_ctx *lc = cls;
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (lc && lc->metrics && !strncmp(line, MHD_LIMIT_MESSAGE, strlen(MHD_LIMIT_MESSAGE)))
		GW_METRIC_ADD(lc->metrics, n_refused[lc->listener], 1);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	berth_verbose("http: %s", line);
}

/* ---- the proxy socket --------------------------------------------------- */
/* Who connected, for the log only: munge decides who the caller is. */
static void on_proxy_connection(void *cls, struct MHD_Connection *conn, void **socket_ctx,
				enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *info;
	struct ucred peer;
	socklen_t len = sizeof(peer);

	(void)cls;
	(void)socket_ctx;
	if (code != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info && getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0)
		berth_debug("proxy socket: connection from pid %ld uid %u", (long)peer.pid,
			    (unsigned)peer.uid);
}

/* A listening UNIX socket at path with mode perm; a stale socket there
 * (from a daemon that died) is replaced, anything else is an error. */
static int open_socket(const char *path, mode_t perm, struct berth_error *err)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode))
		return berth_error_set(err, EEXIST, "proxy_socket: \"%s\" exists and is not a socket",
				       path);
	if (lstat(path, &st) == 0 && unlink(path) < 0)
		return berth_error_errno(err, errno, "proxy_socket: remove stale \"%s\"", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return berth_error_errno(err, errno, "proxy_socket: socket");
	/* nobody can connect between bind and chmod: listen() comes last */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || chmod(path, perm) < 0 ||
	    listen(fd, SOMAXCONN) < 0) {
		int code = errno;

		close(fd);
		unlink(path);
		return berth_error_errno(err, code, "proxy_socket: \"%s\"", path);
	}
	return fd;
}

static int start_proxy(struct gw_http *http, unsigned flags, struct berth_error *err)
{
	const struct gw_config *cfg = http->ctx.cfg;
	int fd = open_socket(cfg->proxy_socket, cfg->proxy_socket_perm, err);

	if (fd < 0)
		return -1;
	http->socket_made = true;
	http->proxy = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &http->ctx,
		MHD_OPTION_EXTERNAL_LOGGER, gw_http_mhd_log, &http->proxy_log,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->http_threads,
		MHD_OPTION_CONNECTION_TIMEOUT, seconds(cfg->header_timeout_ms),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->proxy_connection_limit,
		MHD_OPTION_NOTIFY_CONNECTION, on_proxy_connection, NULL,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	if (!http->proxy) {
		close(fd);
		return berth_error_set(err, EIO, "proxy_socket: cannot serve \"%s\"", cfg->proxy_socket);
	}
	return 0;
}

/* Every connection is a descriptor: make sure the limits can be reached
 * (systemd's default soft limit of 1024 could not hold connection_limit). */
static void raise_fd_limit(const struct gw_config *cfg)
{
	rlim_t want = (rlim_t)cfg->connection_limit + FD_RESERVE +
		      (*cfg->proxy_socket ? cfg->proxy_connection_limit : 0);
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want ? rl.rlim_max : want;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
		berth_info("open file limit %llu is below connection_limit + %u: raise LimitNOFILE",
			   (unsigned long long)rl.rlim_cur, FD_RESERVE);
}

/* The TCP listening socket, made here rather than by libmicrohttpd: the
 * error is the bind's own (MHD 1.0 reports EBADF for a port in use), and
 * the port is known when the config asked for port 0. */
int gw_http_open_listener(const struct sockaddr_storage *addr, socklen_t len, const char *listen_text,
			  unsigned *port, struct berth_error *err)
{
	int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0), on = 1;
	struct sockaddr_storage bound;
	socklen_t bound_len = sizeof(bound);

	if (fd < 0)
		return berth_error_errno(err, errno, "cannot listen on %s", listen_text);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) < 0 ||
	    (addr->ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) < 0) ||
	    bind(fd, (const struct sockaddr *)addr, len) < 0 || listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&bound, &bound_len) < 0) {
		int code = errno;

		close(fd);
		return berth_error_errno(err, code, "cannot listen on %s", listen_text);
	}
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

/* ---- start, stop ------------------------------------------------------ */
struct gw_http *gw_http_start(const struct gw_config *cfg, struct gw_service *svc,
			      struct berth_error *err)
{
	struct sockaddr_storage addr;
	struct gw_http *http;
	socklen_t len;
	int fd;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
			 MHD_USE_ERROR_LOG;

	if (gw_http_parse_listen(cfg->listen, &addr, &len, err) < 0)
		return NULL;
	http = calloc(1, sizeof(*http));
	if (!http) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	http->ctx.cfg = cfg;
	http->ctx.svc = svc;
	http->api_log = (struct gw_log_ctx){ gw_service_metrics(svc), GW_LISTENER_API };
	http->proxy_log = (struct gw_log_ctx){ gw_service_metrics(svc), GW_LISTENER_PROXY };
	raise_fd_limit(cfg);
	if ((fd = gw_http_open_listener(&addr, len, cfg->listen, &http->port, err)) < 0) {
		free(http);
		return NULL;
	}
	http->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, &http->ctx,
		MHD_OPTION_EXTERNAL_LOGGER, gw_http_mhd_log, &http->api_log,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)cfg->http_threads,
		MHD_OPTION_CONNECTION_TIMEOUT, seconds(cfg->header_timeout_ms),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->connection_limit,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)cfg->per_ip_connection_limit,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
		MHD_OPTION_END);
	if (!http->daemon) {
		close(fd);
		free(http);
		berth_error_set(err, EIO, "cannot serve on %s (libmicrohttpd refused to start)", cfg->listen);
		return NULL;
	}
	if (*cfg->proxy_socket && start_proxy(http, flags, err) < 0) {
		gw_http_stop(http);
		return NULL;
	}
	return http;
}

unsigned gw_http_port(const struct gw_http *http)
{
	return http ? http->port : 0;
}

void gw_http_stop(struct gw_http *http)
{
	if (!http)
		return;
	if (http->proxy)
		MHD_stop_daemon(http->proxy);
	if (http->socket_made)
		unlink(http->ctx.cfg->proxy_socket);
	if (http->daemon)
		MHD_stop_daemon(http->daemon);
	free(http);
}
