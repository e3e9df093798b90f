/*
 * gw_metrics_http.c - the metrics listener: GET /metrics in the Prometheus
 * text format on metrics_listen, nothing else.
 *
 * Its own libmicrohttpd daemon with one thread and its own small limits:
 * a flood of the API listener (connection_limit, per-address limits,
 * http_threads all taken) does not blind monitoring, and a flood of this
 * port costs the API at most GW_METRICS_CONNECTIONS descriptors and one
 * thread.  The per-address limit keeps one flooding host from taking all
 * of them (libmicrohttpd closes those at once; at the total limit it stops
 * accepting, and connections wait in the kernel's backlog).  No authentication (Prometheus scrapes without one): the admin
 * binds it to a management address.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "berth_log.h"
#include "gw_http_internal.h"
#include "gw_metrics.h"

#define GW_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct gw_metrics_http {
	struct MHD_Daemon *daemon;
	struct gw_service *svc;
	struct gw_log_ctx log;
	unsigned port;
};

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status, const char *type,
				  char *text, size_t len, const char *allow)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result rc;

	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION, "close");
	if (allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	rc = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return rc;
}

static enum MHD_Result reply_message(struct MHD_Connection *conn, unsigned status, const char *msg,
				     const char *allow)
{
	char *text = strdup(msg);

	return text ? reply_text(conn, status, "text/plain; charset=utf-8", text, strlen(text), allow)
		    : MHD_NO;
}

static enum MHD_Result reply_metrics(struct gw_metrics_http *mh, struct MHD_Connection *conn)
{
	struct gw_metrics_view view;
	struct gw_text text = { NULL, 0, 0, false };

	GW_METRIC_ADD(gw_service_metrics(mh->svc), n_scrapes, 1);
	gw_metrics_collect(mh->svc, &view);
	if (gw_metrics_render(&view, &text) < 0) {
		gw_text_free(&text);
		return reply_message(conn, 500, "out of memory\n", NULL);
	}
	return reply_text(conn, 200, GW_METRICS_CONTENT_TYPE, text.data, text.len, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct gw_metrics_http *mh = cls;
	static int seen;

	(void)version;
	(void)upload_data;
	if (!*con_cls) {   /* headers only: answer at once, a body is never read */
		*con_cls = &seen;
		if (strcmp(url, "/metrics"))
			return reply_message(conn, 404, "not found: the metrics are at /metrics\n", NULL);
		if (strcmp(method, "GET") && strcmp(method, "HEAD"))
			return reply_message(conn, 405, "method not allowed: use GET\n", "GET, HEAD");
		return reply_metrics(mh, conn);
	}
	*upload_data_size = 0;   /* a body after the reply: dropped */
	return MHD_YES;
}

struct gw_metrics_http *gw_metrics_http_start(const struct gw_config *cfg, struct gw_service *svc,
					      struct berth_error *err)
{
	struct sockaddr_storage addr;
	struct gw_metrics_http *mh;
	socklen_t len;
	int fd;

	if (!cfg->metrics_listen || !*cfg->metrics_listen)
		return NULL;
	if (gw_http_parse_address("metrics_listen", cfg->metrics_listen, &addr, &len, err) < 0)
		return NULL;
	mh = calloc(1, sizeof(*mh));
	if (!mh) {
		berth_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	mh->svc = svc;
	mh->log.metrics = gw_service_metrics(svc);
	mh->log.listener = GW_LISTENER_METRICS;
	fd = gw_http_open_listener(&addr, len, cfg->metrics_listen, &mh->port, err);
	if (fd < 0) {
		free(mh);
		return NULL;
	}
	mh->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY |
				      MHD_USE_ERROR_LOG, 0, NULL, NULL, on_request, mh,
		MHD_OPTION_EXTERNAL_LOGGER, gw_http_mhd_log, &mh->log,
		MHD_OPTION_LISTEN_SOCKET, fd,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)GW_METRICS_TIMEOUT_S,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)GW_METRICS_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned int)GW_METRICS_PER_IP,
		MHD_OPTION_END);
	if (!mh->daemon) {
		close(fd);
		free(mh);
		berth_error_set(err, EIO, "metrics_listen: cannot serve on %s (libmicrohttpd refused to start)",
				cfg->metrics_listen);
		return NULL;
	}
	return mh;
}

unsigned gw_metrics_http_port(const struct gw_metrics_http *mh)
{
	return mh ? mh->port : 0;
}

void gw_metrics_http_stop(struct gw_metrics_http *mh)
{
	if (!mh)
		return;
	MHD_stop_daemon(mh->daemon);
	free(mh);
}
