/*
 * registry_policy.c - which hosts the registry client may talk to
 * (berth-gateway.conf registry_allow, registry_redirect_allow).
 *
 * Users name registries, so without a policy any user could make the
 * gateway connect to any host:port of the site's networks (SSRF).  Two
 * checks:
 *   - by name, before a request: the registry of a reference must be listed
 *     in `allow` (or `allow` holds "*"); a URL that leaves the registry's
 *     origin (a redirect to blob storage, a token realm) must name a host
 *     listed in `allow` or `redirect_allow` (or "*" is in `allow`);
 *   - by address, at connect time (CURLOPT_OPENSOCKETFUNCTION, so DNS
 *     rebinding cannot slip past a check made earlier): a host reached only
 *     through "*" must be at a public address; private, loopback,
 *     link-local and other special ranges need the host listed by name.
 * Entries are "host" (the scheme's default port) or "host:port".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "berth_log.h"
#include "registry_internal.h"

/* ------------------------------------------------------------ addresses */

static bool v4_public(uint32_t a)
{
	return !((a >> 24) == 0 ||                      /* "this network" (0.0.0.0 is local) */
		 (a >> 24) == 10 ||
		 (a >> 24) == 127 ||
		 (a & 0xffc00000u) == 0x64400000u ||     /* 100.64/10 shared (CGNAT) */
		 (a & 0xffff0000u) == 0xa9fe0000u ||     /* 169.254/16 link-local, cloud metadata */
		 (a & 0xfff00000u) == 0xac100000u ||     /* 172.16/12 */
		 (a & 0xffffff00u) == 0xc0000000u ||     /* 192.0.0/24 protocol assignments */
		 (a & 0xffff0000u) == 0xc0a80000u ||     /* 192.168/16 */
		 (a & 0xfffe0000u) == 0xc6120000u ||     /* 198.18/15 benchmarking */
		 (a >> 28) >= 0xe);                      /* multicast, reserved, broadcast */
}

static uint32_t v4_at(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

bool reg_addr_public(const struct sockaddr *sa)
{
	static const uint8_t nat64[12] = { 0x00, 0x64, 0xff, 0x9b };
	const uint8_t *b;

	if (sa->sa_family == AF_INET)
		return v4_public(ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr));
	if (sa->sa_family != AF_INET6)
		return false;
	b = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
	/* IPv4 inside IPv6 (mapped, compatible, NAT64, 6to4) is judged as IPv4 */
	if (!memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) ||
	    !memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) || !memcmp(b, nat64, 12))
		return v4_public(v4_at(b + 12));
	if (b[0] == 0x20 && b[1] == 0x02)
		return v4_public(v4_at(b + 2));
	return !((b[0] & 0xfe) == 0xfc ||                 /* fc00::/7 unique local */
		 (b[0] == 0xfe && (b[1] & 0x80) == 0x80) || /* fe80::/10 link-local, fec0::/10 */
		 b[0] == 0xff);                            /* multicast */
}

/* ------------------------------------------------------------- matching */

/* entry "host[:port]" or "[v6]:port" against host (as in URLs, IPv6 in
 * brackets) and port; no port in the entry means the scheme's default. */
static bool entry_matches(const char *entry, const char *host, unsigned port, unsigned default_port)
{
	const char *colon = entry[0] == '[' ? strstr(entry, "]:") : strrchr(entry, ':');
	size_t host_len;
	unsigned want = default_port;

	if (colon && entry[0] == '[')
		colon++;
	if (colon && entry[0] != '[' && strchr(entry, ':') != colon)
		colon = NULL;   /* an unbracketed IPv6 literal has no port */
	host_len = colon ? (size_t)(colon - entry) : strlen(entry);
	if (colon)
		want = (unsigned)strtoul(colon + 1, NULL, 10);
	return strlen(host) == host_len && !strncasecmp(entry, host, host_len) && port == want;
}

static bool list_matches(char *const *list, size_t n, const char *host, unsigned port,
			 unsigned default_port)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], "*") && entry_matches(list[i], host, port, default_port))
			return true;
	return false;
}

static bool wildcard(const struct registry_client *c)
{
	for (size_t i = 0; i < c->nallow; i++)
		if (!strcmp(c->allow[i], "*"))
			return true;
	return false;
}

/* host, port and the scheme's default port of url */
static int url_host(const char *url, char *host, size_t size, unsigned *port, unsigned *default_port)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL, *scheme = NULL;
	int rc = -1;

	if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK && strlen(h) < size) {
		strcpy(host, h);
		*port = (unsigned)strtoul(p, NULL, 10);
		*default_port = strcasecmp(scheme, "https") ? 80 : 443;
		rc = 0;
	}
	curl_free(h);
	curl_free(p);
	curl_free(scheme);
	curl_url_cleanup(u);
	return rc;
}

/* ---------------------------------------------------------------- checks */

int reg_policy_registry(struct reg_session *s, struct berth_error *err)
{
	const struct registry_client *c = s->client;
	char host[REG_ORIGIN_MAX];
	unsigned port, default_port;

	s->registry_listed = false;
	for (size_t i = 0; i < c->nallow; i++)
		if (!strcasecmp(c->allow[i], s->registry))
			s->registry_listed = true;
	if (!s->registry_listed && url_host(s->base, host, sizeof(host), &port, &default_port) == 0)
		s->registry_listed = list_matches(c->allow, c->nallow, host, port, default_port);
	if (!s->registry_listed && !wildcard(c))
		return berth_error_set(err, EACCES, "not an allowed registry (registry_allow)");
	return 0;
}

int reg_policy_url(struct reg_session *s, const char *url, const char *origin, const char *what,
		   struct berth_error *err)
{
	const struct registry_client *c = s->client;
	char host[REG_ORIGIN_MAX];
	unsigned port, default_port;

	s->addr_refused = false;
	if (!strcmp(origin, s->origin)) {
		s->url_listed = s->registry_listed;
		return 0;
	}
	if (url_host(url, host, sizeof(host), &port, &default_port) < 0)
		return berth_error_set(err, EPROTO, "%s: not a valid URL", what);
	s->url_listed = list_matches(c->allow, c->nallow, host, port, default_port) ||
			list_matches(c->redirect_allow, c->nredirect_allow, host, port, default_port);
	if (!s->url_listed && !wildcard(c)) {
		berth_error_sanitize(host);
		return berth_error_set(err, EACCES,
				       "%s: host \"%.100s:%u\" is not allowed (registry_redirect_allow)",
				       what, host, port);
	}
	return 0;
}

curl_socket_t reg_policy_open_socket(void *arg, curlsocktype purpose, struct curl_sockaddr *a)
{
	struct reg_session *s = arg;

	if (purpose == CURLSOCKTYPE_IPCXN && !s->url_listed && !reg_addr_public(&a->addr)) {
		char text[INET6_ADDRSTRLEN] = "?";

		if (a->family == AF_INET)
			inet_ntop(AF_INET, &((struct sockaddr_in *)&a->addr)->sin_addr, text, sizeof(text));
		else if (a->family == AF_INET6)
			inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&a->addr)->sin6_addr, text, sizeof(text));
		berth_info("registry %s: refused to connect to %s: not a public address and the host "
			   "is not listed in registry_allow", s->registry, text);
		s->addr_refused = true;
		return CURL_SOCKET_BAD;
	}
	return socket(a->family, a->socktype | SOCK_CLOEXEC, a->protocol);
}
