/*
 * registry_http.c - GET requests with libcurl: redirects followed here (so
 * the registry's Authorization header never leaves its origin), retries with
 * exponential backoff, status and transport errors turned into messages.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>
#include <openssl/crypto.h>

#include "berth_log.h"
#include "registry_internal.h"

#define ERROR_BODY_LIMIT (1u << 20)   /* a non-2xx body longer than this is cut off */

/* What one transfer sees of the answer. */
struct transfer {
	struct reg_session *s;
	const struct reg_http_req *req;
	struct reg_http_resp *resp;
	char location[REG_URL_MAX];
	bool location_too_long;
	long retry_after_s;
	size_t error_len;
	bool error_body_too_long;
};

/* ------------------------------------------------------------------ URLs */

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* A URL for messages and logs: no query (pre-signed storage URLs carry
 * credentials there), bounded, one line. */
static void url_shown(const char *url, char *buf, size_t size)
{
	size_t len = strcspn(url, "?#");

	snprintf(buf, size, "%.*s%s", (int)(len > 160 ? 160 : len), url, len > 160 ? "..." : "");
	berth_error_sanitize(buf);
}

int reg_url_origin(const char *url, char *out, size_t size, char *hostport, size_t hostport_size,
		   struct berth_error *err)
{
	CURLU *u = curl_url();
	char *scheme = NULL, *host = NULL, *port = NULL, *user = NULL, *explicit_port = NULL;
	int rc = -1;

	if (!u)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (strstr(url, "://") && strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		berth_error_set(err, EPROTO, "URL scheme is not http or https");
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) != CURLUE_OK) {
		berth_error_set(err, EPROTO, "not a valid URL");
	} else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		berth_error_set(err, EPROTO, "URL scheme is not http or https");
	} else if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
		berth_error_set(err, EPROTO, "URL carries credentials");
	} else {
		lowercase(scheme);
		lowercase(host);
		if ((size_t)snprintf(out, size, "%s://%s:%s", scheme, host, port) >= size) {
			berth_error_set(err, EPROTO, "URL host is too long");
		} else {
			rc = 0;
			if (hostport && curl_url_get(u, CURLUPART_PORT, &explicit_port, 0) == CURLUE_OK)
				snprintf(hostport, hostport_size, "%s:%s", host, explicit_port);
			else if (hostport)
				snprintf(hostport, hostport_size, "%s", host);
		}
	}
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(user);
	curl_free(explicit_port);
	curl_url_cleanup(u);
	return rc;
}

bool reg_insecure(const struct registry_client *client, const char *hostport)
{
	for (size_t i = 0; i < client->ninsecure; i++)
		if (strcasecmp(client->insecure[i], hostport) == 0)
			return true;
	return false;
}

/* Location relative to url, checked: http(s), no credentials, no downgrade
 * from https to http. */
static int resolve_redirect(const char *url, const char *location, char *out, size_t size,
			    struct berth_error *err)
{
	char origin[REG_ORIGIN_MAX], shown[200];
	CURLU *u = curl_url();
	char *full = NULL;
	int rc = -1;

	url_shown(location, shown, sizeof(shown));
	if (!u)
		return berth_error_set(err, ENOMEM, "out of memory");
	if (strstr(url, "://") && strncasecmp(url, "http://", 7) != 0 && strncasecmp(url, "https://", 8) != 0)
		berth_error_set(err, EPROTO, "URL scheme is not http or https");
	else if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_set(u, CURLUPART_URL, location, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK) {
		berth_error_set(err, EPROTO, "redirect to \"%s\": not a valid URL", shown);
	} else if (strlen(full) >= size) {
		berth_error_set(err, EPROTO, "redirect to \"%s\": URL too long", shown);
	} else if (reg_url_origin(full, origin, sizeof(origin), NULL, 0, err) < 0) {
		berth_error_prefix(err, "redirect to \"%s\"", shown);
	} else if (strncasecmp(url, "https:", 6) == 0 && strncmp(origin, "https:", 6) != 0) {
		berth_error_set(err, EPROTO, "redirect to \"%s\": refusing to go from https to http", shown);
	} else {
		strcpy(out, full);
		rc = 0;
	}
	curl_free(full);
	curl_url_cleanup(u);
	return rc;
}

/* ------------------------------------------------------------- callbacks */

static void header_value(const char *data, size_t len, char *out, size_t size)
{
	while (len > 0 && (*data == ' ' || *data == '\t'))
		data++, len--;
	while (len > 0 && (data[len - 1] == '\r' || data[len - 1] == '\n' ||
			   data[len - 1] == ' ' || data[len - 1] == '\t'))
		len--;
	snprintf(out, size, "%.*s", (int)(len < size ? len : size - 1), data);
}

