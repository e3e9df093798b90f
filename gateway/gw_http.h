/*
 * gw_http.h - berth-gatewayd's HTTP API (doc/gateway-api.md) on
 * libmicrohttpd: routing, munge authentication (gw_auth.h), JSON bodies,
 * import uploads; the work is done by the core (gw_service.h).
 */
#ifndef BERTH_GW_HTTP_H_
#define BERTH_GW_HTTP_H_

#include <sys/socket.h>

#include "berth_error.h"
#include "gw_config.h"
#include "gw_service.h"

struct gw_http;

/* Listen on cfg->listen with cfg->http_threads threads and serve svc (which
 * must outlive the server).  Port 0 picks a free port (gw_http_port). */
struct gw_http *gw_http_start(const struct gw_config *cfg, struct gw_service *svc,
			      struct berth_error *err);

/* The port actually listened on. */
unsigned gw_http_port(const struct gw_http *http);

/* Stop listening and wait for the requests in progress. */
void gw_http_stop(struct gw_http *http);

/* "ADDR:PORT" -> socket address: an IPv4 literal, "[IPv6 literal]" or "*"
 * (every IPv4 address); port 0..65535. */
int gw_http_parse_listen(const char *text, struct sockaddr_storage *addr, socklen_t *len,
			 struct berth_error *err);

/* The same for another key of berth-gateway.conf (named in errors). */
int gw_http_parse_address(const char *key, const char *text, struct sockaddr_storage *addr,
			  socklen_t *len, struct berth_error *err);

/* HTTP status for an error code of gw_service.h. */
unsigned gw_http_status_for_error(int code);

#endif