static void add_challenge(struct transfer *t, const char *data, size_t len)
{
	struct reg_http_resp *resp = t->resp;
	size_t old = resp->www_authenticate ? strlen(resp->www_authenticate) : 0;
	char *grown;

	if (old + len + 3 > REG_HEADER_MAX)
		return;
	grown = realloc(resp->www_authenticate, old + len + 3);
	if (!grown)
		return;
	resp->www_authenticate = grown;
	/* several WWW-Authenticate headers read as one comma-separated list */
	if (old)
		strcpy(grown + old, ", ");
	header_value(data, len, grown + old + (old ? 2 : 0), len + 1);
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * nmemb;
	const char *colon = memchr(data, ':', len);
	size_t name_len = colon ? (size_t)(colon - data) : 0;
	const char *value = colon ? colon + 1 : NULL;
	size_t value_len = colon ? len - name_len - 1 : 0;
	char buf[32];

	if (len >= 5 && strncmp(data, "HTTP/", 5) == 0) {      /* a new response */
		free(t->resp->www_authenticate);
		t->resp->www_authenticate = NULL;
		t->resp->content_type[0] = '\0';
		t->location[0] = '\0';
		t->location_too_long = false;
		t->retry_after_s = 0;
	} else if (name_len == 12 && strncasecmp(data, "content-type", 12) == 0) {
		header_value(value, value_len, t->resp->content_type, sizeof(t->resp->content_type));
	} else if (name_len == 16 && strncasecmp(data, "www-authenticate", 16) == 0) {
		add_challenge(t, value, value_len);
	} else if (name_len == 8 && strncasecmp(data, "location", 8) == 0) {
		t->location_too_long = value_len >= sizeof(t->location);
		header_value(value, value_len, t->location, sizeof(t->location));
	} else if (name_len == 11 && strncasecmp(data, "retry-after", 11) == 0) {
		header_value(value, value_len, buf, sizeof(buf));
		t->retry_after_s = (buf[0] >= '0' && buf[0] <= '9') ? strtol(buf, NULL, 10) : 0;
	}
	return len;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
	struct transfer *t = arg;
	size_t len = size * nmemb;
	long status = 0;

	curl_easy_getinfo(t->s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return reg_body_append(t->req->body, data, len) < 0 ? 0 : len;
	/* keep the start of an error answer for the message */
	if (t->error_len < sizeof(t->resp->error_body) - 1) {
		size_t n = sizeof(t->resp->error_body) - 1 - t->error_len;

		n = n < len ? n : len;
		memcpy(t->resp->error_body + t->error_len, data, n);
		t->resp->error_body[t->error_len + n] = '\0';
	}
	if (len > ERROR_BODY_LIMIT - t->error_len) {
		t->error_body_too_long = true;
		return 0;
	}
	t->error_len += len;
	return len;
}

/* ------------------------------------------------------------- transfers */

static void set_options(struct transfer *t, const char *url, struct curl_slist *headers)
{
	const struct registry_client *c = t->s->client;
	CURL *curl = t->s->curl;

	curl_easy_reset(curl);   /* keeps the connection and DNS caches */
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
	curl_easy_setopt(curl, CURLOPT_USERAGENT, c->user_agent);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, c->connect_timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, t->req->blob ? c->blob_timeout_ms : c->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, c->low_speed_time_s);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, t->s->curl_error);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETFUNCTION, reg_policy_open_socket);
	curl_easy_setopt(curl, CURLOPT_OPENSOCKETDATA, t->s);
	if (c->ca_file)
		curl_easy_setopt(curl, CURLOPT_CAINFO, c->ca_file);
}

static void free_headers(struct curl_slist *headers)
{
	for (struct curl_slist *h = headers; h; h = h->next)
		OPENSSL_cleanse(h->data, strlen(h->data));
	curl_slist_free_all(headers);
}

static CURLcode transfer_once(struct transfer *t, const char *url, bool send_auth)
{
	struct curl_slist *headers = NULL, *grown;
	char line[REGISTRY_MEDIA_TYPE_MAX * 6];
	CURLcode cc = CURLE_OUT_OF_MEMORY;
	char *auth = NULL;

	t->s->curl_error[0] = '\0';
	t->error_len = 0;
	t->resp->error_body[0] = '\0';
	t->resp->content_type[0] = '\0';
	t->location[0] = '\0';
	free(t->resp->www_authenticate);
	t->resp->www_authenticate = NULL;
	if (t->req->accept) {
		snprintf(line, sizeof(line), "Accept: %s", t->req->accept);
		if (!(headers = curl_slist_append(NULL, line)))
			return cc;
	}
	if (send_auth) {
		auth = malloc(strlen("Authorization: ") + strlen(t->req->authorization) + 1);
		if (!auth)
			goto out;
		sprintf(auth, "Authorization: %s", t->req->authorization);
		if (!(grown = curl_slist_append(headers, auth)))
			goto out;
		headers = grown;
	}
	set_options(t, url, headers);
	cc = curl_easy_perform(t->s->curl);
out:
	reg_free_secret(auth);
	free_headers(headers);
	return cc;
}

static bool is_redirect(long status)
{
	return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

/* One attempt: the request and the redirects it leads to. */
static int transfer_chain(struct transfer *t, CURLcode *cc, struct berth_error *err)
{
	const struct reg_http_req *req = t->req;
	char url[REG_URL_MAX], origin[REG_ORIGIN_MAX], shown[200];

	snprintf(url, sizeof(url), "%s", req->url);
	for (int hops = 0;; hops++) {
		bool at_origin;

		if (reg_url_origin(url, origin, sizeof(origin), NULL, 0, err) < 0)
			return berth_error_prefix(err, "%s", req->what);
		if (reg_policy_url(t->s, url, origin, hops ? "redirect" : "request", err) < 0)
			return berth_error_prefix(err, "%s", req->what);
		at_origin = req->auth_origin && strcmp(origin, req->auth_origin) == 0;
		*cc = transfer_once(t, url, at_origin && req->authorization);
		if (*cc != CURLE_OK && t->s->addr_refused)
			return berth_error_set(err, EACCES, "%s: refusing a non-public address (the host is "
					       "not listed in registry_allow)", req->what);
		if (*cc != CURLE_OK)
			return 0;
		curl_easy_getinfo(t->s->curl, CURLINFO_RESPONSE_CODE, &t->resp->status);
		t->resp->at_auth_origin = at_origin;
		if (!is_redirect(t->resp->status) || !t->location[0])
			return 0;
		if (t->location_too_long)
			return berth_error_set(err, EPROTO, "%s: redirect URL too long", req->what);
		if (hops >= REG_REDIRECTS_MAX)
			return berth_error_set(err, EPROTO, "%s: more than %d redirects", req->what,
					       REG_REDIRECTS_MAX);
		if (resolve_redirect(url, t->location, url, sizeof(url), err) < 0)
			return berth_error_prefix(err, "%s", req->what);
		url_shown(url, shown, sizeof(shown));
		berth_debug("registry %s: %s: redirected to %s", t->s->registry, req->what, shown);
	}
}

static bool retryable_curl(CURLcode cc)
{
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_PARTIAL_FILE:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return true;
	default:
		return false;
	}
}

static bool retryable_status(long status)
{
	return status == 429 || (status >= 500 && status <= 599 && status != 501 && status != 505);
}

/* "connection refused", not strerror's "Connection refused". */
static void lower_strerror(int code, char *buf, size_t size)
{
	snprintf(buf, size, "%s", strerror(code));
	buf[0] = (char)tolower((unsigned char)buf[0]);
}

static int transport_error(struct transfer *t, CURLcode cc, struct berth_error *err)
{
	const struct reg_body *body = t->req->body;
	const char *what = t->req->what;
	char detail[CURL_ERROR_SIZE + 64], tries[32] = "";
	long os_errno = 0, status = 0;
	int code = EIO;

	if (body->too_big && body->max && (body->expected_size < 0 || body->expected_size > (int64_t)body->max))
		return berth_error_set(err, EFBIG, "%s: larger than %zu bytes", what, body->max);
	if (body->too_big) {
		reg_count_verify_failure();
		return berth_error_set(err, EBADMSG, "%s: size mismatch (more than the expected %lld bytes)",
				       what, (long long)body->expected_size);
	}
	if (body->sink_errno)
		return berth_error_errno(err, body->sink_errno, "%s: cannot store the data", what);
	if (t->error_body_too_long)
		return berth_error_set(err, EPROTO, "%s: error answer (%ld) longer than %u bytes", what,
				       t->resp->status, ERROR_BODY_LIMIT);
	curl_easy_getinfo(t->s->curl, CURLINFO_OS_ERRNO, &os_errno);
	snprintf(detail, sizeof(detail), "%s", t->s->curl_error[0] ? t->s->curl_error : curl_easy_strerror(cc));
	if (cc == CURLE_COULDNT_CONNECT && os_errno) {
		code = (int)os_errno;
		lower_strerror(code, detail, sizeof(detail));
	} else if (cc == CURLE_COULDNT_CONNECT) {
		code = ECONNREFUSED;
	} else if (cc == CURLE_COULDNT_RESOLVE_HOST || cc == CURLE_COULDNT_RESOLVE_PROXY) {
		code = EHOSTUNREACH;
	} else if (cc == CURLE_OPERATION_TIMEDOUT) {
		code = ETIMEDOUT;
	} else if (cc == CURLE_PARTIAL_FILE) {
		snprintf(detail, sizeof(detail), "connection closed after %llu bytes%s",
			 (unsigned long long)body->received, body->expected_size >= 0 ? " of the expected " : "");
		if (body->expected_size >= 0)
			snprintf(detail + strlen(detail), sizeof(detail) - strlen(detail), "%lld",
				 (long long)body->expected_size);
	} else if (cc == CURLE_RECV_ERROR || cc == CURLE_SEND_ERROR || cc == CURLE_GOT_NOTHING) {
		code = ECONNRESET;
	} else if (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CONNECT_ERROR ||
		   cc == CURLE_SSL_CACERT_BADFILE) {
		code = EPROTO;
		memmove(detail + 5, detail, sizeof(detail) - 5);
		memcpy(detail, "TLS: ", 5);
		detail[sizeof(detail) - 1] = '\0';
	}
	berth_error_sanitize(detail);
	if (t->resp->attempts > 1)
		snprintf(tries, sizeof(tries), " (%u attempts)", t->resp->attempts);
	curl_easy_getinfo(t->s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status == 0) {
		/* No HTTP answer at all.  Refused, timed out, reset, not TLS, not
		 * HTTP: told apart, these would turn pulls into a port scanner.
		 * The user gets one message; the admin gets the detail here. */
		berth_info("registry %s: %s: %s%s", t->s->registry, what, detail, tries);
		return berth_error_set(err, EHOSTUNREACH,
				       "%s: registry unreachable (details in the gateway's log)", what);
	}
	return berth_error_set(err, code, "%s: %s%s", what, detail, tries);
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long backoff_ms(const struct registry_client *c, unsigned int attempt, long retry_after_s)
{
	long delay = c->backoff_initial_ms;

	for (unsigned int i = 0; i < attempt && delay < c->backoff_max_ms; i++)
		delay *= 2;
	if (retry_after_s > 0 && retry_after_s <= 86400 && retry_after_s * 1000 > delay)
		delay = retry_after_s * 1000;
	return delay < c->backoff_max_ms ? delay : c->backoff_max_ms;
}

int reg_http_get(struct reg_session *s, const struct reg_http_req *req,
		 struct reg_http_resp *resp, struct berth_error *err)
{
	const struct registry_client *c = s->client;

	memset(resp, 0, sizeof(*resp));
	for (unsigned int attempt = 0;; attempt++) {
		struct transfer t = { .s = s, .req = req, .resp = resp };
		char reason[64];
		CURLcode cc;
		long delay;

		resp->attempts = attempt + 1;
		resp->status = 0;
		if (transfer_chain(&t, &cc, err) < 0)
			return -1;
		if (cc == CURLE_OK && (!retryable_status(resp->status) || attempt >= c->retries))
			return 0;
		if (cc != CURLE_OK && (!retryable_curl(cc) || attempt >= c->retries ||
				       req->body->too_big || req->body->sink_errno))
			return transport_error(&t, cc, err);
		if (reg_body_reset(req->body) < 0) {
			if (cc != CURLE_OK)
				return transport_error(&t, cc, err);
			return 0;
		}
		if (cc != CURLE_OK)
			snprintf(reason, sizeof(reason), "%s", curl_easy_strerror(cc));
		else
			snprintf(reason, sizeof(reason), "HTTP status %ld", resp->status);
		delay = backoff_ms(c, attempt, t.retry_after_s);
		berth_verbose("registry %s: %s: %s; retry %u of %u in %ld ms", s->registry, req->what,
			      reason, attempt + 1, c->retries, delay);
		sleep_ms(delay);
	}
}

void reg_http_resp_free(struct reg_http_resp *resp)
{
	free(resp->www_authenticate);
	resp->www_authenticate = NULL;
}

/* -------------------------------------------------------------- sessions */

int reg_session_open(struct reg_session *s, struct registry_client *client,
		     const struct berth_image_ref *ref, struct berth_error *err)
{
	/* Docker Hub's name in references is not the host that serves the API */
	const char *host = strcmp(ref->registry, "docker.io") == 0 ? "registry-1.docker.io" : ref->registry;

	memset(s, 0, sizeof(*s));
	s->client = client;
	s->registry = ref->registry;
	s->repository = ref->repository;
	snprintf(s->base, sizeof(s->base), "%s://%s", reg_insecure(client, ref->registry) ? "http" : "https",
		 host);
	if (reg_url_origin(s->base, s->origin, sizeof(s->origin), NULL, 0, err) < 0)
		return berth_error_prefix(err, "registry address");
	if (reg_policy_registry(s, err) < 0)
		return -1;
	snprintf(s->scope, sizeof(s->scope), "repository:%s:pull", ref->repository);
	s->curl = curl_easy_init();
	if (!s->curl)
		return berth_error_set(err, ENOMEM, "cannot create a curl handle");
	reg_auth_preload(s);
	return 0;
}

void reg_session_close(struct reg_session *s)
{
	if (s->curl)
		curl_easy_cleanup(s->curl);
	s->curl = NULL;
	reg_free_secret(s->authorization);
	s->authorization = NULL;
}

/* ": <message>" from a registry's {"errors": [{"code", "message"}]} answer. */
static void registry_detail(const char *body, char *out, size_t size)
{
	struct json_object *root = json_tokener_parse(body), *errors, *first, *msg;
	char text[128];

	out[0] = '\0';
	if (root && json_object_object_get_ex(root, "errors", &errors) &&
	    json_object_is_type(errors, json_type_array) && json_object_array_length(errors) > 0 &&
	    (first = json_object_array_get_idx(errors, 0)) &&
	    ((json_object_object_get_ex(first, "message", &msg) && json_object_is_type(msg, json_type_string)) ||
	     (json_object_object_get_ex(first, "code", &msg) && json_object_is_type(msg, json_type_string)))) {
		snprintf(text, sizeof(text), "%.100s", json_object_get_string(msg));
		berth_error_sanitize(text);
		if (text[0])
			snprintf(out, size, ": %s", text);
	}
	json_object_put(root);
}

static int status_error(struct reg_session *s, const char *what, const struct reg_http_resp *resp,
			struct berth_error *err)
{
	char detail[160];
	long st = resp->status;

	registry_detail(resp->error_body, detail, sizeof(detail));
	if (st == 404)
		return berth_error_set(err, ENOENT, "%s not found (404)", what);
	if (st == 401 && s->auth_user[0])
		return berth_error_set(err, EACCES, "%s: unauthorized (401) as user \"%s\"", what, s->auth_user);
	if (st == 401)
		return berth_error_set(err, EACCES, "%s: unauthorized (401) without credentials", what);
	if (st == 403)
		return berth_error_set(err, EACCES, "%s: denied (403)%s", what, detail);
	if (st == 429)
		return berth_error_set(err, EAGAIN, "%s: too many requests (429, %u attempts)", what, resp->attempts);
	if (st >= 500)
		return berth_error_set(err, EAGAIN, "%s: server error (%ld, %u attempt%s)%s", what, st,
				       resp->attempts, resp->attempts == 1 ? "" : "s", detail);
	return berth_error_set(err, EPROTO, "%s: unexpected HTTP status %ld%s", what, st, detail);
}

int reg_session_get(struct reg_session *s, const char *path, const char *accept,
		    const char *what, bool blob, struct reg_body *body,
		    char content_type[REGISTRY_MEDIA_TYPE_MAX], struct berth_error *err)
{
	char url[REG_URL_MAX];
	struct reg_http_resp resp;
	int rc;

	if ((size_t)snprintf(url, sizeof(url), "%s%s", s->base, path) >= sizeof(url))
		return berth_error_set(err, EINVAL, "%s: URL too long", what);
	/* a challenge, a refused cached token, a refused fresh one: 3 rounds at most */
	for (int round = 0;; round++) {
		struct reg_http_req req = {
			.url = url, .accept = accept, .authorization = s->authorization,
			.auth_origin = s->origin, .blob = blob, .body = body, .what = what,
		};

		if (reg_http_get(s, &req, &resp, err) < 0)
			return -1;
		if (resp.status != 401 || !resp.at_auth_origin || !resp.www_authenticate || round >= 2)
			break;
		rc = reg_auth_respond(s, resp.www_authenticate, err);
		reg_http_resp_free(&resp);
		if (rc < 0)
			return berth_error_prefix(err, "%s", what);
		if (reg_body_reset(body) < 0)
			return berth_error_set(err, EIO, "%s: cannot restart the download", what);
	}
	if (resp.status == 200) {
		if (content_type)
			snprintf(content_type, REGISTRY_MEDIA_TYPE_MAX, "%s", resp.content_type);
		rc = 0;
	} else {
		rc = status_error(s, what, &resp, err);
	}
	reg_http_resp_free(&resp);
	return rc;
}
